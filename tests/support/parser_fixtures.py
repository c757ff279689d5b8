"""Small contract-conformant landing files with known values, for the parser tests.

Builders return plain grids / row lists so a test can break exactly one thing before
writing the file. Values are chosen so every internal sum holds: the 2021-11 world total
is 7,695,000 万元 = 769.5 亿元 (exports 480.5, imports 289.0).
"""

from __future__ import annotations

import csv
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import openpyxl

from orchestration.parsing.detail_extract import DETAIL_HEADER
from orchestration.parsing.train_log import TRAIN_HEADER
from orchestration.periods import cumulative_header, month_header

INDENT = "\u3000"
YTD_FACTOR = 10  # year-to-date = 10 x the month, for every row: keeps all sums consistent
USD_RATE = Decimal("6.4")  # yuan per US dollar, for the totals sheet's 美元 rows
FOOTNOTE = "注：本表数据为初步统计数据。"

# Continent -> rows (name, month exports 万元, month imports 万元); groups are computed.
PARTNERS = {
    "亚洲": [("东盟", None, None), ("越南", 300000, 200000), ("马来西亚", 150000, 120000),
             ("中国台湾", 400000, 500000), ("日本", 200000, 150000), ("韩国", 180000, 220000),
             ("其他", 270000, 210000)],
    "非洲": [("南非", 50000, 30000), ("其他", 52000, 20000)],
    "欧洲": [("欧盟", None, None), ("德国", 400000, 300000), ("荷兰", 250000, 100000),
             ("英国", 200000, 50000), ("其他", 300000, 100000)],
    "拉丁美洲": [("巴西", 80000, 150000), ("其他", 120000, 100000)],
    "北美洲": [("美国", 1500000, 300000), ("其他", 248000, 20000)],
    "大洋洲": [("澳大利亚", 100000, 200000), ("其他", 5000, 120000)],
}
GROUP_MEMBERS = {"东盟": ("越南", "马来西亚"), "欧盟": ("德国", "荷兰")}

# (name, unit, month qty, month 万元, ytd qty, ytd 万元, ytd qty yoy %, ytd value yoy %)
EXPORT_COMMODITIES = [
    ("机电产品*", "-", "-", 3500000, "-", 35000000, "-", 8.5),
    ("高新技术产品*", "-", "-", 1800000, "-", 18000000, "-", 12.1),
    ("汽车", "辆", 15000, 900000, 150000, 9000000, "-", 5.0),
    ("其中：电动载人汽车", "辆", 5000, 800000, 50000, 8000000, -2.5, 1.3),
    ("摩托车", "辆", 120000, 60000, 1200000, 600000, 10.0, 11.0),
    ("笔记本电脑", "台", 1500000, 150000, 15000000, 1500000, 20.0, 30.0),
    ("集成电路", "个", 300000000, 45000, 3000000000, 450000, "-", "-"),
    ("手机", "台", 3000000, 250000, 30000000, 2500000, 4.4, 6.6),
    ("鲜柠檬", "吨", 1234.5, 850, 12345.5, 8500, 3.0, 2.0),
    ("农产品*", "-", "-", 20000, "-", 200000, "-", 3.3),
]
IMPORT_COMMODITIES = [
    ("机电产品*", "-", "-", 1500000, "-", 15000000, "-", -4.0),
    ("集成电路", "个", 900000000, 700000, 9000000000, 7000000, 1.0, 2.0),
    ("金属矿及矿砂", "吨", 800000, 90000, 8000000, 900000, 5.0, 15.0),
    ("其中：铁矿砂及其精矿", "吨", 700000, 70000, 7000000, 700000, 4.0, 14.0),
    ("天然橡胶", "吨", 3000, 3500, 30000, 35000, "-", "-"),
    ("大米", "吨", 2000.5, 1000, 20005, 10000, 0.5, 0.7),
]
# (name, month exports 万元, month imports 万元); the sums hold by construction.
TRADE_MODES = [
    ("一般贸易", 2000000, 1200000),
    ("加工贸易", 2100000, 1000000),
    ("其中：来料加工装配贸易", 300000, 100000),
    ("其中：进料加工贸易", 1800000, 900000),
    ("保税物流", 600000, 600000),
    ("其他", 105000, 90000),
]


def _pair(month_value) -> list:
    return [month_value, month_value * YTD_FACTOR]


def _flows(exports: int, imports: int) -> list:
    return _pair(exports + imports) + _pair(exports) + _pair(imports)


def _partner_rows() -> tuple[list[list], tuple[int, int]]:
    rows, world = [], [0, 0]
    for continent, entries in PARTNERS.items():
        values = {name: (e, i) for name, e, i in entries if e is not None}
        exports = sum(e for e, _ in values.values())
        imports = sum(i for _, i in values.values())
        world = [world[0] + exports, world[1] + imports]
        rows.append([INDENT + continent, *_flows(exports, imports), 10.5, "11.5", -2.0])
        for name, e, i in entries:
            if e is None:
                e = sum(values[m][0] for m in GROUP_MEMBERS[name])
                i = sum(values[m][1] for m in GROUP_MEMBERS[name])
            rows.append([INDENT * 2 + name, *_flows(e, i), "-", 3.0, 4.0])
    return rows, (world[0], world[1])


def _yi(wan: int) -> float:
    return float((Decimal(wan) / 10000).quantize(Decimal("0.1"), ROUND_HALF_UP))


def _million_usd(wan: int) -> float:
    return float((Decimal(wan) / 100 / USD_RATE).quantize(Decimal("0.1"), ROUND_HALF_UP))


def bulletin_sheets(reference_month: date) -> dict[str, list[list]]:
    """The five sheets as grids (row 1 first), ready for ``write_bulletin``."""
    m, c = month_header(reference_month), cumulative_header(reference_month)
    title = f"{reference_month.year}年{m}重庆市进出口"
    partner_rows, (exports, imports) = _partner_rows()
    totals = [[title + "商品总值表"], ["单位：亿元人民币；百万美元"],
              ["项目", "币种", m, f"{c}累计", f"{m}比去年同期±%", f"{c}累计比去年同期±%"]]
    for flow, wan in (("进出口", exports + imports), ("出口", exports), ("进口", imports)):
        totals.append([flow, "人民币", _yi(wan), _yi(wan * YTD_FACTOR), 12.3, "-5.1"])
        totals.append([flow, "美元", _million_usd(wan), _million_usd(wan * YTD_FACTOR), 10.0, -7.2])
    totals += [[], [FOOTNOTE]]

    partners = [
        [title + "国别（地区）总值表"],
        ["单位：万元人民币"],
        ["国别（地区）", "进出口", "", "出口", "", "进口", "", "累计比去年同期±%", "", ""],
        ["", m, c, m, c, m, c, "进出口", "出口", "进口"],
        ["总值", *_flows(exports, imports), 9.9, 8.8, "-"],
        *partner_rows,
        [],
        [FOOTNOTE],
        ["注：东盟、欧盟为成员合计。"],
    ]

    def commodities(kind: str, rows: list) -> list[list]:
        head = [[title + kind], ["单位：万元人民币"],
                ["商品名称", "计量单位", m, "", c, "", f"{c}累计比去年同期±%", ""],
                ["", "", "数量", "金额", "数量", "金额", "数量", "金额"]]
        body = [[(INDENT if name.startswith("其中：") else "") + name, *rest] for name, *rest in rows]
        return head + body

    modes = [[title + "贸易方式总值表"], ["单位：万元人民币"],
             ["贸易方式", "进出口", "", "出口", "", "进口", ""], ["", m, c, m, c, m, c],
             ["总值", *_flows(exports, imports)]]
    modes += [[(INDENT if n.startswith("其中：") else "") + n, *_flows(e, i)] for n, e, i in TRADE_MODES]
    modes += [[], [FOOTNOTE]]
    return {
        "总值表": totals,
        "国别地区": partners,
        "主要出口商品": commodities("主要出口商品量值表", EXPORT_COMMODITIES) + [[], [FOOTNOTE]],
        "主要进口商品": commodities("主要进口商品量值表", IMPORT_COMMODITIES),
        "贸易方式": modes,
    }


def row_of(grid: list[list], name: str) -> int:
    """1-based row number of the first data row whose first cell reads ``name``."""
    for number, row in enumerate(grid, start=1):
        if row and isinstance(row[0], str) and row[0].strip() == name:
            return number
    raise KeyError(name)


def set_cell(grid: list[list], row: int, col: int, value) -> None:
    """Set 1-based (row, col) in a grid, widening the row if needed."""
    cells = grid[row - 1]
    cells.extend([None] * (col - len(cells)))
    cells[col - 1] = value


def write_bulletin(path: Path, sheets: dict[str, list[list]]) -> Path:
    """Write grids as a workbook; blank rows get no cells at all, as Excel leaves them."""
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for name, grid in sheets.items():
        worksheet = workbook.create_sheet(name)
        for r, row in enumerate(grid, start=1):
            for col, value in enumerate(row, start=1):
                if value is not None and value != "":
                    worksheet.cell(r, col, value)
    workbook.save(path)
    return path


# 数据年月 is filled in by ``detail_rows``; names with a comma and a quote need CSV quoting.
_DETAIL_ROWS = [
    ["84713010", "平板电脑,便携式", "116", "日本", "10", "一般贸易", "50", "重庆", "1200", "台", "", "", "5400000", "843750"],
    ["08055000", "鲜柠檬", "601", "越南", "10", "一般贸易", "50", "重庆", "20.5", "吨", "20500", "千克", "85000", "13281"],
    ["87032361", '小轿车"1.5升"', "344", "德国", "14", "进料加工贸易", "51", "四川", "3", "辆", "", "", "450000", "70312"],
    ["85423100", "处理器及控制器", "143", "中国台湾", "15", "来料加工装配贸易", "50", "重庆", "", "", "", "", "0", "0"],
]


def detail_rows(reference_month: date) -> list[list[str]]:
    return [[f"{reference_month:%Y%m}", *row] for row in _DETAIL_ROWS]


def write_detail(path: Path, rows: list[list[str]], encoding: str = "gb18030", header: str = DETAIL_HEADER) -> Path:
    """A detail extract as customs delivers it: GB18030, CRLF, quoted where needed."""
    with open(path, "w", encoding=encoding, newline="") as handle:
        handle.write(header + "\r\n")
        csv.writer(handle, lineterminator="\r\n").writerows(rows)
    return path


def train_rows() -> list[list[str]]:
    """Three November 2021 departures; the first departs 1 November in Chongqing, 31 October in UTC."""
    return [
        ["X8001", "ILSTC_RAIL_SEA", "2021-10-31T17:30:00+00:00", "重庆团结村", "钦州港", "outbound", "50", "100",
         "12500000.50", "摩托车, 汽车零部件"],
        ["X8002", "ILSTC_CROSS_BORDER_RAIL", "2021-11-15T09:40:00+08:00", "重庆团结村", "河内", "outbound", "40",
         "80", "9800000", "笔记本电脑"],
        ["X8001", "ILSTC_CROSS_BORDER_ROAD", "2021-11-30T23:59:00+08:00", "万象", "重庆", "inbound", "12", "12",
         "3600000", ""],
    ]


def write_trains(path: Path, rows: list[list[str]], bom: bool = True, header: list[str] = TRAIN_HEADER) -> Path:
    with open(path, "w", encoding="utf-8-sig" if bom else "utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerow(header)
        writer.writerows(rows)
    return path
