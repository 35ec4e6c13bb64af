"""The forecast by period as inline SVG: one bar per month or quarter of expected close
(the slipped deals first), the part held by walk-away candidates on top."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup

from walkaway.reporting.charts import FORECAST_COLOUR, RECOMMENDATION_COLOURS
from walkaway.reporting.numbers import money, short_money
from walkaway.reporting.svg import (
    AXIS,
    MUTED,
    Scale,
    canvas,
    gridline,
    legend,
    nice_ticks,
    node,
    to_markup,
)

SLIPPED_COLOUR = "#718096"
WIDTH, HEIGHT, LEFT, RIGHT, TOP, BOTTOM = 640, 300, 64, 624, 44, 256


@dataclass(frozen=True)
class PeriodBar:
    """One period: expected won value without the walk-away candidates, and theirs."""

    label: str
    without: float
    held: float
    slipped: bool = False


def _bar(svg: ET.Element, bar: PeriodBar, x: float, width: float, y: Scale, cur: str) -> None:
    colour = SLIPPED_COLOUR if bar.slipped else FORECAST_COLOUR
    walk = RECOMMENDATION_COLOURS["walk_away"]
    parts = (
        (bar.without, colour, "without walk-away candidates"),
        (bar.held, walk, "held by walk-away candidates"),
    )
    base = 0.0
    for value, fill, said in parts:
        if value <= 0:
            continue
        height = max(y(base) - y(base + value), 0.5)
        rect = node(svg, "rect", x=x, y=y(base + value), width=width, height=height, fill=fill)
        node(rect, "title", f"{bar.label}: {money(value, cur)} {said}")
        base += value
    label = {"x": x + width / 2, "text_anchor": "middle", "font_weight": 600}
    node(svg, "text", short_money(base, cur), y=y(base) - 6, **label)


def forecast_by_period_chart(bars: Sequence[PeriodBar], currency: str) -> Markup:
    """Expected won value per period, stacked: the part without walk-away candidates,
    then theirs on top; slipped deals (past their expected close) first, in grey."""
    svg = canvas(WIDTH, HEIGHT, "Expected won value by period of expected close")
    legend(svg, LEFT, 18, [("expected won", FORECAST_COLOUR),
                           ("held by walk-away candidates", RECOMMENDATION_COLOURS["walk_away"]),
                           ("slipped: past expected close", SLIPPED_COLOUR)])  # fmt: skip
    if not bars:
        node(svg, "text", "No open deals", x=WIDTH / 2, y=HEIGHT / 2, text_anchor="middle")
        return to_markup(svg)
    ticks = nice_ticks(max(max(b.without + b.held for b in bars), 1.0))
    y = Scale(0.0, ticks[-1], BOTTOM, TOP)
    for tick in ticks:
        gridline(svg, LEFT, y(tick), RIGHT, y(tick))
        node(svg, "text", short_money(tick, currency), x=LEFT - 6, y=y(tick) + 4,
             text_anchor="end", fill=MUTED)  # fmt: skip
    band = (RIGHT - LEFT) / len(bars)
    width = min(band * 0.62, 56.0)
    for index, bar in enumerate(bars):
        x = LEFT + band * index + (band - width) / 2
        _bar(svg, bar, x, width, y, currency)
        node(svg, "text", bar.label, x=x + width / 2, y=BOTTOM + 18, text_anchor="middle")
    node(svg, "line", x1=LEFT, y1=BOTTOM, x2=RIGHT, y2=BOTTOM, stroke=AXIS)
    return to_markup(svg)
