"""Dagster wrappers: the landing feeds as external assets and one raw asset per feed. The
work itself lives in ``loader``; every rule on one file's content is checked at the door
(orchestration/parsing/), and the rules that span files, feeds or periods are dbt tests."""

from collections import Counter

import dagster as dg
from dagster_duckdb import DuckDBResource

from orchestration.feeds import FEEDS, all_raw_tables
from orchestration.ingest.landing_zone import deliveries
from orchestration.ingest.loader import RawLoader
from orchestration.partitions import monthly_partitions
from orchestration.periods import parse_month
from orchestration.resources import LandingZone

OWNERS = ["team:data-platform"]
# The door checks a detail extract against its period's loaded bulletin: in a run that
# loads both, the bulletin goes first.
CHECKED_AGAINST = {"customs_detail": ("bulletin_totals",)}


landing_specs = [
    dg.AssetSpec(
        key=dg.AssetKey(["landing", feed.name]),
        description=f"Files in data/landing/{feed.folder}/. {feed.description}",
        group_name="landing",
        kinds={"file"},
        owners=OWNERS,
    )
    for feed in FEEDS.values()
]


def load_step_key(feed: str) -> str:
    """The name of the op, and so of the run's step, that loads ``feed``'s files."""
    return f"load_{feed}"


def _raw_asset(feed: str) -> dg.AssetsDefinition:
    @dg.multi_asset(
        name=load_step_key(feed),
        specs=[
            dg.AssetSpec(
                key=dg.AssetKey(["raw", table]),
                deps=[dg.AssetKey(["landing", feed]), *(dg.AssetKey(["raw", t]) for t in CHECKED_AGAINST.get(feed, ()))],
                description=f"raw.{table}: {text} Every vintage, with lineage columns: Parquet files of the "
                f"lake (raw/{table}/reference_month=.../), read by the warehouse through a view.",
                group_name="raw",
                kinds={"parquet", "python"},
                owners=OWNERS,
            )
            for table, text in FEEDS[feed].raw_tables.items()
        ],
        partitions_def=monthly_partitions,
        backfill_policy=dg.BackfillPolicy.single_run(),
        description=f"Loads the {feed} files of the run's months into {', '.join(FEEDS[feed].raw_tables)}.",
    )
    def load_feed(context: dg.AssetExecutionContext, warehouse: DuckDBResource, landing: LandingZone):
        files, notes = deliveries(landing.root_path, feed, [parse_month(key) for key in context.partition_keys])
        for note in notes:
            context.log.warning(note)
        with warehouse.get_connection() as con:
            loader = RawLoader(con, landing.root_path, landing.quarantine_path, landing.today())
            outcomes = loader.load_all(files)
        for outcome in outcomes:
            if outcome.status == "refused":
                context.log.error(f"REFUSED {outcome.file_name}: {outcome.reason} -> {outcome.quarantine_path}")
            elif outcome.status == "skipped":
                context.log.warning(f"skipped {outcome.file_name}: {outcome.reason}")
            else:
                context.log.info(f"{outcome.status} {outcome.file_name} ({outcome.rows_loaded} rows)")
        counts = Counter(o.status for o in outcomes)
        refused = [f"{o.file_name}: {o.reason}" for o in outcomes if o.status == "refused"]
        metadata = {
            "files_seen": len(outcomes),
            "files_loaded": counts["loaded"],
            "files_superseded": counts["superseded"],
            "files_duplicate": counts["duplicate"],
            "files_refused": counts["refused"],
            "rows_loaded": sum(o.rows_loaded for o in outcomes),
            "refused": dg.MetadataValue.md("\n".join(f"- {r}" for r in refused) or "none"),
        }
        for table in FEEDS[feed].raw_tables:
            yield dg.MaterializeResult(asset_key=dg.AssetKey(["raw", table]), metadata=metadata)

    return load_feed


raw_assets = [_raw_asset(feed) for feed in FEEDS]

# The audit table is written by every load; it is in the graph so its dbt source has a parent.
load_audit_spec = dg.AssetSpec(
    key=dg.AssetKey(["raw", "load_audit"]),
    deps=[dg.AssetKey(["raw", table]) for table in all_raw_tables()],
    description="raw.load_audit: every landing file the loader decided on, with hash, vintage, status "
    "(loaded, duplicate, superseded, refused), reason, rows and timings. Written by every load.",
    group_name="raw",
    kinds={"duckdb"},
    owners=OWNERS,
)
