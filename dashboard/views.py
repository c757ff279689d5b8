"""The dashboard's pages, one function per tab, drawn with Streamlit from ``queries``.

Every table goes through ``Screen.table``: it is shown with a CSV download of exactly
what is shown, and its rows are remembered so that the sources tab (and the sources
under each table) can list the landing file, sheet and row of every figure on screen."""

from __future__ import annotations

from dataclasses import dataclass, field

import altair as alt
import duckdb
import pandas as pd
import streamlit as st

from dashboard import queries
from dashboard.queries import FLOWS, GROUPS_WITH_MEMBERS, Period
from orchestration.publish.bulletin_text import billions, signed

TABS = ("Headline", "Trend", "Partners", "Commodities", "Corridor", "Reconciliation", "Sources")
BILLION = 1e9
HEADLINE_TREND_PERIODS = 36  # three years of context under the headline
_MONEY = {
    "value_bn_cny": "billion yuan",
    "value_bn_usd": "billion US dollars",
    "ytd_value_bn_cny": "year to date, billion yuan",
    "ytd_value_bn_usd": "year to date, billion US dollars",
    "previous_single_month_high_bn_cny": "previous monthly high, billion yuan",
    "cargo_value_bn_cny": "cargo, billion yuan",
    "detail_value_bn_cny": "detail summed, billion yuan",
    "bulletin_value_bn_cny": "bulletin, billion yuan",
}
_PERCENT = {
    "yoy_pct": "year on year, %",
    "published_yoy_pct": "year on year as printed, %",
    "ytd_yoy_pct": "year to date, year on year, %",
    "published_ytd_yoy_pct": "year to date, year on year as printed, %",
    "ytd_share_pct": "share of the year to date, %",
    "share_pct": "share of the period, %",
    "published_ytd_value_yoy_pct": "year to date, year on year as printed, %",
}
_DATES = (
    "period_start", "period_end", "month_start", "reference_month", "vintage", "detail_vintage", "bulletin_vintage",
)
COLUMNS = {
    **{c: st.column_config.DateColumn(c, format="YYYY-MM-DD") for c in _DATES},
    **{c: st.column_config.NumberColumn(label, format="%.2f") for c, label in _MONEY.items()},
    **{c: st.column_config.NumberColumn(label, format="%.1f") for c, label in _PERCENT.items()},
    # The detail misses its bulletin by hundredths of a percent: more decimals.
    "difference_bn_cny": st.column_config.NumberColumn("difference, billion yuan", format="%.4f"),
    "difference_pct": st.column_config.NumberColumn("difference, %", format="%.3f"),
    "label_en": "period",
    "label_zh": "期间",
    "partner_name_en": "partner name",
    "partner_name_zh": "贸易伙伴",
    "commodity_name_en": "commodity",
    "commodity_name_zh": "商品",
    "ytd_rank": st.column_config.NumberColumn("rank", format="%d"),
    "source_sheet": "sheet",
    "source_row": st.column_config.NumberColumn("row", format="%d"),
    "bulletin_source_sheet": "bulletin sheet",
    "bulletin_source_row": st.column_config.NumberColumn("bulletin row", format="%d"),
    # The SHA-256s are listed under Sources, with the files' names.
    "source_file_id": None,
    "bulletin_source_file_id": None,
}

SOURCE_FILE_COLUMNS = {
    "file_name": "file",
    "sheet_rows": "sheet and row",
    "reference_month": st.column_config.DateColumn("period", format="YYYY-MM"),
    "vintage": st.column_config.DateColumn("vintage", format="YYYY-MM-DD"),
    "source_file_id": "SHA-256 (source_file_id)",
}


@dataclass
class Screen:
    """What one run of the app draws: the connection it reads and every table it showed."""

    con: duckdb.DuckDBPyConnection
    shown: list[pd.DataFrame] = field(default_factory=list)

    def table(self, frame: pd.DataFrame, key: str, cited: list[pd.DataFrame] | None = None) -> None:
        """``frame`` with its CSV download and its sources; ``cited`` are its provenance
        columns where they are not plain source_file_id, source_sheet, source_row."""
        cited = cited if cited is not None else [frame]
        st.dataframe(frame, hide_index=True, column_config=COLUMNS)
        st.download_button(
            "Download CSV", queries.to_csv(frame), file_name=f"{key}.csv", mime="text/csv", key=f"csv-{key}"
        )
        with st.expander("Sources of these figures"):
            st.dataframe(queries.sources(self.con, cited), hide_index=True, column_config=SOURCE_FILE_COLUMNS)
        self.shown += cited


def _billions(frame: pd.DataFrame, *columns: str) -> pd.DataFrame:
    """Money columns as billions (yuan or dollars) for reading, next to the other columns."""
    renamed = {c: c.replace("_cny", "_bn_cny").replace("_usd", "_bn_usd") for c in columns}
    out = frame.astype({c: float for c in columns})
    out[list(columns)] = out[list(columns)] / BILLION
    return out.rename(columns=renamed)


def publication_banner(state: queries.PublicationState) -> None:
    as_of = f"published {state.published_at:%Y-%m-%d %H:%M %Z}, latest period {state.latest_period_start:%Y-%m}"
    if state.is_stale:
        st.error(f"Stale publication ({as_of}): {state.stale_reason}", icon=":material/warning:")
    else:
        st.success(f"Fresh publication: {as_of}", icon=":material/check_circle:")


def headline(screen: Screen, period: Period) -> None:
    rows = queries.headline(screen.con, period)
    total = rows.set_index("flow").loc["total"]
    st.subheader(f"Total trade, {period.label}")
    yuan, dollars, year_to_date = st.columns(3)
    yuan.metric("billion yuan", billions(total["value_cny"]), f"{signed(total['yoy_pct'])} year on year")
    dollars.metric("billion US dollars", billions(total["value_usd"]))
    year_to_date.metric(
        "billion yuan, year to date", billions(total["ytd_value_cny"]), f"{signed(total['ytd_yoy_pct'])} year on year"
    )
    if period.months_in_period == 2:
        st.info("January-February period: two months published together, never a monthly record.")
    elif total["is_record_high"]:
        st.success(
            f"Record month: above every earlier single month "
            f"(previous high {billions(total['previous_single_month_high_cny'])} billion yuan)."
        )
    else:
        st.info(
            f"Not a record: the highest earlier single month was "
            f"{billions(total['previous_single_month_high_cny'])} billion yuan."
        )
    history = _billions(queries.trend(screen.con, "total"), "value_cny", "value_usd")
    recent = history[history["period_start"] <= pd.Timestamp(period.period_start)].tail(HEADLINE_TREND_PERIODS)
    st.altair_chart(_trend_chart(recent), width="stretch")
    screen.table(
        _billions(rows, "value_cny", "value_usd", "ytd_value_cny", "ytd_value_usd", "previous_single_month_high_cny"),
        f"headline-{period.period_start:%Y-%m}",
    )


def _trend_chart(shown: pd.DataFrame) -> alt.LayerChart:
    """Single months joined by a line; every period a point marked by its kind."""
    kinds = ["month", "record month", "January-February (two months)"]
    legend = alt.Legend(orient="bottom", labelLimit=0)
    line = alt.Chart(shown[shown["months_in_period"] == 1]).mark_line(color="#9bb7d4").encode(
        x=alt.X("period_end:T", title=None, axis=alt.Axis(format="%b %Y")), y=alt.Y("value_bn_cny:Q", title="billion yuan")
    )
    points = alt.Chart(shown).mark_point(filled=True, size=60).encode(
        x="period_end:T",
        y="value_bn_cny:Q",
        color=alt.Color(
            "period_kind:N", title=None, legend=legend,
            scale=alt.Scale(domain=kinds, range=["#1f5f99", "#d62728", "#ff9f1c"]),
        ),
        shape=alt.Shape(
            "period_kind:N", title=None, legend=legend,
            scale=alt.Scale(domain=kinds, range=["circle", "diamond", "square"]),
        ),
        tooltip=["label_en", "label_zh", "period_kind", alt.Tooltip("value_bn_cny:Q", format=".2f"), "yoy_pct"],
    )
    return (line + points).properties(height=320)


def trend(screen: Screen, flow: str) -> None:
    rows = queries.trend(screen.con, flow)
    st.subheader(f"Monthly trend, {flow}")
    shown = _billions(rows, "value_cny", "value_usd")
    st.altair_chart(_trend_chart(shown), width="stretch")
    screen.table(shown.sort_values("period_start", ascending=False), f"trend-{flow}")


def partners(screen: Screen, period: Period, flow: str) -> None:
    rows = _billions(queries.partners(screen.con, period, flow), "ytd_value_cny", "value_cny")
    st.subheader(f"Partners, {flow}, January to the end of {period.label}")
    st.markdown("**ASEAN, the EU and the US** (year to date, share of the total, rank among partner economies)")
    screen.table(queries.main_economies(rows), f"partners-main-{period.period_start:%Y-%m}-{flow}")
    for group in GROUPS_WITH_MEMBERS:
        st.markdown(f"**Members of {group}** (members are not ranked: the group counts as one partner)")
        screen.table(queries.members(rows, group), f"partners-{group}-{period.period_start:%Y-%m}-{flow}")
    st.markdown("**Every partner economy, by rank**")
    screen.table(queries.ranked(rows), f"partners-ranked-{period.period_start:%Y-%m}-{flow}")


def commodities(screen: Screen, period: Period) -> None:
    rows = _billions(queries.commodities(screen.con, period), "value_cny", "ytd_value_cny")
    st.subheader(f"Main commodities, {period.label}")
    st.caption("Rows marked as overlapping aggregates (机电产品, 高新技术产品, 农产品) overlap the others: never add them up.")
    for flow in ("exports", "imports"):
        st.markdown(f"**{flow.capitalize()}**")
        screen.table(rows[rows["flow"] == flow], f"commodities-{period.period_start:%Y-%m}-{flow}")


def corridor(screen: Screen, period: Period) -> None:
    st.subheader(f"Corridor trains, {period.label}")
    months = _billions(queries.corridor_months(screen.con, period), "cargo_value_cny")
    screen.table(months, f"corridor-{period.period_start:%Y-%m}")
    st.markdown("**Trains per year** (a record year has more trains than any earlier complete year)")
    screen.table(queries.corridor_years(screen.con), "corridor-years")


def reconciliation(screen: Screen, period: Period) -> None:
    rows = _billions(queries.reconciliation(screen.con), "detail_value_cny", "bulletin_value_cny", "difference_cny")
    st.subheader("Detail extracts against the bulletin")
    this_period = rows[rows["period_start"] == pd.Timestamp(period.period_start)]
    outside = rows[~rows["is_within_tolerance"]]
    if len(outside):
        st.warning(f"{len(outside)} period and flow rows differ from the bulletin beyond the tolerance.")
    else:
        st.success("Every period's detail sums to its bulletin within the tolerance.")
    st.markdown(f"**{period.label}**")
    screen.table(
        this_period, f"reconciliation-{period.period_start:%Y-%m}", queries.reconciliation_citations(this_period)
    )
    st.markdown("**Every period**")
    screen.table(rows, "reconciliation", queries.reconciliation_citations(rows))


def sources(screen: Screen) -> None:
    st.subheader("Sources of every figure on screen")
    st.caption("Each landing file behind the tables on the other tabs, with the sheets and rows the figures come from.")
    files = queries.sources(screen.con, screen.shown)
    st.dataframe(files, hide_index=True, column_config=SOURCE_FILE_COLUMNS)
    st.download_button(
        "Download CSV", queries.to_csv(files), file_name="sources.csv", mime="text/csv", key="csv-sources"
    )


def period_picker(choices: list[Period]) -> Period:
    by_start = {p.period_start: p for p in choices}
    start = st.sidebar.selectbox(
        "Period · 期间", list(by_start), format_func=lambda s: by_start[s].label, key="period"
    )
    return by_start[start]


def flow_picker() -> str:
    return st.sidebar.selectbox("Flow of the trend and partners · 贸易方向", FLOWS, key="flow")
