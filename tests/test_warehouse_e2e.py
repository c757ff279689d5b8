"""The whole chain on the sample data, checked against the published figures.

One real Dagster run (`python -m orchestration.cli refresh`, as `make run` does) builds a
temporary warehouse; a separate process then reads the published marts through the BI
contract's columns. Expected values are the published Chongqing figures
(shared/reference/published_figures.csv), at the published rounding.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from tests.support.chain import REPO

# (reference id, SQL returning one value, expected value, decimals of the published figure)
MONTHLY = "SELECT {col} FROM marts.fct_trade_monthly WHERE flow = '{flow}' AND period_end = DATE '{end}'"
ANNUAL = "SELECT {col} FROM marts.fct_trade_annual WHERE flow = '{flow}' AND year = {year}"
PARTNER_YTD = (
    "SELECT {col} FROM marts.fct_partner_trade "
    "WHERE partner = '{partner}' AND flow = '{flow}' AND period_end = DATE '{end}'"
)
PARTNER_YEAR = (
    "SELECT {col} FROM marts.fct_partner_trade_annual WHERE partner = '{partner}' AND flow = '{flow}' AND year = {year}"
)
CORRIDOR_MONTH = "SELECT {col} FROM marts.fct_corridor_monthly WHERE service = 'ILSTC_RAIL_SEA' AND month_start = DATE '{month}'"
BN = "round({} / 1e8, 1)"  # yuan -> 亿元 (100 million yuan), as published

FIGURES = [
    ("A01", MONTHLY.format(col=BN.format("value_cny"), flow="total", end="2021-11-30"), 769.5),
    ("A02", MONTHLY.format(col="round(value_usd / 1e6, 0)", flow="total", end="2021-11-30"), 12060),
    ("A03", MONTHLY.format(col="round(yoy_pct, 1)", flow="total", end="2021-11-30"), 16.2),
    ("A03 printed", MONTHLY.format(col="published_yoy_pct", flow="total", end="2021-11-30"), 16.2),
    ("A04", MONTHLY.format(col="is_record_high", flow="total", end="2021-11-30"), True),
    ("A05", MONTHLY.format(col=BN.format("ytd_value_cny"), flow="total", end="2021-11-30"), 7204.9),
    (
        "A06",
        "SELECT round((max(value_cny) FILTER (year = 2021) - max(value_cny) FILTER (year = 2020)) / 1e8, 1) "
        "FROM marts.fct_trade_annual WHERE flow = 'total'",
        691.5,
    ),
    ("A07", MONTHLY.format(col="round(ytd_yoy_pct, 1)", flow="total", end="2021-11-30"), 24.0),
    ("A08", MONTHLY.format(col=BN.format("ytd_value_cny"), flow="exports", end="2021-11-30"), 4631.1),
    ("A09", MONTHLY.format(col="round(ytd_yoy_pct, 1)", flow="exports", end="2021-11-30"), 23.9),
    ("A10", MONTHLY.format(col=BN.format("ytd_value_cny"), flow="imports", end="2021-11-30"), 2573.8),
    ("A11", MONTHLY.format(col="round(ytd_yoy_pct, 1)", flow="imports", end="2021-11-30"), 24.1),
    ("A12", PARTNER_YTD.format(col=BN.format("ytd_value_cny"), partner="ASEAN", flow="total", end="2021-11-30"), 1142.3),
    ("A13", PARTNER_YTD.format(col="round(ytd_yoy_pct, 1)", partner="ASEAN", flow="total", end="2021-11-30"), 13.5),
    ("A14", PARTNER_YEAR.format(col="rank", partner="ASEAN", flow="total", year=2019), 1),
    ("A15", PARTNER_YEAR.format(col="rank", partner="ASEAN", flow="total", year=2020), 1),
    ("A16", PARTNER_YTD.format(col="ytd_rank", partner="ASEAN", flow="total", end="2021-11-30"), 1),
    (
        "A17",
        "SELECT trains BETWEEN 1900 AND 1999 AND is_record FROM marts.fct_corridor_annual "
        "WHERE service = 'ILSTC_RAIL_SEA' AND year = 2021",
        True,
    ),
    (
        "A18",
        "SELECT count(*) FROM marts.fct_corridor_monthly "
        "WHERE service = 'CHINA_LAOS_RAIL' AND trains > 0 AND month_start < DATE '2021-12-01'",
        0,
    ),
    ("S01", ANNUAL.format(col=BN.format("value_cny"), flow="total", year=2018), 5222.6),
    ("S02", ANNUAL.format(col="round(yoy_pct, 1)", flow="total", year=2018), 15.9),
    ("S03", ANNUAL.format(col=BN.format("value_cny"), flow="exports", year=2018), 3395.3),
    ("S04", ANNUAL.format(col=BN.format("value_cny"), flow="imports", year=2018), 1827.3),
    ("S06", PARTNER_YEAR.format(col=BN.format("value_cny"), partner="ASEAN", flow="total", year=2019), 1086.7),
    ("S07", PARTNER_YEAR.format(col="round(yoy_pct, 1)", partner="ASEAN", flow="total", year=2019), 43.2),
    ("S08", ANNUAL.format(col=BN.format("value_cny"), flow="total", year=2020), 6513.4),
    ("S09", ANNUAL.format(col=BN.format("value_cny"), flow="exports", year=2020), 4187.5),
    # S10 is priority 3 (6513.4 / 5792.8 gives 12.4): reproduced through the corrected 2019-12 vintage.
    ("S10", ANNUAL.format(col="round(yoy_pct, 1)", flow="total", year=2020), 12.5),
    ("S11", ANNUAL.format(col=BN.format("value_cny"), flow="imports", year=2020), 2325.9),
    ("S12", PARTNER_YEAR.format(col=BN.format("value_cny"), partner="ASEAN", flow="total", year=2020), 1121.7),
    ("S13", PARTNER_YEAR.format(col=BN.format("value_cny"), partner="ASEAN", flow="exports", year=2020), 364.1),
    ("S14", PARTNER_YEAR.format(col=BN.format("value_cny"), partner="ASEAN", flow="imports", year=2020), 757.6),
    ("S15", PARTNER_YEAR.format(col=BN.format("value_cny"), partner="US", flow="total", year=2020), 1076.5),
    ("S16", PARTNER_YEAR.format(col=BN.format("value_cny"), partner="EU", flow="total", year=2020), 1037.8),
    ("S17", PARTNER_YEAR.format(col=BN.format("value_cny"), partner="VN", flow="total", year=2020), 489.8),
    ("S18", PARTNER_YEAR.format(col=BN.format("value_cny"), partner="MY", flow="total", year=2020), 227.5),
    ("S19", PARTNER_YEAR.format(col=BN.format("value_cny"), partner="TH", flow="total", year=2020), 150.1),
    ("S20", PARTNER_YTD.format(col=BN.format("ytd_value_cny"), partner="EU", flow="total", end="2021-11-30"), 1122.2),
    ("S21", PARTNER_YTD.format(col=BN.format("ytd_value_cny"), partner="US", flow="total", end="2021-11-30"), 1078.9),
    ("S22", MONTHLY.format(col=BN.format("value_cny"), flow="total", end="2020-06-30"), 566.2),
    ("S23", MONTHLY.format(col=BN.format("value_cny"), flow="total", end="2020-08-31"), 582.2),
    ("S24", MONTHLY.format(col=BN.format("value_cny"), flow="total", end="2020-09-30"), 630.3),
    ("S25", MONTHLY.format(col=BN.format("ytd_value_cny"), flow="total", end="2020-06-30"), 2759.2),
    ("S26", MONTHLY.format(col=BN.format("ytd_value_cny"), flow="total", end="2020-08-31"), 3983.6),
    ("S27", MONTHLY.format(col=BN.format("ytd_value_cny"), flow="total", end="2020-09-30"), 4613.9),
    ("S28", MONTHLY.format(col=BN.format("ytd_value_cny"), flow="total", end="2021-03-31"), 1802.0),
    ("S29", MONTHLY.format(col=BN.format("ytd_value_cny"), flow="total", end="2021-04-30"), 2459.1),
    ("S30", MONTHLY.format(col=BN.format("ytd_value_cny"), flow="total", end="2021-06-30"), 3766.0),
    ("S31", MONTHLY.format(col=BN.format("value_cny"), flow="total", end="2021-06-30"), 719.0),
    ("S31 record", MONTHLY.format(col="is_record_high", flow="total", end="2021-06-30"), True),
    ("S32", MONTHLY.format(col=BN.format("ytd_value_cny"), flow="total", end="2021-08-31"), 5076.8),
    ("S33", MONTHLY.format(col=BN.format("value_cny"), flow="total", end="2021-08-31"), 651.6),
    # S34: the October bulletin's own year to date, not the November bulletin's 7204.9 - 769.5.
    ("S34", MONTHLY.format(col=BN.format("ytd_value_cny"), flow="total", end="2021-10-31"), 6435.2),
    # S35 and S36 are informational (priority 3): what customs printed, kept as printed.
    ("S35", MONTHLY.format(col="published_ytd_yoy_pct", flow="total", end="2020-06-30"), 3.5),
    ("S36", MONTHLY.format(col="published_ytd_yoy_pct", flow="total", end="2021-06-30"), 37.6),
    ("S37", CORRIDOR_MONTH.format(col="ytd_trains", month="2021-03-01"), 393),
    ("S37 teu", CORRIDOR_MONTH.format(col="ytd_teu", month="2021-03-01"), 19588),
    ("S38", CORRIDOR_MONTH.format(col="ytd_teu", month="2021-10-01"), 92831),
]


@pytest.fixture(scope="module")
def chain(sample_chain):
    return sample_chain


@pytest.fixture(scope="module")
def published_answers(chain):
    return chain.query({ref: sql for ref, sql, _ in FIGURES})


@pytest.mark.parametrize(("ref", "expected"), [(ref, expected) for ref, _, expected in FIGURES], ids=[f[0] for f in FIGURES])
def test_published_figure(published_answers, ref, expected):
    rows = published_answers[ref]
    assert len(rows) == 1, f"{ref}: expected one row, got {rows}"
    value = rows[0][0]
    if isinstance(expected, bool):
        assert value is expected
    else:
        assert float(value) == pytest.approx(expected, abs=1e-9), f"{ref}: {value} != {expected}"


def test_first_release_of_2019_is_kept_in_raw(chain):
    """S05: the first 2019-12 vintage printed 5792.8; the correction (5790.0) wins in the marts."""
    answers = chain.query(
        {
            "vintages": "SELECT vintage, round(ytd_value / 1e8, 1) FROM raw.bulletin_totals "
            "WHERE reference_month = DATE '2019-12-01' AND flow = 'total' AND currency = 'CNY' ORDER BY vintage",
            "annual": "SELECT round(value_cny / 1e8, 1) FROM marts.fct_trade_annual WHERE year = 2019 AND flow = 'total'",
        },
        database="warehouse",
    )
    assert [row[1] for row in answers["vintages"]] == [5792.8, 5790.0]
    assert answers["annual"] == [[5790.0]]


def test_bulletin_states_the_headline(chain):
    bulletin = (chain.published / "bulletin" / "bulletin-2021-11.md").read_text()
    for phrase in ("record high", "76.95 billion yuan (12.06 billion US dollars)", "16.2%", "720.49 billion", "24.0%", "69.15 billion",
                   "463.11 billion", "257.38 billion", "114.23 billion", "13.5%"):
        assert phrase in bulletin


def test_audit_accounts_for_every_landing_file(chain):
    files = sorted(p.relative_to(chain.root / "landing").as_posix() for p in (chain.root / "landing").rglob("*.*"))
    answers = chain.query(
        {"audit": "SELECT file_name, status FROM raw.load_audit ORDER BY file_name"}, database="warehouse"
    )
    audited = {name: status for name, status in answers["audit"]}
    assert sorted(audited) == files
    assert set(audited.values()) <= {"loaded", "superseded"}
    assert audited["customs_bulletin/cq_bulletin_2019-12_20200120.xlsx"] == "superseded"


def test_definitions_validate_and_no_orphan_dbt_source(chain):
    done = subprocess.run(
        [str(Path(sys.executable).with_name("dg")), "check", "defs"],  # what `make validate` runs
        cwd=REPO, env=chain.env, capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "All definitions loaded successfully" in done.stdout, done.stdout[-3000:]
    from orchestration.definitions import defs

    graph = defs.resolve_asset_graph()
    keys = graph.get_all_asset_keys()
    external = {tuple(k.path) for k in keys if not graph.get(k).is_materializable}
    # Nothing in the graph is undeclared: only the landing feeds and the audit table are external.
    assert external == {
        ("landing", "customs_bulletin"), ("landing", "customs_detail"), ("landing", "corridor_trains"),
        ("raw", "load_audit"),
    }
    sources = {parent for key in keys if key.path[-1].startswith("stg_") for parent in graph.get(key).parent_keys}
    assert sources, "the staging models have no parents"
    assert all(parent in keys for parent in sources)
    assert {tuple(k.path) for k in sources if k.path[0] == "raw"} == {
        ("raw", table) for table in (
            "bulletin_totals", "bulletin_partners", "bulletin_commodities", "bulletin_trade_modes",
            "customs_detail", "corridor_trains", "load_audit",
        )
    }


def test_dbt_unit_tests_pass(chain):
    """Refreshes leave dbt's unit tests out (they check the SQL on fixed rows, not the
    data): they run here, against the chain's warehouse, which holds their parents."""
    target = chain.root / "dbt_unit_tests"
    done = chain.dbt("test", "--select", "test_type:unit", "--target-path", str(target))
    assert done.returncode == 0, done.stdout[-3000:]
    manifest = json.loads((target / "manifest.json").read_text())
    # The project's on-run-start hook (nothing on DuckDB, the lake's tables on Spark) is a result too.
    results = [r for r in json.loads((target / "run_results.json").read_text())["results"]
               if r["unique_id"].startswith("unit_test.")]
    assert {r["unique_id"] for r in results} == set(manifest["unit_tests"])
    assert len(results) >= 10 and all(r["status"] == "pass" for r in results)


INCREMENTAL_MODELS = {
    "detail": "intermediate.int_customs_detail__period_summary",
    "trains": "intermediate.int_corridor__trains_monthly",
}
PERIOD_COLUMN = {"detail": "reference_month", "trains": "month_start"}


def _warehouse_state(chain) -> dict[str, list]:
    """Which dbt invocation wrote each period of the incremental models, and every mart's checksum."""
    queries = {
        name: f"SELECT {PERIOD_COLUMN[name]}, list(DISTINCT dbt_invocation_id) FROM {table} GROUP BY 1 ORDER BY 1"
        for name, table in INCREMENTAL_MODELS.items()
    }
    marts = chain.query(
        {"tables": "SELECT table_name FROM information_schema.tables WHERE table_schema = 'marts' ORDER BY 1"},
        database="warehouse",
    )["tables"]
    for (table,) in marts:
        queries[f"marts.{table}"] = (
            f"SELECT count(*), md5(coalesce(string_agg(t::VARCHAR, '|' ORDER BY t::VARCHAR), '')) FROM marts.{table} t"
        )
    return chain.query(queries, database="warehouse")


@pytest.mark.slow
def test_one_month_refresh_rebuilds_only_that_month(sample_chain_copy):
    chain = sample_chain_copy
    before = _warehouse_state(chain)
    done = chain.refresh("--from", "2021-10", "--to", "2021-10")
    assert "76.95 billion yuan (12.06 billion US dollars), up 16.2%" in done.stdout  # the latest headline, as make run prints it
    after = _warehouse_state(chain)
    for name in INCREMENTAL_MODELS:
        old, new = dict(map(tuple, before[name])), dict(map(tuple, after[name]))
        assert old.keys() == new.keys()
        rebuilt = {period for period in new if new[period] != old[period]}
        assert rebuilt == {"2021-10-01"}, f"{name}: rebuilt {sorted(rebuilt)}"
    marts = [k for k in before if k.startswith("marts.")]
    assert len(marts) >= 9
    assert {k: after[k] for k in marts} == {k: before[k] for k in marts}


@pytest.mark.slow
def test_full_rebuild_by_hand_gives_the_same_marts(sample_chain_copy):
    """`dbt build --full-refresh` from the repository root, as someone working in dbt would."""
    chain = sample_chain_copy
    before = _warehouse_state(chain)
    done = chain.dbt("build", "--full-refresh", "--quiet")
    assert done.returncode == 0, done.stdout[-3000:]
    after = _warehouse_state(chain)
    marts = [k for k in before if k.startswith("marts.")]
    assert {k: after[k] for k in marts} == {k: before[k] for k in marts}
    for name in INCREMENTAL_MODELS:  # every period rewritten by the full refresh, with the same rows
        assert {period for period, _ in after[name]} == {period for period, _ in before[name]}
        assert all(ids != old for (_, ids), (_, old) in zip(after[name], before[name]))


def test_readme_query_returns_the_november_headline(chain):
    """The BI section's SQL, run as written against the published file, gives the headline."""
    readme = (REPO / "README.md").read_text()
    sql = readme.split("```sql\n", 1)[1].split("```", 1)[0]
    code = "\n".join(line for line in sql.splitlines() if not line.lstrip().startswith("--"))
    statements = [s.strip() for s in code.split(";") if s.strip()]
    script = (
        "import duckdb, json, sys\n"
        "con = duckdb.connect(sys.argv[1], read_only=True)\n"
        "statements = json.loads(sys.argv[2])\n"
        "for s in statements[:-1]: con.execute(s)\n"
        "print(json.dumps([list(r) for r in con.execute(statements[-1]).fetchall()]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(chain.published / "trade.duckdb"), json.dumps(statements)],
        capture_output=True, text=True, check=True, timeout=120,
    )
    rows = {row[0]: row for row in json.loads(done.stdout)}
    assert rows["total"][1:] == [76.95, 12.06, 16.2, 16.2, 720.49, 24.0, True]
    assert rows["exports"][5] == 463.11 and rows["imports"][5] == 257.38


def test_old_dbt_invocation_folders_are_pruned(tmp_path):
    """Every dbt run leaves a folder under target/; the newest are kept, older ones of the
    same asset removed, other folders left alone, the current run's never."""
    from orchestration.transform.dbt_assets import prune_invocation_folders

    folders = []
    for age in range(6):  # dbt_warehouse-r0 is the newest
        folder = tmp_path / f"dbt_warehouse-r{age}-{age:07d}"
        (folder / "run").mkdir(parents=True)
        os.utime(folder, (1_700_000_000 - age * 60, 1_700_000_000 - age * 60))
        folders.append(folder)
    other = tmp_path / "dbt_staging-r9-0000009"
    other.mkdir()
    current = folders[4]  # a slow run that finished after newer ones started

    removed = prune_invocation_folders(current, keep=2)

    assert sorted(removed) == sorted([folders[2], folders[3], folders[5]])
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [folders[0].name, folders[1].name, current.name, other.name]
    )


# ---- BI readers: other DuckDB versions, and provenance back to the landing files ----------

OLD_DUCKDB = "1.1.3"  # the DuckDB most BI tools and DuckDB's node client still bundle
CLIENT_VENVS = REPO / ".cache" / "duckdb-clients"
HEADLINE_SQL = (
    "SELECT value_cny FROM marts.fct_trade_monthly"
    " WHERE period_start = DATE '2021-11-01' AND flow = 'total'"
)


def duckdb_client(version: str) -> Path:
    """The python of a virtualenv of its own with duckdb==``version``, made once and kept."""
    venv = CLIENT_VENVS / version
    python = venv / "bin" / "python"
    if not python.exists():
        staging = CLIENT_VENVS / f".{version}.{os.getpid()}"
        shutil.rmtree(staging, ignore_errors=True)
        try:
            subprocess.run([sys.executable, "-m", "venv", str(staging)], check=True, capture_output=True, timeout=300)
            subprocess.run(
                [str(staging / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                 f"duckdb=={version}"],
                check=True, capture_output=True, text=True, timeout=600,
            )
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
            shutil.rmtree(staging, ignore_errors=True)
            pytest.skip(f"cannot install duckdb=={version} in a virtualenv: {getattr(exc, 'stderr', exc)}")
        staging.rename(venv)  # whole or not at all, for the next run
    return python


def read_with(python: Path, chain) -> list:
    """What a BI reader with this python's duckdb sees in the published file, opened directly."""
    script = (
        "import duckdb, json, sys\n"
        "con = duckdb.connect(sys.argv[1], read_only=True)\n"
        "value = con.execute(sys.argv[2]).fetchone()[0]\n"
        "state = con.execute('select status, latest_period_start::varchar from marts.publication').fetchone()\n"
        "columns = con.execute(\"select table_name, column_name, data_type from information_schema.columns\"\n"
        "                      \" where table_schema = 'marts' order by all\").fetchall()\n"
        "counts = {t: con.execute(f'select count(*) from marts.{t}').fetchone()[0] for t in {c[0] for c in columns}}\n"
        "try:\n"
        "    con.execute('create table marts.x (a int)')\n"
        "    wrote = True\n"
        "except duckdb.Error:\n"
        "    wrote = False\n"
        "print(json.dumps([duckdb.__version__, str(value), list(state), wrote, columns, counts]))\n"
    )
    done = subprocess.run(
        [str(python), "-c", script, str(chain.published / "trade.duckdb"), HEADLINE_SQL],
        capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


def test_duckdb_1_1_and_2_read_the_published_file_alike_read_only(chain):
    old, current = read_with(duckdb_client(OLD_DUCKDB), chain), read_with(Path(sys.executable), chain)
    assert old[0] == OLD_DUCKDB and current[0].startswith("2.")
    for _, value, state, wrote, _, _ in (old, current):
        assert value == "76950000000.00"
        assert state == ["fresh", "2021-11-01"]
        assert wrote is False
    # Every table, column and type, and every row, the same in both: TIMESTAMPTZ and
    # DECIMAL(20,2) survive storage v1.0.0.
    assert old[4] == current[4] and old[5] == current[5]
    types = {data_type for _, _, data_type in current[4]}
    assert {"TIMESTAMP WITH TIME ZONE", "DECIMAL(20,2)", "DATE", "BOOLEAN", "DOUBLE"} <= types


def landing_file(chain, source_file_id: str) -> tuple[Path, str]:
    (file_name, feed), = chain.query(
        {"file": f"select file_name, feed from marts.dim_source_file where source_file_id = '{source_file_id}'"}
    )["file"]
    path = chain.root / "landing" / file_name
    assert hashlib.sha256(path.read_bytes()).hexdigest() == source_file_id  # the very bytes loaded
    return path, feed


def bulletin_row(path: Path, sheet: str, row: int) -> tuple:
    workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        return next(workbook[sheet].iter_rows(min_row=row, max_row=row, values_only=True))
    finally:
        workbook.close()


def test_published_figures_lead_back_to_their_file_and_row(chain):
    figures = chain.query({
        "november": "select value_cny, value_usd, source_file_id, source_sheet, source_row, source_row_usd"
                    " from marts.fct_trade_monthly where period_start = DATE '2021-11-01' and flow = 'total'",
        "asean": "select ytd_value_cny, source_file_id, source_sheet, source_row from marts.fct_partner_trade"
                 " where period_start = DATE '2021-11-01' and partner = 'ASEAN' and flow = 'total'",
        "trains": "select trains, source_file_id from marts.fct_corridor_monthly"
                  " where month_start = DATE '2021-11-01' and service = 'ILSTC_RAIL_SEA'",
    })

    (value_cny, value_usd, file_id, sheet, row, row_usd), = figures["november"]
    path, feed = landing_file(chain, file_id)
    assert feed == "customs_bulletin"
    printed = bulletin_row(path, sheet, row)  # 项目, 币种, <M>月 in 亿元 ...
    assert printed[:2] == ("进出口", "人民币")
    assert Decimal(str(printed[2])) * 10**8 == Decimal(value_cny)
    printed_usd = bulletin_row(path, sheet, row_usd)  # ... and in millions of dollars
    assert printed_usd[:2] == ("进出口", "美元")
    assert Decimal(str(printed_usd[2])) * 10**6 == Decimal(value_usd)

    (ytd_value_cny, file_id, sheet, row), = figures["asean"]
    path, _ = landing_file(chain, file_id)
    printed = bulletin_row(path, sheet, row)  # name, 进出口 <M>月, 1至<M>月 in 万元 ...
    assert printed[0].strip("\u3000") == "东盟"
    assert Decimal(str(printed[2])) * 10**4 == Decimal(ytd_value_cny)

    (trains, file_id), = figures["trains"]
    path, feed = landing_file(chain, file_id)
    assert feed == "corridor_trains"
    with open(path, encoding="utf-8", newline="") as log:
        rail_sea = {line["train_id"] for line in csv.DictReader(log) if line["service"] == "ILSTC_RAIL_SEA"}
    assert len(rail_sea) == trains
