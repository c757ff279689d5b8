"""Load: the 2017-2021 sample at once, then ten corrected vintages in quick succession,
while three reader processes query the published marts in a loop.

The sample is refreshed once, as `make run` does. Then the UI and daemon start as `make ui`
does and the ten corrections land a moment apart (several vintages of the same month
among them): the landing sensors and the run queue decide how many runs they take. The
test only watches. At the end: every file processed exactly once (the audit), the latest
vintage of each corrected month loaded and every older one superseded, the marts equal a
clean build of the same files, and no reader saw an error.
"""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from datetime import date, timedelta
from pathlib import Path

import dagster as dg
import openpyxl
import pytest
from dagster._core.storage.tags import SENSOR_NAME_TAG

from orchestration.parsing.landing_names import parse_landing_name
from tools.sample_data import generate
from tests.support.chain import REPO
from tests.support.reliability_helpers import (
    assert_every_file_accounted_once,
    audit_rows,
    decided_files,
    deliver,
    landing_names,
    mart_checksums,
    new_chain,
    refresh,
)
from tests.support.ui_helpers import start_ui

pytestmark = pytest.mark.slow

READERS = 3
# (feed, month, vintages): ten corrections over two months of two feeds, a December
# among them (the year-to-date and year-on-year figures of the next year depend on it).
CORRECTIONS = (
    ("corridor_trains", "2020-12", 2),
    ("corridor_trains", "2021-10", 3),
    ("customs_bulletin", "2020-12", 2),
    ("customs_bulletin", "2021-10", 3),
)
CORRECTION_DELAY = timedelta(days=40)  # the first correction comes out well after the release
SECONDS_BETWEEN_CORRECTIONS = 0.5
CONVERGENCE_TIMEOUT_SECONDS = 20 * 60

READER = textwrap.dedent(
    """
    import json, sys, time
    from pathlib import Path
    from orchestration.publish.publication import current_parquet_dir, open_published
    published, stop, out = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
    queries, errors = 0, []
    while not stop.exists():
        try:
            with open_published(published) as con:
                months, total = con.execute(
                    "select count(*), sum(value_cny) from marts.fct_trade_monthly").fetchone()
                trains = con.execute("select sum(trains) from marts.fct_corridor_monthly").fetchone()[0]
                parquet = current_parquet_dir(published) / "fct_trade_monthly.parquet"
                rows = con.execute("select count(*) from read_parquet(?)", [str(parquet)]).fetchone()[0]
            if not (months and total and trains and rows == months):
                raise AssertionError(f"inconsistent read: {months} months, {rows} parquet rows, {trains} trains")
            queries += 1
        except Exception as exc:
            errors.append(f"{type(exc).__name__}: {exc}")
        time.sleep(0.05)
    out.write_text(json.dumps({"queries": queries, "errors": errors}))
    """
)


def vintage_name(original: Path, nth: int) -> str:
    name = parse_landing_name(original.parent.name, original.name)
    vintage = name.vintage + CORRECTION_DELAY + timedelta(days=nth)
    return f"{original.stem.rsplit('_', 1)[0]}_{vintage:%Y%m%d}{original.suffix}"


def correct_train_log(original: Path, nth: int) -> bytes:
    """Every train's cargo value raised by nth x 1,000 yuan: each vintage visibly different."""
    rows = list(csv.reader(io.StringIO(original.read_text("utf-8-sig"), newline="")))
    for row in rows[1:]:
        if row and row[8]:
            row[8] = str(int(row[8]) + 1000 * nth)
    buffer = io.StringIO(newline="")
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue().encode("utf-8")


def redeliver_bulletin(original: Path, nth: int, scratch: Path) -> bytes:
    """The same figures re-issued with a revised footnote: new bytes, new vintage."""
    workbook = openpyxl.load_workbook(original)
    sheet = workbook["总值表"]
    sheet.cell(sheet.max_row + 2, 1, f"注：本表数据已按最新统计修订（第{nth}次）。")
    saved = scratch / f"{original.stem}-{nth}.xlsx"
    workbook.save(saved)
    return saved.read_bytes()


def corrections_of(sample: Path, scratch: Path) -> list[tuple[str, bytes, str]]:
    """(landing path, bytes, the original it corrects), in the order they are delivered."""
    out = []
    for feed, month, vintages in CORRECTIONS:
        prefix = "trains" if feed == "corridor_trains" else "cq_bulletin"
        original = sorted((sample / feed).glob(f"{prefix}_{month}_*"))[-1]  # the latest vintage shipped
        for nth in range(1, vintages + 1):
            data = correct_train_log(original, nth) if feed == "corridor_trains" else redeliver_bulletin(
                original, nth, scratch)
            out.append((f"{feed}/{vintage_name(original, nth)}", data, f"{feed}/{original.name}"))
    return out


def sensor_runs(instance: dg.DagsterInstance) -> list[dg.DagsterRun]:
    return [run for run in instance.get_runs() if SENSOR_NAME_TAG in run.tags]


def settled(chain, corrected: set[str]) -> bool:
    """No run waiting or running, and every correction decided on in the load audit: by the
    run a sensor requested for it, or by a run whose load step found it in the landing zone
    when the step started (the sensor then finds it recorded and requests nothing). The
    warehouse is read only while no run is in flight; busy, it is not settled yet."""
    with dg.DagsterInstance.from_config(str(chain.root / "dagster_home")) as instance:
        if any(not run.is_finished for run in sensor_runs(instance)):
            return False
    decided = decided_files(chain)
    return decided is not None and corrected <= decided


def live_chain_under_corrections(tmp_path: Path, sample: Path, corrections) -> tuple:
    """The sample refreshed at once, then the corrections delivered to the running daemon while
    the readers read; returns the chain, the audit before the corrections and how long they took."""
    live = new_chain(tmp_path / "live", sample)
    refresh(live)  # the whole sample dropped at once
    before_corrections = {name: status for name, status, _ in audit_rows(live)}
    corrected = {relative for relative, _, _ in corrections}
    stop = tmp_path / "stop-readers"
    readers, ui = [], None
    try:
        for i in range(READERS):
            readers.append(subprocess.Popen(
                [sys.executable, "-c", READER, str(live.published), str(stop), str(tmp_path / f"r{i}.json")],
                cwd=REPO, env=live.env))
        ui = start_ui(live.env, tmp_path / "ui.log")
        ui.wait_until_loaded()
        started = time.monotonic()
        for relative, data, _ in corrections:  # in quick succession, oldest vintage first
            deliver(live.root / "landing" / relative, data)
            time.sleep(SECONDS_BETWEEN_CORRECTIONS)
        deadline = started + CONVERGENCE_TIMEOUT_SECONDS
        while not settled(live, corrected):
            assert time.monotonic() < deadline, f"the corrections were not all processed in time:\n{ui.log_tail()}"
            time.sleep(5)
        return live, before_corrections, time.monotonic() - started
    finally:
        stop.touch()
        if ui is not None and ui.stop():
            ui.kill()
        for reader in readers:
            reader.wait(timeout=120)


def test_corrections_under_concurrent_readers(tmp_path, record_property):
    sample = tmp_path / "sample"
    generate(sample, first=date(2017, 1, 1), through=date(2021, 11, 1))
    corrections = corrections_of(sample, tmp_path)
    assert len(corrections) == 10

    # A clean build of every file, beside the live chain: what the live chain must end up with.
    clean = new_chain(tmp_path / "clean", sample)
    for relative, data, _ in corrections:
        (clean.root / "landing" / relative).write_bytes(data)
    clean_build = subprocess.Popen([sys.executable, "-m", "orchestration.cli", "refresh"], cwd=REPO, env=clean.env,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        live, before_corrections, corrections_seconds = live_chain_under_corrections(tmp_path, sample, corrections)
        _, clean_errors = clean_build.communicate(timeout=1800)
        assert clean_build.returncode == 0, clean_errors[-4000:]
    finally:
        if clean_build.poll() is None:  # the test failed first: nothing it started may outlive it
            os.killpg(clean_build.pid, signal.SIGKILL)  # its dbt processes too
            clean_build.wait()

    results = [json.loads((tmp_path / f"r{i}.json").read_text()) for i in range(READERS)]
    queries = sum(r["queries"] for r in results)
    errors = [e for r in results for e in r["errors"]]
    rows = assert_every_file_accounted_once(live, landing_names(live.root / "landing"))
    with dg.DagsterInstance.from_config(str(live.root / "dagster_home")) as instance:
        runs = [run for run in sensor_runs(instance) if "dagster/parent_run_id" not in run.tags]
    record_property("files_processed", len(rows))
    record_property("corrections", len(corrections))
    record_property("correction_runs", len(runs))
    record_property("corrections_seconds", round(corrections_seconds))
    record_property("reader_queries", queries)
    record_property("reader_errors", len(errors))

    assert not errors, errors[:5]
    assert all(r["queries"] > 0 for r in results)
    assert len(rows) == len(landing_names(sample)) + len(corrections)
    # the latest vintage of each corrected month is loaded; its originals and earlier corrections superseded
    statuses = {name: status for name, status, _ in rows}
    latest = {original: relative for relative, _, original in corrections}  # delivered oldest first
    for relative, _, original in corrections:
        assert statuses[relative] == ("loaded" if latest[original] == relative else "superseded"), relative
        assert statuses[original] == "superseded", original
    assert {n: s for n, s in statuses.items() if n in before_corrections and n not in latest} == {
        n: s for n, s in before_corrections.items() if n not in latest}  # nothing else touched
    assert 0 < len(runs) <= len(corrections)  # one run per look at a feed, not one per file
    assert mart_checksums(live) == mart_checksums(clean)
