"""Small inline charts as server-rendered SVG (no JavaScript, no external assets).

Pure functions of plain numbers: no Django, no database, so they are fast to test. Every chart
is an ``<svg role="img">`` with an ``aria-label`` and a ``<title>`` saying in words what the
line shows (first and last value), so a screen reader gets the trend without the picture.
All text that reaches the markup is escaped here; the returned string is safe to embed.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

#: The most points a sparkline draws (older values are dropped): a trend, not a table.
MAX_POINTS = 60


def _fmt(value: float) -> str:
    """A coordinate with at most one decimal and no trailing zeros (stable, compact markup)."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def sparkline(
    values: Sequence[float | None],
    *,
    label: str,
    width: int = 120,
    height: int = 28,
    lower: float | None = None,
    upper: float | None = None,
    css_class: str = "spark",
) -> str:
    """An SVG sparkline of ``values`` (oldest first), or ``""`` when there is nothing to draw.

    ``None`` is a gap (the line breaks there). ``lower``/``upper`` fix the vertical scale
    (e.g. 0–100 for a percentage); otherwise it spans the values, from 0 when all are
    non-negative. Values outside a fixed scale are clamped to it. The last point is marked with
    a dot. ``label`` names what is drawn (e.g. "Compliance of Contoso, %"); the accessible text
    adds the number of points and the first and last values.
    """
    points = list(values)[-MAX_POINTS:]
    known = [float(v) for v in points if v is not None]
    if not known or width < 4 or height < 4:
        return ""
    lo = lower if lower is not None else min(0.0, min(known))
    hi = upper if upper is not None else max(known)
    if hi <= lo:
        hi = lo + 1.0
    pad = 2.0
    inner_w, inner_h = width - 2 * pad, height - 2 * pad
    step = inner_w / (len(points) - 1) if len(points) > 1 else 0.0

    def xy(index: int, value: float) -> tuple[float, float]:
        clamped = min(max(value, lo), hi)
        x = pad + index * step if len(points) > 1 else width / 2
        y = pad + inner_h * (1 - (clamped - lo) / (hi - lo))
        return x, y

    segments: list[list[tuple[float, float]]] = [[]]
    last: tuple[float, float] | None = None
    for index, value in enumerate(points):
        if value is None:
            if segments[-1]:
                segments.append([])
            continue
        last = xy(index, float(value))
        segments[-1].append(last)
    lines = [
        '<polyline fill="none" stroke="currentColor" stroke-width="1.5" points="'
        + " ".join(f"{_fmt(x)},{_fmt(y)}" for x, y in segment)
        + '"/>'
        for segment in segments
        if len(segment) > 1
    ]
    dot = f'<circle cx="{_fmt(last[0])}" cy="{_fmt(last[1])}" r="2" fill="currentColor"/>' if last else ""
    text = describe(points, label=label)
    return (
        f'<svg class="{escape(css_class)}" role="img" aria-label="{escape(text)}" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg">'
        f"<title>{escape(text)}</title>{''.join(lines)}{dot}</svg>"
    )


def describe(values: Sequence[float | None], *, label: str) -> str:
    """The chart in words: ``"<label>: 5 points, from 80 to 92"`` (gaps are not counted)."""
    known = [float(v) for v in list(values)[-MAX_POINTS:] if v is not None]
    if not known:
        return f"{label}: no data"
    if len(known) == 1:
        return f"{label}: 1 point, {_number(known[0])}"
    return f"{label}: {len(known)} points, from {_number(known[0])} to {_number(known[-1])}"


def _number(value: float) -> str:
    return str(int(value)) if value == int(value) else f"{value:.1f}"
