"""The benchmark harness end to end on a tiny data set (`python -m tools.bench --quick`)."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys

import pytest

from orchestration import settings
from orchestration.parsing.plain_extract import fast_path_built

# The harness runs a whole refresh, several dbt builds and the latency run: minutes, not seconds.
pytestmark = [pytest.mark.slow, pytest.mark.soak]


@pytest.fixture(scope="module")
def results(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("bench")
    env = {**os.environ, "PYTHONPATH": str(settings.REPO_ROOT), "DBT_PROFILES_DIR": str(settings.REPO_ROOT)}
    subprocess.run([sys.executable, "-m", "tools.bench", "--quick", "--root", str(root)],
                   check=True, env=env, cwd=settings.REPO_ROOT, timeout=1800)
    assert (root / "results.md").read_text().count("| ") > 10
    return {**json.loads((root / "results.json").read_text()), "markdown": (root / "results.md").read_text()}


def _positive(value) -> bool:
    return isinstance(value, (int, float)) and value > 0


def test_every_comparison_has_both_sides_measured(results):
    m = results["measurements"]
    for side in ("project", "baseline"):
        assert _positive(m["ingest"][side]["seconds"]) and _positive(m["ingest"][side]["peak_rss_bytes"])
        assert _positive(m["ingest"][side]["cpu_s"])
        assert _positive(m["dbt_full_build"][side]["seconds"]) and _positive(m["dbt_full_build"][side]["cpu_s"])
    assert _positive(m["ingest"]["transcode"]["seconds"]) and _positive(m["ingest"]["transcode"]["cpu_s"])
    for side in ("full", "incremental"):
        assert _positive(m["incremental"][side]["seconds"]) and _positive(m["incremental"][side]["model_seconds"])
        assert 0 < m["incremental"][side]["fixed_s"] < m["incremental"][side]["seconds"]
    for key in ("definitions_import_s", "framework_import_s", "dbt_parse_full_s", "dbt_parse_partial_s"):
        assert _positive(m["startup"][key])
    assert _positive(m["refresh"]["seconds"]) and _positive(m["refresh"]["peak_tree_rss_bytes"])
    for key in ("sensor_s", "ingest_s", "dbt_s", "publish_s", "total_s"):
        assert _positive(m["latency"][key])
    assert _positive(m["latency"]["short_history"]["run_s"]) and _positive(m["latency"]["short_history"]["cpu_s"])
    for part in ("read_csv", "compiled_sql", "copy_marts"):
        assert _positive(m["bare_work"]["parts"][part]["seconds"])


def test_ratios_are_computed_from_the_measurements(results):
    m = results["measurements"]
    ingest, build, incr, start = m["ingest"], m["dbt_full_build"], m["incremental"], m["startup"]
    rounds = ingest["rounds"]  # a ratio pairs the sides of one round; the median over rounds counts
    for r in rounds:
        assert r["ratio_time"] == pytest.approx(r["project_s"] / r["baseline_s"], rel=1e-2)
    for ratio in ("ratio_time", "ratio_cpu", "ratio_memory"):
        assert ingest[ratio] == pytest.approx(statistics.median(r[ratio] for r in rounds), rel=1e-6)
    assert ingest["project"]["seconds"] == pytest.approx(statistics.median_high(r["project_s"] for r in rounds), rel=1e-2)
    assert ingest["baseline"]["seconds"] == pytest.approx(statistics.median_high(r["baseline_s"] for r in rounds), rel=1e-2)
    transcode, bare = ingest["transcode"], ingest["baseline"]
    # the results hold seconds to 3 decimals: on the quick set the transcoding takes hundredths
    rounding = 0.0005 / bare["seconds"]
    assert ingest["ratio_transcode_time"] == pytest.approx(transcode["seconds"] / bare["seconds"], rel=1e-2, abs=rounding)
    assert ingest["ratio_floor"] == pytest.approx(
        (transcode["cpu_s"] + bare["cpu_s"]) / ingest["cores"] / bare["seconds"], rel=1e-2)
    assert build["ratio_time"] == pytest.approx(build["project"]["seconds"] / build["baseline"]["seconds"], rel=1e-2)
    assert build["ratio_fixed_to_sql"] == pytest.approx(
        build["project"]["fixed_s"] / build["baseline"]["seconds"], rel=1e-2)
    bare, latency = m["bare_work"], m["latency"]
    assert bare["seconds"] == pytest.approx(sum(part["seconds"] for part in bare["parts"].values()), rel=1e-2)
    assert bare["ratio_time"] == pytest.approx(m["refresh"]["seconds"] / bare["seconds"], rel=1e-2)
    assert latency["ratio_history"] == pytest.approx(latency["run_s"] / latency["short_history"]["run_s"], rel=1e-2)
    assert latency["with_wait_s"] == pytest.approx(latency["total_s"] + latency["looks"] * latency["interval_s"], rel=1e-2)
    assert incr["ratio_time"] == pytest.approx(incr["incremental"]["seconds"] / incr["full"]["seconds"], rel=1e-2)
    assert start["ratio_parse"] == pytest.approx(start["dbt_parse_partial_s"] / start["dbt_parse_full_s"], rel=1e-6)
    assert m["refresh"]["ratio_memory"] == pytest.approx(m["refresh"]["peak_tree_rss_bytes"] / (4 << 30), rel=1e-6)


def test_both_ingest_sides_loaded_every_row_of_the_data_set(results):
    ingest, dataset = results["measurements"]["ingest"], results["dataset"]
    # --quick compares every detail file of the data set
    assert ingest["rows"] == ingest["baseline"]["rows"] == ingest["transcode"]["rows"] == dataset["detail_rows_total"]
    assert ingest["files"] == dataset["detail_files"]


def test_the_latency_run_published_the_new_month(results):
    latency = results["measurements"]["latency"]
    assert latency["month"] > results["dataset"]["through"]
    assert latency["files_dropped"] >= 3  # a bulletin, two detail extracts, a train log
    assert latency["runs_requested"] >= 1
    assert latency["dbt_steps"] == 1  # one dbt build per refresh
    parts = sum(latency[k] for k in ("sensor_s", "ingest_s", "checks_s", "dbt_s", "publish_s", "overhead_s"))
    assert parts == pytest.approx(latency["total_s"], rel=0.05)


def test_the_compiled_sql_baseline_built_every_model(results):
    build = results["measurements"]["dbt_full_build"]
    assert build["baseline"]["models"] >= 20


def test_the_bare_work_read_every_detail_row_and_copied_every_mart(results):
    bare = results["measurements"]["bare_work"]
    assert bare["rows"] == results["dataset"]["detail_rows_total"]
    assert bare["marts"] >= 10


def test_the_short_history_side_loaded_its_months_only(results):
    latency, dataset = results["measurements"]["latency"], results["dataset"]
    short = latency["short_history"]
    assert dataset["first"] < short["first"] <= dataset["through"]
    assert short["files_dropped"] == latency["files_dropped"]


def test_every_target_has_its_verdict_in_the_report(results):
    for measurement in ("A new month, drop to published", "One-month refresh with the whole history",
                        "Whole refresh vs its bare work", "Ingest", "Spark build"):
        line = next(line for line in results["markdown"].splitlines() if line.startswith(f"| {measurement}"))
        assert line.rstrip(" |").endswith(("met", "the target", "(information)")), line


def test_the_report_says_which_detail_path_ran(results):
    built = fast_path_built()
    assert results["machine"]["fast_path"] == ("C" if built else "Python")
    assert ("the C fast path (plain_extract.c)" in results["markdown"]) is built
    plain = results["measurements"]["ingest"]["transcode"]["plain_files"]
    assert (plain > 0) is built  # without it no extract is checked in the one pass
