"""The reference-month partitions shared by every feed and by the incremental dbt models.

A partition is a month ``YYYY-MM``. Customs publishes January and February together from
2020 on, so the customs partition ``YYYY-02`` loads the combined period and ``YYYY-01``
has no customs file (its run records that and loads nothing); trains stay monthly.
"""

from __future__ import annotations

import os

import dagster as dg

TIMEZONE = "Asia/Shanghai"

monthly_partitions = dg.MonthlyPartitionsDefinition(
    start_date=os.environ.get("WAREHOUSE_FIRST_MONTH", "2017-01"),
    fmt="%Y-%m",
    timezone=TIMEZONE,
    end_offset=0,
)
