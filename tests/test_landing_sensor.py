"""The landing sensors with real files in a temporary landing zone.

Each test drives the real Dagster sensor through evaluations and asserts the exact run
requests (partition range and run key) and the cursor it leaves.
"""

from __future__ import annotations

import hashlib
import json
import os

import dagster as dg
import pytest

from orchestration.automation.sensors import files_taken_by, landing_sensor
from orchestration.ingest.assets import load_step_key

FEED = "customs_bulletin"
RANGE_START = "dagster/asset_partition_range_start"
RANGE_END = "dagster/asset_partition_range_end"


def bulletin_name(month: str, vintage: str) -> str:
    return f"cq_bulletin_{month}_{vintage}.xlsx"


def expected_run_key(*contents: bytes) -> str:
    """The documented key: the feed and a digest of the sorted SHA-256 of the new files."""
    shas = sorted(hashlib.sha256(c).hexdigest() for c in contents)
    return f"{FEED}:" + hashlib.sha256("\n".join(shas).encode()).hexdigest()[:20]


class Watch:
    """A sensor and its cursor across evaluations, as the daemon would keep them."""

    def __init__(self, instance):
        self.sensor = landing_sensor(FEED)
        self.instance = instance
        self.cursor = None

    def look(self):
        context = dg.build_sensor_context(cursor=self.cursor, instance=self.instance)
        result = self.sensor(context)
        self.cursor = context.cursor
        return result

    def launched(self) -> set[str]:
        return set(json.loads(self.cursor)["launched"])


@pytest.fixture
def landing(tmp_path, monkeypatch):
    monkeypatch.setenv("LANDING_DIR", str(tmp_path / "landing"))
    folder = tmp_path / "landing" / FEED
    folder.mkdir(parents=True)
    return folder


@pytest.fixture
def watch():
    with dg.instance_for_test() as instance:
        yield Watch(instance)


def write(folder, name, content: bytes, mtime_ns: int | None = None):
    path = folder / name
    path.write_bytes(content)
    if mtime_ns is not None:
        os.utime(path, ns=(mtime_ns, mtime_ns))
    return path


def assert_run(result, first, last, key):
    assert isinstance(result, dg.RunRequest), result
    assert result.tags[RANGE_START] == first
    assert result.tags[RANGE_END] == last
    assert result.run_key == key


def test_new_file_runs_once_after_it_is_stable(landing, watch):
    write(landing, bulletin_name("2021-11", "20211220"), b"november")
    assert isinstance(watch.look(), dg.SkipReason)  # first sight: could still be growing
    assert_run(watch.look(), "2021-11", "2021-11", expected_run_key(b"november"))
    assert watch.launched() == {hashlib.sha256(b"november").hexdigest()}
    assert isinstance(watch.look(), dg.SkipReason)  # never twice


def test_identical_bytes_under_another_name_do_not_run_again(landing, watch):
    write(landing, bulletin_name("2021-11", "20211220"), b"same bytes")
    watch.look(), watch.look()
    write(landing, bulletin_name("2021-11", "20211221"), b"same bytes")
    assert isinstance(watch.look(), dg.SkipReason)
    assert isinstance(watch.look(), dg.SkipReason)
    assert len(watch.launched()) == 1


def test_same_name_with_new_bytes_runs_again(landing, watch):
    name = bulletin_name("2021-11", "20211220")
    write(landing, name, b"first delivery", mtime_ns=1_000_000_000)
    watch.look()
    assert_run(watch.look(), "2021-11", "2021-11", expected_run_key(b"first delivery"))
    write(landing, name, b"second delivery, new bytes", mtime_ns=2_000_000_000)
    assert isinstance(watch.look(), dg.SkipReason)
    assert_run(watch.look(), "2021-11", "2021-11", expected_run_key(b"second delivery, new bytes"))
    assert len(watch.launched()) == 2


def test_corrected_vintage_runs_its_month(landing, watch):
    write(landing, bulletin_name("2019-12", "20200120"), b"first release")
    watch.look(), watch.look()
    write(landing, bulletin_name("2019-12", "20200320"), b"corrected release")
    watch.look()
    assert_run(watch.look(), "2019-12", "2019-12", expected_run_key(b"corrected release"))


def test_part_file_waits_until_renamed(landing, watch):
    part = write(landing, bulletin_name("2021-11", "20211220") + ".part", b"in progress")
    for _ in range(3):
        assert isinstance(watch.look(), dg.SkipReason)
    part.rename(landing / bulletin_name("2021-11", "20211220"))
    assert isinstance(watch.look(), dg.SkipReason)
    assert_run(watch.look(), "2021-11", "2021-11", expected_run_key(b"in progress"))


def test_growing_file_waits_until_size_and_mtime_hold(landing, watch):
    name = bulletin_name("2021-11", "20211220")
    write(landing, name, b"part one", mtime_ns=1_000_000_000)
    assert isinstance(watch.look(), dg.SkipReason)
    write(landing, name, b"part one, part two", mtime_ns=2_000_000_000)
    assert isinstance(watch.look(), dg.SkipReason)  # it grew between the two looks
    assert json.loads(watch.cursor)["pending"][name] == [len(b"part one, part two"), 2_000_000_000]
    assert_run(watch.look(), "2021-11", "2021-11", expected_run_key(b"part one, part two"))


def test_hundred_files_at_once_make_one_run_over_their_months(landing, watch):
    # The whole 2017-01..2021-11 sample plus corrected vintages of 41 of its months.
    months = [f"{y}-{m:02d}" for y in range(2017, 2022) for m in range(1, 13)][:59]
    contents = []
    for n, month in enumerate(months + months[:41]):
        content = f"bulletin {month} #{n}".encode()
        contents.append(content)
        write(landing, bulletin_name(month, "20220101" if n < 59 else "20220301"), content)
    watch.look()
    result = watch.look()
    assert_run(result, "2017-01", "2021-11", expected_run_key(*contents))
    assert len(watch.launched()) == 100
    assert isinstance(watch.look(), dg.SkipReason)


def test_out_of_order_months_each_refresh_their_own_month(landing, watch):
    write(landing, bulletin_name("2021-11", "20211220"), b"november")
    watch.look(), watch.look()
    write(landing, bulletin_name("2021-09", "20211020"), b"september, late")
    watch.look()
    assert_run(watch.look(), "2021-09", "2021-09", expected_run_key(b"september, late"))


def test_cursor_survives_a_restart(landing, watch):
    write(landing, bulletin_name("2021-11", "20211220"), b"november")
    watch.look(), watch.look()
    restarted = Watch(watch.instance)
    restarted.cursor = watch.cursor  # what the daemon reloads from storage
    assert isinstance(restarted.look(), dg.SkipReason)


def test_unknown_names_are_left_alone(landing, watch):
    stray = write(landing, "notes.txt", b"not a bulletin")
    watch.look()
    assert isinstance(watch.look(), dg.SkipReason)
    assert stray.exists()
    assert json.loads(watch.cursor)["launched"] == []


def _record_in_audit(database, content: bytes) -> None:
    import duckdb

    from orchestration.ingest.loader import ensure_raw_schema

    with duckdb.connect(str(database)) as con:
        ensure_raw_schema(con)
        con.execute(
            "INSERT INTO raw.load_audit (load_id, feed, file_name, file_sha256, file_bytes, status, "
            "started_at, finished_at) VALUES ('manual', ?, 'x', ?, ?, 'loaded', now(), now())",
            [FEED, hashlib.sha256(content).hexdigest(), len(content)],
        )


def test_files_the_warehouse_already_loaded_are_not_launched(landing, watch, tmp_path, monkeypatch):
    """After `make run` loaded everything, starting the daemon must not relaunch history."""
    database = tmp_path / "warehouse.duckdb"
    monkeypatch.setenv("WAREHOUSE_DB", str(database))
    _record_in_audit(database, b"loaded by a manual run")
    write(landing, bulletin_name("2021-10", "20211120"), b"loaded by a manual run")
    write(landing, bulletin_name("2021-11", "20211220"), b"new")
    watch.look()
    assert_run(watch.look(), "2021-11", "2021-11", expected_run_key(b"new"))
    assert watch.launched() == {hashlib.sha256(c).hexdigest() for c in (b"loaded by a manual run", b"new")}


def test_busy_warehouse_means_look_again(landing, watch, tmp_path, monkeypatch):
    import subprocess
    import sys

    database = tmp_path / "warehouse.duckdb"
    monkeypatch.setenv("WAREHOUSE_DB", str(database))
    _record_in_audit(database, b"something else")
    write(landing, bulletin_name("2021-11", "20211220"), b"new")
    holder = subprocess.Popen(  # another process holds the writer's lock, as a running load does
        [sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('held', flush=True); time.sleep(60)",
         str(database)],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        watch.look()
        assert isinstance(watch.look(), dg.SkipReason)
        assert watch.launched() == set()
    finally:
        holder.kill()
        holder.wait()
    assert_run(watch.look(), "2021-11", "2021-11", expected_run_key(b"new"))


def _waiting_refresh(instance, first: str, last: str, status=dg.DagsterRunStatus.QUEUED, **kwargs) -> str:
    """A refresh_all run requested earlier (by another feed's sensor), in the run storage
    as the queue holds it; a queued run must name the code location it will launch from."""
    from dagster._core.remote_origin import RegisteredCodeLocationOrigin, RemoteJobOrigin, RemoteRepositoryOrigin
    from dagster._core.test_utils import create_run_for_test

    origin = RemoteJobOrigin(
        RemoteRepositoryOrigin(RegisteredCodeLocationOrigin("orchestration.definitions"), "__repository__"),
        "refresh_all",
    )
    run = create_run_for_test(
        instance, job_name="refresh_all", status=status, tags={RANGE_START: first, RANGE_END: last},
        remote_job_origin=origin, **kwargs,
    )
    return run.run_id


def test_a_month_already_queued_is_left_to_that_run(landing, watch):
    """All feeds of a month land together: the first sensor's run is queued behind the
    writer; this feed's new file of the same month joins it instead of a second run."""
    queued = _waiting_refresh(watch.instance, "2021-11", "2021-11")
    name = bulletin_name("2021-11", "20211220")
    write(landing, name, b"november")
    watch.look()
    skipped = watch.look()
    assert isinstance(skipped, dg.SkipReason) and name in skipped.skip_message
    assert watch.launched() == {hashlib.sha256(b"november").hexdigest()}  # exactly once: never run again
    assert files_taken_by(watch.instance, watch.instance.get_run_by_id(queued)) == {f"{FEED}/{name}"}
    assert isinstance(watch.look(), dg.SkipReason)


def test_a_month_no_waiting_run_covers_gets_its_own_run(landing, watch):
    _waiting_refresh(watch.instance, "2021-10", "2021-10")
    _waiting_refresh(watch.instance, "2021-11", "2021-11", status=dg.DagsterRunStatus.STARTED)  # may have listed
    write(landing, bulletin_name("2021-10", "20211120"), b"october")
    write(landing, bulletin_name("2021-11", "20211220"), b"november")
    watch.look()
    # one of the two months is not covered by a run that has not started: both run here
    assert_run(watch.look(), "2021-10", "2021-11", expected_run_key(b"november", b"october"))


def test_a_waiting_run_without_this_feed_does_not_take_its_files(landing, watch):
    only_trains = {dg.AssetKey(["raw", "corridor_trains"])}
    _waiting_refresh(watch.instance, "2021-11", "2021-11", asset_selection=only_trains)
    write(landing, bulletin_name("2021-11", "20211220"), b"november")
    watch.look()
    assert_run(watch.look(), "2021-11", "2021-11", expected_run_key(b"november"))


@pytest.mark.parametrize(("retried_load", "joins"), [("corridor_trains", False), (FEED, True)])
def test_a_queued_retry_takes_the_files_of_a_feed_only_when_it_reruns_that_feeds_load(landing, watch, retried_load, joins):
    """A retry from failure re-executes only the steps its parent did not finish (Dagster
    lists them in step_keys_to_execute): it lists this feed's landing folder only when this
    feed's load step is among them. A daemon killed mid-run left October's files to such a
    retry, which loaded nothing of them (tests/test_faults.py)."""
    parent = _waiting_refresh(watch.instance, "2021-11", "2021-11", status=dg.DagsterRunStatus.FAILURE)
    retry = _waiting_refresh(
        watch.instance, "2021-11", "2021-11", parent_run_id=parent, root_run_id=parent,
        step_keys_to_execute=[load_step_key(retried_load), "dbt_warehouse", "published__marts", "published__monthly_bulletin"],
    )
    name = bulletin_name("2021-11", "20211220")
    write(landing, name, b"november")
    watch.look()
    outcome = watch.look()
    if joins:
        assert isinstance(outcome, dg.SkipReason) and name in outcome.skip_message
        assert files_taken_by(watch.instance, watch.instance.get_run_by_id(retry)) == {f"{FEED}/{name}"}
    else:
        assert_run(outcome, "2021-11", "2021-11", expected_run_key(b"november"))
        assert files_taken_by(watch.instance, watch.instance.get_run_by_id(retry)) == set()
