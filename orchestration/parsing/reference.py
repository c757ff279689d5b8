"""The reference data a landing file's names and codes are checked against: the dbt seeds,
read as they are (small CSV files). A refusal names the seed to extend."""

from __future__ import annotations

import csv
import functools
from pathlib import Path

from orchestration import settings

PARTNERS_SEED = "ref_partners"
PARTNER_GROUPS_SEED = "ref_partner_groups"
COMMODITIES_SEED = "ref_bulletin_commodities"
TRADE_MODES_SEED = "ref_trade_modes"
HS_CODES_SEED = "ref_hs_codes"


def seed_path(seed: str) -> Path:
    return settings.reference_dir() / f"{seed}.csv"


def seed_file(seed: str) -> str:
    """The seed as an operator finds it in the repository."""
    return f"dbt_project/seeds/{seed}.csv"


@functools.cache
def seed_rows(seed: str) -> tuple[dict[str, str], ...]:
    with seed_path(seed).open(encoding="utf-8", newline="") as handle:
        return tuple(csv.DictReader(handle))
