"""Running the real chain in a temporary project folder: generator, Dagster run, publish.

Used by the end-to-end tests. Everything runs in subprocesses with the project's own
commands, with every path moved into the temporary folder by the environment.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

from orchestration import settings

REPO = settings.REPO_ROOT


@dataclass
class ChainFolder:
    root: Path

    @property
    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            DAGSTER_HOME=str(self.root / "dagster_home"),
            LANDING_DIR=str(self.root / "landing"),
            QUARANTINE_DIR=str(self.root / "quarantine"),
            WAREHOUSE_DB=str(self.root / "warehouse.duckdb"),
            WAREHOUSE_LAKE=str(self.root / "lake"),
            PUBLISHED_DIR=str(self.root / "published"),
            DBT_PROFILES_DIR=str(REPO),
            PYTHONPATH=str(REPO),
        )
        return env

    @property
    def published(self) -> Path:
        return self.root / "published"

    @property
    def warehouse(self) -> Path:
        return self.root / "warehouse.duckdb"

    def prepare(self) -> None:
        home = self.root / "dagster_home"
        home.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(settings.DAGSTER_CONFIG, home / "dagster.yaml")

    def generate(self, *args: str) -> None:
        self.run_module("tools.sample_data", "--out", str(self.root / "landing"), *args)

    def refresh(self, *args: str) -> subprocess.CompletedProcess:
        return self.run_module("orchestration.cli", "refresh", *args)

    def run_module(self, module: str, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", module, *args],
            cwd=REPO, env=self.env, check=check, capture_output=True, text=True, timeout=1200,
        )

    def dbt(self, *args: str) -> subprocess.CompletedProcess:
        """A dbt command from the repository root on this chain's warehouse, as someone
        working in dbt runs it."""
        return subprocess.run(
            [str(REPO / ".venv" / "bin" / "dbt"), *args],
            cwd=REPO, env=self.env, capture_output=True, text=True, timeout=1200,
        )

    def query(self, sql_by_name: dict[str, str], database: str = "published") -> dict[str, list]:
        """Run queries in a separate process, as a BI reader would, and return their rows."""
        script = textwrap.dedent(
            """
            import json, sys
            from pathlib import Path
            import duckdb
            from orchestration.publish.publication import open_published
            target, queries = sys.argv[1], json.loads(sys.stdin.read())
            if target == "published":
                con = open_published(Path(sys.argv[2]))
            else:
                con = duckdb.connect(sys.argv[2], read_only=True)
            out = {name: [list(row) for row in con.execute(sql).fetchall()] for name, sql in queries.items()}
            print(json.dumps(out, default=str))
            """
        )
        location = self.published if database == "published" else self.warehouse
        done = subprocess.run(
            [sys.executable, "-c", script, database, str(location)],
            input=json.dumps(sql_by_name), cwd=REPO, env=self.env,
            check=True, capture_output=True, text=True, timeout=300,
        )
        return json.loads(done.stdout)


def build_sample_chain(root: Path) -> ChainFolder:
    chain = ChainFolder(root)
    chain.prepare()
    chain.generate()
    done = chain.refresh()
    assert done.returncode == 0, done.stderr[-4000:]
    return chain
