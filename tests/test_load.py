"""Load: the 2017-2021 sample at once, then ten corrected vintages in quick succession,
while three reader processes query the published marts in a loop.

Refreshes run one after another through the CLI (deterministic); the readers run
concurrently the whole time. At the end: every file processed exactly once (the audit),
the marts equal a clean build of the same files, and no reader saw an error.
"""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
import textwrap
from datetime import date, timedelta
from pathlib import Path

import openpyxl
import pytest

from orchestration.parsing.landing_names import parse_landing_name
from orchestration.sample_data import generate
from tests.chain import REPO
from tests.reliability_helpers import (
    assert_every_file_accounted_once,
    audit_rows,
    landing_names,
    mart_checksums,
    new_chain,
    refresh,
)

pytestmark = [pytest.mark.slow, pytest.mark.soak]  # not yet seen finishing: not in CI

READERS = 3
CORRECTED_TRAIN_MONTHS = ("2018-03", "2019-07", "2020-05", "2021-02", "2021-10")
CORRECTED_BULLETIN_MONTHS = ("2017-06", "2018-11", "2019-10", "2020-08", "2021-09")
CORRECTION_DELAY = timedelta(days=40)  # the correction comes out well after the first release

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


def later_vintage(path: Path) -> str:
    name = parse_landing_name(path.parent.name, path.name)
    return f"{name.vintage + CORRECTION_DELAY:%Y%m%d}"


def correct_train_log(path: Path, folder: Path) -> Path:
    """Every train's cargo value raised by 1,000 yuan: a consistent, visible correction."""
    rows = list(csv.reader(io.StringIO(path.read_text("utf-8-sig"), newline="")))
    for row in rows[1:]:
        if row and row[8]:
            row[8] = str(int(row[8]) + 1000)
    buffer = io.StringIO(newline="")
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    target = folder / f"{path.name.rsplit('_', 1)[0]}_{later_vintage(path)}.csv"
    target.write_text(buffer.getvalue(), "utf-8")
    return target


def redeliver_bulletin(path: Path, folder: Path) -> Path:
    """The same figures re-issued later with a revised footnote: new bytes, new vintage."""
    workbook = openpyxl.load_workbook(path)
    sheet = workbook["总值表"]
    sheet.cell(sheet.max_row + 2, 1, "注：本表数据已按最新统计修订。")
    target = folder / f"{path.name.rsplit('_', 1)[0]}_{later_vintage(path)}.xlsx"
    workbook.save(target)
    return target


def first_file(folder: Path, prefix: str) -> Path:
    return sorted(folder.glob(f"{prefix}*"))[0]


def test_corrections_under_concurrent_readers(tmp_path, record_property):
    sample = tmp_path / "sample"
    generate(sample, first=date(2017, 1, 1), through=date(2021, 11, 1))
    chain = new_chain(tmp_path / "live", sample)
    refresh(chain)  # the whole sample dropped at once
    superseded_by_the_sample = {name for name, status, _ in audit_rows(chain) if status == "superseded"}

    corrections = tmp_path / "corrections"
    for feed in ("corridor_trains", "customs_bulletin"):
        (corrections / feed).mkdir(parents=True)
    corrected = [
        correct_train_log(first_file(sample / "corridor_trains", f"trains_{month}_"), corrections / "corridor_trains")
        for month in CORRECTED_TRAIN_MONTHS
    ] + [
        redeliver_bulletin(first_file(sample / "customs_bulletin", f"cq_bulletin_{month}_"),
                           corrections / "customs_bulletin")
        for month in CORRECTED_BULLETIN_MONTHS
    ]

    # a clean build of every file, in parallel with the live chain: what it must converge to
    clean = new_chain(tmp_path / "clean", sample)
    for path in corrected:
        (clean.root / "landing" / path.parent.name / path.name).write_bytes(path.read_bytes())
    clean_build = subprocess.Popen([sys.executable, "-m", "orchestration.cli", "refresh"], cwd=REPO, env=clean.env,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    stop = tmp_path / "stop-readers"
    readers = [
        subprocess.Popen([sys.executable, "-c", READER, str(chain.published), str(stop), str(tmp_path / f"r{i}.json")],
                         cwd=REPO, env=chain.env)
        for i in range(READERS)
    ]
    try:
        for path in corrected:  # one correction after another, each its own run over its month
            month = f"{parse_landing_name(path.parent.name, path.name).reference_month:%Y-%m}"
            (chain.root / "landing" / path.parent.name / path.name).write_bytes(path.read_bytes())
            refresh(chain, "--from", month, "--to", month)
    finally:
        stop.touch()
        for reader in readers:
            reader.wait(timeout=120)
    assert clean_build.wait(timeout=1800) == 0

    results = [json.loads((tmp_path / f"r{i}.json").read_text()) for i in range(READERS)]
    queries = sum(r["queries"] for r in results)
    errors = [e for r in results for e in r["errors"]]
    rows = assert_every_file_accounted_once(chain, landing_names(chain.root / "landing"))
    statuses = {name: status for name, status, _ in rows}
    record_property("files_processed", len(rows))
    record_property("corrections", len(corrected))
    record_property("reader_queries", queries)
    record_property("reader_errors", len(errors))

    assert not errors, errors[:5]
    assert all(r["queries"] > 0 for r in results)
    assert len(corrected) == 10 and len(rows) == len(landing_names(sample)) + len(corrected)
    assert sorted(n for n, s in statuses.items() if s == "superseded" and n not in superseded_by_the_sample) == sorted(
        f"{p.parent.name}/{first_file(sample / p.parent.name, p.name.rsplit('_', 1)[0] + '_').name}" for p in corrected
    )
    assert mart_checksums(chain) == mart_checksums(clean)
