"""Hostile landing files, crafted independently of the door's own tests (issue 15).

python -m tools.hostile [--root DIR]

Builds a small real landing zone (tools.sample_data, 2021-09..2021-10), runs the real
`orchestration.cli refresh`, then drops bad files and faults beside the good ones, runs the
refresh again, and judges every case against the landing contract's promise: loaded once
and correctly, or refused whole with a reason code, kept in the quarantine, one audit row,
nothing doubled, the other files loaded, and a later month still published. Prints one
line per case. A tool, not part of the test run: it takes several minutes.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import duckdb
import openpyxl

from orchestration import settings

REPO = settings.REPO_ROOT
BULLETIN, DETAIL, TRAINS = "customs_bulletin", "customs_detail", "corridor_trains"
RAW_TABLES = {
    BULLETIN: ["bulletin_totals", "bulletin_partners", "bulletin_commodities", "bulletin_trade_modes"],
    DETAIL: ["customs_detail"],
    TRAINS: ["corridor_trains"],
}
DETAIL_HEADER = ("数据年月,商品编码,商品名称,贸易伙伴编码,贸易伙伴名称,贸易方式编码,贸易方式名称,注册地编码,"
                 "注册地名称,第一数量,第一计量单位,第二数量,第二计量单位,人民币,美元")
TRAIN_HEADER = "train_id,service,departure_at,origin,destination,direction,wagons,teu,cargo_value_cny,cargo"

# Outcomes a case may expect.
REFUSED, LOADED, IGNORED, DUPLICATE, SUPERSEDED, EITHER = (
    "refused", "loaded", "ignored", "duplicate", "superseded", "loaded-or-refused")


@dataclass
class Case:
    name: str
    expect: str
    reasons: frozenset[str]
    build: Callable[["Zone"], list[str]]  # writes the files, returns their landing-relative names
    phase: int = 1
    files: list[str] = field(default_factory=list)
    shas: dict[str, str] = field(default_factory=dict)


CASES: list[Case] = []


def case(name: str, expect: str, *reasons: str, phase: int = 1):
    def register(build):
        CASES.append(Case(name, expect, frozenset(reasons), build, phase))
        return build
    return register


class Zone:
    """The temporary project: landing zone, quarantine, warehouse, published folder."""

    def __init__(self, root: Path):
        self.root = root
        self.landing = root / "landing"
        self.quarantine = root / "quarantine"
        self.warehouse = root / "warehouse.duckdb"
        self.published = root / "published"
        self.vintage_day = 0

    @property
    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(DAGSTER_HOME=str(self.root / "dagster_home"), LANDING_DIR=str(self.landing),
                   QUARANTINE_DIR=str(self.quarantine), WAREHOUSE_DB=str(self.warehouse),
                   PUBLISHED_DIR=str(self.published), DBT_PROFILES_DIR=str(REPO), PYTHONPATH=str(REPO))
        return env

    def run(self, module: str, *args: str, timeout: int = 1500) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", module, *args], cwd=REPO, env=self.env,
                              capture_output=True, text=True, timeout=timeout)

    def next_vintage(self) -> str:
        """A distinct, plausible vintage per crafted file (2022-01-01 onwards)."""
        self.vintage_day += 1
        from datetime import date, timedelta
        return (date(2022, 1, 1) + timedelta(days=self.vintage_day)).strftime("%Y%m%d")

    def good(self, feed: str, pattern: str) -> Path:
        return sorted((self.root / "good" / feed).glob(pattern))[0]

    def write(self, relative: str, data: bytes) -> str:
        path = self.landing / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        return relative


# -- helpers to craft ------------------------------------------------------------------

def bulletin_variant(zone: Zone, edit: Callable[[openpyxl.Workbook], None], month: str = "2021-10",
                     vintage: str | None = None, folder: str = BULLETIN, suffix: str = ".xlsx") -> list[str]:
    wb = openpyxl.load_workbook(zone.good(BULLETIN, f"cq_bulletin_{month}_*.xlsx"))
    edit(wb)
    name = f"{folder}/cq_bulletin_{month}_{vintage or zone.next_vintage()}{suffix}"
    (zone.landing / folder).mkdir(parents=True, exist_ok=True)
    wb.save(zone.landing / name)
    return [name]


def detail_lines(zone: Zone, month: str = "2021-10", flow: str = "export") -> list[str]:
    raw = zone.good(DETAIL, f"cq_detail_{month}_{flow}_*.csv").read_bytes().decode("gb18030")
    return raw.split("\r\n")


def detail_variant(zone: Zone, edit: Callable[[list[str]], list[str]] | None = None, *, month="2021-10",
                   flow="export", encoding="gb18030", newline="\r\n", prefix=b"", vintage=None,
                   raw: bytes | None = None) -> list[str]:
    if raw is None:
        lines = detail_lines(zone, month, flow)
        lines = edit(lines) if edit else lines
        raw = prefix + newline.join(lines).encode(encoding)
    return [zone.write(f"{DETAIL}/cq_detail_{month}_{flow}_{vintage or zone.next_vintage()}.csv", raw)]


def train_lines(zone: Zone, month: str = "2021-10") -> list[str]:
    return zone.good(TRAINS, f"trains_{month}_*.csv").read_bytes().decode("utf-8").splitlines()


def train_variant(zone: Zone, edit: Callable[[list[str]], list[str]] | None = None, *, month="2021-10",
                  encoding="utf-8", prefix=b"", vintage=None, raw: bytes | None = None) -> list[str]:
    if raw is None:
        lines = train_lines(zone, month)
        lines = edit(lines) if edit else lines
        raw = prefix + ("\n".join(lines) + "\n").encode(encoding)
    return [zone.write(f"{TRAINS}/trains_{month}_{vintage or zone.next_vintage()}.csv", raw)]


def set_field(line: str, index: int, value: str) -> str:
    """Set one field of a CSV line whose fields before ``index`` are unquoted (true of the samples
    for the columns edited here: the detail's quoted names come after the codes; the trains have none)."""
    import csv, io
    fields = next(csv.reader(io.StringIO(line)))
    fields[index] = value
    out = io.StringIO()
    csv.writer(out, lineterminator="").writerow(fields)
    return out.getvalue()


def get_field(line: str, index: int) -> str:
    import csv, io
    return next(csv.reader(io.StringIO(line)))[index]


def sheet_cell(sheet: str, cell: str, value):
    def edit(wb):
        wb[sheet][cell] = value
    return edit


# -- bulletin cases ---------------------------------------------------------------------

case("b_sheet_missing", REFUSED, "wrong_layout")(lambda z: bulletin_variant(z, lambda wb: wb.remove(wb["贸易方式"])))
case("b_sheet_renamed", REFUSED, "wrong_layout")(
    lambda z: bulletin_variant(z, lambda wb: setattr(wb["总值表"], "title", "总值")))
case("b_sheet_extra", REFUSED, "wrong_layout")(lambda z: bulletin_variant(z, lambda wb: wb.create_sheet("备注")))


def _hidden_extra(wb):
    wb.create_sheet("隐藏").sheet_state = "hidden"


case("b_hidden_extra_sheet", REFUSED, "wrong_layout")(lambda z: bulletin_variant(z, _hidden_extra))
case("b_sheets_reordered", EITHER, "wrong_layout")(lambda z: bulletin_variant(z, lambda wb: wb.move_sheet("总值表", 4)))
case("b_rows_shifted_down", REFUSED, "wrong_layout")(lambda z: bulletin_variant(z, lambda wb: wb["总值表"].insert_rows(3)))
case("b_column_inserted", REFUSED, "wrong_layout")(lambda z: bulletin_variant(z, lambda wb: wb["国别地区"].insert_cols(2)))
case("b_header_changed", REFUSED, "wrong_layout")(lambda z: bulletin_variant(z, sheet_cell("总值表", "C3", "11月")))
case("b_number_as_text", EITHER, "bad_value")(lambda z: bulletin_variant(z, sheet_cell("总值表", "C4", "658.4")))
case("b_thousands_separator_text", EITHER, "bad_value")(
    lambda z: bulletin_variant(z, sheet_cell("国别地区", "B5", "6,583,956")))
case("b_formula", REFUSED, "formula")(lambda z: bulletin_variant(z, sheet_cell("总值表", "C4", "=600+58.4")))
case("b_merged_data_cells", REFUSED, "merged_cells")(
    lambda z: bulletin_variant(z, lambda wb: wb["国别地区"].merge_cells("B8:C8")))
case("b_value_1e308", REFUSED, "implausible_value")(lambda z: bulletin_variant(z, sheet_cell("总值表", "D4", 1e308)))
case("b_nan_text", REFUSED, "bad_value")(lambda z: bulletin_variant(z, sheet_cell("总值表", "C5", "NaN")))
case("b_inf_text", REFUSED, "bad_value", "implausible_value")(
    lambda z: bulletin_variant(z, sheet_cell("总值表", "C6", "inf")))


def _row_named(ws, name: str, min_row: int):
    """The first row from min_row whose label, its full-width indent stripped, is name."""
    for row in ws.iter_rows(min_row=min_row):
        if row[0].value and str(row[0].value).strip("\u3000") == name:
            return row
    raise AssertionError(f"{name} not in sheet {ws.title}")


def _negative_partner(wb):
    row = _row_named(wb["国别地区"], "越南", min_row=6)
    row[1].value = -abs(row[1].value)


case("b_negative_partner_value", REFUSED, "negative_value")(lambda z: bulletin_variant(z, _negative_partner))
case("b_internal_sums_world_off", REFUSED, "internal_sums")(
    lambda z: bulletin_variant(z, lambda wb: wb["国别地区"].__setitem__("B5", wb["国别地区"]["B5"].value + 50000)))


def _rename_first(sheet: str, old: str, new: str):
    def edit(wb):
        row = _row_named(wb[sheet], old, min_row=4)
        row[0].value = str(row[0].value).replace(old, new)
    return edit


case("b_unknown_partner", REFUSED, "not_in_reference")(lambda z: bulletin_variant(z, _rename_first("国别地区", "越南", "瓦坎达")))
case("b_unknown_commodity", REFUSED, "not_in_reference")(
    lambda z: bulletin_variant(z, _rename_first("主要出口商品", "摩托车", "飞天扫帚")))
case("b_unknown_trade_mode", REFUSED, "not_in_reference", "wrong_layout")(
    lambda z: bulletin_variant(z, _rename_first("贸易方式", "保税物流", "走私贸易")))


def _duplicate_partner_row(wb):
    ws = wb["国别地区"]
    row = _row_named(ws, "越南", min_row=6)
    ws.insert_rows(row[0].row + 1)
    for cell in row:
        ws.cell(row=cell.row + 1, column=cell.column, value=cell.value)


case("b_duplicate_partner_row", REFUSED, "duplicate_record", "internal_sums")(
    lambda z: bulletin_variant(z, _duplicate_partner_row))
case("b_early_vintage", REFUSED, "early_vintage")(lambda z: bulletin_variant(z, sheet_cell("总值表", "F4", 25.2), vintage="20211031"))
case("b_future_vintage", REFUSED, "future_vintage")(lambda z: bulletin_variant(z, sheet_cell("总值表", "F4", 25.3), vintage="20261206"))
case("b_truncated_zip", REFUSED, "unreadable")(
    lambda z: [z.write(f"{BULLETIN}/cq_bulletin_2021-10_{z.next_vintage()}.xlsx",
                       z.good(BULLETIN, "cq_bulletin_2021-10_*").read_bytes()[:9000])])
case("b_zero_bytes", REFUSED, "unreadable", "wrong_layout")(
    lambda z: [z.write(f"{BULLETIN}/cq_bulletin_2021-10_{z.next_vintage()}.xlsx", b"")])
case("b_csv_named_xlsx", REFUSED, "unreadable")(
    lambda z: [z.write(f"{BULLETIN}/cq_bulletin_2021-10_{z.next_vintage()}.xlsx", b"a,b\r\n1,2\r\n")])


def _zip_bomb(zone: Zone) -> list[str]:
    """A real workbook whose first sheet's XML inflates to 3 GiB of spaces (a few MB on disk)."""
    source = zone.good(BULLETIN, "cq_bulletin_2021-10_*")
    name = f"{BULLETIN}/cq_bulletin_2021-10_{zone.next_vintage()}.xlsx"
    target = zone.landing / name
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                with dst.open(item.filename, "w", force_zip64=True) as out:
                    head, _, tail = data.partition(b"<sheetData>")
                    out.write(head + b"<sheetData>")
                    chunk = b" " * (64 << 20)
                    for _ in range(48):
                        out.write(chunk)
                    out.write(tail)
            else:
                dst.writestr(item, data)
    return [name]


case("b_zip_bomb", REFUSED, "oversized")(_zip_bomb)
case("b_uppercase_XLSX", IGNORED)(lambda z: bulletin_variant(z, sheet_cell("总值表", "F4", 25.4), suffix=".XLSX"))
case("b_in_detail_folder", IGNORED)(lambda z: bulletin_variant(z, sheet_cell("总值表", "F4", 25.5), folder=DETAIL))
case("b_part_left_behind", IGNORED)(lambda z: bulletin_variant(z, sheet_cell("总值表", "F4", 25.6), suffix=".xlsx.part"))


def _directory_named_like_file(zone: Zone) -> list[str]:
    name = f"{BULLETIN}/cq_bulletin_2021-10_{zone.next_vintage()}.xlsx"
    (zone.landing / name).mkdir(parents=True)
    return [name]


case("b_directory_named_like_file", IGNORED)(_directory_named_like_file)

# -- detail cases -----------------------------------------------------------------------

case("d_utf8_extract", REFUSED, "wrong_encoding", "unreadable")(lambda z: detail_variant(z, encoding="utf-8"))
case("d_utf16_extract", REFUSED, "wrong_encoding", "unreadable")(lambda z: detail_variant(z, encoding="utf-16"))
case("d_utf8_bom", REFUSED, "wrong_encoding")(lambda z: detail_variant(z, prefix=b"\xef\xbb\xbf"))
case("d_lf_line_ends", EITHER, "wrong_layout")(lambda z: detail_variant(z, newline="\n"))
case("d_cr_only_line_ends", REFUSED, "wrong_layout", "oversized", "unreadable")(lambda z: detail_variant(z, newline="\r"))
case("d_extra_column", REFUSED, "wrong_layout")(lambda z: detail_variant(z, lambda ls: [l + ",x" if l else l for l in ls]))
case("d_missing_column", REFUSED, "wrong_layout")(lambda z: detail_variant(z, lambda ls: [l.rsplit(",", 1)[0] if l else l for l in ls]))


def _swap_header(ls):
    head = ls[0].split(",")
    head[13], head[14] = head[14], head[13]
    return [",".join(head)] + ls[1:]


case("d_reordered_header", REFUSED, "wrong_layout")(lambda z: detail_variant(z, _swap_header))
case("d_header_trailing_space", REFUSED, "wrong_layout")(lambda z: detail_variant(z, lambda ls: [ls[0] + " "] + ls[1:]))
case("d_header_fullwidth_commas", REFUSED, "wrong_layout")(lambda z: detail_variant(z, lambda ls: [ls[0].replace(",", "，")] + ls[1:]))


def _truncated(zone: Zone, cut: Callable[[bytes], int]) -> list[str]:
    raw = zone.good(DETAIL, "cq_detail_2021-10_export_*").read_bytes()
    return detail_variant(zone, raw=raw[:cut(raw)])


def _mid_multibyte(raw: bytes) -> int:
    """Offset inside a two-byte GB18030 character near the end."""
    i = len(raw) - 3
    while not (raw[i] >= 0x81 and raw[i + 1] >= 0x40):
        i -= 1
    # walk back to a character boundary from the start of the line, so the cut really splits one
    line_start = raw.rfind(b"\r\n", 0, i) + 2
    j = line_start
    while j < i:
        j += 2 if raw[j] >= 0x81 else 1
    return j + 1 if raw[j] >= 0x81 else j + 3


case("d_truncated_mid_row", REFUSED, "wrong_layout", "bad_value", "unreadable")(
    lambda z: _truncated(z, lambda raw: raw.rfind(b",", 0, len(raw) - 5)))
case("d_truncated_mid_multibyte", REFUSED, "wrong_encoding", "unreadable", "wrong_layout")(
    lambda z: _truncated(z, _mid_multibyte))


def _rows(ls, edit):
    """Apply ``edit`` to the first data row."""
    return [ls[0], edit(ls[1])] + ls[2:]


case("d_negative_cny", REFUSED, "negative_value")(lambda z: detail_variant(z, lambda ls: _rows(ls, lambda l: set_field(l, 13, "-" + get_field(l, 13)))))
case("d_hs_leading_zero_lost", REFUSED, "bad_value", "not_in_reference")(
    lambda z: detail_variant(z, lambda ls: _rows(ls, lambda l: set_field(l, 1, get_field(l, 1).lstrip("0")))))
case("d_unknown_partner_code", REFUSED, "not_in_reference")(lambda z: detail_variant(z, lambda ls: _rows(ls, lambda l: set_field(l, 3, "998"))))
case("d_unknown_hs_code", REFUSED, "not_in_reference")(lambda z: detail_variant(z, lambda ls: _rows(ls, lambda l: set_field(l, 1, "99999999"))))
case("d_unknown_trade_mode", REFUSED, "not_in_reference")(lambda z: detail_variant(z, lambda ls: _rows(ls, lambda l: set_field(l, 5, "99"))))
case("d_duplicate_key", REFUSED, "duplicate_record")(lambda z: detail_variant(z, lambda ls: ls[:2] + [ls[1]] + ls[2:]))
case("d_exponent_notation", EITHER, "bad_value")(
    lambda z: detail_variant(z, lambda ls: _rows(ls, lambda l: set_field(l, 13, f"{float(get_field(l, 13)):E}"))))
case("d_thousands_separator", REFUSED, "bad_value")(
    lambda z: detail_variant(z, lambda ls: _rows(ls, lambda l: set_field(l, 13, f"{int(get_field(l, 13)):,}"))))
case("d_value_1e308", REFUSED, "implausible_value")(lambda z: detail_variant(z, lambda ls: _rows(ls, lambda l: set_field(l, 13, "1" + "0" * 308))))
case("d_nan", REFUSED, "bad_value")(lambda z: detail_variant(z, lambda ls: _rows(ls, lambda l: set_field(l, 14, "NaN"))))
case("d_inf", REFUSED, "bad_value", "implausible_value")(lambda z: detail_variant(z, lambda ls: _rows(ls, lambda l: set_field(l, 14, "inf"))))
case("d_row_of_other_period", REFUSED, "wrong_period")(lambda z: detail_variant(z, lambda ls: _rows(ls, lambda l: set_field(l, 0, "202109"))))
case("d_header_only", REFUSED, "no_rows")(lambda z: detail_variant(z, lambda ls: [ls[0], ""]))
case("d_zero_bytes", REFUSED, "unreadable", "wrong_layout", "no_rows")(lambda z: detail_variant(z, raw=b""))
case("d_huge_single_line", REFUSED, "oversized", "wrong_layout")(
    lambda z: detail_variant(z, raw=DETAIL_HEADER.encode("gb18030") + b"\r\n" + b"7" * (80 << 20)))


def _off_bulletin(factor: float):
    def edit(ls):
        out = [ls[0]]
        for line in ls[1:]:
            if line:
                line = set_field(line, 13, str(round(int(get_field(line, 13)) * factor)))
            out.append(line)
        return out
    return edit


case("d_off_bulletin_0_2pct", REFUSED, "contradicts_bulletin")(lambda z: detail_variant(z, _off_bulletin(1.002)))
case("d_flow_misspelt_in_name", IGNORED)(
    lambda z: [z.write(f"{DETAIL}/cq_detail_2021-10_exports_{z.next_vintage()}.csv",
                       z.good(DETAIL, "cq_detail_2021-10_export_*").read_bytes())])

# -- train cases ------------------------------------------------------------------------

case("t_gb18030_log", REFUSED, "wrong_encoding", "unreadable")(lambda z: train_variant(z, encoding="gb18030"))
case("t_latin1_byte", REFUSED, "wrong_encoding", "unreadable")(
    lambda z: train_variant(z, raw=("\n".join(train_lines(z)) + "\n").encode("utf-8").replace("化工原料".encode(), "caf\xe9".encode("latin-1"), 1)))
case("t_utf8_bom", EITHER, "wrong_encoding", "wrong_layout")(lambda z: train_variant(z, prefix=b"\xef\xbb\xbf"))
case("t_crlf", EITHER, "wrong_layout")(
    lambda z: train_variant(z, raw=("\r\n".join(train_lines(z)) + "\r\n").encode()))


def _train_row(ls, index, value, row=1):
    return ls[:row] + [set_field(ls[row], index, value)] + ls[row + 1:]


case("t_china_laos_before_opening", REFUSED, "china_laos_before_opening")(
    lambda z: train_variant(z, lambda ls: ls + ["CL2021101501,CHINA_LAOS_RAIL,2021-10-15T10:00:00+08:00,重庆小南垭,万象南,outbound,30,60,12000000,百货"]))
case("t_departure_without_offset", REFUSED, "bad_value")(
    lambda z: train_variant(z, lambda ls: _train_row(ls, 2, get_field(ls[1], 2)[:19])))
case("t_duplicate_row", REFUSED, "duplicate_record")(lambda z: train_variant(z, lambda ls: ls + [ls[1]]))


def _train_from_other_month(zone: Zone) -> list[str]:
    september = train_lines(zone, "2021-09")[1]
    moved = set_field(september, 2, "2021-10-31T23:00:00+08:00")
    return train_variant(zone, lambda ls: ls + [moved])


case("t_train_of_another_months_log", REFUSED, "duplicate_record")(_train_from_other_month)
case("t_negative_wagons", REFUSED, "negative_value")(lambda z: train_variant(z, lambda ls: _train_row(ls, 6, "-28")))
case("t_bad_direction", REFUSED, "bad_value")(lambda z: train_variant(z, lambda ls: _train_row(ls, 5, "sideways")))
case("t_unknown_service", REFUSED, "bad_value", "not_in_reference")(lambda z: train_variant(z, lambda ls: _train_row(ls, 1, "HYPERLOOP")))
case("t_departure_next_month", REFUSED, "wrong_period")(
    lambda z: train_variant(z, lambda ls: _train_row(ls, 2, "2021-11-02T09:00:00+08:00")))
case("t_header_reordered", REFUSED, "wrong_layout")(
    lambda z: train_variant(z, lambda ls: [ls[0].replace("wagons,teu", "teu,wagons")] + ls[1:]))
case("t_cargo_value_1e308", REFUSED, "implausible_value", "bad_value")(lambda z: train_variant(z, lambda ls: _train_row(ls, 8, "1e308")))
case("t_cargo_value_nan", REFUSED, "bad_value")(lambda z: train_variant(z, lambda ls: _train_row(ls, 8, "nan")))
case("t_date_as_excel_serial", REFUSED, "bad_value")(lambda z: train_variant(z, lambda ls: _train_row(ls, 2, "44470.35")))
case("t_header_only", REFUSED, "no_rows")(lambda z: train_variant(z, lambda ls: ls[:1]))

# -- second round -------------------------------------------------------------------------

case("n_d_value_1e17_plain_digits", REFUSED, "implausible_value")(
    lambda z: detail_variant(z, lambda ls: _rows(ls, lambda l: set_field(l, 13, "99999999999999999"))))
case("n_d_negative_quantity", REFUSED, "negative_value")(lambda z: detail_variant(z, lambda ls: _rows(ls, lambda l: set_field(l, 9, "-3"))))
case("n_d_usd_empty", REFUSED, "bad_value")(lambda z: detail_variant(z, lambda ls: _rows(ls, lambda l: set_field(l, 14, ""))))
case("n_d_fullwidth_digits", REFUSED, "bad_value")(
    lambda z: detail_variant(z, lambda ls: _rows(ls, lambda l: set_field(l, 13, get_field(l, 13).translate(
        {ord(c): 0xFF10 + int(c) for c in "0123456789"})))))
case("n_d_province_not_two_digits", REFUSED, "bad_value", "not_in_reference")(
    lambda z: detail_variant(z, lambda ls: _rows(ls, lambda l: set_field(l, 7, "5"))))
case("n_t_utf16_log", REFUSED, "wrong_encoding", "unreadable")(lambda z: train_variant(z, encoding="utf-16"))
case("n_t_cargo_value_1e20_plain", REFUSED, "implausible_value")(lambda z: train_variant(z, lambda ls: _train_row(ls, 8, "1" + "0" * 20)))
case("n_t_teu_decimal", REFUSED, "bad_value")(lambda z: train_variant(z, lambda ls: _train_row(ls, 7, "56.5")))
case("n_t_empty_train_id", REFUSED, "bad_value")(lambda z: train_variant(z, lambda ls: _train_row(ls, 0, "")))
case("n_t_nul_byte", REFUSED, "bad_value", "unreadable", "wrong_layout")(
    lambda z: train_variant(z, raw=("\n".join(train_lines(z)) + "\n").encode().replace("化工原料".encode(), b"\x00", 1)))
case("n_t_departure_2021_02_30", REFUSED, "bad_value")(lambda z: train_variant(z, lambda ls: _train_row(ls, 2, "2021-10-32T08:00:00+08:00")))
case("n_t_extra_trailing_column", REFUSED, "wrong_layout")(lambda z: train_variant(z, lambda ls: [l + "," for l in ls]))
case("n_b_required_sheet_hidden", EITHER, "wrong_layout")(
    lambda z: bulletin_variant(z, lambda wb: setattr(wb["贸易方式"], "sheet_state", "hidden")))
case("n_b_dash_for_value", EITHER, "bad_value", "internal_sums")(lambda z: bulletin_variant(z, sheet_cell("总值表", "C4", "-")))
case("n_b_value_as_bool", REFUSED, "bad_value")(lambda z: bulletin_variant(z, sheet_cell("总值表", "C4", True)))
case("n_b_value_as_date", REFUSED, "bad_value")(
    lambda z: bulletin_variant(z, sheet_cell("总值表", "C4", __import__("datetime").datetime(2021, 10, 1))))
case("n_b_footnote_in_middle", REFUSED, "wrong_layout", "internal_sums", "not_in_reference")(
    lambda z: bulletin_variant(z, _rename_first("国别地区", "越南", "注：越南")))


case("n_t_nul_before_train_ids", REFUSED, "bad_value", "unreadable")(
    lambda z: train_variant(z, raw=("\n".join(train_lines(z)) + "\n").encode().replace(b"\n", b"\n\x00", 3)))
case("n_t_cargo_value_empty", REFUSED, "bad_value")(lambda z: train_variant(z, lambda ls: _train_row(ls, 8, "")))
case("n_t_zero_filled_block", REFUSED, "wrong_layout", "bad_value", "unreadable")(
    lambda z: train_variant(z, raw=(lambda b: b[:20000] + b"\x00" * 4096 + b[24096:])(
        ("\n".join(train_lines(z)) + "\n").encode())))


# -- file system --------------------------------------------------------------------------


def _symlink(zone: Zone) -> list[str]:
    outside = zone.root / "outside.csv"
    outside.write_bytes(("\n".join(train_lines(zone)) + "\n").encode().replace(b"28,56", b"29,58", 1))
    name = f"{TRAINS}/trains_2021-10_{zone.next_vintage()}.csv"
    (zone.landing / name).symlink_to(outside)
    return [name]


case("fs_symlink", IGNORED, "unsafe_file")(_symlink)


def _fifo(zone: Zone) -> list[str]:
    name = f"{TRAINS}/trains_2021-10_{zone.next_vintage()}.csv"
    os.mkfifo(zone.landing / name)
    return [name]


case("fs_fifo", IGNORED)(_fifo)


def _held_open(zone: Zone) -> list[str]:
    """A producer still writing (no .part): a child process holds the file open for writing."""
    name = f"{TRAINS}/trains_2021-10_{zone.next_vintage()}.csv"
    path = zone.landing / name
    lines = train_lines(zone)
    path.write_bytes(("\n".join(lines[:5]) + "\n").encode())
    zone.writer = subprocess.Popen(
        [sys.executable, "-c", "import sys\nf=open(sys.argv[1],'ab')\nsys.stdin.read()\nf.close()", str(path)],
        stdin=subprocess.PIPE)
    return [name]


case("fs_file_held_open_for_writing", IGNORED)(_held_open)

# -- phase 2: sequences and legal files (period 2021-09) ---------------------------------


def _shanghai_today(zone: Zone) -> list[str]:
    from datetime import datetime
    from zoneinfo import ZoneInfo
    today = datetime.now(ZoneInfo("Asia/Shanghai")).strftime("%Y%m%d")
    return bulletin_variant(zone, sheet_cell("总值表", "F4", 25.7), month="2021-09", vintage=today)


case("p2_vintage_today_shanghai_tomorrow_utc", LOADED, phase=2)(_shanghai_today)
case("p2_train_id_reused_other_service", LOADED, phase=2)(
    lambda z: train_variant(z, lambda ls: ls + [set_field(set_field(ls[1], 1, "ILSTC_CROSS_BORDER_ROAD"), 2,
                                                          "2021-09-30T20:00:00+08:00")], month="2021-09"))
case("p2_detail_within_tolerance_correction", LOADED, phase=2)(
    lambda z: detail_variant(z, _off_bulletin(1.0004), month="2021-09", flow="import"))
case("p2_older_vintage_correction", SUPERSEDED, phase=2)(
    lambda z: bulletin_variant(z, sheet_cell("贸易方式", "A1", "2021年9月重庆市进出口商品贸易方式总值表"), month="2021-09",
                               vintage="20211015"))


def _same_bytes_two_names(zone: Zone) -> list[str]:
    raw = detail_variant(zone, _off_bulletin(1.0002), month="2021-09", flow="export")
    first = zone.landing / raw[0]
    second = f"{DETAIL}/cq_detail_2021-09_export_{zone.next_vintage()}.csv"
    shutil.copyfile(first, zone.landing / second)
    return raw + [second]


case("p2_same_bytes_two_names_one_drop", "loaded+duplicate", phase=2)(_same_bytes_two_names)

# -- phase 3: X, Y, then X again; a correction with fewer rows; a later month -----------


def _xyx_first(zone: Zone) -> list[str]:
    return train_variant(zone, lambda ls: _train_row(ls, 9, "X版本"), month="2021-09", vintage="20240301")


case("p3_x_then_y_then_x_again", "X loaded, Y loaded, X again duplicate; Y in marts", phase=3)(_xyx_first)
case("p3_correction_with_fewer_rows", LOADED, phase=3)(
    lambda z: train_variant(z, lambda ls: ls[:-3], month="2021-10", vintage="20230101"))

# -- phase 4: an unwritable quarantine ----------------------------------------------------

case("p4_quarantine_unwritable_then_fixed", "refused, left in landing, then moved; one audit row", phase=4)(
    lambda z: train_variant(z, lambda ls: _train_row(ls, 6, "-1"), month="2021-10"))


# -- judging ---------------------------------------------------------------------------------

def audit(zone: Zone, name: str) -> list[tuple]:
    with duckdb.connect(str(zone.warehouse), read_only=True) as con:
        return con.execute("SELECT status, reason, quarantine_path, rows_loaded FROM raw.load_audit "
                           "WHERE file_name = ? ORDER BY started_at", [name]).fetchall()


def raw_rows(zone: Zone, name: str) -> int:
    feed = name.split("/")[0]
    with duckdb.connect(str(zone.warehouse), read_only=True) as con:
        return sum(con.execute(f"SELECT count(*) FROM raw.{t} WHERE source_file = ? OR source_file = ?",
                               [name, name.split("/")[-1]]).fetchone()[0] for t in RAW_TABLES.get(feed, []))


def sha(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() and not path.is_symlink() else None
    except OSError:
        return None


def judge(zone: Zone, c: Case) -> tuple[str, str]:
    parts, ok = [], True
    for name in c.files:
        rows = audit(zone, name)
        count = raw_rows(zone, name)
        in_landing = (zone.landing / name).exists() or (zone.landing / name).is_symlink()
        status = rows[-1][0] if rows else "-"
        reason = (rows[-1][1] or "") if rows else ""
        code = reason.split(":")[0] if reason else "-"
        qpath = rows[-1][2] if rows else None
        kept = bool(qpath) and sha(Path(qpath)) == c.shas.get(name)
        parts.append(f"{name.split('/')[-1]}: audit={len(rows)}x{status} code={code} raw_rows={count} "
                     f"quarantined={'yes' if kept else 'no'} in_landing={in_landing} msg={reason[:160]!r}")
        expect = c.expect
        if expect == REFUSED or (expect == EITHER and status == "refused"):
            ok &= (len(rows) == 1 and status == "refused" and count == 0 and kept and not in_landing
                   and (not c.reasons or code in c.reasons))
        elif expect == EITHER:  # loaded, and perhaps superseded since by a later crafted vintage
            ok &= len(rows) == 1 and status in ("loaded", "superseded") and count > 0
        elif expect == IGNORED:
            ok &= (not rows and in_landing) or (c.reasons and len(rows) == 1 and code in c.reasons and kept)
        elif expect == LOADED:
            ok &= len(rows) == 1 and status == "loaded" and count > 0 and rows[-1][3] == count
        elif expect == SUPERSEDED:
            ok &= len(rows) == 1 and status == "superseded"
    return ("PASS" if ok else "FAIL"), " | ".join(parts)


def refresh(zone: Zone, label: str) -> subprocess.CompletedProcess:
    done = zone.run("orchestration.cli", "refresh")
    (zone.root / f"refresh-{label}.log").write_text(done.stdout + "\n--- stderr ---\n" + done.stderr)
    print(f"# refresh {label}: exit {done.returncode} (log {zone.root}/refresh-{label}.log)", flush=True)
    return done


def published_months(zone: Zone) -> list[str]:
    script = ("import sys\nfrom pathlib import Path\nfrom orchestration.publish.publication import open_published\n"
              "con = open_published(Path(sys.argv[1]))\n"
              "print(','.join(str(r[0])[:7] for r in con.execute('SELECT DISTINCT period_start FROM marts.fct_trade_monthly "
              "ORDER BY 1').fetchall()))")
    done = subprocess.run([sys.executable, "-c", script, str(zone.published)], cwd=REPO, env=zone.env,
                          capture_output=True, text=True)
    return done.stdout.strip().split(",") if done.returncode == 0 else [f"unreadable: {done.stderr[-300:]}"]


def drop(zone: Zone, cases: list[Case]) -> None:
    for c in cases:
        try:
            c.files = c.build(zone)
        except Exception as error:  # a craft that failed is reported, not hidden
            c.files = []
            print(f"{c.name:45s} BUILD-ERROR {error!r}")
        for name in c.files:
            c.shas[name] = sha(zone.landing / name)


def report(zone: Zone, cases: list[Case]) -> int:
    failures = 0
    for c in cases:
        if not c.files:
            continue
        verdict, observed = judge(zone, c)
        failures += verdict == "FAIL"
        print(f"{verdict} {c.name} | expect {c.expect} {sorted(c.reasons) or ''} | {observed}", flush=True)
    return failures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.hostile", description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=None, help="work folder (default: a new temporary one)")
    parser.add_argument("--only", default=None, help="run only cases whose name contains this")
    parser.add_argument("--resume", action="store_true",
                        help="reuse --root's baseline and phase-1 refresh (state.json), judge and go on from there")
    args = parser.parse_args(argv)
    zone = Zone(args.root or Path(tempfile.mkdtemp(prefix="hostile-")))
    (zone.root / "dagster_home").mkdir(parents=True, exist_ok=True)
    shutil.copyfile(settings.DAGSTER_CONFIG, zone.root / "dagster_home" / "dagster.yaml")
    zone.writer = None
    state_file = zone.root / "state.json"
    selected = [c for c in CASES if not args.only or any(part in c.name for part in args.only.split(","))]
    failures = 0
    phase1 = [c for c in selected if c.phase == 1]
    if args.resume:
        state = json.loads(state_file.read_text())
        for c in phase1:
            c.files, c.shas = state[c.name]["files"], state[c.name]["shas"]
        zone.vintage_day = state["_vintage_day"]
        failures += report(zone, phase1)
    else:
        failures += baseline_and_phase1(zone, phase1, state_file)
    return failures_after_phase1(zone, selected, failures)


def baseline_and_phase1(zone: Zone, phase1: list[Case], state_file: Path) -> int:
    gen = zone.run("tools.sample_data", "--out", str(zone.landing), "--through", "2021-10", "--only-from", "2021-09",
                   "--detail-rows", "2000")
    assert gen.returncode == 0, gen.stderr
    shutil.copytree(zone.landing, zone.root / "good")
    assert refresh(zone, "baseline").returncode == 0, "the baseline refresh failed"
    if not phase1:
        return 0
    drop(zone, phase1)
    state = {c.name: {"files": c.files, "shas": c.shas} for c in phase1}
    state["_vintage_day"] = zone.vintage_day
    state_file.write_text(json.dumps(state))
    done = refresh(zone, "phase1")
    if zone.writer:
        zone.writer.stdin.close()
        zone.writer.wait()
    print(f"# phase 1 refresh exit {done.returncode}; published months {published_months(zone)}")
    return report(zone, phase1)


def failures_after_phase1(zone: Zone, selected: list[Case], failures: int) -> int:

    phase2 = [c for c in selected if c.phase == 2]
    drop(zone, phase2)
    done = refresh(zone, "phase2") if phase2 else None
    if done:
        print(f"# phase 2 refresh exit {done.returncode}; published months {published_months(zone)}")
    for c in phase2:
        if c.expect == "loaded+duplicate" and c.files:
            statuses = sorted(r[0] for name in c.files for r in audit(zone, name))
            verdict = "PASS" if statuses == ["duplicate", "loaded"] else "FAIL"
            failures += verdict == "FAIL"
            print(f"{verdict} {c.name} | expect one loaded, one duplicate | statuses {statuses}")
        else:
            failures += report(zone, [c])

    phase3 = [c for c in selected if c.phase == 3]
    drop(zone, phase3)
    xyx = next((c for c in phase3 if c.name.startswith("p3_x_then")), None)
    if phase3:
        refresh(zone, "phase3-x")
    if xyx:
        y = train_variant(zone, lambda ls: _train_row(ls, 9, "Y版本"), month="2021-09", vintage="20240302")
        refresh(zone, "phase3-y")
        x_again = f"{TRAINS}/trains_2021-09_20240303.csv"
        shutil.copyfile(zone.landing / xyx.files[0], zone.landing / x_again)
        refresh(zone, "phase3-x-again")
        states = [audit(zone, n)[-1][0] if audit(zone, n) else "-" for n in (xyx.files[0], y[0], x_again)]
        verdict = "PASS" if states == ["superseded", "loaded", "duplicate"] or states == ["loaded", "loaded", "duplicate"] else "FAIL"
        failures += verdict == "FAIL"
        print(f"{verdict} {xyx.name} | expect X loaded/superseded, Y loaded, X-again duplicate | statuses {states}")
    fewer = next((c for c in phase3 if c.name.startswith("p3_correction")), None)
    if fewer:
        with duckdb.connect(str(zone.warehouse), read_only=True) as con:
            tables = {r[0]: r[1] for r in con.execute(
                "SELECT table_name, table_schema FROM information_schema.tables WHERE table_name = 'fct_corridor_monthly'").fetchall()}
            schema = tables.get("fct_corridor_monthly")
            cols = [r[0] for r in con.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = 'fct_corridor_monthly'").fetchall()]
            count_col = next((c for c in cols if c in ("trains", "train_count", "n_trains")), None)
            marts = con.execute(f"SELECT sum({count_col}) FROM {schema}.fct_corridor_monthly "
                                "WHERE month_start = DATE '2021-10-01'").fetchone()[0] if schema and count_col else None
        expected = len(train_lines(zone, "2021-10")) - 1 - 3
        verdict, observed = judge(zone, fewer)
        ok = verdict == "PASS" and marts == expected
        failures += not ok
        print(f"{'PASS' if ok else 'FAIL'} {fewer.name} | expect loaded, marts {expected} trains in 2021-10 | "
              f"marts {count_col}={marts} | {observed}")

    phase4 = [c for c in selected if c.phase == 4]
    if phase4:
        real_quarantine = zone.quarantine
        blocker = zone.root / "quarantine-is-a-file"
        blocker.write_text("not a folder")
        zone.quarantine = blocker
        drop(zone, phase4)
        refresh(zone, "phase4-blocked")
        c = phase4[0]
        first = audit(zone, c.files[0])
        in_landing_then = (zone.landing / c.files[0]).exists()
        zone.quarantine = real_quarantine
        refresh(zone, "phase4-fixed")
        verdict, observed = judge(zone, c)
        ok = verdict == "PASS" and in_landing_then and len(first) == 1 and first[0][0] == "refused"
        failures += not ok
        print(f"{'PASS' if ok else 'FAIL'} {c.name} | expect {c.expect} | blocked: audit={first} "
              f"in_landing={in_landing_then} | fixed: {observed}")

    # A later month, with files naming periods far from the landed ones beside it.
    gen = zone.run("tools.sample_data", "--out", str(zone.landing), "--through", "2021-11", "--only-from", "2021-11",
                   "--detail-rows", "2000")
    extenders = []
    for name, reasons, month, vintage in (("x_january_bulletin_after_2020", {"wrong_period"}, "2021-01", "20210220"),
                                          ("x_future_period_bulletin", {"future_period"}, "2026-12", "20261203")):
        # October's workbook under the other month's name: the name alone is what is wrong
        made = bulletin_variant(zone, lambda wb: None, vintage=vintage)
        files = [f"{BULLETIN}/cq_bulletin_{month}_{vintage}.xlsx"]
        (zone.landing / made[0]).rename(zone.landing / files[0])
        extenders.append((name, REFUSED, reasons, files, {f: sha(zone.landing / f) for f in files}))
    done = refresh(zone, "later-month")
    months = published_months(zone)
    ok = done.returncode == 0 and "2021-11" in months
    failures += not ok
    print(f"{'PASS' if ok else 'FAIL'} later_month_publishes | expect exit 0 and 2021-11 published | "
          f"exit {done.returncode}, published {months}")
    for name, expect, reasons, files, shas in extenders:
        c = Case(name, expect, frozenset(reasons), lambda z: [], 5, files, shas)
        verdict, observed = judge(zone, c)
        print(f"{verdict} {name} | expect {expect} {sorted(reasons)} | {observed}")
    with duckdb.connect(str(zone.warehouse), read_only=True) as con:
        doubled = con.execute("SELECT count(*) FROM (SELECT train_id, service, vintage, count(*) n FROM raw.corridor_trains "
                              "GROUP BY ALL HAVING n > 1)").fetchone()[0]
    print(f"{'PASS' if doubled == 0 else 'FAIL'} no_doubled_raw_trains | duplicated (train, service, vintage) rows: {doubled}")
    print(f"# {failures} FAIL; work folder {zone.root}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
