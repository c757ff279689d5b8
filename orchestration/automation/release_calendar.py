"""The upstream release calendar: which month each feed should have delivered by a date.

Customs releases the bulletin around the 20th of the following month and the detail
extract a few days later; the corridor operator sends its train log early in the month.
A feed is late when the latest month whose deadline has passed is not in the warehouse.
"""

from __future__ import annotations

from datetime import date, timedelta

from orchestration.feeds import FEEDS
from orchestration.periods import add_months, is_customs_period

# Customs releases from about the 18th; by the end of the latest deadline day every feed of
# last month is due, and so is its publication.
FIRST_RELEASE_DAY = 18
LAST_DEADLINE_DAY = max(feed.deadline_day for feed in FEEDS.values())
# Cron of that moment (minute, hour, day of month; Asia/Shanghai): every month has a 28th.
PUBLICATION_DEADLINE_CRON = f"59 23 {LAST_DEADLINE_DAY} * *"
# A publication counts for the month when it was made from the first release day on.
PUBLICATION_WINDOW = timedelta(days=LAST_DEADLINE_DAY - FIRST_RELEASE_DAY, hours=23, minutes=59)


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
