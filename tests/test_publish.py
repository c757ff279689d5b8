"""Publication of the marts for BI readers: copy, verify, atomic swap, rollback on failure,
and readers in other processes that never see a lock or a half-finished state.

The warehouse is the one the real chain built on the sample data (conftest's
``sample_chain``: a Dagster run of refresh_all, dbt build), so its tables and types are
the dbt models';
``variant`` copies it and stamps or scales fct_trade_monthly so that two publications
are told apart."""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import shutil
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from orchestration.publish import publication, verification
from orchestration.publish.bi_contract import FLOW_BALANCE_TOLERANCE_CNY, REQUIRED_COLUMNS
from orchestration.publish.publication import (
    PublicationError,
    current_parquet_dir,
    open_published,
    publish,
)
from tests.support.chain import ChainFolder

@pytest.fixture(scope="module")
def dbt_warehouse(sample_chain: ChainFolder) -> Path:
    return sample_chain.warehouse


def variant(base: Path, path: Path, build: int = 0) -> Path:
    """A copy of the dbt-built warehouse with every fct_trade_monthly row stamped with the
    vintage of ``build``, so that publications of two builds are told apart."""
    shutil.copyfile(base, path)
    with duckdb.connect(str(path)) as con:
        con.execute("update marts.fct_trade_monthly set vintage = ?", [vintage(build)])
    return path


def vintage(build: int) -> date:
    return date(2030, 1, 1 + build)


# ---- helpers -------------------------------------------------------------------------------


def query(sql: str) -> list[tuple]:
    """Runs ``sql`` on a throwaway in-memory connection (to read Parquet files)."""
    with duckdb.connect() as con:
        return con.execute(sql).fetchall()


def sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def snapshot(published: Path) -> dict[str, str]:
    """Checksums of everything a reader can see, through the symlink as readers do."""
    files = {"trade.duckdb": published / "trade.duckdb", "publication.json": published / "publication.json"}
    files.update({f"parquet/{p.name}": p for p in (published / "parquet").glob("*.parquet")})
    return {name: sha256(path) for name, path in sorted(files.items())}


@pytest.fixture
def warehouse(dbt_warehouse: Path, tmp_path: Path) -> Path:
    return variant(dbt_warehouse, tmp_path / "warehouse.duckdb")


# ---- tests ---------------------------------------------------------------------------------


def test_publish_then_read(warehouse: Path, tmp_path: Path) -> None:
    published = tmp_path / "published"
    result = publish(warehouse, published)

    assert result.path == published / "trade.duckdb"
    assert set(REQUIRED_COLUMNS) <= set(result.row_counts)
    with duckdb.connect(str(warehouse), read_only=True) as source, open_published(published) as con:
        for table, rows in result.row_counts.items():
            assert con.execute(f"select count(*) from marts.{table}").fetchone()[0] == rows
            if table != "publication":  # written by the publisher, not copied
                assert source.execute(f"select count(*) from marts.{table}").fetchone()[0] == rows
        published_at, latest, status, reason = con.execute(
            "select published_at, latest_period_start, status, stale_reason from marts.publication"
        ).fetchone()
        assert (latest, status, reason) == (date(2021, 11, 1), "fresh", None)
        assert published_at.tzinfo is not None
        # Types survive the copy: money stays DECIMAL(20,2).
        assert con.execute(
            "select data_type from information_schema.columns"
            " where table_name = 'fct_trade_monthly' and column_name = 'value_cny'"
        ).fetchone()[0] == "DECIMAL(20,2)"
        assert con.execute(
            "select value_cny from marts.fct_trade_monthly where period_start = '2021-11-01' and flow = 'total'"
        ).fetchone()[0] == Decimal("76950000000.00")
        with pytest.raises(duckdb.Error):  # readers cannot write
            con.execute("create table marts.x (a int)")

    manifest = json.loads((published / "publication.json").read_text())
    assert manifest["publication_id"] == result.publication_id
    assert manifest["database"]["sha256"] == sha256(published / "trade.duckdb")
    assert (published / "parquet").resolve() == result.parquet_dir.resolve()
    for table, entry in manifest["tables"].items():
        parquet = published / "parquet" / f"{table}.parquet"
        assert entry["rows"] == result.row_counts[table]
        assert entry["sha256"] == sha256(parquet)
        assert query(f"select count(*) from read_parquet('{parquet}')") == [(entry["rows"],)]
        assert parquet.stat().st_mode & 0o777 == 0o444
    assert (published / "trade.duckdb").stat().st_mode & 0o777 == 0o444
    assert not [p for p in published.iterdir() if ".staging" in p.name]


def test_publish_from_an_open_connection(warehouse: Path, tmp_path: Path) -> None:
    # The caller may already hold the warehouse (e.g. as its writer); publish uses that connection.
    with duckdb.connect(str(warehouse)) as con:
        result = publish(con, tmp_path / "published", tables=list(REQUIRED_COLUMNS))
        assert con.execute("select count(*) from duckdb_databases() where database_name = 'publication_target'").fetchone()[0] == 0
    assert set(result.row_counts) == set(REQUIRED_COLUMNS)


def test_parquet_set_switches_as_a_whole_and_old_versions_are_pruned(dbt_warehouse: Path, tmp_path: Path) -> None:
    published = tmp_path / "published"
    results = []
    for i in range(5):
        source = variant(dbt_warehouse, tmp_path / f"w{i}.duckdb", build=i)
        results.append(publish(source, published))
        manifest = json.loads((published / "publication.json").read_text())
        current = (published / "parquet").resolve()
        assert current.name == results[-1].publication_id == manifest["publication_id"]
        # Every file in the visible set belongs to the same publication.
        for table, entry in manifest["tables"].items():
            assert sha256(published / "parquet" / f"{table}.parquet") == entry["sha256"]
        vintages = query(
            f"select distinct vintage from read_parquet('{published}/parquet/fct_trade_monthly.parquet')"
        )
        assert vintages == [(vintage(i),)]
        assert os.readlink(published / "parquet") == f"parquet-versions/{results[-1].publication_id}"

    kept = sorted(p.name for p in (published / "parquet-versions").iterdir())
    assert kept == [r.publication_id for r in results[-publication.KEEP_PARQUET_VERSIONS:]]


def test_failed_verification_leaves_previous_publication_served(
    dbt_warehouse: Path, warehouse: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    published = tmp_path / "published"
    first = publish(warehouse, published)
    before = snapshot(published)

    monkeypatch.setattr(verification, "problems", lambda con, rows: ["injected failure"])
    with pytest.raises(PublicationError, match="injected failure"):
        publish(variant(dbt_warehouse, tmp_path / "w2.duckdb", build=2), published)

    assert snapshot(published) == before
    assert (published / "parquet").resolve().name == first.publication_id
    assert sorted(p.name for p in (published / "parquet-versions").iterdir()) == [first.publication_id]
    assert not [p for p in published.iterdir() if ".staging" in p.name]
    with open_published(published) as con:
        assert con.execute("select distinct vintage from marts.fct_trade_monthly").fetchall() == [(vintage(0),)]


def test_failure_half_way_through_parquet_leaves_previous_publication(
    dbt_warehouse: Path, warehouse: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    published = tmp_path / "published"
    publish(warehouse, published)
    before = snapshot(published)
    real_sha = publication._sha256
    calls = []

    def failing_sha(path: Path) -> str:  # fails after a few Parquet files were written
        calls.append(path)
        if len(calls) == 3:
            raise OSError("disk full")
        return real_sha(path)

    monkeypatch.setattr(publication, "_sha256", failing_sha)
    with pytest.raises(PublicationError, match="disk full"):
        publish(variant(dbt_warehouse, tmp_path / "w2.duckdb", build=2), published)
    assert snapshot(published) == before
    assert len(list((published / "parquet-versions").iterdir())) == 1
    assert not [p for p in published.iterdir() if ".staging" in p.name]


def test_missing_table_is_refused(dbt_warehouse: Path, warehouse: Path, tmp_path: Path) -> None:
    published = tmp_path / "published"
    publish(warehouse, published)
    before = snapshot(published)
    broken = variant(dbt_warehouse, tmp_path / "broken.duckdb", build=2)
    with duckdb.connect(str(broken)) as con:
        con.execute("drop table marts.fct_corridor_annual")
        con.execute("alter table marts.fct_partner_trade drop column ytd_rank")
    with pytest.raises(PublicationError) as raised:
        publish(broken, published)
    assert "fct_corridor_annual is missing" in str(raised.value)
    assert "fct_partner_trade lacks columns ytd_rank" in str(raised.value)
    assert snapshot(published) == before


def test_invariants_are_checked(warehouse: Path) -> None:
    with duckdb.connect(str(warehouse)) as con:
        con.execute(  # 0.3 亿元 off: beyond rounding
            "update marts.fct_trade_monthly set value_cny = value_cny + 30000000"
            " where flow = 'exports' and period_start = '2021-08-01'"
        )
        con.execute("insert into marts.dim_partner select * from marts.dim_partner where partner = 'VN'")
        found = verification.problems(con, {})
    # The warehouse has no publication table: the publisher writes it into the copy.
    assert "marts.publication is missing" in found
    found.remove("marts.publication is missing")
    assert any("2021-08-01" in p and "exports + imports" in p for p in found)
    assert any("dim_partner: 1 duplicated keys" in p for p in found)
    assert len(found) == 2


def test_row_count_mismatch_is_refused(warehouse: Path) -> None:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        partners = con.execute("select count(*) from marts.dim_partner").fetchone()[0]
        assert verification.problems(con, {"dim_partner": partners}) == [
            "marts.publication is missing"
        ]
        assert verification.problems(con, {"dim_partner": partners + 1}) == [
            "marts.publication is missing",
            f"marts.dim_partner has {partners} rows, the source has {partners + 1}",
        ]


def test_missing_warehouse_raises_publication_error(tmp_path: Path) -> None:
    with pytest.raises(PublicationError, match="warehouse not found"):
        publish(tmp_path / "nope.duckdb", tmp_path / "published")
    with pytest.raises(FileNotFoundError):
        open_published(tmp_path / "published")


# ---- readers in other processes while publications run ---------------------------------------

CONSISTENCY_SQL = """
select (select count(distinct vintage) from marts.fct_trade_monthly) as vintages,
       max(abs(t.value_cny - e.value_cny - i.value_cny)) as worst_gap,
       count(*) as periods,
       min(t.vintage) as vintage
from marts.fct_trade_monthly t
join marts.fct_trade_monthly e on e.period_start = t.period_start and e.flow = 'exports'
join marts.fct_trade_monthly i on i.period_start = t.period_start and i.flow = 'imports'
where t.flow = 'total'
"""


def reader(published_dir: str, periods_expected: int, stop, results) -> None:
    """Runs in a spawned process: a long-lived connection (a snapshot) and fresh
    connections, each read checked for a lock error or a mixed state."""
    published = Path(published_dir)
    errors, reads, seen = [], 0, set()
    try:
        held = open_published(published)
        held_vintage = held.execute("select min(vintage) from marts.fct_trade_monthly").fetchone()[0]
        results.put("ready")
        while not stop.is_set():
            for con in (held, open_published(published)):
                vintages, gap, periods, vintage = con.execute(CONSISTENCY_SQL).fetchone()
                if vintages != 1 or gap > FLOW_BALANCE_TOLERANCE_CNY or periods != periods_expected:
                    errors.append(f"inconsistent read: {vintages} vintages, gap {gap}, {periods} periods")
                if con is held and vintage != held_vintage:
                    errors.append("a held connection saw a new publication")
                if con is not held:
                    seen.add(vintage)
                    con.close()
                reads += 1
            parquet = current_parquet_dir(published) / "fct_trade_monthly.parquet"
            if query(f"select count(distinct vintage) from read_parquet('{parquet}')") != [(1,)]:
                errors.append("mixed parquet file")
        held.close()
    except Exception as exc:  # any error (a lock above all) fails the test
        errors.append(f"{type(exc).__name__}: {exc}")
    results.put((reads, errors, seen))


def test_readers_in_other_processes_never_block_or_see_half_a_publication(dbt_warehouse: Path, tmp_path: Path) -> None:
    published = tmp_path / "published"
    sources = [variant(dbt_warehouse, tmp_path / f"w{i}.duckdb", build=i) for i in range(2)]
    publish(sources[0], published)
    with duckdb.connect(str(dbt_warehouse), read_only=True) as con:
        periods = con.execute("select count(distinct period_start) from marts.fct_trade_monthly").fetchone()[0]

    context = multiprocessing.get_context("spawn")
    stop, results = context.Event(), context.Queue()
    readers = [context.Process(target=reader, args=(str(published), periods, stop, results)) for _ in range(3)]
    for process in readers:
        process.start()
    assert [results.get(timeout=60) for _ in readers] == ["ready"] * len(readers)
    publications = 0
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline or publications < 4:
        publish(sources[publications % 2], published)
        publications += 1
    stop.set()
    outcomes = [results.get(timeout=30) for _ in readers]
    for process in readers:
        process.join(timeout=30)

    for reads, errors, seen in outcomes:
        assert errors == []
        assert reads >= 4
        assert seen == {vintage(0), vintage(1)}  # new connections did get the new publications


def test_a_real_parquet_directory_is_refused_before_anything_is_swapped(warehouse: Path, tmp_path: Path) -> None:
    published = tmp_path / "published"
    (published / "parquet").mkdir(parents=True)
    with pytest.raises(PublicationError, match="is not a symlink"):
        publish(warehouse, published)
    assert not (published / "trade.duckdb").exists()


def test_marts_a_spark_target_wrote_as_parquet_are_published_the_same(warehouse: Path, tmp_path: Path) -> None:
    # Spark writes each table as a folder of part files beside _SUCCESS and hidden checksums.
    marts = tmp_path / "lake" / "marts"
    with duckdb.connect(str(warehouse), read_only=True) as con:
        tables = [name for (name,) in con.execute(
            "select table_name from information_schema.tables where table_schema = 'marts' and table_name <> 'publication'"
        ).fetchall()]
        for table in tables:
            (marts / table).mkdir(parents=True)
            con.execute(f"copy marts.{table} to '{marts / table / 'part-00000.snappy.parquet'}' (format parquet)")
            (marts / table / "_SUCCESS").touch()
            (marts / table / ".part-00000.snappy.parquet.crc").write_bytes(b"crc")
    result = publication.publish_parquet_marts(marts, tmp_path / "published")

    assert set(result.row_counts) == {*tables, "publication"}
    with open_published(tmp_path / "published") as published:
        published.execute(f"attach '{warehouse}' as built (read_only)")
        for table in tables:
            assert published.execute(
                f"select count(*) from (select * from marts.{table} except all select * from built.marts.{table})"
            ).fetchone()[0] == 0, table
        assert published.execute("select status from marts.publication").fetchone() == ("fresh",)
        assert published.execute(
            "select data_type from information_schema.columns where table_name = 'fct_trade_monthly'"
            " and column_name = 'value_cny' and table_catalog = current_database()"
        ).fetchone()[0] == "DECIMAL(20,2)"


def test_no_parquet_marts_is_a_publication_error(tmp_path: Path) -> None:
    (tmp_path / "marts" / "fct_trade_monthly").mkdir(parents=True)
    with pytest.raises(PublicationError, match="no Parquet marts"):
        publication.publish_parquet_marts(tmp_path / "marts", tmp_path / "published")
