"""The bulletin's charts: matplotlib figures rendered as inline SVG for the HTML page.

The SVG is the same for the same figures: a fixed hash salt per chart, no date, and text
drawn as glyph outlines of the DejaVu Sans font that matplotlib ships, so the page needs
no font of the reader's and no external asset. Chart labels stay in English, as the
bulletin is; that font has no Chinese glyphs. Figures are drawn without pyplot, so no
display or GUI backend is ever involved.
"""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import matplotlib
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, MaxNLocator, StrMethodFormatter
from matplotlib.transforms import ScaledTranslation

PALETTE = ("#1f5f99", "#d9822b", "#4c9a6a", "#8e5ea2")
RECORD = "#c0392b"
NEGATIVE = "#b03a2e"
MUTED = "#9db4cc"
FIGURE_INCHES = (7.2, 3.0)
# The group (id suffix) of the record stars in a chart's SVG, one marker per record.
RECORD_MARKERS_ID = "record-markers"
# At most this many category labels under a bar chart; matplotlib picks which.
MAX_CATEGORY_LABELS = 8

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
ET.register_namespace("", SVG_NS)
ET.register_namespace("xlink", XLINK_NS)

STYLE = {
    "svg.fonttype": "path",
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.titlesize": 12,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
    "axes.edgecolor": "#555555",
    "axes.labelcolor": "#333333",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "axes.grid.axis": "y",
    "axes.axisbelow": True,
    "grid.color": "#dddddd",
    "xtick.color": "#333333",
    "ytick.color": "#333333",
    "legend.frameon": False,
    "legend.fontsize": 8.5,
}


@dataclass(frozen=True)
class Series:
    name: str
    values: tuple[float | None, ...]
    color: str


@dataclass(frozen=True)
class MonthBar:
    """One customs period: a combined January-February period spans two months."""

    start: date
    months: int
    value: float
    is_record: bool


def bar_chart(
    title: str,
    labels: list[str],
    series: list[Series],
    unit: str,
    highlighted: frozenset[int] = frozenset(),
    highlight_note: str = "",
) -> str:
    """Grouped columns, one group per label; negative values hang below zero.
    Groups in ``highlighted`` get a star above them (e.g. record years)."""
    with matplotlib.rc_context({**STYLE, "svg.hashsalt": title}):
        fig, ax = _figure(title, unit)
        tooltips: dict[str, str] = {}
        width = 0.8 / max(len(series), 1)
        for j, s in enumerate(series):
            for i, value in enumerate(s.values):
                if value is None:
                    continue
                color = NEGATIVE if value < 0 and len(series) == 1 else s.color
                (bar,) = ax.bar(i - 0.4 + j * width, value, width * 0.92, align="edge", color=color)
                bar.set_gid(f"bar-{j}-{i}")
                tooltips[bar.get_gid()] = f"{labels[i]} {s.name}: {value:,.1f} {unit}"
        peaks = {i: max(v for s in series if (v := s.values[i]) is not None) for i in highlighted}
        if peaks:
            _record_stars(ax, fig, list(peaks), list(peaks.values()), size=9)
        ax.axhline(0, color="#555555", linewidth=0.8)
        ax.set_xlim(-0.5, len(labels) - 0.5)
        ax.xaxis.set_major_locator(MaxNLocator(nbins=MAX_CATEGORY_LABELS, integer=True))
        ax.xaxis.set_major_formatter(
            FuncFormatter(lambda x, _: labels[int(x)] if x == int(x) and 0 <= x < len(labels) else "")
        )
        ax.tick_params(axis="x", length=0)
        legend = [Patch(color=s.color, label=s.name) for s in series] if len(series) > 1 else []
        if peaks and highlight_note:
            legend.append(_star_handle(highlight_note))
        _legend(ax, legend)
        return _svg(fig, title, tooltips)


def monthly_chart(title: str, bars: list[MonthBar], unit: str) -> str:
    """Columns on a calendar-month axis. A combined January-February period spans both
    months at its monthly average (lighter) and is never marked as a record."""
    with matplotlib.rc_context({**STYLE, "svg.hashsalt": title}):
        fig, ax = _figure(title, unit)
        if not bars:
            ax.text(0.5, 0.5, "no data", ha="center", va="center", transform=ax.transAxes)
            return _svg(fig, title, {})
        first = bars[0].start
        tooltips = {}
        records_x, records_y = [], []
        for n, bar in enumerate(bars):
            x = _month_index(bar.start, first)
            combined = bar.months > 1
            color = MUTED if combined else (RECORD if bar.is_record else PALETTE[0])
            (patch,) = ax.bar(x + 0.05, bar.value / bar.months, bar.months - 0.1, align="edge", color=color)
            patch.set_gid(f"month-{n}")
            label = bar.start.strftime("%Y-%m") + (" (Jan-Feb, monthly average)" if combined else "")
            record = " (record month)" if bar.is_record and not combined else ""
            tooltips[patch.get_gid()] = f"{label}: {bar.value:,.2f} {unit}{record}"
            if record:
                records_x.append(x + 0.5)
                records_y.append(bar.value)
        _record_stars(ax, fig, records_x, records_y, size=7)
        months_total = _month_index(bars[-1].start, first) + bars[-1].months
        ax.set_xlim(0, months_total)
        years = [(_month_index(b.start, first), str(b.start.year)) for b in bars if b.start.month == 1 or b is bars[0]]
        ax.set_xticks([x for x, _ in years], [label for _, label in years], ha="left")
        _legend(
            ax,
            [
                Patch(color=PALETTE[0], label="month"),
                Patch(color=RECORD, label="record month"),
                Patch(color=MUTED, label="Jan-Feb combined (avg.)"),
            ],
        )
        return _svg(fig, title, tooltips)


def _figure(title: str, unit: str):
    fig = Figure(figsize=FIGURE_INCHES, layout="constrained")
    ax = fig.add_subplot()
    ax.set_ymargin(0.1)  # room for the record stars above the tallest column
    ax.set_title(title)
    ax.set_ylabel(unit)
    ax.yaxis.set_major_formatter(StrMethodFormatter("{x:,g}"))
    return fig, ax


def _month_index(month: date, first: date) -> int:
    return (month.year - first.year) * 12 + month.month - first.month


def _record_stars(ax, fig: Figure, xs: list[float], tops: list[float], size: float) -> None:
    """A star just above each column top (shifted up by its own size, in points)."""
    above = ax.transData + ScaledTranslation(0, size / 72, fig.dpi_scale_trans)
    (stars,) = ax.plot(xs, tops, "*", color=RECORD, markersize=size, transform=above, clip_on=False)
    stars.set_gid(RECORD_MARKERS_ID)


def _star_handle(label: str) -> Line2D:
    return Line2D([], [], linestyle="none", marker="*", color=RECORD, markersize=8, label=label)


def _legend(ax, handles: Sequence) -> None:
    if handles:
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(0, -0.1), ncols=len(handles),
                  handlelength=1, columnspacing=1.5)


def _svg(fig: Figure, title: str, tooltips: dict[str, str]) -> str:
    """The figure as an <svg> element for an HTML page: sized by the page, a tooltip on
    each column, and element ids made unique to this chart (a page holds several)."""
    out = io.StringIO()
    fig.savefig(out, format="svg", metadata={"Date": None})
    root = ET.fromstring(out.getvalue())
    for metadata in root.findall(f"{{{SVG_NS}}}metadata"):
        root.remove(metadata)
    prefix = "".join(c if c.isalnum() else "-" for c in title.lower()) + "-"
    _prefix_ids(root, prefix)
    for element in root.iter():
        tooltip = tooltips.get(element.get("id", "").removeprefix(prefix))
        if tooltip is not None:
            title_element = ET.Element(f"{{{SVG_NS}}}title")
            title_element.text = tooltip
            element.insert(0, title_element)
    for size in ("width", "height"):
        root.attrib.pop(size, None)
    root.set("width", "100%")
    root.set("role", "img")
    root.set("aria-label", title)
    return ET.tostring(root, encoding="unicode")


def _prefix_ids(root: ET.Element, prefix: str) -> None:
    href = f"{{{XLINK_NS}}}href"
    for element in root.iter():
        if "id" in element.attrib:
            element.set("id", prefix + element.get("id"))
        for name in (href, "href"):
            if element.get(name, "").startswith("#"):
                element.set(name, "#" + prefix + element.get(name)[1:])
        for name in ("clip-path", "mask", "filter"):
            value = element.get(name, "")
            if value.startswith("url(#"):
                element.set(name, "url(#" + prefix + value[5:])
