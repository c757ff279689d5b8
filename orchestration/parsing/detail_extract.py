"""The detailed customs extract (customs_detail/*.csv, GB18030, CRLF) -> a DuckDB table.

The extract runs to tens of millions of rows, so nothing here touches rows in Python:
the file is transcoded to UTF-8 in fixed-size chunks (checking the encoding strictly on
the way), DuckDB reads it with a fixed schema, and the contract is checked with
set-based SQL on the staged table.
"""

from __future__ import annotations

import codecs
from datetime import date
from pathlib import Path

import duckdb

from orchestration.parsing.errors import ContractViolation

DETAIL_HEADER = (
    "数据年月,商品编码,商品名称,贸易伙伴编码,贸易伙伴名称,贸易方式编码,"
    "贸易方式名称,注册地编码,注册地名称,第一数量,第一计量单位,第二数量,"
    "第二计量单位,人民币,美元"
)
SOURCE_ENCODING = "gb18030"
# A numeric field as text (RE2 syntax): [0-9] is ASCII only.
PLAIN_NUMBER = r"-?[0-9]+(\.[0-9]+)?"
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


def transcode_to_utf8(src: Path, dst: Path, chunk_bytes: int = 4 << 20) -> int:
    """Check the header, decode GB18030 strictly chunk by chunk, write UTF-8 to ``dst``.

    Line ends are copied as they are (CRLF). Returns the number of lines, header included.
    """
    decoder = codecs.getincrementaldecoder(SOURCE_ENCODING)("strict")
    with open(src, "rb") as source, open(dst, "wb") as target:
        # long enough for the header in UTF-8 with a BOM too, to recognise that mistake
        header_line = source.readline(len(codecs.BOM_UTF8 + DETAIL_HEADER.encode("utf-8")) + 2)
        _check_header(header_line)
        offset, lines, last = 0, 0, b""
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
            target.write(text.encode("utf-8"))
            offset += len(chunk)
            lines += chunk.count(b"\n")
            last = chunk
            chunk = source.read(chunk_bytes)
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            raise ContractViolation(
                "unreadable", f"not valid {SOURCE_ENCODING}: the file ends inside a character (byte offset {offset})"
            ) from None
    if not last.endswith(b"\n"):
        # Every line ends in CRLF; without one the last record was cut off (DuckDB would
        # silently drop a record cut inside a quoted field).
        raise ContractViolation(
            "unreadable", f"truncated: the file ends inside line {lines + 1}, without a line end (byte offset {offset})"
        )
    return lines


def _check_header(line: bytes) -> None:
    found = line.rstrip(b"\r\n")
    if found == DETAIL_HEADER.encode(SOURCE_ENCODING):
        return
    if not found:
        raise ContractViolation("wrong_layout", "line 1: the file is empty or starts with a blank line, no header")
    if found.removeprefix(codecs.BOM_UTF8) == DETAIL_HEADER.encode("utf-8"):
        raise ContractViolation(
            "wrong_layout", "line 1: the header is UTF-8 encoded; the extract must be delivered in GB18030"
        )
    shown = found.decode(SOURCE_ENCODING, errors="replace")
    raise ContractViolation("wrong_layout", f"line 1: expected the header {DETAIL_HEADER!r}, found {shown!r}")


def _quote_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def stage_detail(con: duckdb.DuckDBPyConnection, utf8_path: Path, table: str) -> None:
    """Create TEMP table ``table`` from a transcoded extract: raw.customs_detail's file
    columns plus ``source_row`` (line number; the header is line 1).

    ``parallel=false`` makes DuckDB read the file in order on one thread, so
    ``row_number() OVER ()`` follows the file's records (read_csv offers no row number of
    its own). A record is one line: fields of the extract never contain line breaks.
    Every field is read as text first: DuckDB's number parser accepts "1_000", so the
    numeric columns are checked for plain ASCII numbers before they are cast.
    """
    text_table = _quote_identifier(f"{table}_text")
    columns = ", ".join(f"'{name}': 'VARCHAR'" for name in DETAIL_COLUMNS)
    select_list = ", ".join(DETAIL_COLUMNS)
    sql = f"""
        CREATE OR REPLACE TEMP TABLE {text_table} AS
        SELECT {select_list}, CAST(row_number() OVER () + 1 AS INTEGER) AS source_row
        FROM read_csv(
            $path,
            columns = {{{columns}}},
            header = true, auto_detect = false, delim = ',', quote = '"', escape = '"',
            encoding = 'utf-8', strict_mode = true, null_padding = false, parallel = false
        )
    """
    try:
        con.execute(sql, {"path": str(utf8_path)})
        _check_numeric_text(con, text_table)
        typed = ", ".join(
            name if kind == "VARCHAR" else f"CAST({name} AS {kind}) AS {name}" for name, kind in DETAIL_COLUMNS.items()
        )
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {_quote_identifier(table)} AS SELECT {typed}, source_row FROM {text_table}"
        )
    except duckdb.ConversionException as exc:  # e.g. a number too large for its column
        raise ContractViolation("bad_value", f"a value does not convert: {_csv_error(exc)}") from None
    except duckdb.InvalidInputException as exc:  # e.g. a line with the wrong number of fields
        raise ContractViolation("wrong_layout", f"the CSV does not parse: {_csv_error(exc)}") from None
    finally:
        con.execute(f"DROP TABLE IF EXISTS {text_table}")


def _check_numeric_text(con: duckdb.DuckDBPyConnection, text_table: str) -> None:
    """Refuse, naming the line, column and value, a numeric field that is not a plain ASCII
    number: thousands separators and full-width digits are refused, never guessed."""
    numeric = [name for name, kind in DETAIL_COLUMNS.items() if kind != "VARCHAR"]
    aggregates = ", ".join(
        f"min(source_row) FILTER (WHERE {name} IS NOT NULL AND NOT regexp_full_match({name}, $pattern)), "
        f"arg_min({name}, source_row) FILTER (WHERE {name} IS NOT NULL AND NOT regexp_full_match({name}, $pattern))"
        for name in numeric
    )
    found = con.execute(f"SELECT {aggregates} FROM {text_table}", {"pattern": PLAIN_NUMBER}).fetchone()
    header = dict(zip(DETAIL_COLUMNS, DETAIL_HEADER.split(",")))
    for index, name in enumerate(numeric):
        line, value = found[2 * index : 2 * index + 2]
        if line is not None:
            raise ContractViolation(
                "bad_value",
                f"a value does not convert: CSV Error on Line: {line}: column {name} ({header[name]}) {value!r} "
                "is not a plain number (ASCII digits, optional sign and decimal point; "
                "no thousands separators or full-width digits)",
            )


def _csv_error(exc: duckdb.Error) -> str:
    """DuckDB's account of the bad line, without its reader settings and tuning tips,
    which speak of options we set on purpose."""
    text = str(exc)
    for tail in ("\nPossible ", "\nColumn ", "\n  file ="):
        text = text.split(tail)[0]
    return " | ".join(line.strip() for line in text.splitlines() if line.strip())


def _code_check(label: str, column: str, digits: int) -> tuple[str, str, str, str]:
    condition = f"{column} IS NULL OR NOT regexp_full_match({column}, '[0-9]{{{digits}}}')"
    return ("bad_value", f"{label} is not {digits} digits", condition, column)


def _checks(period: str) -> list[tuple[str, str, str, str]]:
    """(reason, what is wrong, SQL condition on a bad row, SQL of the value to show)."""
    return [
        ("wrong_period", f"数据年月 is not {period}", "data_month IS DISTINCT FROM $period", "data_month"),
        ("bad_value", "人民币 is empty", "value_cny IS NULL", "value_cny"),
        ("bad_value", "美元 is empty", "value_usd IS NULL", "value_usd"),
        ("negative_value", "人民币 is negative", "value_cny < 0", "value_cny"),
        ("negative_value", "美元 is negative", "value_usd < 0", "value_usd"),
        ("negative_value", "第一数量 is negative", "quantity_1 < 0", "quantity_1"),
        ("negative_value", "第二数量 is negative", "quantity_2 < 0", "quantity_2"),
        _code_check("商品编码", "hs_code", 8),
        _code_check("贸易伙伴编码", "partner_code", 3),
        _code_check("贸易方式编码", "trade_mode_code", 2),
        _code_check("注册地编码", "province_code", 2),
    ]


def validate_staged_detail(con: duckdb.DuckDBPyConnection, table: str, reference_month: date, flow: str) -> None:
    """Refuse the staged extract at the first contract check any row fails, in one scan."""
    checks = _checks(f"{reference_month:%Y%m}")
    aggregates = ", ".join(
        f"count(*) FILTER (WHERE {condition}), "
        f"arg_min(CAST({shown} AS VARCHAR), source_row) FILTER (WHERE {condition}), "
        f"min(source_row) FILTER (WHERE {condition})"
        for _, _, condition, shown in checks
    )
    period = {"period": f"{reference_month:%Y%m}"}  # a parameter: nothing from the file name is pasted into SQL
    result = con.execute(f"SELECT {aggregates} FROM {_quote_identifier(table)}", period).fetchone()
    for index, (reason, problem, _, _) in enumerate(checks):
        count, example, line = result[3 * index : 3 * index + 3]
        if count:
            raise ContractViolation(
                reason,
                f"{flow} extract for {reference_month:%Y-%m}: {problem} on {count} row(s), "
                f"e.g. line {line} ({example!r})",
            )
