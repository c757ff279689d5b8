"""The monthly trade bulletin, written from the published marts only.

``build_bulletin`` gathers the figures for one customs period and turns them into
sentences; each sentence is stated only when its fact holds in the data (a record, a
lead over last year, a run of years as largest partner). The figures stay on the
Bulletin so they can be checked against the marts. ``render_markdown`` and
``render_html`` only lay it out."""

from __future__ import annotations

import calendar
from dataclasses import dataclass, replace
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from html import escape
from pathlib import Path

import duckdb

from orchestration.publish import charts

CORRIDOR_SERVICE = "ILSTC_RAIL_SEA"
# The economies a Chongqing bulletin compares: the largest partner is shown beside the others.
MAIN_ECONOMIES = ("ASEAN", "EU", "US")
LEADING = 3
GROWTH_CHART_PERIODS = 24
_ORDINALS = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth")


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
    sentences: tuple[str, ...]
    charts: ChartData

    @property
    def year_complete(self) -> bool:
        return self.period_end.month == 12


def build_bulletin(con: duckdb.DuckDBPyConnection, period: str | None = None) -> Bulletin:
    """The bulletin for ``period`` ('YYYY-MM', the customs reference month), by default
    the latest period in marts.fct_trade_monthly. ``con`` reads the published marts."""
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
        label=_period_label(start, end),
        ytd_label=_year_to_date_label(end),
        value_cny=total["value_cny"],
        value_usd=total["value_usd"],
        yoy_pct=_prefer(total["published_yoy_pct"], total["yoy_pct"]),
        is_record_high=bool(total["is_record_high"]) and total["months_in_period"] == 1,
        ytd_value_cny=total["ytd_value_cny"],
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
        charts=_chart_data(con, total, year),
    )
    draft = Bulletin(sentences=(), **figures)
    return replace(draft, sentences=_sentences(draft))


def write_bulletin(
    con: duckdb.DuckDBPyConnection, out_dir: Path, period: str | None = None
) -> tuple[Path, Path]:
    """Writes bulletin-YYYY-MM.md and .html into ``out_dir``; returns both paths."""
    bulletin = build_bulletin(con, period)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = f"bulletin-{bulletin.period_end:%Y-%m}"
    md_path, html_path = out_dir / f"{stem}.md", out_dir / f"{stem}.html"
    _write_atomically(md_path, render_markdown(bulletin))
    _write_atomically(html_path, render_html(bulletin))
    return md_path, html_path


def _write_atomically(path: Path, text: str) -> None:
    # A page being served is never seen half-written.
    staged = path.with_name(f".{path.name}.staging")
    staged.write_text(text, encoding="utf-8")
    staged.replace(path)


# ---- formatting: the published rounding ------------------------------------------------


def billions(cny: Decimal | float) -> str:
    """Yuan as billions with two decimals, rounded half up as customs does: '76.95'."""
    value = (Decimal(str(cny)) / Decimal(10**9)).quantize(Decimal("0.01"), ROUND_HALF_UP)
    return f"{value:,}"


def percent(pct: float) -> str:
    """A growth rate with one decimal, rounded half up: '16.2'."""
    return str(Decimal(str(pct)).quantize(Decimal("0.1"), ROUND_HALF_UP))


def growth(pct: float | None) -> str:
    """'up 16.2%'; empty where there is no figure a year earlier (the clause is dropped)."""
    if pct is None:
        return ""
    rounded = Decimal(percent(pct))
    if rounded == 0:
        return "unchanged"
    return f"{'up' if rounded > 0 else 'down'} {abs(rounded)}%"


def signed(pct: float | None) -> str:
    if pct is None:
        return "n/a"
    return f"{'+' if Decimal(percent(pct)) >= 0 else ''}{percent(pct)}%"


def approximately(count: int) -> str:
    """Desk style for counts: 1,950 'approached 2,000' (round down to the hundred)."""
    if count < 100:
        return f"numbered {count}"
    hundreds = count // 100 * 100
    return f"reached {count:,}" if count == hundreds else f"approached {hundreds + 100:,}"


def ordinal(n: int) -> str:
    return _ORDINALS[n - 1] if n <= len(_ORDINALS) else f"{n}th"


# ---- sentences ----------------------------------------------------------------------------


def _clauses(*parts: str) -> str:
    return ", ".join(p for p in parts if p)


def _sentences(b: Bulletin) -> tuple[str, ...]:
    out = [_headline(b)]
    if b.months_in_period < b.period_end.month:  # not the first period of the year
        lead = ""
        if b.ytd_lead_over_previous_year_cny is not None:
            amount = billions(b.ytd_lead_over_previous_year_cny)
            lead = (
                f"{amount} billion more than in {b.previous_year}"
                if b.year_complete
                else f"already {amount} billion more than the whole of {b.previous_year}"
            )
        total = f"{billions(b.ytd_value_cny)} billion yuan"
        out.append(f"{b.ytd_label}: {_clauses(total, growth(b.ytd_yoy_pct), lead)}.")
    out.append(
        f"Exports {billions(b.exports_ytd_cny)} billion{_in_brackets(b.exports_ytd_yoy_pct)},"
        f" imports {billions(b.imports_ytd_cny)} billion{_in_brackets(b.imports_ytd_yoy_pct)}."
    )
    if b.top_partner:
        out.append(_partner_sentence(b))
    if b.top_partner_members:
        first, *rest = b.top_partner_members
        following = " and ".join(f"{m.name} ({billions(m.ytd_value_cny)} billion)" for m in rest)
        out.append(
            f"Among its members, {first.name} led with {billions(first.ytd_value_cny)} billion yuan"
            + (f", followed by {following}." if rest else ".")
        )
    if b.peers:
        beside = " and ".join(
            f"{_with_article(p.name)} with {billions(p.ytd_value_cny)} billion yuan"
            f" ({_clauses(_share(p.ytd_share_pct), growth(p.ytd_yoy_pct))})"
            for p in b.peers
        )
        out.append(f"Beside it stood {beside}.")
    if b.top_exports or b.top_imports:
        out.append(_commodity_sentence(b))
    if b.corridor_trains_ytd is not None:
        out.append(_corridor_sentence(b))
    return tuple(out)


def _in_brackets(pct: float | None) -> str:
    return "" if pct is None else f" ({signed(pct)})"


def _headline(b: Bulletin) -> str:
    amount = f"{billions(b.value_cny)} billion yuan"
    change = f"{growth(b.yoy_pct)} year on year" if b.yoy_pct is not None else ""
    if b.is_record_high:
        return (
            f"Chongqing's foreign trade hit a monthly record high in {b.label}:"
            f" {_clauses(amount, change)}."
        )
    return f"Chongqing's foreign trade reached {_clauses(f'{amount} in {b.label}', change)}."


def _partner_sentence(b: Bulletin) -> str:
    top = b.top_partner
    name = _with_article(top.name)
    sentence = f"{name[0].upper()}{name[1:]} was the largest trading partner: " + _clauses(
        f"{billions(top.ytd_value_cny)} billion yuan", growth(top.ytd_yoy_pct), _share(top.ytd_share_pct)
    )
    years = b.top_partner_years
    if len(years) >= 2:
        listed = ", ".join(map(str, years[:-1])) + f" and {years[-1]}"
        so_far = "" if b.year_complete else " so far"
        sentence += f"; the largest partner for the {ordinal(len(years))} year running ({listed}{so_far})"
    return sentence + "."


def _commodity_sentence(b: Bulletin) -> str:
    def listing(items: tuple[Commodity, ...]) -> str:
        named = [
            f"{c.name} ({billions(c.ytd_value_cny)} billion{' yuan' if i == 0 else ''})"
            for i, c in enumerate(items)
        ]
        return ", ".join(named[:-1]) + f" and {named[-1]}" if len(named) > 1 else named[0]

    parts = []
    if b.top_exports:
        parts.append(f"leading exports were {listing(b.top_exports)}")
    if b.top_imports:
        parts.append(f"leading imports were {listing(b.top_imports)}")
    return f"In {b.ytd_label}, {'; '.join(parts)}."


def _corridor_sentence(b: Bulletin) -> str:
    month = b.corridor_month
    complete = month.month == 12
    record = ""
    if b.corridor_is_record:
        record = ", more than in any earlier year" if complete else ", already more than in any earlier full year"
    return (
        "On the New International Land-Sea Trade Corridor, rail-sea trains from Chongqing"
        f" {approximately(b.corridor_trains_ytd)} in {_year_to_date_label(month)}"
        f" ({b.corridor_trains_ytd:,}){record}."
    )


def _share(pct: float | None) -> str:
    return "" if pct is None else f"{percent(pct)}% of the total"


def _with_article(name: str) -> str:
    # English wants "the" before these names; partner names come without it.
    needs_the = name.startswith(("United ", "European ", "Republic ")) or name in (
        "Netherlands", "Philippines", "EU", "US",
    )
    return f"the {name}" if needs_the else name


def _year_to_date_label(end: date) -> str:
    """'January-November 2021'; a whole year is just '2021'."""
    return str(end.year) if end.month == 12 else _period_label(date(end.year, 1, 1), end)


def _short_label(start: date, months: int) -> str:
    """Axis label: 'Nov 21', 'Jan-Feb 21'."""
    return f"{start:%b}{'-Feb' if months == 2 else ''} {start:%y}"


def _period_label(start: date, end: date) -> str:
    if start.month == end.month:
        return f"{calendar.month_name[end.month]} {end.year}"
    return f"{calendar.month_name[start.month]}-{calendar.month_name[end.month]} {end.year}"


# ---- queries -------------------------------------------------------------------------------


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


# ---- chart data ------------------------------------------------------------------------------


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
        (_short_label(r["period_start"], r["months_in_period"]), r["yoy_pct"])
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


# ---- rendering -------------------------------------------------------------------------------


def _title(b: Bulletin) -> str:
    return f"Chongqing foreign trade, {b.label}"


def _key_figures(b: Bulletin) -> list[tuple[str, str, str]]:
    """(measure, billion yuan, year on year) rows of the key-figure table."""
    return [
        (b.label, billions(b.value_cny), signed(b.yoy_pct)),
        (b.ytd_label, billions(b.ytd_value_cny), signed(b.ytd_yoy_pct)),
        (f"Exports, {b.ytd_label}", billions(b.exports_ytd_cny), signed(b.exports_ytd_yoy_pct)),
        (f"Imports, {b.ytd_label}", billions(b.imports_ytd_cny), signed(b.imports_ytd_yoy_pct)),
    ] + [
        (f"{p.name}, {b.ytd_label}", billions(p.ytd_value_cny), signed(p.ytd_yoy_pct))
        for p in ((b.top_partner,) if b.top_partner else ()) + b.peers
    ]


def render_markdown(b: Bulletin) -> str:
    lines = [f"# {_title(b)}", "", "\n\n".join(b.sentences), "", "## Key figures", ""]
    lines += ["| | billion yuan | year on year |", "|---|---:|---:|"]
    lines += [f"| {m} | {v} | {g} |" for m, v, g in _key_figures(b)]
    lines += ["", "Source: Chongqing Customs, published marts; growth as printed by customs where available."]
    return "\n".join(lines) + "\n"


def _svgs(b: Bulletin) -> list[str]:
    c = b.charts
    economies_series = [
        charts.Series(code, tuple(values[i] for _, values in c.economies), charts.PALETTE[i])
        for i, code in enumerate(MAIN_ECONOMIES)
    ]
    return [
        charts.monthly_chart("Monthly total trade", list(c.monthly), "bn yuan"),
        charts.bar_chart(
            "Year-on-year growth, total trade",
            [label for label, _ in c.growth],
            [charts.Series("growth", tuple(v for _, v in c.growth), charts.PALETTE[0])],
            "%",
        ),
        charts.bar_chart(
            "Exports and imports by year",
            [label for label, _, _ in c.flows],
            [
                charts.Series("exports", tuple(e for _, e, _ in c.flows), charts.PALETTE[0]),
                charts.Series("imports", tuple(i for _, _, i in c.flows), charts.PALETTE[1]),
            ],
            "bn yuan",
        ),
        charts.bar_chart(
            "ASEAN, EU and US by year", [label for label, _ in c.economies], economies_series, "bn yuan"
        ),
        charts.bar_chart(
            "ILSTC rail-sea trains by year",
            [label for label, _, _ in c.corridor],
            [charts.Series("trains", tuple(float(t) for _, t, _ in c.corridor), charts.PALETTE[2])],
            "trains",
            highlighted=frozenset(i for i, (_, _, record) in enumerate(c.corridor) if record),
            highlight_note="record year",
        ),
    ]


_CSS = """
body { font-family: Georgia, 'Times New Roman', serif; max-width: 760px; margin: 2em auto;
       padding: 0 1em; color: #222; line-height: 1.5; }
h1 { font-size: 1.6em; border-bottom: 3px solid #1f5f99; padding-bottom: .2em; }
p.lead { font-size: 1.1em; }
table { border-collapse: collapse; margin: 1em 0; width: 100%; }
th, td { border-bottom: 1px solid #ddd; padding: .3em .5em; text-align: right; }
th:first-child, td:first-child { text-align: left; }
figure { margin: 1.5em 0; }
footer { color: #777; font-size: .85em; margin-top: 2em; }
"""


def render_html(b: Bulletin) -> str:
    """One self-contained page: inline CSS and SVG, no scripts or external assets."""
    first, *rest = b.sentences
    rows = "".join(
        f"<tr><td>{escape(m)}</td><td>{escape(v)}</td><td>{escape(g)}</td></tr>"
        for m, v, g in _key_figures(b)
    )
    figures = "".join(f"<figure>{svg}</figure>" for svg in _svgs(b))
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>{escape(_title(b))}</title><style>{_CSS}</style></head><body>"
        f"<h1>{escape(_title(b))}</h1>"
        f"<p class=\"lead\">{escape(first)}</p>"
        + "".join(f"<p>{escape(s)}</p>" for s in rest)
        + "<h2>Key figures</h2><table><tr><th></th><th>billion yuan</th><th>year on year</th></tr>"
        f"{rows}</table>{figures}"
        "<footer>Source: Chongqing Customs, published marts; growth as printed by customs where"
        " available.</footer></body></html>\n"
    )
