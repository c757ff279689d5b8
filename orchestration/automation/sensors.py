"""One sensor per landing feed: new or corrected files become a run of `refresh_all`.

The run covers the months the new files name: every feed's raw asset for those months
(files already loaded are skipped), their incremental dbt periods, the marts and the
publication, so a new month refreshes without rebuilding history, and a corrected older
month refreshes the
year-to-date and year-on-year figures that depend on it (the marts are rebuilt from the
incremental layer on every run). A sensor-launched job was chosen over declarative
automation because exactly-once is then tied to the file's bytes (the run key), and each
run is one writer on the DuckDB file.

When a month's files of several feeds land together, the first sensor to see its files
ready requests the run; the others find that run still waiting (queued behind the one
writer, or being launched) and leave their files to it, since its load steps list the
landing zone only when they start (landing_watch.evaluate). The waiting run's event log
records the files it took over. A sensor that looks after the run has started requests its
own run, as before: a started run may already have listed the landing zone. The sensors
are evaluated one after another (dagster.yaml), so that a run requested by one sensor is
visible to the next.
"""

import re
from pathlib import Path

import dagster as dg
import duckdb

from orchestration import settings
from orchestration.automation.landing_watch import LandingCursor, PlannedRun, evaluate, list_landing
from orchestration.feeds import FEEDS
from orchestration.ingest import load_audit
from orchestration.ingest.assets import load_step_key
from orchestration.ingest.landing_guard import entry_fingerprint
from orchestration.ingest.landing_zone import (
    FileChanged,
    feed_folder_problem,
    files_being_written,
    landing_root_problem,
    sha256_of,
)
from orchestration.jobs import refresh_all
from orchestration.parsing.landing_names import parse_landing_name, unknown_name_reason
from orchestration.partitions import PARTITION_RANGE_END_TAG, PARTITION_RANGE_START_TAG, PARTITION_TAG
from orchestration.periods import add_months, month_key, parse_month

# A file is ready once unchanged between two looks this far apart (and neither open for
# writing nor named .part). The daemon's sensor loop runs every 5 s: a shorter interval
# would not look more often.
LOOK_INTERVAL_SECONDS = 5
# Runs none of whose steps has started: queued for the writer, or being launched.
NOT_STARTED_STATUSES = [dg.DagsterRunStatus.QUEUED, dg.DagsterRunStatus.STARTING]
# The event that records, in a waiting run's log, the files of a feed it took over.
JOINED_FILES_MESSAGE = "{feed}: took over {names}, which landed while this run waited"
JOINED_FILES_PATTERN = re.compile(JOINED_FILES_MESSAGE.format(feed=r"(?P<feed>\w+)", names="(?P<names>.+)"))


def run_request_for(run: PlannedRun) -> dg.RunRequest:
    """The whole refresh over the months named: files already loaded are skipped by the loader."""
    tags = {
        PARTITION_RANGE_START_TAG: run.first_month,
        PARTITION_RANGE_END_TAG: run.last_month,
        "landing/feed": run.feed,
        "landing/files": ",".join(run.files)[:4000],
    }
    return dg.RunRequest(run_key=run.run_key, tags=tags)


def files_taken_by(instance: dg.DagsterInstance, run: dg.DagsterRun) -> set[str]:
    """The landing files (feed/name) a sensor's run was launched for or took over while it
    waited (none for a run launched by hand)."""
    launched_for = run.tags.get("landing/files", "").split(",")
    taken = {f"{run.tags['landing/feed']}/{name}" for name in launched_for if name}
    for record in instance.all_logs(run.run_id, of_type=dg.DagsterEventType.ENGINE_EVENT):
        joined = JOINED_FILES_PATTERN.fullmatch(record.dagster_event.message or "")
        if joined and joined["feed"] in FEEDS:
            taken |= {f"{joined['feed']}/{name}" for name in joined["names"].split(", ")}
    return taken


def recorded_in_warehouse(feed: str) -> set[str] | None:
    """SHA-256 of every file of ``feed`` the load audit has decided on; None while a writer
    holds the warehouse (DuckDB lets no reader in then)."""
    database = settings.warehouse_db()
    if not database.exists():
        return set()
    try:
        with duckdb.connect(str(database), read_only=True) as con:
            return load_audit.recorded_shas(con, feed)
    except duckdb.CatalogException:
        return set()  # nothing loaded yet
    except duckdb.IOException:
        return None


def runs_not_started(instance: dg.DagsterInstance, feed: str) -> dict[str, set[str]]:
    """The months of every refresh_all run that has not started yet and loads ``feed``, by run id.
    A retry from failure re-executes only the steps its parent did not finish: it loads
    ``feed`` only when that feed's load step is among them."""
    feed_keys = {dg.AssetKey(["raw", table]) for table in FEEDS[feed].raw_tables}
    months_by_run = {}
    for run in instance.get_runs(dg.RunsFilter(job_name=refresh_all.name, statuses=NOT_STARTED_STATUSES)):
        if run.asset_selection is not None and not feed_keys & run.asset_selection:
            continue
        if run.step_keys_to_execute is not None and load_step_key(feed) not in run.step_keys_to_execute:
            continue
        first = run.tags.get(PARTITION_RANGE_START_TAG, run.tags.get(PARTITION_TAG))
        last = run.tags.get(PARTITION_RANGE_END_TAG, first)
        if first is not None:
            months_by_run[run.run_id] = months_between(first, last)
    return months_by_run


def months_between(first: str, last: str) -> set[str]:
    months, month = set(), parse_month(first)
    while month_key(month) <= last:
        months.add(month_key(month))
        month = add_months(month, 1)
    return months


def record_joined_files(
    instance: dg.DagsterInstance, feed: str, months_by_run: dict[str, set[str]], names: list[str]
) -> None:
    """Records in each waiting run's event log which of this feed's files it took over (seen
    in the run's log in the UI). An event, not a run tag: Dagster's run storage rewrites a
    run's tags from a copy read a moment before whenever the run's status changes, so a tag
    added while the run was being launched was lost (seen in tests/test_daemon_e2e.py);
    the event log is only appended to."""
    for run_id, months in months_by_run.items():
        mine = sorted(name for name in names if month_key(parse_landing_name(feed, name).reference_month) in months)
        run = instance.get_run_by_id(run_id)
        if mine and run is not None:
            instance.report_engine_event(JOINED_FILES_MESSAGE.format(feed=feed, names=", ".join(mine)), run)


def landing_sha256(path: Path) -> str | None:
    """The file's SHA-256; None when it vanished or changed while hashed (look again); for a
    file that cannot be read, the fingerprint the loader's refusal of it records."""
    try:
        return sha256_of(path)
    except (FileNotFoundError, FileChanged):
        return None
    except OSError:
        return entry_fingerprint("unreadable", path, path.lstat())


def landing_sensor(feed: str) -> dg.SensorDefinition:
    @dg.sensor(
        name=f"landing_{feed}",
        job=refresh_all,
        minimum_interval_seconds=LOOK_INTERVAL_SECONDS,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description=f"Watches data/landing/{feed}/ and refreshes the months that new or corrected files name.",
    )
    def watch(context: dg.SensorEvaluationContext):
        problem = landing_root_problem(settings.landing_dir()) or feed_folder_problem(settings.landing_dir(), feed)
        if problem:
            context.log.error(problem)
            return dg.SkipReason(problem)
        folder = settings.landing_dir() / FEEDS[feed].folder
        not_started: dict[str, set[str]] = {}

        def waiting_run_months() -> set[str]:
            not_started.update(runs_not_started(context.instance, feed))
            return set().union(*not_started.values())

        outcome = evaluate(
            feed,
            list_landing(folder),
            LandingCursor.from_json(context.cursor),
            lambda name: landing_sha256(folder / name),
            lambda: recorded_in_warehouse(feed),
            waiting_run_months,
            files_being_written(settings.landing_dir(), feed),
        )
        if outcome.joined:
            record_joined_files(context.instance, feed, not_started, outcome.joined)
        context.update_cursor(outcome.cursor.to_json())
        for name in outcome.ignored:
            context.log.warning(f"{feed}/{name}: {unknown_name_reason(feed, name)}; left alone")
        if outcome.joined:
            return dg.SkipReason(f"left to runs not started yet, which load them: {', '.join(outcome.joined)}")
        if outcome.run is None:
            waiting = f" (still being written, looked at again: {', '.join(outcome.waiting)})" if outcome.waiting else ""
            return dg.SkipReason(f"no new complete files{waiting}")
        return run_request_for(outcome.run)

    return watch


landing_sensors = [landing_sensor(feed) for feed in FEEDS]
