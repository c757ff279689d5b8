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


PAUSING_PRODUCER = textwrap.dedent(
    """
    import sys
    path, head, tail = sys.argv[1], bytes.fromhex(sys.argv[2]), bytes.fromhex(sys.argv[3])
    with open(path, "wb") as target:
        target.write(head)
    print("closed", flush=True)
    if sys.stdin.readline().strip() == "resume":
        with open(path, "ab") as target:
            target.write(tail)
    """
)


class PausingProducer:
    """A producer in a process of its own that writes half of a file and closes it (as a
    careless producer does between two writes); told to, it appends the rest, or it ends
    and leaves the half file for good."""

    def __init__(self, path: Path, data: bytes):
        half = len(data) // 2
        self.process = subprocess.Popen(
            [sys.executable, "-c", PAUSING_PRODUCER, str(path), data[:half].hex(), data[half:].hex()],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )
        assert self.process.stdout.readline().strip() == "closed"

    def resume(self) -> None:
        self.process.communicate("resume\n", timeout=60)
        assert self.process.returncode == 0

    def abandon(self) -> None:
        self.process.communicate("\n", timeout=60)
        assert self.process.returncode == 0
