"""Jobs: what a sensor, a schedule or `make run` launches."""

from __future__ import annotations

import dagster as dg

from orchestration.partitions import monthly_partitions
from orchestration.publish.assets import republish_stale_on_failure
from orchestration.writer import WRITER_TAGS

refresh_all = dg.define_asset_job(
    name="refresh_all",
    selection=dg.AssetSelection.all() - dg.AssetSelection.groups("landing"),
    partitions_def=monthly_partitions,
    tags=WRITER_TAGS,
    hooks={republish_stale_on_failure},
    description="Ingest the given months of every feed, rebuild their dbt periods, refresh the marts, publish; "
    "a refresh that cannot publish new marts republishes the last good ones marked stale.",
)
