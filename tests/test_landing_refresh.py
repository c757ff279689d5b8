"""The landing zone's faults through the real `refresh` command: a producer still writing,
two refreshes started together, a full Dagster home; and a 2 GiB extract of one unfinished
line through the loader, which must refuse it in time and memory linear in what it reads.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
import textwrap
import time
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from orchestration.writer import WRITER_TAGS, lock_path
from tests.support.producers import PausingProducer, Producer
from tests.support.reliability_helpers import (
    RefreshProcess,
    assert_every_file_accounted_once,
    audit_rows,
    deliver,
    landing_names,
    new_chain,
)
from tests.support.ui_helpers import start_ui

pytestmark = pytest.mark.slow



def published_months(chain) -> list[str]:
    rows = chain.query({"months": "SELECT DISTINCT strftime(period_start, '%Y-%m') FROM marts.fct_trade_monthly "
                                  "ORDER BY 1"})
    return [month for (month,) in rows["months"]]


def test_refresh_leaves_a_file_its_producer_still_writes_and_loads_it_once_complete(tmp_path, two_month_sample):
    chain = new_chain(tmp_path, two_month_sample)
    extract = next((chain.root / "landing" / "customs_detail").glob("cq_detail_2021-11_export_*.csv"))
    complete = extract.read_bytes()
    extract.unlink()
    producer = Producer(extract, complete)
    try:
        first = RefreshProcess(chain, "--from", "2021-11", "--to", "2021-11")
        assert first.wait() == 0, "".join(first.lines[-40:])
        assert any(f"customs_detail/{extract.name} is still being written" in line for line in first.lines)
        assert extract.read_bytes() == complete[: len(complete) // 2]  # untouched, not quarantined
        assert not (chain.root / "quarantine").exists()
        assert f"customs_detail/{extract.name}" not in {name for name, _, _ in audit_rows(chain)}
    finally:
        producer.finish()
    second = RefreshProcess(chain, "--from", "2021-11", "--to", "2021-11")
    assert second.wait() == 0, "".join(second.lines[-40:])
    november = {name for name in landing_names(chain.root / "landing") if "2021-11" in name}
    rows = assert_every_file_accounted_once(chain, november)
    assert {status for _, status, _ in rows} == {"loaded"}


def recorded_sha256(chain, name: str) -> str:
    with duckdb.connect(str(chain.warehouse), read_only=True) as con:
        (sha,), = con.execute("SELECT file_sha256 FROM raw.load_audit WHERE file_name = ?", [name]).fetchall()
    return sha


@contextmanager
def refresh_started_while(chain, start_producer):
    """A refresh of November whose first look at the landing zone comes right after
    ``start_producer`` ran: it is held at the writer lock (as behind another refresh) until then."""
    with lock_path(chain.warehouse).open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        refresh = RefreshProcess(chain, "--from", "2021-11", "--to", "2021-11")
        refresh.on_line(lambda line: "waiting for another refresh" in line)
        refresh.wait_for(refresh.triggered.is_set, timeout=300)
        refresh.triggered.clear()
        started = start_producer()
    yield refresh, started


def november_extract(chain) -> tuple[Path, bytes]:
    extract = next((chain.root / "landing" / "customs_detail").glob("cq_detail_2021-11_export_*.csv"))
    complete = extract.read_bytes()
    extract.unlink()
    return extract, complete


def test_refresh_waits_for_a_producer_between_two_writes_and_loads_the_whole_file(tmp_path, two_month_sample):
    chain = new_chain(tmp_path, two_month_sample)
    extract, complete = november_extract(chain)
    with refresh_started_while(chain, lambda: PausingProducer(extract, complete)) as (refresh, producer):
        refresh.on_line(lambda line: f"waiting for customs_detail/{extract.name}: changed less than" in line)
        refresh.wait_for(refresh.triggered.is_set, timeout=300)
        producer.resume()  # the rest, while the refresh waits
    assert refresh.wait() == 0, "".join(refresh.lines[-40:])
    november = {name for name in landing_names(chain.root / "landing") if "2021-11" in name}
    rows = assert_every_file_accounted_once(chain, november)
    assert {status for _, status, _ in rows} == {"loaded"}
    assert recorded_sha256(chain, f"customs_detail/{extract.name}") == hashlib.sha256(complete).hexdigest()


def test_a_file_its_producer_left_half_written_is_judged_once_it_stays_unchanged(tmp_path, two_month_sample):
    chain = new_chain(tmp_path, two_month_sample)
    extract, complete = november_extract(chain)
    with refresh_started_while(chain, lambda: PausingProducer(extract, complete).abandon()) as (refresh, _):
        pass  # half written, closed, its producer gone
    assert refresh.wait() == 0, "".join(refresh.lines[-40:])
    assert any(f"waiting for customs_detail/{extract.name}: changed less than" in line for line in refresh.lines)
    november = {name for name in landing_names(chain.root / "landing") if "2021-11" in name}
    rows = assert_every_file_accounted_once(chain, november | {f"customs_detail/{extract.name}"})
    verdicts = {name: (status, reason or "") for name, status, reason in rows}
    status, reason = verdicts.pop(f"customs_detail/{extract.name}")
    assert status == "refused" and reason.startswith("unreadable: ") and "the file ends inside" in reason, reason
    assert {status for status, _ in verdicts.values()} == {"loaded"}  # the other files
    assert (chain.root / "quarantine" / "customs_detail" / extract.name).read_bytes() == complete[: len(complete) // 2]


def test_two_refreshes_started_together_take_turns_and_both_months_are_published(tmp_path, two_month_sample):
    chain = new_chain(tmp_path, two_month_sample)
    october = RefreshProcess(chain, "--from", "2021-10", "--to", "2021-10")
    november = RefreshProcess(chain, "--from", "2021-11", "--to", "2021-11")
    assert october.wait() == 0, "".join(october.lines[-40:])
    assert november.wait() == 0, "".join(november.lines[-40:])
    waited = [run for run in (october, november) if any("waiting for another refresh" in line for line in run.lines)]
    assert len(waited) == 1
    assert published_months(chain) == ["2021-10", "2021-11"]
    rows = assert_every_file_accounted_once(chain, landing_names(chain.root / "landing"))
    assert {status for _, status, _ in rows} == {"loaded"}


WRITER_RUN_SECONDS = 15 * 60  # a bound for a broken build only


def writer_runs(instance: dg.DagsterInstance) -> list[dg.DagsterRun]:
    return instance.get_runs(dg.RunsFilter(tags=WRITER_TAGS))


def test_a_refresh_beside_the_daemons_run_waits_for_it_and_every_month_is_published(tmp_path, two_month_sample):
    """The daemon's sensors take October and, while their run writes, November lands and a
    `refresh` of October starts: the refresh waits for the run, the queue holds November's
    runs behind the refresh's, and every file ends up loaded once and published."""
    chain = new_chain(tmp_path)
    landing = chain.root / "landing"
    for path in two_month_sample.rglob("*2021-10*"):
        (landing / path.parent.name).mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, landing / path.parent.name / path.name)
    ui = start_ui(chain.env, tmp_path / "ui.log")
    instance = dg.DagsterInstance.from_config(chain.env["DAGSTER_HOME"])
    try:
        ui.wait_until_loaded()
        deadline = time.monotonic() + WRITER_RUN_SECONDS
        while not (started := [run for run in writer_runs(instance) if run.status == dg.DagsterRunStatus.STARTED]):
            assert time.monotonic() < deadline, "no sensor run started"
            time.sleep(0.5)
        for path in sorted(two_month_sample.rglob("*2021-11*")):
            deliver(landing / path.parent.name / path.name, path.read_bytes())
        refresh = RefreshProcess(chain, "--from", "2021-10", "--to", "2021-10")
        assert refresh.wait() == 0, "".join(refresh.lines[-40:])
        while not (all(run.is_finished for run in writer_runs(instance)) and published_months(chain) == ["2021-10", "2021-11"]):
            assert time.monotonic() < deadline, [(run.run_id, run.status.value) for run in writer_runs(instance)]
            time.sleep(2)
    finally:
        ui.stop()
        ui.kill()
    assert any(f"waiting for run {started[0].run_id}, which is writing the warehouse" in line for line in refresh.lines)
    runs = writer_runs(instance)
    assert {run.status for run in runs} == {dg.DagsterRunStatus.SUCCESS}, [(r.run_id, r.status.value) for r in runs]
    assert len(runs) >= 2  # the sensors' and the refresh's
    rows = assert_every_file_accounted_once(chain, landing_names(landing))
    assert {status for _, status, _ in rows} == {"loaded"}


FILL = textwrap.dedent(
    """
    import sys
    with open(sys.argv[1], "wb", buffering=0) as filler:  # unbuffered: nothing left to fail at close
        try:
            while True:
                filler.write(b"\\0" * 65536)
        except OSError:
            pass
    """
)


def test_a_full_dagster_home_stops_the_refresh_with_a_message_and_the_next_one_publishes(tmp_path, two_month_sample):
    chain = new_chain(tmp_path, two_month_sample)
    home = chain.root / "dagster_home"
    config = (home / "dagster.yaml").read_text()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=48m", "tmpfs", str(home)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small file system for the Dagster home: {mounted.stderr.decode().strip()}")
    try:
        (home / "dagster.yaml").write_text(config)
        october = RefreshProcess(chain, "--from", "2021-10", "--to", "2021-10")
        assert october.wait() == 0, "".join(october.lines[-40:])
        filler = home / "filler"
        subprocess.run([sys.executable, "-c", FILL, str(filler)], check=True)

        full = RefreshProcess(chain, "--from", "2021-11", "--to", "2021-11")
        assert full.wait() == 1
        told = [line for line in full.lines if line.startswith("no space left for ")]
        assert told and told[-1].startswith(f"no space left for {home} ("), "".join(full.lines[-40:])
        assert told[-1].rstrip().endswith("Free space and run refresh again: files already loaded are not loaded twice")
        assert not (chain.root / "quarantine").exists()

        filler.unlink()
        november = RefreshProcess(chain, "--from", "2021-11", "--to", "2021-11")
        assert november.wait() == 0, "".join(november.lines[-40:])
    finally:
        subprocess.run(["umount", "-l", str(home)], check=False)
    assert published_months(chain) == ["2021-10", "2021-11"]
    rows = assert_every_file_accounted_once(chain, landing_names(chain.root / "landing"))
    assert {status for _, status, _ in rows} == {"loaded"}


BIG_LOAD = textwrap.dedent(
    """
    import json, resource, sys
    from datetime import date
    from pathlib import Path
    import duckdb
    from orchestration.ingest.loader import RawLoader
    landing, extract = Path(sys.argv[1]), Path(sys.argv[2])
    with duckdb.connect(sys.argv[3]) as con:
        [outcome] = RawLoader(con, landing, landing.parent / "quarantine", date(2022, 1, 10)).load_all([extract])
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps({"status": outcome.status, "reason": outcome.reason, "peak_bytes": peak}))
    """
)


def test_a_two_gib_extract_of_one_unfinished_line_is_refused_in_bounded_memory(tmp_path):
    from orchestration.parsing.detail_extract import DETAIL_HEADER, MAX_LINE_BYTES, SOURCE_ENCODING

    landing = tmp_path / "landing"
    extract = landing / "customs_detail" / "cq_detail_2021-11_export_20211225.csv"
    extract.parent.mkdir(parents=True)
    with extract.open("wb") as handle:
        handle.write(DETAIL_HEADER.encode(SOURCE_ENCODING) + b"\r\n202111,")
        handle.truncate(2 << 30)  # sparse: the rest reads as NUL bytes, and no line end ever comes
    done = subprocess.run([sys.executable, "-c", BIG_LOAD, str(landing), str(extract), str(tmp_path / "w.duckdb")],
                          capture_output=True, text=True, timeout=1200, env={**os.environ, "PYTHONPATH": os.getcwd()})
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.splitlines()[-1])
    assert result["status"] == "refused"
    assert result["reason"].startswith(f"oversized: line 2 runs past {MAX_LINE_BYTES:,} bytes")
    assert result["peak_bytes"] < 1 << 30, result  # the file is never held whole, nor its line
