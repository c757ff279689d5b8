"""The upstream release calendar: which month each feed should have delivered by a date.

Customs releases the bulletin around the 20th of the following month and the detail
extract a few days later; the corridor operator sends its train log early in the month.
A feed is late when the latest month whose deadline has passed is not in the warehouse.
"""

from __future__ import annotations

from datetime import date

from orchestration.feeds import FEEDS
from orchestration.periods import add_months, is_customs_period


def expected_month(feed: str, today: date) -> date:
    """The latest reference month of ``feed`` whose deadline is before ``today``."""
    this_month = date(today.year, today.month, 1)
    month = add_months(this_month, -1 if today.day > FEEDS[feed].deadline_day else -2)
    if FEEDS[feed].customs_periods and not is_customs_period(month):
        month = add_months(month, -1)  # January (from 2020) is delivered inside February
    return month


def previous_month(today: date) -> date:
    """The reference month a release-day run in ``today``'s month is about."""
    return add_months(date(today.year, today.month, 1), -1)
