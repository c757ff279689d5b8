"""What the raw lake must hold after any load, crashed or not: a visible file for each raw
table of each live load (at its reference month), nothing else visible, nothing hidden left."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from orchestration.feeds import FEEDS
from orchestration.ingest import load_audit


def visible_files(lake: Path) -> set[tuple[str, date, str]]:
    """(table, reference month, load id) of every file a reader of the lake sees."""
    return {
        (path.parent.parent.name, date.fromisoformat(path.parent.name.removeprefix("reference_month=")), path.stem)
        for path in (lake / "raw").glob("*/*/*.parquet")
    }


def hidden_files(lake: Path) -> list[Path]:
    return sorted(path for path in (lake / "raw").rglob(".*"))


def files_of_live_loads(con) -> set[tuple[str, date, str]]:
    rows = con.execute(
        f"SELECT load_id, feed, reference_month FROM raw.load_audit WHERE load_id IN ({load_audit.LIVE_LOADS_SQL})"
    ).fetchall()
    return {(table, month, load_id) for load_id, feed, month in rows for table in FEEDS[feed].raw_tables}


def assert_lake_matches_audit(con, lake: Path) -> None:
    assert hidden_files(lake) == [], "hidden (temporary) files left in the lake"
    assert visible_files(lake) == files_of_live_loads(con)
