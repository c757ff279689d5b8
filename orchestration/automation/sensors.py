"""One sensor per landing feed: new or corrected files become a run of `refresh_all`.

The run covers the months the new files name: every feed's raw asset for those months
(files already loaded are skipped), their incremental dbt periods, the marts and the
publication, so a new month refreshes without rebuilding history, and a corrected older
month refreshes the
year-to-date and year-on-year figures that depend on it (the marts are rebuilt from the
incremental layer on every run). A sensor-launched job was chosen over declarative
automation because exactly-once is then tied to the file's bytes (the run key), and each
run is one writer on the DuckDB file.
"""

import dagster as dg
import duckdb
from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG

from orchestration import settings
from orchestration.automation.landing_watch import LandingCursor, PlannedRun, evaluate, list_landing
from orchestration.ingest.loader import sha256_of
from orchestration.jobs import refresh_all

LOOK_INTERVAL_SECONDS = 15


def run_request_for(run: PlannedRun) -> dg.RunRequest:
    """The whole refresh over the months named: files already loaded are skipped by the loader."""
    tags = {
        ASSET_PARTITION_RANGE_START_TAG: run.first_month,
        ASSET_PARTITION_RANGE_END_TAG: run.last_month,
        "landing/feed": run.feed,
        "landing/files": ",".join(run.files)[:4000],
    }
    return dg.RunRequest(run_key=run.run_key, tags=tags)


def recorded_in_warehouse(feed: str) -> set[str] | None:
    """SHA-256 of every file of ``feed`` the load audit has decided on; None while a writer
    holds the warehouse (DuckDB lets no reader in then)."""
    database = settings.warehouse_db()
    if not database.exists():
        return set()
    try:
        with duckdb.connect(str(database), read_only=True) as con:
            rows = con.execute("SELECT DISTINCT file_sha256 FROM raw.load_audit WHERE feed = ?", [feed]).fetchall()
    except duckdb.CatalogException:
        return set()  # nothing loaded yet
    except duckdb.IOException:
        return None
    return {row[0] for row in rows}


def landing_sensor(feed: str) -> dg.SensorDefinition:
    @dg.sensor(
        name=f"landing_{feed}",
        job=refresh_all,
        minimum_interval_seconds=LOOK_INTERVAL_SECONDS,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description=f"Watches data/landing/{feed}/ and refreshes the months that new or corrected files name.",
    )
    def watch(context: dg.SensorEvaluationContext):
        folder = settings.landing_dir() / feed
        outcome = evaluate(
            feed,
            list_landing(folder),
            LandingCursor.from_json(context.cursor),
            lambda name: sha256_of(folder / name),
            lambda: recorded_in_warehouse(feed),
        )
        context.update_cursor(outcome.cursor.to_json())
        for name in outcome.ignored:
            context.log.warning(f"{feed}/{name} matches no feed's name pattern: left alone")
        if outcome.run is None:
            waiting = f" ({len(outcome.waiting)} file(s) still being written)" if outcome.waiting else ""
            return dg.SkipReason(f"no new complete files{waiting}")
        return run_request_for(outcome.run)

    return watch


landing_sensors = [landing_sensor(feed) for feed in settings.FEEDS]
