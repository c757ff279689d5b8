"""The code location: every asset, check, job, sensor, schedule and resource, assembled here."""

from __future__ import annotations

import dagster as dg

from orchestration.automation.schedules import freshness_checks, release_days
from orchestration.automation.sensors import landing_sensors
from orchestration.ingest.assets import landing_specs, load_audit_spec, raw_assets
from orchestration.jobs import refresh_all
from orchestration.publish.assets import publish_checks, publish_defs
from orchestration.resources import default_resources
from orchestration.transform.dbt_assets import dbt_defs, dbt_resource

defs = dg.Definitions(
    # Each asset links to the function that computes it (and a dbt model to its SQL file).
    assets=dg.with_source_code_references(
        [*landing_specs, *raw_assets, load_audit_spec, *dbt_defs, *publish_defs]
    ),
    asset_checks=[*freshness_checks, *publish_checks],
    jobs=[refresh_all],
    sensors=landing_sensors,
    schedules=[release_days],
    resources={**default_resources(), "dbt": dbt_resource()},
    # One process per run: DuckDB takes one writer, and steps run one after another anyway.
    executor=dg.in_process_executor,
)
