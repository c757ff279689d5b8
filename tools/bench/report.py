"""The results as a table: printed, written as JSON and Markdown, and put into docs/benchmarks.md."""

from __future__ import annotations

import os
import platform
import re
from pathlib import Path

import psutil

DOCS_BEGIN = "<!-- bench:results:begin -->"
DOCS_END = "<!-- bench:results:end -->"
GIB = 1 << 30
MIB = 1 << 20
# The targets (issue 19): ratios to a baseline measured in the same run, and the latency in seconds.
INGEST_TARGET = 1.5
BARE_WORK_TARGET = 1.5
HISTORY_TARGET = 1.1
LATENCY_TARGET_S = 20.0


def machine() -> dict:
    import dagster
    import dbt.version
    import duckdb

    from orchestration.parsing.plain_extract import fast_path_built

    # the CPU's model name: psutil does not report it
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    return {
        "cpu": cpu,
        "cores": len(os.sched_getaffinity(0)),
        "memory_gib": round(psutil.virtual_memory().total / GIB, 1),
        "os": platform.platform(),
        "python": platform.python_version(),
        "duckdb": duckdb.__version__,
        "dbt_core": dbt.version.__version__,
        "dagster": dagster.__version__,
        "fast_path": "C" if fast_path_built() else "Python",
    }


def _seconds(value: float) -> str:
    return f"{value:.1f} s" if value >= 10 else f"{value:.2f} s"


def _mib(value: int) -> str:
    return f"{value / GIB:.2f} GiB" if value >= GIB else f"{value / MIB:.0f} MiB"


def _verdict(ratio: float, target: float | None) -> str:
    if target is None:
        return "(information)"
    if ratio <= target:
        return "met"
    return f"MISSED: {ratio / target:.1f}x the target"


def _fast_path(mach: dict) -> str:
    if mach["fast_path"] == "Python":
        return "the Python path only (the C fast path was not built: no C compiler at set-up)"
    return "the C fast path (plain_extract.c) where an extract is plain, else the Python path"


def _plain_files(ingest: dict) -> str:
    if "plain_files" not in ingest["transcode"]:  # counted since the fast path, 2026-11-29
        return "GB18030 decoding with line numbers"
    return f"{ingest['transcode']['plain_files']} of {ingest['files']} files plain: decoded, numbered and checked in one pass"


def _ingest_rows(ingest: dict) -> list[tuple]:
    rows = [
        (f"Ingest {ingest['rows']:,} detail rows, time (RawLoader vs read_csv; each side's median round, "
         "the median of the rounds' ratios)",
         _seconds(ingest["project"]["seconds"]), _seconds(ingest["baseline"]["seconds"]),
         f"{ingest['ratio_time']:.2f}", f"<= {INGEST_TARGET}", _verdict(ingest["ratio_time"], INGEST_TARGET)),
        ("  the same, CPU time (user + system, all threads)",
         _seconds(ingest["project"]["cpu_s"]), _seconds(ingest["baseline"]["cpu_s"]),
         f"{ingest['ratio_cpu']:.2f}", "", "(information)"),
    ]
    if len(ingest.get("rounds", [])) > 1:  # rounds since 2026-11-29
        rows.append((f"  time of each of the {len(ingest['rounds'])} rounds, loader / bare",
                     ", ".join(_seconds(r["project_s"]) for r in ingest["rounds"]),
                     ", ".join(_seconds(r["baseline_s"]) for r in ingest["rounds"]),
                     ", ".join(f"{r['ratio_time']:.2f}" for r in ingest["rounds"]), "", "(information)"))
    if "transcode" in ingest:  # measured since 2026-11-29
        rows += [
            (f"  why: the loader's transcoding alone, on its one thread ({_plain_files(ingest)})",
             _seconds(ingest["transcode"]["seconds"]), _seconds(ingest["baseline"]["seconds"]),
             f"{ingest['ratio_transcode_time']:.2f}", "", "(information)"),
            (f"  why: that CPU and bare DuckDB's, spread over {ingest['cores']} cores: the floor of the time ratio",
             _seconds(ingest["floor_seconds"]), _seconds(ingest["baseline"]["seconds"]),
             f"{ingest['ratio_floor']:.2f}", "", "(information)"),
        ]
    return rows + [
        ("Ingest, peak memory (RSS of the process)",
         _mib(ingest["project"]["peak_rss_bytes"]), _mib(ingest["baseline"]["peak_rss_bytes"]),
         f"{ingest['ratio_memory']:.2f}", f"<= {INGEST_TARGET}", _verdict(ingest["ratio_memory"], INGEST_TARGET)),
    ]


def _build_rows(build: dict) -> list[tuple]:
    rows = [
        (f"dbt full build of {build['baseline']['models']} models (dbt run --full-refresh vs compiled SQL)",
         _seconds(build["project"]["seconds"]), _seconds(build["baseline"]["seconds"]),
         f"{build['ratio_time']:.2f}", "", "(information)"),
        ("  the same, CPU time (dbt: the whole command)",
         _seconds(build["project"]["cpu_s"]), _seconds(build["baseline"]["cpu_s"]),
         f"{build['ratio_cpu']:.2f}", "", "(information)"),
        ("  the same, dbt's model execution time only (run_results.json)",
         _seconds(build["project"]["model_seconds"]), _seconds(build["baseline"]["seconds"]),
         f"{build['ratio_model_time']:.2f}", "", "(information)"),
    ]
    if "ratio_fixed_to_sql" in build:  # measured since 2026-12-03
        rows.append(
            ("  dbt's fixed cost (start-up, parse, artifacts) vs the compiled SQL's time",
             _seconds(build["project"]["fixed_s"]), _seconds(build["baseline"]["seconds"]),
             f"{build['ratio_fixed_to_sql']:.2f}", "", "(information)"))
    return rows


def _incremental_rows(incr: dict) -> list[tuple]:
    if "ratio_execution" not in incr:  # written by an earlier version of the bench
        return [(f"Incremental refresh of {incr['month']} (earlier method)", _seconds(incr["incremental"]["seconds"]),
                 _seconds(incr["full"]["seconds"]), f"{incr['ratio_time']:.1%}", "", "(information)")]
    return [
        (f"dbt build of a refresh for {incr['month']} vs the same build from scratch (every model and test)",
         _seconds(incr["incremental"]["seconds"]), _seconds(incr["full"]["seconds"]),
         f"{incr['ratio_time']:.1%}", "", "(information)"),
        ("  the same, CPU time",
         _seconds(incr["incremental"]["cpu_s"]), _seconds(incr["full"]["cpu_s"]),
         f"{incr['ratio_cpu']:.1%}", "", "(information)"),
        ("  the same, dbt's execution of models and tests only (wall, run_results.json)",
         _seconds(incr["incremental"]["execution_s"]), _seconds(incr["full"]["execution_s"]),
         f"{incr['ratio_execution']:.1%}", "", "(information)"),
        ("  the same, time of every model and test added up (over dbt's threads)",
         _seconds(incr["incremental"]["model_seconds"]), _seconds(incr["full"]["model_seconds"]),
         f"{incr['ratio_model_time']:.1%}", "", "(information)"),
        ("  why: dbt's fixed cost (start-up, parse, artifacts) vs the build from scratch: the floor of the ratio",
         _seconds(incr["incremental"]["fixed_s"]), _seconds(incr["full"]["seconds"]),
         f"{incr['ratio_fixed_floor']:.1%}", "", "(information)"),
    ]


def _startup_rows(start: dict) -> list[tuple]:
    return [
        ("Definitions load (import orchestration.definitions vs import dagster, dagster_dbt)",
         _seconds(start["definitions_import_s"]), _seconds(start["framework_import_s"]),
         f"{start['ratio_definitions']:.2f}", "", "(information)"),
        ("dbt parse with a prepared partial_parse.msgpack vs --no-partial-parse",
         _seconds(start["dbt_parse_partial_s"]), _seconds(start["dbt_parse_full_s"]),
         f"{start['ratio_parse']:.2f}", "", "(information)"),
    ]


def _refresh_rows(refresh: dict) -> list[tuple]:
    return [
        (f"Peak memory of a whole refresh, {refresh['detail_rows']:,} detail rows (process tree)",
         _mib(refresh["peak_tree_rss_bytes"]), "4 GiB", f"{refresh['ratio_memory']:.2f}", "< 1",
         _verdict(refresh["ratio_memory"], 1.0)),
        (f"  the same refresh's time ({refresh['detail_rows']:,} detail rows, every feed, dbt build, publish)",
         _seconds(refresh["seconds"]), "", "", "", "(information)"),
    ]


def _bare_work_rows(bare: dict) -> list[tuple]:
    if bare["ratio_time"] is None:
        return [("Whole refresh vs its bare work: no refresh in this run", "", _seconds(bare["seconds"]), "", "", "")]
    parts = bare["parts"]
    return [
        (f"Whole refresh vs its bare work (read_csv of {bare['rows']:,} detail rows, compiled SQL of every model, "
         f"a copy of {bare['marts']} marts)",
         _seconds(bare["refresh_s"]), _seconds(bare["seconds"]), f"{bare['ratio_time']:.2f}", f"<= {BARE_WORK_TARGET}",
         _verdict(bare["ratio_time"], BARE_WORK_TARGET)),
        ("  the bare work's parts: read_csv, compiled SQL, copy of the marts", "",
         ", ".join(_seconds(parts[name]["seconds"]) for name in ("read_csv", "compiled_sql", "copy_marts")),
         "", "", "(information)"),
    ]


def _latency_rows(lat: dict) -> list[tuple]:
    if "ratio_history" not in lat:  # written before 2026-12-03
        return []
    short = lat["short_history"]
    return [
        (f"A new month, drop to published, with the sensor wait by design ({lat['looks']} look(s) of "
         f"{lat['interval_s']} s)", _seconds(lat["with_wait_s"]), "", "", f"<= {LATENCY_TARGET_S:.0f} s",
         _verdict(lat["with_wait_s"], LATENCY_TARGET_S)),
        (f"One-month refresh with the whole history vs with {short['months']} month(s) loaded (from {short['first']})",
         _seconds(lat["run_s"]), _seconds(short["run_s"]), f"{lat['ratio_history']:.2f}", f"<= {HISTORY_TARGET}",
         _verdict(lat["ratio_history"], HISTORY_TARGET)),
        ("  the same, CPU time", _seconds(lat["cpu_s"]), _seconds(short["cpu_s"]),
         f"{lat['cpu_s'] / short['cpu_s']:.2f}", "", "(information)"),
    ]


def _spark_rows(spark: dict) -> list[tuple]:
    if not spark["installed"]:
        return [(f"Spark build: not measured ({spark['why']})", "", "", "", "", "(information)")]
    return [("Spark build", _seconds(spark["seconds"]), "", "", "", "(information)")]


ROW_MAKERS = {
    "latency": _latency_rows,
    "bare_work": _bare_work_rows,
    "ingest": _ingest_rows,
    "dbt_full_build": _build_rows,
    "incremental": _incremental_rows,
    "startup": _startup_rows,
    "refresh": _refresh_rows,
    "spark": _spark_rows,
}


def rows(results: dict) -> list[tuple[str, str, str, str, str, str]]:
    """(measurement, project, baseline, ratio, target, verdict) for every measurement that finished."""
    measured = results["measurements"]
    return [row for name, make in ROW_MAKERS.items() if name in measured for row in make(measured[name])]


def latency_rows(results: dict) -> list[tuple[str, str]]:
    lat = results["measurements"]["latency"]
    looks = lat.get("looks", 2)
    return [
        (f"sensor looks ({looks}: a file is ready when unchanged between two looks)", _seconds(lat["sensor_s"])),
        ("ingest (load steps)", _seconds(lat["ingest_s"])),
        ("raw-layer checks", _seconds(lat["checks_s"])),
        (f"dbt ({lat.get('dbt_steps', '?')} dbt step(s), with tests)", _seconds(lat["dbt_s"])),
        ("publish (marts file, Parquet, bulletin)", _seconds(lat["publish_s"])),
        ("run overhead (Dagster between steps)", _seconds(lat["overhead_s"])),
        ("**measured total, drop to published**", f"**{_seconds(lat['total_s'])}**"),
        (f"plus the sensor wait by design: the daemon looks every {lat['interval_s']} s, {looks} look(s) needed",
         f"at most {looks * lat['interval_s']} s"),
    ]


def markdown(results: dict) -> str:
    mach, data = results["machine"], results["dataset"]
    lines = [
        f"Run {results['finished_at']} ({results['mode']}), {results['total_minutes']:.1f} min in all.",
        "",
        f"Machine: {mach['cpu']}, {mach['cores']} cores, {mach['memory_gib']} GiB; {mach['os']}; "
        f"Python {mach['python']}, DuckDB {mach['duckdb']}, dbt-core {mach['dbt_core']}, Dagster {mach['dagster']}.",
        "",
        f"Detail extracts: {_fast_path(mach)}.",
        "",
        f"Data set: {data['first']} .. {data['through']}, --detail-rows {data['detail_rows']}: "
        f"{data['detail_files']} detail files, {data['detail_rows_total']:,} detail rows, "
        f"{data['landing_bytes'] / GIB:.2f} GiB of landing files.",
        "",
        "| measurement | project | baseline | ratio | target | verdict |",
        "|---|---:|---:|---:|---:|---|",
        *(f"| {' | '.join(row)} |" for row in rows(results)),
    ]
    if "refresh" in results["measurements"]:
        refresh = results["measurements"]["refresh"]
        parts = ", ".join(
            f"{name.removesuffix('_s')} {_seconds(value)}" if name.endswith("_s") else f"{name.replace('_', ' ')} {value}"
            for name, value in refresh["phases"].items()
        )
        lines += ["", f"Whole refresh by step kind: {parts}; CPU {_seconds(refresh['cpu_s'])} in all "
                      f"(Dagster and its dbt processes)."]
    if "latency" in results["measurements"]:
        latency = results["measurements"]["latency"]
        lines += [
            "",
            f"File-to-published latency of a new month ({latency['month']}, {latency['files_dropped']} files):",
            "",
            "| part | time |",
            "|---|---:|",
            *(f"| {part} | {value} |" for part, value in latency_rows(results)),
        ]
    missing = [name for name in ROW_MAKERS if name not in results["measurements"]]
    if missing:
        lines += ["", f"Not finished in this run: {', '.join(missing)}."]
    lines += ["", "DuckDB settings: " + results["settings_note"]]
    return "\n".join(lines) + "\n"


def text_table(results: dict) -> str:
    table = [("measurement", "project", "baseline", "ratio", "target", "verdict"), *rows(results)]
    widths = [max(len(row[i]) for row in table) for i in range(6)]
    out = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in table]
    out.append("")
    if "latency" in results["measurements"]:
        out += [f"latency: {part}: {value}".replace("**", "") for part, value in latency_rows(results)]
    return "\n".join(out)


def update_docs(docs: Path, block: str) -> None:
    """Replace the generated block of the document, keeping the hand-written text around it."""
    text = docs.read_text()
    pattern = re.compile(re.escape(DOCS_BEGIN) + ".*?" + re.escape(DOCS_END), re.S)
    docs.write_text(pattern.sub(lambda _: f"{DOCS_BEGIN}\n{block}{DOCS_END}", text))
