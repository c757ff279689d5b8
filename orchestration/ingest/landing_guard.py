"""Safety checks on a landing file before anything parses it, or even hashes it.

The loader trusts nothing about a path it is handed. This screen runs first and decides,
from the directory entry and (for a workbook) the zip's central directory alone:

- a path whose folder is not a feed folder of the landing zone (``..``, an absolute path
  elsewhere, a symlinked folder) is left alone and never opened: nothing outside the
  landing zone is read or written;
- a symbolic link is never followed: the link itself is moved to the quarantine and
  refused, its target is not opened, hashed or touched;
- anything else that is not a regular file (a FIFO would block a reader) is left alone;
- a name that matches no feed's pattern in its folder is left alone, as the contract says,
  and reported for what it is (another feed's file, a letter-case variant, unknown);
- a file that vanished since the listing, or is still being written (landing_zone), is
  left alone for a later run;
- a file larger than its feed's size limit (feeds.py) is refused before it is hashed;
- an empty file, or a bulletin that is not a zip archive, is refused as unreadable;
- a bulletin whose members would inflate beyond a size or compression-ratio limit (a zip
  bomb) is refused before openpyxl decompresses a byte of it.
"""

from __future__ import annotations

import hashlib
import os
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path

from orchestration.feeds import FEEDS
from orchestration.ingest.landing_zone import being_written, sha256_of
from orchestration.parsing.errors import ContractViolation, UnknownFileName
from orchestration.parsing.landing_names import parse_landing_name

# A real bulletin inflates to well under 1 MB at a ratio below 10; these limits leave
# room for much larger honest workbooks and none for a bomb.
MAX_WORKBOOK_UNCOMPRESSED_BYTES = 50 * 1024 * 1024
MAX_MEMBER_COMPRESSION_RATIO = 100
MAX_WORKBOOK_MEMBERS = 1000


@dataclass(frozen=True)
class Skip:
    """Left where it is, not read, no audit row: the loader reports ``reason``."""

    reason: str


@dataclass(frozen=True)
class Refusal:
    """Refused before its bytes were hashed: ``fingerprint`` stands in for the SHA-256 in the
    audit (it names the entry, not the content) and ``size`` is what its entry says."""

    violation: ContractViolation
    fingerprint: str
    size: int


def screen(path: Path, landing_root: Path, writers: set[tuple[int, int]]) -> Skip | Refusal | None:
    """What becomes of a file that must not reach the hash and the parsers, or None if it may.
    ``writers`` are the files open for writing (landing_zone.open_for_writing)."""
    path = Path(path)
    feed = path.parent.name
    outside = _outside_landing_zone(path, landing_root)
    if outside:
        return Skip(f"outside_landing_zone: {outside}; not read")
    try:
        entry = os.lstat(path)  # the entry itself: a symlink is not followed
    except FileNotFoundError:
        return Skip("vanished: removed or renamed since the landing zone was listed; nothing recorded")
    if stat.S_ISLNK(entry.st_mode):
        return _symlink_refusal(path)
    if not stat.S_ISREG(entry.st_mode):
        return Skip("not_a_file: not a regular file; left alone, not read")
    try:
        parse_landing_name(feed, path.name)
    except UnknownFileName as exc:
        return Skip(f"{exc.reason}: {exc}; left alone, not read")
    writing = being_written(path, entry, writers)
    if writing:
        return Skip(f"still_being_written: {writing}; left in place for a later run")
    limit = FEEDS[feed].max_file_bytes
    if entry.st_size > limit:
        violation = ContractViolation(
            "oversized",
            f"the file is {entry.st_size:,} bytes, more than the {feed} limit of {limit:,} bytes; "
            "not hashed or parsed",
        )
        return Refusal(violation, entry_fingerprint("oversized", path, entry), entry.st_size)
    try:
        _check_content_envelope(path, feed, entry.st_size)
    except ContractViolation as violation:
        try:
            return Refusal(violation, sha256_of(path), entry.st_size)  # small: at most a bulletin's limit
        except OSError as exc:
            return unreadable(path, entry, exc)
    except OSError as exc:
        return unreadable(path, entry, exc)
    return None


def entry_fingerprint(kind: str, path: Path, entry: os.stat_result) -> str:
    """A stand-in for the SHA-256 of a file refused unread: the same entry gives the same value,
    so a refusal whose file could not be moved away is recognised at the next run."""
    text = f"{kind}:{path.name}:{entry.st_size}:{entry.st_mtime_ns}:{entry.st_ino}"
    return hashlib.sha256(text.encode()).hexdigest()


def unreadable(path: Path, entry: os.stat_result, exc: OSError) -> Refusal:
    violation = ContractViolation(
        "unreadable", f"the file cannot be opened: {exc.strerror or exc} (check its owner and permissions)"
    )
    return Refusal(violation, entry_fingerprint("unreadable", path, entry), entry.st_size)


def _outside_landing_zone(path: Path, landing_root: Path) -> str | None:
    """Why the path's folder is not a feed folder of the landing zone, or None.

    Only the folder is resolved (``..`` and symlinked folders included); the file's own
    entry is judged by lstat, so a symlinked file is not resolved here either.
    """
    if path.parent.name not in FEEDS:
        return f"{path.parent.name!r} is not a feed folder ({', '.join(FEEDS)})"
    folder = path.parent.resolve()
    expected = (Path(landing_root) / path.parent.name).resolve()
    if folder != expected:
        return f"the folder {path.parent} resolves to {folder}, not to the landing zone's {expected}"
    return None


def _symlink_refusal(path: Path) -> Refusal:
    """The link itself is refused; its fingerprint is the hash of the link's text."""
    target = os.readlink(path)
    link_text = os.fsencode(target)
    violation = ContractViolation(
        "unsafe_file", f"{path.name} is a symbolic link to {target!r}; links are never followed and the target was not read"
    )
    return Refusal(violation, hashlib.sha256(b"symlink:" + link_text).hexdigest(), len(link_text))


def _check_content_envelope(path: Path, feed: str, size: int) -> None:
    if size == 0:
        raise ContractViolation("unreadable", "the file is empty (0 bytes)")
    if feed == "customs_bulletin":
        check_workbook_envelope(path)


def check_workbook_envelope(path: Path) -> None:
    """Refuse a workbook that is not a zip or would inflate beyond the limits.

    Reads the central directory only: declared sizes. zipfile itself stops a member that
    inflates beyond its declared size, so a lying header cannot get past this check.
    """
    if not zipfile.is_zipfile(path):
        raise ContractViolation(
            "unreadable", "not an .xlsx workbook: the file is not a zip archive (damaged, truncated or another format)"
        )
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise ContractViolation("unreadable", f"not an .xlsx workbook: {type(exc).__name__}: {exc}") from None
    if len(members) > MAX_WORKBOOK_MEMBERS:
        raise ContractViolation(
            "oversized", f"the workbook has {len(members)} zip members, more than the limit of {MAX_WORKBOOK_MEMBERS}"
        )
    total = sum(member.file_size for member in members)
    if total > MAX_WORKBOOK_UNCOMPRESSED_BYTES:
        raise ContractViolation(
            "oversized",
            f"the workbook would inflate to {total:,} bytes, more than the limit of "
            f"{MAX_WORKBOOK_UNCOMPRESSED_BYTES:,} bytes (possible zip bomb); not decompressed",
        )
    for member in members:
        ratio = member.file_size / max(member.compress_size, 1)
        if ratio > MAX_MEMBER_COMPRESSION_RATIO:
            raise ContractViolation(
                "oversized",
                f"zip member {member.filename!r} inflates {ratio:,.0f}-fold ({member.compress_size:,} -> "
                f"{member.file_size:,} bytes), more than the limit of {MAX_MEMBER_COMPRESSION_RATIO} "
                "(possible zip bomb); not decompressed",
            )
