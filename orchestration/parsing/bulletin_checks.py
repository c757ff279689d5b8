"""The bulletin's internal sums, checked on the parsed rows (values already in yuan / USD).

Customs rounds every printed figure, so each check allows the rounding of its terms:
one unit of the last printed digit per summed term. Group rows (东盟, 欧盟) need the
reference data on membership and are checked downstream, not here.
"""

from __future__ import annotations

from decimal import Decimal

from orchestration.parsing.errors import ContractViolation
from orchestration.parsing.units import MILLION, WAN, YI

# Totals sheet: one decimal in 亿元 / 百万美元, so 0.1 of the unit per comparison.
TOTALS_TOLERANCE = {
    "CNY": (Decimal("0.1") * YI, YI, "亿元"),
    "USD": (Decimal("0.1") * MILLION, MILLION, "百万美元"),
}
# 国别地区 总值 (whole 万元) against the totals sheet (0.1 亿元, i.e. +-0.05 亿元 of rounding).
WORLD_VS_TOTALS_TOLERANCE = Decimal("0.05") * YI + WAN
TRADE_MODE_PARTS = ("一般贸易", "加工贸易", "保税物流", "其他")
FLOW_ZH = {"total": "进出口", "exports": "出口", "imports": "进口"}


def check_internal_sums(
    totals: list[dict], partners: list[dict], trade_modes: list[dict], month_label: str, ytd_label: str
) -> None:
    """Raise ContractViolation('internal_sums') at the first sum that does not hold."""
    periods = {"month": month_label, "ytd": ytd_label}
    _check_totals(totals, periods)
    _check_continents(partners, periods)
    _check_world_against_totals(partners, totals, periods)
    _check_trade_modes(trade_modes, periods)


def _value(row: dict, key: str) -> Decimal:
    """A '-' cell counts as nothing in a sum."""
    return row[key] if row[key] is not None else Decimal(0)


def _require(where: str, parts: Decimal, total: Decimal, tolerance: Decimal, scale: Decimal, unit: str) -> None:
    if abs(parts - total) > tolerance:

        def show(amount: Decimal) -> str:  # in the sheet's unit, as printed: 4806000, 0.1
            return f"{(amount / scale).normalize():f}"

        raise ContractViolation(
            "internal_sums",
            f"{where}: the parts add up to {show(parts)} {unit} but the total is {show(total)} {unit} "
            f"(difference {show(abs(parts - total))}, tolerance {show(tolerance)})",
        )


def _check_totals(totals: list[dict], periods: dict[str, str]) -> None:
    by_key = {(row["flow"], row["currency"]): row for row in totals}
    for currency, (tolerance, scale, unit) in TOTALS_TOLERANCE.items():
        total, exports, imports = (by_key[flow, currency] for flow in ("total", "exports", "imports"))
        for period, label in periods.items():
            key = f"{period}_value"
            _require(
                f"sheet 总值表 {label} {currency}: 出口 (row {exports['source_row']}) + 进口 "
                f"(row {imports['source_row']}) against 进出口 (row {total['source_row']})",
                _value(exports, key) + _value(imports, key),
                _value(total, key),
                tolerance,
                scale,
                unit,
            )


def _check_continents(partners: list[dict], periods: dict[str, str]) -> None:
    for flow, flow_zh in FLOW_ZH.items():
        rows = [row for row in partners if row["flow"] == flow]
        world = next(row for row in rows if row["row_kind"] == "world")
        continents = [row for row in rows if row["row_kind"] == "continent"]
        for period, label in periods.items():
            key = f"{period}_value_cny"
            continent_rows = ", ".join(str(row["source_row"]) for row in continents)
            _require(
                f"sheet 国别地区 {flow_zh} {label}: continents (rows {continent_rows}) "
                f"against 总值 (row {world['source_row']})",
                sum((_value(row, key) for row in continents), Decimal(0)),
                _value(world, key),
                WAN * len(continents),
                WAN,
                "万元",
            )


def _check_world_against_totals(partners: list[dict], totals: list[dict], periods: dict[str, str]) -> None:
    for flow, flow_zh in FLOW_ZH.items():
        world = next(row for row in partners if row["flow"] == flow and row["row_kind"] == "world")
        total = next(row for row in totals if row["flow"] == flow and row["currency"] == "CNY")
        for period, label in periods.items():
            _require(
                f"{flow_zh} {label}: sheet 国别地区 总值 (row {world['source_row']}) against "
                f"sheet 总值表 人民币 (row {total['source_row']})",
                _value(world, f"{period}_value_cny"),
                _value(total, f"{period}_value"),
                WORLD_VS_TOTALS_TOLERANCE,
                WAN,
                "万元",
            )


def _check_trade_modes(trade_modes: list[dict], periods: dict[str, str]) -> None:
    for flow, flow_zh in FLOW_ZH.items():
        rows = [row for row in trade_modes if row["flow"] == flow]
        by_name = {row["trade_mode_name_zh"]: row for row in rows if not row["is_sub_item"]}
        processing = by_name["加工贸易"]
        subs = [row for row in rows if row["is_sub_item"]]
        for period, label in periods.items():
            key = f"{period}_value_cny"
            _require(
                f"sheet 贸易方式 {flow_zh} {label}: {' + '.join(TRADE_MODE_PARTS)} against 总值",
                sum((_value(by_name[name], key) for name in TRADE_MODE_PARTS), Decimal(0)),
                _value(by_name["总值"], key),
                WAN * len(TRADE_MODE_PARTS),
                WAN,
                "万元",
            )
            _require(
                f"sheet 贸易方式 {flow_zh} {label}: the 其中 rows "
                f"against 加工贸易 (row {processing['source_row']})",
                sum((_value(row, key) for row in subs), Decimal(0)),
                _value(processing, key),
                WAN * len(subs),
                WAN,
                "万元",
            )
