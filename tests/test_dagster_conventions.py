"""The code location follows Dagster's current conventions: dbt source tests as asset
checks, code references, a freshness policy from the release calendar, and public API
only (where Dagster has no public name, a test here fails if the behaviour relied on changes)."""

from __future__ import annotations

import ast
import json
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import dagster as dg
import pytest

from orchestration.feeds import FEEDS
from orchestration.automation.schedules import release_days
from orchestration.definitions import defs
from orchestration.partitions import PARTITION_RANGE_END_TAG, PARTITION_RANGE_START_TAG, PARTITION_TAG, TIMEZONE

REPO = Path(__file__).resolve().parent.parent
PUBLISHED = [dg.AssetKey(["published", "marts"]), dg.AssetKey(["published", "monthly_bulletin"])]


@pytest.fixture(scope="module")
def graph():
    return defs.resolve_asset_graph()


@pytest.fixture(scope="module")
def manifest() -> dict:
    return json.loads((REPO / "target" / "manifest.json").read_text())


def test_dbt_source_tests_are_checks_on_the_raw_assets(graph, manifest):
    expected = set()
    for test in manifest["nodes"].values():
        sources = [node for node in test["depends_on"].get("nodes", []) if node.startswith("source.")]
        if test["resource_type"] == "test" and len(sources) == 1:
            asset_key = dg.AssetKey(manifest["sources"][sources[0]]["meta"]["dagster"]["asset_key"])
            expected.add(dg.AssetCheckKey(asset_key, test["name"]))
    assert expected, "the dbt project has no source tests"
    assert {key.asset_key.path[0] for key in expected} == {"raw"}
    assert expected <= set(graph.asset_check_keys), sorted(map(str, expected - set(graph.asset_check_keys)))[:5]


def test_a_refresh_runs_the_dbt_build_in_one_step():
    """dbt's tests are non-blocking checks: a blocking source test on the bulletin made the
    detail's loader wait for it, and Dagster cut the dbt build into three steps around the
    loaders, each paying dbt's start-up."""
    job = defs.resolve_job_def("refresh_all")
    dbt_steps = [node.name for node in job.graph.nodes if node.name.startswith("dbt_warehouse")]
    assert dbt_steps == ["dbt_warehouse"]
    loaders = {node.name for node in job.graph.nodes if node.name.startswith("load_")}
    assert loaders == {f"load_{feed}" for feed in FEEDS}


def code_references(graph, key: dg.AssetKey) -> list[dg.LocalFileCodeReference]:
    references = graph.get(key).metadata.get("dagster/code_references")
    return list(references.code_references) if references else []


def test_every_computed_asset_references_its_code(graph, manifest):
    materializable = [key for key in graph.get_all_asset_keys() if graph.get(key).is_materializable]
    assert materializable
    for key in materializable:
        references = code_references(graph, key)
        assert references, f"{key.to_user_string()} has no code reference"
        for reference in references:
            assert Path(reference.file_path).is_file(), reference
    # A dbt model points at its SQL file as well as at the Dagster function that runs dbt.
    model = next(n for n in manifest["nodes"].values() if n["name"] == "fct_trade_monthly")
    files = {Path(r.file_path) for r in code_references(graph, dg.AssetKey(["marts", "fct_trade_monthly"]))}
    assert REPO / model["original_file_path"] in files
    assert REPO / "orchestration" / "transform" / "dbt_assets.py" in files
    assert {Path(r.file_path).name for r in code_references(graph, PUBLISHED[0])} == {"assets.py"}


def test_published_assets_are_due_by_the_release_calendar(graph):
    """The deadline is the end of the last feed's deadline day, each month, in the
    calendar's time zone; a publication counts from the first day the release schedule runs."""
    schedule_days = release_days.cron_schedule.split()[2]
    first_release_day, last_release_day = map(int, schedule_days.split("-"))
    for key in PUBLISHED:
        policy = graph.get(key).freshness_policy
        assert isinstance(policy, dg.FreshnessPolicy), key
        assert policy.timezone == TIMEZONE
        minute, hour, day, month, weekday = policy.deadline_cron.split()
        assert (month, weekday) == ("*", "*"), "due every month"
        assert int(day) == max(feed.deadline_day for feed in FEEDS.values()) == last_release_day
        for year, month_number in ((2021, 2), (2021, 11), (2024, 2)):  # short months included
            deadline = datetime(year, month_number, int(day), int(hour), int(minute), tzinfo=ZoneInfo(TIMEZONE))
            assert (deadline + timedelta(minutes=1)).date() > deadline.date(), "the deadline is the day's end"
            window_opens = deadline - policy.lower_bound_delta
            assert (window_opens.day, window_opens.hour, window_opens.minute) == (first_release_day, 0, 0)


def test_partition_tags_mean_what_dagster_reads_from_them():
    """The run tags the sensors, the schedule and the CLI set by name (Dagster exports no
    public constant): a range run sees its months, a one-partition run is tagged so."""
    seen = {}

    @dg.asset(partitions_def=dg.MonthlyPartitionsDefinition(start_date="2021-01", fmt="%Y-%m"))
    def months(context) -> None:
        seen["range"] = context.partition_key_range

    tags = {PARTITION_RANGE_START_TAG: "2021-02", PARTITION_RANGE_END_TAG: "2021-04"}
    instance = dg.DagsterInstance.ephemeral()
    assert dg.materialize([months], instance=instance, tags=tags).success
    assert seen["range"] == dg.PartitionKeyRange("2021-02", "2021-04")
    assert dg.RunRequest(tags=tags).partition_key_range == dg.PartitionKeyRange("2021-02", "2021-04")

    one = dg.materialize([months], instance=instance, partition_key="2021-03")
    assert instance.get_run_by_id(one.run_id).tags[PARTITION_TAG] == "2021-03"


def private_uses(path: Path) -> list[str]:
    """Imports from a private module of dagster or its integrations, and overrides of private
    members in classes derived from theirs."""
    tree = ast.parse(path.read_text(), filename=str(path))
    found = []
    for node in ast.walk(tree):
        modules = []
        if isinstance(node, ast.ImportFrom) and node.module:
            modules = [node.module]
        elif isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        found += [f"import {m}" for m in modules if m.startswith("dagster") and "._" in m]
        if isinstance(node, ast.ClassDef) and any("Dbt" in ast.unparse(base) for base in node.bases):
            found += [
                f"{node.name}.{item.name}"
                for item in node.body
                if isinstance(item, ast.FunctionDef) and item.name.startswith("_") and not item.name.startswith("__")
            ]
    return found


def test_the_product_uses_only_public_dagster_api():
    uses = {
        str(path.relative_to(REPO)): found
        for path in sorted((REPO / "orchestration").rglob("*.py"))
        if (found := private_uses(path))
    }
    assert not uses


def test_private_uses_are_found(tmp_path):
    """The scan above would see what it looks for."""
    module = tmp_path / "module.py"
    module.write_text(
        "from dagster._core.events import EngineEventData\n"
        "from dagster_dbt import DbtCliResource\n"
        "class Quick(DbtCliResource):\n"
        "    def _cli_version(self):\n"
        "        return None\n"
    )
    assert private_uses(module) == ["import dagster._core.events", "Quick._cli_version"]
