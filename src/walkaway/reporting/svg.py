"""SVG primitives for the report's charts: element trees, scales, ticks and legends.

Charts are built as :mod:`xml.etree.ElementTree` trees and serialised by it, so every
label (a stage or deal name from an import) is escaped on the way out. No ``xmlns``:
SVG inline in HTML does not need one, and the file stays free of external addresses.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup

FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"
INK = "#1f2933"
MUTED = "#616e7c"
GRID = "#e4e7eb"
AXIS = "#9aa5b1"
# Float error a computed tick may carry: 3.0000000001 steps are 3, not 4.
SLACK = 1e-9
# A legend's label starts this far right of its colour square (which is 10 wide).
SWATCH_TO_LABEL = 14


def _attribute(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.1f}".removesuffix(".0")
    return str(value)


def node(
    parent: ET.Element | None, tag: str, text: str | None = None, **attrs: object
) -> ET.Element:
    """An element (under ``parent``); ``font_size=`` is ``font-size``, ``class_=`` is ``class``."""
    attributes = {
        name.rstrip("_").replace("_", "-"): _attribute(value)
        for name, value in attrs.items()
        if value is not None
    }
    element = (
        ET.Element(tag, attributes) if parent is None else ET.SubElement(parent, tag, attributes)
    )
    if text is not None:
        element.text = text
    return element


def canvas(width: int, height: int, label: str) -> ET.Element:
    """An SVG that scales to its container's width, with ``label`` for screen readers."""
    svg = node(
        None,
        "svg",
        viewBox=f"0 0 {width} {height}",
        width="100%",
        role="img",
        aria_label=label,
        font_family=FONT,
        font_size=12,
        fill=INK,
        class_="chart",
    )
    node(svg, "title", label)
    return svg


def to_markup(svg: ET.Element) -> Markup:
    """The serialised SVG, safe to put in the page as it is (its text is escaped)."""
    return Markup(ET.tostring(svg, encoding="unicode"))


def clip(label: str, width: int) -> str:
    """``label`` cut to ``width`` characters with an ellipsis (the full text is in a tooltip)."""
    return label if len(label) <= width else label[: width - 1].rstrip() + "…"


@dataclass(frozen=True)
class Scale:
    """Maps ``[low, high]`` onto the pixels ``[start, end]``, linearly or logarithmically."""

    low: float
    high: float
    start: float
    end: float
    log: bool = False

    def __call__(self, value: float) -> float:
        low, high = self.low, self.high
        if self.log:
            value, low, high = math.log10(max(value, low)), math.log10(low), math.log10(high)
        share = 0.0 if high == low else (value - low) / (high - low)
        return self.start + share * (self.end - self.start)


def nice_ticks(high: float, count: int = 5) -> list[float]:
    """Round ticks from 0 to at least ``high``: ``nice_ticks(2_557_000)`` ends at 3,000,000."""
    if high <= 0:
        return [0.0, 1.0]
    raw = high / count
    magnitude = 10.0 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    steps = math.ceil(high / step - SLACK)
    return [i * step for i in range(steps + 1)]


def log_ticks(low: float, high: float) -> list[float]:
    """1-2-5 ticks from the last one at or below ``low`` to the first at or above ``high``
    (powers of ten only, over more than 3 decades)."""
    first, last = math.floor(math.log10(low)), math.ceil(math.log10(high))
    multiples = (1,) if last - first > 3 else (1, 2, 5)
    ticks = [m * 10.0**e for e in range(first, last + 1) for m in multiples]
    start = max(t for t in ticks if t <= low * (1 + SLACK))
    end = min(t for t in ticks if t >= high * (1 - SLACK))
    return [t for t in ticks if start <= t <= end]


def legend(parent: ET.Element, x: float, y: float, items: Sequence[tuple[str, str]]) -> None:
    """Coloured squares and their labels in a row starting at ``(x, y)``."""
    for label, colour in items:
        node(parent, "rect", x=x, y=y - 9, width=10, height=10, rx=2, fill=colour)
        node(parent, "text", label, x=x + SWATCH_TO_LABEL, y=y, fill=MUTED)
        x += SWATCH_TO_LABEL + 6.8 * len(label) + 18


def gridline(parent: ET.Element, x1: float, y1: float, x2: float, y2: float) -> None:
    node(parent, "line", x1=x1, y1=y1, x2=x2, y2=y2, stroke=GRID, stroke_width=1)
