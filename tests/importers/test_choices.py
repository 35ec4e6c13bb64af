"""A column of choices (an activity's kind, direction, status; a deal's outcome) read
cell by cell as a person would: the same words and the same rows reported, whether the
column has a handful of distinct values (judged on those) or many."""

from __future__ import annotations

import re

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from walkaway.importers.base import Mapped
from walkaway.importers.reading import ROW_COLUMN
from walkaway.importers.validate import _Checker

ALLOWED = ("email", "call", "stage_change")
SPELLINGS = ["email", "EMAIL", "Call", "stage change", "Stage - Change", "stage_change",
             "e mail", "visit", "", "  ", "-"]  # fmt: skip


def _by_hand(cell: str | None, default: str | None) -> tuple[str | None, bool]:
    """The word a cell stands for and whether it is reported, one cell at a time."""
    if cell is None:
        return default, False
    word = re.sub(r"[\s\-]+", "_", cell.lower())
    if word in ALLOWED:
        return word, False
    return default, True


@settings(max_examples=60, deadline=None)
@given(
    cells=st.lists(st.sampled_from([*SPELLINGS, None]), min_size=1, max_size=40),
    repeat=st.sampled_from([1, 60]),  # few rows (each judged) or many of few values
    extra=st.lists(st.text(max_size=6), max_size=30),  # many distinct values
    default=st.sampled_from([None, "email"]),
)
def test_a_choice_reads_each_cell_as_it_reads_alone(
    cells: list[str | None], repeat: int, extra: list[str], default: str | None
) -> None:
    column = cells * repeat + extra
    frame = pl.DataFrame({"kind": pl.Series(column, dtype=pl.String)}).with_row_index(
        ROW_COLUMN, offset=2
    )
    check = _Checker(
        Mapped("activities.csv", frame.with_columns(pl.col(ROW_COLUMN).cast(pl.Int64)))
    )
    kept = check.choice("kind", ALLOWED, default=default)
    expected = [_by_hand(cell, default) for cell in column]
    assert kept.to_list() == [word for word, _ in expected]
    reported = check.problems()
    assert reported["row"].to_list() == [i + 2 for i, (_, bad) in enumerate(expected) if bad]
    assert reported["value"].to_list() == [
        c for c, (_, bad) in zip(column, expected, strict=True) if bad
    ]
