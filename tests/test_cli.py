"""The refresh command's bookkeeping of runs it did not finish."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid

import dagster as dg
from dagster._core.storage.dagster_run import DagsterRun

from orchestration.cli import REFRESH_PID_TAG, fail_abandoned_refreshes


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
        fail_abandoned_refreshes(instance)
        assert instance.get_run_by_id(killed.run_id).status == dg.DagsterRunStatus.FAILURE
        assert instance.get_run_by_id(running.run_id).status == dg.DagsterRunStatus.STARTED
