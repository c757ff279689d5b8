"""Why a landing file is refused.

Every refusal carries a short, stable ``reason`` code (recorded in raw.load_audit) and a
message for the person who opens the quarantined file: what is wrong and where.
"""

from __future__ import annotations

REASONS = frozenset(
    {
        "unreadable",  # not a readable workbook / not valid GB18030 or UTF-8
        "wrong_layout",  # sheets, headers, columns or row structure differ from the contract
        "internal_sums",  # the file's own totals do not add up beyond rounding
        "future_period",  # the period has not ended yet
        "early_vintage",  # released on or before the last day of its period
        "china_laos_before_opening",  # a China-Laos train before 2021-12-03
        "negative_value",  # a negative value, quantity or count
        "wrong_period",  # rows (or the name) belong to another period
        "bad_value",  # a cell that should hold a number, code or timestamp does not
        "unsafe_file",  # a symbolic link in the landing zone: never followed
        "oversized",  # beyond the feed's size limit, a line beyond its length limit, or a zip bomb
    }
)


class ContractViolation(Exception):
    """The file breaks the landing contract and must be refused whole."""

    def __init__(self, reason: str, message: str) -> None:
        if reason not in REASONS:
            raise ValueError(f"unknown refusal reason {reason!r}")
        super().__init__(f"{reason}: {message}")
        self.reason = reason
        self.message = message


class UnknownFileName(ValueError):
    """The file name matches no feed's pattern: report it and leave the file alone."""
