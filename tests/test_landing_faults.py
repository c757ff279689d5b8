"""The file system and the producers, faulted for real: a file still open for writing, one
that vanishes, is renamed or is rewritten between listing, hashing and loading, unreadable
files and folders, a quarantine that cannot be written, a landing path that is missing or
a file, a file beyond its feed's size limit.

Each test asserts the message, exactly one audit row per event (none more on a retry),
that nothing is lost, and that the other files still load.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import shutil
import subprocess
import sys
import textwrap
import time
from datetime import date
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from orchestration import cli, feeds
from orchestration.automation.sensors import landing_sensor
from orchestration.feeds import FEEDS
from orchestration.ingest import loader as loader_module
from orchestration.ingest.landing_zone import SETTLE_SECONDS, deliveries, landing_files, unsettled
from orchestration.ingest.loader import RawLoader
from orchestration.periods import FIRST_MONTH, month_key
from orchestration.settings import REPO_ROOT
from tests.support import landing_factory as factory
from tests.support.producers import Producer

MONTH = date(2021, 11, 1)
TODAY = date(2022, 1, 10)  # after every generated vintage
TRAINS = "corridor_trains"


@pytest.fixture
def landing(november_sample, tmp_path) -> Path:
    return factory.copy_tree(november_sample, tmp_path / "landing")


def every_file(landing: Path) -> list[Path]:
    return [path for feed in FEEDS for path in landing_files(landing, feed)]


def load(con, landing: Path, quarantine: Path, paths: list[Path] | None = None) -> dict[str, object]:
    """Load as the raw assets do (every feed's listed files), outcomes by relative name."""
    outcomes = RawLoader(con, landing, quarantine, TODAY).load_all(every_file(landing) if paths is None else paths)
    return {outcome.file_name: outcome for outcome in outcomes}


def audit(con) -> dict[str, list[tuple]]:
    """Audit rows by file name: (status, reason, quarantine path, SHA-256)."""
    rows = con.execute(
        "SELECT file_name, status, reason, quarantine_path, file_sha256 FROM raw.load_audit ORDER BY started_at"
    ).fetchall()
    by_name: dict[str, list[tuple]] = {}
    for name, *rest in rows:
        by_name.setdefault(name, []).append(tuple(rest))
    return by_name


def rows_of(con, relative: str) -> int:
    return sum(
        con.execute(f"SELECT count(*) FROM raw.{table} WHERE source_file = ?", [relative]).fetchone()[0]
        for table in feeds.all_raw_tables()
    )


def relative(path: Path) -> str:
    return f"{path.parent.name}/{path.name}"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def train_log(landing: Path) -> Path:
    return next((landing / TRAINS).glob("trains_*.csv"))


def assert_loaded_once(con, names) -> None:
    recorded = audit(con)
    for name in names:
        assert [row[0] for row in recorded.get(name, [])] == ["loaded"], (name, recorded.get(name))
        assert rows_of(con, name) > 0, name


# -- a file still being written -----------------------------------------------------------------

def test_a_file_open_for_writing_is_left_in_place_and_loaded_once_it_is_complete(landing, tmp_path, con):
    trains = train_log(landing)
    complete = trains.read_bytes()
    trains.unlink()
    producer = Producer(trains, complete)
    try:
        files, notes = deliveries(landing, TRAINS, [MONTH])
        assert files == []
        assert notes == [
            f"{TRAINS} 2021-11: no file in the landing zone",
            f"{TRAINS}/{trains.name} is still being written: left in place for a later run",
        ]
        outcomes = load(con, landing, tmp_path / "quarantine", [*every_file(landing), trains])
        assert outcomes[relative(trains)].status == "skipped"
        assert outcomes[relative(trains)].reason.startswith("still_being_written: a process holds it open for writing")
        assert relative(trains) not in audit(con) and trains.exists()
        assert_loaded_once(con, [name for name in outcomes if name != relative(trains)])
    finally:
        producer.finish()
    assert load(con, landing, tmp_path / "quarantine")[relative(trains)].status == "loaded"
    assert audit(con)[relative(trains)] == [("loaded", None, None, sha256(complete))]
    assert not (tmp_path / "quarantine").exists()


def test_refresh_waits_only_for_deliveries_changed_within_the_settle_time(landing):
    now = time.time()
    for path in landing.rglob("*"):
        if path.is_file():
            os.utime(path, (now - 60, now - 60))
    trains = train_log(landing)
    os.utime(trains, (now - 1, now - 1))
    (landing / TRAINS / "notes.txt").write_text("no feed's name")  # never a delivery
    assert unsettled(landing, now).keys() == {relative(trains)}
    assert unsettled(landing, now - 1 + SETTLE_SECONDS + 0.5) == {}


def test_the_sensor_waits_for_a_file_open_for_writing(landing, tmp_path, monkeypatch):
    monkeypatch.setenv("LANDING_DIR", str(landing))
    monkeypatch.setenv("WAREHOUSE_DB", str(tmp_path / "no-warehouse-yet.duckdb"))
    trains = train_log(landing)
    sensor, cursor = landing_sensor(TRAINS), None
    with dg.instance_for_test() as instance, trains.open("ab") as writer:

        def look():
            nonlocal cursor
            context = dg.build_sensor_context(cursor=cursor, instance=instance)
            result = sensor(context)
            cursor = context.cursor
            return result

        for _ in range(3):
            result = look()
            assert isinstance(result, dg.SkipReason) and trains.name in result.skip_message, result
            assert "still being written" in result.skip_message
        writer.close()
        assert isinstance(look(), dg.SkipReason)  # first look at it complete: it could still change
        assert isinstance(look(), dg.RunRequest)


# -- a file named before the warehouse's first month ------------------------------------------------

def test_a_file_named_before_the_first_month_is_refused_in_the_first_months_run(landing, tmp_path, monkeypatch, con):
    """Refused like a period that has not ended (it names a period the warehouse does not
    hold), in the run of the first month: refresh, the sensor and the loader agree on that
    month, so no run asks for a partition before the partitions' start."""
    early = landing / TRAINS / "trains_2016-12_20170105.csv"
    early.write_bytes(train_log(landing).read_bytes() + b"\n")
    monkeypatch.setenv("LANDING_DIR", str(landing))
    monkeypatch.setenv("WAREHOUSE_DB", str(tmp_path / "no-warehouse-yet.duckdb"))
    first = month_key(FIRST_MONTH)
    assert cli.landing_month_range() == (first, month_key(MONTH))

    with dg.instance_for_test() as instance:
        context = dg.build_sensor_context(instance=instance)
        landing_sensor(TRAINS)(context)  # first look: the files could still change
        request = landing_sensor(TRAINS)(dg.build_sensor_context(instance=instance, cursor=context.cursor))
    assert isinstance(request, dg.RunRequest), request
    assert request.tags["dagster/asset_partition_range_start"] == first

    files, notes = deliveries(landing, TRAINS, [FIRST_MONTH])
    assert files == [early] and notes == []
    outcomes = load(con, landing, tmp_path / "quarantine", [*every_file(landing)])
    outcome = outcomes[relative(early)]
    assert outcome.status == "refused"
    assert outcome.reason == (f"before_first_month: {TRAINS} 2016-12: the warehouse starts at {first} "
                              "(WAREHOUSE_FIRST_MONTH); it holds no earlier period")
    [(status, reason, kept, _)] = audit(con)[relative(early)]
    assert (status, reason) == ("refused", outcome.reason) and rows_of(con, relative(early)) == 0
    assert not early.exists() and Path(kept).is_relative_to(tmp_path / "quarantine") and Path(kept).is_file()
    assert_loaded_once(con, [name for name in outcomes if name != relative(early)])


# -- vanished, renamed, rewritten ------------------------------------------------------------------

def test_files_that_vanish_or_are_renamed_after_the_listing_are_not_recorded_and_the_rest_loads(
    landing, tmp_path, con
):
    listed = every_file(landing)
    gone, renamed = [path for path in listed if path.parent.name == "customs_detail"][:2]
    gone.unlink()
    new_name = renamed.with_name(renamed.name[: -len("20211224.csv")] + "20220105.csv")  # a later vintage
    renamed.rename(new_name)
    outcomes = load(con, landing, tmp_path / "quarantine", listed)
    for path in (gone, renamed):
        assert outcomes[relative(path)].status == "skipped"
        assert outcomes[relative(path)].reason.startswith("vanished: removed or renamed")
        assert relative(path) not in audit(con)
    assert_loaded_once(con, [relative(path) for path in listed if path not in (gone, renamed)])

    again = load(con, landing, tmp_path / "quarantine")  # the next run sees the new name
    assert again[relative(new_name)].status == "loaded"
    assert len(audit(con)[relative(new_name)]) == 1
    assert sorted(audit(con)) == sorted(relative(path) for path in every_file(landing))


def test_a_train_log_rewritten_after_its_hash_is_not_loaded_until_a_run_reads_what_was_hashed(
    landing, tmp_path, con, monkeypatch
):
    trains = train_log(landing)
    rewritten = trains.read_bytes().replace(b"inbound", b"outbound", 1)
    real_parse = loader_module.parse_train_log

    def producer_rewrites_first(path, month):
        path.write_bytes(rewritten)  # the producer corrects the file in place, after the hash
        return real_parse(path, month)

    monkeypatch.setattr(loader_module, "parse_train_log", producer_rewrites_first)
    outcome = load(con, landing, tmp_path / "quarantine")[relative(trains)]
    assert outcome.status == "skipped"
    assert outcome.reason.startswith(f"changed_while_read: {trains.name} was rewritten or replaced while it was being loaded")
    assert relative(trains) not in audit(con) and rows_of(con, relative(trains)) == 0
    assert trains.read_bytes() == rewritten

    monkeypatch.undo()
    assert load(con, landing, tmp_path / "quarantine")[relative(trains)].status == "loaded"
    [(status, _, _, recorded_sha)] = audit(con)[relative(trains)]
    lineage = con.execute("SELECT DISTINCT source_sha256 FROM raw.corridor_trains").fetchall()
    assert (status, recorded_sha, lineage) == ("loaded", sha256(rewritten), [(sha256(rewritten),)])


def test_a_bulletin_whose_producer_truncates_it_while_it_is_parsed_is_not_refused(landing, tmp_path, con, monkeypatch):
    bulletin = next((landing / "customs_bulletin").glob("*.xlsx"))
    complete = bulletin.read_bytes()
    real_parse = loader_module.parse_bulletin

    def producer_starts_over(path, month):
        path.write_bytes(complete[:100])  # the producer starts writing it again
        return real_parse(path, month)

    monkeypatch.setattr(loader_module, "parse_bulletin", producer_starts_over)
    outcome = load(con, landing, tmp_path / "quarantine")[relative(bulletin)]
    assert outcome.status == "skipped" and outcome.reason.startswith("changed_while_read: ")
    assert relative(bulletin) not in audit(con) and not (tmp_path / "quarantine").exists()

    monkeypatch.undo()
    bulletin.write_bytes(complete)  # and finishes
    assert load(con, landing, tmp_path / "quarantine")[relative(bulletin)].status == "loaded"
    assert audit(con)[relative(bulletin)] == [("loaded", None, None, sha256(complete))]


def test_an_extract_rewritten_while_it_is_transcoded_is_left_and_the_other_extracts_load(
    landing, tmp_path, con, monkeypatch
):
    extracts = sorted((landing / "customs_detail").glob("*.csv"))
    victim = extracts[0]
    real_transcode = loader_module.transcode_extract

    def producer_rewrites_during(src, dst, month):
        result = real_transcode(src, dst, month)
        if src == victim:
            factory.edit_detail(src, lambda rows: rows[0].update(人民币=str(int(rows[0]["人民币"]) + 1)))
        return result

    monkeypatch.setattr(loader_module, "transcode_extract", producer_rewrites_during)
    outcomes = load(con, landing, tmp_path / "quarantine")
    assert outcomes[relative(victim)].status == "skipped"
    assert "changed_while_read" in outcomes[relative(victim)].reason
    assert relative(victim) not in audit(con) and rows_of(con, relative(victim)) == 0
    assert_loaded_once(con, [relative(path) for path in extracts[1:]])

    monkeypatch.undo()
    assert load(con, landing, tmp_path / "quarantine")[relative(victim)].status == "loaded"
    assert audit(con)[relative(victim)][0][3] == sha256(victim.read_bytes())


# -- unreadable files and folders ------------------------------------------------------------------

LOAD_SCRIPT = textwrap.dedent(
    """
    import json, sys
    from datetime import date
    from pathlib import Path
    import duckdb
    from orchestration.feeds import FEEDS
    from orchestration.ingest.landing_zone import deliveries
    from orchestration.ingest.loader import RawLoader
    landing, quarantine, warehouse = map(Path, sys.argv[1:4])
    notes, outcomes = [], []
    with duckdb.connect(str(warehouse)) as con:
        loader = RawLoader(con, landing, quarantine, date(2022, 1, 10))
        for feed in FEEDS:
            files, said = deliveries(landing, feed, [date(2021, 11, 1)])
            notes += said
            outcomes += [[o.file_name, o.status, o.reason] for o in loader.load_all(files)]
    print(json.dumps({"notes": notes, "outcomes": outcomes}))
    """
)


def load_without_root_privileges(landing: Path, quarantine: Path, warehouse: Path) -> dict:
    """The loader in a process that file permissions bind: as root, one without the
    capabilities that override them (util-linux's setpriv)."""
    command = [sys.executable, "-c", LOAD_SCRIPT, str(landing), str(quarantine), str(warehouse)]
    if os.geteuid() == 0:
        if shutil.which("setpriv") is None:
            pytest.skip("running as root without setpriv: permissions cannot bind the loader")
        command = ["setpriv", "--bounding-set=-dac_override,-dac_read_search", *command]
    done = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, timeout=600,
                          env={**os.environ, "PYTHONPATH": str(REPO_ROOT)})
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


def test_an_unreadable_file_is_refused_and_kept_and_an_unreadable_folder_is_reported(landing, tmp_path):
    trains = train_log(landing)
    trains.chmod(0)
    detail = landing / "customs_detail"
    detail_names = sorted(path.name for path in detail.iterdir())
    detail.chmod(0)
    quarantine, warehouse = tmp_path / "quarantine", tmp_path / "warehouse.duckdb"
    try:
        first = load_without_root_privileges(landing, quarantine, warehouse)
        second = load_without_root_privileges(landing, quarantine, warehouse)
    finally:
        detail.chmod(0o755)
    outcomes = {name: (status, reason) for name, status, reason in first["outcomes"]}
    status, reason = outcomes[relative(trains)]
    assert status == "refused"
    assert reason == "unreadable: the file cannot be opened: Permission denied (check its owner and permissions)"
    assert (quarantine / TRAINS / trains.name).exists() and not trains.exists()
    assert f"customs_detail: {detail} cannot be read: permission denied; nothing of this feed is read in this run" in first["notes"]
    assert sorted(path.name for path in detail.iterdir()) == detail_names  # nothing moved
    assert second["outcomes"] == [[name, "skipped", "already recorded"] for name, status, _ in first["outcomes"]
                                  if status == "loaded"]
    with duckdb.connect(str(warehouse)) as con:
        assert audit(con)[relative(trains)] == [(
            "refused", reason, str(quarantine / TRAINS / trains.name), audit(con)[relative(trains)][0][3])]
        assert_loaded_once(con, [name for name, status, _ in first["outcomes"] if name.startswith("customs_bulletin")])
        assert not any(name.startswith("customs_detail") for name in audit(con))
        load(con, landing, quarantine)  # readable again: the extracts load, once
        assert_loaded_once(con, [f"customs_detail/{name}" for name in detail_names])


# -- a quarantine that cannot be written -------------------------------------------------------------

def test_a_refused_file_whose_quarantine_cannot_be_written_stays_and_is_recorded_once(landing, tmp_path, con):
    bad = landing / TRAINS / "trains_2021-10_20211105.csv"
    bad.write_bytes(b"this is not a train log\r\n")
    quarantine = tmp_path / "quarantine"
    quarantine.write_text("a file where the quarantine folder should be")
    for _ in range(2):  # the retry records nothing more
        outcomes = load(con, landing, quarantine)
        assert outcomes[relative(bad)].status == "refused"
        assert outcomes[relative(bad)].reason.startswith("wrong_layout")
        assert f"; could not be moved to the quarantine {quarantine / TRAINS} (" in outcomes[relative(bad)].reason
        assert outcomes[relative(bad)].reason.endswith("; left in the landing zone")
        assert outcomes[relative(bad)].quarantine_path is None and bad.exists()
        assert [row[:3] for row in audit(con)[relative(bad)]] == [("refused", outcomes[relative(bad)].reason, None)]
    assert_loaded_once(con, [name for name in outcomes if name != relative(bad)])

    quarantine.unlink()  # the operator clears the way
    outcome = load(con, landing, quarantine)[relative(bad)]
    kept = quarantine / TRAINS / bad.name
    assert (outcome.status, outcome.quarantine_path) == ("refused", str(kept))
    assert kept.read_bytes() == b"this is not a train log\r\n" and not bad.exists()
    [(status, reason, path, _)] = audit(con)[relative(bad)]
    assert (status, path) == ("refused", str(kept)) and "could not be moved" not in reason


# -- a landing path that is missing or a file --------------------------------------------------------

@pytest.mark.parametrize("shape", ["missing", "a file"])
def test_a_landing_path_that_is_missing_or_a_file_is_said_so(tmp_path, monkeypatch, shape):
    root = tmp_path / "landing"
    if shape == "a file":
        root.write_text("not a folder")
        expected = f"the landing zone {root} is not a folder (LANDING_DIR points at a file)"
    else:
        expected = f"the landing zone {root} does not exist (LANDING_DIR)"
    assert deliveries(root, TRAINS, [MONTH]) == ([], [f"{TRAINS}: {expected}; nothing of this feed is read in this run"])

    monkeypatch.setenv("LANDING_DIR", str(root))
    with dg.instance_for_test() as instance:
        result = landing_sensor(TRAINS)(dg.build_sensor_context(instance=instance))
    assert isinstance(result, dg.SkipReason) and result.skip_message == expected

    done = subprocess.run([sys.executable, "-m", "orchestration.cli", "refresh"], cwd=REPO_ROOT, text=True,
                          capture_output=True, timeout=300, env={**os.environ, "LANDING_DIR": str(root)})
    assert done.returncode == 1
    assert done.stderr.splitlines()[:2] == [expected, f"no landing files under {root}"]


# -- size ------------------------------------------------------------------------------------------

def test_a_file_beyond_its_feeds_size_limit_is_refused_before_it_is_hashed(landing, tmp_path, con, monkeypatch):
    trains = train_log(landing)
    size = trains.stat().st_size
    monkeypatch.setitem(FEEDS, TRAINS, dataclasses.replace(FEEDS[TRAINS], max_file_bytes=size - 1))
    hashed = []
    real_hash = loader_module.hash_file
    monkeypatch.setattr(loader_module, "hash_file", lambda path: hashed.append(path) or real_hash(path))

    outcomes = load(con, landing, tmp_path / "quarantine")
    outcome = outcomes[relative(trains)]
    assert outcome.status == "refused"
    assert outcome.reason == (
        f"oversized: the file is {size:,} bytes, more than the {TRAINS} limit of {size - 1:,} bytes; not hashed or parsed"
    )
    assert trains not in hashed and (tmp_path / "quarantine" / TRAINS / trains.name).exists()
    assert [row[0] for row in audit(con)[relative(trains)]] == ["refused"]
    assert rows_of(con, relative(trains)) == 0
    assert_loaded_once(con, [name for name in outcomes if name != relative(trains)])


def test_an_extract_with_a_line_beyond_the_limit_is_refused_with_its_number(landing, tmp_path, con):
    extracts = sorted((landing / "customs_detail").glob("*.csv"))
    long_name = "很长" * (1 << 19)  # 2 MiB in GB18030
    factory.edit_detail(extracts[0], lambda rows: rows[4].update(商品名称=long_name))
    outcomes = load(con, landing, tmp_path / "quarantine")
    outcome = outcomes[relative(extracts[0])]
    assert (outcome.status, outcome.reason.split(";")[0]) == ("refused", "oversized: line 6 runs past 1,048,576 bytes")
    assert [row[0] for row in audit(con)[relative(extracts[0])]] == ["refused"]
    assert rows_of(con, relative(extracts[0])) == 0
    assert_loaded_once(con, [name for name in outcomes if name != relative(extracts[0])])
