"""The dashboard's charts as inline SVG, drawn on the server: data in, escaped markup out.

No script and no request elsewhere: the page carries its pictures. Every
chart names itself (``<title>``) and says what it shows (``<desc>``) for
screen readers; the page puts the same figures in a table beside it. The
words arrive translated; this module only places them and escapes them.

- ``bar_chart``: horizontal bars, one per labelled count (each may link somewhere)
- ``column_chart``: a few series of counts side by side per slot (the hours of a day)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

__all__ = ["Bar", "Series", "bar_chart", "column_chart"]


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    href: str | None = None  # where the bar leads (a path on this site)
    hint: str = ""  # said when pointing at the bar, after the label


@dataclass(frozen=True)
class Series:
    name: str
    css: str  # the class its bars get (colours live in console.css)
    values: Sequence[int]


_ROW = 26  # bar_chart: height of one bar's row
_LABEL_W = 130  # bar_chart: room for the labels
_BAR_W = 220  # bar_chart: the longest bar
_BARS_W = _LABEL_W + _BAR_W + 50  # ... and room for its count
_COL_H = 150  # column_chart: height of the plot
_TOP = 12  # column_chart: room above it for the scale's top number
_SLOT_W = 30  # column_chart: one slot (an hour)
_AXIS_W = 34  # column_chart: room for the scale's numbers
_FOOT = 22  # column_chart: room for the slot labels


def _check(values: Sequence[int], what: str) -> None:
    for v in values:
        if v < 0:
            raise ValueError(f"{what}: a count cannot be negative ({v})")


def _head(chart_id: str, title: str, desc: str, width: int, height: int, css: str) -> str:
    cid = escape(chart_id)
    return (
        f'<svg class="chart {escape(css)}" id="{cid}" viewBox="0 0 {width} {height}" '
        f'preserveAspectRatio="xMinYMin meet" role="img" aria-labelledby="{cid}-title {cid}-desc" '
        f'xmlns="http://www.w3.org/2000/svg">'
        f'<title id="{cid}-title">{escape(title)}</title><desc id="{cid}-desc">{escape(desc)}</desc>'
    )


def bar_chart(bars: Sequence[Bar], *, chart_id: str, title: str, desc: str) -> Markup:
    """One horizontal bar per item, longest for the largest count, the count written after it."""
    _check([b.value for b in bars], chart_id)
    top = max((b.value for b in bars), default=0)
    height = max(len(bars), 1) * _ROW
    parts = [_head(chart_id, title, desc, _BARS_W, height, "bars")]
    for i, bar in enumerate(bars):
        y = i * _ROW
        width = round(_BAR_W * bar.value / top, 1) if top else 0
        tip = escape(f"{bar.label}{' · ' + bar.hint if bar.hint else ''}: {bar.value}")
        row = (
            f'<g class="row"><title>{tip}</title>'
            f'<text class="label" x="{_LABEL_W - 8}" y="{y + 17}" text-anchor="end">'
            f"{escape(bar.label)}</text>"
            f'<rect class="bar" x="{_LABEL_W}" y="{y + 4}" width="{width}" height="{_ROW - 8}" rx="3" '
            f'data-value="{bar.value}"></rect>'
            f'<text class="count" x="{_LABEL_W + width + 6}" y="{y + 17}">{bar.value}</text></g>'
        )
        parts.append(f'<a href="{escape(bar.href)}">{row}</a>' if bar.href else row)
    parts.append("</svg>")
    return Markup("".join(parts))


def _scale_top(top: int) -> int:
    """A round number at or above ``top`` for the scale (1, 2, 5 × 10ⁿ)."""
    step = 1
    while True:
        for m in (1, 2, 5):
            if step * m >= top:
                return step * m
        step *= 10


def column_chart(
    labels: Sequence[str],
    series: Sequence[Series],
    *,
    chart_id: str,
    title: str,
    desc: str,
    label_every: int = 3,
) -> Markup:
    """Per slot, one column per series side by side; the last slot labelled, and every ``label_every``-th."""
    for s in series:
        if len(s.values) != len(labels):
            raise ValueError(
                f"{chart_id}: series {s.name!r} has {len(s.values)} values for {len(labels)} slots"
            )
        _check(s.values, chart_id)
    top = _scale_top(max((v for s in series for v in s.values), default=0))
    width, height = _AXIS_W + len(labels) * _SLOT_W, _TOP + _COL_H + _FOOT
    col_w = (_SLOT_W - 6) / max(len(series), 1)
    parts = [_head(chart_id, title, desc, width, height, "columns")]
    for tick in (0, top // 2 if top > 1 else None, top):
        if tick is None:
            continue
        y = round(_TOP + _COL_H - _COL_H * tick / top, 1)
        parts.append(
            f'<line class="grid" x1="{_AXIS_W}" x2="{width}" y1="{y}" y2="{y}"></line>'
            f'<text class="tick" x="{_AXIS_W - 4}" y="{y + 4}" text-anchor="end">{tick}</text>'
        )
    for i, label in enumerate(labels):
        x0 = _AXIS_W + i * _SLOT_W + 3
        tip = escape(" · ".join([label, *(f"{s.name} {s.values[i]}" for s in series)]))
        parts.append(f'<g class="slot"><title>{tip}</title>')
        for j, s in enumerate(series):
            h = round(_COL_H * s.values[i] / top, 1)
            parts.append(
                f'<rect class="col {escape(s.css)}" x="{round(x0 + j * col_w, 1)}" '
                f'y="{round(_TOP + _COL_H - h, 1)}" '
                f'width="{round(col_w - 1, 1)}" height="{h}" data-value="{s.values[i]}"></rect>'
            )
        if (len(labels) - 1 - i) % label_every == 0:  # counted back from the latest slot, which is labelled
            parts.append(
                f'<text class="slotlabel" x="{x0 + (_SLOT_W - 6) / 2}" y="{height - 6}" '
                f'text-anchor="middle">{escape(label)}</text>'
            )
        parts.append("</g>")
    parts.append("</svg>")
    return Markup("".join(parts))
