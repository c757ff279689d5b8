"""The corridor operator's train log (corridor_trains/*.csv, UTF-8) -> raw.corridor_trains rows.

The log is small (hundreds of trains a month), so it is read whole with the csv module.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from orchestration.parsing.errors import ContractViolation
from orchestration.parsing.tolerances import IMPLAUSIBLE_VALUE

TRAIN_HEADER = [
    "train_id",
    "service",
    "departure_at",
    "origin",
    "destination",
    "direction",
    "wagons",
    "teu",
    "cargo_value_cny",
    "cargo",
]
SERVICES = ("ILSTC_RAIL_SEA", "ILSTC_CROSS_BORDER_RAIL", "ILSTC_CROSS_BORDER_ROAD", "CHINA_LAOS_RAIL")
DIRECTIONS = ("outbound", "inbound")
CHINA_LAOS_SERVICE = "CHINA_LAOS_RAIL"
CHINA_LAOS_OPENING = date(2021, 12, 3)
LOCAL_TIME = ZoneInfo("Asia/Shanghai")  # the month of a departure is the month in Chongqing
_INTEGER = re.compile(r"-?[0-9]+")
INTEGER_MAX = 2**31 - 1  # raw.corridor_trains keeps wagons and teu as INTEGER
# Decimal() alone would read full-width digits and "1_000"; only plain ASCII numbers pass,
# with no more decimals than raw.corridor_trains keeps (DECIMAL(20, 2)): DuckDB would round
# the rest away silently.
_MONEY = re.compile(r"-?[0-9]+(\.[0-9]{1,2})?")
# C0 control characters and DEL: never part of a real value, and a NUL would make a train_id
# that looks like another one. A tab is allowed in the free text of cargo only.
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
_CONTROL_OR_TAB = re.compile(r"[\x00-\x1f\x7f]")
FREE_TEXT = ("cargo",)
# The contract allows empty quantities only in the detail extract: every train has these.
REQUIRED_NUMBERS = ("wagons", "teu", "cargo_value_cny")


def parse_train_log(path: Path, reference_month: date) -> list[dict]:
    """Parse and check one month's train log; raises ContractViolation if it breaks the contract.

    ``source_row`` is the line the record starts on (the header is line 1).
    """
    reader = csv.reader(io.StringIO(_read_text(path), newline=""), strict=True)
    rows: list[dict] = []
    seen: dict[tuple[str, str], int] = {}  # (service, train_id) -> line, for uniqueness
    try:
        header = next(reader, None)
        if header != TRAIN_HEADER:
            raise ContractViolation(
                "wrong_layout", f"line 1: expected the header {','.join(TRAIN_HEADER)!r}, found {header!r}"
            )
        while True:
            line = reader.line_num + 1  # where the next record starts
            record = next(reader, None)
            if record is None:
                break
            if not record:  # a blank line, e.g. at the end of the file
                continue
            row = _parse_record(record, line, reference_month)
            key = (row["service"], row["train_id"])
            if key in seen:
                raise ContractViolation(
                    "duplicate_record",
                    f"line {line}: train_id {row['train_id']!r} of {row['service']} repeats line {seen[key]}; "
                    "each train is logged once",
                )
            seen[key] = line
            rows.append(row)
    except csv.Error as exc:
        raise ContractViolation("wrong_layout", f"line {reader.line_num}: CSV error: {exc}") from None
    return rows


def _read_text(path: Path) -> str:
    data = Path(path).read_bytes()
    try:
        return data.decode("utf-8-sig")  # a leading BOM is tolerated
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ContractViolation(
            "unreadable", f"not valid UTF-8: byte offset {exc.start} (line {line}): {data[exc.start:exc.end]!r}"
        ) from None


def _parse_record(record: list[str], line: int, reference_month: date) -> dict:
    if len(record) != len(TRAIN_HEADER):
        raise ContractViolation(
            "wrong_layout", f"line {line}: expected {len(TRAIN_HEADER)} fields, found {len(record)}"
        )
    for column, value in zip(TRAIN_HEADER, record):
        control = (_CONTROL if column in FREE_TEXT else _CONTROL_OR_TAB).search(value)
        if control:
            raise ContractViolation(
                "bad_value",
                f"line {line}: {column} holds the control character U+{ord(control[0]):04X} at position "
                f"{control.start() + 1}; no field holds control characters (a tab only in {', '.join(FREE_TEXT)})",
            )
    fields = dict(zip(TRAIN_HEADER, (value.strip() for value in record)))
    for column in REQUIRED_NUMBERS:
        if not fields[column]:
            raise ContractViolation(
                "bad_value",
                f"line {line}: {column} is empty; every train has it (only the detail extract may leave "
                "quantities empty)",
            )
    for column in ("train_id", "origin", "destination"):
        if not fields[column]:
            raise ContractViolation("bad_value", f"line {line}: {column} is empty")
    service = _one_of(fields, "service", SERVICES, line)
    departure_at = _departure(fields["departure_at"], line)
    local = departure_at.astimezone(LOCAL_TIME)
    if (local.year, local.month) != (reference_month.year, reference_month.month):
        raise ContractViolation(
            "wrong_period",
            f"line {line}: departure_at {fields['departure_at']} is not in {reference_month:%Y-%m} (Asia/Shanghai)",
        )
    if service == CHINA_LAOS_SERVICE and local.date() < CHINA_LAOS_OPENING:
        raise ContractViolation(
            "china_laos_before_opening",
            f"line {line}: {CHINA_LAOS_SERVICE} train {fields['train_id']!r} departs {local.date()}, "
            f"before the line opened on {CHINA_LAOS_OPENING}",
        )
    return {
        "reference_month": reference_month,
        "train_id": fields["train_id"],
        "service": service,
        "departure_at": departure_at,
        "origin": fields["origin"],
        "destination": fields["destination"],
        "direction": _one_of(fields, "direction", DIRECTIONS, line),
        "wagons": _count(fields, "wagons", line),
        "teu": _count(fields, "teu", line),
        "cargo_value_cny": _money(fields, "cargo_value_cny", line),
        "cargo": fields["cargo"] or None,
        "source_row": line,
    }


def _one_of(fields: dict[str, str], column: str, allowed: tuple[str, ...], line: int) -> str:
    if fields[column] not in allowed:
        raise ContractViolation(
            "bad_value", f"line {line}: {column} {fields[column]!r} is not one of {', '.join(allowed)}"
        )
    return fields[column]


def _departure(value: str, line: int) -> datetime:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise ContractViolation(
            "bad_value", f"line {line}: departure_at {value!r} is not an ISO 8601 timestamp with an offset"
        )
    return moment


def _non_negative(number, column: str, line: int):
    if number < 0:
        raise ContractViolation("negative_value", f"line {line}: {column} is negative ({number})")
    return number


def _count(fields: dict[str, str], column: str, line: int) -> int:
    value = fields[column]
    if not _INTEGER.fullmatch(value):
        raise ContractViolation("bad_value", f"line {line}: {column} {value!r} is not a whole number")
    if int(value) > INTEGER_MAX:
        raise ContractViolation("bad_value", f"line {line}: {column} {value} does not fit INTEGER (at most {INTEGER_MAX})")
    return _non_negative(int(value), column, line)


def _money(fields: dict[str, str], column: str, line: int) -> Decimal:
    value = fields[column]
    if not _MONEY.fullmatch(value):
        raise ContractViolation(
            "bad_value",
            f"line {line}: {column} {value!r} is not a number "
            "(only plain ASCII digits, at most 2 decimals: no thousands separators or full-width digits)",
        )
    number = _non_negative(Decimal(value), column, line)
    if number > IMPLAUSIBLE_VALUE["CNY"]:
        raise ContractViolation(
            "implausible_value",
            f"line {line}: {column} {value} is more than any real figure ({IMPLAUSIBLE_VALUE['CNY']:,.0f} yuan)",
        )
    return number


# The trains of a log already held by the latest loaded log of another month: a train
# departs once, in one month. $service and $train_id: the new log's trains, line by line.
TRAINS_HELD_ELSEWHERE_SQL = """
    WITH latest AS (
        SELECT reference_month, max(vintage) AS vintage FROM raw.corridor_trains GROUP BY reference_month
    ),
    new_log AS (
        SELECT unnest($service) AS service, unnest($train_id) AS train_id, unnest($line) AS line
    )
    SELECT n.line, n.service, n.train_id, t.source_file, t.source_row
    FROM new_log n
    JOIN raw.corridor_trains t USING (service, train_id)
    JOIN latest l ON l.reference_month = t.reference_month AND l.vintage = t.vintage
    WHERE t.reference_month <> $reference_month
    ORDER BY n.line
    LIMIT 1
"""


def check_trains_not_held_elsewhere(con, rows: list[dict], reference_month: date) -> None:
    """Raise ContractViolation('duplicate_record') for a train another month's log holds."""
    found = con.execute(
        TRAINS_HELD_ELSEWHERE_SQL,
        {
            "service": [row["service"] for row in rows],
            "train_id": [row["train_id"] for row in rows],
            "line": [row["source_row"] for row in rows],
            "reference_month": reference_month,
        },
    ).fetchone()
    if found:
        line, service, train_id, other_file, other_line = found
        raise ContractViolation(
            "duplicate_record",
            f"line {line}: train_id {train_id!r} of {service} is already held by {other_file} line {other_line}; "
            "a train departs once: correct whichever log is wrong",
        )
