"""Loading landing files into the raw layer, the lake: idempotent, atomic, audited.

Every file the loader decides on gets a row in ``raw.load_audit``. A file's rows are
checked (a bulletin's or a train log's in staging tables, an extract's as it is read),
written to the lake as one hidden Parquet file per raw table (ingest/lake.py), and
accepted by one audit transaction (detail extracts a batch at a
time); only then are its files renamed into view. Its load replaces the earlier load of its
(period, flow, vintage) slice, whose file is removed after the commit. A crash before
COMMIT leaves hidden files that the next run removes; a crash after it, hidden files the
next run renames. A file that breaks the landing contract is refused whole, before anything
is written, and moved to the quarantine folder. Identical bytes already loaded are recorded
once as a duplicate and not loaded again.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path

import duckdb
import pandas as pd

from orchestration import settings
from orchestration.feeds import FEEDS
from orchestration.ingest import lake, load_audit
from orchestration.ingest.landing_guard import Refusal, Skip, screen, unreadable
from orchestration.ingest.landing_zone import (
    FileChanged,
    FileSnapshot,
    HashedFile,
    check_unchanged,
    hash_file,
    open_for_writing,
)
from orchestration.ingest.load_audit import AuditRow
from orchestration.parsing.bulletin import parse_bulletin
from orchestration.parsing.detail_extract import (
    DETAIL_COLUMNS,
    ContractBreach,
    RowSetBreach,
    TranscodedExtract,
    checked_rows_query,
    diagnose_extracts,
    expected_rows,
    set_breaches,
)
from orchestration.parsing.errors import ContractViolation
from orchestration.parsing.landing_names import LandingName, check_release_dates, parse_landing_name
from orchestration.parsing.plain_extract import transcode_extract
from orchestration.parsing.train_log import check_trains_not_held_elsewhere, parse_train_log
from orchestration.periods import months_in_customs_period
from orchestration.processes import process_alive

LINEAGE_COLUMNS = ("vintage", "source_file", "source_sha256", "source_row", "load_id", "loaded_at")
# The same for every row of a file: passed once per file, as list parameters of the SELECT
# indexed by the row's file_position, with the columns its name gives where rows lack them.
FILE_LINEAGE_COLUMNS = ("vintage", "source_file", "source_sha256", "load_id", "loaded_at")
LINEAGE_TYPES = {
    "reference_month": "DATE", "months_in_period": "INTEGER", "flow": "VARCHAR", "vintage": "DATE",
    "source_file": "VARCHAR", "source_sha256": "VARCHAR", "load_id": "VARCHAR", "loaded_at": "TIMESTAMPTZ",
}
# Detail extracts are transcoded, written and audited a batch at a time. The batch size
# sets the scratch space and the load's peak memory; larger batches gain little time
# (docs/benchmarks.md, ingest findings).
DETAIL_BATCH_BYTES = 128 << 20
FIRST_BATCH_BYTES = 32 << 20
# The threads of the loader's pools (hashing, the lake's COPYs): one per core it may use.
CORES = len(os.sched_getaffinity(0))
# How a refusal's reason goes on when its file could not be moved to the quarantine.
QUARANTINE_FAILED = "; could not be moved to the quarantine "


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


def _hashed_or_error(path: Path) -> HashedFile | OSError | FileChanged:
    try:
        return hash_file(path)
    except (OSError, FileChanged) as error:
        return error


def _hashes(paths: list[Path]) -> dict[Path, HashedFile | OSError | FileChanged]:
    """The SHA-256 of each file (or why it could not be read), on every core: hashlib lets go
    of the GIL."""
    with ThreadPoolExecutor(max_workers=CORES, thread_name_prefix="sha256") as pool:
        return dict(zip(paths, pool.map(_hashed_or_error, paths)))


def ensure_raw_schema(con: duckdb.DuckDBPyConnection, lake_root: Path | None = None) -> None:
    """Schema raw: the load audit, and the views over the lake (settings.lake_dir() by default)."""
    con.execute("CREATE SCHEMA IF NOT EXISTS raw")
    con.execute(load_audit.CREATE_SQL)
    lake.create_views(con, lake_root or settings.lake_dir())


@dataclass(frozen=True)
class _Candidate:
    """A file that passed the screen, the audit lookup and the name checks: its content decides."""

    path: Path
    relative: str  # feed/name, as the audit and the lineage columns know it
    name: LandingName
    sha: str
    snapshot: FileSnapshot  # the file as it was hashed: its rows are loaded only if it still is
    started: datetime

    @property
    def size(self) -> int:
        return self.snapshot.size


class RawLoader:
    """Loads landing files of one landing zone into one warehouse connection."""

    def __init__(self, con: duckdb.DuckDBPyConnection, landing_root: Path, quarantine_root: Path, today: date,
                 lake_root: Path | None = None):
        self.con = con
        self.landing_root = landing_root
        self.quarantine_root = quarantine_root
        self.today = today
        self.lake_root = lake_root or settings.lake_dir()
        ensure_raw_schema(con, self.lake_root)

    def load(self, path: Path) -> FileOutcome:
        return self.load_all([path])[0]

    def load_all(self, paths: list[Path]) -> list[FileOutcome]:
        """Decide on every file, in the order given (oldest vintage first).

        The small files of the bulletin and the train log are loaded one by one. Detail
        extracts are loaded a batch of about DETAIL_BATCH_BYTES at a time: one parallel DuckDB
        read of each into its Parquet file (typed where the transcoder checked every row
        already, checked otherwise), audited in one transaction, while the next batch is
        transcoded.

        First it settles what killed loads left in the lake; last it writes the audit's
        snapshot to the lake.
        """
        lake.sweep(self.con, self.lake_root)
        lake.create_views(self.con, self.lake_root)
        outcomes = self._load_all(paths)
        load_audit.write_snapshot(self.con, self.lake_root)
        return outcomes

    def _load_all(self, paths: list[Path]) -> list[FileOutcome]:
        outcomes: dict[int, FileOutcome] = {}
        extracts: list[tuple[int, _Candidate]] = []
        twins: list[int] = []  # the same bytes as a file of this call: decided once that one is
        candidates_seen: set[str] = set()
        paths = [Path(path) for path in paths]
        # never hashed or parsed: outside the zone, a symlink, an unknown name, a file still
        # being written, one beyond its feed's size limit, a bomb
        writers = open_for_writing()
        screened = [screen(path, self.landing_root, writers) for path in paths]
        hashes = _hashes([path for path, verdict in zip(paths, screened) if verdict is None])
        for index, path in enumerate(paths):
            decided = self._screened(path, screened[index]) or self._hashed(path, hashes[path])
            if isinstance(decided, FileOutcome):
                outcomes[index] = decided
            elif decided.sha in candidates_seen:
                twins.append(index)
            elif decided.name.feed == "customs_detail":
                extracts.append((index, decided))
                candidates_seen.add(decided.sha)
            else:
                outcomes[index] = self._load_parsed(decided)
                candidates_seen.add(decided.sha)
        outcomes.update(self._load_extracts(extracts))
        for index in twins:  # now a duplicate of its twin, or refused as it was
            outcomes[index] = self.load(paths[index])
        return [outcomes[index] for index in range(len(paths))]

    def _screened(self, path: Path, verdict: Skip | Refusal | None) -> FileOutcome | None:
        """The outcome of a file the screen decided on unread, or None to hash it."""
        feed, relative = path.parent.name, f"{path.parent.name}/{path.name}"
        if isinstance(verdict, Skip):
            return FileOutcome(relative, feed, "skipped", verdict.reason)
        if isinstance(verdict, Refusal):
            started = datetime.now(timezone.utc)
            return self._refuse(path, relative, feed, verdict.fingerprint, verdict.size, started, verdict.violation)
        return None

    def _hashed(self, path: Path, hashed: HashedFile | OSError | FileChanged) -> FileOutcome | _Candidate:
        """Triage of a screened file once it has been hashed, or the outcome of one that could
        not be: gone or changed meanwhile (left for a later run), or unreadable (refused)."""
        feed, relative = path.parent.name, f"{path.parent.name}/{path.name}"
        if isinstance(hashed, FileNotFoundError):
            return FileOutcome(relative, feed, "skipped", "vanished: removed or renamed before it was read; nothing recorded")
        if isinstance(hashed, FileChanged):
            return FileOutcome(relative, feed, "skipped", f"changed_while_read: {hashed}; left for a later run")
        if isinstance(hashed, OSError):
            try:
                refusal = unreadable(path, os.lstat(path), hashed)
            except FileNotFoundError:
                return FileOutcome(relative, feed, "skipped", "vanished: removed or renamed before it was read")
            started = datetime.now(timezone.utc)
            return self._refuse(path, relative, feed, refusal.fingerprint, refusal.size, started, refusal.violation)
        return self._triage(path, hashed)

    def _triage(self, path: Path, hashed: HashedFile) -> FileOutcome | _Candidate:
        """An outcome for a screened file decided without parsing its content (its SHA-256
        tells a duplicate), or the candidate to load."""
        feed = path.parent.name
        relative = f"{feed}/{path.name}"
        started = datetime.now(timezone.utc)
        sha, size = hashed.sha256, hashed.snapshot.size

        # The name's period and dates first: known bytes under a bad name are a bad file.
        try:
            name = parse_landing_name(feed, path.name)
            check_release_dates(name, self.today)
        except ContractViolation as violation:
            return self._refuse(path, relative, feed, sha, size, started, violation)
        earlier = load_audit.decisions_on_bytes(self.con, sha)
        if any(file_name == relative and status != "refused" for file_name, status, _ in earlier):
            return FileOutcome(relative, feed, "skipped", "already recorded")
        accepted = [name for name, status, _ in earlier if status in load_audit.ACCEPTED_STATUSES]
        if accepted:
            return self._record_duplicate(relative, feed, sha, size, started, accepted[0])
        if load_audit.refusal_left_in_landing(self.con, relative, sha):
            return self._refuse(path, relative, feed, sha, size, started, None)
        return _Candidate(path, relative, name, sha, hashed.snapshot, started)

    # -- outcomes -------------------------------------------------------------------------

    def _record_duplicate(self, relative, feed, sha, size, started, original) -> FileOutcome:
        load_id = _new_load_id()
        reason = f"same bytes as {original}"
        load_audit.record(self.con, AuditRow(load_id, feed, relative, sha, size, "duplicate", reason, 0, started))
        return FileOutcome(relative, feed, "duplicate", reason, 0, load_id)

    def _refuse(self, path, relative, feed, sha, size, started, violation: ContractViolation | None) -> FileOutcome:
        """Record the refusal and move the file to the quarantine, in one transaction. A file
        that cannot be moved stays in the landing zone, and the audit row says so; the next run
        that meets the same bytes under the same name (``violation`` None) moves it then,
        without a second row."""
        left = load_audit.refusal_left_in_landing(self.con, relative, sha)
        load_id = left[0] if left else _new_load_id()
        reason = left[1].split(QUARANTINE_FAILED)[0] if left else f"{violation.reason}: {violation.message}"
        target = _free_path(self.quarantine_root / feed / path.name)
        self.con.execute("BEGIN TRANSACTION")
        try:
            if not left:
                load_audit.record(self.con, AuditRow(
                    load_id, feed, relative, sha, size, "refused", reason, 0, started, quarantine_path=str(target)))
            try:
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.move(path, target)
            except OSError as exc:
                reason = f"{reason}{QUARANTINE_FAILED}{self.quarantine_root / feed} ({exc.strerror or exc}); " \
                         "left in the landing zone"
                target = None
            load_audit.set_quarantine_path(self.con, load_id, target and str(target), reason)
            self.con.execute("COMMIT")
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        return FileOutcome(relative, feed, "refused", reason, 0, load_id, target and str(target))

    def _refuse_candidate(self, candidate: _Candidate, violation: ContractViolation) -> FileOutcome:
        """Refused, unless the file changed since it was hashed: then what was read may be a
        producer's half-written file, and a later run judges what is there then."""
        c = candidate
        try:
            check_unchanged(c.path, c.snapshot)
        except FileChanged as changed:
            return _changed_outcome(c, changed)
        return self._refuse(c.path, c.relative, c.name.feed, c.sha, c.size, c.started, violation)

    def _no_rows(self, candidate: _Candidate) -> ContractViolation:
        """Why a file with a header and no rows is refused: the marts read the latest vintage
        that has rows, so loading it would change nothing there while the audit called the
        earlier file superseded."""
        name = candidate.name
        by_flow = " AND flow = ?" if name.flow else ""
        table = next(iter(FEEDS[name.feed].raw_tables))
        earlier = self.con.execute(
            f"SELECT source_file FROM raw.{table} WHERE reference_month = ?{by_flow} "
            "ORDER BY vintage DESC LIMIT 1",
            [name.reference_month, *([name.flow] if name.flow else [])],
        ).fetchone()
        if earlier:
            effect = (f"as a correction it would not replace {earlier[0]} in the marts, which read the latest "
                      f"vintage with rows; {earlier[0]} stays in force")
        else:
            effect = f"the marts would show no {name.feed} figures for {name.reference_month:%Y-%m}"
        return ContractViolation("no_rows", f"the file holds its header and no rows: {effect}; deliver it with its rows")

    def _read_failed(self, candidate: _Candidate, error: FileChanged | OSError) -> FileOutcome:
        """Its bytes changed, or it went away, after it was hashed: not loaded, nothing recorded,
        left to a later run. Still there and unchanged, it could not be read: refused."""
        c = candidate
        if isinstance(error, OSError):
            try:
                check_unchanged(c.path, c.snapshot)
            except FileChanged as changed:
                error = changed
        if isinstance(error, FileChanged):
            return _changed_outcome(c, error)
        refusal = unreadable(c.path, os.lstat(c.path), error)
        return self._refuse(c.path, c.relative, c.name.feed, c.sha, c.size, c.started, refusal.violation)

    # -- loading: parsed feeds file by file, detail extracts a batch at a time -------------

    def _load_parsed(self, candidate: _Candidate) -> FileOutcome:
        """A bulletin or a train log: parsed in Python (small files), staged, then loaded."""
        name = candidate.name
        try:
            if name.feed == "customs_bulletin":
                parsed = parse_bulletin(candidate.path, name.reference_month)
                frames = {
                    "bulletin_totals": parsed.totals,
                    "bulletin_partners": parsed.partners,
                    "bulletin_commodities": parsed.commodities,
                    "bulletin_trade_modes": parsed.trade_modes,
                }
            else:
                trains = parse_train_log(candidate.path, name.reference_month)
                if not trains:
                    raise self._no_rows(candidate)
                check_trains_not_held_elsewhere(self.con, trains, name.reference_month)
                frames = {"corridor_trains": trains}
            check_unchanged(candidate.path, candidate.snapshot)
        except ContractViolation as violation:
            return self._refuse_candidate(candidate, violation)
        except (FileChanged, OSError) as error:
            return self._read_failed(candidate, error)
        staged, frames_columns = {}, {table: self._payload_columns(table) for table in frames}
        try:
            for table, rows in frames.items():
                relation = _staged_relation(table)
                frame = pd.DataFrame(rows, columns=frames_columns[table])
                frame["file_position"] = 1  # the only file of its load
                self.con.register("staged_frame", frame)
                try:
                    self.con.execute(f"CREATE OR REPLACE TEMP TABLE {relation} AS SELECT * FROM staged_frame")
                finally:
                    self.con.unregister("staged_frame")
                staged[table] = relation

            def write(lineage: dict, loads: list[str]) -> list[tuple[int, list[Path] | lake.LakeWriteFailed]]:
                for table in staged:
                    self._create_rows_relation(table)
                try:
                    count = sum(self._insert_staged(table, relation, set(frames_columns[table]), lineage)
                                for table, relation in staged.items())
                    return [(count, self._write_load(candidate, loads[0], list(staged)))]
                finally:
                    for table in staged:
                        self.con.execute(f"DROP TABLE IF EXISTS {_rows_relation(table)}")

            return self._commit([candidate], write)[0]
        finally:
            for relation in staged.values():
                self.con.execute(f"DROP TABLE IF EXISTS {relation}")

    def _load_extracts(self, extracts: list[tuple[int, _Candidate]]) -> dict[int, FileOutcome]:
        """Transcode batch k+1 on a thread while DuckDB loads batch k: DuckDB and the fast
        path's C code let go of the GIL, so the two overlap; at most two batches of UTF-8
        copies exist."""
        outcomes: dict[int, FileOutcome] = {}
        batches = _batches(extracts, DETAIL_BATCH_BYTES)
        with _scratch_folder() as scratch:
            transcoder = ThreadPoolExecutor(max_workers=1, thread_name_prefix="transcode")

            def transcode(batch: list[tuple[int, _Candidate]]) -> list[Future]:
                return [
                    transcoder.submit(_transcoded, candidate, Path(scratch) / f"{index}.csv")
                    for index, candidate in batch
                ]

            # Every row carries its file and line, so the table's row order means nothing:
            # without it DuckDB's threads append independently (docs/benchmarks.md). Set
            # outside the batches' transactions, which a breach aborts.
            self.con.execute("SET preserve_insertion_order = false")
            try:
                upcoming = transcode(batches[0]) if batches else []
                for number, batch in enumerate(batches):
                    transcoded = [future.result() for future in upcoming]
                    upcoming = transcode(batches[number + 1]) if number + 1 < len(batches) else []
                    outcomes.update(self._load_detail_batch(batch, transcoded))
                    for index, _ in batch:
                        (Path(scratch) / f"{index}.csv").unlink(missing_ok=True)
            finally:
                transcoder.shutdown(cancel_futures=True)
                self.con.execute("RESET preserve_insertion_order")
        return outcomes

    def _load_detail_batch(
        self, batch: list[tuple[int, _Candidate]], transcoded: list[TranscodedExtract | ContractViolation | OSError]
    ) -> dict[int, FileOutcome]:
        """Load a batch of transcoded extracts with one checked read in one transaction. Should
        the read or the rules on the rows as a set fail, find out which extracts break the
        contract, refuse those whole and load the others."""
        outcomes: dict[int, FileOutcome] = {}
        pending: list[tuple[int, _Candidate, TranscodedExtract]] = []
        empty: list[tuple[int, _Candidate]] = []  # judged once the batch's other extracts are in
        for (index, candidate), result in zip(batch, transcoded):
            if not isinstance(result, (ContractViolation, OSError)):
                try:
                    check_unchanged(candidate.path, candidate.snapshot)  # the bytes transcoded are those hashed
                except FileChanged as changed:
                    result = changed
            if isinstance(result, ContractViolation):
                outcomes[index] = self._refuse_candidate(candidate, result)
            elif isinstance(result, (FileChanged, OSError)):
                outcomes[index] = self._read_failed(candidate, result)
            elif expected_rows([result]) == 0:
                empty.append((index, candidate))
            else:
                pending.append((index, candidate, result))
        while pending:
            extracts = [extract for _, _, extract in pending]
            try:
                candidates = [candidate for _, candidate, _ in pending]
                loaded = self._commit(
                    candidates, lambda lineage, loads: self._write_extracts(extracts, candidates, lineage, loads))
            except RowSetBreach as breach:  # rolled back: the rows as a set broke a rule
                refused = breach.refused
            except (duckdb.InvalidInputException, duckdb.ConversionException, ContractBreach):
                refused = diagnose_extracts(self.con, extracts)
                if not refused:
                    raise  # the read failed for a reason no contract check names
            else:
                outcomes.update(zip((index for index, _, _ in pending), loaded))
                break
            for index, candidate, extract in pending:
                if extract.key in refused:
                    outcomes[index] = self._refuse_candidate(candidate, refused[extract.key])
            pending = [item for item in pending if item[2].key not in refused]
        for index, candidate in empty:
            outcomes[index] = self._refuse_candidate(candidate, self._no_rows(candidate))
        return outcomes

    # -- writing ----------------------------------------------------------------------------

    def _commit(
        self, candidates: list[_Candidate],
        write: Callable[[dict, list[str]], list[tuple[int, list[Path] | lake.LakeWriteFailed]]],
    ) -> list[FileOutcome]:
        """Load the files' rows into the lake: ``write(lineage, load_ids)`` checks them and
        writes each file's rows to hidden Parquet files, one per raw table, and returns, file
        by file, its row count and files (or why they could not be written), leaving nothing
        behind when it raises. One transaction marks what the files supersede and audits
        them; then their Parquet files are renamed into view, and the files of the loads they
        replace removed. A file whose Parquet could not be written is refused alone."""
        loads = [_new_load_id() for _ in candidates]
        written = write(_lineage_parameters(candidates, loads), loads)
        rows = [count for count, _ in written]
        written = [files for _, files in written]
        accepted = [(c, load_id, count, files) for c, load_id, count, files in zip(candidates, loads, rows, written)
                    if not isinstance(files, lake.LakeWriteFailed)]
        temporaries = [path for *_, files in accepted for path in files]
        try:
            committed = self._record_loads([(c, load_id, count) for c, load_id, count, _ in accepted])
        except BaseException:
            lake.discard(temporaries)
            raise
        lake.publish(temporaries)
        lake.remove_replaced(self.con, [
            path for candidate, *_ in accepted
            for path in lake.visible_files(self.lake_root, FEEDS[candidate.name.feed].raw_tables, candidate.name.reference_month)
        ])
        lake.create_views(self.con, self.lake_root)
        return [committed.get(load_id) or self._refuse(
                    c.path, c.relative, c.name.feed, c.sha, c.size, c.started,
                    ContractViolation("lake_unwritable", f"{files}; nothing of the file is in raw. Once there is room, "
                                      "move it from the quarantine back into the landing zone to load it"))
                for c, load_id, files in zip(candidates, loads, written)]

    def _record_loads(self, loads: list[tuple[_Candidate, str, int]]) -> dict[str, FileOutcome]:
        """One transaction: each load (candidate, load id, rows) audited, and what it supersedes
        marked; the outcomes by load id."""
        committed: dict[str, FileOutcome] = {}
        self.con.execute("BEGIN TRANSACTION")
        try:
            for candidate, load_id, count in loads:  # in vintage order
                name, relative = candidate.name, candidate.relative
                later = load_audit.later_accepted_vintage(
                    self.con, name.feed, name.reference_month, name.flow, name.vintage)
                status, reason = ("superseded", f"superseded by {later}") if later else ("loaded", None)
                load_audit.mark_superseded(self.con, name.feed, name.reference_month, name.flow, name.vintage, relative)
                load_audit.record(self.con, AuditRow(
                    load_id, name.feed, relative, candidate.sha, candidate.size, status, reason, count,
                    candidate.started, name.reference_month, name.flow, name.vintage,
                ))
                committed[load_id] = FileOutcome(relative, name.feed, status, reason, count, load_id)
            self.con.execute("COMMIT")
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        return committed

    def _write_load(self, candidate: _Candidate, load_id: str, tables: list[str]) -> list[Path] | lake.LakeWriteFailed:
        """The load's hidden Parquet files, one per table, or why they could not be written
        (then none is left)."""
        written: list[Path] = []
        try:
            for table in tables:
                rows = f"SELECT {', '.join(lake.file_columns(table))} FROM {_rows_relation(table)} WHERE load_id = '{load_id}'"
                written.append(lake.write_temporary(
                    self.con, rows, self.lake_root, table, candidate.name.reference_month, load_id)[0])
        except lake.LakeWriteFailed as failed:
            lake.discard(written)
            return failed
        return written

    def _write_extracts(self, extracts: list[TranscodedExtract], candidates: list[_Candidate], lineage: dict,
                        loads: list[str]) -> list[tuple[int, list[Path] | lake.LakeWriteFailed]]:
        """Each extract's checked read straight into its hidden Parquet file (one COPY each,
        on every core: DuckDB reads a file this small on one thread, docs/benchmarks.md),
        then the rules on the rows as a set over the files written."""
        def write(position: int) -> tuple[int, list[Path] | lake.LakeWriteFailed]:
            extract, candidate, load_id = extracts[position], candidates[position], loads[position]
            query, params = checked_rows_query([extract])
            own_lineage = {key: values[position:position + 1] for key, values in lineage.items()}
            rows, used = self._rows_select("customs_detail", f"({query})", set(DETAIL_COLUMNS) | {"source_row"},
                                           {**own_lineage, **params}, lake.file_columns("customs_detail"))
            try:
                with self.con.cursor() as cursor:
                    path, count = lake.write_temporary(cursor, rows, self.lake_root, "customs_detail",
                                                       candidate.name.reference_month, load_id, used)
            except lake.LakeWriteFailed as failed:
                return 0, failed
            return count, [path]

        with ThreadPoolExecutor(max_workers=CORES, thread_name_prefix="lake") as pool:
            futures = [pool.submit(write, position) for position in range(len(extracts))]
        finished = [future.result() for future in futures if future.exception() is None]
        try:
            written = [future.result() for future in futures]  # the first failed read, in the batch's order
            for (count, files), extract in zip(written, extracts):
                if isinstance(files, list) and count != expected_rows([extract]):
                    raise ContractBreach(f"{count} rows read from {expected_rows([extract])} lines")
            files = [str(files[0]) for _, files in written if isinstance(files, list)]
            refused = set_breaches(self.con, extracts, loads, f"read_parquet({files})") if files else {}
            if refused:
                raise RowSetBreach(refused)
        except BaseException:
            lake.discard(path for _, files in finished if isinstance(files, list) for path in files)
            raise
        return written

    def _insert_staged(self, table: str, rows: str, available: set[str], parameters: dict) -> int:
        """Insert ``rows`` into the staging table of raw ``table``; returns the number of rows."""
        columns = [column for column, _, _ in lake.lake_tables()[table]]
        select, used = self._rows_select(table, rows, available, parameters, columns)
        statement = f"INSERT INTO {_rows_relation(table)} ({', '.join(columns)}) {select}"
        return self.con.execute(statement, used).fetchone()[0]

    def _rows_select(self, table: str, rows: str, available: set[str], parameters: dict,
                     columns: list[str]) -> tuple[str, dict]:
        """A SELECT of ``columns`` of raw ``table`` (typed as the table has them) from ``rows``
        (a relation with the columns ``available`` and ``file_position``), and its parameters:
        the columns it lacks come from its file's lineage parameters."""
        kinds = {column: kind for column, kind, _ in lake.lake_tables()[table]}
        select = []
        for column in columns:
            if column in available and column not in FILE_LINEAGE_COLUMNS:
                value = f"s.{column}"
            else:
                value = f"CAST(${_lineage_parameter(column)} AS {LINEAGE_TYPES[column]}[])[s.file_position]"
            select.append(f"CAST({value} AS {kinds[column]}) AS {column}")
        statement = f"SELECT {', '.join(select)} FROM {rows} AS s"
        return statement, {key: value for key, value in parameters.items() if f"${key}" in statement}

    def _create_rows_relation(self, table: str) -> None:
        """The staging table of a load's rows for raw ``table``: its columns, types and NOT NULLs."""
        columns = ", ".join(f"{column} {kind}{'' if nullable else ' NOT NULL'}"
                            for column, kind, nullable in lake.lake_tables()[table])
        self.con.execute(f"CREATE OR REPLACE TEMP TABLE {_rows_relation(table)} ({columns})")

    def _payload_columns(self, table: str) -> list[str]:
        return [column for column, _, _ in lake.lake_tables()[table]
                if column not in LINEAGE_COLUMNS or column == "source_row"]


def _changed_outcome(candidate: _Candidate, changed: FileChanged) -> FileOutcome:
    reason = f"changed_while_read: {changed}; not loaded, left for a later run"
    return FileOutcome(candidate.relative, candidate.name.feed, "skipped", reason)


def _transcoded(candidate: _Candidate, target: Path) -> TranscodedExtract | ContractViolation | OSError:
    """The extract in UTF-8 at ``target``, or why it cannot be read."""
    name = candidate.name
    try:
        lines, plain = transcode_extract(candidate.path, target, name.reference_month)
    except (ContractViolation, OSError) as error:
        return error
    return TranscodedExtract(candidate.relative, target, lines, name.reference_month, name.flow, plain, name.vintage)


def _scratch_folder() -> tempfile.TemporaryDirectory:
    """A new scratch folder for this load, named for this process. Folders that a process
    which died (a crash, a kill) left behind are removed first: under /dev/shm they hold
    memory."""
    root = settings.scratch_dir() or Path(tempfile.gettempdir())
    for stale in root.glob("cq-load-*-*"):
        owner = stale.name.split("-")[2]
        if owner.isdigit() and not process_alive(int(owner)):
            shutil.rmtree(stale, ignore_errors=True)
    return tempfile.TemporaryDirectory(prefix=f"cq-load-{os.getpid()}-", dir=root)


def _batches(extracts: list[tuple[int, _Candidate]], batch_bytes: int) -> list[list[tuple[int, _Candidate]]]:
    """Consecutive runs of extracts in the order given: the first of FIRST_BATCH_BYTES, each
    next one twice the size, up to ``batch_bytes``. DuckDB waits for the first batch to be
    transcoded; after that, transcoding the next batch overlaps loading this one."""
    batches, size, limit = [], 0, min(FIRST_BATCH_BYTES, batch_bytes)
    for item in extracts:
        if not batches or size >= limit:
            if batches:
                limit = min(2 * limit, batch_bytes)
            batches.append([])
            size = 0
        batches[-1].append(item)
        size += item[1].size
    return batches


def _lineage_parameter(column: str) -> str:
    return f"lineage_{column}"


def _lineage_parameters(candidates: list[_Candidate], loads: list[str]) -> dict[str, list]:
    """Each lineage column as a list, one value per file in load order."""
    loaded_at = datetime.now(timezone.utc)
    values = {
        "reference_month": [c.name.reference_month for c in candidates],
        "months_in_period": [months_in_customs_period(c.name.reference_month) for c in candidates],
        "flow": [c.name.flow for c in candidates],
        "vintage": [c.name.vintage for c in candidates],
        "source_file": [c.relative for c in candidates],
        "source_sha256": [c.sha for c in candidates],
        "load_id": loads,
        "loaded_at": [loaded_at for _ in candidates],
    }
    return {_lineage_parameter(column): listed for column, listed in values.items()}


def _staged_relation(table: str) -> str:
    """The TEMP table a parsed file's rows for ``table`` are put in, as parsed."""
    return f"staged_{table}"


def _rows_relation(table: str) -> str:
    """The TEMP table a load's rows for raw ``table`` are checked in before they go to the lake."""
    return f"lake_rows_{table}"


def _new_load_id() -> str:
    return uuid.uuid4().hex


def _free_path(target: Path) -> Path:
    """The quarantine never overwrites: a second refusal of the same name gets a suffix."""
    candidate, n = target, 1
    while candidate.exists():
        candidate = target.with_name(f"{target.name}.{n}")
        n += 1
    return candidate
