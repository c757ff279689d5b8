"""Reference lists the generator shares with the warehouse: the dbt seeds.

The seeds are the single source of partner codes, group membership, trade modes,
bulletin commodities and HS codes, so the sample data and the marts cannot disagree.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path

SEEDS_DIR = Path(__file__).resolve().parents[2] / "dbt_project" / "seeds"


def _rows(name: str) -> list[dict[str, str]]:
    with open(SEEDS_DIR / f"{name}.csv", encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@dataclass(frozen=True)
class Partner:
    code: str
    kind: str
    customs_code: str
    name_zh: str
    continent: str


@dataclass(frozen=True)
class Membership:
    group: str
    member: str
    valid_from: date
    valid_to: date | None

    def valid_on(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


@dataclass(frozen=True)
class TradeMode:
    code: str
    name_zh: str
    bulletin_row_zh: str


@dataclass(frozen=True)
class Commodity:
    flow: str
    name_zh: str
    unit: str
    parent: str
    is_aggregate: bool
    hs_prefixes: tuple[str, ...]

    @property
    def printed_name(self) -> str:
        """The name as the bulletin prints it: `其中：` for parts, `*` for aggregates."""
        if self.parent:
            return f"其中：{self.name_zh}"
        return f"{self.name_zh}*" if self.is_aggregate else self.name_zh

    def covers(self, hs_code: str) -> bool:
        return any(hs_code.startswith(prefix) for prefix in self.hs_prefixes)


@lru_cache(maxsize=None)
def partners() -> dict[str, Partner]:
    return {
        row["partner"]: Partner(row["partner"], row["partner_kind"], row["customs_code"], row["name_zh"], row["continent"])
        for row in _rows("ref_partners")
    }


def countries() -> list[Partner]:
    return [p for p in partners().values() if p.kind == "country"]


@lru_cache(maxsize=None)
def memberships() -> tuple[Membership, ...]:
    return tuple(
        Membership(
            row["group_partner"],
            row["member_partner"],
            date.fromisoformat(row["valid_from"]),
            date.fromisoformat(row["valid_to"]) if row["valid_to"] else None,
        )
        for row in _rows("ref_partner_groups")
    )


def group_members(group: str, on: date) -> list[str]:
    return [m.member for m in memberships() if m.group == group and m.valid_on(on)]


@lru_cache(maxsize=None)
def trade_modes() -> tuple[TradeMode, ...]:
    return tuple(TradeMode(r["trade_mode_code"], r["name_zh"], r["bulletin_row_zh"]) for r in _rows("ref_trade_modes"))


@lru_cache(maxsize=None)
def commodities(flow: str) -> tuple[Commodity, ...]:
    """Bulletin commodity rows of one flow, in printed order."""
    return tuple(
        Commodity(
            r["flow"],
            r["name_zh"],
            r["unit"],
            r["parent_name_zh"],
            r["is_overlapping_aggregate"] == "true",
            tuple(p for p in r["hs_prefixes"].split(";") if p),
        )
        for r in _rows("ref_bulletin_commodities")
        if r["flow"] == flow
    )


@lru_cache(maxsize=None)
def hs_names() -> dict[str, str]:
    return {r["hs_code"]: r["name_zh"] for r in _rows("ref_hs_codes")}
