"""The dbt project as Dagster assets, in one lineage with the raw assets.

dbt sources carry ``meta.dagster.asset_key`` (the raw asset that loads them), so the
graph runs landing -> raw -> staging -> intermediate -> marts, with the dbt tests as
asset checks.

The whole project is ONE asset definition, so a refresh is one step and one ``dbt
build``. The run's months reach dbt as a period window (environment variables
WAREHOUSE_PERIOD_FROM / WAREHOUSE_PERIOD_TO, read by the macro ``period_window_bounds``):
the incremental models rebuild only those periods and the tests on the raw detail check
only those months; the marts are rebuilt whole from the incremental layer.

Why one definition (measured on the bench's medium set, docs/benchmarks.md): with the
incremental models in a partitioned definition of their own, the other models formed a
second definition both upstream and downstream of it, which Dagster runs as several
steps: four dbt invocations per refresh, each paying dbt's start-up, parse and a Dagster
step. The price: the incremental models are not partitioned assets any more. The months
a run covers stay visible on the raw assets' partitions and in the run's tags, and every
period row records the dbt invocation that wrote it (``dbt_invocation_id``).
"""

import os
import shutil
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, DbtProject, dbt_assets
from dagster_duckdb import DuckDBResource

from orchestration import settings
from orchestration.ingest.assets import OWNERS
from orchestration.transform.build_failures import describe_failures

dbt_project = DbtProject(project_dir=settings.REPO_ROOT, profiles_dir=settings.REPO_ROOT)

PERIOD_FROM_ENV = "WAREHOUSE_PERIOD_FROM"
PERIOD_TO_ENV = "WAREHOUSE_PERIOD_TO"
PARTIAL_PARSE_FILE = "partial_parse.msgpack"
# dagster-dbt gives every dbt invocation a folder of its own under target/ (artifacts,
# compiled SQL, dbt.log) and never removes it. The newest are kept for inspection, the
# older ones removed after each run.
KEPT_INVOCATION_FOLDERS = 20


class WarehouseTranslator(DagsterDbtTranslator):
    """Groups by layer (the folder under models/), owners, and seeds as reference data."""

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "seed":
            return "reference"
        fqn = dbt_resource_props.get("fqn", [])
        return fqn[1] if len(fqn) > 2 else super().get_group_name(dbt_resource_props)

    def get_owners(self, dbt_resource_props: Mapping[str, Any]) -> list[str]:
        return OWNERS

    def get_asset_check_spec(
        self, asset_spec: dg.AssetSpec, manifest: Mapping[str, Any], unique_id: str, project: DbtProject | None
    ) -> dg.AssetCheckSpec | None:
        """Every dbt test as a non-blocking check. dbt build already skips what lies below a
        failing test and the step then fails, so publishing never follows one. A blocking
        source test made Dagster run raw assets below its raw asset (the detail, after the
        bulletin it is checked against) only after it, splitting the one dbt build into
        three around the loaders, each paying dbt's start-up (docs/benchmarks.md)."""
        spec = super().get_asset_check_spec(asset_spec, manifest, unique_id, project)
        if spec is None:
            return None
        return dg.AssetCheckSpec(
            spec.name,
            asset=spec.asset_key,
            description=spec.description,
            additional_deps=spec.additional_deps,
            metadata=spec.metadata,
            blocking=False,
        )


# dbt tests as asset checks: a source's tests sit on the raw asset that loads it. Code
# references link each asset to its model's SQL file.
translator = WarehouseTranslator(
    settings=DagsterDbtTranslatorSettings(
        enable_asset_checks=True, enable_source_tests_as_checks=True, enable_code_references=True
    )
)


def run_months(context: dg.AssetExecutionContext) -> tuple[str, str] | None:
    """The first and last month of a partitioned run (refresh_all); None for a run without
    months (an asset materialized alone from the UI), which rebuilds every period."""
    if not (context.has_partition_key or context.has_partition_key_range):
        return None
    months = context.partition_key_range
    return months.start, months.end


@contextmanager
def period_window(months: tuple[str, str] | None) -> Iterator[None]:
    """The window in this process's environment while the dbt process is started
    (DbtCliResource.cli passes the environment on and takes no env of its own)."""
    values = dict(zip((PERIOD_FROM_ENV, PERIOD_TO_ENV), months or ("", "")))
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    name="dbt_warehouse",
    dagster_dbt_translator=translator,
)
def dbt_warehouse(context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: DuckDBResource):
    months = run_months(context)
    context.log.info(f"period window: {' .. '.join(months) if months else 'every period'}")
    # "buildable": a test runs once all its parents are built, here or upstream. Unit
    # tests check SQL against fixed inputs, not the data: they run in the test suite
    # (tests/test_warehouse_e2e.py), not in every refresh, which they would slow.
    args = ["build", "--indirect-selection", "buildable", "--exclude", "resource_type:unit_test"]
    with period_window(months):
        invocation = dbt.cli(args, context=context, raise_on_error=False)
    yield from invocation.stream()
    keep_parse_state(invocation.target_path)
    prune_invocation_folders(invocation.target_path)
    if not invocation.is_successful():
        # The failure names the failing checks and the files behind them; the refresh's
        # failure hook republishes the last good marts as stale with this reason.
        with warehouse.get_connection() as con:
            reason = describe_failures(invocation.get_artifact("run_results.json"), con)
        raise dg.Failure(description=reason, metadata={"dbt_command": invocation.dbt_command})


def keep_parse_state(invocation_target: Path) -> None:
    """Makes this invocation's parse the starting point of the next one.

    dagster-dbt copies target/partial_parse.msgpack into each invocation's own folder. dbt
    keeps that saved parse only if the profile's connection settings are unchanged, and
    WAREHOUSE_DB is one of them: with any other file than the one `make setup` parsed for
    (the bench, the tests, a moved warehouse), every run re-parsed the whole project
    (docs/benchmarks.md). dbt rewrote the state for this environment; an atomic replace
    lets the next run parse partially.
    """
    written = invocation_target / PARTIAL_PARSE_FILE
    if not written.exists():
        return
    saved = Path(dbt_project.project_dir) / dbt_project.target_path / PARTIAL_PARSE_FILE
    staged = saved.with_name(f"{PARTIAL_PARSE_FILE}.{os.getpid()}.tmp")
    shutil.copyfile(written, staged)
    os.replace(staged, saved)


def prune_invocation_folders(current: Path, keep: int = KEPT_INVOCATION_FOLDERS) -> list[Path]:
    """Removes all but the ``keep`` newest invocation folders of this asset beside ``current``
    (dagster-dbt names them ``<op>-<run id>-<uuid>``), never ``current`` itself; returns
    the folders removed."""
    op_name = current.name.split("-", 1)[0]
    folders = sorted(
        (folder for folder in current.parent.glob(f"{op_name}-*") if folder.is_dir()),
        key=lambda folder: folder.stat().st_mtime,
        reverse=True,
    )
    removed = [folder for folder in folders[keep:] if folder != current]
    for folder in removed:
        shutil.rmtree(folder, ignore_errors=True)  # a folder another process removed first
    return removed


dbt_defs = [dbt_warehouse]


def dbt_resource() -> DbtCliResource:
    # The dbt next to this interpreter: the venv need not be on PATH (e.g. .venv/bin/dagster).
    # The target is the engine the configuration names (WAREHOUSE_ENGINE): the same
    # project, assets and checks on DuckDB or Spark.
    beside = Path(sys.executable).with_name("dbt")
    return DbtCliResource(
        project_dir=dbt_project,
        profiles_dir=str(settings.REPO_ROOT),
        target=settings.engine(),
        dbt_executable=str(beside) if beside.exists() else "dbt",
    )
