"""raw.load_audit: every statement that reads or writes the load audit, each once.

The table holds one row per landing file the loader decided on: loaded, superseded,
duplicate or refused. It stays in the DuckDB warehouse, where the loader's transactions
commit it; after every loader run a snapshot of it goes to the lake
(``<lake>/load_audit/load_audit.parquet``) for engines that read the lake. The loader, the
lake, the sensors and the freshness checks ask it through these functions only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone

import os
from pathlib import Path

import duckdb

# A file with one of these statuses has its rows in raw (the latest vintage wins in the marts).
ACCEPTED_STATUSES = ("loaded", "superseded")
_ACCEPTED = f"status IN {ACCEPTED_STATUSES}"

CREATE_SQL = """
CREATE TABLE IF NOT EXISTS raw.load_audit (
    load_id           VARCHAR PRIMARY KEY,
    feed              VARCHAR NOT NULL,   -- customs_bulletin | customs_detail | corridor_trains
    file_name         VARCHAR NOT NULL,   -- relative to the landing root
    file_sha256       VARCHAR NOT NULL,
    file_bytes        BIGINT NOT NULL,
    reference_month   DATE,
    flow              VARCHAR,
    vintage           DATE,
    status            VARCHAR NOT NULL,   -- loaded | duplicate | superseded | refused
    reason            VARCHAR,            -- why refused / duplicate of what / superseded by what
    rows_loaded       BIGINT NOT NULL DEFAULT 0,
    started_at        TIMESTAMPTZ NOT NULL,
    finished_at       TIMESTAMPTZ NOT NULL,
    quarantine_path   VARCHAR
)
"""

# The loads whose rows the raw layer shows: accepted, and the latest load of their slice
# (a file loaded again under its name with other bytes replaces the slice it loaded).
LIVE_LOADS_SQL = (
    f"SELECT load_id FROM raw.load_audit WHERE {_ACCEPTED} "
    "QUALIFY row_number() OVER (PARTITION BY feed, reference_month, flow, vintage "
    "ORDER BY finished_at DESC, load_id DESC) = 1"
)
SNAPSHOT_PATH = Path("load_audit") / "load_audit.parquet"


@dataclass(frozen=True)
class AuditRow:
    load_id: str
    feed: str
    file_name: str  # feed/name, relative to the landing root
    file_sha256: str
    file_bytes: int
    status: str  # loaded | duplicate | superseded | refused
    reason: str | None
    rows_loaded: int
    started_at: datetime
    reference_month: date | None = None
    flow: str | None = None
    vintage: date | None = None
    quarantine_path: str | None = None


def record(con: duckdb.DuckDBPyConnection, row: AuditRow) -> None:
    """Append one decision; finished_at is now."""
    con.execute(
        "INSERT INTO raw.load_audit (load_id, feed, file_name, file_sha256, file_bytes, reference_month, "
        "flow, vintage, status, reason, rows_loaded, started_at, finished_at, quarantine_path) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            row.load_id, row.feed, row.file_name, row.file_sha256, row.file_bytes, row.reference_month,
            row.flow, row.vintage, row.status, row.reason, row.rows_loaded, row.started_at,
            datetime.now(timezone.utc), row.quarantine_path,
        ],
    )


def decisions_on_bytes(con: duckdb.DuckDBPyConnection, sha256: str) -> list[tuple[str, str, str | None]]:
    """(file name, status, quarantine path) of every decision on these bytes, oldest first."""
    return con.execute(
        "SELECT file_name, status, quarantine_path FROM raw.load_audit WHERE file_sha256 = ? ORDER BY started_at",
        [sha256],
    ).fetchall()


def later_accepted_vintage(
    con: duckdb.DuckDBPyConnection, feed: str, reference_month: date, flow: str | None, vintage: date
) -> str | None:
    """The file of the latest accepted vintage after ``vintage`` of the same slice, if any."""
    found = con.execute(
        f"SELECT file_name FROM raw.load_audit WHERE feed = ? AND reference_month = ? "
        f"AND flow IS NOT DISTINCT FROM ? AND vintage > ? AND {_ACCEPTED} ORDER BY vintage DESC LIMIT 1",
        [feed, reference_month, flow, vintage],
    ).fetchone()
    return found[0] if found else None


def mark_superseded(
    con: duckdb.DuckDBPyConnection, feed: str, reference_month: date, flow: str | None, vintage: date, by: str
) -> None:
    """Loaded files of the slice up to ``vintage`` are now superseded by the file ``by``."""
    con.execute(
        "UPDATE raw.load_audit SET status = 'superseded', reason = ? "
        "WHERE feed = ? AND reference_month = ? AND flow IS NOT DISTINCT FROM ? AND vintage <= ? AND status = 'loaded'",
        [f"superseded by {by}", feed, reference_month, flow, vintage],
    )


def set_quarantine_path(con: duckdb.DuckDBPyConnection, load_id: str, quarantine_path: str | None, reason: str) -> None:
    """Where a refused file is kept now, and why (it may have stayed in the landing zone)."""
    con.execute(
        "UPDATE raw.load_audit SET quarantine_path = ?, reason = ? WHERE load_id = ?",
        [quarantine_path, reason, load_id],
    )


def refusal_left_in_landing(con: duckdb.DuckDBPyConnection, file_name: str, sha256: str) -> tuple[str, str] | None:
    """(load id, reason) of the refusal of these bytes under this name whose file could not be
    moved to the quarantine, so a later run moves it without recording the refusal again."""
    return con.execute(
        "SELECT load_id, reason FROM raw.load_audit WHERE file_name = ? AND file_sha256 = ? "
        "AND status = 'refused' AND quarantine_path IS NULL ORDER BY started_at DESC LIMIT 1",
        [file_name, sha256],
    ).fetchone()


def recorded_shas(con: duckdb.DuckDBPyConnection, feed: str) -> set[str]:
    """SHA-256 of every file of ``feed`` the audit has a decision on."""
    rows = con.execute("SELECT DISTINCT file_sha256 FROM raw.load_audit WHERE feed = ?", [feed]).fetchall()
    return {row[0] for row in rows}


def accepted_months(con: duckdb.DuckDBPyConnection, feed: str) -> set[date]:
    """The reference months of ``feed`` that have accepted files."""
    rows = con.execute(
        f"SELECT DISTINCT reference_month FROM raw.load_audit WHERE feed = ? AND {_ACCEPTED}", [feed]
    ).fetchall()
    return {row[0] for row in rows}


def live_loads(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {row[0] for row in con.execute(LIVE_LOADS_SQL).fetchall()}


def known_loads(con: duckdb.DuckDBPyConnection, load_ids: list[str]) -> set[str]:
    """Those of ``load_ids`` the audit has a row for."""
    rows = con.execute("SELECT load_id FROM raw.load_audit WHERE load_id IN (SELECT unnest(?))", [load_ids]).fetchall()
    return {row[0] for row in rows}


def write_snapshot(con: duckdb.DuckDBPyConnection, lake: Path) -> Path:
    """The whole audit as ``<lake>/load_audit/load_audit.parquet``, replaced by a rename, so
    a reader gets the previous snapshot or this one, never part of one. Its column ``live``
    is LIVE_LOADS_SQL's verdict, so an engine that reads the lake applies the rule without
    restating it."""
    target = lake / SNAPSHOT_PATH
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    target.parent.mkdir(parents=True, exist_ok=True)
    quoted = str(temporary).replace("'", "''")
    try:
        con.execute(f"COPY (SELECT *, load_id IN ({LIVE_LOADS_SQL}) AS live FROM raw.load_audit "
                    f"ORDER BY started_at, load_id) TO '{quoted}' (FORMAT parquet)")
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)
    return target
