"""One writer of the warehouse at a time, also for runs outside the daemon's queue.

The daemon's queue starts one run tagged warehouse=writer at a time (dagster.yaml), and
counts every such run in progress, however it was launched. A `refresh` runs in its own
process, outside that queue: it first takes an OS lock next to the warehouse file (so two
`refresh` commands take turns, from opening the Dagster instance on), then waits while a
writer run of the instance is in progress (a daemon run), and starts its own run, which the
queue then counts in turn. In the moment between that wait and the start of its run the
queue may still start a daemon run, so every writer run opens the warehouse only once no
writer run created before it is in progress (``WarehouseWriter``): of two that overlap,
the later waits.
"""

from __future__ import annotations

import fcntl
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
from dagster_duckdb import DuckDBResource

# Every run that touches the warehouse queues behind the one writer (see dagster.yaml).
WRITER_TAGS = {"warehouse": "writer"}
IN_PROGRESS = [dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.CANCELING]
POLL_SECONDS = 1.0


def lock_path(warehouse: Path) -> Path:
    return warehouse.with_name(warehouse.name + ".writer.lock")


def writer_runs_in_progress(instance: dg.DagsterInstance) -> list[str]:
    return [record.dagster_run.run_id for record in _writer_records(instance)]


def earlier_writer_runs_in_progress(instance: dg.DagsterInstance, run_id: str) -> list[str]:
    """The writer runs in progress created before ``run_id``: with a lower storage id, which
    counts up as runs are created (timestamps may tie)."""
    mine = instance.get_run_record_by_id(run_id)
    if mine is None:
        return []
    return [record.dagster_run.run_id for record in _writer_records(instance) if record.storage_id < mine.storage_id]


def _writer_records(instance: dg.DagsterInstance) -> list:
    return instance.get_run_records(dg.RunsFilter(statuses=IN_PROGRESS, tags=WRITER_TAGS))


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


def wait_for_writer_runs(instance: dg.DagsterInstance, say: Callable[[str], None],
                         in_progress: Callable[[], list[str]] | None = None) -> None:
    """Return once no writer run of ``instance`` is in progress (or none of those
    ``in_progress`` lists), saying once which are."""
    in_progress = in_progress or (lambda: writer_runs_in_progress(instance))
    told: set[str] = set()
    while running := in_progress():
        for run_id in set(running) - told:
            say(f"waiting for run {run_id}, which is writing the warehouse")
        told |= set(running)
        time.sleep(POLL_SECONDS)


class WarehouseWriter(DuckDBResource):
    """The working warehouse, as every asset of a writer run opens it: set up only once no
    writer run created before this one is still in progress."""

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        run, instance = context.dagster_run, context.instance
        if run is None or instance is None or not WRITER_TAGS.items() <= run.tags.items():
            return
        wait_for_writer_runs(instance, context.log.info, lambda: earlier_writer_runs_in_progress(instance, run.run_id))
