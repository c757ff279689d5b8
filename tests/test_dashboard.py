"""The desk dashboard (dashboard/app.py) on a publication built by the real chain.

Each tab runs in Streamlit's AppTest, offline and in this process, on the sample chain's
published file; the figures it shows are checked against the published facts and against
the marts read here with SQL of the test's own. The slow tests start the dashboard as
`make dashboard` does and screenshot it with Playwright driving Debian's Chromium, and
read through back-to-back publications."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import textwrap
import urllib.error
import urllib.request
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import Dataframe

from dashboard import queries
from orchestration.publish.publication import DB_NAME, open_published, publish, republish_stale
from tests.support.chain import REPO
from tests.support.screenshots import CHROMIUM, CHROMIUM_FLAGS, MAX_PNG_BYTES, assert_looks_like_a_page
from tests.support.ui_helpers import free_port

APP = REPO / "dashboard" / "app.py"
NOVEMBER_2021 = date(2021, 11, 1)
OCTOBER_2021 = date(2021, 10, 1)
JANUARY_FEBRUARY_2021 = date(2021, 1, 1)
# Rendering the app: the first run imports Streamlit, pandas and Altair.
APP_TIMEOUT_S = 120


def published_rows(published: Path, sql: str, parameters: list | None = None) -> list[tuple]:
    with open_published(published) as con:
        return con.execute(sql, parameters or []).fetchall()


def run_app(published: Path, monkeypatch, period: date | None = None, flow: str | None = None) -> AppTest:
    monkeypatch.setenv("PUBLISHED_DIR", str(published))
    at = AppTest.from_file(str(APP), default_timeout=APP_TIMEOUT_S).run()
    if period is not None:
        at.selectbox(key="period").set_value(period).run()
    if flow is not None:
        at.selectbox(key="flow").set_value(flow).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def tab(at: AppTest, label: str):
    (found,) = [t for t in at.tabs if t.label == label]
    return found


def metrics(block) -> dict[str, tuple[str, str]]:
    return {m.label: (m.value, m.delta) for m in block.metric}


def frames(block) -> list[pd.DataFrame]:
    """The tables drawn on the block itself, not the sources under them."""
    return [child.value for child in block.children.values() if isinstance(child, Dataframe)]


def bn(value) -> str:
    return f"{float(value) / 1e9:,.2f}"


@pytest.fixture(scope="module", autouse=True)
def main_module_restored():
    """AppTest leaves the app's script as sys.modules["__main__"], and a process that
    multiprocessing spawns later (test_publish's readers) would run it: pytest's goes back."""
    main = sys.modules["__main__"]
    yield
    sys.modules["__main__"] = main


@pytest.fixture(scope="module")
def app(published_sample, monkeypatch_module):
    """The app as it opens, on the chain's publication."""
    return run_app(published_sample, monkeypatch_module)


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as patch:
        yield patch


# ---- the headline --------------------------------------------------------------------------------


def test_headline_shows_november_2021(app):
    headline = tab(app, "Headline")
    shown = metrics(headline)
    assert shown["billion yuan"] == ("76.95", "+16.2% year on year")
    assert shown["billion US dollars"][0] == "12.06"
    assert shown["billion yuan, year to date"] == ("720.49", "+24.0% year on year")
    assert any(s.value.startswith("Record month") for s in headline.success)
    assert app.selectbox(key="period").value == NOVEMBER_2021  # the latest period by default
    assert "2021年11月" in headline.subheader[0].value  # Chinese and English names


def test_period_switch_changes_the_figures_to_the_marts(published_sample, monkeypatch):
    at = run_app(published_sample, monkeypatch, period=OCTOBER_2021)
    (value_cny, value_usd, yoy, record, high), = published_rows(
        published_sample,
        "select value_cny, value_usd, round(yoy_pct, 1), is_record_high, previous_single_month_high_cny"
        " from marts.fct_trade_monthly where flow = 'total' and period_start = ?",
        [OCTOBER_2021],
    )
    shown = metrics(tab(at, "Headline"))
    assert shown["billion yuan"] == (bn(value_cny), f"{yoy:+.1f}% year on year")
    assert shown["billion US dollars"][0] == bn(value_usd)
    assert shown["billion yuan"][0] != "76.95"
    assert not record
    assert [i.value for i in tab(at, "Headline").info] == [
        f"Not a record: the highest earlier single month was {bn(high)} billion yuan."
    ]
    # Every tab follows the period: the partners' year to date is October's.
    (asean_ytd,), = published_rows(
        published_sample,
        "select ytd_value_cny from marts.fct_partner_trade where partner = 'ASEAN' and flow = 'total' and period_start = ?",
        [OCTOBER_2021],
    )
    main = frames(tab(at, "Partners"))[0].set_index("partner")
    assert main.loc["ASEAN", "ytd_value_bn_cny"] == pytest.approx(float(asean_ytd) / 1e9)


def test_january_february_is_shown_as_two_months(published_sample, monkeypatch):
    at = run_app(published_sample, monkeypatch, period=JANUARY_FEBRUARY_2021)
    headline = tab(at, "Headline")
    assert "Jan-Feb 2021" in headline.subheader[0].value
    assert [i.value for i in headline.info] == [
        "January-February period: two months published together, never a monthly record."
    ]
    assert frames(headline)[0]["months_in_period"].tolist() == [2, 2, 2]


# ---- the other tabs ------------------------------------------------------------------------------


def test_trend_marks_records_and_january_february(app, published_sample):
    trend = frames(tab(app, "Trend"))[0].set_index("period_start")
    expected = published_rows(
        published_sample,
        "select period_start, months_in_period, is_record_high from marts.fct_trade_monthly"
        " where flow = 'total' order by period_start",
    )
    assert len(trend) == len(expected)
    for start, months, record in expected:
        kind = trend.loc[pd.Timestamp(start), "period_kind"]
        assert kind == ("January-February (two months)" if months == 2 else "record month" if record else "month")
    assert trend.loc[pd.Timestamp(NOVEMBER_2021), "period_kind"] == "record month"
    assert trend.loc[pd.Timestamp(JANUARY_FEBRUARY_2021), "period_kind"] == "January-February (two months)"
    (chart,) = tab(app, "Trend").get("vega_lite_chart")
    assert "January-February (two months)" in chart.proto.spec and "record month" in chart.proto.spec


def test_partners_asean_eu_us_members_ranks_and_shares(app, published_sample):
    main, asean, eu, ranked = frames(tab(app, "Partners"))
    assert main["partner"].tolist() == ["ASEAN", "EU", "US"]
    expected = published_rows(
        published_sample,
        "select partner, ytd_rank, ytd_share_pct, partner_name_zh from marts.fct_partner_trade"
        " where flow = 'total' and period_start = ? and partner in ('ASEAN', 'EU', 'US') order by ytd_rank",
        [NOVEMBER_2021],
    )
    assert [tuple(r) for r in main[["partner", "ytd_rank", "ytd_share_pct", "partner_name_zh"]].values] == expected
    assert main.set_index("partner").loc["ASEAN", "ytd_value_bn_cny"] == pytest.approx(114.23, abs=0.005)
    assert {"VN", "MY", "TH", "SG"} <= set(asean["partner"]) and "越南" in set(asean["partner_name_zh"])
    assert {"DE", "FR", "NL"} <= set(eu["partner"]) and "GB" not in set(eu["partner"])  # after Brexit
    assert asean["ytd_rank"].isna().all()  # members are not ranked
    assert ranked["ytd_rank"].tolist() == list(range(1, len(ranked) + 1))


def test_partners_flow_switch(published_sample, monkeypatch):
    at = run_app(published_sample, monkeypatch, flow="exports")
    main = frames(tab(at, "Partners"))[0].set_index("partner")
    (us_exports,), = published_rows(
        published_sample,
        "select ytd_value_cny from marts.fct_partner_trade where partner = 'US' and flow = 'exports' and period_start = ?",
        [NOVEMBER_2021],
    )
    assert main.loc["US", "ytd_value_bn_cny"] == pytest.approx(float(us_exports) / 1e9)


def test_commodities_both_flows_in_the_bulletins_order(app, published_sample):
    exports, imports = frames(tab(app, "Commodities"))
    expected = published_rows(
        published_sample,
        "select commodity_name_en from marts.fct_commodity_trade where period_start = ? and flow = 'exports'"
        " order by source_row",
        [NOVEMBER_2021],
    )
    assert exports["commodity_name_en"].tolist() == [name for (name,) in expected]
    assert "笔记本电脑" in set(exports["commodity_name_zh"]) and set(imports["flow"]) == {"imports"}


def test_corridor_trains_of_the_period(app, published_sample):
    months, years = frames(tab(app, "Corridor"))
    rail_sea = months.set_index("service").loc["ILSTC_RAIL_SEA"]
    ((trains, ytd),) = published_rows(
        published_sample,
        "select trains, ytd_trains from marts.fct_corridor_monthly where service = 'ILSTC_RAIL_SEA' and month_start = ?",
        [NOVEMBER_2021],
    )
    assert (rail_sea["trains"], rail_sea["ytd_trains"]) == (trains, ytd)
    assert years.set_index(["service", "year"]).loc[("ILSTC_RAIL_SEA", 2021), "is_record"]


def test_reconciliation_of_the_period(app, published_sample):
    reconciliation = tab(app, "Reconciliation")
    this_period, every_period = frames(reconciliation)
    expected = published_rows(
        published_sample,
        "select flow, difference_pct, is_within_tolerance from marts.fct_detail_reconciliation"
        " where period_start = ? order by flow",
        [NOVEMBER_2021],
    )
    assert [tuple(r) for r in this_period[["flow", "difference_pct", "is_within_tolerance"]].values] == expected
    (count,), = published_rows(published_sample, "select count(*) from marts.fct_detail_reconciliation")
    assert len(every_period) == count


def test_sources_lead_to_the_landing_files(app, published_sample):
    """The file behind the November total is listed with its sheet and row, and is the
    landing file itself: its SHA-256 is the source_file_id."""
    (files,) = frames(tab(app, "Sources"))
    ((file_id, sheet, row),) = published_rows(
        published_sample,
        "select source_file_id, source_sheet, source_row from marts.fct_trade_monthly"
        " where flow = 'total' and period_start = ?",
        [NOVEMBER_2021],
    )
    cited = files.set_index("source_file_id").loc[file_id]
    assert f"{sheet} row {row}" in cited["sheet_rows"].split(", ")
    (landing_file,) = (published_sample.parent / "landing").rglob(cited["file_name"])
    assert hashlib.sha256(landing_file.read_bytes()).hexdigest() == file_id
    assert {"customs_bulletin", "corridor_trains", "customs_detail"} <= set(files["feed"])
    # Each table's own sources sit under it: the headline's cites the same file.
    headline_sources = [d.value for d in tab(app, "Headline").expander[0].dataframe][0]
    assert file_id in set(headline_sources["source_file_id"])


def test_every_table_has_a_csv_of_what_it_shows(app):
    for label in ("Headline", "Trend", "Partners", "Commodities", "Corridor", "Reconciliation", "Sources"):
        shown = tab(app, label)
        assert len(shown.download_button) == len(frames(shown)) >= 1, label


def test_csv_is_what_the_table_shows(app):
    trend = frames(tab(app, "Trend"))[0]
    again = pd.read_csv(pd.io.common.BytesIO(queries.to_csv(trend)), encoding="utf-8-sig")
    assert again.columns.tolist() == trend.columns.tolist()
    assert again["label_zh"].tolist() == trend["label_zh"].tolist()
    assert again["value_bn_cny"].tolist() == pytest.approx(trend["value_bn_cny"].tolist())


# ---- the publication's state ---------------------------------------------------------------------


def test_fresh_publication_says_when(app, published_sample):
    ((published_at,),) = published_rows(published_sample, "select published_at from marts.publication")
    banner = app.success[0].value
    assert banner.startswith("Fresh publication") and f"{published_at:%Y-%m-%d %H:%M}" in banner


def test_stale_publication_shows_the_reason(sample_chain, tmp_path, monkeypatch):
    published = tmp_path / "published"
    publish(sample_chain.warehouse, published)
    reason = "raw check failed: customs_bulletin 2021-12 totals do not add up (bulletin_2021-12.xlsx)"
    republish_stale(published, reason)
    at = run_app(published, monkeypatch)
    assert [e.value for e in at.error] == [
        f"Stale publication (published {_published_at(published)}, latest period 2021-11): {reason}"
    ]
    assert metrics(tab(at, "Headline"))["billion yuan"][0] == "76.95"  # the last good figures


def _published_at(published: Path) -> str:
    ((at,),) = published_rows(published, "select published_at from marts.publication")
    return f"{at:%Y-%m-%d %H:%M %Z}"


def test_a_new_publication_is_picked_up_without_a_restart(sample_chain, tmp_path, monkeypatch):
    published = tmp_path / "published"
    publish(sample_chain.warehouse, published)
    monkeypatch.setenv("PUBLISHED_DIR", str(published))
    at = AppTest.from_file(str(APP), default_timeout=APP_TIMEOUT_S).run()
    assert at.success[0].value.startswith("Fresh publication") and not at.error
    republish_stale(published, "a refresh could not publish")
    at.run()  # the same session, the next click
    assert [e.value for e in at.error][0].endswith(": a refresh could not publish")


HOLD_WAREHOUSE = (
    "import duckdb, sys\n"
    "con = duckdb.connect(sys.argv[1])\n"
    "print('locked', flush=True)\n"
    "sys.stdin.read()\n"
)


def test_the_dashboard_never_opens_the_working_warehouse(sample_chain_copy, monkeypatch):
    """While a refresh holds the warehouse for writing, no other process can open it, even
    read-only; the dashboard answers all the same, from the published file."""
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_WAREHOUSE, str(sample_chain_copy.warehouse)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(duckdb.IOException):
            duckdb.connect(str(sample_chain_copy.warehouse), read_only=True)
        at = run_app(sample_chain_copy.published, monkeypatch)
        assert metrics(tab(at, "Headline"))["billion yuan"][0] == "76.95"
    finally:
        holder.stdin.close()
        holder.wait(timeout=60)


def test_nothing_published_yet(tmp_path, monkeypatch):
    monkeypatch.setenv("PUBLISHED_DIR", str(tmp_path / "empty"))
    at = AppTest.from_file(str(APP), default_timeout=APP_TIMEOUT_S).run()
    assert not at.exception
    assert "nothing published yet" in at.error[0].value and not at.tabs


# ---- the running app in a browser, and readers through refreshes (slow) ---------------------------


@pytest.mark.slow
def test_make_dashboard_serves_a_page_chromium_can_screenshot(published_sample, tmp_path):
    """`make dashboard`'s command on a free port, in a browser: docs/images/dashboard.png."""
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.exists():
        (pytest.fail if os.environ.get("CI") == "true" else pytest.skip)(f"{CHROMIUM} is missing")
    port = free_port()
    env = {**os.environ, "PUBLISHED_DIR": str(published_sample), "DASHBOARD_PORT": str(port), "PYTHONPATH": str(REPO)}
    log = tmp_path / "dashboard.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "dashboard"], cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    png = REPO / "docs" / "images" / "dashboard.png"
    try:
        _wait_for_health(port, server, log)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1300})
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.goto(f"http://127.0.0.1:{port}/")
            page.get_by_text("billion US dollars").wait_for()
            page.get_by_text("Download CSV").first.wait_for()  # the table under the chart is drawn
            page.locator("[data-testid=stVegaLiteChart] canvas, [data-testid=stVegaLiteChart] svg").first.wait_for()
            page.wait_for_load_state("networkidle")
            values = page.locator("[data-testid=stMetricValue]").all_inner_texts()
            page.screenshot(path=str(png))
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert values[:2] == ["76.95", "12.06"], values
    assert not errors, errors
    assert_looks_like_a_page(png, 1400, 1300)


def _wait_for_health(port: int, server: subprocess.Popen, log: Path, attempts: int = 240) -> None:
    """Until Streamlit's health endpoint answers (one look a half second)."""
    for _ in range(attempts):
        if server.poll() is not None:
            raise AssertionError(f"dashboard exited with {server.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=5) as answer:
                if answer.read() == b"ok":
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        subprocess.run(["sleep", "0.5"], check=True)
    raise AssertionError(f"dashboard did not answer:\n{log.read_text()[-3000:]}")


PUBLISHER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from orchestration.publish.publication import publish, republish_stale
    warehouse, published, rounds = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
    for n in range(rounds):
        publish(warehouse, published)
        republish_stale(published, f"round {n}")
    print("done", flush=True)
    """
)


@pytest.mark.slow
def test_dashboard_keeps_answering_through_back_to_back_refreshes(sample_chain, tmp_path, monkeypatch):
    """A publisher swaps publications back to back in another process while the dashboard's
    queries and the app itself read on: no error, and they see the publications change."""
    published = tmp_path / "published"
    publish(sample_chain.warehouse, published)
    publisher = subprocess.Popen(
        [sys.executable, "-c", PUBLISHER, str(sample_chain.warehouse), str(published), "4"],
        cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)}, stdout=subprocess.PIPE, text=True,
    )
    monkeypatch.setenv("PUBLISHED_DIR", str(published))
    at = AppTest.from_file(str(APP), default_timeout=APP_TIMEOUT_S)
    seen, reads = set(), 0
    while publisher.poll() is None or reads == 0:
        with open_published(published) as con:
            state = queries.publication_state(con)
            period = queries.periods(con)[0]
            assert queries.headline(con, period)["value_cny"].iloc[0] == pytest.approx(76.95e9)
            queries.partners(con, period, "total")
            queries.sources(con, [queries.trend(con, "total")])
        seen.add((state.published_at, state.status))
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        assert metrics(tab(at, "Headline"))["billion yuan"][0] == "76.95"
        reads += 1
    assert publisher.wait() == 0 and publisher.stdout.read().strip() == "done"
    assert len(seen) >= 2, seen  # the readers went through refreshes, not around them
    assert (published / DB_NAME).exists() and not list(published.glob(".*.staging"))


def test_committed_dashboard_screenshot():
    png = REPO / "docs" / "images" / "dashboard.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert png.stat().st_size < MAX_PNG_BYTES, png.stat().st_size
    assert "docs/images/dashboard.png" in (REPO / "README.md").read_text()
