"""Loading landing files into the raw layer: idempotent, atomic, audited.

Every file the loader decides on gets a row in ``raw.load_audit``. A file is loaded in
one transaction that replaces exactly its (period, flow, vintage) slice of its raw
table(s); a crash before COMMIT leaves the previous state intact (DuckDB's WAL). A file
that breaks the landing contract is refused whole and moved to the quarantine folder.
Identical bytes already loaded are recorded once as a duplicate and not loaded again.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path

import duckdb
import pandas as pd

from orchestration.parsing.bulletin import parse_bulletin
from orchestration.parsing.detail_extract import stage_detail, transcode_to_utf8, validate_staged_detail
from orchestration.parsing.errors import ContractViolation
from orchestration.parsing.landing_names import LandingName, check_release_dates, parse_landing_name
from orchestration.parsing.train_log import parse_train_log
from orchestration.periods import months_in_customs_period

RAW_SCHEMA_SQL = Path(__file__).with_name("raw_schema.sql")

# The raw tables each feed writes; a file's rows go to all of its feed's tables at once.
FEED_TABLES = {
    "customs_bulletin": ("bulletin_totals", "bulletin_partners", "bulletin_commodities", "bulletin_trade_modes"),
    "customs_detail": ("customs_detail",),
    "corridor_trains": ("corridor_trains",),
}
LINEAGE_COLUMNS = ("vintage", "source_file", "source_sha256", "source_row", "load_id", "loaded_at")
HASH_CHUNK_BYTES = 1 << 20


@dataclass(frozen=True)
class FileOutcome:
    """What the loader decided about one file."""

    file_name: str
    feed: str
    status: str  # loaded | duplicate | superseded | refused | skipped
    reason: str | None = None
    rows_loaded: int = 0
    load_id: str | None = None
    quarantine_path: str | None = None


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(HASH_CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


def ensure_raw_schema(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(RAW_SCHEMA_SQL.read_text())


def landing_files(landing_root: Path, feed: str, reference_month: date | None = None) -> list[Path]:
    """The complete files of a feed (``.part`` files are still being written), oldest vintage first."""
    folder = landing_root / feed
    if not folder.is_dir():
        return []
    found = []
    for path in folder.iterdir():
        if path.name.endswith(".part") or not path.is_file() or path.is_symlink():
            continue
        try:
            name = parse_landing_name(feed, path.name)
        except ValueError:
            continue  # matches no feed: reported by the sensor, left alone
        if reference_month is None or name.reference_month == reference_month:
            found.append((name.vintage, path.name, path))
    return [path for _, _, path in sorted(found)]


class RawLoader:
    """Loads landing files of one landing zone into one warehouse connection."""

    def __init__(self, con: duckdb.DuckDBPyConnection, landing_root: Path, quarantine_root: Path, today: date):
        self.con = con
        self.landing_root = landing_root
        self.quarantine_root = quarantine_root
        self.today = today
        self._columns: dict[str, list[str]] = {}
        ensure_raw_schema(con)

    def load(self, path: Path) -> FileOutcome:
        from orchestration.ingest.landing_guard import screen  # imports this module: import here

        if (screened := screen(self, path)) is not None:
            return screened  # never hashed or parsed: outside the zone, a symlink, an unknown name, a bomb
        feed = path.parent.name
        relative = f"{feed}/{path.name}"
        started = datetime.now(timezone.utc)
        sha = sha256_of(path)
        size = path.stat().st_size

        earlier = self.con.execute(
            "SELECT file_name, status FROM raw.load_audit WHERE file_sha256 = ? ORDER BY started_at",
            [sha],
        ).fetchall()
        if any(name == relative and status != "refused" for name, status in earlier):
            return FileOutcome(relative, feed, "skipped", "already recorded")
        accepted = [name for name, status in earlier if status in ("loaded", "superseded")]
        if accepted:
            return self._record_duplicate(relative, feed, sha, size, started, accepted[0])

        try:
            name = parse_landing_name(feed, path.name)
            check_release_dates(name, self.today)
            return self._load_valid(path, relative, name, sha, size, started)
        except ContractViolation as violation:
            return self._refuse(path, relative, feed, sha, size, started, violation)

    # -- outcomes -------------------------------------------------------------------------

    def _record_duplicate(self, relative, feed, sha, size, started, original) -> FileOutcome:
        load_id = _new_load_id()
        reason = f"same bytes as {original}"
        self._insert_audit(load_id, feed, relative, sha, size, None, "duplicate", reason, 0, started, None)
        return FileOutcome(relative, feed, "duplicate", reason, 0, load_id)

    def _refuse(self, path, relative, feed, sha, size, started, violation: ContractViolation) -> FileOutcome:
        load_id = _new_load_id()
        reason = f"{violation.reason}: {violation.message}"  # str(violation) already starts with the code
        target = _free_path(self.quarantine_root / feed / path.name)
        self._insert_audit(load_id, feed, relative, sha, size, None, "refused", reason, 0, started, str(target))
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(path, target)
        return FileOutcome(relative, feed, "refused", reason, 0, load_id, str(target))

    def _load_valid(self, path, relative, name: LandingName, sha, size, started) -> FileOutcome:
        load_id = _new_load_id()
        lineage = {
            "vintage": name.vintage,
            "source_file": relative,
            "source_sha256": sha,
            "load_id": load_id,
            "loaded_at": datetime.now(timezone.utc),
        }
        with tempfile.TemporaryDirectory(prefix="cq-load-") as scratch:
            try:
                if name.feed == "customs_detail":
                    staged = self._stage_detail(path, name, Path(scratch))
                else:
                    staged = self._stage_parsed(path, name)
                status, reason = self._supersession(name)
                self.con.execute("BEGIN TRANSACTION")
                try:
                    rows = 0
                    for table, relation in staged.items():
                        self._delete_slice(table, name)
                        rows += self._insert_staged(table, relation, lineage, name)
                    self._mark_older_vintages_superseded(name, relative)
                    self._insert_audit(
                        load_id, name.feed, relative, sha, size, name, status, reason, rows, started, None
                    )
                    self.con.execute("COMMIT")
                except BaseException:
                    self.con.execute("ROLLBACK")
                    raise
            finally:
                # also after a refusal: a staged extract can hold millions of rows in memory
                for table in FEED_TABLES[name.feed]:
                    self.con.execute(f"DROP TABLE IF EXISTS {_staged_relation(table)}")
        return FileOutcome(relative, name.feed, status, reason, rows, load_id)

    # -- staging: parse and validate everything before the transaction opens ---------------

    def _stage_parsed(self, path: Path, name: LandingName) -> dict[str, str]:
        if name.feed == "customs_bulletin":
            parsed = parse_bulletin(path, name.reference_month)
            frames = {
                "bulletin_totals": parsed.totals,
                "bulletin_partners": parsed.partners,
                "bulletin_commodities": parsed.commodities,
                "bulletin_trade_modes": parsed.trade_modes,
            }
        else:
            frames = {"corridor_trains": parse_train_log(path, name.reference_month)}
        staged = {}
        for table, rows in frames.items():
            relation = _staged_relation(table)
            frame = pd.DataFrame(rows, columns=self._payload_columns(table))
            self.con.register("staged_frame", frame)
            try:
                self.con.execute(
                    f"CREATE OR REPLACE TEMP TABLE {relation} AS SELECT * FROM staged_frame"
                )
            finally:
                self.con.unregister("staged_frame")
            staged[table] = relation
        return staged

    def _stage_detail(self, path: Path, name: LandingName, scratch: Path) -> dict[str, str]:
        utf8_copy = scratch / "detail.utf8.csv"
        transcode_to_utf8(path, utf8_copy)
        relation = _staged_relation("customs_detail")
        stage_detail(self.con, utf8_copy, relation)
        validate_staged_detail(self.con, relation, name.reference_month, name.flow)
        return {"customs_detail": relation}

    # -- writing ----------------------------------------------------------------------------

    def _payload_columns(self, table: str) -> list[str]:
        return [c for c in self._table_columns(table) if c not in LINEAGE_COLUMNS or c == "source_row"]

    def _table_columns(self, table: str) -> list[str]:
        if table not in self._columns:
            rows = self.con.execute(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_schema = 'raw' AND table_name = ? ORDER BY ordinal_position",
                [table],
            ).fetchall()
            self._columns[table] = [row[0] for row in rows]
        return self._columns[table]

    def _slice_predicate(self, table: str, name: LandingName) -> tuple[str, list]:
        predicate, params = "reference_month = ? AND vintage = ?", [name.reference_month, name.vintage]
        if table == "customs_detail":
            predicate, params = predicate + " AND flow = ?", params + [name.flow]
        return predicate, params

    def _delete_slice(self, table: str, name: LandingName) -> None:
        predicate, params = self._slice_predicate(table, name)
        self.con.execute(f"DELETE FROM raw.{table} WHERE {predicate}", params)

    def _insert_staged(self, table: str, relation: str, lineage: dict, name: LandingName) -> int:
        """Insert a staged relation; columns it lacks come from the file's name and lineage."""
        staged_columns = {row[0] for row in self.con.execute(f"DESCRIBE {relation}").fetchall()}
        from_name = {
            "reference_month": name.reference_month,
            "months_in_period": months_in_customs_period(name.reference_month),
            "flow": name.flow,
        }
        columns = self._table_columns(table)
        select, params = [], []
        for column in columns:
            if column in staged_columns and column not in lineage:
                select.append(column)
            else:
                value = lineage[column] if column in lineage else from_name[column]
                select.append(f"CAST(? AS {_COLUMN_TYPES.get(column, 'VARCHAR')}) AS {column}")
                params.append(value)
        self.con.execute(
            f"INSERT INTO raw.{table} ({', '.join(columns)}) SELECT {', '.join(select)} FROM {relation}", params
        )
        return self.con.execute(f"SELECT count(*) FROM {relation}").fetchone()[0]

    def _supersession(self, name: LandingName) -> tuple[str, str | None]:
        """A file older than a vintage already loaded is kept on record as superseded."""
        later = self.con.execute(
            "SELECT file_name FROM raw.load_audit WHERE feed = ? AND reference_month = ? "
            "AND flow IS NOT DISTINCT FROM ? AND vintage > ? AND status IN ('loaded', 'superseded') "
            "ORDER BY vintage DESC LIMIT 1",
            [name.feed, name.reference_month, name.flow, name.vintage],
        ).fetchone()
        return ("superseded", f"superseded by {later[0]}") if later else ("loaded", None)

    def _mark_older_vintages_superseded(self, name: LandingName, relative: str) -> None:
        self.con.execute(
            "UPDATE raw.load_audit SET status = 'superseded', reason = ? "
            "WHERE feed = ? AND reference_month = ? AND flow IS NOT DISTINCT FROM ? "
            "AND vintage <= ? AND status = 'loaded'",
            [f"superseded by {relative}", name.feed, name.reference_month, name.flow, name.vintage],
        )

    def _insert_audit(self, load_id, feed, relative, sha, size, name, status, reason, rows, started, quarantine):
        self.con.execute(
            "INSERT INTO raw.load_audit (load_id, feed, file_name, file_sha256, file_bytes, reference_month, "
            "flow, vintage, status, reason, rows_loaded, started_at, finished_at, quarantine_path) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                load_id, feed, relative, sha, size,
                name.reference_month if name else None,
                name.flow if name else None,
                name.vintage if name else None,
                status, reason, rows, started, datetime.now(timezone.utc), quarantine,
            ],
        )


_COLUMN_TYPES = {"vintage": "DATE", "loaded_at": "TIMESTAMPTZ", "reference_month": "DATE", "months_in_period": "INTEGER"}


def _staged_relation(table: str) -> str:
    """The TEMP table a file's rows for ``table`` are staged in before the transaction."""
    return f"staged_{table}"


def _new_load_id() -> str:
    return uuid.uuid4().hex


def _free_path(target: Path) -> Path:
    """The quarantine never overwrites: a second refusal of the same name gets a suffix."""
    candidate, n = target, 1
    while candidate.exists():
        candidate = target.with_name(f"{target.name}.{n}")
        n += 1
    return candidate
