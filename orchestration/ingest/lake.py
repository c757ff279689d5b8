"""The raw layer as an open lake: Parquet files in hive layout, one immutable file per load.

    <lake>/raw/<table>/reference_month=YYYY-MM-DD/<load_id>.parquet

The tables and columns are those of raw_schema.sql; reference_month is only in the path.
A file is written under a hidden temporary name (``.<load_id>.<pid>.parquet.tmp``, which
neither a ``*.parquet`` glob nor Spark reads), made durable, and renamed to its final name
only once its load's audit row has committed: every visible file belongs to an accepted
load. A load killed before its commit leaves hidden files only; one killed between the
commit and the renames leaves hidden files of an accepted load. ``sweep`` settles both, and
removes the files of loads that a later load of the same slice replaced.

The DuckDB warehouse reads the lake through views ``raw.<table>`` that show only the rows
of live loads (``load_audit.LIVE_LOADS_SQL``).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from datetime import date
from functools import cache
from pathlib import Path

import duckdb

from orchestration.ingest import load_audit
from orchestration.processes import process_alive

RAW_SCHEMA_SQL = Path(__file__).with_name("raw_schema.sql")
PARTITION_COLUMN = "reference_month"
TEMPORARY_SUFFIX = ".parquet.tmp"


class LakeWriteFailed(Exception):
    """Writing a load's Parquet failed (a full disk, a read-only lake): nothing of it is visible."""


@cache
def lake_tables() -> dict[str, list[tuple[str, str, bool]]]:
    """Each raw table of raw_schema.sql: its (column, type, nullable) in order."""
    with duckdb.connect() as layout:
        layout.execute(RAW_SCHEMA_SQL.read_text())
        rows = layout.execute(
            "SELECT table_name, column_name, data_type, is_nullable = 'YES' FROM information_schema.columns "
            "WHERE table_schema = 'raw' ORDER BY table_name, ordinal_position"
        ).fetchall()
    tables: dict[str, list[tuple[str, str, bool]]] = {}
    for table, column, kind, nullable in rows:
        tables.setdefault(table, []).append((column, kind, nullable))
    return tables


def file_columns(table: str) -> list[str]:
    """The columns a lake file of ``table`` holds: all but the partition column."""
    return [column for column, _, _ in lake_tables()[table] if column != PARTITION_COLUMN]


def partition_dir(lake: Path, table: str, reference_month: date) -> Path:
    return lake / "raw" / table / f"{PARTITION_COLUMN}={reference_month:%Y-%m-%d}"


def final_path(temporary: Path) -> Path:
    load_id = temporary.name[1:].split(".")[0]
    return temporary.with_name(f"{load_id}.parquet")


def write_temporary(con: duckdb.DuckDBPyConnection, rows_sql: str, lake: Path, table: str,
                    reference_month: date, load_id: str, parameters: dict | None = None) -> tuple[Path, int]:
    """COPY ``rows_sql`` (a SELECT of ``file_columns(table)``, with ``parameters``) to a
    hidden file of the load's partition, flushed to disk; its path and row count. Nothing is
    left behind when it fails."""
    folder = partition_dir(lake, table, reference_month)
    temporary = folder / f".{load_id}.{os.getpid()}{TEMPORARY_SUFFIX}"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        count = con.execute(f"COPY ({rows_sql}) TO '{_quoted(temporary)}' (FORMAT parquet)", parameters or {}).fetchone()[0]
        _fsync(temporary)
    except (OSError, duckdb.IOException) as error:
        temporary.unlink(missing_ok=True)
        raise LakeWriteFailed(f"could not write {table} rows to the lake at {lake}: {_strerror(error)}") from error
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return temporary, count


def publish(temporaries: Iterable[Path]) -> None:
    """Give committed loads' files their final names: visible from now on."""
    folders = set()
    for temporary in temporaries:
        os.replace(temporary, final_path(temporary))
        folders.add(temporary.parent)
    for folder in folders:
        _fsync(folder)


def discard(temporaries: Iterable[Path]) -> None:
    for temporary in temporaries:
        temporary.unlink(missing_ok=True)


def sweep(con: duckdb.DuckDBPyConnection, lake: Path) -> None:
    """Settle what earlier loads left: hidden files of a live load are renamed (its commit
    was done), those of a dead process removed, and visible files of loads the audit knows
    but that are no longer live (replaced by a load of the same slice) removed. Visible files
    of loads this audit does not know are left alone: another warehouse may share the lake."""
    files = [path for path in (lake / "raw").glob("*/*/*") if path.is_file()]
    if not files:
        return
    live = load_audit.live_loads(con)
    settled = []
    for path in files:
        if not path.name.endswith(TEMPORARY_SUFFIX):
            continue
        if _load_id(path) in live:
            settled.append(path)
        elif (writer := _writer_pid(path)) is not None and not process_alive(writer):
            path.unlink(missing_ok=True)
    publish(settled)
    remove_replaced(con, [path for path in files if path.name.endswith(".parquet")], live)


def remove_replaced(con: duckdb.DuckDBPyConnection, files: list[Path], live: set[str] | None = None) -> None:
    """Remove the visible ``files`` whose loads the audit knows and that are no longer live."""
    live = load_audit.live_loads(con) if live is None else live
    known = load_audit.known_loads(con, [_load_id(path) for path in files])
    for path in files:
        if _load_id(path) in known and _load_id(path) not in live:
            path.unlink(missing_ok=True)


def visible_files(lake: Path, tables: Iterable[str], reference_month: date) -> list[Path]:
    return [path for table in tables for path in partition_dir(lake, table, reference_month).glob("*.parquet")]


def create_views(con: duckdb.DuckDBPyConnection, lake: Path) -> None:
    """``raw.<table>`` over the lake's files of ``table`` (hive partitions, reference_month a
    DATE), rows of live loads only; typed and empty while the table has no file, as
    read_parquet refuses a pattern that matches nothing."""
    for table, columns in lake_tables().items():
        existing = con.execute(
            "SELECT table_type FROM information_schema.tables WHERE table_schema = 'raw' AND table_name = ?",
            [table],
        ).fetchone()
        if existing and existing[0] != "VIEW":
            raise RuntimeError(
                f"raw.{table} in this warehouse is a table from before the raw layer moved to the lake ({lake}); "
                "start from an empty warehouse (make clean) and load the landing zone again"
            )
        pattern = lake / "raw" / table / "*" / "*.parquet"
        if any(pattern.parent.parent.glob("*/*.parquet")):
            typed = ", ".join(f"CAST({column} AS {kind}) AS {column}" for column, kind, _ in columns)
            body = (
                f"SELECT {typed} FROM read_parquet('{_quoted(pattern)}', hive_partitioning = true, "
                f"hive_types = {{'{PARTITION_COLUMN}': 'DATE'}}) "
                f"WHERE load_id IN ({load_audit.LIVE_LOADS_SQL})"
            )
        else:
            body = "SELECT " + ", ".join(f"CAST(NULL AS {kind}) AS {column}" for column, kind, _ in columns) + " WHERE false"
        con.execute(f"CREATE OR REPLACE VIEW raw.{table} AS {body}")


def _load_id(path: Path) -> str:
    return path.name.lstrip(".").split(".")[0]


def _writer_pid(temporary: Path) -> int | None:
    parts = temporary.name[1:].split(".")
    return int(parts[1]) if len(parts) > 2 and parts[1].isdigit() else None


def _quoted(path: Path) -> str:
    return str(path).replace("'", "''")


def _strerror(error: BaseException) -> str:
    return error.strerror if isinstance(error, OSError) and error.strerror else str(error).splitlines()[0]


def _fsync(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
