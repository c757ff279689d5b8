"""Running the dbt project on the Spark target from outside the product: the dbt next to
this interpreter, with the lake and the Spark master in its environment."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

from orchestration import settings

# A full Spark build of the sample takes minutes on two cores; this bounds a hung JVM.
DBT_TIMEOUT_S = 3600


def spark_installed() -> bool:
    """pyspark and dbt-spark, which `make spark` installs and `make setup` does not."""
    return all(importlib.util.find_spec(name) is not None for name in ("pyspark", "dbt.adapters.spark"))


def dbt_on_spark(*args: str, lake: Path, env: dict[str, str] | None = None, master: str | None = None,
                 target_path: Path | None = None) -> subprocess.CompletedProcess:
    """`dbt <args> --target spark` from the repository root, building into ``lake``."""
    run_env = {**(env or os.environ), "WAREHOUSE_LAKE": str(lake), "DBT_PROFILES_DIR": str(settings.REPO_ROOT)}
    if master:
        run_env["SPARK_MASTER"] = master
    folder = target_path or lake / "spark" / "dbt_target"
    command = [str(Path(sys.executable).with_name("dbt")), *args, "--target", "spark",
               "--target-path", str(folder), "--log-path", str(folder / "logs")]
    return subprocess.run(command, cwd=settings.REPO_ROOT, env=run_env, capture_output=True, text=True,
                          timeout=DBT_TIMEOUT_S)
