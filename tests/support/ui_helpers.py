"""Starting and stopping `python -m orchestration.cli ui` (what `make ui` runs) in tests.

The UI runs in a session of its own, so a signal sent to it never reaches pytest; its
processes are followed with psutil, so a test can check that every one of them is gone.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from orchestration.processes import process_alive
from tests.support.chain import REPO

LOCATION_QUERY = "{ workspaceOrError { ... on Workspace { locationEntries { name loadStatus } } } }"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def graphql(port: int, query: str, variables: dict | None = None, timeout: float = 60) -> dict:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql",
        data=json.dumps({"query": query, "variables": variables or {}}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:
        body = json.loads(response.read())
    assert "errors" not in body, body["errors"]
    return body["data"]


def descendants(root: int) -> set[int]:
    """Every live process under ``root``."""
    try:
        children = psutil.Process(root).children(recursive=True)
    except psutil.NoSuchProcess:
        return set()
    return {child.pid for child in children if process_alive(child.pid)}


def command_line(pid: int) -> str:
    try:
        return " ".join(psutil.Process(pid).cmdline())
    except psutil.NoSuchProcess:
        return ""


@dataclass
class RunningUI:
    process: subprocess.Popen
    port: int
    log: Path
    seen: set[int] = field(default_factory=set)  # every process ever seen under the UI

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def processes(self) -> set[int]:
        current = descendants(self.process.pid)
        self.seen |= current
        return current

    def wait_until_loaded(self, timeout: float = 240) -> None:
        """Until the webserver answers GraphQL with the code location loaded."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"ui exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                entries = graphql(self.port, LOCATION_QUERY, timeout=10)["workspaceOrError"]["locationEntries"]
                if entries and all(entry["loadStatus"] == "LOADED" for entry in entries):
                    self.processes()
                    return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(1)
        raise AssertionError(f"ui did not load within {timeout} s:\n{self.log_tail()}")

    def stop(self, signum: int = signal.SIGTERM, timeout: float = 90) -> set[int]:
        """Signal the ui command, wait for it, and return the processes still running."""
        if self.process.poll() is None:
            self.processes()
            self.process.send_signal(signum)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                pass
        survivors = {pid for pid in self.seen if process_alive(pid)}
        if self.process.poll() is None:
            survivors.add(self.process.pid)
        return survivors

    def kill(self) -> None:
        """Clean-up after the test: nothing started here may outlive pytest, orphans included."""
        for pid in self.processes() | {pid for pid in self.seen if process_alive(pid)} | {self.process.pid}:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.process.wait(timeout=30)

    def log_tail(self, chars: int = 4000) -> str:
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else ""


def start_ui(env: dict[str, str], log: Path) -> RunningUI:
    """`make ui`: the webserver and the daemon, sensors and schedules running."""
    port = free_port()
    return _start([sys.executable, "-m", "orchestration.cli", "ui", "--port", str(port)], env, log, port)


def start_webserver(env: dict[str, str], log: Path) -> RunningUI:
    """The webserver alone: the UI over the instance, with no daemon to launch anything."""
    port = free_port()
    webserver = str(Path(sys.executable).parent / "dagster-webserver")
    command = [webserver, "-h", "127.0.0.1", "-p", str(port), "-m", "orchestration.definitions"]
    return _start(command, env, log, port)


@contextlib.contextmanager
def loaded(running: RunningUI) -> Iterator[RunningUI]:
    """The started UI once it has loaded the code; stopped, and whatever it left killed, after."""
    try:
        running.wait_until_loaded()
        yield running
    finally:
        running.stop()
        running.kill()


def _start(command: list[str], env: dict[str, str], log: Path, port: int) -> RunningUI:
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    return RunningUI(process=process, port=port, log=log)
