"""The Spark full build of the bench's data set, beside DuckDB's, as information (no target):
measured only where pyspark and dbt-spark are installed (`make spark` installs them).

The same project and data: the raw lake of the bench's warehouse (the loader's, or exported
from its raw tables), built on Spark local[2] with `dbt run --full-refresh` as the DuckDB
side is, timed from the command's start (Spark's session start included)."""

from __future__ import annotations

import os
import time
from pathlib import Path

from tools.spark_proof.build import dbt_on_spark, ensure_lake, spark_installed


def spark_full_build(warehouse_db: Path, lake: Path) -> dict | None:
    """Seconds of the Spark full build and whether it passed; None without Spark."""
    if not spark_installed():
        return None
    ensure_lake(warehouse_db, lake)
    env = {**os.environ, "WAREHOUSE_DB": str(warehouse_db)}
    seeded = dbt_on_spark("seed", lake=lake, env=env)
    started = time.perf_counter()
    done = dbt_on_spark("run", "--full-refresh", lake=lake, env=env)
    return {"seconds": time.perf_counter() - started, "passed": seeded.returncode == 0 and done.returncode == 0}


def report_row(build: dict | None) -> tuple[str, str, str, str, str, str] | None:
    """The report's row for the Spark build (None when it was not measured)."""
    if not build:
        return None
    verdict = "(information)" if build["passed"] else "(information; the Spark build FAILED)"
    return ("  the same project on Spark local[2] (dbt run --full-refresh after dbt seed)",
            f"{build['seconds']:.1f} s", "", "", "", verdict)
