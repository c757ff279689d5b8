"""Shared by the fault, load and daemon suites: a refresh run in its own process group that
can be killed at a chosen moment, a producer's delivery into the landing zone, and the two
things every scenario compares afterwards: the checksums of every published table and the
audit's account of every landing file."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable
from pathlib import Path

import duckdb

from tests.support.chain import REPO, ChainFolder

FINAL_STATUSES = ("loaded", "superseded", "duplicate", "refused")
RUN_TIMEOUT_SECONDS = 900

# Per published table: rows, distinct rows and an order-free checksum of every column but
# those that name the build itself (a file's load id and time, when the marts were
# published), which legitimately differ between two builds of the same files.
BUILD_EVENT_COLUMNS = {
    "dim_source_file": ("load_id", "loaded_at"),
    "publication": ("published_at", "marts_published_at"),
}
CHECKSUM_SCRIPT = textwrap.dedent(
    """
    import json, sys
    from pathlib import Path
    from orchestration.publish.publication import open_published
    con = open_published(Path(sys.argv[1]))
    build_event_columns = json.loads(sys.argv[2])
    tables = [t for (t,) in con.execute(
        "select table_name from information_schema.tables where table_schema = 'marts' order by 1").fetchall()]
    out = {}
    for table in tables:
        excluded = ", ".join(f'"{c}"' for c in build_event_columns.get(table, ()))
        columns = f"* exclude ({excluded})" if excluded else "*"
        rows, distinct, checksum = con.execute(
            f'select count(*), count(distinct t), cast(sum(hash(t)) as varchar)'
            f' from (select {columns} from marts."{table}") t').fetchone()
        out[table] = [rows, distinct, checksum]
    print(json.dumps(out))
    """
)


def deliver(target: Path, data: bytes) -> None:
    """As a producer does: the bytes arrive under a .part name, then one rename makes them visible."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".part")
    partial.write_bytes(data)
    os.replace(partial, target)


def new_chain(root: Path, landing_source: Path | None = None) -> ChainFolder:
    chain = ChainFolder(root)
    chain.prepare()
    if landing_source is not None:
        shutil.copytree(landing_source, root / "landing")
    return chain


def landing_names(landing: Path) -> set[str]:
    return {str(p.relative_to(landing)) for p in landing.rglob("*") if p.is_file()}


def mart_checksums(chain: ChainFolder, published: Path | None = None) -> dict[str, list]:
    """Read as a BI reader does, in a process of its own."""
    done = subprocess.run(
        [sys.executable, "-c", CHECKSUM_SCRIPT, str(published or chain.published), json.dumps(BUILD_EVENT_COLUMNS)],
        cwd=REPO, env=chain.env, check=True, capture_output=True, text=True, timeout=300,
    )
    return json.loads(done.stdout)


def audit_rows(chain: ChainFolder) -> list[tuple[str, str, str | None]]:
    with duckdb.connect(str(chain.warehouse), read_only=True) as con:
        return con.execute("SELECT file_name, status, reason FROM raw.load_audit ORDER BY started_at").fetchall()


def decided_files(chain: ChainFolder) -> set[str] | None:
    """The landing files the load audit has decided on; None while a writer holds the
    warehouse (read it only when no run is in flight: a reader blocks a writer)."""
    try:
        return {name for name, _, _ in audit_rows(chain)}
    except duckdb.IOException:
        return None


def assert_every_file_accounted_once(chain: ChainFolder, expected: set[str]) -> list[tuple]:
    """Every landing file has exactly one audit row, with a final status; no other rows."""
    rows = audit_rows(chain)
    names = [name for name, _, _ in rows]
    assert sorted(names) == sorted(expected), {
        "missing": sorted(expected - set(names)),
        "unexpected": sorted(set(names) - expected),
        "twice": sorted({n for n in names if names.count(n) > 1}),
    }
    assert all(status in FINAL_STATUSES for _, status, _ in rows), rows
    return rows


class RefreshProcess:
    """`python -m orchestration.cli refresh` in a session of its own (so SIGKILL reaches the
    dbt subprocesses too), its stderr watched line by line for a trigger."""

    def __init__(self, chain: ChainFolder, *args: str):
        self.lines: list[str] = []
        self.triggered = threading.Event()
        self._trigger: Callable[[str], bool] = lambda line: False
        self.process = subprocess.Popen(
            [sys.executable, "-m", "orchestration.cli", "refresh", *args],
            cwd=REPO, env=chain.env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
            start_new_session=True,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def on_line(self, trigger: Callable[[str], bool]) -> None:
        self._trigger = trigger

    def _read(self) -> None:
        for line in self.process.stderr:
            self.lines.append(line)
            if self._trigger(line):
                self.triggered.set()

    def wait_for(self, condition: Callable[[], bool], timeout: float, poll: float = 0.02) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if self.process.poll() is not None:
                raise AssertionError(f"the run ended (rc {self.process.returncode}) before the fault moment:\n"
                                     + "".join(self.lines[-40:]))
            if time.monotonic() > deadline:
                self.kill()
                raise AssertionError("the fault moment never came:\n" + "".join(self.lines[-40:]))
            time.sleep(poll)

    def kill(self) -> None:
        """SIGKILL to the whole process group: the run, its dbt processes, everything."""
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait(timeout=60)
        self._reader.join(timeout=10)

    def wait(self) -> int:
        try:
            return self.process.wait(timeout=RUN_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            self.kill()  # a hung run must not outlive the test
            raise AssertionError(f"the run did not end within {RUN_TIMEOUT_SECONDS} s:\n" + "".join(self.lines[-40:]))
        finally:
            self._reader.join(timeout=10)


def leaked_slots(home: Path) -> list[str]:
    """Concurrency slots still claimed in the instance: a killed run must leave none, or every
    later run would wait for it for ever."""
    import dagster as dg

    with dg.DagsterInstance.from_config(str(home)) as instance:
        storage = instance.event_log_storage
        return [
            f"run {slot.run_id} still holds the {key} slot for step {slot.step_key}"
            for key in storage.get_concurrency_keys()
            for slot in storage.get_concurrency_info(key).claimed_slots
        ]


def unfinished_runs(home: Path) -> list[str]:
    """Runs the instance still shows as started: after a refresh, none may be left."""
    import dagster as dg

    with dg.DagsterInstance.from_config(str(home)) as instance:
        return [run.run_id for run in instance.get_runs(filters=dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED]))]


def refresh(chain: ChainFolder, *args: str) -> None:
    run = RefreshProcess(chain, *args)
    assert run.wait() == 0, "".join(run.lines[-60:])
