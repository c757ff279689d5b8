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
        "before_first_month",  # the period is before the warehouse's first month (WAREHOUSE_FIRST_MONTH)
        "early_vintage",  # released on or before the last day of its period
        "china_laos_before_opening",  # a China-Laos train before 2021-12-03
        "negative_value",  # a negative value, quantity or count
        "wrong_period",  # rows (or the name) belong to another period
        "bad_value",  # a cell that should hold a number, code or timestamp does not
        "unsafe_file",  # a symbolic link in the landing zone: never followed
        "oversized",  # beyond the feed's size limit, a line beyond its length limit, or a zip bomb
        "formula",  # a workbook cell holds a formula, not a plain value
        "merged_cells",  # merged cells in a sheet's data rows
        "implausible_value",  # an amount larger than any real figure (a typing or unit error)
        "duplicate_record",  # the same record twice at the feed's grain, or held by another file of the feed
        "not_in_reference",  # a partner, commodity or trade mode the reference data (a dbt seed) does not know
        "future_vintage",  # a vintage (release date) after the day the file arrives (Asia/Shanghai)
        "wrong_encoding",  # an extract not in GB18030, or with a byte-order mark
        "no_rows",  # a header and nothing else: it would correct nothing in the marts
        "contradicts_bulletin",  # a detail extract's sum off its loaded bulletin beyond the contract's tolerance
        "lake_unwritable",  # not the file's fault: its rows could not be written to the lake (a full disk)
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
    """The file name matches no feed's pattern in its folder: report it and leave the file alone.

    ``reason``: ``wrong_folder`` (another feed's file name), ``name_case`` (a feed's pattern
    in other letter case, e.g. ``.XLSX``) or ``unknown_name``.
    """

    def __init__(self, message: str, reason: str = "unknown_name") -> None:
        super().__init__(message)
        self.reason = reason
