"""A small synthetic warehouse with the BI contract's tables and realistic Chongqing
figures (2019-2021, November 2021 a record month), for the bulletin's wording tests: each
test alters a figure with SQL and reads what the bulletin says about it. The publication
tests build their warehouse with dbt instead (tests/test_publish.py)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import pandas as pd

from orchestration.periods import customs_period_bounds, customs_periods, month_end
from orchestration.publish.bi_contract import REQUIRED_COLUMNS

YI = Decimal(10**8)  # 亿元, the unit customs prints
# Single months and combined January-February periods (from 2020), in 亿元. They reproduce
# the published figures: 2020 = 6513.4, Jan-Nov 2021 = 7204.9, November 2021 = 769.5.
TOTALS = {
    2019: [430.0, 380.0, 470.0, 455.0, 480.0, 500.0, 490.0, 505.0, 510.0, 495.0, 520.0, 557.8],
    2020: [800.0, 450.0, 480.0, 463.0, 566.2, 642.2, 582.2, 630.3, 620.0, 662.2, 617.3],
    2021: [1150.0, 652.0, 657.1, 587.9, 719.0, 659.2, 651.6, 690.0, 668.6, 769.5],
}
EXPORT_SHARE = 0.643
EXPORTS_AT_YEAR_END = {2020: 4187.5, 2021: 4631.1}
USD_RATE = {2019: 6.90, 2020: 6.90, 2021: 6.38}
PUBLISHED_YTD_YOY_NOV_2021 = {"total": 24.0, "exports": 23.9, "imports": 24.1}
# Year-to-date values at the last period of each year, 亿元 (2021: January-November).
PARTNERS = {
    2020: {"ASEAN": 1121.7, "US": 1076.5, "EU": 1037.8, "TW": 520.0, "KR": 260.0},
    2021: {"ASEAN": 1142.3, "EU": 1122.2, "US": 1078.9, "TW": 540.0, "KR": 280.0},
}
MEMBER_SHARES = {"VN": 0.45, "MY": 0.21, "TH": 0.14, "SG": 0.11, "ID": 0.09}
PARTNER_ANNUAL = {  # complete years before the partner detail starts, 亿元
    2018: {"EU": 900.0, "ASEAN": 758.8, "US": 700.0},
    2019: {"ASEAN": 1086.7, "EU": 1000.0, "US": 950.0},
}
DIM_PARTNER = [
    # partner, kind, name_en, name_zh, customs_code, iso3, continent, groups
    ("WORLD", "world", "World", "总值", None, None, None, []),
    ("ASEAN", "group", "ASEAN", "东盟", None, None, "ASIA", []),
    ("EU", "group", "EU", "欧盟", None, None, "EUROPE", []),
    ("US", "country", "United States", "美国", "502", "USA", "NORTH_AMERICA", []),
    ("TW", "country", "Taiwan, China", "中国台湾", "143", "TWN", "ASIA", []),
    ("KR", "country", "South Korea", "韩国", "133", "KOR", "ASIA", []),
    ("VN", "country", "Vietnam", "越南", "141", "VNM", "ASIA", ["ASEAN"]),
    ("MY", "country", "Malaysia", "马来西亚", "122", "MYS", "ASIA", ["ASEAN"]),
    ("TH", "country", "Thailand", "泰国", "136", "THA", "ASIA", ["ASEAN"]),
    ("SG", "country", "Singapore", "新加坡", "132", "SGP", "ASIA", ["ASEAN"]),
    ("ID", "country", "Indonesia", "印度尼西亚", "112", "IDN", "ASIA", ["ASEAN"]),
    ("DE", "country", "Germany", "德国", "304", "DEU", "EUROPE", ["EU"]),
]
COMMODITIES = [  # (name_zh, name_en, unit, {flow: share of the flow}, overlapping aggregate)
    ("机电产品*", "mechanical and electrical products*", "-", {"exports": 0.85, "imports": 0.70}, True),
    ("笔记本电脑", "laptop computers", "台", {"exports": 0.40}, False),
    ("集成电路", "integrated circuits", "个", {"exports": 0.07, "imports": 0.35}, False),
    ("汽车", "automobiles", "辆", {"exports": 0.06}, False),
    ("摩托车", "motorcycles", "辆", {"exports": 0.05}, False),
    ("鲜柠檬", "fresh lemons", "千克", {"exports": 0.001}, False),
    ("金属矿及矿砂", "metal ores", "吨", {"imports": 0.10}, False),
    ("天然橡胶", "natural rubber", "吨", {"imports": 0.02}, False),
    ("大米", "rice", "吨", {"imports": 0.005}, False),
]
# ILSTC rail-sea trains per year; 2021 covers January-November (393 in the first quarter).
TRAINS = {2018: 605, 2019: 1130, 2020: 1650, 2021: 1950}

DDL = """
create schema marts;
create table marts.fct_trade_monthly (period_start date, period_end date, months_in_period integer,
  year integer, flow varchar, value_cny decimal(20,2), value_usd decimal(20,2),
  ytd_value_cny decimal(20,2), ytd_value_usd decimal(20,2), yoy_pct double, ytd_yoy_pct double,
  published_yoy_pct double, published_ytd_yoy_pct double, is_record_high boolean, vintage varchar,
  source_file_id varchar, source_sheet varchar, source_row integer);
create table marts.fct_trade_annual (year integer, flow varchar, value_cny decimal(20,2),
  value_usd decimal(20,2), yoy_pct double, is_complete boolean,
  source_file_id varchar, source_sheet varchar, source_row integer);
create table marts.fct_partner_trade (period_start date, period_end date, partner varchar,
  partner_kind varchar, partner_name_en varchar, partner_name_zh varchar, flow varchar,
  value_cny decimal(20,2), ytd_value_cny decimal(20,2), ytd_yoy_pct double, ytd_share_pct double,
  ytd_rank integer, source_file_id varchar, source_sheet varchar, source_row integer);
create table marts.fct_partner_trade_annual (year integer, partner varchar, partner_kind varchar,
  flow varchar, value_cny decimal(20,2), yoy_pct double, share_pct double, rank integer,
  is_complete boolean, source_file_id varchar, source_sheet varchar, source_row integer);
create table marts.fct_commodity_trade (period_start date, flow varchar, commodity_name_zh varchar,
  commodity_name_en varchar, unit varchar, quantity decimal(20,2), value_cny decimal(20,2),
  ytd_quantity decimal(20,2), ytd_value_cny decimal(20,2), is_overlapping_aggregate boolean,
  source_file_id varchar, source_sheet varchar, source_row integer);
create table marts.fct_corridor_monthly (month_start date, service varchar, trains integer,
  teu integer, cargo_value_cny decimal(20,2), ytd_trains integer, ytd_teu integer,
  source_file_id varchar);
create table marts.fct_corridor_annual (year integer, service varchar, trains integer, teu integer,
  is_complete boolean, is_record boolean, source_file_id varchar);
create table marts.dim_partner (partner varchar, partner_kind varchar, name_en varchar,
  name_zh varchar, customs_code varchar, iso3 varchar, continent varchar, groups varchar[]);
create table marts.dim_period (period_start date, period_end date, months_in_period integer,
  year integer, month integer, label_en varchar, label_zh varchar);
create table marts.dim_source_file (source_file_id varchar, file_name varchar, feed varchar,
  reference_month date, vintage date, loaded_at timestamptz, row_count bigint, status varchar);
"""


def build_warehouse(path: Path, vintage: str = "v1", scale: int = 1) -> Path:
    """Writes the synthetic warehouse; ``scale`` multiplies every trade value (exactly),
    ``vintage`` tags every fct_trade_monthly row, so two builds are told apart."""
    periods = _periods()
    monthly = _trade_monthly(periods, vintage, scale)
    frames = {
        "fct_trade_monthly": monthly,
        "fct_trade_annual": _trade_annual(monthly),
        "fct_partner_trade": _partner_trade(monthly),
        "fct_partner_trade_annual": _partner_annual(monthly),
        "fct_commodity_trade": _commodities(monthly),
        "fct_corridor_monthly": _corridor_monthly(),
        "fct_corridor_annual": _corridor_annual(),
        "dim_partner": pd.DataFrame(DIM_PARTNER, columns=list(REQUIRED_COLUMNS["dim_partner"])),
        "dim_period": pd.DataFrame(
            [
                (s, e, m, s.year, e.month, e.strftime("%B %Y"), f"{e.year}年{e.month}月")
                for s, e, m in periods
            ],
            columns=list(REQUIRED_COLUMNS["dim_period"]),
        ),
    }
    with duckdb.connect(str(path)) as con:
        con.execute(DDL)
        for table, frame in frames.items():
            con.register("frame", frame)
            con.execute(f"insert into marts.{table} by name select * from frame")
            con.unregister("frame")
    return path


def _periods() -> list[tuple[date, date, int]]:
    out = []
    for month in customs_periods(date(2019, 1, 1), date(2021, 11, 1)):
        start, end = customs_period_bounds(month)
        out.append((start, end, end.month - start.month + 1))
    return out


def _yuan(yi: float) -> Decimal:
    return Decimal(str(yi)) * YI


def _split(values: list[Decimal], share: float, year_end_target: Decimal | None) -> list[Decimal]:
    """A share of each value, rounded to 万元; the last absorbs the rounding so the year
    adds up to ``year_end_target`` when given."""
    parts = [(v * Decimal(str(share))).quantize(Decimal(10**4)) for v in values]
    if year_end_target is not None:
        parts[-1] += year_end_target - sum(parts)
    return parts


def _trade_monthly(periods, vintage: str, scale: int) -> pd.DataFrame:
    rows = []
    for year, totals in TOTALS.items():
        year_periods = [p for p in periods if p[0].year == year]
        total = [_yuan(v) * scale for v in totals]
        target = EXPORTS_AT_YEAR_END.get(year)
        exports = _split(total, EXPORT_SHARE, _yuan(target) * scale if target else None)
        imports = [t - e for t, e in zip(total, exports)]
        for flow, values in (("total", total), ("exports", exports), ("imports", imports)):
            ytd = Decimal(0)
            for (start, end, months), value in zip(year_periods, values):
                ytd += value
                rows.append(dict(period_start=start, period_end=end, months_in_period=months,
                                 year=year, flow=flow, value_cny=value, ytd_value_cny=ytd,
                                 value_usd=(value / Decimal(str(USD_RATE[year]))).quantize(Decimal("0.01")),
                                 ytd_value_usd=(ytd / Decimal(str(USD_RATE[year]))).quantize(Decimal("0.01")),
                                 vintage=vintage))
    frame = pd.DataFrame(rows)
    by_key = {(r["flow"], r["period_start"], r["months_in_period"]): r for r in rows}
    by_end = {(r["flow"], r["period_end"]): r for r in rows}
    best: dict[str, Decimal] = {}
    for r in rows:
        earlier = by_key.get((r["flow"], r["period_start"].replace(year=r["year"] - 1), r["months_in_period"]))
        r["yoy_pct"] = _pct(r["value_cny"], earlier["value_cny"]) if earlier else None
        earlier_end = month_end(r["period_end"].replace(year=r["year"] - 1, day=1))
        earlier_ytd = by_end.get((r["flow"], earlier_end))
        r["ytd_yoy_pct"] = _pct(r["ytd_value_cny"], earlier_ytd["ytd_value_cny"]) if earlier_ytd else None
        r["published_yoy_pct"] = None if r["yoy_pct"] is None else round(r["yoy_pct"], 1)
        r["published_ytd_yoy_pct"] = None if r["ytd_yoy_pct"] is None else round(r["ytd_yoy_pct"], 1)
        if r["period_start"] == date(2021, 11, 1):
            r["published_ytd_yoy_pct"] = PUBLISHED_YTD_YOY_NOV_2021[r["flow"]]
        single = r["months_in_period"] == 1
        r["is_record_high"] = single and r["value_cny"] > best.get(r["flow"], Decimal(0))
        if single:
            best[r["flow"]] = max(best.get(r["flow"], Decimal(0)), r["value_cny"])
    frame = pd.DataFrame(rows)
    return frame


def _pct(value: Decimal, earlier: Decimal) -> float:
    return float((value / earlier - 1) * 100)


def _trade_annual(monthly: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for (year, flow), group in monthly.groupby(["year", "flow"]):
        rows.append(dict(year=year, flow=flow, value_cny=sum(group["value_cny"]),
                         value_usd=sum(group["value_usd"]), is_complete=year < 2021))
    for r in rows:
        earlier = next((e for e in rows if e["year"] == r["year"] - 1 and e["flow"] == r["flow"]), None)
        r["yoy_pct"] = _pct(r["value_cny"], earlier["value_cny"]) if earlier else None
    return pd.DataFrame(rows)


def _partner_trade(monthly: pd.DataFrame) -> pd.DataFrame:
    names = {p[0]: p for p in DIM_PARTNER}
    rows = []
    total = monthly[monthly["flow"] == "total"]
    for year, targets in PARTNERS.items():
        periods = total[total["year"] == year].sort_values("period_start")
        values = list(periods["value_cny"])
        world_ytd = sum(values)
        series = {"WORLD": values}
        for partner, target in targets.items():
            series[partner] = _split(values, float(_yuan(target) / world_ytd), _yuan(target))
        for member, share in MEMBER_SHARES.items():
            series[member] = _split(series["ASEAN"], share, None)
        series["DE"] = _split(series["EU"], 0.3, None)
        for partner, partner_values in series.items():
            ytd = Decimal(0)
            for (_, period), value in zip(periods.iterrows(), partner_values):
                ytd += value
                _, kind, name_en, name_zh, *_ = names[partner]
                rows.append(dict(period_start=period["period_start"], period_end=period["period_end"],
                                 partner=partner, partner_kind=kind, partner_name_en=name_en,
                                 partner_name_zh=name_zh, flow="total", value_cny=value,
                                 ytd_value_cny=ytd))
    frame = pd.DataFrame(rows)
    world = frame[frame["partner"] == "WORLD"].set_index("period_start")["ytd_value_cny"]
    frame["ytd_share_pct"] = [float(v / world[s] * 100) for s, v in zip(frame["period_start"], frame["ytd_value_cny"])]
    by_end = {(r.partner, r.period_end): r.ytd_value_cny for r in frame.itertuples()}
    frame["ytd_yoy_pct"] = [
        _pct(r.ytd_value_cny, by_end[(r.partner, month_end(r.period_end.replace(year=r.period_end.year - 1, day=1)))])
        if (r.partner, month_end(r.period_end.replace(year=r.period_end.year - 1, day=1))) in by_end else None
        for r in frame.itertuples()
    ]
    ranked = frame["partner"].isin(list(PARTNERS[2021]))
    frame["ytd_rank"] = None
    frame.loc[ranked, "ytd_rank"] = (
        frame[ranked].groupby("period_start")["ytd_value_cny"].rank(ascending=False, method="min").astype(int)
    )
    return frame


def _partner_annual(monthly: pd.DataFrame) -> pd.DataFrame:
    world = monthly[monthly["flow"] == "total"].groupby("year")["value_cny"].sum()
    world[2018] = _yuan(5222.6)
    values = {year: {p: _yuan(v) for p, v in partners.items()} for year, partners in PARTNER_ANNUAL.items()}
    values.update({year: {p: _yuan(v) for p, v in partners.items()} for year, partners in PARTNERS.items()})
    rows = []
    for year, partners in sorted(values.items()):
        ranked = sorted(partners, key=partners.get, reverse=True)
        for partner, value in partners.items():
            earlier = values.get(year - 1, {}).get(partner)
            rows.append(dict(year=year, partner=partner, partner_kind="country" if len(partner) == 2 else "group",
                             flow="total", value_cny=value, yoy_pct=_pct(value, earlier) if earlier else None,
                             share_pct=float(value / world[year] * 100), rank=ranked.index(partner) + 1,
                             is_complete=year < 2021))
    return pd.DataFrame(rows)


def _commodities(monthly: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for flow in ("exports", "imports"):
        flow_rows = monthly[(monthly["flow"] == flow) & (monthly["year"] >= 2020)].sort_values("period_start")
        for name_zh, name_en, unit, shares, overlapping in COMMODITIES:
            if flow not in shares:
                continue
            share = shares[flow]
            ytd, ytd_qty, year = Decimal(0), Decimal(0), None
            for r in flow_rows.itertuples():
                if r.year != year:
                    ytd, ytd_qty, year = Decimal(0), Decimal(0), r.year
                value = (r.value_cny * Decimal(str(share))).quantize(Decimal(10**4))
                quantity = None if unit == "-" else (value / 1000).quantize(Decimal(1))
                ytd += value
                ytd_qty = None if quantity is None else ytd_qty + quantity
                rows.append(dict(period_start=r.period_start, flow=flow, commodity_name_zh=name_zh,
                                 commodity_name_en=name_en, unit=unit, quantity=quantity, value_cny=value,
                                 ytd_quantity=ytd_qty, ytd_value_cny=ytd, is_overlapping_aggregate=overlapping))
    return pd.DataFrame(rows)


def _trains_by_month(year: int) -> list[int]:
    if year == 2021:  # 393 in the first quarter, then even months to November
        return [120, 120, 153] + [194] * 7 + [1950 - 393 - 194 * 7]
    per_month = TRAINS[year] // 12
    return [per_month] * 11 + [TRAINS[year] - per_month * 11]


def _corridor_monthly() -> pd.DataFrame:
    rows = []
    for year in TRAINS:
        ytd = 0
        for month, trains in enumerate(_trains_by_month(year), start=1):
            ytd += trains
            rows.append(dict(month_start=date(year, month, 1), service="ILSTC_RAIL_SEA", trains=trains,
                             teu=trains * 50, cargo_value_cny=Decimal(trains * 50 * 200_000),
                             ytd_trains=ytd, ytd_teu=ytd * 50))
    return pd.DataFrame(rows)


def _corridor_annual() -> pd.DataFrame:
    rows, best = [], 0
    for year, trains in TRAINS.items():
        rows.append(dict(year=year, service="ILSTC_RAIL_SEA", trains=trains, teu=trains * 50,
                         is_complete=year < 2021, is_record=trains > best))
        best = max(best, trains) if year < 2021 else best
    return pd.DataFrame(rows)
