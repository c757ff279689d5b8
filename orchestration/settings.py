"""Where things live. Every path can be moved by an environment variable; the defaults
work on a laptop from the repository root."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
# The project's Dagster instance settings, copied into each Dagster home.
DAGSTER_CONFIG = REPO_ROOT / "orchestration" / "dagster.yaml"


def _path(variable: str, default: Path) -> Path:
    value = os.environ.get(variable)
    return Path(value).resolve() if value else default


def landing_dir() -> Path:
    return _path("LANDING_DIR", REPO_ROOT / "data" / "landing")


def quarantine_dir() -> Path:
    """Refused files are moved here, next to the landing zone, never deleted."""
    return _path("QUARANTINE_DIR", landing_dir().parent / "quarantine")


def warehouse_db() -> Path:
    return _path("WAREHOUSE_DB", REPO_ROOT / "data" / "warehouse.duckdb")


def lake_dir() -> Path:
    """The raw layer's Parquet lake; WAREHOUSE_LAKE, if set, is absolute or relative to the
    repository (not the working folder), as another engine reading the lake is configured."""
    value = os.environ.get("WAREHOUSE_LAKE")
    return (REPO_ROOT / value).resolve() if value else REPO_ROOT / "data" / "lake"


def published_dir() -> Path:
    return _path("PUBLISHED_DIR", REPO_ROOT / "data" / "published")


def dagster_home() -> Path:
    """The Dagster instance's folder, `.dagster_home/` in the repository unless DAGSTER_HOME
    says otherwise, given the project's dagster.yaml if it has none yet."""
    home = _path("DAGSTER_HOME", REPO_ROOT / ".dagster_home")
    config = home / "dagster.yaml"
    if not config.exists():
        home.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(DAGSTER_CONFIG, config)
    return home


def scratch_dir() -> Path | None:
    """Where the loader writes detail extracts in UTF-8 for the moment DuckDB reads them
    (at most two batches): a RAM-backed folder where there is room, as the files are read
    once and deleted, and writing them through a disk's file system costs far more CPU
    (docs/benchmarks.md); else the system's temporary folder (None)."""
    if value := os.environ.get("SCRATCH_DIR"):
        return Path(value).resolve()
    ram = Path("/dev/shm")
    if ram.is_dir() and os.access(ram, os.W_OK) and shutil.disk_usage(ram).free >= 1 << 30:
        return ram
    return None


def reference_dir() -> Path:
    """Reference data ships as dbt seeds; Python reads the same files."""
    return REPO_ROOT / "dbt_project" / "seeds"
