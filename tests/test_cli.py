"""The command line: it runs from a bare shell, and keeps the books of runs whose process
was killed (by `refresh` and `ui`)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from datetime import date
from pathlib import Path

import dagster as dg
import pytest
from dagster._core.events import EngineEventData
from dagster._core.storage.dagster_run import DagsterRun

from orchestration import settings
from orchestration.cli import REFRESH_PID_TAG, fail_abandoned_runs
from tools.sample_data import generate

# What a checkout holds after `make setup`, less the virtual environment (this interpreter's).
CHECKOUT = ("orchestration", "dbt_project", "dbt_project.yml", "profiles.yml", "target/manifest.json",
            "target/partial_parse.msgpack")
# What `make` exports or a test would set: none of it may be needed.
PROJECT_VARIABLES = ("DAGSTER_HOME", "DBT_PROFILES_DIR", "PYTHONPATH", "LANDING_DIR", "QUARANTINE_DIR",
                     "WAREHOUSE_DB", "WAREHOUSE_LAKE", "PUBLISHED_DIR")


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


def test_the_dagster_home_is_the_repositorys_own_unless_the_variable_says_otherwise(tmp_path, monkeypatch):
    monkeypatch.setattr(settings, "REPO_ROOT", tmp_path / "checkout")
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    home = settings.dagster_home()
    assert home == tmp_path / "checkout" / ".dagster_home"
    assert (home / "dagster.yaml").read_bytes() == settings.DAGSTER_CONFIG.read_bytes()

    own = tmp_path / "own_home"
    own.mkdir()
    (own / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    monkeypatch.setenv("DAGSTER_HOME", str(own))
    assert settings.dagster_home() == own
    assert (own / "dagster.yaml").read_text() == "telemetry:\n  enabled: false\n"  # an existing one is kept


def fresh_checkout(root: Path) -> Path:
    for name in CHECKOUT:
        source, target = settings.REPO_ROOT / name, root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__"))
        elif source.exists():
            shutil.copyfile(source, target)
    return root


@pytest.mark.slow
def test_refresh_runs_from_a_bare_shell_at_the_repository_root(tmp_path):
    """`python -m orchestration.cli refresh` in a checkout, with none of make's variables set."""
    checkout = fresh_checkout(tmp_path / "checkout")
    month = date(2021, 11, 1)
    generate(checkout / "data" / "landing", through=month, only_from=month, detail_rows=200)
    env = {name: value for name, value in os.environ.items() if name not in PROJECT_VARIABLES}

    done = subprocess.run(
        [sys.executable, "-m", "orchestration.cli", "refresh", "--from", "2021-11", "--to", "2021-11"],
        cwd=checkout, env=env, capture_output=True, text=True, timeout=1200,
    )

    assert done.returncode == 0, done.stderr[-4000:]
    home = checkout / ".dagster_home"
    assert (home / "dagster.yaml").read_bytes() == settings.DAGSTER_CONFIG.read_bytes()
    with dg.DagsterInstance.from_config(str(home)) as instance:
        runs = instance.get_runs()
    assert [(run.job_name, run.status) for run in runs] == [("refresh_all", dg.DagsterRunStatus.SUCCESS)]
    assert (checkout / "data" / "warehouse.duckdb").exists()
    assert (checkout / "data" / "published" / "trade.duckdb").exists()
    assert "2021" in done.stdout  # the latest bulletin, read back from the published marts
