"""The review's three charts as inline SVG: value by stage and call, the forecast with
and without walk-away candidates, and win probability against amount."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from markupsafe import Markup

from walkaway.models import Recommendation
from walkaway.reporting.numbers import money, percent, short_money
from walkaway.reporting.svg import (
    AXIS,
    MUTED,
    Scale,
    canvas,
    clip,
    gridline,
    legend,
    log_ticks,
    nice_ticks,
    node,
    to_markup,
)

# Bottom of a stack first: walk-away candidates sit on top, where the eye lands.
RECOMMENDATIONS = ("pursue", "requalify", "walk_away")
RECOMMENDATION_LABELS = {call.value: call.label for call in Recommendation}
RECOMMENDATION_COLOURS = {"walk_away": "#c53030", "requalify": "#d69e2e", "pursue": "#2f855a"}
FORECAST_COLOUR = "#2b6cb0"
OPEN_COLOUR = "#cbd2d9"
LOG_SCALE_RATIO = 30.0  # amounts spanning more than this use a log axis
LEGEND_Y = 18  # the legend's baseline, above the plot
BELOW_AXIS = 18  # where a label under the x axis sits, below the axis


@dataclass(frozen=True)
class StackedBar:
    """One stage: value and number of deals per recommendation."""

    label: str
    values: Mapping[str, float]
    counts: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Point:
    """One open deal on the scatter; ``label`` is its tooltip."""

    amount: float
    probability: float
    recommendation: str
    label: str


def _legend_items() -> list[tuple[str, str]]:
    return [
        (RECOMMENDATION_LABELS[r], RECOMMENDATION_COLOURS[r]) for r in reversed(RECOMMENDATIONS)
    ]


def _empty(svg: ET.Element, width: int, height: int) -> Markup:
    node(svg, "text", "No open deals", x=width / 2, y=height / 2, text_anchor="middle", fill=MUTED)
    return to_markup(svg)


def _y_tick(svg: ET.Element, label: str, at: float, left: float, right: float) -> None:
    """A gridline across the plot at height ``at``, its label left of the plot."""
    gridline(svg, left, at, right, at)
    node(svg, "text", label, x=left - 6, y=at + 4, text_anchor="end", fill=MUTED)


def _value_axis(
    svg: ET.Element, ticks: list[float], y: Scale, left: int, right: int, cur: str
) -> None:
    for tick in ticks:
        _y_tick(svg, short_money(tick, cur), y(tick), left, right)


def value_by_stage_chart(bars: Sequence[StackedBar], currency: str) -> Markup:
    """Open value per stage, stacked by recommendation (walk-away candidates on top)."""
    width, height, left, right, top, bottom = 640, 320, 64, 624, 44, 276
    svg = canvas(width, height, "Open pipeline value by stage and recommendation")
    legend(svg, left, LEGEND_Y, _legend_items())
    if not bars:
        return _empty(svg, width, height)
    ticks = nice_ticks(max(sum(bar.values.values()) for bar in bars))
    y = Scale(0.0, ticks[-1], bottom, top)
    _value_axis(svg, ticks, y, left, right, currency)
    band = (right - left) / len(bars)
    bar_width = min(band * 0.62, 76.0)
    for index, bar in enumerate(bars):
        x = left + band * index + (band - bar_width) / 2
        _stack(svg, bar, x, bar_width, y, currency)
        node(
            svg,
            "text",
            clip(bar.label, max(4, int(band / 7))),
            x=x + bar_width / 2,
            y=bottom + BELOW_AXIS,
            text_anchor="middle",
        )
    node(svg, "line", x1=left, y1=bottom, x2=right, y2=bottom, stroke=AXIS)
    return to_markup(svg)


def _stack(svg: ET.Element, bar: StackedBar, x: float, width: float, y: Scale, cur: str) -> None:
    base = 0.0
    for recommendation in RECOMMENDATIONS:
        value = bar.values.get(recommendation, 0.0)
        if value <= 0:
            continue
        rect = node(
            svg,
            "rect",
            x=x,
            y=y(base + value),
            width=width,
            height=max(y(base) - y(base + value), 0.5),
            fill=RECOMMENDATION_COLOURS[recommendation],
        )
        count = bar.counts.get(recommendation, 0)
        tip = f"{bar.label} · {RECOMMENDATION_LABELS[recommendation]}: {money(value, cur)}"
        node(rect, "title", f"{tip} ({count} deal{'s' if count != 1 else ''})")
        base += value
    node(
        svg,
        "text",
        short_money(base, cur),
        x=x + width / 2,
        y=y(base) - 6,
        text_anchor="middle",
        font_weight=600,
    )


def forecast_chart(open_value: float, forecast: float, without: float, currency: str) -> Markup:
    """Open value, the forecast as it stands and the forecast without walk-away candidates."""
    width, height, left, right = 420, 320, 8, 330
    svg = canvas(width, height, "Forecast with and without walk-away candidates")
    x = Scale(0.0, max(open_value, forecast, 1.0), left, right)
    held = max(forecast - without, 0.0)
    walk = RECOMMENDATION_COLOURS["walk_away"]
    rows = (
        ("Open pipeline, every deal at full value", [(open_value, OPEN_COLOUR)]),
        ("Forecast as it stands", [(without, FORECAST_COLOUR), (held, walk)]),
        ("Forecast without walk-away candidates", [(without, FORECAST_COLOUR)]),
    )
    for index, (label, parts) in enumerate(rows):
        _bar_row(svg, 30 + index * 80, label, parts, x, currency)
    share = held / forecast if forecast else 0.0
    note = f"{money(held, currency)} ({percent(share, 1)}) of the forecast"
    legend(svg, left, height - 40, [("held by walk-away candidates", walk)])
    node(svg, "text", note, x=left, y=height - 18, fill=MUTED)
    return to_markup(svg)


def _bar_row(
    svg: ET.Element, top: float, label: str, parts: list[tuple[float, str]], x: Scale, cur: str
) -> None:
    """A label, then a horizontal bar of coloured parts with its total at the end."""
    node(svg, "text", label, x=x.start, y=top, font_size=13)
    total = 0.0
    for value, colour in parts:
        width = max(x(total + value) - x(total), 0.0)
        node(svg, "rect", x=x(total), y=top + 10, width=width, height=36, fill=colour)
        total += value
    label_at = {"x": x(total) + 6, "y": top + 33}
    node(svg, "text", short_money(total, cur), **label_at, font_weight=600, font_size=13)


def _amount_scale(points: Sequence[Point], left: int, right: int) -> tuple[Scale, list[float]]:
    amounts = [p.amount for p in points if p.amount > 0] or [1.0]
    low, high = min(amounts), max(amounts)
    if high / low > LOG_SCALE_RATIO:
        ticks = log_ticks(low, high)
        return Scale(ticks[0], ticks[-1], left, right, log=True), ticks
    ticks = nice_ticks(high)
    return Scale(0.0, ticks[-1], left, right), ticks


def probability_scatter(points: Sequence[Point], currency: str) -> Markup:
    """Each open deal at (amount, win probability), coloured by recommendation."""
    width, height = 960, 340
    svg = canvas(width, height, "Win probability against amount, one dot per open deal")
    legend(svg, 64, LEGEND_Y, _legend_items())
    if not points:
        return _empty(svg, width, height)
    x, x_ticks = _amount_scale(points, 64, 940)
    y = Scale(0.0, 1.0, 292, 40)
    _scatter_axes(svg, x, x_ticks, y, currency)
    _dots(svg, points, x, y)
    return to_markup(svg)


def _scatter_axes(svg: ET.Element, x: Scale, x_ticks: list[float], y: Scale, cur: str) -> None:
    left, right, bottom, top = x.start, x.end, y.start, y.end
    muted = {"fill": MUTED, "text_anchor": "middle"}
    for tick in (0.0, 0.25, 0.5, 0.75, 1.0):
        _y_tick(svg, percent(tick), y(tick), left, right)
    for tick in x_ticks:
        node(svg, "line", x1=x(tick), y1=bottom, x2=x(tick), y2=bottom + 4, stroke=AXIS)
        node(svg, "text", short_money(tick, cur), x=x(tick), y=bottom + BELOW_AXIS, **muted)
    node(svg, "line", x1=left, y1=bottom, x2=right, y2=bottom, stroke=AXIS)
    title = f"Deal amount ({cur}, {'log scale' if x.log else 'linear'})"
    node(svg, "text", title, x=(left + right) / 2, y=bottom + 36, **muted)
    middle = (top + bottom) / 2
    rotate = f"rotate(-90 14 {middle:.0f})"
    node(svg, "text", "Win probability", x=14, y=middle, transform=rotate, **muted)


def _dots(svg: ET.Element, points: Sequence[Point], x: Scale, y: Scale) -> None:
    # Pursue first, walk away last: the deals to act on are drawn on top.
    layer = {
        r: node(svg, "g", fill=RECOMMENDATION_COLOURS[r], fill_opacity=0.8, stroke="#ffffff")
        for r in RECOMMENDATIONS
    }
    for point in points:
        parent = layer.get(point.recommendation)
        if parent is None:
            continue
        dot = node(parent, "circle", cx=x(max(point.amount, 0.0)), cy=y(point.probability), r=5)
        node(dot, "title", point.label)
