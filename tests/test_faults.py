"""Fault injection with real processes and real signals: nothing lost, nothing doubled.

Each scenario runs the real chain (`python -m orchestration.cli refresh`, or the daemon
under `python -m orchestration.cli ui`) on its own copy of two months of sample data,
injects one fault, lets the next run happen, and compares every published table with an
undisturbed build of the same files (row count, distinct rows, an order-free checksum of
all columns) and the audit with the landing zone (every file exactly once, with a final
status).
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
import shutil
import signal
import stat
import subprocess
import sys
import textwrap
import time
from datetime import date
from pathlib import Path

import dagster as dg
import duckdb
import psutil
import pytest

from orchestration.ingest import lake, load_audit
from orchestration.ingest.loader import RawLoader
from orchestration.publish import publication
from tests.support.reliability_helpers import (
    RefreshProcess,
    assert_every_file_accounted_once,
    audit_rows,
    leaked_slots,
    deliver,
    unfinished_runs,
    landing_names,
    mart_checksums,
    new_chain,
    refresh,
)
from tests.support.lake_checks import assert_lake_matches_audit
from tests.support.ui_helpers import start_ui

pytestmark = pytest.mark.slow

EARLY_MONTH = "2021-10"
FIRST_FEED = "customs_bulletin"


@pytest.fixture(scope="module")
def reference(tmp_path_factory, two_month_sample):
    """One undisturbed build of the sample: what every faulted chain must end up with."""
    chain = new_chain(tmp_path_factory.mktemp("reference"), two_month_sample)
    refresh(chain)
    return chain, mart_checksums(chain)


@pytest.fixture
def record_fault(record_property):
    """Names the fault a test injects, for `make reliability`'s table (a JUnit property)."""
    return lambda description: record_property("fault", description)


def after_kill(chain) -> list[str]:
    """What the killed run still holds in the instance (it must hold nothing)."""
    return leaked_slots(chain.root / "dagster_home")


LEAK_MESSAGE = "the killed run kept a concurrency slot: every later run would wait for it for ever"


def assert_converged(chain, reference, two_month_sample) -> list[tuple]:
    _, expected = reference
    assert mart_checksums(chain) == expected
    assert unfinished_runs(chain.root / "dagster_home") == []  # the killed run is marked failed
    assert not [p.name for p in chain.published.iterdir() if ".staging" in p.name]
    with duckdb.connect(str(chain.warehouse), read_only=True) as con:  # no partial file, none doubled
        assert_lake_matches_audit(con, chain.root / "lake")
    return assert_every_file_accounted_once(chain, landing_names(two_month_sample))


def test_reference_build_is_published_read_only(reference, two_month_sample):
    chain, checksums = reference
    assert checksums and all(rows == distinct for rows, distinct, _ in checksums.values())
    assert_every_file_accounted_once(chain, landing_names(two_month_sample))
    published = [chain.published / publication.DB_NAME, *publication.current_parquet_dir(chain.published).iterdir()]
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o444 for p in published)
    with publication.open_published(chain.published) as con, pytest.raises(duckdb.Error, match="read-only"):
        con.execute("CREATE TABLE marts.intruder AS SELECT 1 AS x")


# --- SIGKILL of the run at three moments --------------------------------------------------------


def test_sigkill_during_ingest(record_fault, tmp_path, reference, two_month_sample):
    record_fault("SIGKILL of the refresh during ingest")
    chain = new_chain(tmp_path, two_month_sample)
    run = RefreshProcess(chain)
    # The first file recorded by the first loader step: two more loader steps are still to
    # come. (The detail step loads its four files within a second: too short to aim at.)
    run.on_line(lambda line: re.search(r"load_\w+ - loaded \w+/", line) is not None)
    run.wait_for(run.triggered.is_set, timeout=600)
    run.kill()
    partial = audit_rows(chain)
    assert 0 < len(partial) < len(landing_names(two_month_sample))  # killed half-way through
    leaked = after_kill(chain)

    refresh(chain)
    rows = assert_converged(chain, reference, two_month_sample)
    assert all(status == "loaded" for _, status, _ in rows)  # loaded before the kill or after, once
    assert not leaked, (LEAK_MESSAGE, leaked)


def test_sigkill_during_dbt(record_fault, tmp_path, reference, two_month_sample):
    record_fault("SIGKILL of the refresh during the dbt build")
    chain = new_chain(tmp_path, two_month_sample)
    run = RefreshProcess(chain)
    run.on_line(lambda line: "Running dbt command" in line)
    run.wait_for(run.triggered.is_set, timeout=600)
    time.sleep(3)  # into the build itself, past dbt's start-up
    run.kill()
    assert not (chain.published / publication.DB_NAME).exists()
    leaked = after_kill(chain)

    refresh(chain)
    assert_converged(chain, reference, two_month_sample)
    assert not leaked, (LEAK_MESSAGE, leaked)


def test_sigkill_during_publishing(record_fault, tmp_path, reference, two_month_sample):
    record_fault("SIGKILL of the refresh during publishing")
    chain = new_chain(tmp_path, two_month_sample)
    run = RefreshProcess(chain)
    chain.published.mkdir(parents=True, exist_ok=True)
    # the marts database being staged (not the bulletin, which is staged after the swap)
    staging_marts = f".{publication.DB_NAME}."
    run.wait_for(lambda: any(p.name.startswith(staging_marts) for p in chain.published.iterdir()),
                 timeout=900, poll=0.005)
    run.kill()
    assert not (chain.published / publication.DB_NAME).exists()  # a half-made publication is never served
    leaked = after_kill(chain)

    refresh(chain)
    assert_converged(chain, reference, two_month_sample)
    assert not leaked, (LEAK_MESSAGE, leaked)


# --- storage faults --------------------------------------------------------------------------------

WRITER = textwrap.dedent(
    """
    import sys, duckdb
    con = duckdb.connect(sys.argv[1])
    con.execute("CREATE TABLE t (batch INTEGER, n BIGINT, payload VARCHAR)")
    con.execute("INSERT INTO t SELECT 0, range, repeat('x', 100) FROM range(100000)")
    print("committed", flush=True)
    batch = 1
    while True:  # big uncommitted transactions, one after another, until killed
        con.execute("BEGIN")
        con.execute(f"INSERT INTO t SELECT {batch}, range, repeat('y', 100) FROM range(2000000)")
        con.execute("ROLLBACK" if batch % 2 else "COMMIT")
        print(f"batch {batch}", flush=True)
        batch += 1
    """
)


def test_duckdb_file_left_by_a_killed_writer_reopens_consistent(record_fault, tmp_path):
    record_fault("DuckDB file left by a writer killed mid-transaction")
    path = tmp_path / "crashed.duckdb"
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(path)], stdout=subprocess.PIPE, text=True,
                              start_new_session=True)
    assert writer.stdout.readline().strip() == "committed"
    time.sleep(2.5)  # inside a large write
    os.killpg(writer.pid, signal.SIGKILL)
    writer.wait(timeout=60)

    with duckdb.connect(str(path)) as con:  # replays the WAL; must not need repair
        batches = dict(con.execute("SELECT batch, count(*) FROM t GROUP BY batch").fetchall())
        con.execute("INSERT INTO t VALUES (-1, 0, 'writable again')")
    assert batches[0] == 100_000
    # only whole committed batches survive (even batches commit), never a partial one
    assert all(batch % 2 == 0 and rows == 2_000_000 for batch, rows in batches.items() if batch)


def _no_space(*args, **kwargs):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def _tree_digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): (os.readlink(p) if p.is_symlink() else hashlib.sha256(p.read_bytes()).hexdigest())
        for p in sorted(folder.rglob("*"))
        if p.is_symlink() or p.is_file()
    }


def test_disk_full_while_publishing_keeps_the_previous_publication(record_fault, tmp_path, reference, monkeypatch):
    record_fault("disk full (ENOSPC) while publishing")
    chain, checksums = reference
    published = tmp_path / "published"
    shutil.copytree(chain.published, published, symlinks=True)
    before = _tree_digest(published)
    monkeypatch.setattr(publication, "_write_durably", _no_space)

    with pytest.raises(publication.PublicationError, match="No space left on device"):
        publication.publish(chain.warehouse, published)
    assert _tree_digest(published) == before  # staged files removed, nothing swapped

    monkeypatch.undo()
    publication.publish(chain.warehouse, published)
    assert mart_checksums(chain, published) == checksums


def _train_correction_beside(reference, tmp_path: Path, two_month_sample: Path, own_lake: Path) -> tuple[Path, Path, Path]:
    """A copy of the reference warehouse and its lake, and a correction of November's train
    log in a landing zone of its own: (warehouse, landing root, correction)."""
    chain, _ = reference
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy(chain.warehouse, warehouse)
    shutil.copytree(chain.root / "lake", own_lake)
    landing = tmp_path / "landing"
    trains = next((two_month_sample / "corridor_trains").glob("trains_2021-11_*.csv"))
    correction = landing / "corridor_trains" / "trains_2021-11_20211230.csv"
    correction.parent.mkdir(parents=True)
    correction.write_bytes(trains.read_bytes().replace(b"inbound", b"outbound", 1))
    return warehouse, landing, correction


def test_disk_full_while_loading_keeps_the_previous_state(record_fault, tmp_path, reference, two_month_sample,
                                                          monkeypatch, own_lake):
    record_fault("disk full (ENOSPC) while loading")
    warehouse, landing, correction = _train_correction_beside(reference, tmp_path, two_month_sample, own_lake)

    def raw_state(con):
        return [con.execute(f"SELECT count(*), sum(hash(t)) FROM raw.{table} t").fetchone()
                for table in ("corridor_trains", "load_audit")]

    with duckdb.connect(str(warehouse)) as con:
        loader = RawLoader(con, landing, tmp_path / "quarantine", date(2021, 12, 31), own_lake)
        before = raw_state(con)
        monkeypatch.setattr(load_audit, "record", _no_space)  # the last write of the transaction
        with pytest.raises(OSError, match="No space left on device"):
            loader.load(correction)
        assert raw_state(con) == before
        assert_lake_matches_audit(con, own_lake)  # its Parquet, written before the audit failed, is gone
    assert correction.exists()  # still in the landing zone for the next run
    monkeypatch.undo()  # room again

    with duckdb.connect(str(warehouse)) as con:
        assert raw_state(con) == before  # and so on disk, after reopening
        outcome = RawLoader(con, landing, tmp_path / "quarantine", date(2021, 12, 31), own_lake).load(correction)
        assert outcome.status == "loaded" and outcome.rows_loaded > 0
        assert_lake_matches_audit(con, own_lake)


def test_disk_full_while_writing_the_lake_refuses_the_file_and_keeps_it(record_fault, tmp_path, reference,
                                                                         two_month_sample, monkeypatch, own_lake):
    record_fault("disk full (ENOSPC) while writing the lake's Parquet")
    warehouse, landing, correction = _train_correction_beside(reference, tmp_path, two_month_sample, own_lake)
    delivered = correction.read_bytes()

    with duckdb.connect(str(warehouse)) as con:
        loader = RawLoader(con, landing, tmp_path / "quarantine", date(2021, 12, 31), own_lake)
        before = con.execute("SELECT count(*), sum(hash(t)) FROM raw.corridor_trains t").fetchone()
        monkeypatch.setattr(lake, "_fsync", _no_space)
        outcome = loader.load(correction)
        monkeypatch.undo()
        assert outcome.status == "refused" and outcome.reason.startswith("lake_unwritable: ")
        assert "No space left on device" in outcome.reason
        assert Path(outcome.quarantine_path).read_bytes() == delivered  # not lost
        assert con.execute("SELECT count(*) FROM raw.load_audit WHERE file_name = ?",
                           ["corridor_trains/" + correction.name]).fetchone() == (1,)
        assert con.execute("SELECT count(*), sum(hash(t)) FROM raw.corridor_trains t").fetchone() == before
        assert_lake_matches_audit(con, own_lake)


# --- the daemon killed and restarted while files arrive ---------------------------------------------

def _runs(home: Path) -> list:
    with dg.DagsterInstance.from_config(str(home)) as instance:
        return list(instance.get_runs())


def _wait(condition, timeout: float, what: str, ui=None, poll: float = 2) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}" + (f":\n{ui.log_tail()}" if ui else ""))
        time.sleep(poll)


def _listening_addresses(port: int) -> set[str]:
    """Local addresses of the TCP sockets listening on ``port``."""
    return {connection.laddr.ip for connection in psutil.net_connections(kind="tcp4")
            if connection.status == psutil.CONN_LISTEN and connection.laddr.port == port}


def test_daemon_killed_and_restarted_while_files_arrive(record_fault, tmp_path, reference, two_month_sample):
    """One feed's first month starts a run; the rest of the files land; the UI, the daemon
    and that run are SIGKILLed together. The next UI must mark the dead run failed, retry
    it, launch runs for every file that landed meanwhile and converge to the reference."""
    record_fault("UI, daemon and a run SIGKILLed and restarted while files arrive")
    chain = new_chain(tmp_path)
    home = tmp_path / "dagster_home"
    # A single first run keeps the queue short after the restart: the runs in CI's time.
    first = [p for p in two_month_sample.rglob("*")
             if p.is_file() and p.parent.name == FIRST_FEED and EARLY_MONTH in p.name]
    rest = [p for p in two_month_sample.rglob("*") if p.is_file() and p not in first]
    assert first and rest

    def arrive(files):
        for path in files:
            deliver(chain.root / "landing" / path.relative_to(two_month_sample), path.read_bytes())

    arrive(first)
    ui = start_ui(chain.env, tmp_path / "ui-1.log")
    try:
        ui.wait_until_loaded()
        assert _listening_addresses(ui.port) == {"127.0.0.1"}  # never on all interfaces
        _wait(lambda: _started_runs(home), 300, "a run to start", ui)
        arrive(rest)  # files keep arriving while the daemon goes down
        in_flight = _started_runs(home)
        ui.kill()  # SIGKILL: webserver, daemon, code servers and the run in flight
    except BaseException:
        ui.kill()
        raise

    ui = start_ui(chain.env, tmp_path / "ui-2.log")
    try:
        ui.wait_until_loaded()
        # the run killed with the daemon is marked failed: it no longer holds the writer place
        assert in_flight and not set(in_flight) & set(_started_runs(home))
        # Only the published marts are read while the daemon runs: a reader of the warehouse
        # would take the lock a run's dbt step needs.
        _wait(lambda: _converged(chain, reference), 900, "the marts to converge", ui, poll=10)
    finally:
        survivors = ui.stop()
        if survivors:
            ui.kill()
    # The queued runs left over after convergence (nothing new to load) were interrupted by
    # the stop, so staging files or a STARTED run may remain: the next run clears them.
    assert mart_checksums(chain) == reference[1]
    assert_every_file_accounted_once(chain, landing_names(two_month_sample))
    runs = {run.run_id: run for run in _runs(home)}
    for run_id in in_flight:  # the instance tells what happened: failed as gone, then retried
        assert runs[run_id].status == dg.DagsterRunStatus.FAILURE
        assert any(run.tags.get("dagster/parent_run_id") == run_id for run in runs.values())


def _started_runs(home: Path) -> list[str]:
    return [run.run_id for run in _runs(home) if run.status == dg.DagsterRunStatus.STARTED]


def _converged(chain, reference) -> bool:
    try:
        return mart_checksums(chain) == reference[1]
    except (subprocess.CalledProcessError, FileNotFoundError):
        return False
