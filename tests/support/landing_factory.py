"""Bad landing files crafted from generated good ones, for the ingestion tests.

Each helper changes exactly one thing in a real generated file and writes it back in the
feed's own format (workbook, GB18030 + CRLF extract, UTF-8 train log), so a refusal can
only come from the change the test made.
"""

from __future__ import annotations

import csv
import io
import shutil
from collections.abc import Callable
from pathlib import Path

import openpyxl

from orchestration.parsing.detail_extract import DETAIL_HEADER, SOURCE_ENCODING

DETAIL_COLUMNS = DETAIL_HEADER.split(",")
# Provinces the sample generator never uses, to make extra rows with a grain of their own.
UNUSED_PROVINCES = {
    "12": "天津市", "13": "河北省", "14": "山西省", "15": "内蒙古自治区", "21": "辽宁省",
    "22": "吉林省", "23": "黑龙江省", "34": "安徽省", "35": "福建省", "36": "江西省",
    "37": "山东省", "41": "河南省", "42": "湖北省", "43": "湖南省", "46": "海南省",
    "54": "西藏自治区", "61": "陕西省", "62": "甘肃省", "63": "青海省", "64": "宁夏回族自治区",
    "65": "新疆维吾尔自治区",
}
CHONGQING = "50"


def copy_tree(source: Path, target: Path) -> Path:
    shutil.copytree(source, target)
    return target


def edit_workbook(path: Path, edit: Callable[[openpyxl.Workbook], None], target: Path | None = None) -> Path:
    """Open a bulletin, apply ``edit``, save it to ``target`` (default: in place)."""
    workbook = openpyxl.load_workbook(path)
    edit(workbook)
    target = target or path
    workbook.save(target)
    return target


def find_row(sheet, label: str) -> int:
    """The row whose first cell reads ``label`` once the U+3000 indentation is removed."""
    for row in range(1, sheet.max_row + 1):
        value = sheet.cell(row, 1).value
        if value is not None and str(value).strip() == label:
            return row
    raise LookupError(f"no row {label!r} in sheet {sheet.title}")


def read_detail(path: Path) -> list[dict[str, str]]:
    text = path.read_bytes().decode(SOURCE_ENCODING)
    return list(csv.DictReader(io.StringIO(text, newline="")))


def write_detail(path: Path, rows: list[dict[str, str]]) -> Path:
    """Write rows as the contract says: GB18030, CRLF, comma separated, quoted where needed."""
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, fieldnames=DETAIL_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_bytes(buffer.getvalue().encode(SOURCE_ENCODING))
    return path


def edit_detail(path: Path, edit: Callable[[list[dict[str, str]]], None], target: Path | None = None) -> Path:
    rows = read_detail(path)
    edit(rows)
    return write_detail(target or path, rows)


def read_trains(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    reader = csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"), newline=""))
    return list(reader.fieldnames), list(reader)


def edit_trains(path: Path, edit: Callable[[list[dict[str, str]]], None]) -> Path:
    header, rows = read_trains(path)
    edit(rows)
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, fieldnames=header, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8", newline="")
    return path


def write_big_detail(source: Path, target: Path, minimum_rows: int) -> int:
    """An extract of at least ``minimum_rows`` rows, grown from a generated one.

    The source's Chongqing rows are repeated once per unused province code, so every
    added row keeps the extract's grain (period, HS code, partner, trade mode, province)
    unique, with 人民币 and 美元 of 0, so the extract still sums to its bulletin. Streams
    the lines; returns the number of data rows written.
    """
    lines = source.read_bytes().decode(SOURCE_ENCODING).split("\r\n")
    header, data = lines[0], [line for line in lines[1:] if line]
    chongqing = [row for row in csv.reader(data) if row[7] == CHONGQING]
    written = len(data)
    with target.open("wb") as out:
        out.write(("\r\n".join([header, *data]) + "\r\n").encode(SOURCE_ENCODING))
        for code, name in UNUSED_PROVINCES.items():
            if written >= minimum_rows:
                break
            buffer = io.StringIO(newline="")
            writer = csv.writer(buffer, lineterminator="\r\n")
            writer.writerows(row[:7] + [code, name] + row[9:13] + ["0", "0"] for row in chongqing)
            out.write(buffer.getvalue().encode(SOURCE_ENCODING))
            written += len(chongqing)
    if written < minimum_rows:
        raise ValueError(f"{source.name} grows to {written} rows only, fewer than {minimum_rows}")
    return written
