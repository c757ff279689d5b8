"""Reading a bulletin sheet's cells: numbers as published, headers, data-row extent.

Every helper names the sheet and cell it complains about, so a refusal can be acted on
without opening the file in a debugger.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from openpyxl.utils import get_column_letter

from orchestration.parsing.errors import ContractViolation
from orchestration.parsing.tolerances import IMPLAUSIBLE_VALUE
from orchestration.parsing.units import MILLION

NO_VALUE = "-"
FOOTNOTE_PREFIX = "注："
# A number typed as text: ASCII digits, sign and decimal point only. Decimal() would also
# read full-width digits and "1_000"; thousands separators are refused, never guessed.
PLAIN_NUMBER = re.compile(r"[-+]?[0-9]+(\.[0-9]+)?", re.ASCII)


@dataclass(frozen=True)
class Sheet:
    name: str
    rows: list[tuple]  # rows[i] is Excel row i + 1, as plain cell values
    merged: tuple[tuple[int, int, str], ...] = ()  # merged ranges: (first row, last row, "A5:B6")

    def cell(self, row: int, col: int):
        """Value at 1-based (row, col); None outside the written area."""
        if row > len(self.rows):
            return None
        values = self.rows[row - 1]
        return values[col - 1] if col <= len(values) else None

    def where(self, row: int, col: int | None = None) -> str:
        if col is None:
            return f"sheet {self.name} row {row}"
        return f"sheet {self.name} cell {get_column_letter(col)}{row}"


def text(value) -> str:
    """A cell as trimmed text; str.strip also removes the U+3000 indentation."""
    if value is None:
        return ""
    return str(value).strip()


def is_blank(values: tuple) -> bool:
    return all(text(v) == "" for v in values)


def _number(sheet: Sheet, row: int, col: int) -> Decimal | None:
    """The cell as an exact Decimal of what is printed; None for '-' or an empty cell."""
    value = sheet.cell(row, col)
    if isinstance(value, bool):  # bool is an int subclass: reject it before the int branch
        raise ContractViolation("bad_value", f"{sheet.where(row, col)}: expected a number, found {value!r}")
    if isinstance(value, (int, float)):
        # repr of a float is the shortest text that reads back to it, i.e. what Excel shows
        raw = repr(value)
    else:
        raw = text(value)
        if raw in ("", NO_VALUE):
            return None
        if not PLAIN_NUMBER.fullmatch(raw):
            raise ContractViolation(
                "bad_value",
                f"{sheet.where(row, col)}: expected a number, found {value!r} "
                "(only plain ASCII digits: no thousands separators or full-width digits)",
            )
    try:
        number = Decimal(raw)
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite():
        raise ContractViolation("bad_value", f"{sheet.where(row, col)}: expected a number, found {value!r}")
    return number


def amount(sheet: Sheet, row: int, col: int, scale: Decimal) -> Decimal | None:
    """A non-negative, plausible money amount converted to yuan / US dollars by the sheet's unit."""
    number = _number(sheet, row, col)
    if number is None:
        return None
    if number < 0:
        raise ContractViolation("negative_value", f"{sheet.where(row, col)}: negative value {number}")
    currency = "USD" if scale == MILLION else "CNY"  # 百万美元 is the only dollar unit printed
    if number * scale > IMPLAUSIBLE_VALUE[currency]:
        raise ContractViolation(
            "implausible_value",
            f"{sheet.where(row, col)}: {number} is {number * scale:,.0f} {currency}, more than any real figure "
            f"({IMPLAUSIBLE_VALUE[currency]:,.0f}); check the unit line and the cell",
        )
    return number * scale


def quantity(sheet: Sheet, row: int, col: int) -> float | None:
    number = _number(sheet, row, col)
    if number is None:
        return None
    if number < 0:
        raise ContractViolation("negative_value", f"{sheet.where(row, col)}: negative quantity {number}")
    return float(number)


def percent(sheet: Sheet, row: int, col: int) -> float | None:
    """A growth rate in percent; negative rates are ordinary."""
    number = _number(sheet, row, col)
    return None if number is None else float(number)


def expect_row(sheet: Sheet, row: int, expected: list[str]) -> None:
    """The row's cells must read exactly ``expected`` ('' for an empty cell), nothing after."""
    width = max(len(expected), len(sheet.rows[row - 1]) if row <= len(sheet.rows) else 0)
    for col in range(1, width + 1):
        want = expected[col - 1] if col <= len(expected) else ""
        found = text(sheet.cell(row, col))
        if found != want:
            raise ContractViolation(
                "wrong_layout",
                f"{sheet.where(row, col)}: expected {want!r}, found {found!r}"
                f" (row {row} should read {' | '.join(expected)})",
            )


def data_rows(sheet: Sheet, first_row: int) -> list[int]:
    """Row numbers of the data block: from ``first_row`` to the first blank or 注： row.

    After the block only blank rows and footnotes may follow.
    """
    rows: list[int] = []
    ended = False
    for row in range(first_row, len(sheet.rows) + 1):
        values = sheet.rows[row - 1]
        footnote = text(sheet.cell(row, 1)).startswith(FOOTNOTE_PREFIX)
        if is_blank(values) or footnote:
            ended = True
        elif ended:
            raise ContractViolation(
                "wrong_layout",
                f"{sheet.where(row)}: unexpected content after the data block "
                f"(only blank rows and 注： footnotes may follow): {text(sheet.cell(row, 1))!r}",
            )
        else:
            rows.append(row)
    if not rows:
        raise ContractViolation("wrong_layout", f"sheet {sheet.name}: no data rows from row {first_row}")
    for top, bottom, cells in sheet.merged:
        if top <= rows[-1] and bottom >= rows[0]:
            raise ContractViolation(
                "merged_cells",
                f"sheet {sheet.name} cells {cells} are merged inside the data rows {rows[0]}-{rows[-1]}: "
                "every cell of the data area must hold its own plain value; unmerge them and fill each cell",
            )
    return rows
