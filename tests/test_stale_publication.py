"""A refresh that cannot publish new marts republishes the last good ones, marked stale
with the failing check and the files, vintages, sheet and row behind it; the bulletin and
the freshness check say so; a refresh of another month afterwards publishes fresh marts.

The real chain: generated files for 2021-10 and 2021-11, Dagster runs of refresh_all
(`orchestration.cli refresh`), dbt. The trigger is a rule only dbt holds, across two files: a December 2021
export extract, loaded before its bulletin (so the door has no bulletin to hold it to),
adds up to 2 percent more than the bulletin that lands after it (whose own door does not
read extracts). dbt's reconciliation test fails on December, and only on December."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import dagster as dg
import openpyxl
import pytest

from tests.support.chain import ChainFolder
from tests.support.landing_factory import edit_detail, find_row
from tests.support.reliability_helpers import new_chain
from tools.sample_data import generate

DECEMBER_EXTRACTS = ("customs_detail/cq_detail_2021-12_export_20220125.csv",
                     "customs_detail/cq_detail_2021-12_import_20220125.csv")
DECEMBER_TRAINS = "corridor_trains/trains_2021-12_20220105.csv"
DECEMBER_BULLETIN = "customs_bulletin/cq_bulletin_2021-12_20220120.xlsx"
LATER_MONTH_FILES = ("customs_bulletin/cq_bulletin_2022-02_20220320.xlsx",
                     "customs_detail/cq_detail_2022-02_export_20220325.csv",
                     "customs_detail/cq_detail_2022-02_import_20220325.csv",
                     "corridor_trains/trains_2022-01_20220205.csv",
                     "corridor_trains/trains_2022-02_20220305.csv")
TOTALS_SHEET = "总值表"
OVERSTATEMENT = 0.02  # of the extract's sum: twenty times the contract's 0.1 percent
MARTS_SQL = {
    "monthly": "select * from marts.fct_trade_monthly order by period_start, flow",
    "partners": "select * from marts.fct_partner_trade order by period_start, partner, flow",
}
STATE_SQL = {
    "state": "select status, stale_reason, marts_published_at::varchar, published_at::varchar,"
             " latest_period_start::varchar from marts.publication"
}


def overstate(rows: list[dict[str, str]]) -> None:
    """Adds OVERSTATEMENT of the extract's sum to its first row, in yuan and dollars alike."""
    for currency in ("人民币", "美元"):
        total = sum(int(row[currency]) for row in rows)
        rows[0][currency] = str(int(rows[0][currency]) + round(total * OVERSTATEMENT))


def land(generated: Path, landing: Path, *names: str) -> None:
    for name in names:
        shutil.copyfile(generated / name, landing / name)


def publication_check_outcomes(chain: ChainFolder) -> list[str]:
    """Every decided outcome of publication_is_fresh (SUCCEEDED or FAILED), oldest first."""
    with dg.DagsterInstance.from_config(str(chain.root / "dagster_home")) as instance:
        records = instance.event_log_storage.get_asset_check_execution_history(
            dg.AssetCheckKey(dg.AssetKey(["published", "marts"]), "publication_is_fresh"), limit=20
        )
    statuses = [record.status.value for record in reversed(records)]
    return [status for status in statuses if status in ("SUCCEEDED", "FAILED")]


@pytest.mark.slow
def test_a_cross_file_failure_publishes_stale_and_blocks_only_its_own_month(two_month_sample: Path, tmp_path: Path) -> None:
    chain = new_chain(tmp_path / "chain", two_month_sample)
    chain.refresh()
    landing = chain.root / "landing"
    generated = tmp_path / "generated"
    generate(generated, through=date(2022, 2, 1), only_from=date(2021, 12, 1), detail_rows=200)
    good = chain.query({**MARTS_SQL, **STATE_SQL})
    (status, reason, first_published, _, _), = good["state"]
    assert (status, reason) == ("fresh", None)

    # December's extracts and trains land before its bulletin: they load, nothing to hold them to.
    land(generated, landing, DECEMBER_TRAINS, DECEMBER_EXTRACTS[1])
    edit_detail(generated / DECEMBER_EXTRACTS[0], overstate, target=landing / DECEMBER_EXTRACTS[0])
    chain.refresh("--from", "2021-12", "--to", "2021-12")  # raises unless the run succeeds
    before_bulletin = chain.query({**MARTS_SQL, **STATE_SQL})
    (status, _, extracts_published, _, _), = before_bulletin["state"]
    assert status == "fresh"

    land(generated, landing, DECEMBER_BULLETIN)
    failed = chain.run_module("orchestration.cli", "refresh", "--from", "2021-12", "--to", "2021-12", check=False)
    assert failed.returncode != 0
    audit = chain.query({"bulletin": f"select status from raw.load_audit where file_name = '{DECEMBER_BULLETIN}'"},
                        database="warehouse")
    assert audit["bulletin"] == [["loaded"]], failed.stderr[-3000:]  # the door passed it: the rule spans two files

    stale = chain.query({**MARTS_SQL, **STATE_SQL})
    (status, reason, marts_published_at, published_at, _), = stale["state"]
    assert status == "stale"
    exports_row = find_row(openpyxl.load_workbook(generated / DECEMBER_BULLETIN)[TOTALS_SHEET], "出口")
    assert reason == (
        "step dbt_warehouse failed: dbt test fct_detail_reconciliation_within_tolerance failed on 1 row in "
        f"{DECEMBER_EXTRACTS[0]} (vintage 2022-01-25) and "
        f"{DECEMBER_BULLETIN} (vintage 2022-01-20) sheet {TOTALS_SHEET} row {exports_row}"
    )
    assert marts_published_at == extracts_published and published_at > extracts_published
    assert {k: stale[k] for k in MARTS_SQL} == {k: before_bulletin[k] for k in MARTS_SQL}  # the last good marts
    bulletin = (chain.published / "bulletin" / "bulletin-2021-11.md").read_text()
    assert "Stale figures" in bulletin and DECEMBER_BULLETIN in bulletin

    # The next period's files: its refresh tests its own months and publishes, December included.
    land(generated, landing, *LATER_MONTH_FILES)
    chain.refresh("--from", "2022-02", "--to", "2022-02")
    fresh = chain.query({**STATE_SQL, "december": (
        "select flow, is_within_tolerance from marts.fct_detail_reconciliation"
        " where period_start = date '2021-12-01' order by flow")})
    (status, reason, marts_published_at, _, latest_period), = fresh["state"]
    assert (status, reason, latest_period) == ("fresh", None, "2022-01-01")
    assert marts_published_at > published_at
    assert fresh["december"] == [["exports", False], ["imports", True]]  # still shown, as it is
    assert "Stale figures" not in (chain.published / "bulletin" / "bulletin-2022-02.md").read_text()
    assert publication_check_outcomes(chain) == ["SUCCEEDED", "SUCCEEDED", "FAILED", "SUCCEEDED"]
