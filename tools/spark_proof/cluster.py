"""A standalone Spark master and worker on 127.0.0.1, from the pyspark package's own jars
(its wheel has no sbin/start-master.sh: the daemons are started with bin/spark-class)."""

from __future__ import annotations

import os
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

MASTER_CLASS = "org.apache.spark.deploy.master.Master"
WORKER_CLASS = "org.apache.spark.deploy.worker.Worker"
# How long the JVMs may take to come up on a loaded machine before the cluster is declared dead.
START_DEADLINE_S = 180


def spark_home() -> Path:
    import pyspark  # imported here: the product and the default test run have no pyspark

    return Path(pyspark.__file__).parent


@contextmanager
def standalone_cluster(work: Path, cores: int = 2, memory: str = "2g") -> Iterator[str]:
    """Starts a master and one worker, yields the master URL, and stops both."""
    work.mkdir(parents=True, exist_ok=True)
    home = spark_home()
    env = {**os.environ, "SPARK_HOME": str(home), "SPARK_LOG_DIR": str(work), "SPARK_WORKER_DIR": str(work / "worker")}
    spark_class = str(home / "bin" / "spark-class")
    port, web_port, worker_web_port = _free_port(), _free_port(), _free_port()
    master_url = f"spark://127.0.0.1:{port}"
    master_log, worker_log = work / "master.log", work / "worker.log"
    processes: list[subprocess.Popen] = []
    try:
        with master_log.open("w") as log:
            processes.append(subprocess.Popen(
                [spark_class, MASTER_CLASS, "--host", "127.0.0.1", "--port", str(port), "--webui-port", str(web_port)],
                env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            ))
        _wait_for(lambda: "I have been elected leader" in master_log.read_text(), master_log, processes)
        with worker_log.open("w") as log:
            processes.append(subprocess.Popen(
                [spark_class, WORKER_CLASS, master_url, "--host", "127.0.0.1", "--cores", str(cores),
                 "--memory", memory, "--webui-port", str(worker_web_port), "--work-dir", str(work / "worker")],
                env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            ))
        _wait_for(lambda: "Successfully registered with master" in worker_log.read_text(), worker_log, processes)
        yield master_url
    finally:
        for process in reversed(processes):
            process.terminate()
        for process in reversed(processes):
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_for(ready, log: Path, processes: list[subprocess.Popen]) -> None:
    deadline = time.monotonic() + START_DEADLINE_S
    while not ready():
        if any(process.poll() is not None for process in processes) or time.monotonic() > deadline:
            raise RuntimeError(f"Spark daemon did not start; its log {log}:\n{log.read_text()[-3000:]}")
        time.sleep(0.5)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
