"""The bulletin's rules on its parsed rows (values already in yuan / USD): its internal
sums, one row per record, and names the reference data knows.

Customs rounds every printed figure, so a sum of n figures may miss its printed total by
the rounding of all n + 1 (tolerances.py; the amounts are in dbt_project.yml).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from orchestration.parsing import reference
from orchestration.parsing.errors import ContractViolation
from orchestration.parsing.tolerances import ROUNDING_MILLION_USD, ROUNDING_WAN_CNY, ROUNDING_YI_CNY, sum_tolerance
from orchestration.parsing.units import MILLION, WAN, YI
from orchestration.periods import month_end

# Totals sheet: one decimal in 亿元 / 百万美元; exports + imports against the total.
TOTALS_TOLERANCE = {
    "CNY": (sum_tolerance(ROUNDING_YI_CNY, 2), YI, "亿元"),
    "USD": (sum_tolerance(ROUNDING_MILLION_USD, 2), MILLION, "百万美元"),
}
# 国别地区 总值 (whole 万元) against the totals sheet (0.1 亿元): the rounding of each.
WORLD_VS_TOTALS_TOLERANCE = ROUNDING_YI_CNY + ROUNDING_WAN_CNY
TRADE_MODE_PARTS = ("一般贸易", "加工贸易", "保税物流", "其他")
FLOW_ZH = {"total": "进出口", "exports": "出口", "imports": "进口"}
PARTNERS_SHEET, TRADE_MODES_SHEET = "国别地区", "贸易方式"
COMMODITY_SHEETS = {"exports": "主要出口商品", "imports": "主要进口商品"}


def check_internal_sums(
    totals: list[dict], partners: list[dict], trade_modes: list[dict], month_label: str, ytd_label: str,
    reference_month: date,
) -> None:
    """Raise ContractViolation('internal_sums') at the first sum that does not hold."""
    periods = {"month": month_label, "ytd": ytd_label}
    _check_totals(totals, periods)
    _check_continents(partners, periods)
    _check_world_against_totals(partners, totals, periods)
    _check_groups(partners, periods, reference_month)
    _check_trade_modes(trade_modes, periods)


def check_records_once(partners: list[dict], commodities: list[dict]) -> None:
    """Raise ContractViolation('duplicate_record') for a partner or commodity printed twice:
    a partner once in the sheet (其他 once per continent), a commodity once per parent."""
    seen: dict[tuple, int] = {}
    for row in partners:
        if row["flow"] != "total":  # one sheet row gives a row per flow
            continue
        name = row["partner_name_zh"]
        key = ("partner", row["continent_name_zh"] if row["row_kind"] == "other" else None, name)
        if key in seen:
            raise ContractViolation(
                "duplicate_record",
                f"sheet {PARTNERS_SHEET} cell A{row['source_row']}: {name} repeats row {seen[key]}; "
                "each partner is printed once",
            )
        seen[key] = row["source_row"]
    for row in commodities:
        key = (row["flow"], row["parent_name_zh"], row["commodity_name_zh"])
        if key in seen:
            raise ContractViolation(
                "duplicate_record",
                f"sheet {COMMODITY_SHEETS[row['flow']]} cell A{row['source_row']}: {row['commodity_name_zh']} "
                f"repeats row {seen[key]}; each commodity is printed once",
            )
        seen[key] = row["source_row"]


def check_names_known(partners: list[dict], commodities: list[dict]) -> None:
    """Raise ContractViolation('not_in_reference') for a partner or commodity the reference
    data does not know: the name, the cell, and the seed to extend if the name is right."""
    known_partners = {row["name_zh"] for row in reference.seed_rows(reference.PARTNERS_SEED)}
    for row in partners:
        if row["partner_name_zh"] not in known_partners:
            _unknown(PARTNERS_SHEET, row, row["partner_name_zh"], "partner", reference.PARTNERS_SEED)
    known_commodities = {(r["flow"], r["name_zh"]) for r in reference.seed_rows(reference.COMMODITIES_SEED)}
    for row in commodities:
        if (row["flow"], row["commodity_name_zh"]) not in known_commodities:
            _unknown(COMMODITY_SHEETS[row["flow"]], row, row["commodity_name_zh"], f"{row['flow']} commodity",
                     reference.COMMODITIES_SEED)


def _unknown(sheet: str, row: dict, name: str, what: str, seed: str) -> None:
    raise ContractViolation(
        "not_in_reference",
        f"sheet {sheet} cell A{row['source_row']}: the {what} {name!r} is not in the reference data; "
        f"if customs names it so, add it to {reference.seed_file(seed)} (else correct the name)",
    )


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


def _require_rows_sum(where: str, parts: list[dict], total: dict, key: str) -> None:
    """Rows in 万元 that must add up to another row, each part within its own rounding."""
    _require(where, sum((_value(row, key) for row in parts), Decimal(0)), _value(total, key),
             sum_tolerance(ROUNDING_WAN_CNY, len(parts)), WAN, "万元")


def _check_continents(partners: list[dict], periods: dict[str, str]) -> None:
    for flow, flow_zh in FLOW_ZH.items():
        rows = [row for row in partners if row["flow"] == flow]
        world = next(row for row in rows if row["row_kind"] == "world")
        continents = [row for row in rows if row["row_kind"] == "continent"]
        for period, label in periods.items():
            key = f"{period}_value_cny"
            continent_rows = ", ".join(str(row["source_row"]) for row in continents)
            _require_rows_sum(
                f"sheet 国别地区 {flow_zh} {label}: continents (rows {continent_rows}) "
                f"against 总值 (row {world['source_row']})",
                continents, world, key,
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


def _check_groups(partners: list[dict], periods: dict[str, str], reference_month: date) -> None:
    """Each group row (东盟, 欧盟) against its members listed in the sheet, by the membership
    valid on the period's last day."""
    code_of = {row["name_zh"]: row["partner"] for row in reference.seed_rows(reference.PARTNERS_SEED)}
    last_day = f"{month_end(reference_month):%Y-%m-%d}"
    members = {}
    for row in reference.seed_rows(reference.PARTNER_GROUPS_SEED):
        if row["valid_from"] <= last_day and (not row["valid_to"] or row["valid_to"] >= last_day):
            members.setdefault(row["group_partner"], set()).add(row["member_partner"])
    for flow, flow_zh in FLOW_ZH.items():
        rows = [row for row in partners if row["flow"] == flow]
        for group in (row for row in rows if row["row_kind"] == "group"):
            listed = [row for row in rows if row["row_kind"] == "partner"
                      and code_of.get(row["partner_name_zh"]) in members.get(code_of.get(group["partner_name_zh"]), ())]
            for period, label in periods.items():
                key = f"{period}_value_cny"
                _require_rows_sum(
                    f"sheet {PARTNERS_SHEET} {flow_zh} {label}: the members of {group['partner_name_zh']} "
                    f"(rows {', '.join(str(row['source_row']) for row in listed) or 'none'}) "
                    f"against its row {group['source_row']}",
                    listed, group, key,
                )


def _check_trade_modes(trade_modes: list[dict], periods: dict[str, str]) -> None:
    for flow, flow_zh in FLOW_ZH.items():
        rows = [row for row in trade_modes if row["flow"] == flow]
        by_name = {row["trade_mode_name_zh"]: row for row in rows if not row["is_sub_item"]}
        processing = by_name["加工贸易"]
        subs = [row for row in rows if row["is_sub_item"]]
        for period, label in periods.items():
            key = f"{period}_value_cny"
            _require_rows_sum(
                f"sheet 贸易方式 {flow_zh} {label}: {' + '.join(TRADE_MODE_PARTS)} against 总值",
                [by_name[name] for name in TRADE_MODE_PARTS], by_name["总值"], key,
            )
            _require_rows_sum(
                f"sheet 贸易方式 {flow_zh} {label}: the 其中 rows "
                f"against 加工贸易 (row {processing['source_row']})",
                subs, processing, key,
            )
