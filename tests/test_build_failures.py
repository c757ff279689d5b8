"""The reason a failed dbt build gives: the failing checks, and the files, vintages and
rows behind their stored failing rows. The whole path through dbt and Dagster runs in
tests/test_stale_publication.py; here each kind of failing row, in a DuckDB file."""

from __future__ import annotations

import json
import re
from pathlib import Path

import duckdb
import pytest

from orchestration.transform.build_failures import describe_failures

BULLETIN = "customs_bulletin/cq_bulletin_2021-11_20211225.xlsx"
TRAINS = "corridor_trains/trains_2021-11_20211205.csv"
EXTRACT = "customs_detail/cq_detail_2021-11_exports_20211220.csv"


@pytest.fixture
def con(tmp_path: Path):
    with duckdb.connect(str(tmp_path / "warehouse.duckdb")) as con:
        con.execute("create schema staging; create schema test_failures")
        con.execute(
            "create table staging.stg_warehouse__load_audit as"
            f" select 'abc123' as file_sha256, '{TRAINS}' as file_name, date '2021-12-05' as vintage,"
            " 'loaded' as status"
            f" union all select 'def456', '{EXTRACT}', date '2021-12-20', 'loaded'"
        )
        con.execute(  # a staging row: the file by name, the sheet and row
            "create view test_failures.not_null_names as select"
            f" '{BULLETIN}' as source_file, date '2021-12-25' as vintage, '国别地区' as source_sheet,"
            " 8 as source_row, null as partner"
        )
        con.execute(  # a mart row: the file by its SHA-256 only, a CSV line
            "create view test_failures.dup_trains as select 'abc123' as source_file_id, 17 as source_row"
        )
        con.execute(  # a reconciliation row: its own file, and the bulletin row it is held to
            "create view test_failures.off_bulletin as select 'def456' as source_file_id,"
            f" '{BULLETIN}' as bulletin_source_file, date '2021-12-25' as bulletin_vintage,"
            " '总值表' as bulletin_source_sheet, 6 as bulletin_source_row, 0.4 as difference_pct"
        )
        con.execute("create view test_failures.no_lineage as select 1 as n_records")
        yield con


def result(name: str, status: str = "fail", failures: int = 1, relation: str | None = None, message: str = "") -> dict:
    return {
        "unique_id": f"test.cq_trade.{name}.0123abcd",
        "status": status,
        "failures": failures,
        "relation_name": relation,
        "message": message,
    }


def test_a_failing_test_names_the_files_and_rows_behind_it(con) -> None:
    reason = describe_failures(
        {"results": [
            result("not_null_names", relation="test_failures.not_null_names"),
            result("dup_trains", failures=2, relation="test_failures.dup_trains"),
            {**result("passing_test"), "status": "pass"},
        ]},
        con,
    )
    assert reason == (
        f"dbt test not_null_names failed on 1 row in {BULLETIN} (vintage 2021-12-25) sheet 国别地区 row 8; "
        f"dbt test dup_trains failed on 2 rows in {TRAINS} (vintage 2021-12-05) line 17"
    )


def test_a_failing_row_naming_two_files_names_both(con) -> None:
    reason = describe_failures({"results": [result("off_bulletin", relation="test_failures.off_bulletin")]}, con)
    assert reason == (
        f"dbt test off_bulletin failed on 1 row in {EXTRACT} (vintage 2021-12-20)"
        f" and {BULLETIN} (vintage 2021-12-25) sheet 总值表 row 6"
    )


def test_without_lineage_or_stored_rows_the_check_is_still_named(con) -> None:
    reason = describe_failures(
        {"results": [
            result("no_lineage", relation="test_failures.no_lineage"),
            result("gone", relation="test_failures.dropped_since"),
            {"unique_id": "model.cq_trade.fct_trade_monthly", "status": "error", "message": "Binder Error: x"},
        ]},
        con,
    )
    assert reason == (
        "dbt test no_lineage failed on 1 row; dbt test gone failed on 1 row; "
        "dbt model fct_trade_monthly errored: Binder Error: x"
    )


def test_a_missing_value_in_any_required_mart_column_fails_the_marts_one_not_null_test(sample_chain_copy) -> None:
    """A mart's required columns share one not_null_columns test: a NULL in any of them
    fails it, row by row, and the stored rows still lead to the file and row."""
    chain = sample_chain_copy
    with duckdb.connect(str(chain.warehouse)) as con:
        hit = con.execute(
            "select f.source_file_id, f.source_row, a.file_name from marts.fct_trade_monthly f"
            " join staging.stg_warehouse__load_audit a on a.file_sha256 = f.source_file_id"
            " order by f.period_start desc, f.flow limit 2"
        ).fetchall()
        for column, (file_id, row, _) in zip(("vintage", "is_record_high"), hit):
            con.execute(f"update marts.fct_trade_monthly set {column} = null"
                        " where source_file_id = ? and source_row = ?", [file_id, row])
    target = chain.root / "dbt_target"
    done = chain.dbt("test", "--select", "not_null_fct_trade_monthly", "--target-path", str(target))
    assert done.returncode == 1, done.stdout[-3000:]
    with duckdb.connect(str(chain.warehouse), read_only=True) as con:
        reason = describe_failures(json.loads((target / "run_results.json").read_text()), con)
    assert reason.startswith("dbt test not_null_fct_trade_monthly failed on 2 rows in "), reason
    for _, row, file_name in hit:  # each row by its file, vintage, sheet and row number
        assert re.search(rf"{re.escape(file_name)} \(vintage [0-9-]+\) sheet \S+ row {row}\b", reason), reason
