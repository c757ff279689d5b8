"""The sample data reproduces the published figures and follows the landing contract.

The files are read here with openpyxl and csv directly (not with the project's parsers),
so these tests check the generator, not the readers. Expected values are copied from the
published-figures list (ids A01.., S01..; see docs/sample-data.md).
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from pathlib import Path

import pytest
from openpyxl import load_workbook

from tools.sample_data import generate

SHEETS = ["总值表", "国别地区", "主要出口商品", "主要进口商品", "贸易方式"]
DETAIL_HEADER = ("数据年月,商品编码,商品名称,贸易伙伴编码,贸易伙伴名称,贸易方式编码,贸易方式名称,"
                 "注册地编码,注册地名称,第一数量,第一计量单位,第二数量,第二计量单位,人民币,美元")
TRAINS_HEADER = "train_id,service,departure_at,origin,destination,direction,wagons,teu,cargo_value_cny,cargo"
CONTINENTS = ["亚洲", "非洲", "欧洲", "拉丁美洲", "北美洲", "大洋洲"]


def r1(value) -> float:
    return float(Decimal(str(value)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def pct(current: int, prior: int) -> float:
    return r1((Decimal(current) / Decimal(prior) - 1) * 100)


@pytest.fixture(scope="module")
def landing(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("landing")
    generate(out, detail_rows=200)
    return out


# -- a minimal reader ------------------------------------------------------------------
@lru_cache(maxsize=None)
def workbook(path: Path) -> dict[str, list[tuple]]:
    wb = load_workbook(path, read_only=True)
    sheets = {ws.title: [tuple(row) for row in ws.iter_rows(values_only=True)] for ws in wb.worksheets}
    wb.close()
    return sheets


def bulletins(landing: Path, period: str) -> list[Path]:
    """Bulletin files of a period, oldest vintage first."""
    return sorted((landing / "customs_bulletin").glob(f"cq_bulletin_{period}_*.xlsx"))


def latest(landing: Path, period: str) -> dict[str, list[tuple]]:
    return workbook(bulletins(landing, period)[-1])


def data_rows(rows: list[tuple], header_rows: int) -> list[tuple]:
    out = []
    for row in rows[2 + header_rows:]:
        if row[0] is None:
            break
        out.append(row)
    return out


def totals(book) -> dict[tuple[str, str], tuple]:
    return {(row[0], row[1]): row[2:] for row in data_rows(book["总值表"], 1)}


def partner_rows(book) -> list[tuple[int, str, tuple]]:
    """(indent level, name, values) of the partner sheet."""
    out = []
    for row in data_rows(book["国别地区"], 2):
        name = row[0]
        level = len(name) - len(name.lstrip("\u3000"))
        out.append((level, name.strip("\u3000"), row[1:]))
    return out


def partner(book, name: str) -> tuple:
    matches = [values for _, n, values in partner_rows(book) if n == name]
    assert len(matches) == 1, name
    return matches[0]


def yi(wan: int) -> float:
    return r1(Decimal(wan) / 10000)


def trains(landing: Path) -> list[dict[str, str]]:
    rows = []
    for path in sorted((landing / "corridor_trains").glob("*.csv")):
        rows += list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    return rows


# -- priority 1 --------------------------------------------------------------------------
def test_november_2021_headline(landing):
    nov = latest(landing, "2021-11")
    t = totals(nov)
    assert t[("进出口", "人民币")][0] == 769.5  # A01
    assert t[("进出口", "美元")][0] == 12060.0  # A02
    assert t[("进出口", "人民币")][2] == 16.2  # A03, printed
    nov_2020 = partner(latest(landing, "2020-11"), "总值")[0]
    assert pct(partner(nov, "总值")[0], nov_2020) == 16.2  # A03, recomputed
    assert t[("进出口", "人民币")][1] == 7204.9  # A05
    assert r1(7204.9 - totals(latest(landing, "2020-12"))[("进出口", "人民币")][1]) == 691.5  # A06
    assert t[("进出口", "人民币")][3] == 24.0  # A07
    assert t[("出口", "人民币")][1] == 4631.1 and t[("出口", "人民币")][3] == 23.9  # A08, A09
    assert t[("进口", "人民币")][1] == 2573.8 and t[("进口", "人民币")][3] == 24.1  # A10, A11
    ytd, ytd_2020 = partner(nov, "总值"), partner(latest(landing, "2020-11"), "总值")
    assert pct(ytd[1], ytd_2020[1]) == 24.0  # A07 recomputed
    assert pct(ytd[3], ytd_2020[3]) == 23.9 and pct(ytd[5], ytd_2020[5]) == 24.1


def test_november_2021_is_a_record_month(landing):  # A04
    month_values = {}
    for path in sorted((landing / "customs_bulletin").glob("*.xlsx")):
        period = path.name.split("_")[2]
        book = workbook(path)
        if book["国别地区"][3][1] == "1-2月":  # two-month periods never count
            continue
        month_values[period] = partner(book, "总值")[0]  # later vintages overwrite earlier ones
    nov = month_values.pop("2021-11")
    assert all(value < nov for value in month_values.values())
    assert all(v < month_values["2021-06"] for p, v in month_values.items() if p < "2021-06")  # S31


def test_asean(landing):
    nov = latest(landing, "2021-11")
    asean = partner(nov, "东盟")
    assert yi(asean[1]) == 1142.3 and asean[6] == 13.5  # A12, A13 printed
    assert pct(asean[1], partner(latest(landing, "2020-11"), "东盟")[1]) == 13.5  # A13 recomputed


def economies_ranked(book) -> list[tuple[str, int]]:
    """Partner economies by year-to-date value: groups count as one, members and continents not."""
    ranked = [(name, values[1]) for level, name, values in partner_rows(book) if level == 2 and name != "其他"]
    return sorted(ranked, key=lambda item: -item[1])


@pytest.mark.parametrize("period", ["2019-12", "2020-12", "2021-11"])  # A14, A15, A16
def test_asean_is_the_largest_partner(landing, period):
    for path in bulletins(landing, period):
        assert economies_ranked(workbook(path))[0][0] == "东盟"


def test_rail_sea_trains_2021(landing):  # A17, S37, S38
    rail_sea = [t for t in trains(landing) if t["service"] == "ILSTC_RAIL_SEA"]
    by_year: dict[str, int] = {}
    for t in rail_sea:
        by_year[t["departure_at"][:4]] = by_year.get(t["departure_at"][:4], 0) + 1
    jan_nov = [t for t in rail_sea if "2021-01" <= t["departure_at"][:7] <= "2021-11"]
    assert 1900 <= len(jan_nov) <= 1999
    assert all(len(jan_nov) > n for year, n in by_year.items() if year < "2021")
    q1 = [t for t in rail_sea if "2021-01" <= t["departure_at"][:7] <= "2021-03"]
    assert len(q1) == 393 and sum(int(t["teu"]) for t in q1) == 19588
    assert sum(int(t["teu"]) for t in jan_nov if t["departure_at"][:7] <= "2021-10") == 92831


def test_no_china_laos_train_before_the_line_opened(landing, tmp_path):  # A18
    assert not [t for t in trains(landing) if t["service"] == "CHINA_LAOS_RAIL"]
    written = generate(tmp_path, through=date(2021, 12, 1), only_from=date(2021, 12, 1), detail_rows=100)
    assert written and all("2021-12" in p.name for p in written)
    laos = [t for t in trains(tmp_path) if t["service"] == "CHINA_LAOS_RAIL"]
    assert laos and all(t["departure_at"] >= "2021-12-03" for t in laos)
    assert min(t["departure_at"] for t in laos)[:10] == "2021-12-04"


# -- priority 2 --------------------------------------------------------------------------
def test_annual_figures(landing):
    t2018 = totals(latest(landing, "2018-12"))
    assert t2018[("进出口", "人民币")][1] == 5222.6 and t2018[("进出口", "人民币")][3] == 15.9  # S01, S02
    assert t2018[("出口", "人民币")][1] == 3395.3 and t2018[("进口", "人民币")][1] == 1827.3  # S03, S04
    first, corrected = (workbook(p) for p in bulletins(landing, "2019-12"))
    assert totals(first)[("进出口", "人民币")][1] == 5792.8  # S05, first release
    assert totals(corrected)[("进出口", "人民币")][1] == 5790.0  # revised 2019 behind S10
    for book in (first, corrected):
        asean = partner(book, "东盟")
        assert yi(asean[1]) == 1086.7 and asean[6] == 43.2  # S06, S07
    t2020 = totals(latest(landing, "2020-12"))
    assert t2020[("进出口", "人民币")][1] == 6513.4  # S08
    assert t2020[("出口", "人民币")][1] == 4187.5 and t2020[("进口", "人民币")][1] == 2325.9  # S09, S11
    assert t2020[("进出口", "人民币")][3] == 12.5  # S10, printed
    assert pct(partner(latest(landing, "2020-12"), "总值")[1], partner(corrected, "总值")[1]) == 12.5
    assert pct(partner(latest(landing, "2020-12"), "总值")[1], partner(first, "总值")[1]) == 12.4


def test_partners_2020_and_2021(landing):
    dec = latest(landing, "2020-12")
    asean = partner(dec, "东盟")
    assert (yi(asean[1]), yi(asean[3]), yi(asean[5])) == (1121.7, 364.1, 757.6)  # S12-S14
    assert yi(partner(dec, "美国")[1]) == 1076.5  # S15
    assert yi(partner(dec, "欧盟")[1]) == 1037.8  # S16
    assert [yi(partner(dec, n)[1]) for n in ("越南", "马来西亚", "泰国")] == [489.8, 227.5, 150.1]  # S17-S19
    nov = latest(landing, "2021-11")
    assert yi(partner(nov, "欧盟")[1]) == 1122.2 and yi(partner(nov, "美国")[1]) == 1078.9  # S20, S21
    members = [(n, v[1]) for level, n, v in partner_rows(dec) if level == 3][:10]
    assert [n for n, _ in sorted(members, key=lambda m: -m[1])[:3]] == ["越南", "马来西亚", "泰国"]


@pytest.mark.parametrize("period, month, ytd", [
    ("2020-06", 566.2, 2759.2), ("2020-08", 582.2, 3983.6), ("2020-09", 630.3, 4613.9),  # S22-S27
    ("2021-03", None, 1802.0), ("2021-04", None, 2459.1), ("2021-06", 719.0, 3766.0),  # S28-S31
    ("2021-08", 651.6, 5076.8), ("2021-10", None, 6435.2),  # S32-S34
])
def test_monthly_figures(landing, period, month, ytd):
    t = totals(latest(landing, period))[("进出口", "人民币")]
    assert t[1] == ytd
    if month is not None:
        assert t[0] == month


def test_the_two_bulletins_disagree_on_january_october(landing):  # S34
    t = totals(latest(landing, "2021-11"))[("进出口", "人民币")]
    assert r1(t[1] - t[0]) == 6435.4
    assert totals(latest(landing, "2021-10"))[("进出口", "人民币")][1] == 6435.2


def test_printed_first_half_growth(landing):  # S35, S36
    assert totals(latest(landing, "2020-06"))[("进出口", "人民币")][3] == 3.5
    assert totals(latest(landing, "2021-06"))[("进出口", "人民币")][3] == 37.6
    recomputed = pct(partner(latest(landing, "2021-06"), "总值")[1], partner(latest(landing, "2020-06"), "总值")[1])
    assert recomputed == 36.5


# -- layout and internal consistency --------------------------------------------------------
def all_bulletins(landing: Path) -> list[Path]:
    return sorted((landing / "customs_bulletin").glob("*.xlsx"))


def test_bulletin_layout(landing):
    names = {p.name for p in all_bulletins(landing)}
    assert not [n for n in names if re.match(r"cq_bulletin_202[01]-01_", n)]
    assert len(bulletins(landing, "2019-01")) == 1
    for path in all_bulletins(landing):
        period, vintage = path.stem.split("_")[2:]
        assert vintage > period.replace("-", "") + "31"
        book = workbook(path)
        assert list(book) == SHEETS
        for rows in book.values():
            assert rows[0][0].startswith(f"{period[:4]}年") and rows[1][0].startswith("单位：")
            assert [r for r in rows if r[0] and str(r[0]).startswith("注：")]
    feb = latest(landing, "2020-02")
    assert feb["总值表"][2][2:4] == ("1-2月", "1至2月累计")
    assert feb["国别地区"][3][1:3] == ("1-2月", "1至2月")
    assert latest(landing, "2021-11")["总值表"][0][0] == "2021年11月重庆市进出口商品总值表"
    exports = [r[0] for r in data_rows(latest(landing, "2021-11")["主要出口商品"], 2)]
    imports = [r[0] for r in data_rows(latest(landing, "2021-11")["主要进口商品"], 2)]
    for name in ("笔记本电脑", "摩托车", "汽车", "集成电路", "手机", "节日用品", "鲜柠檬", "机电产品*", "农产品*"):
        assert name in exports
    for name in ("集成电路", "金属矿及矿砂", "天然橡胶", "大米", "高新技术产品*"):
        assert name in imports
    assert any(n.startswith("其中：") for n in exports + imports)


def test_bulletin_sums(landing):
    for path in all_bulletins(landing):
        book = workbook(path)
        rows = partner_rows(book)
        world = rows[0][2]
        continents = [v for level, n, v in rows if level == 1]
        assert [n for level, n, _ in rows if level == 1] == CONTINENTS
        for col in range(6):
            assert sum(v[col] for v in continents) == world[col], path.name
            # a continent is its partners, groups' members and 其他 (never the group row)
            for i, (level, name, values) in enumerate(rows):
                if level == 1:
                    j = i + 1
                    parts = 0
                    while j < len(rows) and rows[j][0] > 1:
                        lvl, n, v = rows[j]
                        is_group = j + 1 < len(rows) and rows[j + 1][0] == 3 and lvl == 2
                        parts += 0 if is_group else v[col]
                        j += 1
                    assert parts == values[col], (path.name, name)
                if name in ("东盟", "欧盟"):
                    members = []
                    for lvl, _, v in rows[i + 1:]:
                        if lvl != 3:
                            break
                        members.append(v[col])
                    assert sum(members) == values[col]
                    if name == "欧盟":
                        assert len(members) == (28 if path.name < "cq_bulletin_2020-02" else 27)
        t = totals(book)
        assert yi(world[0]) == t[("进出口", "人民币")][0] and yi(world[1]) == t[("进出口", "人民币")][1]
        assert yi(world[2]) == t[("出口", "人民币")][0] and yi(world[5]) == t[("进口", "人民币")][1]
        modes = {r[0]: r[1:] for r in data_rows(book["贸易方式"], 2)}
        for col in range(6):
            assert modes["总值"][col] == world[col]
            assert sum(modes[n][col] for n in ("一般贸易", "加工贸易", "保税物流", "其他")) == world[col]
            assert modes["其中：来料加工装配贸易"][col] + modes["其中：进料加工贸易"][col] == modes["加工贸易"][col]


def test_uk_leaves_the_eu(landing):
    def uk_level(period):
        return [level for level, n, _ in partner_rows(latest(landing, period)) if n == "英国"]
    assert uk_level("2019-12") == [3] and uk_level("2020-02") == [2]


def test_cumulative_columns_add_up(landing):
    latest_by_period = {}
    for path in all_bulletins(landing):
        latest_by_period[path.name.split("_")[2]] = path
    for period, path in latest_by_period.items():
        ytd = partner(workbook(path), "总值")[1]
        months = [partner(workbook(p), "总值")[0] for q, p in latest_by_period.items()
                  if q[:4] == period[:4] and q <= period]
        revision = 2000 if period == "2021-11" else 0  # the November bulletin revises October (S34)
        assert ytd == sum(months) + revision, period


# -- detail extracts ------------------------------------------------------------------------
def detail_files(landing: Path) -> list[Path]:
    return sorted((landing / "customs_detail").glob("*.csv"))


def test_detail_sums_match_the_bulletin(landing):
    for path in detail_files(landing):
        _, _, period, flow, vintage = path.stem.split("_")
        bulletin_vintage = str(int(vintage) - 5)  # released five days after its bulletin
        book = workbook(landing / "customs_bulletin" / f"cq_bulletin_{period}_{bulletin_vintage}.xlsx")
        month = partner(book, "总值")[2 if flow == "export" else 4]
        rows = list(csv.reader(io.StringIO(path.read_bytes().decode("gb18030"), newline="")))
        total_yuan = sum(int(r[13]) for r in rows[1:])
        gap = (month * 10_000 - total_yuan) / (month * 10_000)
        assert 0 < gap < 0.001, path.name


def test_detail_format(landing):
    partner_codes = {r["customs_code"] for r in csv.DictReader(open(
        Path(__file__).resolve().parents[1] / "dbt_project" / "seeds" / "ref_partners.csv", encoding="utf-8"))}
    leading_zero = quoted = False
    for path in detail_files(landing)[:12]:
        raw = path.read_bytes()
        with pytest.raises(UnicodeDecodeError):
            raw.decode("utf-8")
        assert raw.count(b"\n") == raw.count(b"\r\n")
        text = raw.decode("gb18030")
        assert text.split("\r\n", 1)[0] == DETAIL_HEADER
        quoted |= '"' in text
        period = path.stem.split("_")[2].replace("-", "")
        for row in list(csv.reader(io.StringIO(text, newline="")))[1:]:
            assert len(row) == 15 and row[0] == period
            assert re.fullmatch(r"\d{8}", row[1]) and row[3] in partner_codes
            assert re.fullmatch(r"\d{2}", row[5]) and re.fullmatch(r"\d{2}", row[7])
            assert int(row[13]) > 0 and int(row[14]) >= 0
            leading_zero |= row[1].startswith("0")
    assert leading_zero and quoted


def test_trains_format(landing):
    for path in sorted((landing / "corridor_trains").glob("*.csv")):
        text = path.read_text(encoding="utf-8")
        assert text.splitlines()[0] == TRAINS_HEADER
    rows = trains(landing)
    ids = {(t["service"], t["train_id"]) for t in rows}
    assert len(ids) == len(rows)
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00", t["departure_at"]) for t in rows)
    assert any("," in t["cargo"] for t in rows)
    assert {t["service"] for t in rows} == {"ILSTC_RAIL_SEA", "ILSTC_CROSS_BORDER_RAIL", "ILSTC_CROSS_BORDER_ROAD"}


def test_reruns_are_byte_identical(landing, tmp_path):
    generate(tmp_path, detail_rows=200)

    def digests(root: Path) -> dict[str, str]:
        return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
                for p in root.rglob("*") if p.is_file()}

    assert digests(tmp_path) == digests(landing)
