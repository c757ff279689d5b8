"""Acceptance tests of ingestion: generated landing files, the real RawLoader, real DuckDB files.

The sample generator writes 2021-09..2021-11 once per module; each test loads its own copy
of that landing zone into its own warehouse file, and crafts bad files from the good ones
(tests/support/landing_factory.py) so each refusal has exactly one cause.
"""

from __future__ import annotations

import hashlib
import os
import random
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from orchestration.ingest import loader as loader_module
from orchestration.feeds import FEEDS, all_raw_tables
from orchestration.ingest.landing_zone import landing_files
from orchestration.ingest.loader import FileOutcome, RawLoader
from orchestration.parsing import plain_extract
from orchestration.settings import REPO_ROOT
from tests.support import landing_factory as factory
from tests.support.fast_path import needs_fast_path
from tests.support.lake_checks import assert_lake_matches_audit, visible_files
from tools.sample_data import generate

FIRST, LAST = date(2021, 9, 1), date(2021, 11, 1)
TODAY = date(2022, 1, 10)  # after every generated vintage
RAW_TABLES = all_raw_tables()
WAN = 10_000  # yuan per 万元


# -- fixtures and helpers ---------------------------------------------------------------


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("generated")
    generate(root, through=LAST, only_from=FIRST)
    return root


@pytest.fixture
def landing(generated, tmp_path) -> Path:
    return factory.copy_tree(generated, tmp_path / "landing")


@pytest.fixture
def quarantine(tmp_path) -> Path:
    return tmp_path / "quarantine"


def loader_for(con, landing: Path, quarantine: Path, today: date = TODAY) -> RawLoader:
    return RawLoader(con, landing, quarantine, today)


def load_all(con, landing: Path, quarantine: Path, today: date = TODAY, feeds=FEEDS) -> dict[str, FileOutcome]:
    """Load every file of the feeds, as the Dagster assets do; outcomes by relative name."""
    loader = loader_for(con, landing, quarantine, today)
    outcomes = [outcome for feed in feeds for outcome in loader.load_all(landing_files(landing, feed))]
    return {outcome.file_name: outcome for outcome in outcomes}


def relative(path: Path) -> str:
    return f"{path.parent.name}/{path.name}"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def table_checksum(con, table: str, where: str = "TRUE", params: list | None = None) -> tuple:
    """Row count and an order-independent hash of every column, lineage included."""
    return con.execute(f"SELECT count(*), sum(hash(t)) FROM raw.{table} AS t WHERE {where}", params or []).fetchone()


def raw_state(con) -> dict[str, tuple]:
    return {table: table_checksum(con, table) for table in (*RAW_TABLES, "load_audit")}


def audit_rows(con, file_name: str) -> list[dict]:
    cursor = con.execute("SELECT * FROM raw.load_audit WHERE file_name = ? ORDER BY started_at", [file_name])
    columns = [d[0] for d in cursor.description]
    return [dict(zip(columns, row)) for row in cursor.fetchall()]


def rows_of_file(con, file_name: str) -> int:
    return sum(
        con.execute(f"SELECT count(*) FROM raw.{table} WHERE source_file = ?", [file_name]).fetchone()[0]
        for table in RAW_TABLES
    )


def rows_with_sha(con, sha: str) -> int:
    return sum(
        con.execute(f"SELECT count(*) FROM raw.{table} WHERE source_sha256 = ?", [sha]).fetchone()[0]
        for table in RAW_TABLES
    )


def one_file(landing: Path, feed: str, pattern: str) -> Path:
    (path,) = sorted((landing / feed).glob(pattern))
    return path


def copied_beside(source: Path, name: str, extra: bytes) -> Path:
    """source under another name in its folder, ``extra`` appended so its bytes differ."""
    target = source.with_name(name)
    target.write_bytes(source.read_bytes() + extra)
    return target


def with_vintage(path: Path, vintage: str) -> Path:
    """The same landing name with another VINTAGE (the last ``_`` field before the extension)."""
    stem, _, _ = path.stem.rpartition("_")
    return path.with_name(f"{stem}_{vintage}{path.suffix}")


# -- 1. every refusal reason: refused whole, audited, quarantined, the rest loaded -----------


@dataclass(frozen=True)
class BadFile:
    reason: str
    craft: Callable[[Path], Path]  # landing root -> the crafted bad file, written in place
    says: tuple[str, ...]  # what the message must name
    today: date = TODAY


def _random_bytes_workbook(landing: Path) -> Path:
    path = one_file(landing, "customs_bulletin", "cq_bulletin_2021-11_*.xlsx")
    path.write_bytes(random.Random(7).randbytes(path.stat().st_size))
    return path


def _invalid_gb18030_byte(landing: Path) -> Path:
    path = one_file(landing, "customs_detail", "cq_detail_2021-11_export_*.csv")
    lines = path.read_bytes().split(b"\r\n")
    lines[3] = lines[3].replace(b",", b",\xff", 1)  # 0xFF starts no GB18030 character
    path.write_bytes(b"\r\n".join(lines))
    return path


def _renamed_sheet(landing: Path) -> Path:
    path = one_file(landing, "customs_bulletin", "cq_bulletin_2021-10_*.xlsx")
    return factory.edit_workbook(path, lambda book: setattr(book["贸易方式"], "title", "贸易方式表"))


def _wrong_totals_header(landing: Path) -> Path:
    path = one_file(landing, "customs_bulletin", "cq_bulletin_2021-09_*.xlsx")
    return factory.edit_workbook(path, lambda book: setattr(book["总值表"]["A3"], "value", "项目名称"))


def _continent_off_world(landing: Path) -> Path:
    def raise_asia(book):
        sheet = book["国别地区"]
        cell = sheet.cell(factory.find_row(sheet, "亚洲"), 2)  # 进出口, the month
        cell.value += 1000

    return factory.edit_workbook(one_file(landing, "customs_bulletin", "cq_bulletin_2021-11_*.xlsx"), raise_asia)


def _next_month_train_log(landing: Path) -> Path:
    source = one_file(landing, "corridor_trains", "trains_2021-11_*.csv")
    return copied_beside(source, "trains_2021-12_20220105.csv", b"\n")  # not a duplicate of the November log


def _vintage_inside_the_period(landing: Path) -> Path:
    source = one_file(landing, "customs_detail", "cq_detail_2021-10_import_*.csv")
    return source.rename(with_vintage(source, "20211031"))


def _china_laos_train_in_november(landing: Path) -> Path:
    def make_it_a_laos_train(rows):
        rows[5].update(service="CHINA_LAOS_RAIL", departure_at="2021-11-20T09:40:00+08:00")

    return factory.edit_trains(one_file(landing, "corridor_trains", "trains_2021-11_*.csv"), make_it_a_laos_train)


def _negative_yuan(landing: Path) -> Path:
    def negate(rows):
        rows[4]["人民币"] = "-" + rows[4]["人民币"]  # data row 5 is line 6

    return factory.edit_detail(one_file(landing, "customs_detail", "cq_detail_2021-11_export_*.csv"), negate)


def _row_of_another_month(landing: Path) -> Path:
    def october(rows):
        rows[2]["数据年月"] = "202110"  # data row 3 is line 4

    return factory.edit_detail(one_file(landing, "customs_detail", "cq_detail_2021-11_import_*.csv"), october)


def _january_bulletin(landing: Path) -> Path:
    source = one_file(landing, "customs_bulletin", "cq_bulletin_2021-11_*.xlsx")
    return copied_beside(source, "cq_bulletin_2021-01_20210220.xlsx", b"\0")  # not a duplicate of the November file


def _departure_without_offset(landing: Path) -> Path:
    def local_time(rows):
        rows[0]["departure_at"] = rows[0]["departure_at"].removesuffix("+08:00")

    return factory.edit_trains(one_file(landing, "corridor_trains", "trains_2021-10_*.csv"), local_time)


BAD_FILES = {
    "unreadable workbook": BadFile("unreadable", _random_bytes_workbook, ("workbook",)),
    "unreadable extract": BadFile("unreadable", _invalid_gb18030_byte, ("not valid gb18030", "(line 4)")),
    "sheet renamed": BadFile("wrong_layout", _renamed_sheet, ("missing: 贸易方式", "unexpected: 贸易方式表")),
    "header wrong": BadFile("wrong_layout", _wrong_totals_header, ("sheet 总值表 cell A3", "'项目名称'")),
    "continent off 总值": BadFile("internal_sums", _continent_off_world, ("sheet 国别地区", "continents", "总值")),
    "period not ended": BadFile(
        "future_period", _next_month_train_log, ("2021-12", "not before today (2021-12-10)"), date(2021, 12, 10)
    ),
    "vintage inside the period": BadFile("early_vintage", _vintage_inside_the_period, ("vintage 2021-10-31",)),
    "China-Laos train in November": BadFile(
        "china_laos_before_opening", _china_laos_train_in_november, ("CHINA_LAOS_RAIL", "2021-11-20", "line 7")
    ),
    "negative 人民币": BadFile("negative_value", _negative_yuan, ("人民币 is negative", "line 6")),
    "row of another month": BadFile("wrong_period", _row_of_another_month, ("数据年月 is not 202111", "line 4")),
    "January file after 2019": BadFile("wrong_period", _january_bulletin, ("no January file",)),
    "departure without offset": BadFile("bad_value", _departure_without_offset, ("departure_at", "line 2")),
}


@pytest.mark.parametrize("case", BAD_FILES.values(), ids=BAD_FILES.keys())
def test_bad_file_is_refused_whole_and_quarantined(case: BadFile, landing, quarantine, con):
    bad = case.craft(landing)
    bad_bytes = bad.read_bytes()
    feed = bad.parent.name
    good = [relative(path) for path in landing_files(landing, feed) if path != bad]

    outcomes = load_all(con, landing, quarantine, case.today, feeds=[feed])

    outcome = outcomes[relative(bad)]
    assert outcome.status == "refused"
    code, _, message = outcome.reason.partition(": ")
    assert code == case.reason
    assert not message.startswith(f"{code}:"), "the reason code is stated once"
    for words in case.says:
        assert words in message
    (audit,) = audit_rows(con, relative(bad))
    assert (audit["status"], audit["reason"], audit["file_sha256"]) == ("refused", outcome.reason, sha256(bad_bytes))
    assert audit["quarantine_path"] == outcome.quarantine_path
    kept = Path(outcome.quarantine_path)
    assert kept.parent == quarantine / bad.parent.name
    assert kept.read_bytes() == bad_bytes
    assert not bad.exists()
    assert rows_with_sha(con, sha256(bad_bytes)) == 0
    for name in good:
        assert outcomes[name].status == "loaded", name
        assert [row["status"] for row in audit_rows(con, name)] == ["loaded"]
        assert rows_of_file(con, name) == outcomes[name].rows_loaded > 0


def test_second_refusal_of_the_same_name_keeps_both_quarantined_copies(landing, quarantine, con):
    first = _negative_yuan(landing)
    first_bytes = first.read_bytes()
    first_outcome = loader_for(con, landing, quarantine).load(first)
    second = _row_of_another_month(landing)  # a new delivery under a name already in quarantine
    second.rename(first)
    second_bytes = first.read_bytes()

    second_outcome = loader_for(con, landing, quarantine).load(first)

    assert second_outcome.status == "refused"
    assert second_outcome.quarantine_path != first_outcome.quarantine_path
    assert Path(first_outcome.quarantine_path).read_bytes() == first_bytes
    assert Path(second_outcome.quarantine_path).read_bytes() == second_bytes


def test_name_matching_no_feed_is_left_alone(landing, quarantine, con):
    stray = landing / "customs_bulletin" / "cq_bulletin_2021-11.xlsx"  # no vintage
    stray.write_bytes(b"not looked at")

    load_all(con, landing, quarantine, feeds=["customs_bulletin"])

    assert stray.read_bytes() == b"not looked at"
    assert audit_rows(con, relative(stray)) == []
    assert not quarantine.exists()


# -- 2./3. idempotence and duplicates ---------------------------------------------------------


def test_loading_the_same_landing_zone_twice_changes_nothing(landing, quarantine, con):
    first = load_all(con, landing, quarantine)
    assert {outcome.status for outcome in first.values()} == {"loaded"}
    before = raw_state(con)

    again = load_all(con, landing, quarantine)

    assert again.keys() == first.keys()
    assert {outcome.status for outcome in again.values()} == {"skipped"}
    assert raw_state(con) == before


def test_same_bytes_under_a_new_name_are_a_duplicate_recorded_once(landing, quarantine, con):
    load_all(con, landing, quarantine)
    before = raw_state(con)
    original = one_file(landing, "customs_bulletin", "cq_bulletin_2021-11_*.xlsx")
    copy = with_vintage(original, "20211231")
    copy.write_bytes(original.read_bytes())

    outcome = load_all(con, landing, quarantine)[relative(copy)]

    assert outcome.status == "duplicate"
    assert relative(original) in outcome.reason
    (audit,) = audit_rows(con, relative(copy))
    assert (audit["status"], audit["file_sha256"], audit["rows_loaded"]) == ("duplicate", sha256(copy.read_bytes()), 0)
    after = raw_state(con)
    assert {t: after[t] for t in RAW_TABLES} == {t: before[t] for t in RAW_TABLES}
    assert after["load_audit"][0] == before["load_audit"][0] + 1

    third = load_all(con, landing, quarantine)

    assert third[relative(copy)].status == "skipped"
    assert raw_state(con) == after


def test_same_bytes_twice_in_one_load_are_loaded_once(landing, quarantine, con):
    # both names new to the warehouse and in the same batch of extracts
    original = one_file(landing, "customs_detail", "cq_detail_2021-10_export_*.csv")
    copy = with_vintage(original, "20211231")
    copy.write_bytes(original.read_bytes())

    outcomes = load_all(con, landing, quarantine, feeds=["customs_detail"])

    assert (outcomes[relative(original)].status, outcomes[relative(copy)].status) == ("loaded", "duplicate")
    assert relative(original) in outcomes[relative(copy)].reason
    assert rows_of_file(con, relative(copy)) == 0
    assert rows_with_sha(con, sha256(original.read_bytes())) == outcomes[relative(original)].rows_loaded > 0


def test_batches_of_one_extract_load_what_one_batch_loads(landing, quarantine, tmp_path, monkeypatch):
    # lineage is passed per file and indexed by each row's file position: however the
    # extracts are batched, every row keeps its own file, line and vintage
    def detail_rows(warehouse: Path) -> list[tuple]:
        with duckdb.connect(str(warehouse)) as connection:
            load_all(connection, landing, quarantine, feeds=["customs_detail"])
            return connection.execute(
                "SELECT * EXCLUDE (load_id, loaded_at) FROM raw.customs_detail ORDER BY source_file, source_row"
            ).fetchall()

    together = detail_rows(tmp_path / "together.duckdb")
    monkeypatch.setattr(loader_module, "DETAIL_BATCH_BYTES", 1)
    one_by_one = detail_rows(tmp_path / "one_by_one.duckdb")

    assert len({row[-3] for row in together}) == len(landing_files(landing, "customs_detail")) > 1  # source_file
    assert one_by_one == together


@needs_fast_path
def test_fast_path_loads_what_the_checked_path_loads(landing, quarantine, tmp_path, monkeypatch):
    # plain extracts go through plain_extract.c and a typed read; the others, here one with a
    # quoted amount, which the contract allows, through the Python transcoder and checked read
    unusual = one_file(landing, "customs_detail", "cq_detail_2021-11_import_*.csv")
    lines = unusual.read_bytes().split(b"\r\n")
    fields = lines[1].split(b",")
    fields[-2] = b'"' + fields[-2] + b'"'  # 人民币
    unusual.write_bytes(b"\r\n".join([lines[0], b",".join(fields), *lines[2:]]))
    taken = {}

    def transcoded(candidate, target):
        result = transcoded_by_loader(candidate, target)
        taken[candidate.path.name] = result.plain
        return result

    def detail_rows(warehouse: Path) -> list[tuple]:
        with duckdb.connect(str(warehouse)) as connection:
            outcomes = load_all(connection, landing, quarantine, feeds=["customs_detail"])
            assert {outcome.status for outcome in outcomes.values()} == {"loaded"}
            return connection.execute(
                "SELECT * EXCLUDE (load_id, loaded_at) FROM raw.customs_detail ORDER BY source_file, source_row"
            ).fetchall()

    transcoded_by_loader = loader_module._transcoded
    monkeypatch.setattr(loader_module, "_transcoded", transcoded)
    fast = detail_rows(tmp_path / "fast.duckdb")
    assert [name for name, plain in taken.items() if not plain] == [unusual.name]
    monkeypatch.setattr(plain_extract, "transcode_plain", lambda *args: None)
    taken.clear()
    checked = detail_rows(tmp_path / "checked.duckdb")

    assert taken and not any(taken.values())
    assert fast == checked and len(fast) > 1000
    with duckdb.connect(str(tmp_path / "fast.duckdb")) as connection:
        quoted_amount = connection.execute(
            "SELECT value_cny FROM raw.customs_detail WHERE source_file = ? AND source_row = 2", [relative(unusual)]
        ).fetchone()[0]
    assert quoted_amount == Decimal(fields[-2].strip(b'"').decode())


# -- 4. corrected vintages and the exact slice replace -------------------------------------


def _corrected_bulletin(landing: Path, vintage: str, yuan_wan: int) -> Path:
    """A later vintage of the October bulletin: 手机 exports of the month revised by ``yuan_wan`` 万元."""
    source = one_file(landing, "customs_bulletin", "cq_bulletin_2021-10_*.xlsx")

    def revise(book):
        sheet = book["主要出口商品"]
        sheet.cell(factory.find_row(sheet, "手机"), 4).value += yuan_wan  # 金额 of the month

    return factory.edit_workbook(source, revise, target=with_vintage(source, vintage))


def _phone_exports(con, vintage: date) -> Decimal:
    return con.execute(
        "SELECT month_value_cny FROM raw.bulletin_commodities WHERE reference_month = DATE '2021-10-01' "
        "AND vintage = ? AND flow = 'exports' AND commodity_name_zh = '手机'",
        [vintage],
    ).fetchone()[0]


def test_corrected_vintage_keeps_both_and_supersedes_the_earlier(landing, quarantine, con):
    load_all(con, landing, quarantine)
    earlier = one_file(landing, "customs_bulletin", "cq_bulletin_2021-10_*.xlsx")
    bulletin_tables = tuple(FEEDS["customs_bulletin"].raw_tables)
    other_periods = {t: table_checksum(con, t, "reference_month <> DATE '2021-10-01'") for t in RAW_TABLES}
    earlier_rows = {t: table_checksum(con, t, "source_file = ?", [relative(earlier)]) for t in bulletin_tables}
    corrected = _corrected_bulletin(landing, "20211210", 7)

    outcome = loader_for(con, landing, quarantine).load(corrected)

    assert (outcome.status, outcome.reason) == ("loaded", None)
    (earlier_audit,) = audit_rows(con, relative(earlier))
    assert earlier_audit["status"] == "superseded"
    assert earlier_audit["reason"] == f"superseded by {relative(corrected)}"
    assert [row["status"] for row in audit_rows(con, relative(corrected))] == ["loaded"]
    for table in bulletin_tables:
        assert table_checksum(con, table, "source_file = ?", [relative(earlier)]) == earlier_rows[table]
        assert table_checksum(con, table, "source_file = ?", [relative(corrected)])[0] == earlier_rows[table][0]
    earlier_vintage = date(2021, 11, 20)
    assert _phone_exports(con, date(2021, 12, 10)) - _phone_exports(con, earlier_vintage) == 7 * WAN
    assert {t: table_checksum(con, t, "reference_month <> DATE '2021-10-01'") for t in RAW_TABLES} == other_periods


def test_older_vintage_arriving_after_the_newer_is_superseded(landing, quarantine, con):
    earlier = one_file(landing, "customs_bulletin", "cq_bulletin_2021-10_*.xlsx")
    corrected = _corrected_bulletin(landing, "20211210", 7)
    loader = loader_for(con, landing, quarantine)
    assert loader.load(corrected).status == "loaded"

    late = loader.load(earlier)

    assert (late.status, late.reason) == ("superseded", f"superseded by {relative(corrected)}")
    assert [row["status"] for row in audit_rows(con, relative(earlier))] == ["superseded"]
    assert [row["status"] for row in audit_rows(con, relative(corrected))] == ["loaded"]
    assert rows_of_file(con, relative(earlier)) == late.rows_loaded > 0  # on record, not in the marts
    audit_before = table_checksum(con, "load_audit")

    assert loader.load(earlier).status == "skipped"
    assert table_checksum(con, "load_audit") == audit_before


def test_same_period_and_vintage_with_new_bytes_replaces_exactly_that_slice(landing, quarantine, con):
    load_all(con, landing, quarantine)
    extract = one_file(landing, "customs_detail", "cq_detail_2021-10_export_*.csv")
    in_slice = "reference_month = DATE '2021-10-01' AND flow = 'exports'"

    def outside_the_slice():
        return {t: table_checksum(con, t, f"NOT ({in_slice})" if t == "customs_detail" else "TRUE") for t in RAW_TABLES}

    outside = outside_the_slice()

    def revise(rows):  # ten rows fewer, their value moved to the first: within 0.1 percent of the bulletin
        moved = sum(int(row["人民币"]) for row in rows[-10:])
        del rows[-10:]
        rows[0]["人民币"] = str(int(rows[0]["人民币"]) + moved + 100)

    factory.edit_detail(extract, revise)
    revised = factory.read_detail(extract)

    outcome = loader_for(con, landing, quarantine).load(extract)

    assert (outcome.status, outcome.rows_loaded) == ("loaded", len(revised))
    count, shas, total = con.execute(
        f"SELECT count(*), list(DISTINCT source_sha256), sum(value_cny) FROM raw.customs_detail WHERE {in_slice}"
    ).fetchone()
    expected_total = sum(int(row["人民币"]) for row in revised)
    assert (count, shas, total) == (len(revised), [sha256(extract.read_bytes())], expected_total)
    assert outside_the_slice() == outside
    statuses = [row["status"] for row in audit_rows(con, relative(extract))]
    assert sorted(statuses) == ["loaded", "superseded"]  # the replaced delivery is no longer the loaded one


# -- 5. SIGKILL in the middle of a large load ---------------------------------------------

# Loads one file into the warehouse in a process of its own; says when it begins to write
# the extract's rows, and, at the kill point "committed", stops between the audit's commit and the
# renames that make its Parquet files visible, until it is killed.
KILLED_LOADER = textwrap.dedent(
    """
    import sys
    from datetime import date
    from pathlib import Path

    import duckdb

    from orchestration.ingest import lake
    from orchestration.ingest.loader import RawLoader

    warehouse, landing, quarantine, file, today, kill_point = sys.argv[1:]

    class AnnouncingLoader(RawLoader):
        def _write_extracts(self, *args):
            print("writing", flush=True)
            return super()._write_extracts(*args)

    def publish_never(temporaries):
        if temporaries:  # not the start's sweep, which has nothing to rename
            print("committed", flush=True)
            sys.stdin.read()

    if kill_point == "committed":
        lake.publish = publish_never
    con = duckdb.connect(warehouse)
    con.execute("SET enable_progress_bar = false")
    outcome = AnnouncingLoader(con, Path(landing), Path(quarantine), date.fromisoformat(today)).load(Path(file))
    print("finished", outcome.status, flush=True)
    """
)
BIG_EXTRACT_ROWS = 500_000


def _killed_output(child: subprocess.Popen) -> str:
    """What a child still running said on stderr, once killed (reading first would block)."""
    child.kill()
    return child.communicate()[1]


def _hidden_lake_files(lake: Path) -> list[Path]:
    return list((lake / "raw").glob("*/*/.*"))


@pytest.mark.slow
@pytest.mark.parametrize("kill_point", ["writing", "committed"])
def test_sigkill_mid_load_leaves_no_partial_file_and_the_next_load_converges(
        kill_point, landing, quarantine, warehouse_path, tmp_path, monkeypatch, own_lake):
    """Killed while its Parquet is being written (before the commit), the load leaves raw and
    the audit as they were; killed after the commit, before the renames, the audit has it and
    no reader sees its rows yet. Neither leaves a partial file visible; the next load
    settles the hidden files and raw holds the file's rows once."""
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setenv("SCRATCH_DIR", str(scratch))
    con = duckdb.connect(str(warehouse_path))
    load_all(con, landing, quarantine)
    before = raw_state(con)
    visible_before = visible_files(own_lake)
    con.close()
    # A correction of a loaded slice: its load replaces the earlier file of the slice.
    extract = one_file(landing, "customs_detail", "cq_detail_2021-11_export_*.csv")
    big_source = generate(tmp_path / "big", through=LAST, only_from=LAST, detail_rows=200_000)
    (source,) = [path for path in big_source if path.name == extract.name]
    big_rows = factory.write_big_detail(source, extract, BIG_EXTRACT_ROWS)

    child = subprocess.Popen(
        [sys.executable, "-c", KILLED_LOADER, str(warehouse_path), str(landing), str(quarantine), str(extract),
         TODAY.isoformat(), kill_point],
        cwd=REPO_ROOT, env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        line = child.stdout.readline()
        assert line == "writing\n", f"the loader never began to write: {line!r} {_killed_output(child)}"
        if kill_point == "writing":  # the COPY to the hidden Parquet file has begun
            deadline = time.monotonic() + 120
            while not _hidden_lake_files(own_lake) and child.poll() is None and time.monotonic() < deadline:
                time.sleep(0.002)
        else:
            assert child.stdout.readline() == "committed\n", _killed_output(child)
        assert child.poll() is None, f"the load ended before the kill: {child.stdout.read()}"
        child.send_signal(signal.SIGKILL)
        assert child.wait(timeout=30) == -signal.SIGKILL
        assert "finished" not in child.stdout.read(), "load() returned before the kill"
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    left_behind = list(scratch.glob(f"cq-load-{child.pid}-*/*.csv"))
    assert left_behind, "the killed load's UTF-8 copy of the extract was not in SCRATCH_DIR"
    assert _hidden_lake_files(own_lake), "the killed load had not begun its Parquet file"
    assert visible_files(own_lake) == visible_before  # nothing of the killed load is visible

    con = duckdb.connect(str(warehouse_path))
    try:
        if kill_point == "writing":
            assert raw_state(con) == before
        else:  # accepted, and not visible yet: the slice's earlier file no longer counts either
            assert [row["status"] for row in audit_rows(con, relative(extract))][-1] == "loaded"
            assert table_checksum(con, "customs_detail", "source_file = ?", [relative(extract)])[0] == 0
        outcome = loader_for(con, landing, quarantine).load(extract)
        expected = ("loaded", big_rows) if kill_point == "writing" else ("skipped", 0)
        assert (outcome.status, outcome.rows_loaded) == expected
        assert table_checksum(con, "customs_detail", "source_file = ?", [relative(extract)])[0] == big_rows
        assert_lake_matches_audit(con, own_lake)
        assert sorted(row["status"] for row in audit_rows(con, relative(extract))) == ["loaded", "superseded"]
    finally:
        con.close()
    assert not any(path.exists() for path in left_behind), "the next load did not clear the dead load's scratch"
    assert list(scratch.iterdir()) == []


def test_scratch_of_dead_loads_is_cleared_and_of_live_ones_kept(landing, quarantine, con, tmp_path, monkeypatch):
    scratch = tmp_path / "scratch"
    monkeypatch.setenv("SCRATCH_DIR", str(scratch))
    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead, live = scratch / f"cq-load-{finished.stdout.strip()}-x1", scratch / f"cq-load-{os.getppid()}-x2"
    for folder in (dead, live):
        folder.mkdir(parents=True)
        (folder / "0.csv").write_bytes(b"left behind")

    outcomes = load_all(con, landing, quarantine, feeds=["customs_detail"])

    assert {outcome.status for outcome in outcomes.values()} == {"loaded"}
    assert not dead.exists() and (live / "0.csv").exists()
    assert sorted(scratch.iterdir()) == [live]  # this load's own folder is gone too


