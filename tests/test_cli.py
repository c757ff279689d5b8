"""The bookkeeping of runs whose process was killed (by `refresh` and `ui`)."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid

import dagster as dg
from dagster._core.events import EngineEventData
from dagster._core.storage.dagster_run import DagsterRun

from orchestration.cli import REFRESH_PID_TAG, fail_abandoned_runs


def _started_refresh(instance, pid: int) -> DagsterRun:
    run = DagsterRun(
        job_name="refresh_all", run_id=str(uuid.uuid4()), status=dg.DagsterRunStatus.STARTED,
        tags={REFRESH_PID_TAG: str(pid)},
    )
    return instance.add_run(run)


def test_a_killed_refresh_is_marked_failed_and_a_live_one_is_left_alone():
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    with dg.instance_for_test() as instance:
        killed = _started_refresh(instance, gone.pid)
        running = _started_refresh(instance, os.getpid())
        fail_abandoned_runs(instance)
        assert instance.get_run_by_id(killed.run_id).status == dg.DagsterRunStatus.FAILURE
        assert instance.get_run_by_id(running.run_id).status == dg.DagsterRunStatus.STARTED


def test_a_daemon_run_whose_worker_was_killed_is_marked_failed():
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    with dg.instance_for_test() as instance:
        killed = instance.add_run(DagsterRun(job_name="refresh_all", run_id=str(uuid.uuid4()),
                                             status=dg.DagsterRunStatus.STARTED))
        # what the run worker launched by the daemon records first
        instance.report_engine_event(f"Started process for run (pid: {gone.pid}).", killed,
                                     EngineEventData.in_process(gone.pid))
        fail_abandoned_runs(instance)
        assert instance.get_run_by_id(killed.run_id).status == dg.DagsterRunStatus.FAILURE
