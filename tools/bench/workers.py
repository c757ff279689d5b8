"""The measured sides, each run in its own process by ``measure.run_worker``:
``python -m tools.bench.workers TASK JSON``.

A worker times its operation itself (imports and interpreter start excluded) and prints
one JSON line with ``seconds`` and what it counted. Paths of the project (landing zone,
warehouse, Dagster home) come from the environment the parent sets, as in production.
Imports are local to each task, so a baseline process loads DuckDB and little else.
"""

from __future__ import annotations

import json
import resource
import shutil
import sys
import time
from datetime import date
from pathlib import Path


class Timed:
    """Wall and CPU time of a block; CPU counts every thread and the children waited for (dbt)."""

    def __enter__(self) -> "Timed":
        self._wall, self._cpu = time.perf_counter(), _cpu_now()
        return self

    def __exit__(self, *exc) -> None:
        self.seconds, self.cpu_s = time.perf_counter() - self._wall, _cpu_now() - self._cpu

    def as_dict(self) -> dict:
        return {"seconds": self.seconds, "cpu_s": self.cpu_s}


def _cpu_now() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def ingest_loader(params: dict) -> dict:
    """The project's ingest: RawLoader.load_all, as the raw asset calls it, on the GB18030 detail
    files, on a DuckDBResource connection, into a lake of its own."""
    from dagster_duckdb import DuckDBResource

    from orchestration.ingest.loader import RawLoader

    lake = Path(params["db"]).with_suffix(".lake")  # beside its database, new each round as the database is
    shutil.rmtree(lake, ignore_errors=True)
    with Timed() as timed, DuckDBResource(database=params["db"]).get_connection() as con:
        loader = RawLoader(con, Path(params["landing"]), Path(params["quarantine"]), date.today(), lake)
        outcomes = loader.load_all([Path(path) for path in params["files"]])
        settings = _settings(con)
    refused = [f"{o.file_name}: {o.reason}" for o in outcomes if o.status not in ("loaded", "superseded")]
    if refused:
        raise SystemExit(f"the loader did not load every file: {refused[:3]}")
    return {**timed.as_dict(), "rows": sum(o.rows_loaded for o in outcomes), "files": len(outcomes), **settings}


def ingest_duckdb(params: dict) -> dict:
    """The baseline: one CREATE TABLE AS over the same rows, already UTF-8, same column types."""
    import duckdb

    from orchestration.parsing.detail_extract import DETAIL_COLUMNS

    columns = ", ".join(f"'{name}': '{kind}'" for name, kind in DETAIL_COLUMNS.items())
    with Timed() as timed, duckdb.connect(params["db"]) as con:
        con.execute(
            f"CREATE TABLE t AS SELECT * FROM read_csv($files, columns = {{{columns}}}, header = true)",
            {"files": params["files"]},
        )
        rows = con.execute("SELECT count(*) FROM t").fetchone()[0]
        settings = _settings(con)
    return {**timed.as_dict(), "rows": rows, "files": len(params["files"]), **settings}


def ingest_transcode(params: dict) -> dict:
    """A part of the project's ingest, alone: the transcoding that the loader runs on one
    thread beside DuckDB, over the same files (for a plain extract, GB18030 decoding, line
    numbers and the row checks in one pass). The loader cannot finish before this does."""
    import tempfile

    from orchestration import settings
    from orchestration.parsing.landing_names import parse_landing_name
    from orchestration.parsing.plain_extract import transcode_extract

    lines = plain = 0
    scratch_root = settings.scratch_dir()  # where the loader writes them
    with tempfile.TemporaryDirectory(prefix="cq-bench-transcode-", dir=scratch_root) as scratch, Timed() as timed:
        target = Path(scratch) / "extract.csv"
        for path in map(Path, params["files"]):
            counted, checked = transcode_extract(path, target, parse_landing_name("customs_detail", path.name).reference_month)
            lines, plain = lines + counted, plain + checked
    return {**timed.as_dict(), "rows": lines - len(params["files"]), "files": len(params["files"]), "plain_files": plain}


def compiled_sql(params: dict) -> dict:
    """The baseline of a dbt build: dbt's compiled SQL of every model, in dependency
    order, as CREATE OR REPLACE TABLE/VIEW in one connection with the profile's settings."""
    import duckdb

    from tools.bench.dbt_sql import model_statements

    statements = model_statements(Path(params["manifest"]))
    config = {"memory_limit": params["memory_limit"], "threads": params["threads"]}
    with Timed() as timed, duckdb.connect(params["db"], config=config) as con:
        for statement in statements:
            con.execute(statement)
        settings = _settings(con)
    models = sum(statement.startswith("CREATE OR REPLACE") for statement in statements)
    return {**timed.as_dict(), "models": models, **settings}


def refresh(params: dict) -> dict:
    """A whole `refresh_all` run over a month range, in-process, as `orchestration.cli refresh` does."""
    import dagster as dg
    from orchestration.partitions import PARTITION_RANGE_END_TAG, PARTITION_RANGE_START_TAG

    from orchestration.definitions import defs

    instance = dg.DagsterInstance.get()
    tags = {PARTITION_RANGE_START_TAG: params["first"], PARTITION_RANGE_END_TAG: params["last"]}
    with Timed() as timed:
        result = defs.resolve_job_def("refresh_all").execute_in_process(instance=instance, tags=tags, raise_on_error=False)
    if not result.success:
        raise SystemExit(f"refresh_all failed (run {result.run_id})")
    return {**timed.as_dict(), "steps": step_seconds(instance, result.run_id)}


def latency(params: dict) -> dict:
    """A new month's files dropped into the landing zone, until the published marts show it:
    the real sensors decide, the run they request executes in-process."""
    import dagster as dg

    from orchestration import settings
    from orchestration.automation.sensors import landing_sensors
    from orchestration.definitions import defs
    from orchestration.publish.publication import open_published

    instance = dg.DagsterInstance.get()
    cursors = {}
    for sensor in landing_sensors:  # the sensors know the landing zone as it was before the drop
        cursors[sensor.name] = _look_twice(sensor, instance, None)[1]

    landing, incoming = settings.landing_dir(), Path(params["incoming"])
    dropped = 0
    for path in sorted(incoming.rglob("*")):
        if path.is_file():
            target = landing / path.relative_to(incoming)
            target.parent.mkdir(parents=True, exist_ok=True)
            path.rename(target)  # same file system: a producer's atomic rename
            dropped += 1

    started = time.perf_counter()
    requests = []
    for sensor in landing_sensors:  # a file is ready once it is unchanged between two looks
        requests += _look_twice(sensor, instance, cursors[sensor.name])[0]
    sensed = time.perf_counter()
    if not requests:
        raise SystemExit("no sensor requested a run for the dropped files")
    # one run covers the month for every feed (the loader loads all feeds' files of its months)
    result = defs.resolve_job_def("refresh_all").execute_in_process(
        instance=instance, tags=requests[0].tags, raise_on_error=False
    )
    finished = time.perf_counter()
    if not result.success:
        raise SystemExit(f"refresh_all failed (run {result.run_id})")
    with open_published(settings.published_dir()) as con:
        shown = con.execute("SELECT max(reference_month) FROM marts.fct_trade_monthly").fetchone()[0]
    if f"{shown:%Y-%m}" != params["month"]:
        raise SystemExit(f"the published marts end at {shown}, not {params['month']}")
    return {
        "seconds": finished - started,
        "sensor_s": sensed - started,
        "run_s": finished - sensed,
        "files_dropped": dropped,
        "runs_requested": len(requests),
        "steps": step_seconds(instance, result.run_id),
    }


def _look_twice(sensor, instance, cursor: str | None) -> tuple[list, str]:
    import dagster as dg

    requests = []
    for _ in range(2):
        context = dg.build_sensor_context(instance=instance, cursor=cursor)
        outcome = sensor(context)
        cursor = context.cursor
        if isinstance(outcome, dg.RunRequest):
            requests.append(outcome)
    return requests, cursor


def step_seconds(instance, run_id: str) -> dict[str, float]:
    """Each step's time from the run's event log (STEP_START to STEP_SUCCESS)."""
    import dagster as dg

    started, seconds = {}, {}
    events = instance.all_logs(run_id, of_type={dg.DagsterEventType.STEP_START, dg.DagsterEventType.STEP_SUCCESS})
    for entry in events:
        if entry.dagster_event.event_type == dg.DagsterEventType.STEP_START:
            started[entry.step_key] = entry.timestamp
        else:
            seconds[entry.step_key] = round(entry.timestamp - started[entry.step_key], 3)
    return seconds


def _settings(con) -> dict:
    memory, threads = con.execute("SELECT current_setting('memory_limit'), current_setting('threads')").fetchone()
    return {"duckdb_memory_limit": memory, "duckdb_threads": threads}


TASKS = {f.__name__: f for f in (ingest_loader, ingest_duckdb, ingest_transcode, compiled_sql, refresh, latency)}

if __name__ == "__main__":
    task, params = sys.argv[1], json.loads(sys.argv[2])
    print(json.dumps(TASKS[task](params)), flush=True)
