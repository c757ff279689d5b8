"""What the dashboard shows, read from the published file: one function per view.

Each function takes a read-only connection to the publication and returns a DataFrame (or
a small record) with the columns the page shows, names in English and Chinese side by
side, and the provenance columns of the BI contract, so that every figure on screen can
be traced to its landing file (``sources``). Nothing here knows about Streamlit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import duckdb
import pandas as pd

from orchestration.publish.bi_contract import (
    BULLETIN_PROVENANCE,
    FILE_PROVENANCE,
    PUBLICATION_TABLE,
    SCHEMA,
    STALE,
)
from orchestration.publish.bulletin_facts import CORRIDOR_SERVICE, MAIN_ECONOMIES

FLOWS = ("total", "exports", "imports")
# Groups whose members the partner page lists; the US is a single economy.
GROUPS_WITH_MEMBERS = tuple(economy for economy in MAIN_ECONOMIES if economy in ("ASEAN", "EU"))
_BULLETIN_SOURCE = ", ".join(BULLETIN_PROVENANCE)
_FILE_SOURCE = ", ".join(FILE_PROVENANCE)


@dataclass(frozen=True)
class PublicationState:
    published_at: datetime
    latest_period_start: date
    status: str
    stale_reason: str | None

    @property
    def is_stale(self) -> bool:
        return self.status == STALE


@dataclass(frozen=True)
class Period:
    period_start: date
    period_end: date
    months_in_period: int
    label_en: str
    label_zh: str

    @property
    def label(self) -> str:
        return f"{self.label_en} · {self.label_zh}"


def _frame(con: duckdb.DuckDBPyConnection, sql: str, parameters: list | None = None) -> pd.DataFrame:
    return con.execute(sql, parameters or []).df()


def publication_state(con: duckdb.DuckDBPyConnection) -> PublicationState:
    row = con.execute(
        f"select published_at, latest_period_start, status, stale_reason from {SCHEMA}.{PUBLICATION_TABLE}"
    ).fetchone()
    return PublicationState(*row)


def periods(con: duckdb.DuckDBPyConnection) -> list[Period]:
    """Every customs period with figures, the latest first."""
    rows = con.execute(
        f"""
        select period_start, period_end, months_in_period, label_en, label_zh
        from {SCHEMA}.dim_period
        where period_start in (select period_start from {SCHEMA}.fct_trade_monthly)
        order by period_start desc
        """
    ).fetchall()
    return [Period(*row) for row in rows]


def headline(con: duckdb.DuckDBPyConnection, period: Period) -> pd.DataFrame:
    """One row per flow (total, exports, imports) of the period: yuan, dollars, growth, record."""
    return _frame(
        con,
        f"""
        select flow, label_en, label_zh, months_in_period, value_cny, value_usd, yoy_pct,
               published_yoy_pct, ytd_value_cny, ytd_value_usd, ytd_yoy_pct,
               published_ytd_yoy_pct, is_record_high, previous_single_month_high_cny,
               vintage, {_BULLETIN_SOURCE}
        from {SCHEMA}.fct_trade_monthly
        where period_start = ?
        order by array_position({list(FLOWS)}, flow)
        """,
        [period.period_start],
    )


def trend(con: duckdb.DuckDBPyConnection, flow: str) -> pd.DataFrame:
    """Every period of ``flow`` in order, with what kind of period it is: a record month,
    a month, or a January-February period (two months, never a record)."""
    return _frame(
        con,
        f"""
        select period_start, period_end, label_en, label_zh, months_in_period,
               case when months_in_period = 2 then 'January-February (two months)'
                    when is_record_high then 'record month'
                    else 'month' end as period_kind,
               value_cny, value_usd, yoy_pct, is_record_high, vintage, {_BULLETIN_SOURCE}
        from {SCHEMA}.fct_trade_monthly
        where flow = ?
        order by period_start
        """,
        [flow],
    )


def partners(con: duckdb.DuckDBPyConnection, period: Period, flow: str) -> pd.DataFrame:
    """Every partner row of the period and flow, the largest year-to-date value first."""
    return _frame(
        con,
        f"""
        select partner, partner_kind, partner_name_en, partner_name_zh, member_of_groups,
               ytd_rank, ytd_share_pct, ytd_value_cny, ytd_yoy_pct, value_cny, share_pct,
               vintage, {_BULLETIN_SOURCE}
        from {SCHEMA}.fct_partner_trade
        where period_start = ? and flow = ?
        order by ytd_value_cny desc, partner
        """,
        [period.period_start, flow],
    )


def main_economies(partner_rows: pd.DataFrame) -> pd.DataFrame:
    """ASEAN, the EU and the US, in the order the bulletin compares them."""
    rows = partner_rows[partner_rows["partner"].isin(MAIN_ECONOMIES)]
    return rows.set_index("partner").loc[[p for p in MAIN_ECONOMIES if p in set(rows["partner"])]].reset_index()


def members(partner_rows: pd.DataFrame, group: str) -> pd.DataFrame:
    """The group's member economies on the period's last day, the largest first."""
    groups = partner_rows["member_of_groups"].fillna("").str.split(",")
    return partner_rows[groups.apply(lambda names: group in [n.strip() for n in names])]


def ranked(partner_rows: pd.DataFrame) -> pd.DataFrame:
    """The partner economies with a rank (groups count as one, members are not ranked)."""
    return partner_rows[partner_rows["ytd_rank"].notna()].sort_values("ytd_rank")


def commodities(con: duckdb.DuckDBPyConnection, period: Period) -> pd.DataFrame:
    """The bulletin's commodity rows of the period, exports then imports, in its order."""
    return _frame(
        con,
        f"""
        select flow, commodity_name_en, commodity_name_zh, parent_name_zh, is_sub_item,
               is_overlapping_aggregate, unit, quantity, value_cny, ytd_quantity,
               ytd_value_cny, published_ytd_value_yoy_pct, vintage, {_BULLETIN_SOURCE}
        from {SCHEMA}.fct_commodity_trade
        where period_start = ?
        order by flow, source_row
        """,
        [period.period_start],
    )


def corridor_months(con: duckdb.DuckDBPyConnection, period: Period) -> pd.DataFrame:
    """Trains per service in each month of the period (two for January-February)."""
    return _frame(
        con,
        f"""
        select month_start, service, trains, outbound_trains, inbound_trains, teu,
               cargo_value_cny, ytd_trains, ytd_teu, vintage, {_FILE_SOURCE}
        from {SCHEMA}.fct_corridor_monthly
        where month_start between ? and ?
        order by month_start, service = '{CORRIDOR_SERVICE}' desc, trains desc
        """,
        [period.period_start, period.period_end],
    )


def corridor_years(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Trains per year and service, record years flagged."""
    return _frame(
        con,
        f"""
        select year, service, trains, teu, is_complete, is_record, months_logged, {_FILE_SOURCE}
        from {SCHEMA}.fct_corridor_annual
        order by service = '{CORRIDOR_SERVICE}' desc, service, year
        """,
    )


def reconciliation(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The detail extracts summed against the bulletins, every period and flow, latest first:
    source_file_id is the detail extract's, bulletin_source_* the bulletin row's."""
    return _frame(
        con,
        f"""
        select period_start, period_end, months_in_period, flow, detail_value_cny,
               bulletin_value_cny, difference_cny, difference_pct, is_within_tolerance,
               detail_rows, detail_vintage, bulletin_vintage, source_file_id,
               bulletin_source_file_id, bulletin_source_sheet, bulletin_source_row
        from {SCHEMA}.fct_detail_reconciliation
        order by period_start desc, flow
        """,
    )


def reconciliation_citations(rows: pd.DataFrame) -> list[pd.DataFrame]:
    """Both sides of each reconciliation row as provenance: the detail file and the bulletin row."""
    bulletin_side = rows[[f"bulletin_{c}" for c in BULLETIN_PROVENANCE]]
    return [rows[list(FILE_PROVENANCE)], bulletin_side.rename(columns=lambda c: c.removeprefix("bulletin_"))]


def sources(con: duckdb.DuckDBPyConnection, shown: list[pd.DataFrame]) -> pd.DataFrame:
    """The landing files behind the rows of ``shown``, with the sheets and rows they came
    from: one join on source_file_id to dim_source_file."""
    cited = pd.concat(
        [frame.reindex(columns=list(BULLETIN_PROVENANCE)) for frame in shown], ignore_index=True
    ).astype({"source_file_id": "string", "source_sheet": "string", "source_row": "Int64"})
    con.register("cited_rows", cited)
    try:
        return _frame(
            con,
            f"""
            select f.file_name,
                   string_agg(distinct c.source_sheet || ' row ' || c.source_row, ', '
                              order by c.source_sheet || ' row ' || c.source_row) as sheet_rows,
                   f.feed, f.reference_month, f.vintage, f.status, f.row_count, f.loaded_at,
                   f.source_file_id
            from (select distinct * from cited_rows) c
            join {SCHEMA}.dim_source_file f using (source_file_id)
            group by all
            order by f.feed, f.reference_month, f.file_name
            """,
        )
    finally:
        con.unregister("cited_rows")


def to_csv(frame: pd.DataFrame) -> bytes:
    """What a table shows, as CSV in UTF-8 with a byte-order mark (Excel then reads the
    Chinese names correctly)."""
    return frame.to_csv(index=False).encode("utf-8-sig")
