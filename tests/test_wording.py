"""Numbers in words: a probability never reads 0% or 100% when it is neither."""

from __future__ import annotations

import polars as pl
from hypothesis import given
from hypothesis import strategies as st

from walkaway.wording import percent, percent_text


@given(st.floats(0.0, 1.0, allow_subnormal=False))
def test_the_expression_and_the_text_say_the_same(value: float) -> None:
    said = pl.select(percent(pl.lit(value))).item()
    assert said == percent_text(value)
    if 0 < value < 1:
        assert said not in ("0%", "100%")


def test_the_edges() -> None:
    # 0.005 rounds to even (0), so it reads "<1%", as the review's expression says it
    assert [percent_text(v) for v in (0.0, 0.0013, 0.005, 0.153, 0.996, 1.0)] == [
        "0%", "<1%", "<1%", "15%", ">99%", "100%"
    ]  # fmt: skip
    assert percent_text(None) == "—"
    assert percent_text(0.0004, 1) == "<0.1%"
