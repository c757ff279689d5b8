"""Landing file names: which feed, period, flow and vintage a file claims to be.

The name is the only place the period and the release date are stated, so it is parsed
strictly; anything that does not match a feed's pattern is an unknown file, not a bad one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import PurePosixPath

from orchestration.feeds import FEEDS
from orchestration.parsing.errors import ContractViolation, UnknownFileName
from orchestration.periods import FIRST_MONTH, is_customs_period, month_end, month_key, parse_month

_FLOWS = {"export": "exports", "import": "imports"}


@dataclass(frozen=True)
class LandingName:
    feed: str
    reference_month: date  # first day of the month named in the file
    vintage: date
    flow: str | None  # 'exports' | 'imports' for the detail extract, else None


def parse_landing_name(feed: str, file_name: str) -> LandingName:
    """Parse ``file_name`` (bare, or relative to the landing root) as a file of ``feed``."""
    if feed not in FEEDS:
        raise UnknownFileName(f"unknown feed {feed!r} (known: {', '.join(FEEDS)})")
    pattern = FEEDS[feed].file_pattern
    path = PurePosixPath(file_name)
    if path.parent != PurePosixPath(".") and path.parent != PurePosixPath(feed):
        raise UnknownFileName(f"{file_name!r} is not in the {feed}/ folder")
    match = pattern.fullmatch(path.name)
    if match is None:
        raise _no_match(feed, path.name)
    try:
        reference_month = parse_month(match["month"])
        vintage = datetime.strptime(match["vintage"], "%Y%m%d").date()
    except ValueError as exc:
        raise UnknownFileName(f"{path.name!r}: {exc}") from None
    flow = _FLOWS[match["flow"]] if "flow" in pattern.groupindex else None
    return LandingName(feed=feed, reference_month=reference_month, vintage=vintage, flow=flow)


def unknown_name_reason(feed: str, file_name: str) -> str:
    """What is wrong with the name of a file in ``feed``'s folder that is no file of it."""
    try:
        parse_landing_name(feed, file_name)
    except UnknownFileName as exc:
        return f"{exc.reason}: {exc}"
    return "a valid name"


def _no_match(feed: str, name: str) -> UnknownFileName:
    """Why ``name`` is no file of ``feed``, named for what it is."""
    patterns = {other: registered.file_pattern for other, registered in FEEDS.items()}
    for other, pattern in patterns.items():
        if other != feed and pattern.fullmatch(name):
            return UnknownFileName(
                f"{name!r} is a {other} file name in the {feed}/ folder: move it to {other}/", "wrong_folder"
            )
    for other, pattern in patterns.items():
        if pattern.fullmatch(name.lower()):
            elsewhere = "" if other == feed else f" and move it to {other}/"
            return UnknownFileName(
                f"{name!r} differs from the {other} name pattern only in letter case: "
                f"rename it {name.lower()!r}{elsewhere}",
                "name_case",
            )
    return UnknownFileName(f"{name!r} does not match the {feed} name pattern")


def check_release_dates(name: LandingName, today: date) -> None:
    """Refuse a period before the warehouse's first month, one customs does not publish, one not yet over, a premature vintage, or
    a vintage after ``today`` (Asia/Shanghai)."""
    label = f"{name.feed} {name.reference_month:%Y-%m}"
    if name.reference_month < FIRST_MONTH:
        raise ContractViolation(
            "before_first_month",
            f"{label}: the warehouse starts at {month_key(FIRST_MONTH)} (WAREHOUSE_FIRST_MONTH); "
            "it holds no earlier period",
        )
    if FEEDS[name.feed].customs_periods and not is_customs_period(name.reference_month):
        raise ContractViolation(
            "wrong_period",
            f"{label}: from 2020 January is published inside the "
            f"{name.reference_month.year}-02 period; there is no January file",
        )
    # A customs period (even January-February) and a train month both end with the named month.
    last_day = month_end(name.reference_month)
    if last_day >= today:
        raise ContractViolation(
            "future_period", f"{label}: the period ends on {last_day}, which is not before today ({today})"
        )
    if name.vintage <= last_day:
        raise ContractViolation(
            "early_vintage",
            f"{label}: vintage {name.vintage} is on or before the period's last day {last_day}",
        )
    if name.vintage > today:
        raise ContractViolation(
            "future_vintage",
            f"{label}: vintage {name.vintage} is after today ({today}, Asia/Shanghai): "
            "a file cannot be released in the future; correct the date in its name",
        )
