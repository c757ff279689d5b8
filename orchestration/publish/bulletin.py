"""The monthly trade bulletin, written from the published marts only.

``build_bulletin`` reads one customs period's figures (``bulletin_facts``) and words them
(``bulletin_text``); the figures stay on the Bulletin so they can be checked against the
marts. ``render_markdown`` and ``render_html`` only lay it out, through the Jinja2
templates in ``templates/``; ``write_bulletin`` writes both pages."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import duckdb
import jinja2
from markupsafe import Markup

from orchestration.publish import charts
from orchestration.publish.bulletin_facts import MAIN_ECONOMIES, Bulletin, read_figures
from orchestration.publish.bulletin_text import billions, bulletin_sentences, signed


TEMPLATES = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).with_name("templates")),
    # HTML is escaped (the charts come in as markup); Markdown is written as it is.
    autoescape=jinja2.select_autoescape(enabled_extensions=("html",), default=False),
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)
KEY_FIGURE_COLUMNS = ("billion yuan", "year on year")
SOURCE_NOTE = "Source: Chongqing Customs, published marts; growth as printed by customs where available."


def build_bulletin(con: duckdb.DuckDBPyConnection, period: str | None = None) -> Bulletin:
    """The bulletin for ``period`` ('YYYY-MM', the customs reference month), by default
    the latest period in marts.fct_trade_monthly. ``con`` reads the published marts."""
    figures = read_figures(con, period)
    return replace(figures, sentences=bulletin_sentences(figures))


def write_bulletin(
    con: duckdb.DuckDBPyConnection, out_dir: Path, period: str | None = None
) -> tuple[Path, Path]:
    """Writes bulletin-YYYY-MM.md and .html into ``out_dir``; returns both paths."""
    bulletin = build_bulletin(con, period)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = f"bulletin-{bulletin.period_end:%Y-%m}"
    md_path, html_path = out_dir / f"{stem}.md", out_dir / f"{stem}.html"
    _write_atomically(md_path, render_markdown(bulletin))
    _write_atomically(html_path, render_html(bulletin))
    return md_path, html_path


def _write_atomically(path: Path, text: str) -> None:
    # A page being served is never seen half-written.
    staged = path.with_name(f".{path.name}.staging")
    staged.write_text(text, encoding="utf-8")
    staged.replace(path)


def _title(b: Bulletin) -> str:
    return f"Chongqing foreign trade, {b.label}"


def _key_figures(b: Bulletin) -> list[tuple[str, str, str]]:
    """(measure, billion yuan, year on year) rows of the key-figure table."""
    return [
        (b.label, billions(b.value_cny), signed(b.yoy_pct)),
        (b.ytd_label, billions(b.ytd_value_cny), signed(b.ytd_yoy_pct)),
        (f"Exports, {b.ytd_label}", billions(b.exports_ytd_cny), signed(b.exports_ytd_yoy_pct)),
        (f"Imports, {b.ytd_label}", billions(b.imports_ytd_cny), signed(b.imports_ytd_yoy_pct)),
    ] + [
        (f"{p.name}, {b.ytd_label}", billions(p.ytd_value_cny), signed(p.ytd_yoy_pct))
        for p in ((b.top_partner,) if b.top_partner else ()) + b.peers
    ]


def _page(b: Bulletin) -> dict:
    """What both templates show: the same text and figures."""
    return {
        "title": _title(b),
        "sentences": b.sentences,
        "columns": KEY_FIGURE_COLUMNS,
        "key_figures": _key_figures(b),
        "source": SOURCE_NOTE,
    }


def render_markdown(b: Bulletin) -> str:
    return TEMPLATES.get_template("bulletin.md").render(_page(b))


def render_html(b: Bulletin) -> str:
    """One self-contained page: inline CSS and SVG, no scripts or external assets."""
    charts_svg = [Markup(svg) for svg in _svgs(b)]  # drawn by charts.py, not text to escape
    return TEMPLATES.get_template("bulletin.html").render(_page(b), charts=charts_svg)


def _svgs(b: Bulletin) -> list[str]:
    c = b.charts
    economies_series = [
        charts.Series(code, tuple(values[i] for _, values in c.economies), charts.PALETTE[i])
        for i, code in enumerate(MAIN_ECONOMIES)
    ]
    return [
        charts.monthly_chart("Monthly total trade", list(c.monthly), "bn yuan"),
        charts.bar_chart(
            "Year-on-year growth, total trade",
            [label for label, _ in c.growth],
            [charts.Series("growth", tuple(v for _, v in c.growth), charts.PALETTE[0])],
            "%",
        ),
        charts.bar_chart(
            "Exports and imports by year",
            [label for label, _, _ in c.flows],
            [
                charts.Series("exports", tuple(e for _, e, _ in c.flows), charts.PALETTE[0]),
                charts.Series("imports", tuple(i for _, _, i in c.flows), charts.PALETTE[1]),
            ],
            "bn yuan",
        ),
        charts.bar_chart(
            "ASEAN, EU and US by year", [label for label, _ in c.economies], economies_series, "bn yuan"
        ),
        charts.bar_chart(
            "ILSTC rail-sea trains by year",
            [label for label, _, _ in c.corridor],
            [charts.Series("trains", tuple(float(t) for _, t, _ in c.corridor), charts.PALETTE[2])],
            "trains",
            highlighted=frozenset(i for i, (_, _, record) in enumerate(c.corridor) if record),
            highlight_note="record year",
        ),
    ]
