"""The Spark proof's own tools, without Spark: the comparison that tells equal builds from
different ones, and the engine setting that picks the dbt target."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from orchestration import settings
from orchestration.transform.dbt_assets import dbt_resource
from tools.spark_proof.compare import compare_builds


def _marts_warehouse(path: Path) -> Path:
    with duckdb.connect(str(path)) as con:
        con.execute("create schema marts")
        con.execute("create table marts.fct_x (period_start date, flow varchar, value_cny decimal(20,2), yoy_pct double)")
        con.execute("insert into marts.fct_x values ('2021-11-01', 'total', 769.50, 24.0), ('2021-11-01', 'exports', 494.30, 23.9)")
    return path


def _spark_parquet(lake: Path, query: str) -> None:
    (lake / "marts" / "fct_x").mkdir(parents=True, exist_ok=True)
    with duckdb.connect() as con:
        con.execute(f"copy ({query}) to '{lake / 'marts' / 'fct_x' / 'part-00000.parquet'}' (format parquet)")


def test_the_comparison_allows_rounding_of_doubles_only(tmp_path):
    warehouse = _marts_warehouse(tmp_path / "warehouse.duckdb")
    lake = tmp_path / "lake"
    rows = "select date '2021-11-01' as period_start, flow, value_cny::decimal(20,2) as value_cny, yoy_pct::double as yoy_pct from (values"
    _spark_parquet(lake, f"{rows} ('total', 769.50, 24.0 + 1e-12), ('exports', 494.30, 23.9)) as t(flow, value_cny, yoy_pct)")
    [same] = compare_builds(warehouse, lake, schemas=("marts",))
    assert same.equal and same.spark_rows == 2

    _spark_parquet(lake, f"{rows} ('total', 769.51, 24.0), ('exports', 494.30, 23.9)) as t(flow, value_cny, yoy_pct)")
    [changed] = compare_builds(warehouse, lake, schemas=("marts",))
    assert not changed.equal
    assert (changed.rows_only_in_duckdb, changed.rows_only_in_spark) == (1, 1)
    assert "DIFFERENT" in changed.line()


def test_the_comparison_checks_column_types_and_missing_tables(tmp_path):
    warehouse = _marts_warehouse(tmp_path / "warehouse.duckdb")
    lake = tmp_path / "lake"
    [missing] = compare_builds(warehouse, lake, schemas=("marts",))
    assert not missing.equal and "no Parquet files" in missing.line()

    _spark_parquet(lake, "select date '2021-11-01' as period_start, 'total' as flow, 769.5::double as value_cny, 24.0::double as yoy_pct")
    [retyped] = compare_builds(warehouse, lake, schemas=("marts",))
    assert retyped.column_differences == ["value_cny: DECIMAL(20,2) on DuckDB, DOUBLE on Spark"]


def test_the_engine_names_a_dbt_target_duckdb_by_default(monkeypatch):
    monkeypatch.delenv("WAREHOUSE_ENGINE", raising=False)
    assert (settings.engine(), settings.builds_on_spark()) == ("duckdb", False)
    assert dbt_resource().target == "duckdb"
    monkeypatch.setenv("WAREHOUSE_ENGINE", "spark")
    assert (settings.engine(), settings.builds_on_spark()) == ("spark", True)
    assert dbt_resource().target == "spark"
    monkeypatch.setenv("WAREHOUSE_ENGINE", "trino")
    with pytest.raises(ValueError, match="duckdb, spark, spark_thrift"):
        settings.engine()
