"""Release-day schedule and the freshness checks that say when a release is late."""

from datetime import datetime
from zoneinfo import ZoneInfo

import dagster as dg
from dagster_duckdb import DuckDBResource

from orchestration import settings
from orchestration.automation.release_calendar import (
    FIRST_RELEASE_DAY,
    LAST_DEADLINE_DAY,
    expected_month,
    previous_month,
)
from orchestration.feeds import FEEDS
from orchestration.ingest import load_audit
from orchestration.jobs import refresh_all
from orchestration.partitions import PARTITION_RANGE_END_TAG, PARTITION_RANGE_START_TAG, TIMEZONE
from orchestration.periods import month_key


@dg.schedule(
    name="release_days",
    cron_schedule=f"0 10,16 {FIRST_RELEASE_DAY}-{LAST_DEADLINE_DAY} * *",
    execution_timezone=TIMEZONE,
    job=refresh_all,
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Customs releases around the 20th: twice a day from the 18th to the 28th, sweep the "
    "landing zone for last month's files (in case a sensor missed them) and refresh.",
)
def release_days(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    scheduled = context.scheduled_execution_time.astimezone(ZoneInfo(TIMEZONE))
    month = month_key(previous_month(scheduled.date()))
    return dg.RunRequest(
        run_key=f"release_days:{scheduled:%Y-%m-%dT%H}",
        tags={PARTITION_RANGE_START_TAG: month, PARTITION_RANGE_END_TAG: month},
    )


def freshness_check(feed: str) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=dg.AssetKey(["raw", next(iter(FEEDS[feed].raw_tables))]),
        name=f"{feed}_arrived_on_time",
        blocking=False,
        description=f"Fails when the latest month due by now (day {FEEDS[feed].deadline_day} of the following "
        "month, Asia/Shanghai) has not been loaded.",
    )
    def arrived(warehouse: DuckDBResource) -> dg.AssetCheckResult:
        today = datetime.now(ZoneInfo(TIMEZONE)).date()
        due = expected_month(feed, today)
        with warehouse.get_connection() as con:
            months = load_audit.accepted_months(con, feed)
        latest = max(months) if months else None
        return dg.AssetCheckResult(
            passed=due in months,
            severity=dg.AssetCheckSeverity.WARN,
            metadata={
                "expected_month": month_key(due),
                "latest_loaded": month_key(latest) if latest else "none",
                "landing_dir": str(settings.landing_dir() / feed),
            },
        )

    return arrived


freshness_checks = [freshness_check(feed) for feed in FEEDS]
