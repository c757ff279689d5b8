"""The feed registry: every landing feed the warehouse reads, said once.

Each feed's folder, file-name pattern, raw tables, release calendar, size limit and
description live here; the loader, the Dagster assets, the sensors, the schedules and the
name parser read them from this module. The dbt sources (``_customs__sources.yml``,
``_corridor__sources.yml``) declare the same raw tables for dbt; a test holds them to this.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MiB = 1 << 20
GiB = 1 << 30


@dataclass(frozen=True)
class Feed:
    name: str
    description: str
    # The file name inside the feed's folder, with named groups month, vintage (and flow).
    # re.ASCII: \d would otherwise match full-width and other Unicode digits, which int() reads.
    file_pattern: re.Pattern
    # The raw tables a file's rows go to, all at once, with what each holds.
    raw_tables: dict[str, str]
    # Day of the following month by which a month's files are due (Asia/Shanghai).
    deadline_day: int
    # Customs publishes January-February together from 2020 (landing contract, "Periods").
    customs_periods: bool
    # A larger file is refused before it is hashed or parsed (reason code `oversized`).
    max_file_bytes: int

    @property
    def folder(self) -> str:
        """The feed's folder under the landing root (and under the quarantine)."""
        return self.name


FEEDS: dict[str, Feed] = {
    feed.name: feed
    for feed in (
        Feed(
            name="customs_bulletin",
            description="Chongqing Customs' monthly statistical bulletin (.xlsx, five sheets), "
            "released around the 20th of the following month.",
            file_pattern=re.compile(r"cq_bulletin_(?P<month>\d{4}-\d{2})_(?P<vintage>\d{8})\.xlsx", re.ASCII),
            raw_tables={
                "bulletin_totals": "Bulletin sheet 总值表: total, exports, imports in yuan and US dollars, "
                "month and year to date.",
                "bulletin_partners": "Bulletin sheet 国别地区: every partner, continent and group row, per flow, in yuan.",
                "bulletin_commodities": "Bulletin sheets 主要出口商品 / 主要进口商品: quantities and values, "
                "其中 and * rows marked.",
                "bulletin_trade_modes": "Bulletin sheet 贸易方式: values per trade mode and flow, in yuan.",
            },
            deadline_day=25,
            customs_periods=True,
            # A real bulletin is well under 1 MB.
            max_file_bytes=20 * MiB,
        ),
        Feed(
            name="customs_detail",
            description="Chongqing Customs' detailed extract per period and flow (GB18030 CSV): "
            "HS code x partner x trade mode x province.",
            file_pattern=re.compile(
                r"cq_detail_(?P<month>\d{4}-\d{2})_(?P<flow>export|import)_(?P<vintage>\d{8})\.csv", re.ASCII
            ),
            raw_tables={
                "customs_detail": "The detail extract: one row per period, flow, HS code, partner, trade mode "
                "and province.",
            },
            deadline_day=28,
            customs_periods=True,
            # Room for a national extract of a month (tens of millions of rows a year).
            max_file_bytes=4 * GiB,
        ),
        Feed(
            name="corridor_trains",
            description="The corridor operator's train log (UTF-8 CSV): one row per train departure.",
            file_pattern=re.compile(r"trains_(?P<month>\d{4}-\d{2})_(?P<vintage>\d{8})\.csv", re.ASCII),
            raw_tables={"corridor_trains": "The train log: one row per train departure."},
            deadline_day=10,
            customs_periods=False,
            # A month is a few hundred trains, some kilobytes.
            max_file_bytes=64 * MiB,
        ),
    )
}


def feed_named(name: str) -> Feed:
    """The feed of that name; KeyError names the known feeds."""
    try:
        return FEEDS[name]
    except KeyError:
        raise KeyError(f"unknown feed {name!r} (known: {', '.join(FEEDS)})") from None


def all_raw_tables() -> tuple[str, ...]:
    """Every feed's raw tables, in registry order."""
    return tuple(table for feed in FEEDS.values() for table in feed.raw_tables)
