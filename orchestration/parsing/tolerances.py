"""The landing contract's tolerances and limits, read from their one home: the ``vars`` of
dbt_project.yml, which the dbt tests read as ``var(...)``. Python never restates them."""

from __future__ import annotations

from decimal import Decimal

import yaml

from orchestration.settings import REPO_ROOT

DBT_PROJECT = REPO_ROOT / "dbt_project.yml"
_VARS = yaml.safe_load(DBT_PROJECT.read_text(encoding="utf-8"))["vars"]

# Rounding of one printed figure, in yuan / US dollars.
ROUNDING_YI_CNY = Decimal(str(_VARS["bulletin_rounding_yi_cny"]))
ROUNDING_MILLION_USD = Decimal(str(_VARS["bulletin_rounding_million_usd"]))
ROUNDING_WAN_CNY = Decimal(str(_VARS["bulletin_rounding_wan_cny"]))
# The detail extract against its bulletin, as a fraction (the var is in percent).
DETAIL_RECONCILIATION_FRACTION = Decimal(str(_VARS["detail_reconciliation_tolerance_pct"])) / 100
IMPLAUSIBLE_VALUE = {
    "CNY": Decimal(str(_VARS["implausible_value_cny"])),
    "USD": Decimal(str(_VARS["implausible_value_usd"])),
}


def sum_tolerance(rounding: Decimal, parts: int) -> Decimal:
    """How far ``parts`` printed figures may add up from their printed total: each of the
    parts + 1 figures may be off by its rounding."""
    return rounding * (parts + 1)
