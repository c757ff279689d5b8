"""Dagster wrappers for publishing: the read-only marts for BI and the desk's bulletin."""

from pathlib import Path

import dagster as dg
from dagster_duckdb import DuckDBResource

from orchestration.automation.release_calendar import PUBLICATION_DEADLINE_CRON, PUBLICATION_WINDOW
from orchestration.ingest.assets import OWNERS
from orchestration.partitions import TIMEZONE
from orchestration.publish.bulletin import write_bulletin
from orchestration.publish.publication import open_published, publish
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
    description="data/published/marts.duckdb (read_only for BI) and data/published/parquet/: "
    "the marts copied to a new file, verified, then swapped in atomically.",
)
def published_marts(context: dg.AssetExecutionContext, warehouse: DuckDBResource, published: PublishedMarts):
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
    with open_published(published.path) as con:
        md_path, html_path = write_bulletin(con, published.path / "bulletin")
    return dg.MaterializeResult(
        metadata={
            "bulletin": dg.MetadataValue.md(md_path.read_text()),
            "html": dg.MetadataValue.path(str(html_path)),
        }
    )


publish_defs = [published_marts, monthly_bulletin]
