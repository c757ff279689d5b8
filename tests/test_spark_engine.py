"""The same dbt project on Spark: the sample chain built by Dagster with WAREHOUSE_ENGINE=spark
equals the DuckDB build row for row, seeds' values included, with a file of a load the audit
never accepted in the lake; the publication is made from
Spark's Parquet marts; the unit tests pass on Spark; a one-month refresh rewrites only that
month's partitions; and a build runs against a standalone master and worker.

One Spark chain is built per module and shared (a full build takes minutes on two cores).
Run by `make spark` (which installs pyspark and dbt-spark) and CI, with --run-spark."""

from __future__ import annotations

import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from orchestration.publish.bi_contract import PUBLICATION_TABLE
from tests.support.chain import REPO, ChainFolder
from tools.spark_proof.build import dbt_on_spark, spark_installed
from tools.spark_proof.cluster import standalone_cluster
from tools.spark_proof.compare import compare_builds

pytestmark = pytest.mark.spark

INCREMENTAL_TABLES = {
    "int_landing__latest_vintages": "reference_month",
    "int_customs_detail__period_summary": "reference_month",
    "int_corridor__trains_monthly": "month_start",
}
REFRESHED_MONTH = "2021-11"
UNACCEPTED_LOAD = "load-without-audit-row"


@dataclass
class SparkChain:
    chain: ChainFolder
    lake: Path

    @property
    def env(self) -> dict[str, str]:
        return {**self.chain.env, "WAREHOUSE_LAKE": str(self.lake), "WAREHOUSE_ENGINE": "spark",
                "PUBLISHED_DIR": str(self.published)}

    @property
    def published(self) -> Path:
        return self.chain.root / "published_spark"

    def refresh(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "orchestration.cli", "refresh", *args], cwd=REPO,
                              env=self.env, capture_output=True, text=True, timeout=3600)


@pytest.fixture(scope="module")
def spark_chain(sample_chain, tmp_path_factory) -> SparkChain:
    """The DuckDB sample chain's folder copied, then refreshed through Dagster on Spark."""
    assert spark_installed(), "pyspark and dbt-spark are not installed: `make spark` installs them"
    chain = ChainFolder(tmp_path_factory.mktemp("spark_chain") / "chain")
    shutil.copytree(sample_chain.root, chain.root, symlinks=True)
    built = SparkChain(chain, chain.root / "lake")
    assert (built.lake / "raw").is_dir(), "the sample chain's loader writes its raw lake"
    _write_unaccepted_load(built.lake)
    done = built.refresh()
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-6000:]
    return built


def _write_unaccepted_load(lake: Path) -> None:
    """A file of a load the audit never accepted (a loader killed before its audit row):
    November's totals doubled. The marts equal DuckDB's only if Spark never reads it."""
    folder = lake / "raw" / "bulletin_totals" / f"reference_month={REFRESHED_MONTH}-01"
    accepted = next(folder.glob("*.parquet"))
    with duckdb.connect() as con:
        con.execute(
            f"copy (select * replace ('{UNACCEPTED_LOAD}' as load_id, cast(month_value * 2 as decimal(20, 2)) as month_value)"
            f" from read_parquet('{accepted}', hive_partitioning = false)) to '{folder / UNACCEPTED_LOAD}.parquet'"
        )


def _report(comparisons) -> str:
    return "\n".join(comparison.line() for comparison in comparisons)


def test_every_mart_and_seed_equals_the_duckdb_build(spark_chain):
    comparisons = compare_builds(spark_chain.chain.warehouse, spark_chain.lake)
    print(_report(comparisons))
    compared = {comparison.table for comparison in comparisons}
    assert {"marts.fct_trade_monthly", "marts.dim_source_file", "reference.ref_hs_codes"} <= compared
    assert len([name for name in compared if name.startswith("marts.")]) >= 12
    assert all(comparison.duckdb_rows > 0 for comparison in comparisons), _report(comparisons)
    assert all(comparison.equal for comparison in comparisons), _report(comparisons)


def test_seed_values_keep_apostrophes_and_empty_cells(spark_chain):
    # dbt-spark 1.11.0's session seeds broke on the first and turned the second into 'None'.
    with duckdb.connect() as con:
        lake = spark_chain.lake / "reference"
        apostrophes = con.execute(
            f"select name_en from read_parquet('{lake}/ref_hs_codes/*.parquet') where name_en like '%''%'"
        ).fetchall()
        open_ended = con.execute(
            f"select count(*) filter (where valid_to is null), count(*) filter (where valid_to::varchar = 'None')"
            f" from read_parquet('{lake}/ref_partner_groups/*.parquet')"
        ).fetchone()
    assert ("Men's trousers of cotton",) in apostrophes
    assert open_ended[0] > 0 and open_ended[1] == 0


def test_the_publication_is_made_from_the_spark_marts(spark_chain):
    ours, theirs = spark_chain.chain.published / "trade.duckdb", spark_chain.published / "trade.duckdb"
    with duckdb.connect() as con:
        con.execute(f"attach '{ours}' as duck (read_only)")
        con.execute(f"attach '{theirs}' as spark (read_only)")
        tables = [name for (name,) in con.execute(
            "select table_name from information_schema.tables where table_catalog = 'spark'"
            " and table_schema = 'marts' order by 1").fetchall()]
        assert PUBLICATION_TABLE in tables and len(tables) >= 13
        for table in (name for name in tables if name != PUBLICATION_TABLE):
            differing = con.execute(
                f"select count(*) from ((select * from duck.marts.{table} except all select * from spark.marts.{table})"
                f" union all (select * from spark.marts.{table} except all select * from duck.marts.{table}))"
            ).fetchone()[0]
            assert differing == 0, table
        assert con.execute("select status from spark.marts.publication").fetchone() == ("fresh",)
    assert (spark_chain.published / "parquet" / "fct_trade_monthly.parquet").exists()


def test_unit_tests_pass_on_spark(spark_chain):
    done = dbt_on_spark("test", "--select", "test_type:unit", lake=spark_chain.lake, env=spark_chain.env)
    assert done.returncode == 0, done.stdout[-6000:]
    assert " PASS=" in done.stdout and " PASS=0 " not in done.stdout


def _partition_files(lake: Path) -> dict[str, dict[Path, float]]:
    files: dict[str, dict[Path, float]] = {}
    for table, column in INCREMENTAL_TABLES.items():
        for path in (lake / "intermediate" / table).glob(f"{column}=*/*.parquet"):
            files.setdefault(path.parent.name.split("=", 1)[1][:7], {})[path] = path.stat().st_mtime_ns
    return files


def test_a_one_month_refresh_rewrites_only_that_months_partitions(spark_chain):
    before = _partition_files(spark_chain.lake)
    assert REFRESHED_MONTH in before and len(before) > 12
    done = spark_chain.refresh("--from", REFRESHED_MONTH, "--to", REFRESHED_MONTH)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-6000:]
    after = _partition_files(spark_chain.lake)
    assert after.keys() == before.keys()
    rewritten = {month for month in before if before[month] != after[month]}
    assert rewritten == {REFRESHED_MONTH}
    assert not set(before[REFRESHED_MONTH]) & set(after[REFRESHED_MONTH]), "the month's files were replaced"
    comparisons = compare_builds(spark_chain.chain.warehouse, spark_chain.lake, schemas=("marts",))
    assert all(comparison.equal for comparison in comparisons), _report(comparisons)


def test_a_build_on_a_standalone_master_and_worker(spark_chain, tmp_path):
    with standalone_cluster(tmp_path / "cluster") as master:
        done = dbt_on_spark("run", "--select", "+fct_trade_monthly", lake=spark_chain.lake, env=spark_chain.env,
                            master=master)
        executors = (tmp_path / "cluster" / "worker.log").read_text()
    assert done.returncode == 0, done.stdout[-6000:]
    assert "Asked to launch executor" in executors
    comparison, = [c for c in compare_builds(spark_chain.chain.warehouse, spark_chain.lake, schemas=("marts",))
                   if c.table == "marts.fct_trade_monthly"]
    assert comparison.equal, comparison.line()
