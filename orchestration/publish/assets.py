"""Dagster wrappers for publishing: the read-only marts for BI and the desk's bulletin.

A refresh that cannot publish new marts (its dbt build fails a check, the publication's
verification refuses the marts, a load step crashes) fails its step, and the steps after
it do not run. The job's failure hook, ``republish_stale_on_failure``, then republishes
the last good marts unchanged, marked stale with the failed step's reason, and rewrites
the bulletin from them, so readers see that the figures are older than the refresh."""

from pathlib import Path

import dagster as dg
from dagster_duckdb import DuckDBResource

from orchestration import settings
from orchestration.automation.release_calendar import PUBLICATION_DEADLINE_CRON, PUBLICATION_WINDOW
from orchestration.ingest.assets import OWNERS
from orchestration.partitions import TIMEZONE
from orchestration.publish.bulletin import write_bulletin
from orchestration.publish.publication import (
    PublicationError,
    PublicationState,
    open_published,
    publication_state,
    publish,
    publish_parquet_marts,
    republish_stale,
)
from orchestration.resources import PublishedMarts
from orchestration.transform.dbt_assets import dbt_warehouse


# Late, in the UI's health view, when no refresh published between the first release day
# and the end of the last feed's deadline day of the month.
RELEASE_FRESHNESS = dg.FreshnessPolicy.cron(
    deadline_cron=PUBLICATION_DEADLINE_CRON, lower_bound_delta=PUBLICATION_WINDOW, timezone=TIMEZONE
)


def _mart_keys() -> list[dg.AssetKey]:
    return [key for key in dbt_warehouse.keys if key.path[-1].startswith(("fct_", "dim_"))]


@dg.asset(
    key=dg.AssetKey(["published", "marts"]),
    deps=_mart_keys(),
    group_name="published",
    kinds={"duckdb", "parquet"},
    owners=OWNERS,
    freshness_policy=RELEASE_FRESHNESS,
    description="data/published/trade.duckdb (read_only for BI, storage v1.0.0) and "
    "data/published/parquet/: the marts and their publication table copied to a new file, "
    "verified, then swapped in atomically.",
)
def published_marts(context: dg.AssetExecutionContext, warehouse: DuckDBResource, published: PublishedMarts):
    if settings.builds_on_spark():
        result = publish_parquet_marts(settings.lake_dir() / "marts", published.path)
    else:
        result = publish(warehouse_db=Path(warehouse.database), published_dir=published.path)
    context.log.info(f"published {result.publication_id} to {result.path}")
    return dg.MaterializeResult(
        metadata={
            "publication_id": result.publication_id,
            "path": dg.MetadataValue.path(str(result.path)),
            "parquet": dg.MetadataValue.path(str(result.parquet_dir)),
            **{f"rows.{table}": count for table, count in result.row_counts.items()},
        }
    )


@dg.asset(
    key=dg.AssetKey(["published", "monthly_bulletin"]),
    deps=[published_marts],
    group_name="published",
    kinds={"markdown", "html"},
    owners=OWNERS,
    freshness_policy=RELEASE_FRESHNESS,
    description="The desk's monthly trade bulletin for the latest period, read from the published marts.",
)
def monthly_bulletin(context: dg.AssetExecutionContext, published: PublishedMarts):
    md_path, html_path = _write_bulletin(published.path)
    return dg.MaterializeResult(
        metadata={
            "bulletin": dg.MetadataValue.md(md_path.read_text()),
            "html": dg.MetadataValue.path(str(html_path)),
        }
    )


@dg.asset_check(
    asset=published_marts,
    name="publication_is_fresh",
    blocking=False,
    description="Fails while the published marts are stale: the latest refresh could not "
    "publish new ones (stale_reason in marts.publication says why).",
)
def publication_is_fresh(published: PublishedMarts) -> dg.AssetCheckResult:
    with open_published(published.path) as con:
        state = publication_state(con)
    return dg.AssetCheckResult(**_freshness_verdict(state))


def _freshness_verdict(state: PublicationState) -> dict:
    return dict(
        passed=not state.is_stale,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={
            "status": state.status,
            "stale_reason": state.stale_reason or "",
            "marts_published_at": state.marts_published_at.isoformat(),
        },
    )


def _write_bulletin(published_dir: Path) -> tuple[Path, Path]:
    with open_published(published_dir) as con:
        return write_bulletin(con, published_dir / "bulletin")


@dg.failure_hook(required_resource_keys={"published"})
def republish_stale_on_failure(context: dg.HookContext):
    """After a failed step of a refresh, the last good marts again, marked stale. Not after
    the bulletin's step: the marts were published by then."""
    if context.op.name == monthly_bulletin.op.name:
        return
    failure = context.op_exception
    detail = failure.description if isinstance(failure, dg.Failure) else f"{type(failure).__name__}: {failure}"
    reason = f"step {context.step_key} failed: {detail}"
    published_dir = context.resources.published.path
    try:
        result = republish_stale(published_dir, reason)
    except PublicationError as exc:
        context.log.error(f"could not mark the publication stale: {exc}")
        return
    _write_bulletin(published_dir)
    # The check's own step was skipped with the publish step: its verdict is reported here.
    with open_published(published_dir) as con:
        verdict = _freshness_verdict(publication_state(con))
    context.instance.report_runless_asset_event(
        dg.AssetCheckEvaluation(asset_key=published_marts.key, check_name=publication_is_fresh.check_key.name, **verdict)
    )
    context.log.warning(f"republished the last good marts as stale ({result.publication_id}): {reason}")


publish_defs = [published_marts, monthly_bulletin]
publish_checks = [publication_is_fresh]
