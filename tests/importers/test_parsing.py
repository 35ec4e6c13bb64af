"""Parsers for the values real exports contain."""

from __future__ import annotations

from datetime import datetime

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from walkaway.importers import parsing
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


def test_cells_beyond_the_sample_still_parse_and_still_decide_the_column() -> None:
    cells = ["2026-03-01T14:05:00"] * 1500 + ["5/6/2017", "26/05/2017", "2026-03-01", "x"]
    parsed = parse_datetime(pl.Series("d", cells)).to_list()
    # 26/05 puts a day first in this column, so 5/6/2017 is the 5th of June.
    assert parsed[-4:] == [datetime(2017, 6, 5), datetime(2017, 5, 26), datetime(2026, 3, 1), None]
    assert set(parsed[:1500]) == {datetime(2026, 3, 1, 14, 5)}


_NOTATIONS = [
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%dT%H:%M:%S.%f",
    "%Y-%m-%dT%H:%M:%SZ",
    "%Y-%m-%dT%H:%M:%S+02:00",
    "%Y-%m-%d %H:%M:%S.%f-0530",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d",
    "%Y/%m/%d %H:%M:%S",
    "%m/%d/%y",
    "%m/%d/%Y %I:%M %p",
    "%m/%d/%Y %I:%M%p",
    "%d/%m/%Y %H:%M:%S",
    "%d.%m.%Y",
    "%d.%m.%y %H:%M",
    "%m-%d-%Y",
    "%d-%m-%y",
]
_ODD_CELLS = ["", "yesterday", "2026-13-01", "226-03-01", " 2026-03-01", "31/31/2020", "5pm"]


@st.composite
def _date_columns(draw: st.DrawFn) -> list[str]:
    written = st.tuples(
        st.datetimes(min_value=datetime(1950, 1, 1), max_value=datetime(2099, 12, 31)),
        st.sampled_from(_NOTATIONS),
        st.booleans(),
    ).map(lambda t: t[0].strftime(t[1]).lower() if t[2] else t[0].strftime(t[1]))
    return draw(st.lists(written | st.sampled_from(_ODD_CELLS), min_size=1, max_size=40))


@given(_date_columns(), st.integers(min_value=1, max_value=8))
def test_parsing_by_sample_equals_trying_every_notation(cells: list[str], sample: int) -> None:
    """The notations seen in a sample parse the column, the rest try all of them: the
    same result as trying every notation on every cell in order of preference."""
    raw = pl.Series("d", cells)
    text = parsing._normalise_datetime_text(raw)
    every = parsing._coalesce_parsed(pl.DataFrame({"t": text}), parsing._datetime_candidates(text))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(parsing, "_SAMPLE_CELLS", sample)
        assert parse_datetime(raw).to_list() == every.to_list()


@given(
    st.lists(st.none() | st.from_regex(r"\A[0-9]{1,7}(\.[0-9]{1,4})?\Z"), min_size=1, max_size=20),
    st.sampled_from([",", ";", None]),
)
def test_plain_decimals_read_as_the_full_rules_read_them(
    cells: list[str | None], delimiter: str | None
) -> None:
    raw = pl.Series("n", cells, dtype=pl.String)
    full = parsing._parse_messy_number(raw, delimiter)
    assert parse_number(raw, delimiter).to_list() == full.to_list()


@given(
    st.lists(st.sampled_from(["Call", "stage change", "Stage-Change", "e mail", "NOTE", None])),
    st.lists(st.text(alphabet="aB -_x", max_size=6) | st.none(), max_size=40),
)
def test_choice_words_of_few_and_many_distinct_values_agree(
    few: list[str | None], many: list[str | None]
) -> None:
    """Kinds, directions and statuses are normalised on their distinct values when they
    are few, directly when not: the same words either way, nulls kept, row by row."""
    from walkaway.importers.validate import _choice_words

    for cells in (few * 300, few * 300 + many, many):
        values = pl.Series("kind", cells, dtype=pl.String)
        direct = values.str.to_lowercase().str.replace_all(r"[\s\-]+", "_")
        assert _choice_words(values).to_list() == direct.to_list()
