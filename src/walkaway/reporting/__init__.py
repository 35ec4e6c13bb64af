"""The monthly review as one self-contained HTML file: inline SVG charts and the page.

Nothing here reads the store: :mod:`walkaway.service.report` gathers the numbers and
hands them over as plain values. Every chart is an SVG element tree, serialised with
its text escaped, so a deal or stage named ``<script>`` stays text. Names load on first
use (:func:`walkaway.lazy.lazy_face`), so writing a CSV (:mod:`~.spreadsheet`) does not
load Jinja2.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from walkaway.lazy import lazy_face

if TYPE_CHECKING:
    from walkaway.reporting.charts import (
        RECOMMENDATION_COLOURS,
        RECOMMENDATION_LABELS,
        Point,
        StackedBar,
        forecast_chart,
        probability_scatter,
        value_by_stage_chart,
    )
    from walkaway.reporting.html import render_page

__all__ = [
    "RECOMMENDATION_COLOURS",
    "RECOMMENDATION_LABELS",
    "Point",
    "StackedBar",
    "forecast_chart",
    "probability_scatter",
    "render_page",
    "value_by_stage_chart",
]

__getattr__, __dir__ = lazy_face(
    __name__,
    {**{name: "charts" for name in __all__ if name != "render_page"}, "render_page": "html"},
)
