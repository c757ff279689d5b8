"""The detail extract's fast path (plain_extract.c) against the Python path it stands in
for: where it says a file is plain, the same text, line numbers and rows; wherever a line
is not plain, no, so that the Python path names the problem or loads what is unusual.
Where it is not built, every extract takes the Python path."""

from __future__ import annotations

import ctypes
import os
import shutil
import subprocess
import sys
import sysconfig
from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import pytest

from orchestration.parsing.detail_extract import (
    DETAIL_HEADER,
    MAX_LINE_BYTES,
    TranscodedExtract,
    checked_rows_query,
    transcode_to_utf8,
)
from orchestration.parsing.errors import ContractViolation
from orchestration.parsing.landing_names import parse_landing_name
from orchestration.parsing import plain_extract
from orchestration.parsing.plain_extract import _utf8_entries, transcode_extract, transcode_plain
from tests.support.chain import REPO
from tests.support.fast_path import needs_fast_path
from tests.support.parser_fixtures import detail_rows, write_detail

NOV_2021 = date(2021, 11, 1)
PERIOD = "202111"


def plain_text(src: Path, tmp_path: Path, period: str = PERIOD, **options) -> bytes | None:
    """What the fast path writes for ``src``, or None if it leaves the file to Python."""
    target = tmp_path / "plain.csv"
    lines = transcode_plain(src, target, period, **options)
    if lines is None:
        return None
    text = target.read_bytes()
    assert lines == text.count(b"\r\n")
    return text


def python_text(src: Path, tmp_path: Path) -> bytes:
    target = tmp_path / "python.csv"
    transcode_to_utf8(src, target)
    return target.read_bytes()


def numbered(text: bytes) -> list[tuple[int, bytes]]:
    """Each line as (its number, the rest): the Python path pads the numbers with zeros."""
    return [(int(number), rest) for number, _, rest in (line.partition(b",") for line in text.splitlines(True))]


def crafted(tmp_path: Path, rows: list[list[str]]) -> Path:
    return write_detail(tmp_path / "cq_detail.csv", rows)


@needs_fast_path
def test_plain_rows_read_as_the_python_path_reads_them(tmp_path):
    rows = detail_rows(NOV_2021)  # a quoted comma, a doubled quote, empty quantities, zero amounts
    rows.append([PERIOD, "71131911", "金饰·足金", "110", "中国香港", "10", "一般贸易", "50", "重庆", "0.125", "克",
                 "", "", "1234567890123456.78", "0.5"])  # '·' is two bytes in UTF-8
    rows.append([PERIOD, "97011000", "油画¥", "304", "法国", "10", "一般贸易", "50", "重庆", "1", "幅",
                 "1", "件", "300000", "46875"])  # '¥' is a four-byte GB18030 sequence
    src = crafted(tmp_path, rows)
    assert "¥".encode("gb18030") == b"\x81\x30\x84\x36"

    text = plain_text(src, tmp_path)

    assert text is not None
    assert numbered(text) == numbered(python_text(src, tmp_path))
    assert [number for number, _ in numbered(text)] == list(range(1, len(rows) + 2))


@pytest.mark.parametrize("chunk_bytes", [1, 3, 7, 100])
@needs_fast_path
def test_chunks_that_split_lines_and_characters(tmp_path, chunk_bytes):
    src = crafted(tmp_path, detail_rows(NOV_2021))
    assert numbered(plain_text(src, tmp_path, chunk_bytes=chunk_bytes)) == numbered(python_text(src, tmp_path))


@needs_fast_path
def test_generated_extracts_are_plain_and_load_the_same_rows(tmp_path):
    sample_data = pytest.importorskip("tools.sample_data")
    files = [path for path in sample_data.generate(tmp_path / "landing", date(2021, 10, 1), date(2021, 11, 1))
             if path.parent.name == "customs_detail"]
    assert files
    extracts = {True: [], False: []}
    for index, src in enumerate(files):
        name = parse_landing_name("customs_detail", src.name)
        plain, python = tmp_path / f"plain{index}.csv", tmp_path / f"python{index}.csv"
        lines = transcode_plain(src, plain, f"{name.reference_month:%Y%m}")
        assert lines == transcode_to_utf8(src, python), src.name  # None would mean the slow path
        assert numbered(plain.read_bytes()) == numbered(python.read_bytes())
        for is_plain, path in ((True, plain), (False, python)):
            extracts[is_plain].append(TranscodedExtract(src.name, path, lines, name.reference_month, name.flow, is_plain))

    con = duckdb.connect()
    typed, checked = (checked_rows_query(extracts[is_plain]) for is_plain in (True, False))
    assert "regexp_full_match" in checked[0] and "regexp_full_match" not in typed[0]
    con.execute(f"CREATE TABLE typed AS {typed[0]}", typed[1])
    con.execute(f"CREATE TABLE checked AS {checked[0]}", checked[1])
    assert con.execute("SELECT count(*) FROM typed").fetchone()[0] == sum(e.lines - 1 for e in extracts[True])
    assert con.execute("SELECT count(*) FROM (SELECT * FROM typed EXCEPT ALL SELECT * FROM checked)").fetchone() == (0,)
    assert con.execute("SELECT count(*) FROM (SELECT * FROM checked EXCEPT ALL SELECT * FROM typed)").fetchone() == (0,)


def with_field(column: int, value: str):
    def change(rows: list[list[str]]) -> list[list[str]]:
        rows[1][column] = value
        return rows
    return change


def with_bytes(old: bytes, new: bytes):
    def change(data: bytes) -> bytes:
        assert old in data
        return data.replace(old, new, 1)
    return change


# Lines the fast path must leave to the Python path: the contract refuses most of them,
# and the checked read loads the few it allows (a quoted number, a character beyond the
# Basic Multilingual Plane, a quantity with more than 18 digits).
ROW_CHANGES = {
    "negative amount": with_field(13, "-85000"),
    "minus zero": with_field(9, "-0"),
    "amount with three decimals": with_field(13, "85000.005"),
    "thousands separator": with_field(13, "85,000"),
    "underscore in a number": with_field(13, "85_000"),
    "plus sign": with_field(14, "+13281"),
    "space before a number": with_field(14, " 13281"),
    "exponent": with_field(9, "2.05e1"),
    "point without digits after": with_field(9, "20."),
    "point without digits before": with_field(9, ".5"),
    "full-width digits": with_field(13, "８５０００"),
    "amount missing": with_field(14, ""),
    "period of another month": with_field(0, "202110"),
    "HS code of seven digits": with_field(1, "0805500"),
    "letter in a partner code": with_field(3, "6O1"),
    "province code missing": with_field(7, ""),
    "nineteen digits": with_field(11, "1" * 19),
    "character beyond the BMP": with_field(2, "鲜柠檬𠀀"),
    "NUL before the period": with_field(0, "\x00202111"),
    "sixteen fields": lambda rows: [*rows[:1], rows[1] + ["x"], *rows[2:]],
    "fourteen fields": lambda rows: [*rows[:1], rows[1][:-1], *rows[2:]],
}
BYTE_CHANGES = {
    "quoted number": with_bytes(b",85000,", b',"85000",'),
    "quoted code": with_bytes(b",601,", b',"601",'),
    "quoted quantity": with_bytes(b",20.5,", b',"20.5",'),
    "quote inside a bare name": with_bytes("鲜柠檬".encode("gb18030"), '鲜"柠檬'.encode("gb18030")),
    "text after a closing quote": with_bytes("便携式\"".encode("gb18030"), "便携式\"x".encode("gb18030")),
    "quote never closed": with_bytes("便携式\"".encode("gb18030"), "便携式".encode("gb18030")),
    "blank line": with_bytes(b"\r\n", b"\r\n\r\n"),
    "LF line end": with_bytes(b"13281\r\n", b"13281\n"),
    "CR inside a line": with_bytes("鲜柠檬".encode("gb18030"), "鲜\r柠檬".encode("gb18030")),
    "NUL inside a bare name": with_bytes("鲜柠檬".encode("gb18030"), "鲜\x00柠檬".encode("gb18030")),
    "NUL inside a quoted name": with_bytes("便携式\"".encode("gb18030"), "便携式\x00\"".encode("gb18030")),
    "tab inside a quoted name": with_bytes("便携式\"".encode("gb18030"), "便携式\t\"".encode("gb18030")),
    "byte GB18030 refuses": with_bytes("鲜柠檬".encode("gb18030"), b"\x81\x20" + "柠檬".encode("gb18030")),
    "single byte 0x80": with_bytes("鲜柠檬".encode("gb18030"), b"\x80" + "柠檬".encode("gb18030")),
    "last line without its line end": lambda data: data[:-2],
    "header in UTF-8": with_bytes(DETAIL_HEADER.encode("gb18030"), DETAIL_HEADER.encode("utf-8")),
    "header without its CR": with_bytes(DETAIL_HEADER.encode("gb18030") + b"\r\n", DETAIL_HEADER.encode("gb18030") + b"\n"),
}


@pytest.mark.parametrize("change", ROW_CHANGES.values(), ids=ROW_CHANGES.keys())
@needs_fast_path
def test_rows_that_are_not_plain_go_to_the_python_path(tmp_path, change):
    src = crafted(tmp_path, change(detail_rows(NOV_2021)))
    assert plain_text(src, tmp_path) is None


@pytest.mark.parametrize("change", BYTE_CHANGES.values(), ids=BYTE_CHANGES.keys())
@needs_fast_path
def test_bytes_that_are_not_plain_go_to_the_python_path(tmp_path, change):
    src = crafted(tmp_path, detail_rows(NOV_2021))
    src.write_bytes(change(src.read_bytes()))
    assert plain_text(src, tmp_path) is None


@needs_fast_path
def test_the_file_period_is_checked(tmp_path):
    src = crafted(tmp_path, detail_rows(NOV_2021))
    assert plain_text(src, tmp_path, period="202111") is not None
    assert plain_text(src, tmp_path, period="202112") is None


@needs_fast_path
def test_a_line_longer_than_a_chunk(tmp_path):
    # the unfinished line is carried from chunk to chunk
    rows = detail_rows(NOV_2021)
    rows[1][2] = "很长的商品名称" * 30_000
    src = crafted(tmp_path, rows)
    assert numbered(plain_text(src, tmp_path, chunk_bytes=4096)) == numbered(python_text(src, tmp_path))


@needs_fast_path
def test_a_line_longer_than_any_real_one_is_refused_with_its_number(tmp_path):
    # carried from chunk to chunk no further than MAX_LINE_BYTES: the copies would grow with it
    rows = detail_rows(NOV_2021)
    rows[2][2] = "很长" * (MAX_LINE_BYTES // 2)  # 2 MiB in GB18030, on line 4 (the header is line 1)
    src = crafted(tmp_path, rows)
    assert plain_text(src, tmp_path, chunk_bytes=1 << 16) is None
    with pytest.raises(ContractViolation, match=r"oversized: line 4 runs past 1,048,576 bytes") as refused:
        python_text(src, tmp_path)
    assert refused.value.reason == "oversized"


def test_tables_when_the_codec_refuses_a_sequence():
    # built in one decode; should the codec refuse a sequence, each is decoded on its own
    def entry(character: str) -> int:
        utf8 = character.encode("utf-8")
        return int.from_bytes(utf8, "little") | len(utf8) << 24

    sequences = np.array([[0xB0, 0xA1], [0x81, 0x7F], [0xA1, 0xA4]], dtype=np.uint8)  # 啊, nothing, ·
    assert list(_utf8_entries(sequences)) == [entry("啊"), 0, entry("·")]
    assert list(_utf8_entries(sequences[[0, 2]])) == [entry("啊"), entry("·")]


def test_without_the_built_fast_path_every_extract_takes_the_python_path(tmp_path, monkeypatch):
    rows = detail_rows(NOV_2021)
    src = crafted(tmp_path, rows)
    monkeypatch.setattr(plain_extract, "LIBRARY", tmp_path / "never_built.so")
    assert not plain_extract.fast_path_built()
    lines, plain = transcode_extract(src, tmp_path / "extract.csv", NOV_2021)
    assert not plain
    assert (tmp_path / "extract.csv").read_bytes() == python_text(src, tmp_path)
    assert lines == len(rows) + 1  # the header too


def build_fast_path(root: Path, **env: str) -> subprocess.CompletedProcess:
    """The package's build of the extension (what `make setup` runs), in a copy of its sources."""
    for name in ("setup.py", "pyproject.toml", "orchestration/parsing/plain_extract.c"):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(REPO / name, root / name)
    return subprocess.run(
        [sys.executable, "setup.py", "--quiet", "build_ext", "--inplace"],
        cwd=root, env={**os.environ, **env}, capture_output=True, text=True, timeout=300,
    )


def test_set_up_without_a_c_compiler_goes_on_without_the_fast_path(tmp_path):
    done = build_fast_path(tmp_path, CC="/nonexistent/cc")
    assert done.returncode == 0, done.stderr[-3000:]
    assert "building extension" in done.stderr and "failed" in done.stderr
    assert not (tmp_path / "orchestration" / "parsing" / plain_extract.LIBRARY.name).exists()


# The compiler setuptools calls: $CC where it is set, else the one Python was built with.
@pytest.mark.skipif(not shutil.which(os.environ.get("CC", sysconfig.get_config_var("CC")).split()[0]),
                    reason="no C compiler here")
def test_set_up_with_a_c_compiler_builds_the_library_the_loader_loads(tmp_path):
    done = build_fast_path(tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    built = tmp_path / "orchestration" / "parsing" / plain_extract.LIBRARY.name
    assert built.exists(), done.stderr[-3000:]
    assert ctypes.CDLL(str(built)).plain_extract_lines  # the function plain_extract.py calls
