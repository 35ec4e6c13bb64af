"""The as-of moment and days given as text: one parser for the command line and the web."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from walkaway.models import parse_day, parse_moment

MOMENTS = st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2999, 12, 31))
OFFSETS = st.integers(min_value=-14 * 60, max_value=14 * 60).map(
    lambda minutes: timezone(timedelta(minutes=minutes))
)


@pytest.mark.parametrize(
    ("text", "moment"),
    [
        ("2026-03-01", datetime(2026, 3, 1)),
        (" 2026-03-01 ", datetime(2026, 3, 1)),
        ("2026-03-01T14:00:00", datetime(2026, 3, 1, 14)),
        ("2026-03-01T14:00:00Z", datetime(2026, 3, 1, 14)),
        ("2026-03-01T14:00:00+02:00", datetime(2026, 3, 1, 12)),
        ("2026-03-01 00:30-01:00", datetime(2026, 3, 1, 1, 30)),
    ],
)
def test_a_moment_is_naive_utc(text: str, moment: datetime) -> None:
    assert parse_moment(text) == moment


@pytest.mark.parametrize("text", ["", "yesterday", "16/11/2026", "2026-02-30", "2026-03-01T25:00"])
def test_anything_else_says_what_was_expected(text: str) -> None:
    with pytest.raises(ValueError, match=r"is not a date; expected 2026-03-01 or 2026-03-01T"):
        parse_moment(text)
    with pytest.raises(ValueError, match=r"is not a date; expected 2026-03-01$"):
        parse_day(text)


@given(MOMENTS, OFFSETS)
def test_any_iso_date_time_comes_back_as_its_utc_moment(moment: datetime, offset: timezone) -> None:
    aware = moment.replace(tzinfo=offset)
    expected = aware.astimezone(UTC).replace(tzinfo=None)
    assert parse_moment(aware.isoformat()) == expected
    assert parse_moment(moment.isoformat()) == moment
    assert parse_moment(moment.isoformat() + "Z") == moment


@given(st.dates(min_value=date(1900, 1, 1)))
def test_a_day_is_its_start_as_a_moment(day: date) -> None:
    assert parse_day(day.isoformat()) == day
    assert parse_moment(day.isoformat()) == datetime(day.year, day.month, day.day)
