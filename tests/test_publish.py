"""Publication of the marts for BI readers: copy, verify, atomic swap, rollback on failure,
and readers in other processes that never see a lock or a half-finished state.

``build_warehouse`` makes a small synthetic warehouse with the BI contract's tables and
realistic Chongqing figures (2019-2021, November 2021 a record month); the bulletin tests
use it too."""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from orchestration.periods import customs_period_bounds, customs_periods, month_end
from orchestration.publish import publication, verification
from orchestration.publish.bi_contract import REQUIRED_COLUMNS
from orchestration.publish.publication import (
    PublicationError,
    current_parquet_dir,
    open_published,
    publish,
)

# ---- synthetic warehouse ---------------------------------------------------------------------

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
COMMODITIES = {  # flow -> (name_zh, name_en, unit, share of the flow, overlapping aggregate)
    "exports": [
        ("机电产品*", "mechanical and electrical products*", "-", 0.85, True),
        ("笔记本电脑", "laptop computers", "台", 0.40, False),
        ("集成电路", "integrated circuits", "个", 0.07, False),
        ("汽车", "automobiles", "辆", 0.06, False),
        ("摩托车", "motorcycles", "辆", 0.05, False),
        ("鲜柠檬", "fresh lemons", "千克", 0.001, False),
    ],
    "imports": [
        ("机电产品*", "mechanical and electrical products*", "-", 0.70, True),
        ("集成电路", "integrated circuits", "个", 0.35, False),
        ("金属矿及矿砂", "metal ores", "吨", 0.10, False),
        ("天然橡胶", "natural rubber", "吨", 0.02, False),
        ("大米", "rice", "吨", 0.005, False),
    ],
}
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
    for flow, items in COMMODITIES.items():
        flow_rows = monthly[(monthly["flow"] == flow) & (monthly["year"] >= 2020)].sort_values("period_start")
        for name_zh, name_en, unit, share, overlapping in items:
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


# ---- helpers -------------------------------------------------------------------------------


def query(sql: str) -> list[tuple]:
    """Runs ``sql`` on a throwaway in-memory connection (to read Parquet files)."""
    with duckdb.connect() as con:
        return con.execute(sql).fetchall()


def sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def snapshot(published: Path) -> dict[str, str]:
    """Checksums of everything a reader can see, through the symlink as readers do."""
    files = {"trade.duckdb": published / "trade.duckdb", "publication.json": published / "publication.json"}
    files.update({f"parquet/{p.name}": p for p in (published / "parquet").glob("*.parquet")})
    return {name: sha256(path) for name, path in sorted(files.items())}


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    return build_warehouse(tmp_path / "warehouse.duckdb")


# ---- tests ---------------------------------------------------------------------------------


def test_publish_then_read(warehouse: Path, tmp_path: Path) -> None:
    published = tmp_path / "published"
    result = publish(warehouse, published)

    assert result.path == published / "trade.duckdb"
    assert set(REQUIRED_COLUMNS) <= set(result.row_counts)
    with duckdb.connect(str(warehouse), read_only=True) as source, open_published(published) as con:
        for table, rows in result.row_counts.items():
            assert con.execute(f"select count(*) from marts.{table}").fetchone()[0] == rows
            if table != "publication":  # written by the publisher, not copied
                assert source.execute(f"select count(*) from marts.{table}").fetchone()[0] == rows
        published_at, latest, status, reason = con.execute(
            "select published_at, latest_period_start, status, stale_reason from marts.publication"
        ).fetchone()
        assert (latest, status, reason) == (date(2021, 11, 1), "fresh", None)
        assert published_at.tzinfo is not None
        # Types survive the copy: money stays DECIMAL(20,2).
        assert con.execute(
            "select data_type from information_schema.columns"
            " where table_name = 'fct_trade_monthly' and column_name = 'value_cny'"
        ).fetchone()[0] == "DECIMAL(20,2)"
        assert con.execute(
            "select value_cny from marts.fct_trade_monthly where period_start = '2021-11-01' and flow = 'total'"
        ).fetchone()[0] == Decimal("76950000000.00")
        with pytest.raises(duckdb.Error):  # readers cannot write
            con.execute("create table marts.x (a int)")

    manifest = json.loads((published / "publication.json").read_text())
    assert manifest["publication_id"] == result.publication_id
    assert manifest["database"]["sha256"] == sha256(published / "trade.duckdb")
    assert (published / "parquet").resolve() == result.parquet_dir.resolve()
    for table, entry in manifest["tables"].items():
        parquet = published / "parquet" / f"{table}.parquet"
        assert entry["rows"] == result.row_counts[table]
        assert entry["sha256"] == sha256(parquet)
        assert query(f"select count(*) from read_parquet('{parquet}')") == [(entry["rows"],)]
        assert parquet.stat().st_mode & 0o777 == 0o444
    assert (published / "trade.duckdb").stat().st_mode & 0o777 == 0o444
    assert not [p for p in published.iterdir() if ".staging" in p.name]


def test_publish_from_an_open_connection(warehouse: Path, tmp_path: Path) -> None:
    # The caller may already hold the warehouse (e.g. as its writer); publish uses that connection.
    with duckdb.connect(str(warehouse)) as con:
        result = publish(con, tmp_path / "published", tables=list(REQUIRED_COLUMNS))
        assert con.execute("select count(*) from duckdb_databases() where database_name = 'publication_target'").fetchone()[0] == 0
    assert set(result.row_counts) == set(REQUIRED_COLUMNS)


def test_parquet_set_switches_as_a_whole_and_old_versions_are_pruned(tmp_path: Path) -> None:
    published = tmp_path / "published"
    results = []
    for i in range(5):
        source = build_warehouse(tmp_path / f"w{i}.duckdb", vintage=f"v{i}", scale=i + 1)
        results.append(publish(source, published))
        manifest = json.loads((published / "publication.json").read_text())
        current = (published / "parquet").resolve()
        assert current.name == results[-1].publication_id == manifest["publication_id"]
        # Every file in the visible set belongs to the same publication.
        for table, entry in manifest["tables"].items():
            assert sha256(published / "parquet" / f"{table}.parquet") == entry["sha256"]
        vintages = query(
            f"select distinct vintage from read_parquet('{published}/parquet/fct_trade_monthly.parquet')"
        )
        assert vintages == [(f"v{i}",)]
        assert os.readlink(published / "parquet") == f"parquet-versions/{results[-1].publication_id}"

    kept = sorted(p.name for p in (published / "parquet-versions").iterdir())
    assert kept == [r.publication_id for r in results[-publication.KEEP_PARQUET_VERSIONS:]]


def test_failed_verification_leaves_previous_publication_served(
    warehouse: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    published = tmp_path / "published"
    first = publish(warehouse, published)
    before = snapshot(published)

    monkeypatch.setattr(verification, "problems", lambda con, rows: ["injected failure"])
    with pytest.raises(PublicationError, match="injected failure"):
        publish(build_warehouse(tmp_path / "w2.duckdb", vintage="v2", scale=2), published)

    assert snapshot(published) == before
    assert (published / "parquet").resolve().name == first.publication_id
    assert sorted(p.name for p in (published / "parquet-versions").iterdir()) == [first.publication_id]
    assert not [p for p in published.iterdir() if ".staging" in p.name]
    with open_published(published) as con:
        assert con.execute("select distinct vintage from marts.fct_trade_monthly").fetchall() == [("v1",)]


def test_failure_half_way_through_parquet_leaves_previous_publication(
    warehouse: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    published = tmp_path / "published"
    publish(warehouse, published)
    before = snapshot(published)
    real_sha = publication._sha256
    calls = []

    def failing_sha(path: Path) -> str:  # fails after a few Parquet files were written
        calls.append(path)
        if len(calls) == 3:
            raise OSError("disk full")
        return real_sha(path)

    monkeypatch.setattr(publication, "_sha256", failing_sha)
    with pytest.raises(PublicationError, match="disk full"):
        publish(build_warehouse(tmp_path / "w2.duckdb", vintage="v2"), published)
    assert snapshot(published) == before
    assert len(list((published / "parquet-versions").iterdir())) == 1
    assert not [p for p in published.iterdir() if ".staging" in p.name]


def test_missing_table_is_refused(tmp_path: Path) -> None:
    published = tmp_path / "published"
    publish(build_warehouse(tmp_path / "good.duckdb"), published)
    before = snapshot(published)
    broken = build_warehouse(tmp_path / "broken.duckdb", vintage="v2")
    with duckdb.connect(str(broken)) as con:
        con.execute("drop table marts.fct_corridor_annual")
        con.execute("alter table marts.fct_partner_trade drop column ytd_rank")
    with pytest.raises(PublicationError) as raised:
        publish(broken, published)
    assert "fct_corridor_annual is missing" in str(raised.value)
    assert "fct_partner_trade lacks columns ytd_rank" in str(raised.value)
    assert snapshot(published) == before


def test_invariants_are_checked(tmp_path: Path) -> None:
    broken = build_warehouse(tmp_path / "broken.duckdb")
    with duckdb.connect(str(broken)) as con:
        con.execute(  # 0.3 亿元 off: beyond rounding
            "update marts.fct_trade_monthly set value_cny = value_cny + 30000000"
            " where flow = 'exports' and period_start = '2021-08-01'"
        )
        con.execute("insert into marts.dim_partner select * from marts.dim_partner where partner = 'VN'")
        found = verification.problems(con, {})
    # The warehouse has no publication table: the publisher writes it into the copy.
    assert "marts.publication is missing" in found
    found.remove("marts.publication is missing")
    assert any("2021-08-01" in p and "exports + imports" in p for p in found)
    assert any("dim_partner: 1 duplicated keys" in p for p in found)
    assert len(found) == 2


def test_row_count_mismatch_is_refused(warehouse: Path) -> None:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert verification.problems(con, {"dim_partner": len(DIM_PARTNER)}) == [
            "marts.publication is missing"
        ]
        assert verification.problems(con, {"dim_partner": 1}) == [
            "marts.publication is missing",
            f"marts.dim_partner has {len(DIM_PARTNER)} rows, the source has 1",
        ]


def test_missing_warehouse_raises_publication_error(tmp_path: Path) -> None:
    with pytest.raises(PublicationError, match="warehouse not found"):
        publish(tmp_path / "nope.duckdb", tmp_path / "published")
    with pytest.raises(FileNotFoundError):
        open_published(tmp_path / "published")


# ---- readers in other processes while publications run ---------------------------------------

CONSISTENCY_SQL = """
select (select count(distinct vintage) from marts.fct_trade_monthly) as vintages,
       max(abs(t.value_cny - e.value_cny - i.value_cny)) as worst_gap,
       count(*) as periods,
       min(t.vintage) as vintage
from marts.fct_trade_monthly t
join marts.fct_trade_monthly e on e.period_start = t.period_start and e.flow = 'exports'
join marts.fct_trade_monthly i on i.period_start = t.period_start and i.flow = 'imports'
where t.flow = 'total'
"""


def reader(published_dir: str, stop, results) -> None:
    """Runs in a spawned process: a long-lived connection (a snapshot) and fresh
    connections, each read checked for a lock error or a mixed state."""
    published = Path(published_dir)
    errors, reads, seen = [], 0, set()
    try:
        held = open_published(published)
        held_vintage = held.execute("select min(vintage) from marts.fct_trade_monthly").fetchone()[0]
        results.put("ready")
        while not stop.is_set():
            for con in (held, open_published(published)):
                vintages, gap, periods, vintage = con.execute(CONSISTENCY_SQL).fetchone()
                if vintages != 1 or gap > 20_000_000 or periods != 33:
                    errors.append(f"inconsistent read: {vintages} vintages, gap {gap}, {periods} periods")
                if con is held and vintage != held_vintage:
                    errors.append("a held connection saw a new publication")
                if con is not held:
                    seen.add(vintage)
                    con.close()
                reads += 1
            parquet = current_parquet_dir(published) / "fct_trade_monthly.parquet"
            if query(f"select count(distinct vintage) from read_parquet('{parquet}')") != [(1,)]:
                errors.append("mixed parquet file")
        held.close()
    except Exception as exc:  # any error (a lock above all) fails the test
        errors.append(f"{type(exc).__name__}: {exc}")
    results.put((reads, errors, seen))


def test_readers_in_other_processes_never_block_or_see_half_a_publication(tmp_path: Path) -> None:
    published = tmp_path / "published"
    sources = [build_warehouse(tmp_path / f"w{i}.duckdb", vintage=f"v{i}", scale=i + 1) for i in range(2)]
    publish(sources[0], published)

    context = multiprocessing.get_context("spawn")
    stop, results = context.Event(), context.Queue()
    readers = [context.Process(target=reader, args=(str(published), stop, results)) for _ in range(3)]
    for process in readers:
        process.start()
    assert [results.get(timeout=60) for _ in readers] == ["ready"] * len(readers)
    publications = 0
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline or publications < 4:
        publish(sources[publications % 2], published)
        publications += 1
    stop.set()
    outcomes = [results.get(timeout=30) for _ in readers]
    for process in readers:
        process.join(timeout=30)

    for reads, errors, seen in outcomes:
        assert errors == []
        assert reads >= 4
        assert seen == {"v0", "v1"}  # new connections did get the new publications


def test_a_real_parquet_directory_is_refused_before_anything_is_swapped(warehouse: Path, tmp_path: Path) -> None:
    published = tmp_path / "published"
    (published / "parquet").mkdir(parents=True)
    with pytest.raises(PublicationError, match="is not a symlink"):
        publish(warehouse, published)
    assert not (published / "trade.duckdb").exists()
