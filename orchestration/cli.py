"""Command line: `python -m orchestration.cli refresh | ui`.

`refresh` is what `make run` does: one Dagster run of `refresh_all` over every month that
has files in the landing zone, recorded in the project's Dagster instance (so it shows in
the UI), then the headline of the latest period read back from the published marts.
"""

from __future__ import annotations

import argparse
import ctypes
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import dagster as dg

from orchestration import settings
from orchestration.feeds import FEEDS
from orchestration.ingest.landing_zone import SETTLE_SECONDS, landing_files, landing_root_problem, unsettled
from orchestration.parsing.landing_names import parse_landing_name
from orchestration.partitions import PARTITION_RANGE_END_TAG, PARTITION_RANGE_START_TAG
from orchestration.periods import month_key, run_month
from orchestration.processes import process_alive
from orchestration.writer import refresh_lock, wait_for_writer_runs

# How long `ui` waits for Dagster to stop by itself before killing what is left.
SHUTDOWN_GRACE_SECONDS = 30
PR_SET_CHILD_SUBREAPER = 36  # prctl option, linux/prctl.h
# A file system with less room than this is full: a refresh writes far more.
FULL_BELOW_BYTES = 1 << 20
# The process that runs a `refresh` in-process, so a later refresh can tell it was killed.
REFRESH_PID_TAG = "orchestration/refresh_pid"


def landing_month_range() -> tuple[str, str] | None:
    months = set()
    for feed in FEEDS:
        for path in landing_files(settings.landing_dir(), feed):
            months.add(month_key(run_month(parse_landing_name(feed, path.name).reference_month)))
    return (min(months), max(months)) if months else None


def full_file_systems() -> list[Path]:
    """The Dagster home, the warehouse's folder and the lake, where their file system has no room left.
    Asked after a failure: SQLite reports a full disk as ENOSPC, "disk is full" or a plain
    "disk I/O error", depending on where it ran out."""
    home = os.environ.get("DAGSTER_HOME")
    places = [Path(home)] if home else []
    places += [settings.warehouse_db().parent, settings.lake_dir()]
    return [place for place in places if place.is_dir() and shutil.disk_usage(place).free < FULL_BELOW_BYTES]


def fail_abandoned_runs(instance: dg.DagsterInstance) -> None:
    """A run whose process was killed (a `refresh`, or a run worker killed with the daemon)
    stays STARTED for ever and, as a warehouse writer, holds the queue's only writer place:
    mark it failed. Run monitoring cannot tell: the default run launcher has no health check."""
    for run in instance.get_runs(filters=dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED])):
        pid = run_process_id(instance, run)
        if pid and not process_alive(pid):
            instance.report_run_failed(run, message=f"the process {pid} of this run is gone (killed?)")
            print(f"marked run {run.run_id} failed: its process {pid} is gone", file=sys.stderr)


def run_process_id(instance: dg.DagsterInstance, run: dg.DagsterRun) -> int | None:
    """The refresh process (our tag) or the run worker (the pid of its first engine event)."""
    if REFRESH_PID_TAG in run.tags:
        return int(run.tags[REFRESH_PID_TAG])
    for entry in instance.all_logs(run.run_id, of_type=dg.DagsterEventType.ENGINE_EVENT):
        pid = entry.dagster_event.engine_event_data.metadata.get("pid")
        if pid is not None:
            return int(pid.value)
    return None


def refresh(first: str | None, last: str | None) -> int:
    problem = landing_root_problem(settings.landing_dir())
    if problem:
        print(problem, file=sys.stderr)
    found = None if problem else landing_month_range()
    if found is None and not (first and last):
        print(f"no landing files under {settings.landing_dir()}", file=sys.stderr)
        return 1
    first, last = first or found[0], last or found[1]
    try:
        code, failure = run_refresh(first, last), "the run failed"
    except Exception as error:
        if not full_file_systems():
            raise
        code, failure = 1, f"{error.__class__.__name__}: {(str(error).splitlines() or [''])[0]}"
    if code and (full := full_file_systems()):
        print(f"no space left for {' and '.join(map(str, full))} ({failure}). Free space and run refresh "
              "again: files already loaded are not loaded twice", file=sys.stderr)
    return code


def tell(text: str) -> None:
    print(text, file=sys.stderr)


def wait_until_settled(landing_root: Path, say: Callable[[str], None]) -> None:
    """Return once no delivery has changed for SETTLE_SECONDS, saying once which were young."""
    told: set[str] = set()
    while young := unsettled(landing_root, time.time()):
        for name in sorted(young.keys() - told):
            say(f"waiting for {name}: changed less than {SETTLE_SECONDS:.0f} s ago, its producer may still write it")
        told |= young.keys()
        time.sleep(max(0.1, max(young.values()) + SETTLE_SECONDS - time.time()))


def run_refresh(first: str, last: str) -> int:
    from orchestration.definitions import defs
    from orchestration.publish.bulletin import build_bulletin, render_markdown
    from orchestration.publish.publication import open_published

    job = defs.resolve_job_def("refresh_all")
    with refresh_lock(settings.warehouse_db(), tell):
        wait_until_settled(settings.landing_dir(), tell)
        instance = dg.DagsterInstance.get()  # two at once would both create its storage
        fail_abandoned_runs(instance)
        wait_for_writer_runs(instance, tell)
        print(f"refresh_all: months {first} .. {last}", file=sys.stderr)
        result = job.execute_in_process(
            instance=instance,
            tags={
                PARTITION_RANGE_START_TAG: first,
                PARTITION_RANGE_END_TAG: last,
                REFRESH_PID_TAG: str(os.getpid()),
            },
            # The console shows progress; every event stays in the instance for the UI.
            run_config={"loggers": {"console": {"config": {"log_level": "INFO"}}}},
            raise_on_error=False,
        )
    if not result.success:
        print(f"run {result.run_id} failed; see the Dagster UI (make ui)", file=sys.stderr)
        return 1
    with open_published(settings.published_dir()) as con:
        print(render_markdown(build_bulletin(con)))
    return 0


def ui(port: int) -> int:
    """`dg dev` (the code location of `[tool.dg]` in pyproject.toml, webserver and daemon),
    bound to 127.0.0.1, on the project's instance.

    `dg dev` stops its webserver and daemon on SIGINT or SIGTERM, but not always the
    processes under them (code servers, run workers). So it runs in a process group of its
    own: a signal to this command reaches the whole group, as a terminal's Ctrl-C would, and
    whatever is still alive after a grace period is killed.
    """
    dg_cli = os.path.join(os.path.dirname(sys.executable), "dg")
    command = [dg_cli, "dev", "--host", "127.0.0.1", "--port", str(port)]
    with dg.DagsterInstance.get() as instance:
        fail_abandoned_runs(instance)  # left by a `ui` that was killed: the new daemon retries them
    adopt_orphans()
    received: list[int] = []
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda signum, _frame: received.append(signum))
    dev = subprocess.Popen(command, cwd=settings.REPO_ROOT, start_new_session=True)
    while dev.poll() is None and not received:
        time.sleep(0.2)
    signal_group(dev.pid, signal.SIGINT)  # dagster shuts down cleanly on SIGINT, even mid-run
    deadline = time.monotonic() + SHUTDOWN_GRACE_SECONDS
    while group_alive(dev.pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    signal_group(dev.pid, signal.SIGKILL)
    while group_alive(dev.pid):
        time.sleep(0.05)
    return 0 if received else dev.returncode


def adopt_orphans() -> None:
    """Become the parent of processes orphaned under us (Linux), so they stay in reach and get reaped."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    except (OSError, AttributeError):
        pass  # not Linux: the process group alone bounds the shutdown


def signal_group(pgid: int, signum: int) -> None:
    try:
        os.killpg(pgid, signum)
    except ProcessLookupError:
        pass


def group_alive(pgid: int) -> bool:
    reap_children()
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def reap_children() -> None:
    """Collect exited children (ours and adopted ones), so no zombie keeps the group alive."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="orchestration.cli", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("refresh", help="ingest, build and publish every landed month")
    run.add_argument("--from", dest="first", help="first month YYYY-MM (default: earliest landed)")
    run.add_argument("--to", dest="last", help="last month YYYY-MM (default: latest landed)")
    serve = commands.add_parser("ui", help="start the Dagster UI and daemon on 127.0.0.1")
    serve.add_argument("--port", type=int, default=int(os.environ.get("DAGSTER_PORT", "3000")))
    args = parser.parse_args(argv)
    # What `make` exports, so the command works from a bare shell too; a set variable wins.
    os.environ["DAGSTER_HOME"] = str(settings.dagster_home())
    if args.command == "refresh":
        return refresh(args.first, args.last)
    return ui(args.port)


if __name__ == "__main__":
    sys.exit(main())
