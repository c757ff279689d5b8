"""Run one side of a comparison in its own process and measure it.

Each side runs in a fresh child so its peak memory is its own: ``os.wait4`` returns the
child's ``ru_maxrss`` (the largest resident set of the child or any descendant it
waited for). A run that spreads over several live processes (Dagster launching dbt)
needs the sum, so the process tree's total RSS is also sampled while it runs. The
child's CPU time (user + system) is kept too: on a shared machine it moves far less with
the other tenants' load than wall time does.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import psutil

SAMPLE_SECONDS = 0.2


@dataclass
class Measurement:
    wall_s: float  # the child's whole life, interpreter start included
    peak_rss_bytes: int  # largest single process (ru_maxrss)
    peak_tree_rss_bytes: int  # largest sampled sum over the live process tree
    cpu_s: float  # user + system CPU of the child and its waited-for descendants
    report: dict = field(default_factory=dict)  # the child's own JSON report (last stdout line)

    @property
    def seconds(self) -> float:
        """The operation's time as the child timed it, else the child's wall time."""
        return float(self.report.get("seconds", self.wall_s))

    @property
    def cpu_seconds(self) -> float:
        """The operation's CPU time as the child measured it, else the child's whole CPU time."""
        return float(self.report.get("cpu_s", self.cpu_s))

    def as_dict(self) -> dict:
        return {
            "seconds": round(self.seconds, 3),
            "wall_s": round(self.wall_s, 3),
            "cpu_s": round(self.cpu_seconds, 3),
            "child_cpu_s": round(self.cpu_s, 3),
            "peak_rss_bytes": self.peak_rss_bytes,
            "peak_tree_rss_bytes": self.peak_tree_rss_bytes,
            **{k: v for k, v in self.report.items() if k not in ("seconds", "cpu_s")},
        }


class ChildFailed(RuntimeError):
    pass


def tree_rss(root: int) -> int:
    """The resident memory of ``root`` and every live process under it."""
    try:
        parent = psutil.Process(root)
        tree = [parent, *parent.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0
    total = 0
    for process in tree:
        try:
            total += process.memory_info().rss
        except psutil.NoSuchProcess:
            pass  # ended meanwhile
    return total


def run_child(args: list[str], env: dict[str, str] | None = None, cwd: Path | None = None,
              log: Path | None = None) -> Measurement:
    """Run ``args`` to the end; the child's stderr goes to ``log`` (or ours)."""
    started = time.perf_counter()
    err = open(log, "ab") if log else None
    try:
        child = subprocess.Popen(args, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=err)
        peak = [0]
        done = threading.Event()

        def sample() -> None:
            while not done.wait(SAMPLE_SECONDS):
                peak[0] = max(peak[0], tree_rss(child.pid))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        # read stdout before waiting, so a chatty child cannot block on a full pipe
        out = child.stdout.read()
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - started
        done.set()
        sampler.join()
        child.returncode = os.waitstatus_to_exitcode(status)
    finally:
        if err:
            err.close()
    if child.returncode != 0:
        where = f"; see {log}" if log else ""
        raise ChildFailed(f"{' '.join(map(str, args[:6]))} ... exited {child.returncode}{where}")
    lines = [line for line in out.decode().splitlines() if line.startswith("{")]
    report = json.loads(lines[-1]) if lines else {}
    rss = usage.ru_maxrss * 1024  # Linux reports kilobytes
    return Measurement(wall, rss, max(peak[0], rss), usage.ru_utime + usage.ru_stime, report)


def run_worker(task: str, params: dict, env: dict[str, str] | None = None, log: Path | None = None) -> Measurement:
    """One measured side, run by ``tools.bench.workers``."""
    args = [sys.executable, "-m", "tools.bench.workers", task, json.dumps(params)]
    return run_child(args, env=env, log=log)


def median_wall(args: list[str], repeats: int, env: dict[str, str] | None = None, log: Path | None = None) -> float:
    walls = sorted(run_child(args, env=env, log=log).wall_s for _ in range(repeats))
    return walls[len(walls) // 2]
