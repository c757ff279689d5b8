"""The daemon end to end: a new month dropped into the landing zone is published, untouched.

The sample (2017-01..2021-11) is refreshed once, as `make run` does; then the UI and daemon
start as `make ui` does, the generator's next month (2021-12) is dropped into the landing
zone the way producers deliver (written under a `.part` name, then renamed), and the test
only watches: the published marts must show 2021-12 without any manual launch, every file
must be decided on exactly once in the load audit, no new file taken by two runs (a run is
requested by a feed's sensor, or joined by another feed's while it waits in the queue; a
file that becomes ready after the run started is loaded by its load step, and its sensor
then finds it recorded), and stopping the UI with Ctrl-C (SIGINT) must leave no process
behind.
"""

from __future__ import annotations

import signal
import time
from pathlib import Path

import dagster as dg
import pytest
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
    RUN_KEY_TAG,
    SCHEDULE_NAME_TAG,
    SENSOR_NAME_TAG,
)

from orchestration.automation.sensors import files_taken_by
from orchestration.feeds import FEEDS
from orchestration.publish.publication import open_published
from tests.support.reliability_helpers import assert_every_file_accounted_once, decided_files, deliver, landing_names
from tests.support.ui_helpers import command_line, start_ui

pytestmark = pytest.mark.slow

NEW_MONTH = "2021-12"
# Up to three one-month refreshes (one per feed, when none could join another) take turns on the writer.
WAIT_FOR_PUBLICATION_SECONDS = 15 * 60


def published_months(published: Path) -> set[str]:
    with open_published(published) as con:
        rows = con.execute("SELECT DISTINCT strftime(period_end, '%Y-%m') FROM marts.fct_trade_monthly").fetchall()
    return {row[0] for row in rows}


def sensor_runs(instance: dg.DagsterInstance) -> dict[str, list[dg.DagsterRun]]:
    return {
        feed: instance.get_runs(filters=dg.RunsFilter(tags={SENSOR_NAME_TAG: f"landing_{feed}"}))
        for feed in FEEDS
    }


def files_taken(instance: dg.DagsterInstance, runs_by_feed: dict[str, list[dg.DagsterRun]]) -> dict[str, list[str]]:
    """Each feed's files as the sensors' runs record them (launched for, or joined while
    waiting), once per run that took them: a file taken by two runs shows twice."""
    taken = {feed: [] for feed in FEEDS}
    for run in {run.run_id: run for runs in runs_by_feed.values() for run in runs}.values():
        for path in files_taken_by(instance, run):
            feed, name = path.split("/", 1)
            taken[feed].append(name)
    return {feed: sorted(names) for feed, names in taken.items()}


def describe(runs_by_feed: dict[str, list[dg.DagsterRun]]) -> str:
    return "sensor runs: " + "; ".join(
        f"{feed}: {run.status.value} "
        f"{run.tags[ASSET_PARTITION_RANGE_START_TAG]}..{run.tags[ASSET_PARTITION_RANGE_END_TAG]}"
        for feed, runs in runs_by_feed.items()
        for run in runs
    )


def wait_for_publication(ui, instance: dg.DagsterInstance, chain, new_files: dict) -> bool:
    """Until every sensor run has finished, 2021-12 is published and the load audit has
    decided on every new file."""
    new_paths = {f"{feed}/{name}" for feed, names in new_files.items() for name in names}
    deadline = time.monotonic() + WAIT_FOR_PUBLICATION_SECONDS
    while time.monotonic() < deadline:
        ui.processes()  # remember every process, run workers included, for the shutdown check
        all_finished = all(run.is_finished for runs in sensor_runs(instance).values() for run in runs)
        if all_finished and NEW_MONTH in published_months(chain.published):
            decided = decided_files(chain)
            if decided is not None and new_paths <= decided:
                return True
        time.sleep(5)
    return False


def test_next_month_is_published_by_the_daemon_alone(sample_chain_copy, tmp_path):
    chain = sample_chain_copy
    assert NEW_MONTH not in published_months(chain.published)
    already_landed = {path.name for path in (chain.root / "landing").rglob("*") if path.is_file()}

    scratch = tmp_path / "delivery"
    chain.run_module(
        "tools.sample_data", "--out", str(scratch), "--through", NEW_MONTH, "--only-from", NEW_MONTH
    )
    new_files = {feed: sorted(path.name for path in (scratch / feed).iterdir()) for feed in FEEDS}
    assert all(new_files.values()), new_files

    ui = start_ui(chain.env, tmp_path / "ui.log")
    instance = dg.DagsterInstance.from_config(chain.env["DAGSTER_HOME"])
    try:
        ui.wait_until_loaded()
        for feed in FEEDS:
            for source in sorted((scratch / feed).iterdir()):
                deliver(chain.root / "landing" / feed / source.name, source.read_bytes())
        published = wait_for_publication(ui, instance, chain, new_files)
    finally:
        survivors = ui.stop(signal.SIGINT)  # Ctrl-C
        ui.kill()
    assert not survivors, {pid: command_line(pid) for pid in survivors}
    assert len(ui.seen) >= 4, "the webserver, the daemon and the code servers should all have been seen"

    launched = sensor_runs(instance)
    assert published, f"{NEW_MONTH} not published within {WAIT_FOR_PUBLICATION_SECONDS} s; {describe(launched)}"
    # exactly once: every file decided on once, no new file taken by two runs, none the refresh had loaded
    assert_every_file_accounted_once(chain, landing_names(chain.root / "landing"))
    taken = files_taken(instance, launched)
    for feed, names in taken.items():
        assert len(names) == len(set(names)) and set(names) <= set(new_files[feed]), describe(launched)
    assert any(taken.values()), describe(launched)
    runs = [run for feed in FEEDS for run in launched[feed]]
    assert 1 <= len(runs) <= len(FEEDS), describe(launched)
    for run in runs:
        assert run.status == dg.DagsterRunStatus.SUCCESS, (run.run_id, run.status)
        assert not already_landed & set(run.tags["landing/files"].split(",")), "a loaded file was launched again"
        assert (run.tags[ASSET_PARTITION_RANGE_START_TAG], run.tags[ASSET_PARTITION_RANGE_END_TAG]) == (
            NEW_MONTH,
            NEW_MONTH,
        )

    # The release-day schedule may tick during the test on days 18-28; it is not under test here.
    unscheduled = [run for run in instance.get_runs() if SCHEDULE_NAME_TAG not in run.tags]
    keys = [run.tags[RUN_KEY_TAG] for run in unscheduled if RUN_KEY_TAG in run.tags]
    assert len(keys) == len(set(keys)), f"a run key was launched twice: {sorted(keys)}"
    assert len(unscheduled) == 1 + len(runs), "only the chain's refresh and the sensors' runs"
