"""The bulletin states each fact only when the published marts support it, with the
published rounding, and renders to Markdown and one self-contained HTML page."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from tests.support.synthetic_marts import build_warehouse

from orchestration.publish import charts
from orchestration.publish.bulletin import build_bulletin, render_html, render_markdown, write_bulletin
from orchestration.publish.bulletin_text import approximately, billions, growth, percent
from orchestration.publish.publication import open_published, publish

SVG = charts.SVG_NS


def published_marts(tmp: Path, change_warehouse: str | None = None) -> Path:
    """Builds the synthetic warehouse, optionally alters it with SQL, and publishes it."""
    warehouse = build_warehouse(tmp / "warehouse.duckdb")
    if change_warehouse:
        with duckdb.connect(str(warehouse)) as con:
            con.execute(change_warehouse)
    publish(warehouse, tmp / "published")
    return tmp / "published"


@pytest.fixture(scope="module")
def con(tmp_path_factory: pytest.TempPathFactory):
    with open_published(published_marts(tmp_path_factory.mktemp("bulletin"))) as connection:
        yield connection


def text(bulletin) -> str:
    return " ".join(bulletin.sentences)


def test_record_month_states_the_published_figures(con) -> None:
    b = build_bulletin(con)  # the latest period: November 2021

    assert b.label == "November 2021" and b.is_record_high
    assert b.sentences[0] == (
        "Chongqing's foreign trade hit a monthly record high in November 2021:"
        " 76.95 billion yuan (12.06 billion US dollars), up 16.2% year on year."
    )
    assert b.sentences[1] == (
        "January-November 2021: 720.49 billion yuan (112.93 billion US dollars), up 24.0%,"
        " already 69.15 billion more than the whole of 2020."
    )
    assert b.sentences[2] == "Exports 463.11 billion (+23.9%), imports 257.38 billion (+24.1%)."
    assert text(b).count("record") == 1
    assert "ASEAN was the largest trading partner: 114.23 billion yuan" in text(b)
    assert "the largest partner for the third year running (2019, 2020 and 2021 so far)" in text(b)
    assert "Vietnam led with" in text(b)
    assert "the EU with 112.22 billion yuan (15.6% of the total" in text(b)
    assert "the United States with 107.89 billion yuan (15.0% of the total" in text(b)
    assert "rail-sea trains from Chongqing approached 2,000 in January-November 2021 (1,950)" in text(b)
    assert "already more than in any earlier full year" in text(b)


def test_numbers_are_the_marts_numbers(con) -> None:
    b = build_bulletin(con, "2021-11")
    value, ytd, record, published_ytd_yoy = con.execute(
        "select value_cny, ytd_value_cny, is_record_high, published_ytd_yoy_pct"
        " from marts.fct_trade_monthly where period_start = '2021-11-01' and flow = 'total'"
    ).fetchone()
    assert (b.value_cny, b.ytd_value_cny, b.is_record_high, b.ytd_yoy_pct) == (
        value, ytd, record, published_ytd_yoy,
    )
    assert (b.value_usd, b.ytd_value_usd) == con.execute(
        "select value_usd, ytd_value_usd"
        " from marts.fct_trade_monthly where period_start = '2021-11-01' and flow = 'total'"
    ).fetchone()
    previous = con.execute(
        "select value_cny from marts.fct_trade_annual where year = 2020 and flow = 'total'"
    ).fetchone()[0]
    assert b.previous_year_cny == previous
    assert b.ytd_lead_over_previous_year_cny == ytd - previous
    assert b.top_partner.partner == "ASEAN"
    assert b.top_partner.ytd_value_cny == con.execute(
        "select ytd_value_cny from marts.fct_partner_trade"
        " where period_start = '2021-11-01' and partner = 'ASEAN' and flow = 'total'"
    ).fetchone()[0]
    assert [p.partner for p in b.peers] == ["EU", "US"]
    assert [m.partner for m in b.top_partner_members] == ["VN", "MY", "TH"]
    assert b.corridor_trains_ytd == con.execute(
        "select ytd_trains from marts.fct_corridor_monthly where month_start = '2021-11-01'"
    ).fetchone()[0]


def test_non_record_month_does_not_claim_a_record(con) -> None:
    b = build_bulletin(con, "2021-08")

    assert not b.is_record_high
    assert "record" not in text(b)
    assert b.sentences[0] == (
        "Chongqing's foreign trade reached 65.16 billion yuan (10.21 billion US dollars) in August 2021,"
        " up 11.9% year on year."
    )
    # 507.68 billion so far is below the whole of 2020: no comparison with it.
    assert b.ytd_lead_over_previous_year_cny is None
    assert "more than the whole of" not in text(b)


def test_two_month_period_is_never_a_record(con) -> None:
    # January-February 2021 (115.00 billion) beats every single month, but is two months.
    b = build_bulletin(con, "2021-02")

    assert b.label == "January-February 2021" and b.months_in_period == 2
    assert "record" not in b.sentences[0]
    combined = [bar for bar in b.charts.monthly if bar.months == 2]
    assert combined and not any(bar.is_record for bar in combined)


def test_complete_year_is_not_so_far(con) -> None:
    b = build_bulletin(con, "2020-12")

    assert b.sentences[1] == (
        "2020: 651.34 billion yuan (94.40 billion US dollars), up 12.4%, 72.06 billion more than in 2019."
    )
    assert "the largest partner for the second year running (2019 and 2020)." in text(b)
    assert "so far" not in text(b)


def test_years_running_counts_back_to_the_last_year_not_at_the_top(tmp_path: Path) -> None:
    published = published_marts(
        tmp_path,
        "update marts.fct_partner_trade_annual set rank = 2 where year = 2019 and partner = 'ASEAN';"
        "update marts.fct_partner_trade_annual set rank = 1 where year = 2019 and partner = 'EU';",
    )
    with open_published(published) as con:
        b = build_bulletin(con)
    assert b.top_partner_years == (2020, 2021)
    assert "the largest partner for the second year running (2020 and 2021 so far)" in text(b)


def test_first_year_at_the_top_says_no_run(tmp_path: Path) -> None:
    published = published_marts(
        tmp_path, "update marts.fct_partner_trade_annual set rank = 3 where year = 2020 and partner = 'ASEAN'"
    )
    with open_published(published) as con:
        b = build_bulletin(con)
    assert b.top_partner_years == (2021,)
    assert "year running" not in text(b)


def test_commodities_leave_out_overlapping_aggregates(con) -> None:
    b = build_bulletin(con)
    assert [c.name for c in b.top_exports] == ["laptop computers", "integrated circuits", "automobiles"]
    assert [c.name for c in b.top_imports] == ["integrated circuits", "metal ores", "natural rubber"]
    assert "*" not in text(b)


def test_corridor_not_a_record_before_it_beats_earlier_years(con) -> None:
    b = build_bulletin(con, "2021-08")  # 1,363 trains so far, 2020 had 1,650
    assert b.corridor_trains_ytd == 1363 and not b.corridor_is_record
    assert "approached 1,400 in January-August 2021 (1,363)." in text(b)


def test_markdown_and_self_contained_html(con, tmp_path: Path) -> None:
    md_path, html_path = write_bulletin(con, tmp_path / "out")
    b = build_bulletin(con)
    assert md_path.read_text(encoding="utf-8") == render_markdown(b)
    assert html_path.read_text(encoding="utf-8") == render_html(b)

    markdown = md_path.read_text(encoding="utf-8")
    assert markdown.startswith("# Chongqing foreign trade, November 2021")
    assert "| November 2021 | 76.95 | +16.2% |" in markdown

    html = html_path.read_text(encoding="utf-8")
    assert "<script" not in html and "<link" not in html and "<img" not in html
    # Links only within the page: the charts' glyphs and markers, defined once and reused.
    references = re.findall(r'(?:src|href)="([^"]*)"', html)
    assert references and all(ref.startswith("#") for ref in references), references[:5]
    assert {ref[1:] for ref in references} <= set(re.findall(r' id="([^"]+)"', html))
    assert "<style>" in html
    svgs = re.findall(r"<svg.*?</svg>", html, re.S)
    assert len(svgs) == 5
    for svg in svgs:
        ET.fromstring(svg)  # well-formed
    ids = re.findall(r' id="([^"]+)"', html)
    assert len(ids) == len(set(ids)), "element ids repeat across the page's charts"
    # Record months are marked in the monthly chart; the latest (November 2021) among them.
    records = sum(bar.is_record and bar.months == 1 for bar in b.charts.monthly)
    assert records and "2021-11: 76.95 bn yuan (record month)" in svgs[0]
    assert svgs[0].count("(record month)</title>") == records
    assert record_stars(svgs[0]) == records


def record_stars(svg: str) -> int:
    """The star markers drawn in a chart (matplotlib draws one <use> per marker)."""
    root = ET.fromstring(svg)
    groups = [g for g in root.iter(f"{{{SVG}}}g") if g.get("id", "").endswith(charts.RECORD_MARKERS_ID)]
    return sum(1 for group in groups for _ in group.iter(f"{{{SVG}}}use"))


def test_charts_are_deterministic_and_show_combined_periods(con) -> None:
    b = build_bulletin(con, "2021-02")
    assert render_html(b) == render_html(build_bulletin(con, "2021-02"))
    monthly = re.findall(r"<svg.*?</svg>", render_html(b), re.S)[0]
    combined = [bar for bar in b.charts.monthly if bar.months == 2]
    assert combined
    for bar in combined:  # drawn at its monthly average, labelled as the two months it is
        label = f"{bar.start:%Y-%m} (Jan-Feb, monthly average): {bar.value:,.2f} bn yuan</title>"
        assert label in monthly
    assert "Jan-Feb" in monthly and "(Jan-Feb, monthly average): " in monthly
    assert record_stars(monthly) == sum(bar.is_record for bar in b.charts.monthly)


def test_record_years_get_a_star(con) -> None:
    b = build_bulletin(con)
    corridor = re.findall(r"<svg.*?</svg>", render_html(b), re.S)[4]
    records = sum(record for _, _, record in b.charts.corridor)
    assert records and record_stars(corridor) == records


def test_published_rounding() -> None:
    assert billions(Decimal("76950000000.00")) == "76.95"
    assert billions(Decimal("76945000000.00")) == "76.95"  # half up, as customs rounds
    assert billions(Decimal("720490000000")) == "720.49"
    assert percent(16.15) == "16.2" and percent(23.94) == "23.9"
    assert growth(-3.04) == "down 3.0%" and growth(0.04) == "unchanged" and growth(None) == ""
    assert approximately(1950) == "approached 2,000"
    assert approximately(1999) == "approached 2,000"
    assert approximately(1900) == "reached 1,900"
    assert approximately(393) == "approached 400"
