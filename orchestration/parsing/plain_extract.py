"""The detail extract's fast path: transcode, number and check a plain extract in one pass.

Most extracts are plain: no quoted code or number, no sign, no blank line, every row as the
contract wants it. For those, plain_extract.c (an optional extension of the package's
build, setup.py; called through ctypes, which lets go of the GIL) does in one pass what
``transcode_to_utf8`` and the checked read do, so DuckDB can read the typed columns
straight away, as a bare ``read_csv`` does. At the first line that is not plain it stops
and says so; the loader then takes the Python path, which names what is wrong or loads
what is merely unusual. Where no C compiler built it, every extract takes the Python path.
"""

from __future__ import annotations

import ctypes
import functools
import sysconfig
from datetime import date
from pathlib import Path

import numpy as np

from orchestration.parsing.detail_extract import DETAIL_HEADER, SOURCE_ENCODING, transcode_to_utf8

LIBRARY = Path(__file__).with_name("_plain_extract" + sysconfig.get_config_var("EXT_SUFFIX"))
# The tables cover GB18030's two-byte sequences and its four-byte ones up to the last in the
# Basic Multilingual Plane (0x8431A439); the C code leaves the rest (supplementary planes)
# to the Python path. In the table of byte pairs, this marks a four-byte sequence's start.
_FOUR_BYTE_COUNT, _FOUR_BYTE_LEAD = 39_420, 0xFF000000
# A line of the extract runs to a few hundred bytes; one longer than this is not plain (and
# carrying it from chunk to chunk would cost more and more).
MAX_PLAIN_LINE = 1 << 20


class _Result(ctypes.Structure):
    _fields_ = [("consumed", ctypes.c_int64), ("written", ctypes.c_int64), ("lines", ctypes.c_int64)]


def fast_path_built() -> bool:
    return LIBRARY.exists()


@functools.cache
def _library() -> ctypes.CDLL:
    if not fast_path_built():
        raise RuntimeError(f"{LIBRARY} is missing: `make setup` builds it from plain_extract.c with a C compiler")
    library = ctypes.CDLL(str(LIBRARY))
    library.plain_extract_lines.argtypes = [
        ctypes.c_char_p, ctypes.c_int64, ctypes.c_void_p, ctypes.c_int64,
        ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int64, ctypes.c_char_p, ctypes.POINTER(_Result),
    ]
    library.plain_extract_lines.restype = ctypes.c_int
    return library


@functools.cache
def _tables() -> tuple[np.ndarray, np.ndarray]:
    """GB18030 as Python's codec decodes it, so both paths give the same text: every pair of
    bytes a character can start with, by (first << 8) | second, and the four-byte sequences
    by their linear index. Each entry holds the character's UTF-8 bytes, the first lowest,
    and their count in the high byte; 0 where the decoder refuses the sequence."""
    first, second = np.divmod(np.arange(1 << 16), 256)
    leads = (first >= 0x81) & (first <= 0xFE)
    two_byte = leads & (second >= 0x40) & (second <= 0xFE) & (second != 0x7F)
    pairs = np.zeros(1 << 16, dtype=np.uint32)
    pairs[two_byte] = _utf8_entries(np.stack([first[two_byte], second[two_byte]], axis=1))
    pairs[leads & (second >= 0x30) & (second <= 0x39)] = _FOUR_BYTE_LEAD
    index = np.arange(_FOUR_BYTE_COUNT)
    four_byte = _utf8_entries(np.stack(
        [0x81 + index // 12_600, 0x30 + index % 12_600 // 1_260, 0x81 + index % 1_260 // 10, 0x30 + index % 10], axis=1
    ))
    return pairs, four_byte


def _utf8_entries(sequences: np.ndarray) -> np.ndarray:
    """The table entries of GB18030 sequences, one per row of bytes: all in one decode
    (every sequence the tables hold decodes), one by one should the codec refuse some."""
    try:
        decoded = sequences.astype(np.uint8).tobytes().decode(SOURCE_ENCODING)
    except UnicodeDecodeError:
        decoded = None
    if decoded is None or len(decoded) != len(sequences):
        return np.array([_utf8_entry(bytes(row)) for row in sequences.astype(np.uint8)], dtype=np.uint32)
    return _packed(np.frombuffer(decoded.encode("utf-32-le"), dtype="<u4"))


def _utf8_entry(sequence: bytes) -> int:
    try:
        decoded = sequence.decode(SOURCE_ENCODING)
    except UnicodeDecodeError:
        return 0
    return int(_packed(np.array([ord(decoded)], dtype=np.uint32))[0]) if len(decoded) == 1 else 0


def _packed(code_points: np.ndarray) -> np.ndarray:
    """Code points as table entries: UTF-8 of one to three bytes, the first lowest, and the
    count in the high byte (0 for those beyond three bytes, which GB18030's tables hold not)."""
    cp = code_points.astype(np.uint32)
    one, two, three = cp < 0x80, (cp >= 0x80) & (cp < 0x800), (cp >= 0x800) & (cp < 0x10000)
    lead = np.where(one, cp, np.where(two, 0xC0 | cp >> 6, 0xE0 | cp >> 12))
    middle = np.where(two, 0x80 | cp & 0x3F, 0x80 | cp >> 6 & 0x3F)
    last = 0x80 | cp & 0x3F
    return np.select(
        [one, two, three],
        [lead | 1 << 24, lead | middle << 8 | 2 << 24, lead | middle << 8 | last << 16 | 3 << 24],
        0,
    ).astype(np.uint32)


def transcode_extract(src: Path, dst: Path, reference_month: date) -> tuple[int, bool]:
    """The extract in UTF-8 at ``dst``, each line after its number: by the fast path if it is
    plain (and built), else by ``transcode_to_utf8``, which raises ContractViolation for what
    the contract refuses. Returns the number of lines, header included, and whether the fast
    path checked every row already."""
    lines = transcode_plain(src, dst, f"{reference_month:%Y%m}") if fast_path_built() else None
    if lines is not None:
        return lines, True
    return transcode_to_utf8(src, dst), False


def transcode_plain(src: Path, dst: Path, period: str, chunk_bytes: int = 4 << 20) -> int | None:
    """Write ``src`` to ``dst`` as ``transcode_to_utf8`` does (UTF-8, each line after its
    number) if every line is plain: 15 fields (only names quoted), 数据年月 equal to
    ``period`` (YYYYMM), codes of ASCII digits, non-negative plain numbers, 人民币 and 美元
    present with at most two decimals, CRLF line ends. Returns the number of lines, header
    included, or None at the first line that is not plain (``dst`` is then incomplete)."""
    header = DETAIL_HEADER.encode(SOURCE_ENCODING) + b"\r\n"
    library, (pairs, four_byte) = _library(), _tables()
    result, period_bytes = _Result(), period.encode("ascii")
    output = bytearray(_output_bytes(chunk_bytes + MAX_PLAIN_LINE))
    output_c = (ctypes.c_char * len(output)).from_buffer(output)
    with open(src, "rb") as source, open(dst, "wb") as target:
        if source.readline(len(header)) != header:
            return None  # a wrong or BOM-marked header: the Python path says which
        target.write(b"1," + DETAIL_HEADER.encode("utf-8") + b"\r\n")
        lines, unfinished = 1, b""
        while chunk := source.read(chunk_bytes):
            data = unfinished + chunk
            plain = library.plain_extract_lines(
                data, len(data), output_c, lines + 1,
                pairs.ctypes.data, four_byte.ctypes.data, _FOUR_BYTE_COUNT, period_bytes, ctypes.byref(result),
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
