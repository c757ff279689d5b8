"""Deciding which landing files are ready, and which runs they call for.

Pure logic behind the landing sensors. A file is ready when it is not still being written
(``ingest.landing_zone``: no ``.part`` name, no process holding it open for writing) and its
size and modification time did not change between two looks. Ready files
are hashed; bytes already launched are never launched again, whatever their name. The
new files of one look become one run over the months they name, keyed by their hashes,
unless a run that has not started yet already covers all those months: that run loads
them (see ``evaluate``), so a month whose feeds land together is refreshed once.
The cursor is JSON, stored by Dagster, so it survives daemon restarts.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from orchestration.ingest.landing_zone import PARTIAL_SUFFIX
from orchestration.parsing.errors import UnknownFileName
from orchestration.parsing.landing_names import parse_landing_name
from orchestration.periods import month_key, run_month

Stat = tuple[int, int]  # (size in bytes, mtime in ns)


@dataclass
class LandingCursor:
    # name -> the (size, mtime) seen at the last look, for files not launched yet
    pending: dict[str, Stat] = field(default_factory=dict)
    # name -> [size, mtime, sha256] of files already hashed (so a large file is hashed once)
    hashed: dict[str, list] = field(default_factory=dict)
    # sha256 of every file a run was requested for, or left to a waiting run
    launched: list[str] = field(default_factory=list)

    def to_json(self) -> str:
        return json.dumps(
            {"pending": self.pending, "hashed": self.hashed, "launched": sorted(self.launched)},
            sort_keys=True,
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, text: str | None) -> LandingCursor:
        if not text:
            return cls()
        data = json.loads(text)
        return cls(
            pending={k: tuple(v) for k, v in data.get("pending", {}).items()},
            hashed=data.get("hashed", {}),
            launched=list(data.get("launched", [])),
        )


@dataclass(frozen=True)
class PlannedRun:
    feed: str
    first_month: str
    last_month: str
    files: tuple[str, ...]
    run_key: str


@dataclass
class Evaluation:
    run: PlannedRun | None
    cursor: LandingCursor
    waiting: list[str]  # files seen but not yet stable
    ignored: list[str]  # names that match no feed
    joined: list[str] = field(default_factory=list)  # new files left to a run not started yet


def list_landing(folder: Path) -> dict[str, Stat]:
    """Files of one feed folder with their size and mtime; symlinks are never followed."""
    if not folder.is_dir():
        return {}
    listing = {}
    for path in folder.iterdir():
        try:
            if path.is_symlink() or not path.is_file():
                continue
            stat = path.stat()
        except FileNotFoundError:
            continue  # removed or renamed since the folder was read
        listing[path.name] = (stat.st_size, stat.st_mtime_ns)
    return listing


def evaluate(
    feed: str,
    listing: Mapping[str, Stat],
    cursor: LandingCursor,
    sha256_of: Callable[[str], str | None],
    recorded_shas: Callable[[], set[str] | None] = lambda: set(),
    waiting_run_months: Callable[[], set[str]] = lambda: set(),
    being_written: Collection[str] = (),
) -> Evaluation:
    """One look at a feed folder: which files are ready and new, and the next cursor.

    ``recorded_shas`` tells which bytes the warehouse has already decided on (its load
    audit), so files loaded by a manual run are not launched again; it is asked only when
    there are new files, and ``None`` (the warehouse is busy) means: look again later.
    ``being_written`` names files still being written; ``sha256_of`` gives None for a file
    that vanished or changed while it was hashed: both are looked at again next time.

    ``waiting_run_months`` gives the months of the runs that will load this feed and have
    not started yet. When they include every month of the new files, no run is requested:
    such a run lists the landing zone when its load step starts, which is after this look,
    and these files have been in place, complete and unchanged, since before it. Their
    hashes count as launched (exactly once, as for a requested run).
    """
    pending: dict[str, Stat] = {}
    hashed = {name: entry for name, entry in cursor.hashed.items() if name in listing}
    launched = set(cursor.launched)
    ready: list[tuple[str, str, str]] = []  # (month, name, sha)
    ready_shas: set[str] = set()
    waiting, ignored = [], []

    for name, stat in sorted(listing.items()):
        if name.endswith(PARTIAL_SUFFIX) or name in being_written:
            waiting.append(name)
            continue
        try:
            month = month_key(run_month(parse_landing_name(feed, name).reference_month))
        except UnknownFileName:
            ignored.append(name)
            continue
        known = hashed.get(name)
        if known and tuple(known[:2]) == tuple(stat):
            sha = known[2]
        elif cursor.pending.get(name) == tuple(stat) and (sha := sha256_of(name)) is not None:
            hashed[name] = [*stat, sha]
        else:
            pending[name] = tuple(stat)  # new or still changing: look again next time
            waiting.append(name)
            continue
        if sha in launched or sha in ready_shas:
            continue  # bytes already launched (under this or another name), or twice in one look
        ready.append((month, name, sha))
        ready_shas.add(sha)

    if ready:
        recorded = recorded_shas()
        if recorded is None:
            # Busy warehouse: keep what was learnt (hashes) but launch nothing; the files are
            # ready again at the next look.
            next_cursor = LandingCursor(pending=pending, hashed=hashed, launched=sorted(launched))
            return Evaluation(run=None, cursor=next_cursor, waiting=[name for _, name, _ in ready], ignored=ignored)
        launched.update(sha for _, _, sha in ready if sha in recorded)
        ready = [entry for entry in ready if entry[2] not in recorded]

    if ready and {month for month, _, _ in ready} <= waiting_run_months():
        launched.update(sha for _, _, sha in ready)
        next_cursor = LandingCursor(pending=pending, hashed=hashed, launched=sorted(launched))
        joined = sorted(name for _, name, _ in ready)
        return Evaluation(run=None, cursor=next_cursor, waiting=waiting, ignored=ignored, joined=joined)

    run = None
    if ready:
        months = sorted(month for month, _, _ in ready)
        shas = sorted(sha for _, _, sha in ready)
        key = hashlib.sha256("\n".join(shas).encode()).hexdigest()[:20]
        run = PlannedRun(
            feed=feed,
            first_month=months[0],
            last_month=months[-1],
            files=tuple(sorted(name for _, name, _ in ready)),
            run_key=f"{feed}:{key}",
        )
        launched.update(shas)
    next_cursor = LandingCursor(pending=pending, hashed=hashed, launched=sorted(launched))
    return Evaluation(run=run, cursor=next_cursor, waiting=waiting, ignored=ignored)
