"""A producer that is still writing: the fault the landing zone's "still being written" rule
is for."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

PRODUCER = textwrap.dedent(
    """
    import sys
    path, head, tail = sys.argv[1], bytes.fromhex(sys.argv[2]), bytes.fromhex(sys.argv[3])
    with open(path, "wb") as target:
        target.write(head)
        target.flush()
        print("written", flush=True)
        sys.stdin.readline()  # the rest comes when the test says so
        target.write(tail)
    """
)


class Producer:
    """A producer in a process of its own that writes half of a file, keeps it open, and
    writes the rest and closes it when told."""

    def __init__(self, path: Path, data: bytes):
        half = len(data) // 2
        self.process = subprocess.Popen(
            [sys.executable, "-c", PRODUCER, str(path), data[:half].hex(), data[half:].hex()],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )
        assert self.process.stdout.readline().strip() == "written"

    def finish(self) -> None:
        self.process.communicate("go\n", timeout=60)
        assert self.process.returncode == 0
