"""Inline SVG charts for the bulletin page: plain strings, no plotting library and no
external assets, so the HTML page stays one self-contained file."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from html import escape

WIDTH, HEIGHT = 720, 300
LEFT, RIGHT, TOP, BOTTOM = 64, 16, 40, 48
PALETTE = ("#1f5f99", "#d9822b", "#4c9a6a", "#8e5ea2")
RECORD = "#c0392b"
NEGATIVE = "#b03a2e"
MUTED = "#9db4cc"


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
    Groups in ``highlighted`` get a marker above them (e.g. record years)."""
    values = [v for s in series for v in s.values if v is not None]
    ticks = _ticks(min(values + [0.0]), max(values + [0.0]))
    y = _scale(ticks[0], ticks[-1])
    plot_w = WIDTH - LEFT - RIGHT
    group_w = plot_w / max(len(labels), 1)
    bar_w = group_w * 0.8 / max(len(series), 1)
    # Axis labels that would overlap are thinned to every n-th group (~7 px a character).
    label_every = max(1, math.ceil(max(map(len, labels), default=0) * 7 / group_w))
    parts = [_frame(title, ticks, y, unit)]
    for i, label in enumerate(labels):
        x0 = LEFT + i * group_w + group_w * 0.1
        for j, s in enumerate(series):
            value = s.values[i]
            if value is None:
                continue
            top, bottom = sorted((y(value), y(0.0)))
            color = NEGATIVE if value < 0 and len(series) == 1 else s.color
            parts.append(
                f'<rect x="{x0 + j * bar_w:.1f}" y="{top:.1f}" width="{bar_w * 0.92:.1f}"'
                f' height="{max(bottom - top, 0.5):.1f}" fill="{color}">'
                f"<title>{escape(label)} {escape(s.name)}: {value:,.1f} {escape(unit)}</title></rect>"
            )
        if i in highlighted:
            peak = min(y(v) for s in series if (v := s.values[i]) is not None)
            parts.append(_star(x0 + group_w * 0.4, peak - 8))
        if i % label_every == 0:
            parts.append(_text(x0 + group_w * 0.4, HEIGHT - BOTTOM + 16, label, anchor="middle"))
    legend = [(s.name, s.color) for s in series] if len(series) > 1 else []
    if highlighted and highlight_note:
        legend.append((highlight_note, RECORD))
    parts.append(_legend(legend))
    return _svg(title, parts)


def monthly_chart(title: str, bars: list[MonthBar], unit: str) -> str:
    """Columns on a calendar-month axis. A combined January-February period spans both
    months at its monthly average (lighter) and is never marked as a record."""
    if not bars:
        return _svg(title, [_text(WIDTH / 2, HEIGHT / 2, "no data", anchor="middle")])
    first = bars[0].start
    months_total = _month_index(bars[-1].start, first) + bars[-1].months
    ticks = _ticks(0.0, max(b.value / b.months for b in bars))
    y = _scale(ticks[0], ticks[-1])
    month_w = (WIDTH - LEFT - RIGHT) / months_total
    parts = [_frame(title, ticks, y, unit)]
    for bar in bars:
        x = LEFT + _month_index(bar.start, first) * month_w
        height = y(0.0) - y(bar.value / bar.months)
        combined = bar.months > 1
        color = MUTED if combined else (RECORD if bar.is_record else PALETTE[0])
        label = bar.start.strftime("%Y-%m") + (" (Jan-Feb, monthly average)" if combined else "")
        parts.append(
            f'<rect x="{x + 0.5:.1f}" y="{y(0.0) - height:.1f}" width="{max(bar.months * month_w - 1, 0.5):.1f}"'
            f' height="{height:.1f}" fill="{color}"><title>{escape(label)}: {bar.value:,.2f} {escape(unit)}'
            f"</title></rect>"
        )
        if bar.is_record and not combined:
            parts.append(_star(x + month_w / 2, y(0.0) - height - 8))
        if bar.start.month == 1 or bar is bars[0]:
            parts.append(_text(x + 2, HEIGHT - BOTTOM + 16, str(bar.start.year)))
    parts.append(
        _legend([("month", PALETTE[0]), ("record month", RECORD), ("Jan-Feb combined (avg.)", MUTED)])
    )
    return _svg(title, parts)


def _month_index(month: date, first: date) -> int:
    return (month.year - first.year) * 12 + month.month - first.month


def _ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round axis ticks covering [low, high], zero included when in range."""
    if high == low:
        high = low + 1
    raw = (high - low) / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    start = math.floor(low / step) * step
    stop = math.ceil(high / step) * step
    return [start + i * step for i in range(round((stop - start) / step) + 1)]


def _scale(low: float, high: float):
    plot_h = HEIGHT - TOP - BOTTOM
    return lambda v: TOP + plot_h * (high - v) / (high - low)


def _frame(title: str, ticks: list[float], y, unit: str) -> str:
    lines = [_text(LEFT, 22, title, size=15, weight="bold")]
    for tick in ticks:
        lines.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(tick):.1f}" y2="{y(tick):.1f}"'
            f' stroke="{"#555" if tick == 0 else "#ddd"}" stroke-width="1"/>'
        )
        lines.append(_text(LEFT - 6, y(tick) + 4, f"{tick:,.10g}", anchor="end"))
    lines.append(_text(LEFT - 6, TOP - 8, unit, anchor="end", size=10))
    return "".join(lines)


def _legend(entries: list[tuple[str, str]]) -> str:
    parts, x = [], LEFT
    for name, color in entries:
        parts.append(f'<rect x="{x}" y="{HEIGHT - 18}" width="10" height="10" fill="{color}"/>')
        parts.append(_text(x + 14, HEIGHT - 9, name, size=11))
        x += 24 + 7 * len(name)
    return "".join(parts)


def _star(x: float, y: float) -> str:
    return _text(x, y, "\u2605", anchor="middle", size=12, fill=RECORD)


def _text(
    x: float, y: float, text: str, *, anchor: str = "start", size: int = 11,
    weight: str = "normal", fill: str = "#333",
) -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" font-size="{size}"'
        f' font-weight="{weight}" fill="{fill}">{escape(text)}</text>'
    )


def _svg(title: str, parts: list[str]) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}"'
        f' width="100%" role="img" aria-label="{escape(title)}"'
        f' font-family="Helvetica, Arial, sans-serif">{"".join(parts)}</svg>'
    )
