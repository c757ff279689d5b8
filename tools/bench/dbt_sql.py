"""dbt invocations of the benchmark, and dbt's compiled SQL as plain DuckDB statements."""

from __future__ import annotations

import json
import sys
from graphlib import TopologicalSorter
from pathlib import Path

from orchestration import settings

# What a refresh runs (orchestration/transform/dbt_assets.py): every model and its tests.
REFRESH_BUILD = ("build", "--exclude", "resource_type:unit_test")


def dbt_command(verb: str, target_path: Path, *args: str) -> list[str]:
    """A dbt command with its own target and log folders, so the benchmark never touches
    the project's target/manifest.json that Dagster loads."""
    dbt = Path(sys.executable).with_name("dbt")
    return [
        str(dbt if dbt.exists() else "dbt"), verb, "--quiet",
        "--project-dir", str(settings.REPO_ROOT), "--profiles-dir", str(settings.REPO_ROOT),
        "--target-path", str(target_path), "--log-path", str(target_path / "logs"),
        *args,
    ]


def model_statements(manifest_path: Path) -> list[str]:
    """Every model of the manifest (compiled by a previous dbt run) as a CREATE OR REPLACE
    statement, parents first. Incremental models become tables: this is the full build."""
    nodes = json.loads(manifest_path.read_text())["nodes"]
    models = {key: node for key, node in nodes.items() if node["resource_type"] == "model"}
    graph = {key: [parent for parent in node["depends_on"]["nodes"] if parent in models] for key, node in models.items()}
    statements, schemas = [], set()
    for key in TopologicalSorter(graph).static_order():
        node = models[key]
        code = node.get("compiled_code")
        if not code:
            raise ValueError(f"{key} has no compiled SQL in {manifest_path}: run dbt first")
        kind = "VIEW" if node["config"]["materialized"] == "view" else "TABLE"
        schema = f'"{node["database"]}"."{node["schema"]}"'
        if schema not in schemas:
            statements.append(f"CREATE SCHEMA IF NOT EXISTS {schema}")
            schemas.add(schema)
        statements.append(f"CREATE OR REPLACE {kind} {node['relation_name']} AS {code}")
    return statements


def model_seconds(target_path: Path) -> float:
    """The time dbt spent executing models (run_results.json), without its start-up."""
    results = json.loads((target_path / "run_results.json").read_text())["results"]
    return sum(result["execution_time"] for result in results)


def execution_seconds(target_path: Path) -> float:
    """The wall time of dbt's node execution (run_results.json): the whole command less
    this is dbt's fixed cost (interpreter start, project and profile, parse, artifacts)."""
    return json.loads((target_path / "run_results.json").read_text())["elapsed_time"]
