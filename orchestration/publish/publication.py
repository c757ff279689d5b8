"""Publishes the warehouse's marts to a separate DuckDB file and Parquet set for BI readers.

DuckDB allows one writer per file and a writer blocks every other process, readers
included, so readers never open the working warehouse. They open
``<published_dir>/trade.duckdb``, which is only ever replaced by an atomic rename: a
reader connected before the rename keeps the old inode (a consistent snapshot), a reader
connecting afterwards gets the new file. The Parquet set is swapped the same way, by
replacing the ``parquet`` symlink that points into ``parquet-versions/<publication_id>``.

The file is written in DuckDB's storage version v1.0.0, which every DuckDB from 1.0 on
reads (the DuckDB inside BI tools lags 2.x). DuckDB names the catalog after the file,
``trade``, so ``marts.<table>`` resolves to the schema with no USE or alias.

Layout of ``published_dir``::

    trade.duckdb                    the current publication (read-only file)
    parquet -> parquet-versions/ID  the current Parquet set
    parquet-versions/ID/T.parquet   the last few sets; readers may still hold old ones
    publication.json                id, time, row counts and checksums of the current one
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from orchestration.publish import verification
from orchestration.publish.bi_contract import FRESH, PUBLICATION_TABLE, SCHEMA, STALE

DB_NAME = "trade.duckdb"
STORAGE_VERSION = "v1.0.0"
READER_CATALOG = Path(DB_NAME).stem
PARQUET_LINK = "parquet"
VERSIONS_DIR = "parquet-versions"
MANIFEST_NAME = "publication.json"
# Readers that resolved the symlink just before a swap still read the previous set, so
# it stays on disk for a while; older sets go.
KEEP_PARQUET_VERSIONS = 3
_STAGING_SUFFIX = ".staging"
_READ_ONLY = 0o444


class PublicationError(RuntimeError):
    """A publication was refused; the previous one is still served unchanged."""


@dataclass(frozen=True)
class PublicationResult:
    publication_id: str
    path: Path
    row_counts: dict[str, int]
    parquet_dir: Path


@dataclass(frozen=True)
class PublicationState:
    """What the ``publication`` table says about the marts beside it."""

    status: str  # fresh | stale
    stale_reason: str | None
    marts_published_at: datetime  # when these marts were first published
    published_at: datetime  # when this publication was swapped in

    @property
    def is_stale(self) -> bool:
        return self.status == STALE


def publication_state(con: duckdb.DuckDBPyConnection) -> PublicationState:
    """The publication table's row, read through a connection to a publication."""
    row = con.execute(
        f"select status, stale_reason, marts_published_at, published_at from {SCHEMA}.{PUBLICATION_TABLE}"
    ).fetchone()
    if row is None:
        raise LookupError(f"{SCHEMA}.{PUBLICATION_TABLE} is empty")
    return PublicationState(*row)


def publish(
    warehouse_db: Path | duckdb.DuckDBPyConnection,
    published_dir: Path,
    tables: list[str] | None = None,
) -> PublicationResult:
    """Copies schema ``marts`` (or ``tables`` of it) of the warehouse into a new
    publication, status fresh, verifies it and swaps it in atomically.

    ``warehouse_db`` is the warehouse file (opened read-only here) or an open connection
    to it, for a caller that already holds the warehouse. ``tables`` may add tables or
    pick some, but every BI-contract table must be published. Raises PublicationError,
    with every staged file removed, if anything fails before the swap."""
    now = datetime.now(UTC)
    state = PublicationState(FRESH, None, marts_published_at=now, published_at=now)
    return _stage_and_swap(
        Path(published_dir),
        lambda staged_db: _copy_marts(warehouse_db, staged_db, tables, state),
        source="connection" if isinstance(warehouse_db, duckdb.DuckDBPyConnection) else str(warehouse_db),
    )


def publish_parquet_marts(marts_dir: Path, published_dir: Path) -> PublicationResult:
    """Publishes the marts a Spark target built: each table is a folder of Parquet files,
    ``marts_dir/<table>/*.parquet``, read here as DuckDB views and published as
    ``publish`` publishes the warehouse's (same file, Parquet set and verification)."""
    folders = sorted(folder for folder in Path(marts_dir).glob("*") if any(folder.glob("*.parquet")))
    if not folders:
        raise PublicationError(f"no Parquet marts in {marts_dir}")
    with duckdb.connect() as con:
        con.execute(f"create schema {SCHEMA}")
        for folder in folders:
            con.execute(
                f'create view {SCHEMA}."{folder.name}" as'
                f" select * from read_parquet({_sql_string(folder / '*.parquet')})"
            )
        return publish(con, published_dir)


def republish_stale(published_dir: Path, reason: str) -> PublicationResult:
    """Republishes the current publication's marts unchanged, marked stale with ``reason``:
    what a refresh does when it cannot publish new marts, so readers see that the data
    is older than the latest refresh and why. Raises PublicationError when nothing has
    been published yet."""
    published_dir = Path(published_dir)
    current = published_dir / DB_NAME

    def copy_current(staged_db: Path) -> dict[str, int]:
        if not current.exists():
            raise PublicationError(f"nothing published yet to mark stale ({reason})")
        with _open_read_only(current) as source:
            first_published = publication_state(source).marts_published_at
            state = PublicationState(STALE, reason, first_published, published_at=datetime.now(UTC))
            return _copy_with(source, staged_db, None, state)

    return _stage_and_swap(published_dir, copy_current, source=str(current))


def _stage_and_swap(
    published_dir: Path, copy: Callable[[Path], dict[str, int]], source: str
) -> PublicationResult:
    (published_dir / VERSIONS_DIR).mkdir(parents=True, exist_ok=True)
    publication_id = _new_publication_id()
    staged_db = published_dir / f".{DB_NAME}.{publication_id}{_STAGING_SUFFIX}"
    version_dir = published_dir / VERSIONS_DIR / publication_id
    staged_link = published_dir / f".{PARQUET_LINK}.{publication_id}{_STAGING_SUFFIX}"
    staged_manifest = published_dir / f".{MANIFEST_NAME}.{publication_id}{_STAGING_SUFFIX}"
    staged = [staged_db, Path(f"{staged_db}.wal"), version_dir, staged_link, staged_manifest]

    with _exclusive_lock(published_dir):
        _remove(_leftover_staging(published_dir))
        try:
            _check_swappable(published_dir)
            row_counts = copy(staged_db)
            with _open_read_only(staged_db) as con:
                found = verification.problems(con, row_counts)
                if found:
                    raise PublicationError("verification failed: " + "; ".join(found))
                checksums = _write_parquet(con, version_dir, row_counts)
            os.chmod(staged_db, _READ_ONLY)
            os.symlink(Path(VERSIONS_DIR) / publication_id, staged_link)
            manifest = _manifest(publication_id, source, row_counts, checksums, staged_db)
            _write_durably(staged_manifest, json.dumps(manifest, indent=2, ensure_ascii=False))
        except Exception as exc:
            _remove(staged)
            if isinstance(exc, PublicationError):
                raise
            raise PublicationError(f"publication {publication_id} failed: {exc}") from exc

        # Everything is staged and verified; from here on only renames, each atomic.
        os.replace(staged_db, published_dir / DB_NAME)
        os.replace(staged_link, published_dir / PARQUET_LINK)
        os.replace(staged_manifest, published_dir / MANIFEST_NAME)
        _remove(_stale_versions(published_dir))

    return PublicationResult(
        publication_id=publication_id,
        path=published_dir / DB_NAME,
        row_counts=row_counts,
        parquet_dir=version_dir,
    )


def open_published(published_dir: Path) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the current publication, for BI readers: it takes no
    write lock and cannot write."""
    path = Path(published_dir) / DB_NAME
    if not path.exists():
        raise FileNotFoundError(f"nothing published yet: {path}")
    return _open_read_only(path)


def current_parquet_dir(published_dir: Path) -> Path:
    """The current Parquet set's directory, the symlink resolved once. Readers read
    from here rather than through ``parquet/``: DuckDB opens a Parquet file at bind and
    again at scan, and a swap in between would pair one file's footer with another's data."""
    return (Path(published_dir) / PARQUET_LINK).resolve(strict=True)


def _open_read_only(path: Path) -> duckdb.DuckDBPyConnection:
    # duckdb.connect(path) shares one instance per path within a process, and that instance
    # keeps the file it opened: after a swap, a new connection would still read the old
    # publication. Each reader attaches the file in an instance of its own instead, under
    # the catalog name a BI tool opening the file gets.
    con = duckdb.connect()
    con.execute(f"attach {_sql_string(path)} as {READER_CATALOG} (read_only)")
    con.execute(f"use {READER_CATALOG}")
    return con


def _check_swappable(published_dir: Path) -> None:
    # A rename cannot replace a real directory with the symlink; find out before the swap.
    link = published_dir / PARQUET_LINK
    if link.exists() and not link.is_symlink():
        raise PublicationError(f"{link} is not a symlink; move it away to publish")


def _sql_string(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def _new_publication_id() -> str:
    # Sorts by time; the suffix keeps two publications in the same microsecond apart.
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ") + "-" + uuid.uuid4().hex[:6]


@contextmanager
def _exclusive_lock(published_dir: Path) -> Iterator[None]:
    """Serialises publishers (readers never take it): two at once would race on the
    symlink and prune each other's versions."""
    with open(published_dir / ".publish.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _copy_marts(
    warehouse_db: Path | duckdb.DuckDBPyConnection,
    target: Path,
    tables: list[str] | None,
    state: PublicationState,
) -> dict[str, int]:
    """Copies the tables into schema marts of a new file; returns source row counts."""
    if isinstance(warehouse_db, duckdb.DuckDBPyConnection):
        return _copy_with(warehouse_db, target, tables, state)
    if not Path(warehouse_db).exists():
        raise PublicationError(f"warehouse not found: {warehouse_db}")
    with duckdb.connect(str(warehouse_db), read_only=True) as source:
        return _copy_with(source, target, tables, state)


def _copy_with(
    source: duckdb.DuckDBPyConnection,
    target: Path,
    tables: list[str] | None,
    state: PublicationState,
) -> dict[str, int]:
    """The tables, then the publication table that describes them, into a new file."""
    catalog = source.execute("select current_database()").fetchone()[0]
    # The publication table describes the copy, so it is written here, never copied.
    names = [t for t in (tables if tables is not None else _marts_tables(source)) if t != PUBLICATION_TABLE]
    # A read-only connection attaches read-only by default; the new file must be writable.
    source.execute(
        f"attach {_sql_string(target)} as publication_target"
        f" (read_write, storage_version '{STORAGE_VERSION}')"
    )
    try:
        source.execute(f"create schema publication_target.{SCHEMA}")
        counts: dict[str, int] = {}
        # One transaction: the copies and their counts come from one snapshot.
        source.execute("begin")
        try:
            for table in names:
                origin = f'"{catalog}".{SCHEMA}."{table}"'
                source.execute(
                    f'create table publication_target.{SCHEMA}."{table}"'
                    f" as select * from {origin}"
                )
                counts[table] = source.execute(f"select count(*) from {origin}").fetchone()[0]
            counts[PUBLICATION_TABLE] = _write_publication_row(source, "publication_target", state)
            source.execute("commit")
        except Exception:
            source.execute("rollback")
            raise
        source.execute("checkpoint publication_target")
    finally:
        source.execute("detach publication_target")
    return counts


def _write_publication_row(
    con: duckdb.DuckDBPyConnection, catalog: str, state: PublicationState
) -> int:
    con.execute(
        f"""
        create table {catalog}.{SCHEMA}.{PUBLICATION_TABLE} as
        select ?::timestamptz                      as published_at,
               (select max(period_start) from {catalog}.{SCHEMA}.fct_trade_monthly)
                                                   as latest_period_start,
               ?::varchar                          as status,
               ?::varchar                          as stale_reason,
               ?::timestamptz                      as marts_published_at
        """,
        [state.published_at, state.status, state.stale_reason, state.marts_published_at],
    )
    return 1


def _marts_tables(source: duckdb.DuckDBPyConnection) -> list[str]:
    # dbt may materialise marts as views; they are published as tables all the same.
    rows = source.execute(
        "select table_name from information_schema.tables"
        " where table_catalog = current_database() and table_schema = ?"
        " order by table_name",
        [SCHEMA],
    ).fetchall()
    return [name for (name,) in rows]


def _write_parquet(
    con: duckdb.DuckDBPyConnection, version_dir: Path, row_counts: dict[str, int]
) -> dict[str, str]:
    """Writes one Parquet file per table from the verified publication; returns sha256s."""
    version_dir.mkdir()
    checksums = {}
    for table, rows in row_counts.items():
        path = version_dir / f"{table}.parquet"
        con.execute(f'copy {SCHEMA}."{table}" to {_sql_string(path)} (format parquet)')
        written = con.execute(f"select count(*) from read_parquet({_sql_string(path)})").fetchone()[0]
        if written != rows:
            raise PublicationError(f"{path.name} has {written} rows, expected {rows}")
        os.chmod(path, _READ_ONLY)
        checksums[table] = _sha256(path)
    return checksums


def _manifest(
    publication_id: str,
    source: str,
    row_counts: dict[str, int],
    checksums: dict[str, str],
    staged_db: Path,
) -> dict:
    return {
        "publication_id": publication_id,
        "published_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "source": source,
        "database": {"path": DB_NAME, "sha256": _sha256(staged_db)},
        "parquet_dir": f"{VERSIONS_DIR}/{publication_id}",
        "tables": {
            table: {
                "rows": rows,
                "parquet": f"{VERSIONS_DIR}/{publication_id}/{table}.parquet",
                "sha256": checksums[table],
            }
            for table, rows in row_counts.items()
        },
    }


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _write_durably(path: Path, text: str) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())


def _stale_versions(published_dir: Path) -> list[Path]:
    """Parquet sets beyond the newest few, never the one the symlink points to."""
    current = (published_dir / PARQUET_LINK).resolve()
    versions = sorted(
        p for p in (published_dir / VERSIONS_DIR).iterdir() if not p.name.startswith(".")
    )
    return [p for p in versions[:-KEEP_PARQUET_VERSIONS] if p.resolve() != current]


def _leftover_staging(published_dir: Path) -> list[Path]:
    """Staged files of a publisher that died; safe to delete while holding the lock."""
    return [p for p in published_dir.iterdir() if _STAGING_SUFFIX in p.name]


def _remove(paths: list[Path]) -> None:
    for path in paths:
        if path.is_symlink() or path.is_file():
            path.unlink()
        elif path.is_dir():
            shutil.rmtree(path)
