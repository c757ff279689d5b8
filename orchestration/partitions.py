"""The reference-month partitions shared by every feed and by the incremental dbt models.

A partition is a month ``YYYY-MM``. Customs publishes January and February together from
2020 on, so the customs partition ``YYYY-02`` loads the combined period and ``YYYY-01``
has no customs file (its run records that and loads nothing); trains stay monthly.
"""

from __future__ import annotations

import dagster as dg

from orchestration.periods import FIRST_MONTH, month_key

TIMEZONE = "Asia/Shanghai"

monthly_partitions = dg.MonthlyPartitionsDefinition(
    start_date=month_key(FIRST_MONTH),
    fmt="%Y-%m",
    timezone=TIMEZONE,
    end_offset=0,
)

# Dagster's run tags for a run over a range of partitions, and over one: the UI, RunRequest
# and the run's asset context read them. Dagster exports no public name for these strings;
# tests/test_dagster_conventions.py fails if their meaning changes.
PARTITION_RANGE_START_TAG = "dagster/asset_partition_range_start"
PARTITION_RANGE_END_TAG = "dagster/asset_partition_range_end"
PARTITION_TAG = "dagster/partition"
