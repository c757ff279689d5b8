"""Checks a candidate publication before readers can see it.

Each check returns human-readable problems instead of raising, so one run reports every
reason a publication was refused."""

from __future__ import annotations

import duckdb

from orchestration.publish.bi_contract import (
    FLOW_BALANCE_TOLERANCE_CNY,
    KEYS,
    REQUIRED_COLUMNS,
    SCHEMA,
)


def problems(con: duckdb.DuckDBPyConnection, expected_rows: dict[str, int]) -> list[str]:
    """Every way the marts behind ``con`` break the contract or differ from the source."""
    columns = _columns(con)
    found = (
        _missing_contract(columns)
        + _row_count_mismatches(con, expected_rows, columns)
        + _duplicate_keys(con, columns)
    )
    if set(REQUIRED_COLUMNS["fct_trade_monthly"]) <= columns.get("fct_trade_monthly", set()):
        found += _unbalanced_flows(con)
    return found


def _columns(con: duckdb.DuckDBPyConnection) -> dict[str, set[str]]:
    rows = con.execute(
        "select table_name, column_name from information_schema.columns"
        " where table_catalog = current_database() and table_schema = ?",
        [SCHEMA],
    ).fetchall()
    columns: dict[str, set[str]] = {}
    for table, column in rows:
        columns.setdefault(table, set()).add(column)
    return columns


def _missing_contract(columns: dict[str, set[str]]) -> list[str]:
    found = []
    for table, required in REQUIRED_COLUMNS.items():
        if table not in columns:
            found.append(f"{SCHEMA}.{table} is missing")
            continue
        missing = [c for c in required if c not in columns[table]]
        if missing:
            found.append(f"{SCHEMA}.{table} lacks columns {', '.join(missing)}")
    return found


def _row_count_mismatches(
    con: duckdb.DuckDBPyConnection, expected_rows: dict[str, int], columns: dict[str, set[str]]
) -> list[str]:
    found = []
    for table, expected in expected_rows.items():
        if table not in columns:
            found.append(f"{SCHEMA}.{table} was copied but is not in the publication")
            continue
        actual = con.execute(f'select count(*) from {SCHEMA}."{table}"').fetchone()[0]
        if actual != expected:
            found.append(f"{SCHEMA}.{table} has {actual} rows, the source has {expected}")
    return found


def _duplicate_keys(con: duckdb.DuckDBPyConnection, columns: dict[str, set[str]]) -> list[str]:
    found = []
    for table, key in KEYS.items():
        if not set(key) <= columns.get(table, set()):
            continue  # already reported as a missing table or column
        key_sql = ", ".join(f'"{c}"' for c in key)
        duplicated = con.execute(
            f'select count(*) from (select 1 from {SCHEMA}."{table}"'
            f" group by {key_sql} having count(*) > 1)"
        ).fetchone()[0]
        if duplicated:
            found.append(f"{SCHEMA}.{table}: {duplicated} duplicated keys ({key_sql})")
    return found


def _unbalanced_flows(con: duckdb.DuckDBPyConnection) -> list[str]:
    rows = con.execute(
        f"""
        select period_start,
               sum(value_cny) filter (where flow = 'total') as total,
               sum(value_cny) filter (where flow in ('exports', 'imports')) as parts
        from {SCHEMA}.fct_trade_monthly
        group by period_start
        having count(*) filter (where flow = 'total') = 1
           and count(*) filter (where flow in ('exports', 'imports')) = 2
           and abs(total - parts) > ?
        order by period_start
        """,
        [FLOW_BALANCE_TOLERANCE_CNY],
    ).fetchall()
    return [
        f"fct_trade_monthly {start}: exports + imports = {parts}, total = {total}"
        for start, total, parts in rows
    ]
