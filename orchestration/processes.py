"""Whether a process is still there: for the work a dead one left behind (its run, its scratch)."""

from __future__ import annotations

import psutil


def process_alive(pid: int) -> bool:
    """A killed process nobody has reaped yet still answers, as a zombie: it counts as gone."""
    try:
        return psutil.Process(pid).status() not in (psutil.STATUS_ZOMBIE, psutil.STATUS_DEAD)
    except psutil.NoSuchProcess:
        return False
    except psutil.AccessDenied:
        return True  # another user's
