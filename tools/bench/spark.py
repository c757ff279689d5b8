"""The Spark full build of the bench's data set, beside DuckDB's, as information (no target);
the harness measures it where pyspark and dbt-spark are installed (`make spark` installs them).

The same project and data: the bench's raw lake, built on Spark local[2] with
`dbt run --full-refresh` as the DuckDB side is, after `dbt seed`, timed from the command's
start (Spark's session start included)."""

from __future__ import annotations

import time

from tools.spark_proof.build import dbt_on_spark, spark_installed

if not spark_installed():
    raise ImportError("pyspark and dbt-spark are not installed (make spark installs them)")


def measure(bench) -> dict:
    """Seconds of the Spark full build of ``bench``'s warehouse and lake, and whether it passed."""
    lake = bench.work / "lake"
    env = {**bench.env, "WAREHOUSE_LAKE": str(lake)}
    seeded = dbt_on_spark("seed", lake=lake, env=env)
    started = time.perf_counter()
    done = dbt_on_spark("run", "--full-refresh", lake=lake, env=env)
    return {"seconds": time.perf_counter() - started, "passed": seeded.returncode == 0 and done.returncode == 0}
