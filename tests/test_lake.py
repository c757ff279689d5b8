"""The raw layer as a Parquet lake: its files are exactly the accepted loads, DuckDB reads
them through hive partitions, the views hide what the audit does not accept, the audit's
snapshot is the audit, a load that cannot write its Parquet is refused alone and kept, and
what dead loads left is settled by the next one. Real loader, real files, real DuckDB."""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from orchestration.feeds import all_raw_tables
from orchestration.ingest import lake
from orchestration.ingest.landing_zone import landing_files
from orchestration.ingest.loader import RawLoader
from orchestration.publish import publication
from tests.support import landing_factory as factory
from tests.support.lake_checks import assert_lake_matches_audit, files_of_live_loads, visible_files
from tools.sample_data import generate

MONTH = date(2021, 11, 1)
TODAY = date(2022, 1, 10)  # after every generated vintage
FEEDS_IN_ORDER = ("customs_bulletin", "corridor_trains", "customs_detail")


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("generated")
    generate(root, first=MONTH, through=MONTH, detail_rows=200)
    return root


@pytest.fixture
def landing(generated, tmp_path) -> Path:
    return factory.copy_tree(generated, tmp_path / "landing")


def load_everything(con, landing: Path, tmp_path: Path, lake_root: Path) -> dict[str, str]:
    loader = RawLoader(con, landing, tmp_path / "quarantine", TODAY, lake_root)
    return {o.file_name: o.status for feed in FEEDS_IN_ORDER for o in loader.load_all(landing_files(landing, feed))}


def corrected_train_log(landing: Path) -> Path:
    """A later vintage of the month's train log, one train's direction corrected."""
    log = next((landing / "corridor_trains").glob("trains_2021-11_*.csv"))
    correction = log.with_name("trains_2021-11_20211230.csv")
    correction.write_bytes(log.read_bytes().replace(b"inbound", b"outbound", 1))
    return correction


def test_lake_files_are_exactly_the_accepted_loads(con, landing, tmp_path, own_lake):
    corrected_train_log(landing)
    assert set(load_everything(con, landing, tmp_path, own_lake).values()) == {"loaded"}

    assert_lake_matches_audit(con, own_lake)
    superseded = {row[0] for row in con.execute("SELECT load_id FROM raw.load_audit WHERE status = 'superseded'").fetchall()}
    assert len(superseded) == 1  # the first train log: every vintage is kept
    assert superseded <= {load_id for _, _, load_id in visible_files(own_lake)}
    # one file per load, table and month, and every raw row is in the file of its load
    for table in all_raw_tables():
        per_file = con.execute(
            f"SELECT count(DISTINCT load_id) = count(DISTINCT filename), bool_and(filename LIKE '%/' || load_id || '.parquet') "
            f"FROM read_parquet('{own_lake}/raw/{table}/*/*.parquet', filename = true)"
        ).fetchone()
        assert per_file == (True, True), table
    # loading the same landing zone again writes nothing
    before = {path: path.stat().st_mtime_ns for path in own_lake.rglob("*.parquet") if "load_audit" not in str(path)}
    assert set(load_everything(con, landing, tmp_path, own_lake).values()) == {"skipped"}
    assert {path: path.stat().st_mtime_ns for path in own_lake.rglob("*.parquet") if "load_audit" not in str(path)} == before


def test_duckdb_reads_the_lake_in_hive_layout(con, landing, tmp_path, own_lake):
    load_everything(con, landing, tmp_path, own_lake)

    for table in all_raw_tables():
        files = sorted((own_lake / "raw" / table).glob("reference_month=*/*.parquet"))
        columns = [row[0] for row in con.execute(f"DESCRIBE SELECT * FROM read_parquet('{files[0]}', hive_partitioning = false)").fetchall()]
        assert "reference_month" not in columns and "load_id" in columns  # the month is the path's alone
        via_hive = con.execute(
            f"SELECT typeof(reference_month), count(*), sum(hash(columns(* EXCLUDE (reference_month)))) "
            f"FROM read_parquet('{own_lake}/raw/{table}/*/*.parquet', hive_partitioning = true, "
            "hive_types = {'reference_month': 'DATE'}) GROUP BY ALL"
        ).fetchall()
        via_view = con.execute(
            f"SELECT typeof(reference_month), count(*), sum(hash(columns(* EXCLUDE (reference_month)))) "
            f"FROM raw.{table} GROUP BY ALL"
        ).fetchall()
        assert via_hive == via_view and via_view[0][0] == "DATE" and via_view[0][1] > 0, table
        months = con.execute(f"SELECT DISTINCT reference_month FROM raw.{table}").fetchall()
        assert months == [(MONTH,)], table


def test_views_hide_loads_without_an_accepted_audit_row(con, landing, tmp_path, own_lake):
    load_everything(con, landing, tmp_path, own_lake)
    trains_file = next((own_lake / "raw" / "corridor_trains").glob("*/*.parquet"))
    shown = con.execute("SELECT count(*) FROM raw.corridor_trains").fetchone()[0]

    # a complete file of a load the audit never accepted (say, another warehouse's)
    foreign = trains_file.with_name("0" * 32 + ".parquet")
    con.execute(f"COPY (SELECT * REPLACE ('{foreign.stem}' AS load_id) FROM read_parquet('{trains_file}')) "
                f"TO '{foreign}' (FORMAT parquet)")
    assert con.execute("SELECT count(*) FROM raw.corridor_trains").fetchone()[0] == shown
    # a load whose audit row no longer accepts it
    con.execute("UPDATE raw.load_audit SET status = 'refused' WHERE load_id = ?", [trains_file.stem])
    assert con.execute("SELECT count(*) FROM raw.corridor_trains WHERE load_id = ?", [trains_file.stem]).fetchone() == (0,)
    assert con.execute("SELECT count(*) FROM read_parquet(?)", [str(trains_file)]).fetchone()[0] > 0
    # the next run leaves the unknown load's file alone and removes the one of the refused load
    RawLoader(con, landing, tmp_path / "quarantine", TODAY, own_lake).load_all([])
    assert foreign.exists() and not trains_file.exists()


def test_audit_snapshot_is_the_load_audit_with_the_live_loads_marked(con, landing, tmp_path, own_lake):
    load_everything(con, landing, tmp_path, own_lake)
    # the month's train log again under its name, other bytes: its load replaces the first
    log = next((landing / "corridor_trains").glob("trains_2021-11_*.csv"))
    log.write_bytes(log.read_bytes() + b"\n")
    RawLoader(con, landing, tmp_path / "quarantine", TODAY, own_lake).load_all([log])
    snapshot = own_lake / "load_audit" / "load_audit.parquet"

    in_warehouse = con.execute("SELECT * FROM raw.load_audit ORDER BY load_id").fetchdf()
    in_lake = con.execute("SELECT * EXCLUDE (live) FROM read_parquet(?) ORDER BY load_id", [str(snapshot)]).fetchdf()
    pd.testing.assert_frame_equal(in_lake, in_warehouse)
    assert len(in_lake) == 1 + len(landing_files(landing, "customs_bulletin")) + len(
        landing_files(landing, "corridor_trains")) + len(landing_files(landing, "customs_detail"))
    # what Spark's raw views read: the replaced load of the train log is not live
    marked = dict(con.execute("SELECT load_id, live FROM read_parquet(?)", [str(snapshot)]).fetchall())
    in_raw_views = {row[0] for table in all_raw_tables()
                    for row in con.execute(f"SELECT DISTINCT load_id FROM raw.{table}").fetchall()}
    assert {load_id for load_id, live in marked.items() if live} == in_raw_views
    log_loads = con.execute("SELECT load_id FROM raw.load_audit WHERE file_name = ? ORDER BY finished_at",
                            [f"corridor_trains/{log.name}"]).fetchall()
    assert [marked[load_id] for (load_id,) in log_loads] == [False, True]
    assert [p.name for p in snapshot.parent.iterdir()] == ["load_audit.parquet"]  # no temporary left


def _disk_full_on_exports(real_fsync):
    """lake._fsync that finds the disk full on a detail file of exports (its COPY has run)."""
    def fsync(path: Path) -> None:
        if "/raw/customs_detail/" in str(path) and path.is_file() and duckdb.execute(
                "SELECT bool_or(flow = 'exports') FROM read_parquet(?)", [str(path)]).fetchone()[0]:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real_fsync(path)
    return fsync


def test_disk_full_while_writing_parquet_refuses_that_file_alone_and_keeps_it(
        con, landing, tmp_path, own_lake, monkeypatch):
    load_everything(con, landing, tmp_path, own_lake)
    corrections = []
    for flow in ("export", "import"):  # corrections of both slices, loaded in one batch
        path = next((landing / "customs_detail").glob(f"cq_detail_2021-11_{flow}_*.csv"))
        rows = factory.read_detail(path)
        rows[0]["第一数量"] = str(int(float(rows[0]["第一数量"] or 0)) + 1)
        corrections.append(factory.write_detail(path.with_name(f"cq_detail_2021-11_{flow}_20211230.csv"), rows))
    corrected_export, corrected_import = corrections
    export_bytes = corrected_export.read_bytes()
    before = con.execute("SELECT count(*), sum(hash(t)) FROM raw.customs_detail t WHERE flow = 'exports'").fetchone()
    monkeypatch.setattr(lake, "_fsync", _disk_full_on_exports(lake._fsync))
    loader = RawLoader(con, landing, tmp_path / "quarantine", TODAY, own_lake)
    outcomes = {o.file_name: o for o in loader.load_all([corrected_export, corrected_import])}
    monkeypatch.undo()

    refused = outcomes[f"customs_detail/{corrected_export.name}"]
    assert refused.status == "refused" and refused.reason.startswith("lake_unwritable: ")
    assert "No space left on device" in refused.reason and "move it from the quarantine back" in refused.reason
    assert Path(refused.quarantine_path).read_bytes() == export_bytes  # not lost
    assert outcomes[f"customs_detail/{corrected_import.name}"].status == "loaded"  # the rest loads
    audit = con.execute("SELECT status FROM raw.load_audit WHERE file_name = ?",
                        [f"customs_detail/{corrected_export.name}"]).fetchall()
    assert audit == [("refused",)]
    assert con.execute("SELECT count(*), sum(hash(t)) FROM raw.customs_detail t WHERE flow = 'exports'").fetchone() == before
    assert_lake_matches_audit(con, own_lake)

    # room again: delivered once more, it loads
    shutil.move(refused.quarantine_path, corrected_export)
    again = RawLoader(con, landing, tmp_path / "quarantine", TODAY, own_lake).load(corrected_export)
    assert again.status == "loaded"
    assert_lake_matches_audit(con, own_lake)


def test_next_load_settles_what_dead_loads_left(con, landing, tmp_path, own_lake):
    load_everything(con, landing, tmp_path, own_lake)
    committed = next((own_lake / "raw" / "bulletin_totals").glob("*/*.parquet"))
    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead_pid, live_pid = finished.stdout.strip(), str(os.getppid())
    # a load killed after its commit, before its rename: its file is still hidden
    unrenamed = committed.with_name(f".{committed.stem}.{dead_pid}.parquet.tmp")
    committed.rename(unrenamed)
    # a load killed before its commit, and one still being written by a live process
    dead = committed.with_name(f".{'1' * 32}.{dead_pid}.parquet.tmp")
    live = committed.with_name(f".{'2' * 32}.{live_pid}.parquet.tmp")
    for path in (dead, live):
        shutil.copyfile(unrenamed, path)
    assert not any((own_lake / "raw" / "bulletin_totals").glob("*/*.parquet"))

    RawLoader(con, landing, tmp_path / "quarantine", TODAY, own_lake).load_all([])

    assert committed.exists() and not unrenamed.exists() and not dead.exists() and live.exists()
    live.unlink()
    assert_lake_matches_audit(con, own_lake)
    assert con.execute("SELECT count(*) FROM raw.bulletin_totals WHERE load_id = ?", [committed.stem]).fetchone()[0] > 0
    assert files_of_live_loads(con) == visible_files(own_lake)


def test_published_file_holds_the_marts_without_the_lake(published_sample, sample_chain):
    """The BI file is copied tables only: no view, nothing that reads the lake's Parquet."""
    with duckdb.connect(str(published_sample / publication.DB_NAME), read_only=True) as con:
        views = con.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()
        tables = [row[0] for row in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'marts'").fetchall()]
        counts = {table: con.execute(f"SELECT count(*) FROM marts.{table}").fetchone()[0] for table in tables}
    assert views == [] and tables and all(counts.values())
    assert any((sample_chain.root / "lake" / "raw").glob("*/*/*.parquet"))  # the chain's raw was in its lake
