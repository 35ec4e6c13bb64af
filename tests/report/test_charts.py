"""The SVG charts and number formats of the report, on their own."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from hypothesis import given
from hypothesis import strategies as st

from walkaway.reporting import (
    Point,
    StackedBar,
    forecast_chart,
    probability_scatter,
    value_by_stage_chart,
)
from walkaway.reporting.numbers import days, hours, money, percent, short_money
from walkaway.reporting.svg import Scale, log_ticks, nice_ticks


@pytest.mark.parametrize(
    ("value", "currency", "expected"),
    [
        (2_557_000.0, "EUR", "€2,557,000"),
        (-1234.5, "USD", "-$1,234"),
        (0.4, "EUR", "€0"),
        (1200.0, "SEK", "SEK 1,200"),
        (None, "EUR", "—"),
    ],
)
def test_money(value: float | None, currency: str, expected: str) -> None:
    assert money(value, currency) == expected


def test_short_forms() -> None:
    assert short_money(2_557_000, "EUR") == "€2.56M"
    assert short_money(350_000, "GBP") == "£350k"
    assert short_money(900, "EUR") == "€900"
    assert percent(0.1294, 1) == "12.9%" and percent(None) == "—"
    assert hours(134.6) == "134.6 h" and days(44.46) == "44 d"


@given(st.floats(min_value=1e-3, max_value=1e12))
def test_nice_ticks_cover_the_range(high: float) -> None:
    ticks = nice_ticks(high)
    assert ticks[0] == 0.0 and ticks[-1] >= high * (1 - 1e-9)
    assert 2 <= len(ticks) <= 11


@given(st.floats(min_value=1.0, max_value=1e9), st.floats(min_value=1.0, max_value=1e4))
def test_log_ticks_bracket_the_range(low: float, ratio: float) -> None:
    high = low * ratio
    ticks = log_ticks(low, high)
    assert ticks[0] <= low * (1 + 1e-9) and ticks[-1] >= high * (1 - 1e-9)
    assert ticks == sorted(ticks)


def test_scales() -> None:
    linear = Scale(0.0, 100.0, 10.0, 110.0)
    assert linear(50.0) == 60.0
    log = Scale(1_000.0, 100_000.0, 0.0, 200.0, log=True)
    assert log(10_000.0) == pytest.approx(100.0)


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def test_stacked_bars_label_and_escape() -> None:
    bars = [
        StackedBar("Demo", {"pursue": 300.0, "walk_away": 100.0}, {"pursue": 2, "walk_away": 1}),
        StackedBar("<b>x</b>", {"requalify": 50.0}, {"requalify": 1}),
    ]
    svg = str(value_by_stage_chart(bars, "EUR"))
    tree = parse(svg)
    assert len(tree.findall("rect")) == 3 + 3  # three legend squares, three segments
    assert "<b>" not in svg and "&lt;b&gt;x&lt;/b&gt;" in svg
    assert "Demo · Walk away: €100 (1 deal)" in svg


def test_forecast_shows_what_walk_aways_add() -> None:
    svg = str(forecast_chart(1000.0, 400.0, 300.0, "EUR"))
    assert "€100 (25.0%) of the forecast" in svg
    parse(svg)


def test_scatter_one_dot_per_deal_and_log_axis_when_spread() -> None:
    points = [
        Point(1_000.0, 0.1, "walk_away", "A <deal>"),
        Point(500_000.0, 0.8, "pursue", "B"),
        Point(20_000.0, 0.4, "requalify", "C"),
    ]
    svg = str(probability_scatter(points, "EUR"))
    assert len(parse(svg).findall(".//circle")) == 3
    assert "log scale" in svg and "A &lt;deal&gt;" in svg


def test_empty_charts() -> None:
    assert "No open deals" in str(value_by_stage_chart([], "EUR"))
    assert "No open deals" in str(probability_scatter([], "EUR"))
    parse(str(forecast_chart(0.0, 0.0, 0.0, "EUR")))
