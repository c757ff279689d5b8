"""The figures of a monthly trade bulletin, read from the published marts only.

``read_figures`` gathers one customs period's figures onto a ``Bulletin``, without the
sentences (``bulletin_text`` words them): the period and the year so far, the largest
partner and its run of years at the top, the other main economies, the leading
commodities, the corridor's trains, and the series of the charts."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import duckdb

from orchestration.periods import axis_label, period_label, year_to_date_label
from orchestration.publish import charts
from orchestration.publish.publication import PublicationState, publication_state

CORRIDOR_SERVICE = "ILSTC_RAIL_SEA"
# The economies a Chongqing bulletin compares: the largest partner is shown beside the others.
MAIN_ECONOMIES = ("ASEAN", "EU", "US")
LEADING = 3
GROWTH_CHART_PERIODS = 24


@dataclass(frozen=True)
class Partner:
    partner: str
    name: str
    ytd_value_cny: Decimal
    ytd_yoy_pct: float | None
    ytd_share_pct: float | None


@dataclass(frozen=True)
class Commodity:
    name: str
    ytd_value_cny: Decimal


@dataclass(frozen=True)
class ChartData:
    monthly: tuple[charts.MonthBar, ...]
    growth: tuple[tuple[str, float], ...]  # (period label, yoy %)
    flows: tuple[tuple[str, float, float], ...]  # (year label, exports, imports) in bn yuan
    economies: tuple[tuple[str, tuple[float | None, ...]], ...]  # (year label, MAIN_ECONOMIES)
    corridor: tuple[tuple[str, int, bool], ...]  # (year label, trains, beats earlier years)


@dataclass(frozen=True)
class Bulletin:
    period_start: date
    period_end: date
    months_in_period: int
    label: str  # "November 2021", "January-February 2021"
    ytd_label: str  # "January-November 2021", or "2020" for a whole year
    value_cny: Decimal
    value_usd: Decimal
    yoy_pct: float | None
    is_record_high: bool
    ytd_value_cny: Decimal
    ytd_value_usd: Decimal
    ytd_yoy_pct: float | None
    previous_year: int
    previous_year_cny: Decimal | None  # only when that year is complete
    ytd_lead_over_previous_year_cny: Decimal | None  # only when positive
    exports_ytd_cny: Decimal
    exports_ytd_yoy_pct: float | None
    imports_ytd_cny: Decimal
    imports_ytd_yoy_pct: float | None
    top_partner: Partner | None
    top_partner_years: tuple[int, ...]  # consecutive years at rank 1, ending this year
    top_partner_members: tuple[Partner, ...]  # leading members when it is a group
    peers: tuple[Partner, ...]  # the other MAIN_ECONOMIES
    top_exports: tuple[Commodity, ...]
    top_imports: tuple[Commodity, ...]
    corridor_trains_ytd: int | None
    corridor_month: date | None  # the last month counted in corridor_trains_ytd
    corridor_is_record: bool
    publication: PublicationState
    sentences: tuple[str, ...]  # written by bulletin_text from the figures above
    charts: ChartData

    @property
    def year_complete(self) -> bool:
        return self.period_end.month == 12


def read_figures(con: duckdb.DuckDBPyConnection, period: str | None = None) -> Bulletin:
    """The figures of the bulletin for ``period`` ('YYYY-MM', the customs reference month),
    by default the latest period in marts.fct_trade_monthly, with no sentences yet. ``con``
    reads the published marts."""
    flows = _trade(con, period)
    total = flows["total"]
    start, end, year = total["period_start"], total["period_end"], total["year"]
    previous = _one(
        con,
        "select value_cny from marts.fct_trade_annual"
        " where year = ? and flow = 'total' and is_complete",
        [year - 1],
    )
    previous_cny = previous["value_cny"] if previous else None
    lead = total["ytd_value_cny"] - previous_cny if previous_cny is not None else None
    top = _top_partner(con, start)
    corridor = _corridor(con, year, end)
    figures = dict(
        period_start=start,
        period_end=end,
        months_in_period=total["months_in_period"],
        label=period_label(start, end),
        ytd_label=year_to_date_label(end),
        value_cny=total["value_cny"],
        value_usd=total["value_usd"],
        yoy_pct=_prefer(total["published_yoy_pct"], total["yoy_pct"]),
        is_record_high=bool(total["is_record_high"]) and total["months_in_period"] == 1,
        ytd_value_cny=total["ytd_value_cny"],
        ytd_value_usd=total["ytd_value_usd"],
        ytd_yoy_pct=_prefer(total["published_ytd_yoy_pct"], total["ytd_yoy_pct"]),
        previous_year=year - 1,
        previous_year_cny=previous_cny,
        ytd_lead_over_previous_year_cny=lead if lead is not None and lead > 0 else None,
        exports_ytd_cny=flows["exports"]["ytd_value_cny"],
        exports_ytd_yoy_pct=_prefer(
            flows["exports"]["published_ytd_yoy_pct"], flows["exports"]["ytd_yoy_pct"]
        ),
        imports_ytd_cny=flows["imports"]["ytd_value_cny"],
        imports_ytd_yoy_pct=_prefer(
            flows["imports"]["published_ytd_yoy_pct"], flows["imports"]["ytd_yoy_pct"]
        ),
        top_partner=top,
        top_partner_years=_years_at_top(con, top.partner, year) if top else (),
        top_partner_members=_leading_members(con, top, start) if top else (),
        peers=_peers(con, top, start),
        top_exports=_leading_commodities(con, start, "exports"),
        top_imports=_leading_commodities(con, start, "imports"),
        corridor_trains_ytd=corridor[0],
        corridor_month=corridor[1],
        corridor_is_record=corridor[2],
        publication=publication_state(con),
        charts=_chart_data(con, total, year),
    )
    return Bulletin(sentences=(), **figures)


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> list[dict]:
    cursor = con.execute(sql, params or [])
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def _one(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> dict | None:
    rows = _rows(con, sql, params)
    return rows[0] if rows else None


def _prefer(published: float | None, computed: float | None) -> float | None:
    # The bulletin restates customs: its printed rate wins (customs compares with revised
    # prior-year data); the warehouse's own rate stands in where customs printed none.
    return published if published is not None else computed


def _trade(con: duckdb.DuckDBPyConnection, period: str | None) -> dict[str, dict]:
    if period is None:
        where, params = "period_start = (select max(period_start) from marts.fct_trade_monthly)", []
    else:
        where, params = "strftime(period_end, '%Y-%m') = ?", [period]
    rows = _rows(con, f"select * from marts.fct_trade_monthly where {where}", params)
    flows = {row["flow"]: row for row in rows}
    missing = {"total", "exports", "imports"} - flows.keys()
    if missing:
        raise LookupError(f"fct_trade_monthly has no {sorted(missing)} for period {period or 'latest'}")
    return flows


def _partner(row: dict) -> Partner:
    return Partner(
        partner=row["partner"],
        name=row["partner_name_en"] or row["partner_name_zh"] or row["partner"],
        ytd_value_cny=row["ytd_value_cny"],
        ytd_yoy_pct=row["ytd_yoy_pct"],
        ytd_share_pct=row["ytd_share_pct"],
    )


_PARTNER_SQL = (
    "select * from marts.fct_partner_trade where period_start = ? and flow = 'total'"
)


def _top_partner(con: duckdb.DuckDBPyConnection, start: date) -> Partner | None:
    row = _one(con, _PARTNER_SQL + " and ytd_rank = 1", [start])
    return _partner(row) if row else None


def _years_at_top(con: duckdb.DuckDBPyConnection, partner: str, year: int) -> tuple[int, ...]:
    """Consecutive years ending with ``year`` in which ``partner`` ranked first. The
    current year counts on its year-to-date rank (the caller found it first); earlier
    years on their annual rank."""
    ranks = dict(
        con.execute(
            "select year, rank from marts.fct_partner_trade_annual"
            " where partner = ? and flow = 'total' and year < ?",
            [partner, year],
        ).fetchall()
    )
    years = [year]
    while ranks.get(years[0] - 1) == 1:
        years.insert(0, years[0] - 1)
    return tuple(years)


def _members(con: duckdb.DuckDBPyConnection, group: str) -> set[str]:
    rows = con.execute("select partner, groups from marts.dim_partner").fetchall()
    return {partner for partner, groups in rows if group in _group_codes(groups)}


def _group_codes(groups: object) -> set[str]:
    # dim_partner.groups may be a list or a delimited string; both name group codes.
    if groups is None:
        return set()
    if isinstance(groups, (list, tuple)):
        return {str(g) for g in groups}
    return {g.strip() for g in str(groups).strip("[]{}").replace(";", ",").split(",") if g.strip()}


def _leading_members(con: duckdb.DuckDBPyConnection, top: Partner, start: date) -> tuple[Partner, ...]:
    members = _members(con, top.partner)
    if not members:
        return ()
    rows = _rows(con, _PARTNER_SQL + " order by ytd_value_cny desc", [start])
    return tuple(_partner(r) for r in rows if r["partner"] in members)[:LEADING]


def _peers(con: duckdb.DuckDBPyConnection, top: Partner | None, start: date) -> tuple[Partner, ...]:
    others = [p for p in MAIN_ECONOMIES if top is None or p != top.partner]
    rows = _rows(
        con,
        _PARTNER_SQL + " and partner in (select unnest(?)) order by ytd_value_cny desc",
        [start, others],
    )
    return tuple(_partner(r) for r in rows)


def _leading_commodities(con: duckdb.DuckDBPyConnection, start: date, flow: str) -> tuple[Commodity, ...]:
    # Names ending in '*' overlap other rows (机电产品*): they would always lead.
    rows = _rows(
        con,
        "select coalesce(commodity_name_en, commodity_name_zh) as name, ytd_value_cny"
        " from marts.fct_commodity_trade"
        " where period_start = ? and flow = ? and not coalesce(is_overlapping_aggregate, false)"
        " and ytd_value_cny is not null order by ytd_value_cny desc limit ?",
        [start, flow, LEADING],
    )
    return tuple(Commodity(r["name"], r["ytd_value_cny"]) for r in rows)


def _corridor(con: duckdb.DuckDBPyConnection, year: int, end: date) -> tuple[int | None, date | None, bool]:
    """Trains so far this year up to the period's end, and whether that already beats
    every earlier complete year (computed here: the annual flag reflects the latest data,
    not this period)."""
    row = _one(
        con,
        "select month_start, ytd_trains from marts.fct_corridor_monthly"
        " where service = ? and year(month_start) = ? and month_start <= ?"
        " order by month_start desc limit 1",
        [CORRIDOR_SERVICE, year, end],
    )
    if not row or row["ytd_trains"] is None:
        return None, None, False
    best = con.execute(
        "select max(trains) from marts.fct_corridor_annual"
        " where service = ? and year < ? and is_complete",
        [CORRIDOR_SERVICE, year],
    ).fetchone()[0]
    return row["ytd_trains"], row["month_start"], best is not None and row["ytd_trains"] > best


def _chart_data(con: duckdb.DuckDBPyConnection, total: dict, year: int) -> ChartData:
    """Series up to the bulletin's period. Earlier years come from the annual tables; the
    bulletin's own year from its year-to-date figures, labelled as such."""
    end = total["period_end"]
    current = f"{year} Jan-{calendar.month_abbr[end.month]}" if end.month < 12 else str(year)
    monthly = _rows(
        con,
        "select period_start, months_in_period, value_cny, yoy_pct, is_record_high"
        " from marts.fct_trade_monthly where flow = 'total' and period_end <= ? order by period_start",
        [end],
    )
    bars = tuple(
        charts.MonthBar(r["period_start"], r["months_in_period"], float(r["value_cny"]) / 1e9,
                        bool(r["is_record_high"]))
        for r in monthly
    )
    growth_points = tuple(
        (axis_label(r["period_start"], r["months_in_period"]), r["yoy_pct"])
        for r in monthly
        if r["yoy_pct"] is not None
    )[-GROWTH_CHART_PERIODS:]

    annual = _rows(
        con,
        "select year, flow, value_cny from marts.fct_trade_annual where year < ? order by year",
        [year],
    )
    by_year: dict[int, dict[str, float]] = {}
    for r in annual:
        by_year.setdefault(r["year"], {})[r["flow"]] = float(r["value_cny"]) / 1e9
    flows = [(str(y), v.get("exports", 0.0), v.get("imports", 0.0)) for y, v in by_year.items()]
    ytd = _rows(
        con,
        "select flow, ytd_value_cny from marts.fct_trade_monthly where period_start = ?",
        [total["period_start"]],
    )
    ytd_by_flow = {r["flow"]: float(r["ytd_value_cny"]) / 1e9 for r in ytd}
    flows.append((current, ytd_by_flow.get("exports", 0.0), ytd_by_flow.get("imports", 0.0)))

    partner_rows = _rows(
        con,
        "select year, partner, value_cny from marts.fct_partner_trade_annual"
        " where flow = 'total' and year < ? and partner in (select unnest(?)) order by year",
        [year, list(MAIN_ECONOMIES)],
    )
    economies: dict[str, dict[str, float]] = {}
    for r in partner_rows:
        economies.setdefault(str(r["year"]), {})[r["partner"]] = float(r["value_cny"]) / 1e9
    for r in _rows(con, _PARTNER_SQL, [total["period_start"]]):
        if r["partner"] in MAIN_ECONOMIES:
            economies.setdefault(current, {})[r["partner"]] = float(r["ytd_value_cny"]) / 1e9

    # A complete year's record flag never changes; the current year's is computed for the period.
    corridor = [
        (str(y), trains, bool(record))
        for y, trains, record in con.execute(
            "select year, trains, is_record from marts.fct_corridor_annual"
            " where service = ? and year < ? and is_complete order by year",
            [CORRIDOR_SERVICE, year],
        ).fetchall()
    ]
    trains, _, is_record = _corridor(con, year, end)
    if trains is not None:
        corridor.append((current, trains, is_record))

    return ChartData(
        monthly=bars,
        growth=growth_points,
        flows=tuple(flows),
        economies=tuple(
            (label, tuple(values.get(p) for p in MAIN_ECONOMIES)) for label, values in economies.items()
        ),
        corridor=tuple(corridor),
    )
