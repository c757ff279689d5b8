"""The detail extract's fast path: transcode, number and check a plain extract in one pass.

Most extracts are plain: no quoted field, no sign, no blank line, every row as the contract
wants it. For those, plain_extract.c (built by ``make setup``, called through ctypes, which
lets go of the GIL) does in one pass what ``transcode_to_utf8`` and the checked read do,
about ten times faster, so DuckDB can read the typed columns straight away, as a bare
``read_csv`` does. At the first line that is not plain it stops and says so; the loader
then takes the Python path, which names what is wrong or loads what is merely unusual.
"""

from __future__ import annotations

import ctypes
import functools
from array import array
from datetime import date
from pathlib import Path

from orchestration.parsing.detail_extract import DETAIL_HEADER, SOURCE_ENCODING, transcode_to_utf8

LIBRARY = Path(__file__).with_name("_plain_extract.so")
# The tables cover GB18030's two-byte sequences, by (lead - 0x81) * 191 + (trail - 0x40), and
# its four-byte ones up to the last in the Basic Multilingual Plane (0x8431A439) by their
# linear index; the C code leaves the rest (supplementary planes) to the Python path.
_LEADS, _TRAILS, _FOUR_BYTE_COUNT = 126, 191, 39_420
# A line of the extract runs to a few hundred bytes; one longer than this is not plain (and
# carrying it from chunk to chunk would cost more and more).
MAX_PLAIN_LINE = 1 << 20


class _Result(ctypes.Structure):
    _fields_ = [("consumed", ctypes.c_int64), ("written", ctypes.c_int64), ("lines", ctypes.c_int64)]


@functools.cache
def _library() -> ctypes.CDLL:
    if not LIBRARY.exists():
        raise RuntimeError(f"{LIBRARY} is missing: `make setup` builds it from plain_extract.c")
    library = ctypes.CDLL(str(LIBRARY))
    library.plain_extract_lines.argtypes = [
        ctypes.c_char_p, ctypes.c_int64, ctypes.c_void_p, ctypes.c_int64,
        ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int64, ctypes.c_char_p, ctypes.POINTER(_Result),
    ]
    library.plain_extract_lines.restype = ctypes.c_int
    return library


def _utf8_entry(sequence: bytes) -> int:
    """One GB18030 sequence as plain_extract.c's tables hold it: its UTF-8 bytes in order
    (the first lowest) and their count in the high byte, as Python's strict decoder reads it;
    0 where that decoder refuses the sequence."""
    try:
        decoded = sequence.decode(SOURCE_ENCODING)
    except UnicodeDecodeError:
        return 0
    utf8 = decoded.encode("utf-8")
    if len(decoded) != 1 or len(utf8) > 3:
        return 0
    return int.from_bytes(utf8, "little") | len(utf8) << 24


@functools.cache
def _tables() -> tuple[ctypes.Array, ctypes.Array]:
    """GB18030 as Python's codec decodes it, so both paths give the same text."""
    two_byte = array("I", bytes(4 * _LEADS * _TRAILS))
    for lead in range(_LEADS):
        for trail in range(_TRAILS):
            two_byte[lead * _TRAILS + trail] = _utf8_entry(bytes((0x81 + lead, 0x40 + trail)))
    four_byte = array("I", bytes(4 * _FOUR_BYTE_COUNT))
    for index in range(_FOUR_BYTE_COUNT):
        b1, rest = divmod(index, 12_600)
        b2, rest = divmod(rest, 1_260)
        b3, b4 = divmod(rest, 10)
        four_byte[index] = _utf8_entry(bytes((0x81 + b1, 0x30 + b2, 0x81 + b3, 0x30 + b4)))
    as_c = [(ctypes.c_uint32 * len(table)).from_buffer(table) for table in (two_byte, four_byte)]
    return as_c[0], as_c[1]


def transcode_extract(src: Path, dst: Path, reference_month: date) -> tuple[int, bool]:
    """The extract in UTF-8 at ``dst``, each line after its number: by the fast path if it is
    plain, else by ``transcode_to_utf8``, which raises ContractViolation for what the contract
    refuses. Returns the number of lines, header included, and whether the fast path checked
    every row already."""
    lines = transcode_plain(src, dst, f"{reference_month:%Y%m}")
    if lines is not None:
        return lines, True
    return transcode_to_utf8(src, dst), False


def transcode_plain(src: Path, dst: Path, period: str, chunk_bytes: int = 4 << 20) -> int | None:
    """Write ``src`` to ``dst`` as ``transcode_to_utf8`` does (UTF-8, each line after its
    number) if every line is plain: 15 unquoted fields, 数据年月 equal to ``period``
    (YYYYMM), codes of ASCII digits, non-negative plain numbers, 人民币 and 美元 present with
    at most two decimals, CRLF line ends. Returns the number of lines, header included, or
    None at the first line that is not plain (``dst`` is then incomplete)."""
    header = DETAIL_HEADER.encode(SOURCE_ENCODING) + b"\r\n"
    library, (two_byte, four_byte) = _library(), _tables()
    result, period_bytes = _Result(), period.encode("ascii")
    output = bytearray(_output_bytes(chunk_bytes + MAX_PLAIN_LINE))
    with open(src, "rb") as source, open(dst, "wb") as target:
        if source.readline(len(header)) != header:
            return None  # a wrong or BOM-marked header: the Python path says which
        target.write(b"1," + DETAIL_HEADER.encode("utf-8") + b"\r\n")
        lines, unfinished = 1, b""
        while chunk := source.read(chunk_bytes):
            data = unfinished + chunk
            plain = library.plain_extract_lines(
                data, len(data), (ctypes.c_char * len(output)).from_buffer(output), lines + 1,
                two_byte, four_byte, _FOUR_BYTE_COUNT, period_bytes, ctypes.byref(result),
            )
            if plain != 0:
                return None
            target.write(memoryview(output)[: result.written])
            lines += result.lines
            unfinished = data[result.consumed :]
            if len(unfinished) > MAX_PLAIN_LINE:
                return None
    return None if unfinished else lines


def _output_bytes(input_bytes: int) -> int:
    """What plain_extract_lines may write for so many input bytes, line numbers included."""
    return 3 * input_bytes + 64
