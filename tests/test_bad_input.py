"""Bad input beyond the contract's own list: damaged, hostile and misplaced files.

Each case crafts one bad file from generated good ones, drops it into a landing zone
beside the good files and ingests the zone the way the Dagster asset does (every file
``landing_files`` lists, through ``RawLoader.load``); files the listing skips (unknown
names, symlinks, paths outside the zone) are also handed to the loader directly, as a
careless caller might. Every case asserts the reason code and its words, that no row of
the bad file reaches raw, that the good files still load, and (through a Python audit
hook) that nothing under the test folder outside landing/ and quarantine/ was opened,
moved or written.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import sys
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import openpyxl
import pytest

from orchestration.ingest import landing_guard
from orchestration.feeds import FEEDS, all_raw_tables
from orchestration.ingest.landing_zone import landing_files
from orchestration.ingest.loader import RawLoader
from orchestration.parsing import bulletin as bulletin_parser
from orchestration.parsing.detail_extract import SOURCE_ENCODING
from tests.support import landing_factory as factory
from tests.support.lake_checks import assert_lake_matches_audit
from tests.support.reliability_helpers import new_chain, refresh
from tools.sample_data import generate

MONTH = date(2021, 11, 1)
TODAY = date(2021, 12, 28)  # after every 2021-11 release, before 2021-12 has ended
GOOD_BULLETIN = "customs_bulletin/cq_bulletin_2021-11_20211220.xlsx"
GOOD_EXPORTS = "customs_detail/cq_detail_2021-11_export_20211225.csv"
GOOD_TRAINS = "corridor_trains/trains_2021-11_20211205.csv"
# A later vintage of the same file: the name is valid, so only the content is judged.
LATER_BULLETIN = "customs_bulletin/cq_bulletin_2021-11_20211228.xlsx"
LATER_EXPORTS = "customs_detail/cq_detail_2021-11_export_20211227.csv"
LATER_TRAINS = "corridor_trains/trains_2021-11_20211227.csv"


# --- what a test may touch ---------------------------------------------------------------

_touched: list[tuple[str, str]] | None = None


def _record_paths(event: str, args: tuple) -> None:
    if _touched is None:
        return
    for arg in args:
        if isinstance(arg, (str, bytes, os.PathLike)):
            try:
                _touched.append((event, os.fsdecode(arg)))
            except TypeError:
                pass


sys.addaudithook(_record_paths)  # hooks cannot be removed; it records only while _touched is set


@dataclass
class Ingest:
    con: duckdb.DuckDBPyConnection
    outcomes: dict[str, object]  # relative name (or the path handed in) -> FileOutcome
    touched: list[tuple[str, str]]  # (audit event, path) while ingesting


@pytest.fixture
def zone(tmp_path, november_sample) -> Path:
    """tmp_path/landing with the good 2021-11 files, tmp_path/outside with a bystander."""
    factory.copy_tree(november_sample, tmp_path / "landing")
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "bystander.txt").write_text("not part of the landing zone")
    return tmp_path


def ingest(root: Path, extra: tuple[Path, ...] = ()) -> Ingest:
    global _touched
    con = duckdb.connect()
    loader = RawLoader(con, root / "landing", root / "quarantine", TODAY, root / "lake")
    outcomes, touched = {}, []
    _touched = touched
    try:
        for feed in FEEDS:  # as the raw assets do: every file of a feed in one call
            files = landing_files(root / "landing", feed)
            outcomes.update((f"{feed}/{path.name}", outcome) for path, outcome in zip(files, loader.load_all(files)))
        for path in extra:
            outcomes[str(path)] = loader.load(path)
    finally:
        _touched = None
    return Ingest(con, outcomes, touched)


def tree(root: Path, skip: tuple[str, ...] = ("landing", "quarantine", "lake")) -> dict[str, tuple]:
    """Every entry under root outside the skipped folders: bytes and mtime, links not followed."""
    found = {}
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if relative.parts[0] in skip:
            continue
        info = path.lstat()
        content = os.readlink(path) if path.is_symlink() else (path.read_bytes() if path.is_file() else None)
        found[str(relative)] = (content, info.st_mtime_ns, info.st_mode)
    return found


def assert_stayed_inside(root: Path, result: Ingest) -> None:
    allowed = (root / "landing", root / "quarantine", root / "lake")
    strays = [
        (event, path)
        for event, path in result.touched
        if Path(path).is_relative_to(root) and not any(Path(path).is_relative_to(a) for a in allowed)
    ]
    assert not strays, strays


def raw_rows_from(con: duckdb.DuckDBPyConnection, relative: str) -> int:
    tables = set(all_raw_tables())
    return sum(
        con.execute(f"SELECT count(*) FROM raw.{table} WHERE source_file = ?", [relative]).fetchone()[0]
        for table in tables
    )


def assert_good_files_loaded(result: Ingest) -> None:
    for relative in (GOOD_BULLETIN, GOOD_EXPORTS, GOOD_TRAINS):
        outcome = result.outcomes[relative]
        assert outcome.status == "loaded", outcome
        assert outcome.rows_loaded > 0 and raw_rows_from(result.con, relative) == outcome.rows_loaded


# --- crafting bad files from good ones -------------------------------------------------------


def write_workbook(zone: Path, relative: str, change: Callable[[openpyxl.Workbook], None],
                   source: str = GOOD_BULLETIN) -> Path:
    workbook = openpyxl.load_workbook(zone / "landing" / source)
    change(workbook)
    target = zone / "landing" / relative
    workbook.save(target)
    return target


def rewrite_csv(zone: Path, source: str, target: str, encoding: str, change: Callable[[list[list[str]]], None],
                out_encoding: str | None = None) -> Path:
    text = (zone / "landing" / source).read_bytes().decode(encoding)
    rows = list(csv.reader(io.StringIO(text, newline="")))
    change(rows)
    buffer = io.StringIO(newline="")
    csv.writer(buffer, lineterminator="\r\n" if encoding == SOURCE_ENCODING else "\n").writerows(rows)
    path = zone / "landing" / target
    path.write_bytes(buffer.getvalue().encode(out_encoding or encoding))
    return path


def set_field(row: int, column: int, value: str) -> Callable[[list[list[str]]], None]:
    def change(rows: list[list[str]]) -> None:
        rows[row][column] = value

    return change


def cut_after_field(data: bytes, line: int, fields: int) -> bytes:
    """The bytes up to and including the comma after ``fields`` fields of line ``line`` (0-based)."""
    start = 0
    for _ in range(line):
        start = data.index(b"\n", start) + 1
    end = start
    for _ in range(fields):
        end = data.index(b",", end) + 1
    return data[:end]


def zip_with_bomb(zone: Path, relative: str, member_bytes: int) -> Path:
    """The good workbook's members plus one highly compressible member of ``member_bytes``."""
    target = zone / "landing" / relative
    with zipfile.ZipFile(zone / "landing" / GOOD_BULLETIN) as good, zipfile.ZipFile(
        target, "w", zipfile.ZIP_DEFLATED
    ) as bomb:
        for member in good.infolist():
            bomb.writestr(member, good.read(member))
        bomb.writestr("xl/media/padding.xml", b"0" * member_bytes)
    return target


# --- refused whole, with a specific reason ------------------------------------------------


@dataclass(frozen=True)
class Case:
    relative: str
    craft: Callable[[Path], Path]
    reason: str
    words: str


def _bytes(relative: str, make: Callable[[Path], bytes]) -> Callable[[Path], Path]:
    def craft(zone: Path) -> Path:
        data = make(zone)
        path = zone / "landing" / relative
        path.write_bytes(data)
        return path

    return craft


def _good(zone: Path, relative: str) -> bytes:
    return (zone / "landing" / relative).read_bytes()


REFUSED = {
    "zero-byte workbook": Case(LATER_BULLETIN, _bytes(LATER_BULLETIN, lambda z: b""),
                               "unreadable", "the file is empty (0 bytes)"),
    "zero-byte extract": Case(LATER_EXPORTS, _bytes(LATER_EXPORTS, lambda z: b""),
                              "unreadable", "the file is empty (0 bytes)"),
    "truncated workbook": Case(
        LATER_BULLETIN, _bytes(LATER_BULLETIN, lambda z: _good(z, GOOD_BULLETIN)[: len(_good(z, GOOD_BULLETIN)) // 2]),
        "unreadable", "not an .xlsx workbook: the file is not a zip archive"),
    "truncated extract": Case(
        LATER_EXPORTS, _bytes(LATER_EXPORTS, lambda z: cut_after_field(_good(z, GOOD_EXPORTS), 50, 3)),
        "unreadable", "truncated: the file ends inside line 51, without a line end"),
    "truncated train log": Case(
        LATER_TRAINS, _bytes(LATER_TRAINS, lambda z: cut_after_field(_good(z, GOOD_TRAINS), 20, 4)),
        "wrong_layout", "expected 10 fields, found 5"),
    "a train log named .xlsx": Case(LATER_BULLETIN, _bytes(LATER_BULLETIN, lambda z: _good(z, GOOD_TRAINS)),
                                    "unreadable", "the file is not a zip archive"),
    "zip bomb, total size": Case(
        LATER_BULLETIN, lambda z: zip_with_bomb(z, LATER_BULLETIN, 60 * 1024 * 1024),
        "oversized", "more than the limit of 52,428,800 bytes (possible zip bomb); not decompressed"),
    "zip bomb, ratio": Case(
        LATER_BULLETIN, lambda z: zip_with_bomb(z, LATER_BULLETIN, 5 * 1024 * 1024),
        "oversized", "zip member 'xl/media/padding.xml' inflates"),
    "sheet missing": Case(LATER_BULLETIN, lambda z: write_workbook(z, LATER_BULLETIN, lambda wb: wb.remove(wb["贸易方式"])),
                          "wrong_layout", "missing: 贸易方式; unexpected: none"),
    "sheet renamed": Case(
        LATER_BULLETIN,
        lambda z: write_workbook(z, LATER_BULLETIN, lambda wb: setattr(wb["贸易方式"], "title", "贸易方式表")),
        "wrong_layout", "missing: 贸易方式; unexpected: 贸易方式表"),
    "extra column": Case(
        LATER_BULLETIN,
        lambda z: write_workbook(z, LATER_BULLETIN, lambda wb: wb["总值表"].cell(3, 7, "备注")),
        "wrong_layout", "sheet 总值表 cell G3: expected '', found '备注'"),
    "thousands separator in a workbook cell": Case(
        LATER_BULLETIN,
        lambda z: write_workbook(z, LATER_BULLETIN, lambda wb: wb["国别地区"].cell(5, 2, "7,695,000")),
        "bad_value", "sheet 国别地区 cell B5: expected a number, found '7,695,000'"),
    "full-width digits in a workbook cell": Case(
        LATER_BULLETIN,
        lambda z: write_workbook(z, LATER_BULLETIN, lambda wb: wb["国别地区"].cell(5, 2, "７６９５０００")),
        "bad_value", "sheet 国别地区 cell B5: expected a number, found '７６９５０００'"),
    "extract in UTF-8": Case(
        LATER_EXPORTS,
        lambda z: rewrite_csv(z, GOOD_EXPORTS, LATER_EXPORTS, SOURCE_ENCODING, lambda rows: None, "utf-8"),
        "wrong_encoding", "the header is UTF-8 encoded; the extract must be delivered in GB18030"),
    "extract with a wrong header": Case(
        LATER_EXPORTS,
        lambda z: rewrite_csv(z, GOOD_EXPORTS, LATER_EXPORTS, SOURCE_ENCODING, set_field(0, 13, "人民币元")),
        "wrong_layout", "line 1: expected the header"),
    "train log with a wrong header": Case(
        LATER_TRAINS,
        lambda z: rewrite_csv(z, GOOD_TRAINS, LATER_TRAINS, "utf-8", set_field(0, 8, "cargo_value")),
        "wrong_layout", "line 1: expected the header"),
    "thousands separator in the extract": Case(
        LATER_EXPORTS,
        lambda z: rewrite_csv(z, GOOD_EXPORTS, LATER_EXPORTS, SOURCE_ENCODING, set_field(5, 13, "1,181,074")),
        "bad_value", "Line: 6: column value_cny (人民币) '1,181,074' is not a plain number"),
    "underscore separator in the extract": Case(
        LATER_EXPORTS,
        lambda z: rewrite_csv(z, GOOD_EXPORTS, LATER_EXPORTS, SOURCE_ENCODING, set_field(5, 9, "1_000")),
        "bad_value", "Line: 6: column quantity_1 (第一数量) '1_000' is not a plain number"),
    "more decimals than the warehouse keeps, in the extract": Case(
        LATER_EXPORTS,
        lambda z: rewrite_csv(z, GOOD_EXPORTS, LATER_EXPORTS, SOURCE_ENCODING, set_field(5, 13, "1181074.005")),
        "bad_value", "Line: 6: column value_cny (人民币) '1181074.005' is not a plain number (ASCII digits, "
        "optional sign and decimal point, at most 2 decimals"),
    "full-width digits in the extract": Case(
        LATER_EXPORTS,
        lambda z: rewrite_csv(z, GOOD_EXPORTS, LATER_EXPORTS, SOURCE_ENCODING, set_field(5, 14, "１８５１０８")),
        "bad_value", "Line: 6: column value_usd (美元) '１８５１０８' is not a plain number"),
    "thousands separator in the train log": Case(
        LATER_TRAINS,
        lambda z: rewrite_csv(z, GOOD_TRAINS, LATER_TRAINS, "utf-8", set_field(3, 8, "13,692,000")),
        "bad_value", "line 4: cargo_value_cny '13,692,000' is not a number"),
    "more decimals than the warehouse keeps, in the train log": Case(
        LATER_TRAINS,
        lambda z: rewrite_csv(z, GOOD_TRAINS, LATER_TRAINS, "utf-8", set_field(3, 8, "13692000.125")),
        "bad_value", "line 4: cargo_value_cny '13692000.125' is not a number (only plain ASCII digits, at most 2 decimals"),
    "full-width digits in the train log": Case(
        LATER_TRAINS,
        lambda z: rewrite_csv(z, GOOD_TRAINS, LATER_TRAINS, "utf-8", set_field(3, 8, "１３６９２０００")),
        "bad_value", "line 4: cargo_value_cny '１３６９２０００' is not a number"),
    "a period in the future": Case(
        "corridor_trains/trains_2021-12_20220105.csv",
        # other bytes than the good file (a trailing blank line), or it is a duplicate first
        _bytes("corridor_trains/trains_2021-12_20220105.csv", lambda z: _good(z, GOOD_TRAINS) + b"\n"),
        "future_period", "the period ends on 2021-12-31, which is not before today (2021-12-28)"),
    "loaded bytes under a future period's name": Case(
        # the name is judged before the bytes: not "duplicate: same bytes as" the good bulletin
        "customs_bulletin/cq_bulletin_2021-12_20211228.xlsx",
        _bytes("customs_bulletin/cq_bulletin_2021-12_20211228.xlsx", lambda z: _good(z, GOOD_BULLETIN)),
        "future_period", "the period ends on 2021-12-31, which is not before today (2021-12-28)"),
    "a period before the warehouse's first month": Case(
        "customs_bulletin/cq_bulletin_2012-11_20121220.xlsx",
        _bytes("customs_bulletin/cq_bulletin_2012-11_20121220.xlsx", lambda z: _good(z, GOOD_BULLETIN)),
        "before_first_month", "customs_bulletin 2012-11: the warehouse starts at 2017-01"),
}



# --- the door's content rules: one contract per feed (landing contract, "What a bad file is") ---


def set_cells(sheet: str, *cells: tuple[int, int, object]) -> Callable[[openpyxl.Workbook], None]:
    def change(workbook: openpyxl.Workbook) -> None:
        for row, col, value in cells:
            workbook[sheet].cell(row, col, value)

    return change


def merge(sheet: str, cells: str) -> Callable[[openpyxl.Workbook], None]:
    return lambda workbook: workbook[sheet].merge_cells(cells)


def retitle(workbook: openpyxl.Workbook) -> None:
    """Other bytes, same figures: the title row is not data."""
    workbook["总值表"].cell(1, 1).value += "（修订）"


def formula_with_cached_value(zone: Path, relative: str) -> Path:
    """The good workbook with 国别地区 B5 (总值 进出口) a formula whose cached result is the
    good value, as Excel saves it: openpyxl writes formulas without results, so the sheet
    XML is edited in the zip. A reader of cached values alone would load it unnoticed."""
    target = zone / "landing" / relative
    with zipfile.ZipFile(zone / "landing" / GOOD_BULLETIN) as good, zipfile.ZipFile(
        target, "w", zipfile.ZIP_DEFLATED
    ) as crafted:
        for member in good.infolist():
            data = good.read(member)
            if member.filename == "xl/worksheets/sheet2.xml":  # 国别地区, the second sheet
                text = data.decode()
                cell = text[text.index('<c r="B5"'):text.index("</c>", text.index('<c r="B5"')) + 4]
                value = cell[cell.index("<v>") + 3:cell.index("</v>")]
                data = text.replace(cell, f'<c r="B5"><f>SUM(B6,B20)</f><v>{value}</v></c>').encode()
            crafted.writestr(member, data)
    cached = openpyxl.load_workbook(target, data_only=True)["国别地区"]["B5"].value
    assert cached == openpyxl.load_workbook(zone / "landing" / GOOD_BULLETIN)["国别地区"]["B5"].value
    return target


def detail_rows_changed(change: Callable[[list[list[str]]], None]) -> Callable[[Path], Path]:
    return lambda z: rewrite_csv(z, GOOD_EXPORTS, LATER_EXPORTS, SOURCE_ENCODING, change)


def train_rows_changed(change: Callable[[list[list[str]]], None]) -> Callable[[Path], Path]:
    return lambda z: rewrite_csv(z, GOOD_TRAINS, LATER_TRAINS, "utf-8", change)


def repeat_grain(rows: list[list[str]]) -> None:
    """Line 7 takes line 6's HS code, partner, trade mode and province (names included)."""
    rows[6][1:9] = rows[5][1:9]


def repeat_train(rows: list[list[str]]) -> None:
    rows[2][0:2] = rows[1][0:2]


def off_the_bulletin(rows: list[list[str]]) -> None:
    """One percent of the extract's total added to line 6: ten times the contract's 0.1 percent."""
    rows[5][13] = str(int(rows[5][13]) + sum(int(row[13]) for row in rows[1:]) // 100)


OCTOBER_TRAINS = "corridor_trains/trains_2021-10_20211227.csv"


def october_log_with_a_november_train(zone: Path) -> Path:
    """An October log (vintage after the November log's, so it is loaded second) whose one
    train is the November log's first, its departure moved into October."""
    def change(rows: list[list[str]]) -> None:
        rows[1][2] = "2021-10-31T10:31:00+08:00"
        del rows[2:]

    return rewrite_csv(zone, GOOD_TRAINS, OCTOBER_TRAINS, "utf-8", change)


def header_only(relative: str, source: str) -> Callable[[Path], Path]:
    return _bytes(relative, lambda z: _good(z, source).split(b"\n", 1)[0] + b"\n")


REFUSED.update({
    "formula without a cached value": Case(
        LATER_BULLETIN, lambda z: write_workbook(z, LATER_BULLETIN, set_cells("国别地区", (5, 2, "=SUM(B6,B20)"))),
        "formula", "sheet 国别地区 cell B5 holds the formula '=SUM(B6,B20)'"),
    "formula with a cached value": Case(
        LATER_BULLETIN, lambda z: formula_with_cached_value(z, LATER_BULLETIN),
        "formula", "sheet 国别地区 cell B5 holds the formula '=SUM(B6,B20)'"),
    "merged cells in the data area": Case(
        LATER_BULLETIN, lambda z: write_workbook(z, LATER_BULLETIN, merge("国别地区", "B8:C8")),
        "merged_cells", "sheet 国别地区 cells B8:C8 are merged inside the data rows 5-"),
    "an implausibly large workbook value": Case(
        LATER_BULLETIN, lambda z: write_workbook(z, LATER_BULLETIN, set_cells("国别地区", (8, 2, 99_999_999_999))),
        "implausible_value", "sheet 国别地区 cell B8: 99999999999 is 999,999,999,990,000 CNY, more than any real figure"),
    "a workbook value beyond DECIMAL(20, 2)": Case(
        LATER_BULLETIN, lambda z: write_workbook(z, LATER_BULLETIN, set_cells("总值表", (4, 3, 10**13))),
        "implausible_value", "sheet 总值表 cell C4: 10000000000000 is"),
    "an implausibly large extract value": Case(
        LATER_EXPORTS, detail_rows_changed(set_field(5, 13, "999999999999999")),
        "implausible_value", "line 6: 人民币 or 美元 (人民币 999999999999999.00) on 1 row(s) is more than any real figure"),
    "an extract value beyond DECIMAL(20, 2)": Case(
        LATER_EXPORTS, detail_rows_changed(set_field(5, 13, "1000000000000000000")),
        "implausible_value", "Line: 6: column value_cny (人民币) '1000000000000000000' does not fit DECIMAL(20, 2): "
        "more than any real figure"),
    "an implausibly large cargo value": Case(
        LATER_TRAINS, train_rows_changed(set_field(3, 8, "999999999999999")),
        "implausible_value", "line 4: cargo_value_cny 999999999999999 is more than any real figure"),
    "wagons beyond INTEGER": Case(
        LATER_TRAINS, train_rows_changed(set_field(3, 6, "3000000000")),
        "bad_value", "line 4: wagons 3000000000 does not fit INTEGER"),
    "a partner row twice": Case(
        LATER_BULLETIN, lambda z: write_workbook(z, LATER_BULLETIN, set_cells("国别地区", (9, 1, "\u3000\u3000\u3000越南"))),
        "duplicate_record", "sheet 国别地区 cell A9: 越南 repeats row 8"),
    "a commodity row twice": Case(
        LATER_BULLETIN, lambda z: write_workbook(z, LATER_BULLETIN, set_cells("主要出口商品", (8, 1, "笔记本电脑"))),
        "duplicate_record", "sheet 主要出口商品 cell A8: 笔记本电脑 repeats row 7"),
    "a detail row twice at the extract's grain": Case(
        LATER_EXPORTS, detail_rows_changed(repeat_grain),
        "duplicate_record", "line 7 repeats line 6 at the extract's grain (202111, 商品编码"),
    "a train twice in one log": Case(
        LATER_TRAINS, train_rows_changed(repeat_train),
        "duplicate_record", "line 3: train_id"),
    "a train that another month's log holds": Case(
        OCTOBER_TRAINS, october_log_with_a_november_train,
        "duplicate_record", f"line 2: train_id 'RS2021110101' of ILSTC_RAIL_SEA is already held by {GOOD_TRAINS} line 2"),
    "an extract off its bulletin beyond 0.1 percent": Case(
        LATER_EXPORTS, detail_rows_changed(off_the_bulletin),
        "contradicts_bulletin", f"off the 48,550,000,000 yuan of {GOOD_BULLETIN}; the contract allows 0.1%"),
    "a partner the reference data does not know": Case(
        LATER_BULLETIN, lambda z: write_workbook(z, LATER_BULLETIN, set_cells("国别地区", (8, 1, "\u3000\u3000\u3000越南国"))),
        "not_in_reference", "sheet 国别地区 cell A8: the partner '越南国' is not in the reference data; "
        "if customs names it so, add it to dbt_project/seeds/ref_partners.csv"),
    "a commodity the reference data does not know": Case(
        LATER_BULLETIN, lambda z: write_workbook(z, LATER_BULLETIN, set_cells("主要出口商品", (7, 1, "笔记本电脑整机"))),
        "not_in_reference", "sheet 主要出口商品 cell A7: the exports commodity '笔记本电脑整机' is not in the reference "
        "data; if customs names it so, add it to dbt_project/seeds/ref_bulletin_commodities.csv"),
    "a partner code the reference data does not know": Case(
        LATER_EXPORTS, detail_rows_changed(set_field(5, 3, "999")),
        "not_in_reference", "line 6: field partner_code (贸易伙伴编码) '999' on 1 row(s) is no partner code the "
        "reference data knows; if customs uses it, add it to dbt_project/seeds/ref_partners.csv"),
    "a trade mode code the reference data does not know": Case(
        LATER_EXPORTS, detail_rows_changed(set_field(5, 5, "98")),
        "not_in_reference", "line 6: field trade_mode_code (贸易方式编码) '98' on 1 row(s) is no trade mode code "
        "the reference data knows; if customs uses it, add it to dbt_project/seeds/ref_trade_modes.csv"),
    "an HS code the reference data does not know": Case(
        LATER_EXPORTS, detail_rows_changed(set_field(5, 1, "99999999")),
        "not_in_reference", "line 6: field hs_code (商品编码) '99999999' on 1 row(s) is no HS code the reference "
        "data knows; if customs uses it, add it to dbt_project/seeds/ref_hs_codes.csv"),
    "a vintage after today": Case(
        "customs_bulletin/cq_bulletin_2021-11_20211229.xlsx",
        lambda z: write_workbook(z, "customs_bulletin/cq_bulletin_2021-11_20211229.xlsx", retitle),
        "future_vintage", "customs_bulletin 2021-11: vintage 2021-12-29 is after today (2021-12-28, Asia/Shanghai)"),
    "a train log correction with no rows": Case(
        LATER_TRAINS, header_only(LATER_TRAINS, GOOD_TRAINS),
        "no_rows", f"the file holds its header and no rows: as a correction it would not replace {GOOD_TRAINS} "
        f"in the marts, which read the latest vintage with rows; {GOOD_TRAINS} stays in force"),
    "an extract correction with no rows": Case(
        LATER_EXPORTS, header_only(LATER_EXPORTS, GOOD_EXPORTS),
        "no_rows", f"as a correction it would not replace {GOOD_EXPORTS} in the marts"),
    "a NUL before a train_id": Case(
        LATER_TRAINS, train_rows_changed(lambda rows: rows[1].__setitem__(0, "\x00" + rows[1][0])),
        "bad_value", "line 2: train_id holds the control character U+0000 at position 1"),
    "a NUL as the cargo text": Case(
        LATER_TRAINS, train_rows_changed(set_field(3, 9, "\x00")),
        "bad_value", "line 4: cargo holds the control character U+0000 at position 1"),
    "an escape character in an origin": Case(
        LATER_TRAINS, train_rows_changed(lambda rows: rows[3].__setitem__(3, rows[3][3] + "\x1b")),
        "bad_value", "line 4: origin holds the control character U+001B"),
    "an empty cargo value": Case(
        LATER_TRAINS, train_rows_changed(set_field(3, 8, "")),
        "bad_value", "line 4: cargo_value_cny is empty; every train has it"),
    "an empty teu": Case(
        LATER_TRAINS, train_rows_changed(set_field(3, 7, "")),
        "bad_value", "line 4: teu is empty; every train has it"),
    "a NUL at the start of an extract line": Case(
        LATER_EXPORTS, detail_rows_changed(lambda rows: rows[5].__setitem__(0, "\x00" + rows[5][0])),
        "bad_value", "数据年月 holds a control character (U+0000-U+001F or U+007F) on 1 row(s), e.g. line 6 ('\\x00202111')"),
    "a NUL as a commodity name in the extract": Case(
        LATER_EXPORTS, detail_rows_changed(set_field(5, 2, "\x00")),
        "bad_value", "商品名称 holds a control character (U+0000-U+001F or U+007F) on 1 row(s), e.g. line 6 ('\\x00')"),
    "a total with no value": Case(
        LATER_BULLETIN, lambda z: write_workbook(z, LATER_BULLETIN, set_cells("总值表", (4, 3, "-"))),
        "bad_value", "sheet 总值表 cell C4: no value ('-'); the totals sheet prints every total"),
    "a 309-digit extract value": Case(
        LATER_EXPORTS, detail_rows_changed(set_field(5, 13, "9" * 309)),
        "implausible_value", f"Line: 6: column value_cny (人民币) '{'9' * 309}' does not fit DECIMAL(20, 2): more than"),
    "an extract in UTF-16": Case(
        LATER_EXPORTS,
        lambda z: rewrite_csv(z, GOOD_EXPORTS, LATER_EXPORTS, SOURCE_ENCODING, lambda rows: None, "utf-16"),
        "wrong_encoding", "line 1: the file is UTF-16 encoded (byte-order mark FF FE); the extract must be delivered in GB18030"),
    "an extract in UTF-16 without a byte-order mark": Case(
        LATER_EXPORTS,
        lambda z: rewrite_csv(z, GOOD_EXPORTS, LATER_EXPORTS, SOURCE_ENCODING, lambda rows: None, "utf-16-le"),
        "wrong_encoding", "line 1: the file is UTF-16 encoded (UTF-16-LE without a byte-order mark)"),
    "a UTF-8 byte-order mark on a GB18030 extract": Case(
        LATER_EXPORTS, _bytes(LATER_EXPORTS, lambda z: codecs.BOM_UTF8 + _good(z, GOOD_EXPORTS)),
        "wrong_encoding", "line 1: a UTF-8 byte-order mark (EF BB BF) before the GB18030 header"),
})

@pytest.mark.parametrize("case", REFUSED.values(), ids=REFUSED.keys())
def test_bad_file_is_refused_whole_with_its_reason(zone, case):
    path = case.craft(zone)
    crafted = path.read_bytes()
    before = tree(zone)
    result = ingest(zone)

    outcome = result.outcomes[case.relative]
    assert outcome.status == "refused", outcome
    assert outcome.reason.startswith(f"{case.reason}: "), outcome.reason
    assert case.words in outcome.reason, outcome.reason
    assert raw_rows_from(result.con, case.relative) == 0
    audit = result.con.execute(
        "SELECT status, reason, rows_loaded, quarantine_path FROM raw.load_audit WHERE file_name = ?", [case.relative]
    ).fetchall()
    assert audit == [("refused", outcome.reason, 0, outcome.quarantine_path)]
    assert not path.exists() and Path(outcome.quarantine_path).read_bytes() == crafted
    assert Path(outcome.quarantine_path).is_relative_to(zone / "quarantine")
    assert_good_files_loaded(result)
    assert tree(zone) == before
    assert_stayed_inside(zone, result)
    assert_lake_matches_audit(result.con, zone / "lake")  # nothing of the refused file in the lake


def test_zip_bomb_never_reaches_openpyxl(zone, monkeypatch):
    opened, real_load = [], openpyxl.load_workbook
    monkeypatch.setattr(bulletin_parser.openpyxl, "load_workbook",
                        lambda path, **kw: opened.append(Path(path).name) or real_load(path, **kw))
    zip_with_bomb(zone, LATER_BULLETIN, 5 * 1024 * 1024)
    result = ingest(zone)
    assert result.outcomes[LATER_BULLETIN].status == "refused"
    assert opened == [Path(GOOD_BULLETIN).name]  # the good workbook only


def test_limits_leave_room_for_real_workbooks(zone):
    """The guard's limits are far from what an honest bulletin needs."""
    with zipfile.ZipFile(zone / "landing" / GOOD_BULLETIN) as archive:
        members = archive.infolist()
    assert sum(m.file_size for m in members) * 20 < landing_guard.MAX_WORKBOOK_UNCOMPRESSED_BYTES
    assert max(m.file_size / m.compress_size for m in members) * 5 < landing_guard.MAX_MEMBER_COMPRESSION_RATIO


# --- left alone: names that match no feed, paths outside the zone ---------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "cq_bulletin_2021-11_20211228 (1).xlsx",  # a space: a copy made by a file manager
        "cq_bulletin_2021-11_20211228..xlsx",
        "..cq_bulletin_2021-11_20211228.xlsx",
        "cq_bulletin_2021-11_20211228_副本.xlsx",  # non-ASCII letters
        "cq_bulletin_２０２１-11_20211228.xlsx",  # full-width digits: int() would read them
    ],
)
def test_file_name_matching_no_feed_is_left_alone(zone, name):
    path = zone / "landing" / "customs_bulletin" / name
    path.write_bytes(_good(zone, GOOD_BULLETIN))
    stat_before = path.stat()
    result = ingest(zone, extra=(path,))

    assert path not in landing_files(zone / "landing", "customs_bulletin")
    outcome = result.outcomes[str(path)]
    assert outcome.status == "skipped"
    assert outcome.reason.startswith("unknown_name: ") and "does not match the customs_bulletin name pattern" in outcome.reason
    assert "left alone, not read" in outcome.reason
    assert path.stat().st_mtime_ns == stat_before.st_mtime_ns and path.read_bytes() == _good(zone, GOOD_BULLETIN)
    assert result.con.execute("SELECT count(*) FROM raw.load_audit WHERE file_name LIKE '%' || ?", [name]).fetchone() == (0,)
    assert not [entry for event, entry in result.touched if entry == str(path)]  # never opened, hashed or moved
    assert_good_files_loaded(result)


@pytest.mark.parametrize(
    ("relative", "source", "reason"),
    [
        ("customs_bulletin/cq_bulletin_2021-11_20211228.XLSX", GOOD_BULLETIN,
         "name_case: 'cq_bulletin_2021-11_20211228.XLSX' differs from the customs_bulletin name pattern only in "
         "letter case: rename it 'cq_bulletin_2021-11_20211228.xlsx'"),
        ("customs_detail/CQ_Detail_2021-11_export_20211227.csv", GOOD_EXPORTS,
         "name_case: 'CQ_Detail_2021-11_export_20211227.csv' differs from the customs_detail name pattern only in "
         "letter case: rename it 'cq_detail_2021-11_export_20211227.csv'"),
        ("customs_detail/cq_bulletin_2021-11_20211228.xlsx", GOOD_BULLETIN,
         "wrong_folder: 'cq_bulletin_2021-11_20211228.xlsx' is a customs_bulletin file name in the "
         "customs_detail/ folder: move it to customs_bulletin/"),
        ("customs_bulletin/trains_2021-11_20211227.csv", GOOD_TRAINS,
         "wrong_folder: 'trains_2021-11_20211227.csv' is a corridor_trains file name in the "
         "customs_bulletin/ folder: move it to corridor_trains/"),
        ("corridor_trains/Trains_2021-11_20211227.CSV", GOOD_TRAINS,
         "name_case: 'Trains_2021-11_20211227.CSV' differs from the corridor_trains name pattern only in "
         "letter case: rename it 'trains_2021-11_20211227.csv'"),
    ],
    ids=["bulletin .XLSX", "extract in mixed case", "a bulletin in the detail folder",
         "a train log in the bulletin folder", "train log in mixed case"],
)
def test_case_variant_or_wrong_folder_is_reported_for_what_it_is_and_left_alone(zone, relative, source, reason):
    path = zone / "landing" / relative
    path.write_bytes(_good(zone, source))
    result = ingest(zone, extra=(path,))

    outcome = result.outcomes[str(path)]
    assert (outcome.status, outcome.reason) == ("skipped", f"{reason}; left alone, not read")
    assert path.read_bytes() == _good(zone, source)
    assert result.con.execute("SELECT count(*) FROM raw.load_audit WHERE file_name = ?", [relative]).fetchone() == (0,)
    assert not [entry for event, entry in result.touched if entry == str(path)]  # never opened, hashed or moved
    assert_good_files_loaded(result)


def test_an_older_vintage_arriving_after_a_newer_one_is_recorded_and_never_wins(zone):
    newer = write_workbook(zone, LATER_BULLETIN, set_cells("总值表", (1, 1, "2021年11月重庆市进出口商品总值表（修订）")))
    newer_bytes = newer.read_bytes()
    newer.unlink()
    first = ingest(zone)  # the good 2021-11-20 bulletin
    deliver_later = zone / "landing" / LATER_BULLETIN
    deliver_later.write_bytes(newer_bytes)
    loader = RawLoader(first.con, zone / "landing", zone / "quarantine", TODAY)
    assert loader.load(deliver_later).status == "loaded"
    older = write_workbook(zone, "customs_bulletin/cq_bulletin_2021-11_20211221.xlsx",
                           set_cells("总值表", (1, 1, "2021年11月重庆市进出口商品总值表（初稿）")))

    outcome = loader.load(older)

    assert (outcome.status, outcome.reason) == ("superseded", f"superseded by {LATER_BULLETIN}")
    assert first.con.execute(
        "SELECT status, reason FROM raw.load_audit WHERE file_name = ?", [f"customs_bulletin/{older.name}"]
    ).fetchall() == [("superseded", f"superseded by {LATER_BULLETIN}")]
    assert first.con.execute(  # the marts take the latest vintage of the period
        "SELECT source_file FROM raw.bulletin_totals ORDER BY vintage DESC LIMIT 1"
    ).fetchone() == (LATER_BULLETIN,)


def test_path_outside_the_landing_zone_is_never_read(zone):
    outsider = zone / "outside" / "cq_bulletin_2021-11_20211228.xlsx"
    outsider.write_bytes(_good(zone, GOOD_BULLETIN))
    dotted = zone / "landing" / "customs_bulletin" / ".." / ".." / "outside" / outsider.name
    via_feed_name = zone / "outside" / "customs_bulletin"
    via_feed_name.mkdir()
    lookalike = via_feed_name / outsider.name
    lookalike.write_bytes(_good(zone, GOOD_BULLETIN))
    before = tree(zone)
    result = ingest(zone, extra=(dotted, lookalike))

    assert result.outcomes[str(dotted)].status == "skipped"
    assert result.outcomes[str(dotted)].reason == "outside_landing_zone: 'outside' is not a feed folder " \
        "(customs_bulletin, customs_detail, corridor_trains); not read"
    reason = result.outcomes[str(lookalike)].reason
    assert reason.startswith("outside_landing_zone: the folder") and "not to the landing zone's" in reason
    assert tree(zone) == before
    assert_stayed_inside(zone, result)
    assert result.con.execute("SELECT count(*) FROM raw.load_audit WHERE file_name LIKE '%20211228%'").fetchone() == (0,)
    assert_good_files_loaded(result)


def test_symlink_to_outside_is_never_followed(zone):
    secret = zone / "outside" / "secret.xlsx"
    secret.write_bytes(_good(zone, GOOD_BULLETIN))  # a valid workbook: following the link would load it
    link = zone / "landing" / LATER_BULLETIN
    link.symlink_to(secret)
    before = tree(zone)
    result = ingest(zone, extra=(link,))

    assert link not in landing_files(zone / "landing", "customs_bulletin")
    outcome = result.outcomes[str(link)]
    assert outcome.status == "refused"
    assert outcome.reason == (
        f"unsafe_file: {link.name} is a symbolic link to {str(secret)!r}; "
        "links are never followed and the target was not read"
    )
    quarantined = Path(outcome.quarantine_path)
    assert quarantined.is_symlink() and os.readlink(quarantined) == str(secret)  # the link itself, moved
    assert not os.path.lexists(link)
    assert tree(zone) == before  # the target's bytes, mtime and mode are untouched
    assert_stayed_inside(zone, result)
    assert raw_rows_from(result.con, LATER_BULLETIN) == 0
    assert result.con.execute(
        "SELECT status, reason FROM raw.load_audit WHERE file_name = ?", [LATER_BULLETIN]
    ).fetchall() == [("refused", outcome.reason)]
    assert_good_files_loaded(result)


# --- security basics ---------------------------------------------------------------------------


def test_sql_in_file_content_is_stored_as_data(zone):
    """Quotes and SQL in cells reach raw verbatim: values are bound, never pasted into SQL."""
    hostile = "x'); DROP TABLE raw.load_audit; --"
    rewrite_csv(zone, GOOD_EXPORTS, LATER_EXPORTS, SOURCE_ENCODING, set_field(1, 2, hostile))
    rewrite_csv(zone, GOOD_TRAINS, LATER_TRAINS, "utf-8", set_field(1, 9, hostile))
    result = ingest(zone)

    assert result.outcomes[LATER_EXPORTS].status == "loaded" and result.outcomes[LATER_TRAINS].status == "loaded"
    assert result.con.execute(
        "SELECT commodity_name_zh FROM raw.customs_detail WHERE source_file = ? AND source_row = 2", [LATER_EXPORTS]
    ).fetchone() == (hostile,)
    assert result.con.execute(
        "SELECT cargo FROM raw.corridor_trains WHERE source_file = ? AND source_row = 2", [LATER_TRAINS]
    ).fetchone() == (hostile,)
    assert result.con.execute("SELECT count(*) FROM raw.load_audit").fetchone()[0] == len(result.outcomes)


# --- files that used to be loaded and then stop every later publication ----------------------


@pytest.mark.slow
def test_files_that_used_to_block_publication_are_refused_and_later_refreshes_publish(tmp_path):
    """A repeated detail row, a train another month's log holds and a partner the seeds do
    not know used to be recorded "loaded"; a dbt test then failed on them at every later
    refresh, for any month. Refused at the door, they never reach dbt: the refresh of their
    month publishes, and so does a later refresh of another month (real Dagster runs and
    dbt builds)."""
    sample = tmp_path / "sample"
    generate(sample, first=date(2021, 10, 1), through=MONTH, detail_rows=200)
    chain = new_chain(tmp_path / "chain", sample)
    refresh(chain)
    root = chain.root
    (october_log,) = (root / "landing" / "corridor_trains").glob("trains_2021-10_*.csv")
    (october_bulletin,) = (root / "landing" / "customs_bulletin").glob("cq_bulletin_2021-10_*.xlsx")

    def add_an_october_train(rows: list[list[str]]) -> None:
        train = next(csv.reader(october_log.read_text(encoding="utf-8").splitlines()[1:2]))
        rows.insert(1, [*train[:2], "2021-11-30T10:00:00+08:00", *train[3:]])

    bad = {
        LATER_EXPORTS: detail_rows_changed(repeat_grain)(root),
        LATER_TRAINS: train_rows_changed(add_an_october_train)(root),
        LATER_BULLETIN: write_workbook(root, LATER_BULLETIN, set_cells("国别地区", (8, 1, "\u3000\u3000\u3000越南国"))),
    }
    refresh(chain, "--from", "2021-11", "--to", "2021-11")
    audit = dict(
        ((name, (status, reason.split(":")[0], count)) for name, status, reason, count in duckdb.connect(
            str(chain.warehouse), read_only=True
        ).execute(
            "SELECT file_name, any_value(status), any_value(reason), count(*) FROM raw.load_audit "
            "WHERE file_name IN (SELECT unnest(?)) GROUP BY file_name", [list(bad)]
        ).fetchall())
    )
    assert audit == {
        LATER_EXPORTS: ("refused", "duplicate_record", 1),
        LATER_TRAINS: ("refused", "duplicate_record", 1),
        LATER_BULLETIN: ("refused", "not_in_reference", 1),
    }
    october_correction = "customs_bulletin/cq_bulletin_2021-10_20211228.xlsx"
    write_workbook(root, october_correction, retitle, source=f"customs_bulletin/{october_bulletin.name}")
    refresh(chain, "--from", "2021-10", "--to", "2021-10")
    published = chain.query({"vintages": "SELECT period_start, min(vintage) FROM marts.fct_trade_monthly "
                                         "GROUP BY ALL ORDER BY 1"})
    assert published["vintages"] == [["2021-10-01", "2021-12-28"], ["2021-11-01", "2021-12-20"]]
