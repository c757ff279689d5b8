"""Performance at scale: `python -m tools.bench [--quick]` (make bench).

Generates a large landing zone once (reused while its parameters stay the same), then
measures each part of the pipeline against a baseline in the same run, so that the
machine's load and noise fall on both sides of every ratio:

- ingest: RawLoader on the GB18030 detail files vs DuckDB's CREATE TABLE AS read_csv on
  the same rows already in UTF-8 (time and peak memory, each side in its own process, in
  alternating rounds: the median of the rounds' ratios counts);
- a whole `refresh_all` over the full history (time, peak memory) vs the bare work of the
  same run: read_csv of every detail row from UTF-8, dbt's compiled SQL of every model in
  one connection, a plain copy of the marts;
- a full build of the dbt models vs dbt's own compiled SQL run in one DuckDB connection;
- a one-month incremental refresh vs the full rebuild of the same models;
- file-to-published latency of a new month, through the real sensors and `refresh_all`,
  on the full history and on its last months only (history independence);
- start-up: loading the Definitions, `dbt parse` with and without a prepared manifest;
- the Spark build, where tools/bench/spark.py and Spark are installed.

Everything is written under the bench folder (default data/bench/, ignored by git);
results go to <folder>/results.json and .md, and into docs/benchmarks.md (full runs).
See docs/benchmarks.md for the method and the latest results.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import statistics
import sys
import time
from dataclasses import asdict
from datetime import datetime, timezone
from pathlib import Path

from orchestration import settings
from tools.bench import report
from tools.bench.dataset import (
    DatasetParams,
    data_lines,
    ensure_dataset,
    generate_landing,
    ingest_sample,
    utf8_copies,
)
from tools.bench.dbt_sql import REFRESH_BUILD, dbt_command, execution_seconds, model_seconds
from tools.bench.measure import median_wall, run_child, run_worker
from orchestration.parsing.landing_names import parse_landing_name
from orchestration.periods import add_months, customs_periods, month_key, parse_month

# repeats: rounds of the ingest comparison, runs of each start-up command; medians count.
# short_history: the months loaded on the other side of the history-independence ratio.
FULL = {"first": "2012-01", "through": "2021-11", "detail_rows": 100_000, "ingest_rows": 5_000_000,
        "repeats": 3, "short_history": 12, "root": settings.REPO_ROOT / "data" / "bench"}
QUICK = {"first": "2021-09", "through": "2021-11", "detail_rows": 2_000, "ingest_rows": 0,
         "repeats": 1, "short_history": 1, "root": settings.REPO_ROOT / "data" / "bench" / "quick"}
STEPS = ("ingest", "refresh", "bare_work", "dbt_full_build", "incremental", "latency", "startup", "spark")
PEAK_MEMORY_TARGET_BYTES = 4 << 30
PROFILE_MEMORY_LIMIT = os.environ.get("DUCKDB_MEMORY_LIMIT", "4GB")  # profiles.yml's setting
PROFILE_THREADS = 2


def log(message: str) -> None:
    print(f"[bench {datetime.now():%H:%M:%S}] {message}", file=sys.stderr, flush=True)


class Bench:
    def __init__(self, root: Path, params: DatasetParams, ingest_rows: int, repeats: int, short_history: int):
        self.root = root
        self.repeats = repeats
        self.short_history = short_history
        self.params = params
        self.ingest_rows = ingest_rows
        self.work = root / "work"
        self.logs = self.work / "logs"
        self.landing = self.work / "landing"
        self.warehouse = self.work / "refresh" / "warehouse.duckdb"
        self.dbt_target = self.work / "dbt_target"
        # dbt's catalog is the file's stem: every copy keeps the name warehouse.duckdb
        self.dbt_warehouse = self.work / "dbt" / "warehouse.duckdb"
        self.sql_warehouse = self.work / "sql" / "warehouse.duckdb"

    # -- set-up ---------------------------------------------------------------------------------

    def prepare(self, fresh: bool) -> dict:
        """The data set, and a new work folder unless ``fresh`` is false (later steps of an
        earlier run, which left its loaded warehouse there)."""
        dataset_landing = ensure_dataset(self.root / "dataset", self.params, log)
        home = self.work / "dagster_home"
        if fresh:
            if self.work.exists():
                shutil.rmtree(self.work)
            for folder in (self.logs, self.warehouse.parent, self.dbt_warehouse.parent, self.sql_warehouse.parent):
                folder.mkdir(parents=True)
            # The runs get a landing zone of hard links: the latency run adds files to it and
            # the data set stays as generated.
            shutil.copytree(dataset_landing, self.landing, copy_function=os.link)
            home.mkdir()
            shutil.copy(settings.DAGSTER_CONFIG, home / "dagster.yaml")
        elif not self.warehouse.exists():
            raise SystemExit(f"no loaded warehouse at {self.warehouse}: include the refresh step")
        self.env = chain_env(self.work, self.params.first)
        self.dbt_env = {**self.env, "WAREHOUSE_DB": str(self.dbt_warehouse)}
        detail = sorted((dataset_landing / "customs_detail").glob("*.csv"))
        self.dataset_landing = dataset_landing
        return {
            **asdict(self.params),
            "detail_files": len(detail),
            "detail_rows_total": sum(data_lines(path) for path in detail),
            "landing_bytes": sum(p.stat().st_size for p in dataset_landing.rglob("*") if p.is_file()),
        }

    def short_history_zone(self) -> tuple[Path, dict, str]:
        """A work folder of its own holding the data set's last months only (hard links),
        its environment and its first month."""
        first = month_key(add_months(parse_month(self.params.through), 1 - self.short_history))
        work = self.work / "short_history"
        if work.exists():
            shutil.rmtree(work)
        for path in sorted(self.dataset_landing.rglob("*")):
            feed = path.parent.name
            if path.is_file() and month_key(parse_landing_name(feed, path.name).reference_month) >= first:
                target = work / "landing" / feed / path.name
                target.parent.mkdir(parents=True, exist_ok=True)
                os.link(path, target)
        (work / "dagster_home").mkdir()
        (work / "refresh").mkdir()
        shutil.copy(settings.DAGSTER_CONFIG, work / "dagster_home" / "dagster.yaml")
        return work, chain_env(work, first), first

    def _log(self, name: str) -> Path:
        return self.logs / f"{name}.log"

    # -- measurements ---------------------------------------------------------------------------

    def startup(self) -> dict:
        log("start-up: Definitions import and dbt parse")
        python = sys.executable
        definitions = median_wall([python, "-c", "import orchestration.definitions"], self.repeats, self.env,
                                  self._log("startup"))
        framework = median_wall([python, "-c", "import dagster, dagster_dbt"], self.repeats, self.env,
                                self._log("startup"))
        full_parse = dbt_command("parse", self.dbt_target, "--no-partial-parse")
        parse_full = median_wall(full_parse, self.repeats, self.dbt_env, self._log("startup"))
        run_child(dbt_command("parse", self.dbt_target), self.dbt_env, log=self._log("startup"))  # prepares it
        parse_partial = median_wall(dbt_command("parse", self.dbt_target), self.repeats, self.dbt_env,
                                    self._log("startup"))
        return {
            "definitions_import_s": definitions,
            "framework_import_s": framework,
            "ratio_definitions": definitions / framework,
            "dbt_parse_full_s": parse_full,
            "dbt_parse_partial_s": parse_partial,
            "ratio_parse": parse_partial / parse_full,
            "repeats": self.repeats,
        }

    def ingest(self) -> dict:
        sample, rows = ingest_sample(self.dataset_landing, self.ingest_rows)
        # loaded through the work zone's links: a refused file is moved, never out of the data set
        files = [self.landing / path.relative_to(self.dataset_landing) for path in sample]
        log(f"ingest: {len(files)} detail files, {rows:,} rows; transcoding the baseline's UTF-8 copies")
        copies = utf8_copies(files, self.root / "dataset" / "utf8")
        # Rounds of loader then bare DuckDB, each on a new database. The host drifts between
        # rounds (bare DuckDB 4.9-7.6 s in one run), so a ratio pairs the two sides of one
        # round, and the median of the rounds' ratios counts.
        rounds = []
        for number in range(1, self.repeats + 1):
            log(f"ingest, round {number} of {self.repeats}: RawLoader")
            project = run_worker("ingest_loader", {
                "db": str(self.work / "ingest_loader.duckdb"), "files": [str(p) for p in files],
                "landing": str(self.landing), "quarantine": str(self.work / "ingest_quarantine"),
            }, self.env, self._log("ingest"))
            log(f"ingest, round {number} of {self.repeats}: bare DuckDB read_csv")
            baseline = run_worker("ingest_duckdb", {
                "db": str(self.work / "ingest_duckdb.duckdb"), "files": [str(p) for p in copies],
            }, self.env, self._log("ingest"))
            for db in ("ingest_loader.duckdb", "ingest_duckdb.duckdb"):
                (self.work / db).unlink()
            rounds.append((project, baseline))
        log("ingest: the loader's transcoding alone")
        transcode = run_worker("ingest_transcode", {"files": [str(p) for p in files]}, self.env, self._log("ingest"))
        project, baseline = (_median_run([pair[side] for pair in rounds]) for side in (0, 1))
        paired = [{"project_s": p.seconds, "baseline_s": b.seconds, "ratio_time": p.seconds / b.seconds,
                   "ratio_cpu": p.cpu_seconds / b.cpu_seconds, "ratio_memory": p.peak_rss_bytes / b.peak_rss_bytes}
                  for p, b in rounds]
        counts = {run.report["rows"] for pair in rounds for run in pair} | {transcode.report["rows"]}
        if len(counts) != 1:
            raise RuntimeError(f"ingest sides differ: {sorted(counts)} rows")
        cores = len(os.sched_getaffinity(0))
        # A loader whose DuckDB side cost no more than the bare read, with every core busy
        # throughout, would still need the transcoding's CPU on top: its time ratio floor.
        floor_seconds = (transcode.cpu_seconds + baseline.cpu_seconds) / cores
        return {
            "rows": project.report["rows"],
            "files": len(files),
            "project": project.as_dict(),
            "baseline": baseline.as_dict(),
            "transcode": transcode.as_dict(),
            **{ratio: statistics.median(r[ratio] for r in paired) for ratio in ("ratio_time", "ratio_cpu", "ratio_memory")},
            "ratio_transcode_time": transcode.seconds / baseline.seconds,
            "floor_seconds": floor_seconds,
            "ratio_floor": floor_seconds / baseline.seconds,
            "cores": cores,
            "rounds": paired,
        }

    def refresh(self, detail_rows: int) -> dict:
        first, last = self.params.first, self.params.through
        log(f"whole refresh: refresh_all {first} .. {last}")
        run = run_worker("refresh", {"first": first, "last": last}, self.env, self._log("refresh"))
        return {
            "detail_rows": detail_rows,
            **run.as_dict(),
            "phases": phases(run.report["steps"], run.seconds),
            "target_bytes": PEAK_MEMORY_TARGET_BYTES,
            "ratio_memory": run.peak_tree_rss_bytes / PEAK_MEMORY_TARGET_BYTES,
        }

    def bare_work(self, refresh: dict | None) -> dict:
        """The whole refresh (``refresh``, this run's) against the bare work of the same
        run (see workers.bare_work)."""
        detail = sorted((self.dataset_landing / "customs_detail").glob("*.csv"))
        log(f"bare work: UTF-8 copies of {len(detail)} detail files, the models' compiled SQL (not timed)")
        copies = utf8_copies(detail, self.root / "dataset" / "utf8")
        for copy in (self.dbt_warehouse, self.sql_warehouse):  # dbt compiles against one, the SQL runs on the other
            shutil.copy(self.warehouse, copy)
        run_child(dbt_command("compile", self.dbt_target, "--full-refresh"), self.dbt_env, log=self._log("bare_work"))
        log("bare work: read_csv of every detail row, compiled SQL of every model, a copy of the marts")
        detail_db, marts_db = self.work / "bare_detail.duckdb", self.work / "bare_marts.duckdb"
        bare = run_worker("bare_work", {
            "files": [str(p) for p in copies], "detail_db": str(detail_db), "marts_db": str(marts_db),
            "warehouse": str(self.sql_warehouse), "manifest": str(self.dbt_target / "manifest.json"),
            "memory_limit": PROFILE_MEMORY_LIMIT, "threads": PROFILE_THREADS,
        }, self.env, self._log("bare_work"))
        for db in (detail_db, marts_db, self.sql_warehouse):
            db.unlink()
        return {
            **bare.as_dict(),
            "refresh_s": refresh["seconds"] if refresh else None,
            "ratio_time": refresh["seconds"] / bare.seconds if refresh else None,
        }

    def spark(self) -> dict:
        """The Spark build, reported without target, where tools/bench/spark.py (``measure(bench)``,
        returning at least ``seconds``) and Spark are installed."""
        if importlib.util.find_spec("tools.bench.spark") is None:
            return {"installed": False, "why": "no tools/bench/spark.py"}
        try:
            from tools.bench import spark
        except ImportError as missing:  # Spark itself
            return {"installed": False, "why": str(missing)}
        return {"installed": True, **spark.measure(self)}

    def dbt_full_build(self) -> dict:
        for copy in (self.dbt_warehouse, self.sql_warehouse):
            shutil.copy(self.warehouse, copy)
        # parse first, so the measured run starts from a prepared manifest as production does
        run_child(dbt_command("parse", self.dbt_target), self.dbt_env, log=self._log("dbt_build"))
        log("dbt full build: dbt run --full-refresh")
        project = self._dbt("dbt_build", "run", "--full-refresh")
        log("dbt full build: compiled SQL in one DuckDB connection")
        baseline = run_worker("compiled_sql", {
            "db": str(self.sql_warehouse), "manifest": str(self.dbt_target / "manifest.json"),
            "memory_limit": PROFILE_MEMORY_LIMIT, "threads": PROFILE_THREADS,
        }, self.env, self._log("dbt_build"))
        self.sql_warehouse.unlink()
        return {
            "project": project,
            "baseline": baseline.as_dict(),
            "ratio_time": project["seconds"] / baseline.seconds,
            "ratio_cpu": project["cpu_s"] / baseline.cpu_seconds,
            "ratio_model_time": project["model_seconds"] / baseline.seconds,
            "ratio_fixed_to_sql": project["fixed_s"] / baseline.seconds,
        }

    def incremental(self) -> dict:
        """The dbt build of a refresh for the last month vs the same build from scratch
        (--full-refresh, no window): every model and its tests, as the Dagster step runs it."""
        from orchestration.transform.dbt_assets import PERIOD_FROM_ENV, PERIOD_TO_ENV

        month = self.params.through
        # both sides start from the parse state of this environment, as a refresh after the first does
        run_child(dbt_command("parse", self.dbt_target), self.dbt_env, log=self._log("incremental"))
        log(f"incremental: dbt build from scratch, then for {month} only")
        full = self._dbt("incremental", *REFRESH_BUILD, "--full-refresh")
        # the period window as Dagster passes it: environment variables (see dbt_assets.py)
        window = {PERIOD_FROM_ENV: month, PERIOD_TO_ENV: month}
        one_month = self._dbt("incremental", *REFRESH_BUILD, env=window)
        self.dbt_warehouse.unlink()
        return {
            "month": month,
            "full": full,
            "incremental": one_month,
            "ratio_time": one_month["seconds"] / full["seconds"],
            "ratio_cpu": one_month["cpu_s"] / full["cpu_s"],
            "ratio_model_time": one_month["model_seconds"] / full["model_seconds"],
            "ratio_execution": one_month["execution_s"] / full["execution_s"],
            # the command ratio cannot go below dbt's fixed cost over the full rebuild
            "ratio_fixed_floor": one_month["fixed_s"] / full["seconds"],
        }

    def latency(self) -> dict:
        """A new month dropped into the loaded full history, then the same month into a
        warehouse holding only the history's last months: the same refresh on both sides."""
        from orchestration.automation.sensors import LOOK_INTERVAL_SECONDS
        from orchestration.transform.dbt_assets import PARTIAL_PARSE_FILE, dbt_project

        month = next_period(self.params.through)
        incoming = self.work / "incoming"
        log(f"latency: generating {month} (not timed)")
        generate_landing(incoming, DatasetParams(self.params.first, month, self.params.detail_rows,
                                                 self.params.seed), only_from=month)
        # dbt's saved parse holds for one warehouse file (see dbt_assets.keep_parse_state): each
        # side starts from its own, as every run after the first in its environment does
        saved_parse = Path(dbt_project.project_dir) / dbt_project.target_path / PARTIAL_PARSE_FILE
        parse_states = {"full": saved_parse.read_bytes()}
        short_work, short_env, short_first = self.short_history_zone()
        log(f"latency: loading the short history {short_first} .. {self.params.through} (not timed)")
        short_refresh = run_worker("refresh", {"first": short_first, "last": self.params.through}, short_env,
                                   self._log("latency"))
        parse_states["short"] = saved_parse.read_bytes()
        short_incoming = short_work / "incoming"
        shutil.copytree(incoming, short_incoming, copy_function=os.link)
        sides = {}
        for side, env, files in (("full", self.env, incoming), ("short", short_env, short_incoming)):
            log(f"latency: {month} dropped into the {side} history")
            staged = saved_parse.with_name(f"{PARTIAL_PARSE_FILE}.bench")
            staged.write_bytes(parse_states[side])
            os.replace(staged, saved_parse)
            sides[side] = run_worker("latency", {"incoming": str(files), "month": month}, env, self._log("latency"))
        run = sides["full"]
        looks = run.report["looks"]
        return {
            "month": month,
            **run.as_dict(),
            **phases(run.report["steps"], run.report["run_s"]),
            "total_s": run.seconds,
            "interval_s": LOOK_INTERVAL_SECONDS,
            # the daemon looks once per interval: the first look comes within one, each further look one more
            "sensor_wait_s": looks * LOOK_INTERVAL_SECONDS,
            "with_wait_s": run.seconds + looks * LOOK_INTERVAL_SECONDS,
            "short_history": {"first": short_first, "months": self.short_history, "refresh_s": short_refresh.seconds,
                              **sides["short"].as_dict()},
            "ratio_history": run.report["run_s"] / sides["short"].report["run_s"],
        }

    def _dbt(self, name: str, verb: str, *args: str, env: dict | None = None) -> dict:
        """A whole dbt command, timed from outside as a user or Dagster waits for it."""
        measured = run_child(dbt_command(verb, self.dbt_target, *args), {**self.dbt_env, **(env or {})},
                             log=self._log(name))
        return {
            **measured.as_dict(),
            "model_seconds": model_seconds(self.dbt_target),
            "execution_s": execution_seconds(self.dbt_target),
            "fixed_s": measured.seconds - execution_seconds(self.dbt_target),
            "command": " ".join([*(f"{k}={v}" for k, v in (env or {}).items()), "dbt", verb, *args]),
        }


def chain_env(work: Path, first_month: str) -> dict[str, str]:
    """The environment of a chain whose landing zone, warehouse, Dagster home and
    publication are in ``work``, as in production."""
    return {
        **os.environ,
        "PYTHONPATH": str(settings.REPO_ROOT),
        "DBT_PROFILES_DIR": str(settings.REPO_ROOT),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "DO_NOT_TRACK": "1",
        "DAGSTER_HOME": str(work / "dagster_home"),
        "LANDING_DIR": str(work / "landing"),
        "QUARANTINE_DIR": str(work / "quarantine"),
        "WAREHOUSE_DB": str(work / "refresh" / "warehouse.duckdb"),
        "WAREHOUSE_LAKE": str(work / "lake"),  # each chain's raw rows its own, never the repository's data/lake
        "PUBLISHED_DIR": str(work / "published"),
        # the partitions start in 2017 unless told otherwise; the bench's history is longer
        "WAREHOUSE_FIRST_MONTH": first_month,
    }


def phases(steps: dict[str, float], run_seconds: float) -> dict[str, float]:
    """Step times of a refresh_all run grouped by what they do."""
    totals = {"ingest_s": 0.0, "checks_s": 0.0, "dbt_s": 0.0, "publish_s": 0.0, "dbt_steps": 0}
    for step, seconds in steps.items():
        if step.startswith("load_"):
            totals["ingest_s"] += seconds
        elif step.startswith("dbt_"):
            totals["dbt_s"] += seconds
            totals["dbt_steps"] += 1
        elif step.startswith(("published", "monthly_bulletin")):
            totals["publish_s"] += seconds
        else:
            totals["checks_s"] += seconds
    totals["overhead_s"] = max(run_seconds - sum(v for k, v in totals.items() if k.endswith("_s")), 0.0)
    return totals


def next_period(month: str) -> str:
    """The customs period after ``month`` (from 2020 January is reported with February)."""
    following = add_months(parse_month(month), 1)
    return month_key(customs_periods(following, add_months(following, 1))[0])


def _median_run(runs: list):
    """The run of median wall time (the upper one of an even count)."""
    return sorted(runs, key=lambda run: run.seconds)[len(runs) // 2]


def settings_note(measurements: dict) -> str:
    parts = []
    if "ingest" in measurements:
        loader, bare = measurements["ingest"]["project"], measurements["ingest"]["baseline"]
        parts.append(
            f"the loader runs on DuckDBResource's defaults, which are DuckDB's own (memory_limit "
            f"{loader['duckdb_memory_limit']}, i.e. 80 percent of RAM; threads {loader['duckdb_threads']}, every core), "
            f"and so does the ingest baseline ({bare['duckdb_memory_limit']}, {bare['duckdb_threads']} threads)"
        )
    parts.append(f"dbt uses profiles.yml (memory_limit {PROFILE_MEMORY_LIMIT} from DUCKDB_MEMORY_LIMIT, "
                 f"threads {PROFILE_THREADS})")
    if "dbt_full_build" in measurements:
        bare = measurements["dbt_full_build"]["baseline"]
        parts.append(f"its compiled-SQL baseline gets the same ({bare['duckdb_memory_limit']}, "
                     f"{bare['duckdb_threads']} threads)")
    return "; ".join(parts) + "."


def run(root: Path, params: DatasetParams, ingest_rows: int, repeats: int, short_history: int, mode: str,
        docs: list[Path], only: list[str] | None = None) -> dict:
    """Every measurement in turn (or those in ``only``, keeping the earlier run's others);
    the results are rewritten after each, so a run cut short still reports what finished."""
    started = time.perf_counter()
    bench = Bench(root, params, ingest_rows, repeats, short_history)
    fresh = only is None or "refresh" in only
    previous = root / "results.json"
    earlier = json.loads(previous.read_text())["measurements"] if only and previous.exists() else {}
    results = {"mode": mode, "machine": report.machine(), "dataset": bench.prepare(fresh), "measurements": earlier}
    # the acceptance measurements first; start-up, the cheapest, last
    steps = {
        "ingest": bench.ingest,
        "refresh": lambda: bench.refresh(results["dataset"]["detail_rows_total"]),
        "bare_work": lambda: bench.bare_work(results["measurements"].get("refresh")),
        "dbt_full_build": bench.dbt_full_build,
        "incremental": bench.incremental,
        "latency": bench.latency,
        "startup": bench.startup,
        "spark": bench.spark,
    }
    for name, measure in steps.items():
        if only and name not in only:
            continue
        results["measurements"][name] = measure()
        results["finished_at"] = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        results["total_minutes"] = (time.perf_counter() - started) / 60
        results["settings_note"] = settings_note(results["measurements"])
        write_results(root, results, docs)
    print(report.text_table(results))
    log(f"results: {', '.join(str(path) for path in [root / 'results.json', root / 'results.md', *docs])}")
    return results


def write_results(root: Path, results: dict, docs: list[Path]) -> None:
    (root / "results.json").write_text(json.dumps(results, indent=2, default=str))
    block = report.markdown(results)
    (root / "results.md").write_text(block)
    for document in docs:
        report.update_docs(document, block)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="a tiny data set (about a minute), for tests")
    parser.add_argument("--root", type=Path, help="bench folder (default data/bench, data/bench/quick with --quick)")
    parser.add_argument("--from", dest="first", help="first month of the data set (YYYY-MM)")
    parser.add_argument("--through", help="last month of the data set (YYYY-MM)")
    parser.add_argument("--detail-rows", type=int, help="approximate rows per detail file (generator option)")
    parser.add_argument("--ingest-rows", type=int, help="at least this many detail rows in the ingest comparison (0: every file)")
    parser.add_argument("--only", help=f"comma-separated steps to rerun on the previous run's work folder "
                        f"(of {', '.join(STEPS)}; with refresh, a new work folder)")
    parser.add_argument("--no-docs", action="store_true", help="leave docs/benchmarks.md alone")
    args = parser.parse_args(argv)
    preset = QUICK if args.quick else FULL
    params = DatasetParams(
        first=args.first or preset["first"],
        through=args.through or preset["through"],
        detail_rows=args.detail_rows or preset["detail_rows"],
    )
    only = args.only.split(",") if args.only else None
    if only and set(only) - set(STEPS):
        parser.error(f"--only takes steps of {', '.join(STEPS)}")
    ingest_rows = args.ingest_rows if args.ingest_rows is not None else preset["ingest_rows"]
    docs = [] if args.quick or args.no_docs else [settings.REPO_ROOT / "docs" / "benchmarks.md"]
    run((args.root or preset["root"]).resolve(), params, ingest_rows, preset["repeats"], preset["short_history"],
        "quick" if args.quick else "full", docs, only)
    return 0


if __name__ == "__main__":
    sys.exit(main())
