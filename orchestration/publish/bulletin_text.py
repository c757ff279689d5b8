"""What a bulletin says: its sentences, each stated only when its fact holds in the
figures (a record, a lead over last year, a run of years as largest partner), with the
numbers at the published rounding."""

from __future__ import annotations

from datetime import UTC
from decimal import ROUND_HALF_UP, Decimal

from orchestration.periods import year_to_date_label
from orchestration.publish.bulletin_facts import Bulletin, Commodity

_ORDINALS = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth")


def billions(amount: Decimal | float) -> str:
    """Yuan or dollars as billions with two decimals, rounded half up as customs does: '76.95'."""
    value = (Decimal(str(amount)) / Decimal(10**9)).quantize(Decimal("0.01"), ROUND_HALF_UP)
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


def _clauses(*parts: str) -> str:
    return ", ".join(p for p in parts if p)


def bulletin_sentences(b: Bulletin) -> tuple[str, ...]:
    """The bulletin's text, one sentence a fact, in the desk's order: the period, the year
    so far, exports and imports, the largest partner and its members, the other main
    economies, the leading commodities, the corridor."""
    out = [_stale_notice(b)] if b.publication.is_stale else []
    out.append(_headline(b))
    if b.months_in_period < b.period_end.month:  # not the first period of the year
        lead = ""
        if b.ytd_lead_over_previous_year_cny is not None:
            amount = billions(b.ytd_lead_over_previous_year_cny)
            lead = (
                f"{amount} billion more than in {b.previous_year}"
                if b.year_complete
                else f"already {amount} billion more than the whole of {b.previous_year}"
            )
        total = f"{billions(b.ytd_value_cny)} billion yuan ({billions(b.ytd_value_usd)} billion US dollars)"
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
    amount = f"{billions(b.value_cny)} billion yuan ({billions(b.value_usd)} billion US dollars)"
    change = f"{growth(b.yoy_pct)} year on year" if b.yoy_pct is not None else ""
    if b.is_record_high:
        return (
            f"Chongqing's foreign trade hit a monthly record high in {b.label}:"
            f" {_clauses(amount, change)}."
        )
    return f"Chongqing's foreign trade reached {_clauses(f'{amount} in {b.label}', change)}."


def _stale_notice(b: Bulletin) -> str:
    as_of = b.publication.marts_published_at
    since = f" on {as_of.astimezone(UTC):%Y-%m-%d %H:%M} UTC" if as_of else ""
    return (
        f"Stale figures: the latest refresh could not publish new marts, so these are the"
        f" figures published{since}. Reason: {b.publication.stale_reason}"
    )


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
        f" {approximately(b.corridor_trains_ytd)} in {year_to_date_label(month)}"
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
