"""The dbt project as Dagster assets, in one lineage with the raw assets.

dbt sources carry ``meta.dagster.asset_key`` (the raw asset that loads them), so the
graph runs landing -> raw -> staging -> intermediate -> marts. The project is split in
two asset definitions so that partitions stay honest:

- ``dbt_period_models``: the incremental models, partitioned like the raw assets; a run
  passes its partition range to dbt as ``period_from``/``period_to`` and rebuilds only
  those periods;
- ``dbt_warehouse_models``: seeds, staging views, the other intermediate models and the
  marts (small tables rebuilt whole from the incremental layer). Dagster runs it in two
  steps, before and after the incremental models.
"""

import json
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, DbtProject, dbt_assets

from orchestration import settings
from orchestration.ingest.assets import OWNERS
from orchestration.partitions import monthly_partitions

dbt_project = DbtProject(project_dir=settings.REPO_ROOT, profiles_dir=settings.REPO_ROOT)

INCREMENTAL_SELECT = "config.materialized:incremental"


class WarehouseTranslator(DagsterDbtTranslator):
    """Groups by layer (the folder under models/), owners, and seeds as reference data."""

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "seed":
            return "reference"
        fqn = dbt_resource_props.get("fqn", [])
        return fqn[1] if len(fqn) > 2 else super().get_group_name(dbt_resource_props)

    def get_owners(self, dbt_resource_props: Mapping[str, Any]) -> list[str]:
        return OWNERS


translator = WarehouseTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))


def _build(context: dg.AssetExecutionContext, dbt: DbtCliResource, dbt_vars: dict | None = None):
    # "buildable": a test runs once all its parents are built, here or upstream; a
    # relationships test from a mart to a seed waits for the mart's step.
    args = ["build", "--indirect-selection", "buildable"]
    if dbt_vars:
        args += ["--vars", json.dumps(dbt_vars)]
    yield from dbt.cli(args, context=context).stream()


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    select=INCREMENTAL_SELECT,
    name="dbt_period_models",
    partitions_def=monthly_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
    dagster_dbt_translator=translator,
)
def dbt_period_models(context: dg.AssetExecutionContext, dbt: DbtCliResource):
    first, last = context.partition_key_range.start, context.partition_key_range.end
    yield from _build(context, dbt, {"period_from": first, "period_to": last})


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    select="fqn:*",
    exclude=INCREMENTAL_SELECT,
    name="dbt_warehouse_models",
    dagster_dbt_translator=translator,
)
def dbt_warehouse_models(context: dg.AssetExecutionContext, dbt: DbtCliResource):
    yield from _build(context, dbt)


dbt_defs = [dbt_period_models, dbt_warehouse_models]


def dbt_resource() -> DbtCliResource:
    # The dbt next to this interpreter: the venv need not be on PATH (e.g. .venv/bin/dagster).
    beside = Path(sys.executable).with_name("dbt")
    return DbtCliResource(
        project_dir=dbt_project,
        profiles_dir=str(settings.REPO_ROOT),
        dbt_executable=str(beside) if beside.exists() else "dbt",
    )
