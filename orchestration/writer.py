"""One writer of the warehouse at a time, also for runs outside the daemon's queue.

The daemon's queue starts one run tagged warehouse=writer at a time (dagster.yaml), and
counts every such run in progress, however it was launched. A `refresh` runs in its own
process, outside that queue: it first takes an OS lock next to the warehouse file (so two
`refresh` commands take turns, from opening the Dagster instance on), then waits while a
writer run of the instance is in progress (a daemon run), and starts its own run, which the
queue then counts in turn.
"""

from __future__ import annotations

import fcntl
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg

from orchestration.jobs import WRITER_TAGS

IN_PROGRESS = [dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.CANCELING]
POLL_SECONDS = 1.0


def lock_path(warehouse: Path) -> Path:
    return warehouse.with_name(warehouse.name + ".writer.lock")


def writer_runs_in_progress(instance: dg.DagsterInstance) -> list[str]:
    tag, value = next(iter(WRITER_TAGS.items()))
    runs = instance.get_runs(dg.RunsFilter(statuses=IN_PROGRESS, tags={tag: value}))
    return [run.run_id for run in runs]


@contextmanager
def refresh_lock(warehouse: Path, say: Callable[[str], None]) -> Iterator[None]:
    """Hold the lock of the `refresh` commands on ``warehouse`` for the body, waiting for
    another refresh that holds it (saying so). The OS lets go of it when the process ends,
    killed or not."""
    path = lock_path(warehouse)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            say(f"waiting for another refresh, which holds {path}")
            fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def wait_for_writer_runs(instance: dg.DagsterInstance, say: Callable[[str], None]) -> None:
    """Return once no writer run of ``instance`` is in progress, saying once which are."""
    told: set[str] = set()
    while running := writer_runs_in_progress(instance):
        for run_id in set(running) - told:
            say(f"waiting for run {run_id}, which is writing the warehouse")
        told |= set(running)
        time.sleep(POLL_SECONDS)
