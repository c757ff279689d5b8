"""The BI contract (/work/shared/bi-contract.md) as data: the one place that lists the
tables BI readers rely on, their required columns and their keys.

The contract only grows: add tables and columns here when the document gains them."""

from __future__ import annotations

from orchestration.parsing.tolerances import ROUNDING_YI_CNY, sum_tolerance

SCHEMA = "marts"

# The one-row table the publisher writes beside the marts, and its states.
PUBLICATION_TABLE = "publication"
FRESH, STALE = "fresh", "stale"

# Every fact row names the landing file its values came from; rows from a bulletin also
# the sheet and row.
FILE_PROVENANCE = ("source_file_id",)
BULLETIN_PROVENANCE = ("source_file_id", "source_sheet", "source_row")

# table -> required columns, in the order the contract lists them.
REQUIRED_COLUMNS: dict[str, tuple[str, ...]] = {
    "fct_trade_monthly": (
        "period_start", "period_end", "months_in_period", "year", "flow", "value_cny",
        "value_usd", "ytd_value_cny", "ytd_value_usd", "yoy_pct", "ytd_yoy_pct",
        "published_yoy_pct", "published_ytd_yoy_pct", "is_record_high", "vintage",
        *BULLETIN_PROVENANCE,
    ),
    "fct_trade_annual": (
        "year", "flow", "value_cny", "value_usd", "yoy_pct", "is_complete", *BULLETIN_PROVENANCE,
    ),
    "fct_partner_trade": (
        "period_start", "period_end", "partner", "partner_kind", "partner_name_en",
        "partner_name_zh", "flow", "value_cny", "ytd_value_cny", "ytd_yoy_pct",
        "ytd_share_pct", "ytd_rank", *BULLETIN_PROVENANCE,
    ),
    "fct_partner_trade_annual": (
        "year", "partner", "partner_kind", "flow", "value_cny", "yoy_pct", "share_pct",
        "rank", "is_complete", *BULLETIN_PROVENANCE,
    ),
    "fct_commodity_trade": (
        "period_start", "flow", "commodity_name_zh", "commodity_name_en", "unit", "quantity",
        "value_cny", "ytd_quantity", "ytd_value_cny", "is_overlapping_aggregate",
        *BULLETIN_PROVENANCE,
    ),
    "fct_corridor_monthly": (
        "month_start", "service", "trains", "teu", "cargo_value_cny", "ytd_trains", "ytd_teu",
        *FILE_PROVENANCE,
    ),
    "fct_corridor_annual": (
        "year", "service", "trains", "teu", "is_complete", "is_record", *FILE_PROVENANCE,
    ),
    "dim_partner": (
        "partner", "partner_kind", "name_en", "name_zh", "customs_code", "iso3", "continent",
        "groups",
    ),
    "dim_period": (
        "period_start", "period_end", "months_in_period", "year", "month", "label_en",
        "label_zh",
    ),
    "dim_source_file": (
        "source_file_id", "file_name", "feed", "reference_month", "vintage", "loaded_at",
        "row_count", "status",
    ),
    PUBLICATION_TABLE: ("published_at", "latest_period_start", "status", "stale_reason"),
}

# table -> the columns that identify a row ("one row per" in the contract).
KEYS: dict[str, tuple[str, ...]] = {
    "fct_trade_monthly": ("period_start", "flow"),
    "fct_trade_annual": ("year", "flow"),
    "fct_partner_trade": ("period_start", "partner", "flow"),
    "fct_partner_trade_annual": ("year", "partner", "flow"),
    "fct_commodity_trade": ("period_start", "flow", "commodity_name_zh"),
    "fct_corridor_monthly": ("month_start", "service"),
    "fct_corridor_annual": ("year", "service"),
    "dim_partner": ("partner",),
    "dim_period": ("period_start",),
    "dim_source_file": ("source_file_id",),
}

# Exports + imports may miss the total by the rounding of the three printed figures.
FLOW_BALANCE_TOLERANCE_CNY = sum_tolerance(ROUNDING_YI_CNY, 2)
