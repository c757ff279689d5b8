"""The detailed customs extract (customs_detail/*.csv, GB18030, CRLF) -> a DuckDB table.

The extract runs to tens of millions of rows, so nothing here loops over rows in Python:
the file is transcoded to UTF-8 in fixed-size chunks (checking the encoding strictly on
the way, and writing each line's number in front of it with numpy), then DuckDB reads
many extracts in one parallel statement that checks every row against the contract as it
goes (``checked_rows_query``). Only when that read fails does ``diagnose_extracts`` stage
the text and say, per file, which check failed first, on which line, with which value.

This is the path every extract can take. Plain extracts, most of them, take a faster one
(plain_extract.py) that transcodes and checks in C; this one names what is wrong.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import numpy as np

from orchestration.parsing import reference
from orchestration.parsing.errors import ContractViolation
from orchestration.parsing.tolerances import DETAIL_RECONCILIATION_FRACTION, IMPLAUSIBLE_VALUE

DETAIL_HEADER = (
    "数据年月,商品编码,商品名称,贸易伙伴编码,贸易伙伴名称,贸易方式编码,"
    "贸易方式名称,注册地编码,注册地名称,第一数量,第一计量单位,第二数量,"
    "第二计量单位,人民币,美元"
)
SOURCE_ENCODING = "gb18030"
# File columns in file order, as named in raw.customs_detail, with their DuckDB types.
DETAIL_COLUMNS = {
    "data_month": "VARCHAR",
    "hs_code": "VARCHAR",
    "commodity_name_zh": "VARCHAR",
    "partner_code": "VARCHAR",
    "partner_name_zh": "VARCHAR",
    "trade_mode_code": "VARCHAR",
    "trade_mode_name_zh": "VARCHAR",
    "province_code": "VARCHAR",
    "province_name_zh": "VARCHAR",
    "quantity_1": "DOUBLE",
    "unit_1": "VARCHAR",
    "quantity_2": "DOUBLE",
    "unit_2": "VARCHAR",
    "value_cny": "DECIMAL(20, 2)",
    "value_usd": "DECIMAL(20, 2)",
}


AMOUNT_COLUMNS = ("value_cny", "value_usd")


def _decimal_scale(kind: str) -> int | None:
    """The scale of a DECIMAL type; None for other types."""
    found = re.fullmatch(r"DECIMAL\(\d+, *(\d+)\)", kind)
    return int(found[1]) if found else None


def _plain_number(kind: str) -> str:
    """A numeric field of DuckDB type ``kind`` as text (RE2 syntax; [0-9] is ASCII only). A
    DECIMAL takes no more decimals than its scale: the cast would round the rest away silently."""
    scale = _decimal_scale(kind)
    if scale is None:
        return r"-?[0-9]+(\.[0-9]+)?"
    return r"-?[0-9]+" + (rf"(\.[0-9]{{1,{scale}}})?" if scale else "")


# The pattern of each numeric field, passed to the checks' SQL as $plain_<column>.
NUMBER_PATTERNS = {f"plain_{name}": _plain_number(kind) for name, kind in DETAIL_COLUMNS.items() if kind != "VARCHAR"}


# A line of the extract runs to a few hundred bytes; a longer one is refused where it reaches
# this, so that memory and time stay linear in the file's size.
MAX_LINE_BYTES = 1 << 20


def transcode_to_utf8(src: Path, dst: Path, chunk_bytes: int = 4 << 20) -> int:
    """Check the header, decode GB18030 strictly chunk by chunk, write UTF-8 to ``dst`` with
    each line's number (the header is line 1) put before it as a first field.

    The numbers are the rows' lineage: DuckDB can only number rows in file order on one
    thread (``row_number() OVER ()``), while a field written here reads on all of them.
    Line ends are copied as they are (CRLF). Returns the number of lines, header included.
    """
    decoder = codecs.getincrementaldecoder(SOURCE_ENCODING)("strict")
    with open(src, "rb") as source, open(dst, "wb") as target:
        # long enough for the header in UTF-8 with a BOM too, to recognise that mistake
        header_line = source.readline(len(codecs.BOM_UTF8 + DETAIL_HEADER.encode("utf-8")) + 2)
        _check_header(header_line)
        offset, lines, unfinished = 0, 0, b""
        chunk = header_line  # checked above, then decoded and written like any other chunk
        while chunk:
            pending = len(decoder.getstate()[0])  # bytes of a character split by the previous chunk
            try:
                text = decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                position = offset - pending + exc.start
                line = lines + chunk[: max(exc.start - pending, 0)].count(b"\n") + 1
                raise ContractViolation(
                    "unreadable",
                    f"not valid {SOURCE_ENCODING}: byte offset {position} (line {line}): "
                    f"{exc.object[exc.start:exc.end]!r} ({exc.reason})",
                ) from None
            whole, end, unfinished = (unfinished + text.encode("utf-8")).rpartition(b"\n")
            if len(unfinished) > MAX_LINE_BYTES:  # carried from chunk to chunk, it would grow without end
                raise _line_too_long(lines + whole.count(b"\n") + len(end) + 1)
            numbered, count = _numbered(whole + end, lines + 1)  # the rest goes on in the next chunk
            target.write(numbered)
            lines += count
            offset += len(chunk)
            chunk = source.read(chunk_bytes)
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            raise ContractViolation(
                "unreadable", f"not valid {SOURCE_ENCODING}: the file ends inside a character (byte offset {offset})"
            ) from None
    if unfinished:
        # Every line ends in CRLF; without one the last record was cut off (DuckDB would
        # silently drop a record cut inside a quoted field).
        raise ContractViolation(
            "unreadable", f"truncated: the file ends inside line {lines + 1}, without a line end (byte offset {offset})"
        )
    return lines


def _line_too_long(number: int) -> ContractViolation:
    return ContractViolation(
        "oversized", f"line {number} runs past {MAX_LINE_BYTES:,} bytes; a line of the extract is a few hundred bytes"
    )


def _numbered(text: bytes, first: int) -> tuple[memoryview, int]:
    """Whole lines of UTF-8 ``text``, each after its number (``first`` and on, zero-padded to
    one width) and a comma, and how many there were; vectorised, as a Python loop per line
    would cost more than the decoding. A blank line is refused here: DuckDB's reader skips
    it, and the record count would no longer be the line count."""
    data = np.frombuffer(text, dtype=np.uint8)
    ends = np.flatnonzero(data == ord("\n"))
    count = len(ends)
    if not count:
        return memoryview(b""), 0
    starts = np.concatenate(([0], ends[:-1] + 1))
    blank = np.flatnonzero((ends == starts) | ((ends == starts + 1) & (data[starts] == ord("\r"))))
    if len(blank):
        raise ContractViolation("wrong_layout", f"line {first + int(blank[0])} is blank")
    too_long = np.flatnonzero(ends - starts > MAX_LINE_BYTES)
    if len(too_long):
        raise _line_too_long(first + int(too_long[0]))
    width = len(str(first + count - 1))
    numbers = np.arange(first, first + count, dtype=np.int64)
    prefixes = np.empty((count, width + 1), dtype=np.uint8)
    prefixes[:, :width] = numbers[:, None] // 10 ** np.arange(width - 1, -1, -1, dtype=np.int64) % 10 + ord("0")
    prefixes[:, width] = ord(",")
    # where each line's prefix goes: its start, shifted by the prefixes before it
    at = (starts + np.arange(count, dtype=np.int64) * (width + 1))[:, None] + np.arange(width + 1)
    out = np.empty(len(data) + prefixes.size, dtype=np.uint8)
    text_bytes = np.ones(len(out), dtype=bool)
    text_bytes[at] = False
    out[at] = prefixes
    out[text_bytes] = data
    return out.data, count


# Byte-order marks a producer may put first; GB18030 needs none (U+FEFF in GB18030 is 84 31 95 33).
BYTE_ORDER_MARKS = {codecs.BOM_UTF8: "UTF-8", b"\x84\x31\x95\x33": "GB18030"}


def _check_header(line: bytes) -> None:
    found = line.rstrip(b"\r\n")
    if found == DETAIL_HEADER.encode(SOURCE_ENCODING):
        return
    if not found:
        raise ContractViolation("wrong_layout", "line 1: the file is empty or starts with a blank line, no header")
    utf16 = _utf16_sign(found)
    if utf16:
        raise ContractViolation(
            "wrong_encoding",
            f"line 1: the file is UTF-16 encoded ({utf16}); the extract must be delivered in GB18030",
        )
    for mark, encoding in BYTE_ORDER_MARKS.items():
        if found.startswith(mark) and found.removeprefix(mark) == DETAIL_HEADER.encode(SOURCE_ENCODING):
            raise ContractViolation(
                "wrong_encoding",
                f"line 1: a {encoding} byte-order mark ({mark.hex(' ').upper()}) before the GB18030 header; "
                "the extract must start with the header itself: save it again without a byte-order mark",
            )
    if found.removeprefix(codecs.BOM_UTF8) == DETAIL_HEADER.encode("utf-8"):
        raise ContractViolation(
            "wrong_encoding", "line 1: the header is UTF-8 encoded; the extract must be delivered in GB18030"
        )
    shown = found.decode(SOURCE_ENCODING, errors="replace")
    raise ContractViolation("wrong_layout", f"line 1: expected the header {DETAIL_HEADER!r}, found {shown!r}")


def _utf16_sign(header: bytes) -> str | None:
    """What shows a UTF-16 header: its byte-order mark, or the header in UTF-16 without one."""
    for encoding, mark in (("utf-16-le", codecs.BOM_UTF16_LE), ("utf-16-be", codecs.BOM_UTF16_BE)):
        if header.startswith(mark):
            return f"byte-order mark {mark.hex(' ').upper()}"
        if header.startswith(DETAIL_HEADER.encode(encoding)):
            return f"{encoding.upper()} without a byte-order mark"
    return None


@dataclass(frozen=True)
class TranscodedExtract:
    """A transcoded extract and what its name says it holds."""

    key: str  # how the file is known in messages (its landing-relative name)
    utf8_path: Path  # written by transcode_to_utf8
    lines: int  # as counted by transcode_to_utf8, header included
    reference_month: date
    flow: str
    plain: bool = False  # every row passed transcode_plain's checks: the read may skip them
    vintage: date | None = None  # its release date: it is held to the bulletin in force then


class ContractBreach(Exception):
    """A checked read failed: some extract breaks the contract; diagnose_extracts says which and why."""


class RowSetBreach(Exception):
    """Some extracts' rows, read and inserted, break a rule on the set (``set_breaches``)."""

    def __init__(self, refused: dict[str, ContractViolation]) -> None:
        super().__init__(", ".join(refused))
        self.refused = refused


READER_OPTIONS = (
    "header = true, auto_detect = false, delim = ',', quote = '\"', escape = '\"', "
    "encoding = 'utf-8', strict_mode = true, null_padding = false"
)
# The transcoded file's columns: the line number transcode_to_utf8 writes, then the
# extract's fields as text (checked before they are cast).
_TEXT_COLUMNS = ", ".join(["'source_row': 'INTEGER'", *(f"'{name}': 'VARCHAR'" for name in DETAIL_COLUMNS)])
# The same, typed: for extracts whose rows transcode_plain has checked already.
_TYPED_COLUMNS = ", ".join(["'source_row': 'INTEGER'", *(f"'{name}': '{kind}'" for name, kind in DETAIL_COLUMNS.items())])
# The position (1-based) of a row's file in the list read: indexes the per-file parameters.
_FILE_POSITION = "CAST(file_index AS BIGINT) + 1"


def checked_rows_query(extracts: list[TranscodedExtract]) -> tuple[str, dict]:
    """A SELECT of every extract's rows in one parallel read, and its parameters.

    Columns: raw.customs_detail's file columns, typed; ``source_row``, the line number (the
    header is line 1); ``file_position``, the 1-based position of the row's extract in
    ``extracts``. Every field is read as text and checked before it is cast: DuckDB's number
    parser accepts "1_000" and its DECIMAL cast rounds "1.234" to 1.23, while the contract
    allows only plain ASCII numbers and the warehouse keeps no more decimals than its type.
    The query fails on the first row that breaks the contract (DuckDB's
    InvalidInputException: "contract breach"), on a CSV error, or on a value too large for
    its type; the caller then rolls back and asks diagnose_extracts which extract broke what.

    Line numbers are the first field of the transcoded file. A record is one line: fields of
    the extract never contain line breaks, and the caller checks that the rows read equal the
    lines counted.

    Where every extract is plain (``transcode_plain`` checked each row on its way), the
    columns are read typed, with no checks: what a bare ``read_csv`` costs.
    """
    paths = [str(e.utf8_path) for e in extracts]
    if all(extract.plain for extract in extracts):
        sql = f"""
            SELECT {", ".join(DETAIL_COLUMNS)}, source_row, {_FILE_POSITION} AS file_position
            FROM read_csv($paths, columns = {{{_TYPED_COLUMNS}}}, {READER_OPTIONS})
        """
        return sql, {"paths": paths}
    breach = " OR ".join(f"({check.condition})" for check in _checks() if check.in_checked_read)
    typed = ", ".join(
        name if kind == "VARCHAR" else f"CAST({name} AS {kind}) AS {name}" for name, kind in DETAIL_COLUMNS.items()
    )
    sql = f"""
        SELECT {typed},
               source_row,
               {_FILE_POSITION} AS file_position
        FROM read_csv($paths, columns = {{{_TEXT_COLUMNS}}}, {READER_OPTIONS})
        WHERE CASE WHEN {breach.format(period=f"$periods[{_FILE_POSITION}]")}
                   THEN error('contract breach: ' || $keys[{_FILE_POSITION}]) ELSE true END
    """
    params = {
        "paths": paths,
        "periods": [f"{e.reference_month:%Y%m}" for e in extracts],
        "keys": [e.key for e in extracts],
        **NUMBER_PATTERNS,
    }
    return sql, params


def expected_rows(extracts: list[TranscodedExtract]) -> int:
    return sum(extract.lines - 1 for extract in extracts)


def diagnose_extracts(con: duckdb.DuckDBPyConnection, extracts: list[TranscodedExtract]) -> dict[str, ContractViolation]:
    """The refusal of each extract that breaks the contract, by key, with the first line and
    value of the first check it fails: every field staged as text, every check in one scan."""
    text, files = "diagnosed_extract_text", "diagnosed_extract_files"
    try:
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {files} (file_position BIGINT, period VARCHAR)"
        )
        con.executemany(
            f"INSERT INTO {files} VALUES (?, ?)",
            [[position, f"{e.reference_month:%Y%m}"] for position, e in enumerate(extracts, start=1)],
        )
        refused = _read_text(con, text, extracts)
        refused.update(_validate(con, text, files, extracts, refused))
        return refused
    finally:
        for table in (text, files):
            con.execute(f"DROP TABLE IF EXISTS {table}")


def _read_text(con: duckdb.DuckDBPyConnection, text: str, extracts: list[TranscodedExtract]) -> dict[str, ContractViolation]:
    """Every extract's fields as text with their file's position; should one not parse as
    CSV, file by file, to refuse exactly the ones that do not."""
    def read(paths: list[str], position: str) -> str:
        return f"SELECT *, {position} AS file_position FROM read_csv({paths}, columns = {{{_TEXT_COLUMNS}}}, {READER_OPTIONS})"

    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {text} AS {read('$paths', _FILE_POSITION)}",
                    {"paths": [str(e.utf8_path) for e in extracts]})
        return {}
    except duckdb.InvalidInputException:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {text} AS {read('$paths', _FILE_POSITION)} LIMIT 0",
                    {"paths": [str(extracts[0].utf8_path)]})
    refused = {}
    for position, extract in enumerate(extracts, start=1):
        try:
            con.execute(f"INSERT INTO {text} {read('$paths', '$position')}",
                        {"paths": [str(extract.utf8_path)], "position": position})
        except duckdb.InvalidInputException as exc:  # e.g. a line with the wrong number of fields
            refused[extract.key] = ContractViolation("wrong_layout", f"the CSV does not parse: {_csv_error(exc)}")
    return refused


def _csv_error(exc: duckdb.Error) -> str:
    """DuckDB's account of the bad line, without its reader settings and tuning tips,
    which speak of options we set on purpose, and of the file as delivered: without the
    line number transcode_to_utf8 put first."""
    text = str(exc)
    for tail in ("\nPossible ", "\nColumn ", "\n  file ="):
        text = text.split(tail)[0]
    text = re.sub(r"(Original Line: *\n?\s*)\d+,", r"\1", text)
    text = re.sub(r"(Number of Columns: |Found: )(\d+)", lambda m: f"{m[1]}{int(m[2]) - 1}", text)
    return " | ".join(line.strip() for line in text.splitlines() if line.strip())


@dataclass(frozen=True)
class _Check:
    reason: str
    column: str  # the field checked; the message quotes its text
    problem: str  # what is wrong, for the message
    condition: str  # SQL on a row's text fields, true when the row is bad; {period}: the file's period
    field: str | None = None  # a field's text wrong in itself: the message names line and field
    in_checked_read: bool = True  # False where the checked read's CAST fails by itself

    def violation(self, extract: TranscodedExtract, count: int, example: str, line: int) -> ContractViolation:
        if self.field:
            where = f"CSV Error on Line: {line}: column {self.field} {example!r}"
            return ContractViolation(self.reason, f"a value does not convert: {where} {self.problem}")
        return ContractViolation(
            self.reason,
            f"{extract.flow} extract for {extract.reference_month:%Y-%m}: "
            f"{self.problem.format(period=f'{extract.reference_month:%Y%m}')} on {count} row(s), "
            f"e.g. line {line} ({example!r})",
        )


def _checks() -> list[_Check]:
    """The contract's checks on each row, in the order a refusal names the first one failing."""
    header = dict(zip(DETAIL_COLUMNS, DETAIL_HEADER.split(",")))
    numeric = {name: kind for name, kind in DETAIL_COLUMNS.items() if kind != "VARCHAR"}
    # First, so that a NUL before a value is named for what it is; tabs included: no field is free text.
    checks = [
        _Check("bad_value", name, f"{header[name]} holds a control character (U+0000-U+001F or U+007F)",
               rf"regexp_matches({name}, '[\x00-\x1f\x7f]')")
        for name in DETAIL_COLUMNS
    ]
    checks += [
        _Check("bad_value", name, _plain_problem(kind), f"{name} IS NOT NULL AND NOT regexp_full_match({name}, $plain_{name})",
               field=f"{name} ({header[name]})")
        for name, kind in numeric.items()
    ]
    # A plain amount too large for its DECIMAL is a bigger implausible value, not a malformed one.
    checks += [
        _Check("implausible_value" if name in AMOUNT_COLUMNS else "bad_value", name,
               f"does not fit {kind}" + (": more than any real figure" if name in AMOUNT_COLUMNS else ""),
               f"{name} IS NOT NULL AND TRY_CAST({name} AS {kind}) IS NULL",
               field=f"{name} ({header[name]})", in_checked_read=False)
        for name, kind in numeric.items()
    ]
    checks += [
        _Check("wrong_period", "data_month", "数据年月 is not {period}", "data_month IS DISTINCT FROM {period}"),
        _Check("bad_value", "value_cny", "人民币 is empty", "value_cny IS NULL"),
        _Check("bad_value", "value_usd", "美元 is empty", "value_usd IS NULL"),
    ]
    checks += [
        # starts_with first: the cast is then tried on the few rows that could be negative
        _Check("negative_value", name, f"{header[name]} is negative",
               f"starts_with({name}, '-') AND TRY_CAST({name} AS {kind}) < 0")
        for name, kind in numeric.items()
    ]
    checks += [
        _Check("bad_value", name, f"{header[name]} is not {digits} digits",
               f"{name} IS NULL OR NOT regexp_full_match({name}, '[0-9]{{{{{digits}}}}}')")
        for name, digits in (("hs_code", 8), ("partner_code", 3), ("trade_mode_code", 2), ("province_code", 2))
    ]
    return checks


def _plain_problem(kind: str) -> str:
    scale = _decimal_scale(kind)
    decimals = f", at most {scale} decimals" if scale is not None else ""
    return (
        f"is not a plain number (ASCII digits, optional sign and decimal point{decimals}; "
        "no thousands separators or full-width digits)"
    )


def _validate(
    con: duckdb.DuckDBPyConnection,
    text: str,
    files: str,
    extracts: list[TranscodedExtract],
    unparsed: dict[str, ContractViolation],
) -> dict[str, ContractViolation]:
    """One scan of the staged text: per file, its record count, and per check the number of
    bad rows with the first one's line and value."""
    checks = _checks()
    aggregates = ", ".join(_first_bad(c.condition, c.column) for c in checks).format(period="f.period")
    found = {
        row[0]: row[1:]
        for row in con.execute(
            f"SELECT t.file_position, count(*), {aggregates} "
            f"FROM {text} AS t JOIN {files} AS f USING (file_position) "
            "GROUP BY t.file_position",
            NUMBER_PATTERNS,
        ).fetchall()
    }
    refused = {}
    for position, extract in enumerate(extracts, start=1):
        if extract.key in unparsed:
            continue
        records, *results = found.get(position, (0,))
        if records != extract.lines - 1:
            refused[extract.key] = ContractViolation(
                "wrong_layout",
                f"{records} records on the {extract.lines - 1} lines after the header: "
                "a field with a line break",
            )
            continue
        for index, check in enumerate(checks):
            count, example, first_line = results[3 * index : 3 * index + 3]
            if count:
                refused[extract.key] = check.violation(extract, count, example, first_line)
                break
    return refused


# The extract's rules on its rows as a set, run on the rows a batch has inserted, before
# it commits: one row per grain, codes the reference data knows, amounts no real figure
# exceeds, and a sum within the contract's tolerance of the loaded bulletin of its period
# and flow (where that bulletin is loaded; dbt's fct_detail_reconciliation is the second line).
# 数据年月 is the file's period. The codes have fixed widths (checked row by row), so their
# concatenation is the grain: counted distinct, it costs less than a row of four columns.
GRAIN = ("hs_code", "partner_code", "trade_mode_code", "province_code")
_KNOWN_CODES = {  # column -> (seed, its column, what it is)
    "hs_code": (reference.HS_CODES_SEED, "hs_code", "HS code"),
    "partner_code": (reference.PARTNERS_SEED, "customs_code", "partner code"),
    "trade_mode_code": (reference.TRADE_MODES_SEED, "trade_mode_code", "trade mode code"),
}
_HEADER_NAMES = dict(zip(DETAIL_COLUMNS, DETAIL_HEADER.split(",")))


def _first_bad(condition: str, column: str) -> str:
    """Aggregates of the rows where ``condition`` holds: how many, the first one's ``column``
    and its line."""
    return (f"count(*) FILTER (WHERE {condition}), arg_min({column}, source_row) FILTER (WHERE {condition}), "
            f"min(source_row) FILTER (WHERE {condition})")


def set_breaches(con: duckdb.DuckDBPyConnection, extracts: list[TranscodedExtract],
                 load_ids: list[str], relation: str) -> dict[str, ContractViolation]:
    """The refusal of each extract of a batch (its rows staged in ``relation``, with the
    columns of raw.customs_detail, under ``load_ids``, one per extract) whose rows as a set
    break the contract, by key."""
    known = {column: sorted({row[key] for row in reference.seed_rows(seed) if row[key]})
             for column, (seed, key, _) in _KNOWN_CODES.items()}
    joins = "".join(
        f" LEFT JOIN (SELECT unnest($known_{column}) AS code) AS known_{column} ON known_{column}.code = d.{column}"
        for column in _KNOWN_CODES
    )
    unknown = ", ".join(_first_bad(f"known_{column}.code IS NULL", f"d.{column}") for column in _KNOWN_CODES)
    implausible = f"d.value_cny > {IMPLAUSIBLE_VALUE['CNY']} OR d.value_usd > {IMPLAUSIBLE_VALUE['USD']}"
    found = {
        row[0]: row[1:]
        for row in con.execute(
            f"""
            SELECT d.load_id, count(*), count(DISTINCT {" || ".join(f"d.{c}" for c in GRAIN)}), sum(d.value_cny),
                   {unknown}, {_first_bad(implausible, "d.value_cny")}
            FROM {relation} AS d {joins}
            WHERE d.load_id IN (SELECT unnest($load_ids))
            GROUP BY d.load_id
            """,
            {"load_ids": load_ids, **{f"known_{column}": codes for column, codes in known.items()}},
        ).fetchall()
    }
    refused = {}
    for extract, load_id in zip(extracts, load_ids):
        if load_id not in found:
            continue  # no rows
        rows, keys, value_cny, *checks = found[load_id]
        if rows != keys:
            refused[extract.key] = _repeated_record(con, extract, load_id, relation)
            continue
        for index, (column, (seed, _, what)) in enumerate(_KNOWN_CODES.items()):
            count, example, line = checks[3 * index: 3 * index + 3]
            if count:
                refused[extract.key] = ContractViolation(
                    "not_in_reference",
                    f"line {line}: field {column} ({_HEADER_NAMES[column]}) {example!r} on {count} row(s) is no "
                    f"{what} the reference data knows; if customs uses it, add it to {reference.seed_file(seed)}",
                )
                break
        else:
            count, example, line = checks[-3:]
            if count:
                refused[extract.key] = ContractViolation(
                    "implausible_value",
                    f"line {line}: 人民币 or 美元 (人民币 {example}) on {count} row(s) is more than any real figure "
                    f"({IMPLAUSIBLE_VALUE['CNY']:,.0f} yuan, {IMPLAUSIBLE_VALUE['USD']:,.0f} US dollars)",
                )
            elif (contradiction := _against_bulletin(con, extract, value_cny)) is not None:
                refused[extract.key] = contradiction
    return refused


def _repeated_record(con: duckdb.DuckDBPyConnection, extract: TranscodedExtract, load_id: str,
                     relation: str) -> ContractViolation:
    line, first, *key = con.execute(
        f"""
        SELECT source_row, first_line, {", ".join(GRAIN)}
        FROM (SELECT *, min(source_row) OVER (PARTITION BY {", ".join(GRAIN)}) AS first_line
              FROM {relation} WHERE load_id = ?)
        WHERE source_row > first_line ORDER BY source_row LIMIT 1
        """,
        [load_id],
    ).fetchone()
    shown = ", ".join(f"{_HEADER_NAMES[column]} {value}" for column, value in zip(GRAIN, key))
    return ContractViolation(
        "duplicate_record",
        f"line {line} repeats line {first} at the extract's grain ({extract.reference_month:%Y%m}, {shown}): "
        "one row per period, HS code, partner, trade mode and province",
    )


def _against_bulletin(con: duckdb.DuckDBPyConnection, extract: TranscodedExtract, value_cny) -> ContractViolation | None:
    """The extract against the latest loaded bulletin of its period released by its own
    release (a later bulletin correction is dbt's to reconcile), else the latest loaded."""
    bulletin = con.execute(
        """
        SELECT month_value, source_file FROM raw.bulletin_totals
        WHERE reference_month = ? AND flow = ? AND currency = 'CNY'
        ORDER BY coalesce(vintage <= ?, true) DESC, vintage DESC LIMIT 1
        """,
        [extract.reference_month, extract.flow, extract.vintage],
    ).fetchone()
    if bulletin is None or not bulletin[0]:
        return None
    expected, source = bulletin
    if abs(value_cny - expected) <= DETAIL_RECONCILIATION_FRACTION * expected:
        return None
    return ContractViolation(
        "contradicts_bulletin",
        f"{extract.flow} extract for {extract.reference_month:%Y-%m}: its 人民币 add up to {value_cny:,.0f} yuan, "
        f"{(value_cny - expected) / expected:+.2%} off the {expected:,.0f} yuan of {source}; the contract allows "
        f"{DETAIL_RECONCILIATION_FRACTION:.1%}: the extract (or the bulletin) is not the right file",
    )
