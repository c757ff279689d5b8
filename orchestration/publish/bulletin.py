"""The monthly trade bulletin, written from the published marts only.

``build_bulletin`` reads one customs period's figures (``bulletin_facts``) and words them
(``bulletin_text``); the figures stay on the Bulletin so they can be checked against the
marts. ``render_markdown`` and ``render_html`` only lay it out; ``write_bulletin`` writes
both pages."""

from __future__ import annotations

from dataclasses import replace
from html import escape
from pathlib import Path

import duckdb

from orchestration.publish import charts
from orchestration.publish.bulletin_facts import MAIN_ECONOMIES, Bulletin, read_figures
from orchestration.publish.bulletin_text import billions, bulletin_sentences, signed


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


def render_markdown(b: Bulletin) -> str:
    lines = [f"# {_title(b)}", "", "\n\n".join(b.sentences), "", "## Key figures", ""]
    lines += ["| | billion yuan | year on year |", "|---|---:|---:|"]
    lines += [f"| {m} | {v} | {g} |" for m, v, g in _key_figures(b)]
    lines += ["", "Source: Chongqing Customs, published marts; growth as printed by customs where available."]
    return "\n".join(lines) + "\n"


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


_CSS = """
body { font-family: Georgia, 'Times New Roman', serif; max-width: 760px; margin: 2em auto;
       padding: 0 1em; color: #222; line-height: 1.5; }
h1 { font-size: 1.6em; border-bottom: 3px solid #1f5f99; padding-bottom: .2em; }
p.lead { font-size: 1.1em; }
table { border-collapse: collapse; margin: 1em 0; width: 100%; }
th, td { border-bottom: 1px solid #ddd; padding: .3em .5em; text-align: right; }
th:first-child, td:first-child { text-align: left; }
figure { margin: 1.5em 0; }
footer { color: #777; font-size: .85em; margin-top: 2em; }
"""


def render_html(b: Bulletin) -> str:
    """One self-contained page: inline CSS and SVG, no scripts or external assets."""
    first, *rest = b.sentences
    rows = "".join(
        f"<tr><td>{escape(m)}</td><td>{escape(v)}</td><td>{escape(g)}</td></tr>"
        for m, v, g in _key_figures(b)
    )
    figures = "".join(f"<figure>{svg}</figure>" for svg in _svgs(b))
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>{escape(_title(b))}</title><style>{_CSS}</style></head><body>"
        f"<h1>{escape(_title(b))}</h1>"
        f"<p class=\"lead\">{escape(first)}</p>"
        + "".join(f"<p>{escape(s)}</p>" for s in rest)
        + "<h2>Key figures</h2><table><tr><th></th><th>billion yuan</th><th>year on year</th></tr>"
        f"{rows}</table>{figures}"
        "<footer>Source: Chongqing Customs, published marts; growth as printed by customs where"
        " available.</footer></body></html>\n"
    )
