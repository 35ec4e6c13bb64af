"""Parsers for the values real exports contain."""

from __future__ import annotations

from datetime import datetime

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from walkaway.importers.parsing import parse_count, parse_datetime, parse_fraction, parse_number


@pytest.mark.parametrize(
    ("cells", "delimiter", "expected"),
    [
        ([" $22,050 ", "$1,200.50"], ",", [22050.0, 1200.5]),
        (["$-", "$ -", "-"], ",", [0.0, 0.0, 0.0]),
        (["(1,200)", "-3.5"], ",", [-1200.0, -3.5]),
        (["1.234,56", "12,5"], ";", [1234.56, 12.5]),
        (["1.234", "12,50"], ";", [1234.0, 12.5]),
        (["1.234", "2.5"], ",", [1.234, 2.5]),
        (["€ 1 500", "USD 1,000.50", "£7"], ",", [1500.0, 1000.5, 7.0]),
        (["1,000,000.5", "abc", None], ",", [1000000.5, None, None]),
    ],
)
def test_numbers(cells: list[str | None], delimiter: str, expected: list[float | None]) -> None:
    assert parse_number(pl.Series("x", cells, dtype=pl.String), delimiter).to_list() == expected


def test_fractions_and_counts() -> None:
    assert parse_fraction(pl.Series(["15%", "0.2", "1.5", "x"])).to_list() == [
        0.15,
        0.2,
        None,
        None,
    ]
    assert parse_count(pl.Series(["3", "2.5", "-1", "4.0"])).to_list() == [3, None, None, 4]


@pytest.mark.parametrize(
    ("cells", "expected"),
    [
        (["2026-03-01"], [datetime(2026, 3, 1)]),
        (["2026-03-01T14:05:00"], [datetime(2026, 3, 1, 14, 5)]),
        (["2026-03-01T14:05:00+02:00"], [datetime(2026, 3, 1, 12, 5)]),
        (["2026-03-01T14:05:00Z"], [datetime(2026, 3, 1, 14, 5)]),
        (["2011-10-01T06:08:58.123"], [datetime(2011, 10, 1, 6, 8, 58, 123000)]),
        (["5/26/17", "12/31/2017 2:05 PM"], [datetime(2017, 5, 26), datetime(2017, 12, 31, 14, 5)]),
        # One day above 12 in first place makes the whole column day-first.
        (["26/05/2017", "5/6/2017"], [datetime(2017, 5, 26), datetime(2017, 6, 5)]),
        (["26.05.2017", "01.02.2026 09:30"], [datetime(2017, 5, 26), datetime(2026, 2, 1, 9, 30)]),
        (["yesterday", "2026-13-01"], [None, None]),
    ],
)
def test_datetimes(cells: list[str], expected: list[datetime | None]) -> None:
    assert parse_datetime(pl.Series("d", cells)).to_list() == expected


@given(st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2099, 12, 31)))
def test_iso_datetimes_round_trip(moment: datetime) -> None:
    moment = moment.replace(microsecond=0)
    assert parse_datetime(pl.Series([moment.isoformat()])).item() == moment


@given(st.decimals(min_value=-(10**9), max_value=10**9, places=2, allow_nan=False))
def test_us_money_round_trips(value: object) -> None:
    text = f"${value:,.2f}"
    parsed = parse_number(pl.Series([text]), ",").item()
    assert parsed == pytest.approx(float(value))  # type: ignore[arg-type]
