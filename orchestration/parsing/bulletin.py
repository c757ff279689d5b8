"""The monthly statistical bulletin (customs_bulletin/*.xlsx) -> rows for the raw tables.

Each sheet is checked against the contract's layout for the file's own reference month
(a bulletin whose headers name another month is refused), values are converted to
yuan / US dollars exactly, and the file's internal sums are checked before any row is
returned. Row dicts carry the raw-table columns except the lineage ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import openpyxl

from orchestration.parsing.bulletin_checks import check_internal_sums, check_names_known, check_records_once
from orchestration.parsing.errors import ContractViolation
from orchestration.parsing.sheet_cells import (
    NO_VALUE,
    Sheet,
    amount,
    data_rows,
    expect_row,
    percent,
    quantity,
    text,
)
from orchestration.parsing.units import MILLION, WAN, YI
from orchestration.periods import cumulative_header, month_header, months_in_customs_period

TOTALS_SHEET = "总值表"
PARTNERS_SHEET = "国别地区"
EXPORT_COMMODITIES_SHEET = "主要出口商品"
IMPORT_COMMODITIES_SHEET = "主要进口商品"
TRADE_MODES_SHEET = "贸易方式"
SHEETS = (TOTALS_SHEET, PARTNERS_SHEET, EXPORT_COMMODITIES_SHEET, IMPORT_COMMODITIES_SHEET, TRADE_MODES_SHEET)

FLOWS = {"进出口": "total", "出口": "exports", "进口": "imports"}
CURRENCIES = {"人民币": ("CNY", YI), "美元": ("USD", MILLION)}
CONTINENTS = ("亚洲", "非洲", "欧洲", "拉丁美洲", "北美洲", "大洋洲")
GROUPS = ("东盟", "欧盟")
WORLD = "总值"
OTHER = "其他"
SUB_ITEM_PREFIX = "其中："
OVERLAP_MARK = "*"
TRADE_MODE_ROWS = (
    "总值",
    "一般贸易",
    "加工贸易",
    "其中：来料加工装配贸易",
    "其中：进料加工贸易",
    "保税物流",
    "其他",
)
# The <M>月 column per flow on the 国别地区 and 贸易方式 sheets (1-based); 1至<M>月 is next to it.
FLOW_MONTH_COLUMNS = {"total": 2, "exports": 4, "imports": 6}
PARTNER_YOY_COLUMNS = {"total": 8, "exports": 9, "imports": 10}
WAN_UNIT_LINE = "单位：万元人民币"
TOTALS_UNIT_LINE = "单位：亿元人民币；百万美元"
FIRST_DATA_ROW = 5  # sheets with two header rows; the totals sheet starts at row 4


@dataclass
class BulletinTables:
    totals: list[dict]
    partners: list[dict]
    commodities: list[dict]
    trade_modes: list[dict]


def parse_bulletin(path: Path, reference_month: date) -> BulletinTables:
    """Parse and check a bulletin workbook; raises ContractViolation if it breaks the contract."""
    sheets = _read_sheets(path)
    period = {"reference_month": reference_month, "months_in_period": months_in_customs_period(reference_month)}
    month, ytd = month_header(reference_month), cumulative_header(reference_month)
    tables = BulletinTables(
        totals=_parse_totals(sheets[TOTALS_SHEET], period, month, ytd),
        partners=_parse_partners(sheets[PARTNERS_SHEET], period, month, ytd),
        commodities=_parse_commodities(sheets[EXPORT_COMMODITIES_SHEET], "exports", period, month, ytd)
        + _parse_commodities(sheets[IMPORT_COMMODITIES_SHEET], "imports", period, month, ytd),
        trade_modes=_parse_trade_modes(sheets[TRADE_MODES_SHEET], period, month, ytd),
    )
    check_records_once(tables.partners, tables.commodities)
    check_names_known(tables.partners, tables.commodities)
    check_internal_sums(tables.totals, tables.partners, tables.trade_modes, month, ytd, reference_month)
    return tables


def _read_sheets(path: Path) -> dict[str, Sheet]:
    """All five sheets as plain values; a damaged workbook is 'unreadable'. Read with the
    formulas (not their cached results), to refuse them, and the merged ranges."""
    try:
        workbook = openpyxl.load_workbook(path, data_only=False)
        try:
            names = list(workbook.sheetnames)
            missing = [name for name in SHEETS if name not in names]
            extra = [name for name in names if name not in SHEETS]
            if missing or extra:
                raise ContractViolation(
                    "wrong_layout",
                    f"the workbook must have exactly the sheets {', '.join(SHEETS)}; "
                    f"missing: {', '.join(missing) or 'none'}; unexpected: {', '.join(extra) or 'none'}",
                )
            return {name: _plain_sheet(workbook[name]) for name in SHEETS}
        finally:
            workbook.close()
    except (ContractViolation, FileNotFoundError):
        raise
    except Exception as exc:  # openpyxl/zipfile/XML raise many types on damaged files
        raise ContractViolation("unreadable", f"cannot read the workbook: {type(exc).__name__}: {exc}") from exc


def _plain_sheet(worksheet) -> Sheet:
    """The sheet's values; a formula anywhere is refused, with or without a cached result:
    the warehouse never evaluates one, and a cached result may be stale."""
    rows = []
    for cells in worksheet.iter_rows():
        for cell in cells:
            if cell.data_type == "f":
                raise ContractViolation(
                    "formula",
                    f"sheet {worksheet.title} cell {cell.coordinate} holds the formula {str(cell.value)!r}: "
                    "the bulletin must hold plain values; paste the values over the formulas",
                )
        rows.append(tuple(cell.value for cell in cells))
    merged = tuple((r.min_row, r.max_row, r.coord) for r in worksheet.merged_cells.ranges)
    return Sheet(worksheet.title, rows, merged)


def _parse_totals(sheet: Sheet, period: dict, month: str, ytd: str) -> list[dict]:
    expect_row(sheet, 2, [TOTALS_UNIT_LINE])
    growth = "比去年同期±%"
    expect_row(sheet, 3, ["项目", "币种", month, f"{ytd}累计", f"{month}{growth}", f"{ytd}累计{growth}"])
    rows, seen = [], {}
    for row in data_rows(sheet, 4):
        flow_zh, currency_zh = text(sheet.cell(row, 1)), text(sheet.cell(row, 2))
        if flow_zh not in FLOWS or currency_zh not in CURRENCIES:
            raise ContractViolation(
                "wrong_layout", f"{sheet.where(row)}: unexpected 项目/币种 {flow_zh!r}/{currency_zh!r}"
            )
        if (flow_zh, currency_zh) in seen:
            raise ContractViolation(
                "wrong_layout", f"{sheet.where(row)}: {flow_zh}/{currency_zh} repeats row {seen[flow_zh, currency_zh]}"
            )
        seen[flow_zh, currency_zh] = row
        currency, scale = CURRENCIES[currency_zh]
        rows.append(
            {
                **period,
                "flow": FLOWS[flow_zh],
                "currency": currency,
                "month_value": _total(sheet, row, 3, scale),
                "ytd_value": _total(sheet, row, 4, scale),
                "month_yoy_pct": percent(sheet, row, 5),
                "ytd_yoy_pct": percent(sheet, row, 6),
                "source_row": row,
                "source_sheet": sheet.name,
            }
        )
    if len(seen) != len(FLOWS) * len(CURRENCIES):
        absent = [f"{f}/{c}" for f in FLOWS for c in CURRENCIES if (f, c) not in seen]
        raise ContractViolation("wrong_layout", f"sheet {sheet.name}: rows missing for {', '.join(absent)}")
    return rows


def _total(sheet: Sheet, row: int, col: int, scale) -> Decimal:
    """A total of the totals sheet: always printed, so '-' or an empty cell is no zero."""
    value = amount(sheet, row, col, scale)
    if value is None:
        raise ContractViolation(
            "bad_value",
            f"{sheet.where(row, col)}: no value ({text(sheet.cell(row, col))!r}); the totals sheet prints every total",
        )
    return value


def _expect_flow_headers(sheet: Sheet, first_label: str, month: str, ytd: str, with_yoy: bool) -> None:
    row3 = [first_label, "进出口", "", "出口", "", "进口", ""]
    row4 = ["", month, ytd, month, ytd, month, ytd]
    if with_yoy:
        row3 += ["累计比去年同期±%", "", ""]
        row4 += list(FLOWS)
    expect_row(sheet, 2, [WAN_UNIT_LINE])
    expect_row(sheet, 3, row3)
    expect_row(sheet, 4, row4)


def _flow_values(sheet: Sheet, row: int) -> dict[str, tuple]:
    """(month, ytd) values in yuan per flow, from the three column pairs."""
    return {
        flow: (amount(sheet, row, col, WAN), amount(sheet, row, col + 1, WAN))
        for flow, col in FLOW_MONTH_COLUMNS.items()
    }


def _partner_kind(name: str) -> str:
    if name == WORLD:
        return "world"
    if name in CONTINENTS:
        return "continent"
    if name in GROUPS:
        return "group"
    if name == OTHER:
        return "other"
    return "partner"


def _parse_partners(sheet: Sheet, period: dict, month: str, ytd: str) -> list[dict]:
    _expect_flow_headers(sheet, "国别（地区）", month, ytd, with_yoy=True)
    rows: list[dict] = []
    continent = None
    seen_continents: set[str] = set()
    for index, row in enumerate(data_rows(sheet, FIRST_DATA_ROW)):
        name = text(sheet.cell(row, 1))
        if not name:
            raise ContractViolation("wrong_layout", f"{sheet.where(row, 1)}: empty partner name")
        kind = _partner_kind(name)
        # 总值 opens the sheet, then every row stands in a continent's section.
        if (index == 0) != (kind == "world"):
            raise ContractViolation(
                "wrong_layout", f"{sheet.where(row)}: {WORLD} must be the first data row and only there, found {name!r}"
            )
        if kind == "continent":
            if name in seen_continents:
                raise ContractViolation("wrong_layout", f"{sheet.where(row)}: continent {name} appears twice")
            seen_continents.add(name)
            continent = name
        elif kind != "world" and continent is None:
            raise ContractViolation("wrong_layout", f"{sheet.where(row)}: {name!r} stands before any continent")
        for flow, (month_value, ytd_value) in _flow_values(sheet, row).items():
            rows.append(
                {
                    **period,
                    "partner_name_zh": name,
                    "row_kind": kind,
                    "continent_name_zh": continent,
                    "flow": flow,
                    "month_value_cny": month_value,
                    "ytd_value_cny": ytd_value,
                    "ytd_yoy_pct": percent(sheet, row, PARTNER_YOY_COLUMNS[flow]),
                    "source_row": row,
                    "source_sheet": sheet.name,
                }
            )
    return rows


def _split_sub_item(sheet: Sheet, row: int, name: str, parent: str | None) -> tuple[str, str | None, bool]:
    """(name without 其中：, parent or None, is_sub_item); a 其中： row needs a row above it."""
    if not name.startswith(SUB_ITEM_PREFIX):
        return name, None, False
    if parent is None:
        raise ContractViolation("wrong_layout", f"{sheet.where(row, 1)}: {name!r} has no row above it to be part of")
    return name.removeprefix(SUB_ITEM_PREFIX).strip(), parent, True


def _parse_commodities(sheet: Sheet, flow: str, period: dict, month: str, ytd: str) -> list[dict]:
    expect_row(sheet, 2, [WAN_UNIT_LINE])
    expect_row(sheet, 3, ["商品名称", "计量单位", month, "", ytd, "", f"{ytd}累计比去年同期±%", ""])
    expect_row(sheet, 4, ["", "", "数量", "金额", "数量", "金额", "数量", "金额"])
    rows: list[dict] = []
    parent = None
    for row in data_rows(sheet, FIRST_DATA_ROW):
        name, row_parent, is_sub = _split_sub_item(sheet, row, text(sheet.cell(row, 1)), parent)
        overlapping = name.endswith(OVERLAP_MARK)
        name = name.removesuffix(OVERLAP_MARK).strip()
        if not name:
            raise ContractViolation("wrong_layout", f"{sheet.where(row, 1)}: empty commodity name")
        if not is_sub:
            parent = name
        unit = text(sheet.cell(row, 2))
        rows.append(
            {
                **period,
                "flow": flow,
                "commodity_name_zh": name,
                "parent_name_zh": row_parent,
                "is_sub_item": is_sub,
                "is_overlapping_aggregate": overlapping,
                "unit": None if unit in ("", NO_VALUE) else unit,
                "month_quantity": quantity(sheet, row, 3),
                "month_value_cny": amount(sheet, row, 4, WAN),
                "ytd_quantity": quantity(sheet, row, 5),
                "ytd_value_cny": amount(sheet, row, 6, WAN),
                "ytd_quantity_yoy_pct": percent(sheet, row, 7),
                "ytd_value_yoy_pct": percent(sheet, row, 8),
                "source_row": row,
                "source_sheet": sheet.name,
            }
        )
    return rows


def _parse_trade_modes(sheet: Sheet, period: dict, month: str, ytd: str) -> list[dict]:
    _expect_flow_headers(sheet, "贸易方式", month, ytd, with_yoy=False)
    data = data_rows(sheet, FIRST_DATA_ROW)
    names = [text(sheet.cell(row, 1)) for row in data]
    if tuple(names) != TRADE_MODE_ROWS:
        raise ContractViolation(
            "wrong_layout",
            f"sheet {sheet.name}: rows {FIRST_DATA_ROW}-{data[-1]} must read {' / '.join(TRADE_MODE_ROWS)}; "
            f"found {' / '.join(names)}",
        )
    rows: list[dict] = []
    parent = None
    for row, printed in zip(data, names):
        name, row_parent, is_sub = _split_sub_item(sheet, row, printed, parent)
        if not is_sub:
            parent = name
        for flow, (month_value, ytd_value) in _flow_values(sheet, row).items():
            rows.append(
                {
                    **period,
                    "trade_mode_name_zh": name,
                    "parent_name_zh": row_parent,
                    "is_sub_item": is_sub,
                    "flow": flow,
                    "month_value_cny": month_value,
                    "ytd_value_cny": ytd_value,
                    "source_row": row,
                    "source_sheet": sheet.name,
                }
            )
    return rows
