"""Jobs: what a sensor, a schedule or `make run` launches."""

from __future__ import annotations

import dagster as dg

from orchestration.partitions import monthly_partitions

# Every run that touches the warehouse queues behind the one writer (see dagster.yaml).
WRITER_TAGS = {"warehouse": "writer"}

refresh_all = dg.define_asset_job(
    name="refresh_all",
    selection=dg.AssetSelection.all() - dg.AssetSelection.groups("landing"),
    partitions_def=monthly_partitions,
    tags=WRITER_TAGS,
    description="Ingest the given months of every feed, rebuild their dbt periods, refresh the marts, publish.",
)
