"""A refresh that cannot publish new marts republishes the last good ones, marked stale
with the failing check and the file, vintage, sheet and row behind it; the bulletin and
the freshness check say so; the next good refresh publishes fresh marts again.

The real chain: the sample data, Dagster runs of refresh_all (`orchestration.cli
refresh`), dbt. The failing refresh loads a correction of the November 2021 bulletin that
names a partner the reference data does not know, which the dbt tests refuse."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import openpyxl
import pytest

from tests.support.chain import ChainFolder

NOVEMBER = "customs_bulletin/cq_bulletin_2021-11_20211220.xlsx"
UNKNOWN_NAME_CORRECTION = "customs_bulletin/cq_bulletin_2021-11_20211225.xlsx"
GOOD_CORRECTION = "customs_bulletin/cq_bulletin_2021-11_20211230.xlsx"
PARTNER_SHEET = "国别地区"
MARTS_SQL = {
    "monthly": "select * from marts.fct_trade_monthly order by period_start, flow",
    "partners": "select * from marts.fct_partner_trade order by period_start, partner, flow",
}
STATE_SQL = {
    "state": "select status, stale_reason, marts_published_at::varchar, published_at::varchar from marts.publication"
}


def rename_partner(source: Path, target: Path, name: str, new_name: str) -> int:
    """Writes a copy of a bulletin with one partner renamed; returns the row it is in."""
    workbook = openpyxl.load_workbook(source)
    for (cell,) in workbook[PARTNER_SHEET].iter_rows(min_col=1, max_col=1):
        if isinstance(cell.value, str) and cell.value.strip("\u3000") == name:
            cell.value = cell.value.replace(name, new_name)
            workbook.save(target)
            return cell.row
    raise LookupError(f"{name} not in {source}")


def publication_check_outcomes(chain: ChainFolder) -> list[str]:
    """Every decided outcome of publication_is_fresh (SUCCEEDED or FAILED), oldest first."""
    with dg.DagsterInstance.from_config(str(chain.root / "dagster_home")) as instance:
        records = instance.event_log_storage.get_asset_check_execution_history(
            dg.AssetCheckKey(dg.AssetKey(["published", "marts"]), "publication_is_fresh"), limit=20
        )
    statuses = [record.status.value for record in reversed(records)]
    return [status for status in statuses if status in ("SUCCEEDED", "FAILED")]


@pytest.mark.slow
@pytest.mark.skip(reason="the door now refuses a partner name the seeds do not know, so this trigger no longer reaches dbt; it needs a file that passes the door and fails a cross-file dbt test (issue 15, open)")
def test_a_failing_refresh_republishes_the_last_good_marts_as_stale(sample_chain_copy: ChainFolder) -> None:
    chain = sample_chain_copy
    landing = chain.root / "landing"
    good = chain.query({**MARTS_SQL, **STATE_SQL})
    (status, reason, first_published, _), = good["state"]
    assert (status, reason) == ("fresh", None)

    row = rename_partner(landing / NOVEMBER, landing / UNKNOWN_NAME_CORRECTION, "越南", "越南国")
    failed = chain.run_module("orchestration.cli", "refresh", "--from", "2021-11", "--to", "2021-11", check=False)
    assert failed.returncode != 0

    stale = chain.query({**MARTS_SQL, **STATE_SQL})
    (status, reason, marts_published_at, published_at), = stale["state"]
    assert status == "stale"
    assert "not_null_int_partners__bulletin_names_partner" in reason
    assert f"{UNKNOWN_NAME_CORRECTION} (vintage 2021-12-25) sheet {PARTNER_SHEET} row {row}" in reason
    assert marts_published_at == first_published and published_at > first_published
    assert {k: stale[k] for k in MARTS_SQL} == {k: good[k] for k in MARTS_SQL}  # the last good marts, unchanged
    bulletin = (chain.published / "bulletin" / "bulletin-2021-11.md").read_text()
    assert "Stale figures" in bulletin and UNKNOWN_NAME_CORRECTION in bulletin

    # The producer's next correction prints the name right again and supersedes the bad one
    # (its bytes differ from the first release's, or the loader would record a duplicate).
    corrected = openpyxl.load_workbook(landing / NOVEMBER)
    corrected.properties.title = "correction"
    corrected.save(landing / GOOD_CORRECTION)
    chain.refresh("--from", "2021-11", "--to", "2021-11")  # raises unless the run succeeds
    fresh = chain.query({**MARTS_SQL, **STATE_SQL})
    (status, reason, marts_published_at, _), = fresh["state"]
    assert (status, reason) == ("fresh", None) and marts_published_at > first_published
    assert "Stale figures" not in (chain.published / "bulletin" / "bulletin-2021-11.md").read_text()
    assert publication_check_outcomes(chain) == ["SUCCEEDED", "FAILED", "SUCCEEDED"]
