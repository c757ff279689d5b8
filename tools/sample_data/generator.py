"""Generate the landing files of every period in a range from the deterministic timeline."""

from __future__ import annotations

import sys
import time
from datetime import date
from pathlib import Path

from orchestration.periods import customs_periods

from . import calibration as cal
from .bulletin_writer import write_bulletin
from .detail_writer import write_detail
from .timeline import Timeline
from .trains_writer import corridor_months, write_trains

DEFAULT_SEED = 20211220
DEFAULT_DETAIL_ROWS = 400


def generate(out_dir: Path | str, first: date = date(2017, 1, 1), through: date = date(2021, 11, 1),
             only_from: date | None = None, seed: int = DEFAULT_SEED,
             detail_rows: int = DEFAULT_DETAIL_ROWS, progress: bool = False) -> list[Path]:
    """Write bulletins, detail extracts and train logs; returns the files written."""
    out_dir = Path(out_dir)
    started = time.monotonic()
    timeline = Timeline(through, seed)
    written: list[Path] = []
    start = max(first, only_from) if only_from else first
    detail_total = 0
    for period in customs_periods(start, through):
        for release in timeline.bulletin_releases(period):
            written.append(write_bulletin(timeline, period, release, out_dir))
            version = timeline.as_of(period, release)
            for flow in cal.FLOWS:
                path, rows = write_detail(period, flow, version.flows[flow], timeline.rates[period],
                                          cal.detail_vintage(release), detail_rows, seed, out_dir)
                written.append(path)
                detail_total += rows
        if progress:
            print(f"{period:%Y-%m}: {detail_total:,} detail rows, {time.monotonic() - started:.0f}s",
                  file=sys.stderr, flush=True)
    for month in corridor_months(start, through):
        path = write_trains(month, seed, out_dir)
        if path:
            written.append(path)
    if progress:
        print(f"done: {len(written)} files, {detail_total:,} detail rows, {time.monotonic() - started:.0f}s",
              file=sys.stderr)
    return written
