"""Resources, configured from the environment with defaults that work on a laptop."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import dagster as dg

from orchestration import settings
from orchestration.partitions import TIMEZONE
from orchestration.writer import WarehouseWriter


class LandingZone(dg.ConfigurableResource):
    """The folder producers drop files into, and the quarantine next to it."""

    root: str
    quarantine: str

    @property
    def root_path(self) -> Path:
        return Path(self.root)

    @property
    def quarantine_path(self) -> Path:
        return Path(self.quarantine)

    def today(self) -> date:
        """Release dates are judged on the customs calendar (Asia/Shanghai)."""
        return datetime.now(ZoneInfo(TIMEZONE)).date()


class PublishedMarts(dg.ConfigurableResource):
    """Where BI tools read: the published DuckDB file and its Parquet twin."""

    root: str

    @property
    def path(self) -> Path:
        return Path(self.root)


def default_resources() -> dict[str, object]:
    return {
        "warehouse": WarehouseWriter(database=str(settings.warehouse_db())),
        "landing": LandingZone(root=str(settings.landing_dir()), quarantine=str(settings.quarantine_dir())),
        "published": PublishedMarts(root=str(settings.published_dir())),
    }
