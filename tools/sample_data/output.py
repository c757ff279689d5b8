"""Writing landing files the way a careful producer does: `NAME.part`, then rename."""

from __future__ import annotations

import os
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path


def write_file(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    part = path.with_name(path.name + ".part")
    part.write_bytes(data)
    os.replace(part, path)
    return path


def round1(value: Decimal | float | int) -> float:
    """Half-up rounding to one decimal, as printed figures are rounded."""
    return float(Decimal(str(value)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def growth_pct(current: int, prior: int | None) -> float | str:
    """Growth on the same period a year earlier, one decimal; `-` where there is no base."""
    if not prior:
        return "-"
    return round1((Decimal(current) / Decimal(prior) - 1) * 100)
