"""The landing zone as the file system shows it: which files are deliveries, and their bytes.

"Still being written" is defined here, once, for `refresh`, the release-day schedule and the
sensors: a file is not yet a delivery while its name ends in ``.part`` or while a process
holds it open for writing (psutil sees every process's files when we run as root, our own
user's otherwise). A producer that closes and reopens its file between writes is caught by
the other half of the rule: a file whose size, modification time or inode changed between
the moment its hash was taken and the moment its rows were read is not loaded in that run
(``FileSnapshot``), and the sensors wait until a file looks the same twice. `refresh` looks
once, so it waits until every delivery has been left unchanged for ``SETTLE_SECONDS``
(``unsettled``): a producer between two writes is waited for, and a file it closed
half-written and never finishes is then judged as it is, like any file.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import psutil

from orchestration.feeds import FEEDS
from orchestration.parsing.errors import UnknownFileName
from orchestration.parsing.landing_names import parse_landing_name
from orchestration.periods import run_month

PARTIAL_SUFFIX = ".part"
HASH_CHUNK_BYTES = 1 << 20
# How long a closed file must stay unchanged before `refresh` takes it as delivered.
SETTLE_SECONDS = 5.0


@dataclass(frozen=True)
class FileSnapshot:
    """What a file's directory entry said when its bytes were read."""

    size: int
    mtime_ns: int
    inode: int
    device: int

    @classmethod
    def of(cls, status: os.stat_result) -> FileSnapshot:
        return cls(status.st_size, status.st_mtime_ns, status.st_ino, status.st_dev)


@dataclass(frozen=True)
class HashedFile:
    sha256: str
    snapshot: FileSnapshot


def hash_file(path: Path) -> HashedFile:
    """The SHA-256 of the bytes read through one open file, and that file's status before and
    after: a file rewritten while it was hashed raises ``FileChanged``. OSError (missing,
    unreadable) is the caller's to judge."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        before = FileSnapshot.of(os.fstat(handle.fileno()))
        while chunk := handle.read(HASH_CHUNK_BYTES):
            digest.update(chunk)
        after = FileSnapshot.of(os.fstat(handle.fileno()))
    if after != before:
        raise FileChanged(f"{path.name} changed while it was hashed ({before.size:,} -> {after.size:,} bytes)")
    return HashedFile(digest.hexdigest(), before)


def sha256_of(path: Path) -> str:
    return hash_file(path).sha256


class FileChanged(Exception):
    """A landing file was rewritten, replaced or removed while it was being read."""


def check_unchanged(path: Path, snapshot: FileSnapshot) -> None:
    """Raise ``FileChanged`` unless ``path`` is still the file, bytes and all, of ``snapshot``."""
    try:
        now = FileSnapshot.of(os.stat(path))
    except FileNotFoundError:
        raise FileChanged(f"{path.name} disappeared (removed or renamed) while it was being loaded") from None
    if now != snapshot:
        raise FileChanged(
            f"{path.name} was rewritten or replaced while it was being loaded "
            f"({snapshot.size:,} bytes when hashed, {now.size:,} now)"
        )


def open_for_writing() -> set[tuple[int, int]]:
    """(device, inode) of every regular file some process holds open for writing."""
    found = set()
    for process in psutil.process_iter():
        try:
            files = process.open_files()
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            continue  # gone, or not ours to look at
        for opened in files:
            if opened.mode == "r":
                continue
            try:
                status = os.stat(opened.path)
            except OSError:
                continue  # removed since
            found.add((status.st_dev, status.st_ino))
    return found


def being_written(path: Path, status: os.stat_result, writers: set[tuple[int, int]]) -> str | None:
    """Why ``path`` is not a delivery yet, or None if it is one."""
    if path.name.endswith(PARTIAL_SUFFIX):
        return f"its {PARTIAL_SUFFIX} name says the producer is still writing it"
    if (status.st_dev, status.st_ino) in writers:
        return "a process holds it open for writing"
    return None


def unsettled(landing_root: Path, now: float) -> dict[str, float]:
    """The deliveries modified less than SETTLE_SECONDS before ``now`` (seconds since the
    epoch): ``feed/name`` -> modification time."""
    writers = open_for_writing()
    young = {}
    for feed in FEEDS:
        for path in landing_files(landing_root, feed, writers=writers):
            try:
                modified = path.stat().st_mtime
            except FileNotFoundError:
                continue  # gone since the listing
            if modified > now - SETTLE_SECONDS:
                young[f"{path.parent.name}/{path.name}"] = modified
    return young


def landing_root_problem(root: Path) -> str | None:
    """Why nothing can be read from the landing root, or None."""
    if not root.exists():
        return f"the landing zone {root} does not exist (LANDING_DIR)"
    if not root.is_dir():
        return f"the landing zone {root} is not a folder (LANDING_DIR points at a file)"
    if not os.access(root, os.R_OK | os.X_OK):
        return f"the landing zone {root} cannot be read: permission denied"
    return None


def feed_folder_problem(root: Path, feed: str) -> str | None:
    """Why a feed's folder cannot be listed, or None (a missing folder is an empty feed)."""
    folder = root / FEEDS[feed].folder
    if folder.exists() and not folder.is_dir():
        return f"{folder} is not a folder"
    if folder.is_dir() and not os.access(folder, os.R_OK | os.X_OK):
        return f"{folder} cannot be read: permission denied"
    return None


def landing_files(
    landing_root: Path, feed: str, reference_month: date | None = None, writers: set[tuple[int, int]] | None = None
) -> list[Path]:
    """The deliveries of a feed, oldest vintage first: no file still being written, no
    symlink (the loader refuses those when it is handed one), no unknown name."""
    folder = landing_root / FEEDS[feed].folder
    if feed_folder_problem(landing_root, feed) or not folder.is_dir():
        return []
    writers = open_for_writing() if writers is None else writers
    found = []
    for path in folder.iterdir():
        try:
            status = path.lstat()
        except FileNotFoundError:
            continue  # gone since the listing
        if not path.is_file() or path.is_symlink() or being_written(path, status, writers):
            continue
        try:
            name = parse_landing_name(feed, path.name)
        except UnknownFileName:
            continue  # matches no feed: reported by the sensor, left alone
        if reference_month is None or run_month(name.reference_month) == reference_month:
            found.append((name.vintage, path.name, path))
    return [path for _, _, path in sorted(found)]


def files_being_written(landing_root: Path, feed: str, writers: set[tuple[int, int]] | None = None) -> list[str]:
    """Names in a feed's folder that are not deliveries yet, for the message that says so."""
    folder = landing_root / FEEDS[feed].folder
    if feed_folder_problem(landing_root, feed) or not folder.is_dir():
        return []
    writers = open_for_writing() if writers is None else writers
    waiting = []
    for path in sorted(folder.iterdir()):
        try:
            if path.is_file() and not path.is_symlink() and being_written(path, path.lstat(), writers):
                waiting.append(path.name)
        except FileNotFoundError:
            continue
    return waiting


def deliveries(landing_root: Path, feed: str, months: list[date]) -> tuple[list[Path], list[str]]:
    """A run's files of ``feed`` for ``months``, and what an operator should be told about
    the rest: a landing zone that cannot be read, files still being written, empty months."""
    problem = landing_root_problem(landing_root) or feed_folder_problem(landing_root, feed)
    if problem:
        return [], [f"{feed}: {problem}; nothing of this feed is read in this run"]
    writers = open_for_writing()
    files, notes = [], []
    for month in months:
        found = landing_files(landing_root, feed, month, writers)
        if not found:
            notes.append(f"{feed} {month:%Y-%m}: no file in the landing zone")
        files += found
    for name in files_being_written(landing_root, feed, writers):
        notes.append(f"{feed}/{name} is still being written: left in place for a later run")
    return files, notes
