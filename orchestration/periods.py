"""Reporting periods of Chongqing Customs.

A period is named by its reference month, the month in the file name. Up to 2019 every
month is its own period. From 2020 customs publishes January and February together: the
period named ``YYYY-02`` covers both months and there is no ``YYYY-01`` customs period.
The corridor train log is not affected: it always has one file per calendar month.
"""

from __future__ import annotations

import calendar
import os
from datetime import date

FIRST_COMBINED_JAN_FEB_YEAR = 2020


def parse_month(key: str) -> date:
    """'2021-11' -> date(2021, 11, 1); raises ValueError on anything else."""
    year, month = key.split("-")
    if len(year) != 4 or len(month) != 2:
        raise ValueError(f"not a YYYY-MM month: {key!r}")
    return date(int(year), int(month), 1)


def month_key(month: date) -> str:
    return f"{month.year:04d}-{month.month:02d}"


# The warehouse's first month, the start of its partitions: a file named for an earlier one
# is refused (``before_first_month``).
FIRST_MONTH = parse_month(os.environ.get("WAREHOUSE_FIRST_MONTH", "2017-01"))


def run_month(reference_month: date) -> date:
    """The partition whose run decides on a file of ``reference_month``: its own, or the first
    month for a file named before it, so such a file is refused there and never asks for a
    partition that does not exist."""
    return max(reference_month, FIRST_MONTH)


def add_months(month: date, n: int) -> date:
    index = month.year * 12 + month.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


def month_end(month: date) -> date:
    return date(month.year, month.month, calendar.monthrange(month.year, month.month)[1])


def months_in_customs_period(reference_month: date) -> int:
    """2 for a combined January-February period, else 1."""
    combined = reference_month.year >= FIRST_COMBINED_JAN_FEB_YEAR and reference_month.month == 2
    return 2 if combined else 1


def is_customs_period(reference_month: date) -> bool:
    """False for January from 2020 on: it is published inside the YYYY-02 period."""
    return not (reference_month.year >= FIRST_COMBINED_JAN_FEB_YEAR and reference_month.month == 1)


def customs_period_bounds(reference_month: date) -> tuple[date, date]:
    """First and last day of the customs period named by ``reference_month``."""
    start = add_months(reference_month, 1 - months_in_customs_period(reference_month))
    return start, month_end(reference_month)


def customs_periods(first: date, last: date) -> list[date]:
    """Reference months of every customs period from ``first`` to ``last`` inclusive."""
    months, month = [], first
    while month <= last:
        if is_customs_period(month):
            months.append(month)
        month = add_months(month, 1)
    return months


def month_header(reference_month: date) -> str:
    """The month column's header text: '11月', or '1-2月' for a combined period."""
    return "1-2月" if months_in_customs_period(reference_month) == 2 else f"{reference_month.month}月"


def cumulative_header(reference_month: date) -> str:
    """The cumulative column's header text: '1至11月', or '1至2月' for January-February."""
    return f"1至{reference_month.month}月"


def period_label(start: date, end: date) -> str:
    """A period in words: 'November 2021', 'January-February 2021'."""
    if start.month == end.month:
        return f"{calendar.month_name[end.month]} {end.year}"
    return f"{calendar.month_name[start.month]}-{calendar.month_name[end.month]} {end.year}"


def year_to_date_label(end: date) -> str:
    """'January-November 2021'; a whole year is just '2021'."""
    return str(end.year) if end.month == 12 else period_label(date(end.year, 1, 1), end)


def axis_label(start: date, months: int) -> str:
    """A period on a chart's axis: 'Nov 21', 'Jan-Feb 21'."""
    return f"{start:%b}{'-Feb' if months == 2 else ''} {start:%y}"
