"""One writer at a time: a writer run opens the warehouse only once every writer run
created before it has ended. That closes the moment between `refresh`'s wait for the
daemon's runs and the start of its own run, in which the queue may still start one.
Real Dagster instances and runs, a real DuckDB file."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import dagster as dg
import pytest
from dagster._core.test_utils import create_run_for_test

from orchestration.writer import WRITER_TAGS, WarehouseWriter, earlier_writer_runs_in_progress

STARTED = dg.DagsterRunStatus.STARTED
# Only a bound for a broken build: the test ends as soon as the events it waits for happen.
GIVE_UP_SECONDS = 120


@pytest.fixture
def instance(tmp_path: Path):
    with dg.DagsterInstance.local_temp(str(tmp_path)) as instance:
        yield instance


def test_only_writer_runs_in_progress_created_before_count(instance) -> None:
    first = create_run_for_test(instance, status=STARTED, tags=WRITER_TAGS)
    create_run_for_test(instance, status=STARTED)  # no writer
    create_run_for_test(instance, status=dg.DagsterRunStatus.SUCCESS, tags=WRITER_TAGS)  # ended
    second = create_run_for_test(instance, status=STARTED, tags=WRITER_TAGS)
    later = create_run_for_test(instance, status=STARTED, tags=WRITER_TAGS)
    assert earlier_writer_runs_in_progress(instance, first.run_id) == []
    assert earlier_writer_runs_in_progress(instance, second.run_id) == [first.run_id]
    assert set(earlier_writer_runs_in_progress(instance, later.run_id)) == {first.run_id, second.run_id}


def end_when_waited_for(instance: dg.DagsterInstance, earlier: dg.DagsterRun, ended: list[float]) -> None:
    """Once another run says it waits for ``earlier``, mark ``earlier`` ended (as its worker would)."""
    deadline = time.monotonic() + GIVE_UP_SECONDS
    while time.monotonic() < deadline:
        for run in instance.get_runs():
            if run.run_id != earlier.run_id and any(
                f"waiting for run {earlier.run_id}" in (entry.user_message or "") for entry in instance.all_logs(run.run_id)
            ):
                ended.append(time.time())
                instance.report_run_failed(earlier, message="ended by the test")
                return
        time.sleep(0.05)


def test_a_writer_run_started_in_the_moment_after_the_wait_opens_the_warehouse_after_the_earlier_one(
    instance, tmp_path: Path
) -> None:
    # The daemon's run, created (queued) earlier, was started by the queue after `refresh`
    # found no writer run in progress.
    daemon_run = create_run_for_test(instance, status=STARTED, tags=WRITER_TAGS)
    written_at: list[float] = []

    @dg.asset
    def written(warehouse: WarehouseWriter) -> None:
        with warehouse.get_connection() as con:
            con.execute("create table t as select 1 as n")
        written_at.append(time.time())

    ended: list[float] = []
    ender = threading.Thread(target=end_when_waited_for, args=(instance, daemon_run, ended), daemon=True)
    ender.start()
    result = dg.materialize(
        [written], instance=instance, tags=WRITER_TAGS,
        resources={"warehouse": WarehouseWriter(database=str(tmp_path / "warehouse.duckdb"))},
    )
    ender.join(timeout=GIVE_UP_SECONDS)
    assert result.success
    assert ended and written_at and written_at[0] >= ended[0]  # it waited for the earlier run
    assert earlier_writer_runs_in_progress(instance, daemon_run.run_id) == []  # and never the other way round
