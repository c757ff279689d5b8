"""A raw lake written from a DuckDB warehouse's raw tables, in the loader's layout:
<lake>/raw/<table>/reference_month=YYYY-MM-DD/<load_id>.parquet, one file per load and
month, and the audit snapshot <lake>/load_audit/load_audit.parquet. For a warehouse whose
loader wrote no lake (a build from before the lake); each file is written under a hidden
name and renamed, as the loader does."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb

AUDIT_TABLE = "load_audit"


def export_lake(warehouse_db: Path, lake: Path) -> int:
    """Writes every raw table of ``warehouse_db`` into ``lake``; returns the files written."""
    written = 0
    with duckdb.connect(str(warehouse_db), read_only=True) as con:
        tables = [
            name
            for (name,) in con.execute(
                "select table_name from information_schema.tables where table_schema = 'raw' order by 1"
            ).fetchall()
            if name != AUDIT_TABLE
        ]
        for table in tables:
            slices = con.execute(
                f"select distinct load_id, reference_month from raw.{table} order by 1, 2"
            ).fetchall()
            for load_id, month in slices:
                folder = lake / "raw" / table / f"reference_month={month.isoformat()}"
                _copy(
                    con,
                    f"select * exclude (reference_month) from raw.{table}"
                    f" where load_id = '{load_id}' and reference_month = date '{month.isoformat()}'",
                    folder / f"{load_id}.parquet",
                )
                written += 1
        _copy(con, f"select * from raw.{AUDIT_TABLE}", lake / AUDIT_TABLE / f"{AUDIT_TABLE}.parquet")
    return written + 1


def _copy(con: duckdb.DuckDBPyConnection, query: str, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    hidden = path.with_name(f".{path.name}.tmp")
    con.execute(f"copy ({query}) to '{hidden}' (format parquet)")
    os.replace(hidden, path)
