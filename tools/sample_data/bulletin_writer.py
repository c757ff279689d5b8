"""The monthly statistical bulletin: one workbook, five sheets, customs' layout."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from openpyxl import Workbook

from orchestration.periods import cumulative_header, month_end, month_header

from . import calibration as cal
from . import reference as ref
from .output import growth_pct, round1, write_file
from .timeline import BulletinView, FlowData, Timeline

INDENT = "\u3000"
FOOTNOTE = "注：本表数据为海关初步统计数；增减百分比为与去年同期相比。"
CORRECTION_NOTE = "注：本表为更正版，替代此前发布的同期数据。"

# Listed partners per continent, in printed order; groups stand before their members.
# Every other country of the continent is summed into its `其他` row.
LAYOUT = (
    ("ASIA", ("ASEAN", "HK", "TW", "JP", "KR", "IN", "SA", "AE", "KZ")),
    ("AFRICA", ("ZA", "NG", "EG")),
    ("EUROPE", ("EU", "GB", "RU", "CH")),
    ("LATIN_AMERICA", ("BR", "MX", "CL")),
    ("NORTH_AMERICA", ("US", "CA")),
    ("OCEANIA", ("AU", "NZ")),
)
GROUP_ORDER = {"ASEAN": list(cal.BLOCK_MEMBERS["ASEAN"]) + ["TL"], "EU": list(cal.BLOCK_MEMBERS["EU27"]) + ["GB"]}
TRADE_MODE_ROWS = ("一般贸易", "加工贸易", "其中：来料加工装配贸易", "其中：进料加工贸易", "保税物流", "其他")


def bulletin_name(period: date, vintage: date) -> str:
    return f"cq_bulletin_{period:%Y-%m}_{vintage:%Y%m%d}.xlsx"


def write_bulletin(timeline: Timeline, period: date, vintage: date, out_dir: Path) -> Path:
    view = timeline.view(period, vintage)
    corrected = vintage != cal.bulletin_vintage(period)
    wb = Workbook()
    wb.remove(wb.active)
    _totals_sheet(wb.create_sheet("总值表"), view)
    _partner_sheet(wb.create_sheet("国别地区"), view)
    _commodity_sheet(wb.create_sheet("主要出口商品"), view, "exports")
    _commodity_sheet(wb.create_sheet("主要进口商品"), view, "imports")
    _trade_mode_sheet(wb.create_sheet("贸易方式"), view)
    if corrected:
        for ws in wb.worksheets:
            ws.append([CORRECTION_NOTE])
    stamp = datetime(vintage.year, vintage.month, vintage.day, 9, 0, 0)
    wb.properties.creator = "重庆海关"
    wb.properties.created = stamp
    buffer = io.BytesIO()
    wb.save(buffer)
    return write_file(out_dir / "customs_bulletin" / bulletin_name(period, vintage), _reproducible(buffer.getvalue(), stamp))


def _reproducible(xlsx: bytes, stamp: datetime) -> bytes:
    """Same bytes on every run: fixed modification time, member dates and member order."""
    iso = stamp.strftime("%Y-%m-%dT%H:%M:%SZ")
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(xlsx)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for name in src.namelist():  # openpyxl's order, [Content_Types].xml first
            data = src.read(name)
            if name == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>" + iso.encode(), data)
            info = zipfile.ZipInfo(name, date_time=stamp.timetuple()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(info, data)
    return out.getvalue()


def _title(view: BulletinView, subject: str) -> str:
    return f"{view.period.year}年{month_header(view.period)}重庆市{subject}"


def _finish(ws) -> None:
    ws.append([])
    ws.append([FOOTNOTE])


def _amount(data: dict[str, FlowData] | None, flows: tuple[str, ...], currency: str) -> int | None:
    """万元 for 人民币, 万美元 for 美元."""
    if data is None:
        return None
    return sum(data[f].total if currency == "人民币" else data[f].usd for f in flows)


def _printed(amount: int, currency: str) -> float:
    """万元 -> 亿元, 万美元 -> 百万美元, one decimal."""
    return round1(Decimal(amount) / (10000 if currency == "人民币" else 100))


def _totals_sheet(ws, view: BulletinView) -> None:
    m, c = month_header(view.period), cumulative_header(view.period)
    ws.append([_title(view, "进出口商品总值表")])
    ws.append(["单位：亿元人民币；百万美元"])
    ws.append(["项目", "币种", m, f"{c}累计", f"{m}比去年同期±%", f"{c}累计比去年同期±%"])
    for label, flow_key, flows in (("进出口", "total", cal.FLOWS), ("出口", "exports", ("exports",)),
                                   ("进口", "imports", ("imports",))):
        for currency in ("人民币", "美元"):
            month = _amount(view.month, flows, currency)
            ytd = _amount(view.ytd, flows, currency)
            month_growth = growth_pct(month, _amount(view.prior_month, flows, currency))
            ytd_growth = growth_pct(ytd, _amount(view.prior_ytd, flows, currency))
            if currency == "人民币":  # where customs printed a rate of its own
                ytd_growth = cal.PRINTED_GROWTH_OVERRIDES.get((view.period, flow_key, "cumulative"), ytd_growth)
            ws.append([label, currency, _printed(month, currency), _printed(ytd, currency), month_growth, ytd_growth])
    _finish(ws)


def _partner_rows(view: BulletinView) -> list[tuple[str, int, list[str]]]:
    """(printed name, indent level, member countries) for every row of the partner sheet."""
    period_end = month_end(view.period)
    partners = ref.partners()
    rows = [("总值", 0, [p.code for p in ref.countries()])]
    for continent, listed in LAYOUT:
        members_here = [p.code for p in ref.countries() if p.continent == continent]
        rows.append((partners[continent].name_zh, 1, members_here))
        shown: set[str] = set()
        for code in listed:
            if code in GROUP_ORDER:
                members = [m for m in GROUP_ORDER[code] if m in ref.group_members(code, period_end)]
                rows.append((partners[code].name_zh, 2, members))
                rows.extend((partners[m].name_zh, 3, [m]) for m in members)
                shown.update(members)
            elif code not in shown:
                rows.append((partners[code].name_zh, 2, [code]))
                shown.add(code)
        rows.append(("其他", 2, [c for c in members_here if c not in shown]))
    return rows


def _partner_sheet(ws, view: BulletinView) -> None:
    m, c = month_header(view.period), cumulative_header(view.period)
    ws.append([_title(view, "进出口商品国别（地区）总值表")])
    ws.append(["单位：万元人民币"])
    ws.append(["国别（地区）", "进出口", None, "出口", None, "进口", None, "累计比去年同期±%", None, None])
    ws.append([None, m, c, m, c, m, c, "进出口", "出口", "进口"])

    def value(data: dict[str, FlowData] | None, flows, codes) -> int | None:
        if data is None:
            return None
        return sum(data[f].partners.get(code, 0) for f in flows for code in codes)

    for name, level, codes in _partner_rows(view):
        row: list = [INDENT * level + name]
        growth = []
        for flows in (cal.FLOWS, ("exports",), ("imports",)):
            row += [value(view.month, flows, codes), value(view.ytd, flows, codes)]
            growth.append(growth_pct(value(view.ytd, flows, codes), value(view.prior_ytd, flows, codes)))
        ws.append(row + growth)
    _finish(ws)


def _commodity_sheet(ws, view: BulletinView, flow: str) -> None:
    m, c = month_header(view.period), cumulative_header(view.period)
    subject = "主要出口商品量值表" if flow == "exports" else "主要进口商品量值表"
    ws.append([_title(view, subject)])
    ws.append(["单位：万元人民币"])
    ws.append(["商品名称", "计量单位", m, None, c, None, f"{c}累计比去年同期±%", None])
    ws.append([None, None, "数量", "金额", "数量", "金额", "数量", "金额"])
    for row in ref.commodities(flow):
        month_qty, month_value = view.month[flow].items[row.name_zh]
        ytd_qty, ytd_value = view.ytd[flow].items[row.name_zh]
        prior_qty, prior_value = view.prior_ytd[flow].items[row.name_zh] if view.prior_ytd else (None, None)
        has_qty = row.unit != "-"
        ws.append([
            row.printed_name, row.unit,
            month_qty if has_qty else "-", month_value,
            ytd_qty if has_qty else "-", ytd_value,
            growth_pct(ytd_qty, prior_qty) if has_qty else "-", growth_pct(ytd_value, prior_value),
        ])
    _finish(ws)


def _mode_rows(data: FlowData) -> dict[str, int]:
    rows = dict.fromkeys(TRADE_MODE_ROWS, 0)
    for mode in ref.trade_modes():
        value = data.modes.get(mode.code, 0)
        rows[mode.bulletin_row_zh] += value
        if mode.bulletin_row_zh == "加工贸易":
            rows[f"其中：{mode.name_zh}"] += value
    return rows


def _trade_mode_sheet(ws, view: BulletinView) -> None:
    m, c = month_header(view.period), cumulative_header(view.period)
    ws.append([_title(view, "进出口商品贸易方式总值表")])
    ws.append(["单位：万元人民币"])
    ws.append(["贸易方式", "进出口", None, "出口", None, "进口", None])
    ws.append([None, m, c, m, c, m, c])
    month_rows, ytd_rows = ({f: _mode_rows(data[f]) for f in cal.FLOWS} for data in (view.month, view.ytd))
    ws.append(["总值",
               sum(view.month[f].total for f in cal.FLOWS), sum(view.ytd[f].total for f in cal.FLOWS),
               view.month["exports"].total, view.ytd["exports"].total,
               view.month["imports"].total, view.ytd["imports"].total])
    for name in TRADE_MODE_ROWS:
        ws.append([name,
                   month_rows["exports"][name] + month_rows["imports"][name],
                   ytd_rows["exports"][name] + ytd_rows["imports"][name],
                   month_rows["exports"][name], ytd_rows["exports"][name],
                   month_rows["imports"][name], ytd_rows["imports"][name]])
    _finish(ws)
