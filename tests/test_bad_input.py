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

from orchestration import settings
from orchestration.ingest import landing_guard
from orchestration.ingest.loader import FEED_TABLES, RawLoader, landing_files
from orchestration.parsing import bulletin as bulletin_parser
from orchestration.parsing.detail_extract import SOURCE_ENCODING
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


@pytest.fixture(scope="module")
def good_files(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("good")
    generate(out, first=MONTH, through=MONTH, detail_rows=200)
    return out


@pytest.fixture
def zone(tmp_path, good_files) -> Path:
    """tmp_path/landing with the good 2021-11 files, tmp_path/outside with a bystander."""
    for path in good_files.rglob("*"):
        if path.is_file():
            target = tmp_path / "landing" / path.relative_to(good_files)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(path.read_bytes())
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "bystander.txt").write_text("not part of the landing zone")
    return tmp_path


def ingest(root: Path, extra: tuple[Path, ...] = ()) -> Ingest:
    global _touched
    con = duckdb.connect()
    loader = RawLoader(con, root / "landing", root / "quarantine", TODAY)
    outcomes, touched = {}, []
    _touched = touched
    try:
        for feed in settings.FEEDS:  # as the raw assets do: every file of a feed in one call
            files = landing_files(root / "landing", feed)
            outcomes.update((f"{feed}/{path.name}", outcome) for path, outcome in zip(files, loader.load_all(files)))
        for path in extra:
            outcomes[str(path)] = loader.load(path)
    finally:
        _touched = None
    return Ingest(con, outcomes, touched)


def tree(root: Path, skip: tuple[str, ...] = ("landing", "quarantine")) -> dict[str, tuple]:
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
    allowed = (root / "landing", root / "quarantine")
    strays = [
        (event, path)
        for event, path in result.touched
        if Path(path).is_relative_to(root) and not any(Path(path).is_relative_to(a) for a in allowed)
    ]
    assert not strays, strays


def raw_rows_from(con: duckdb.DuckDBPyConnection, relative: str) -> int:
    tables = {table for tables in FEED_TABLES.values() for table in tables}
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


def write_workbook(zone: Path, relative: str, change: Callable[[openpyxl.Workbook], None]) -> Path:
    workbook = openpyxl.load_workbook(zone / "landing" / GOOD_BULLETIN)
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
        "wrong_layout", "the header is UTF-8 encoded; the extract must be delivered in GB18030"),
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
}


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
