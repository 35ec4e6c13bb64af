"""The norms' sums by group (each deal's hours, each stage's days and hours, each
owner's won value and hours) are made one group at a time, its rows in their order:
the same to the last bit whatever else the frame holds and wherever the group's rows
stand in it (a hash group_by over many rows sums a group in parts across threads)."""

from __future__ import annotations

import numpy as np
import polars as pl
from polars.testing import assert_frame_equal

from walkaway.signals.norms import grouped_in_runs


def _frame(rows: int, seed: int) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pl.DataFrame(
        {
            "owner": rng.choice(["ana", "bo", "cy", ""], rows),
            "currency": rng.choice(["EUR", "USD"], rows),
            "hours": rng.random(rows) * 10.0 ** rng.integers(-3, 4, rows),
        }
    )
    no_owner = pl.col("owner") == ""
    return frame.with_columns(pl.when(no_owner).then(None).otherwise("owner").alias("owner"))


def test_the_same_groups_as_a_group_by() -> None:
    frame = _frame(5_000, 1)
    keys = ["owner", "currency"]
    found = grouped_in_runs(frame, keys, pl.col("hours").sum(), pl.len().alias("n"))
    expected = frame.group_by(keys).agg(pl.col("hours").sum(), pl.len().alias("n"))
    order = pl.col("owner"), pl.col("currency")
    assert found.columns == ["owner", "currency", "hours", "n"]
    assert_frame_equal(
        found.sort(order, nulls_last=True),
        expected.sort(order, nulls_last=True),
        check_exact=False,
        rel_tol=1e-12,
    )
    assert found.height == 8 and found["n"].sum() == frame.height


def test_a_groups_sum_does_not_depend_on_the_rest_of_the_frame() -> None:
    """The rows of each group in the same order, the groups interleaved otherwise (and
    other rows added): every sum is the same to the last bit."""
    frame = _frame(400_000, 2).with_row_index("row")
    extra = _frame(100_000, 4).with_columns(pl.lit("zed").alias("owner")).with_row_index("row")
    mixed = pl.concat([extra, frame]).sample(fraction=1.0, seed=5)
    # each group's rows back in their order, the groups interleaved
    mixed = mixed.sort(pl.col("row").rank("ordinal").over("owner", "currency"))
    assert not mixed["owner"].equals(frame["owner"])
    keys = ["owner", "currency"]
    first = grouped_in_runs(frame.drop("row"), keys, pl.col("hours").sum())
    second = grouped_in_runs(mixed.drop("row"), keys, pl.col("hours").sum())
    order = [pl.col("owner"), pl.col("currency")]
    second = second.filter(pl.col("owner").ne_missing("zed"))
    assert_frame_equal(
        first.sort(order, nulls_last=True), second.sort(order, nulls_last=True), check_exact=True
    )
