"""The edge shapes: each is the edge it is named for, and nothing else changes."""

from __future__ import annotations

import polars as pl
import pytest

from walkaway.sample.edges import EDGES, edge_shape
from walkaway.sample.shapes import split_history


def attributes(deals: pl.DataFrame) -> pl.DataFrame:
    return deals["attributes"].str.json_decode(infer_schema_length=None).struct.unnest()


def numeric(column: pl.Series) -> bool:
    filled = column.drop_nulls()
    return bool(filled.len()) and filled.cast(pl.Float64, strict=False).null_count() == 0


@pytest.mark.parametrize("name", EDGES)
def test_every_edge_is_seeded_splits_and_has_both_outcomes(name: str) -> None:
    shape = edge_shape(name)
    assert shape.pipeline.deals.equals(edge_shape(name).pipeline.deals)
    assert not shape.pipeline.deals.equals(edge_shape(name, seed=4).pipeline.deals)
    assert set(shape.pipeline.deals["outcome"]) == {"won", "lost"}
    split = split_history(shape)
    assert split.open_outcomes.height > 0
    assert split.pipeline.deals.filter(pl.col("outcome") != "open").height > 20


def test_no_numeric_column() -> None:
    deals = edge_shape("no-numeric").pipeline.deals
    table = attributes(deals)
    assert table.width == 2 and not any(numeric(table[c]) for c in table.columns)
    assert deals["amount"].n_unique() == 1


def test_every_feature_constant() -> None:
    shape = edge_shape("constant-features")
    deals = shape.pipeline.deals
    table = attributes(deals)
    assert all(table[c].n_unique() == 1 for c in table.columns)
    assert deals["amount"].n_unique() == 1 and deals["stage"].n_unique() == 1
    assert shape.truth["p"].n_unique() == 1


def test_one_category_is_the_only_column() -> None:
    deals = edge_shape("one-category").pipeline.deals
    assert attributes(deals).columns == ["segment"]
    assert deals["amount"].n_unique() == 1 and deals["stage"].n_unique() == 1


def test_only_identifiers() -> None:
    deals = edge_shape("only-identifiers").pipeline.deals
    table = attributes(deals)
    assert all(table[c].n_unique() == deals.height for c in table.columns)


def test_forty_deals_one_stage_and_one_close_day() -> None:
    assert edge_shape("forty-deals").pipeline.deals.height == 40
    assert edge_shape("one-stage").pipeline.deals["stage"].n_unique() == 1
    assert edge_shape("one-close-day").pipeline.deals["closed_at"].n_unique() == 1
    assert edge_shape("no-numeric").pipeline.deals["stage"].n_unique() == 3


def test_some_deals_closed_on_or_before_the_day_they_were_created() -> None:
    deals = edge_shape("closed-before-created", 1000).pipeline.deals
    early = deals.filter(pl.col("closed_at") <= pl.col("created_at"))
    assert 0.02 <= early.height / deals.height <= 0.06
    assert (early["closed_at"] == early["created_at"]).any()
    assert (early["closed_at"] < early["created_at"]).any()


def test_an_unknown_edge_is_refused_with_the_names() -> None:
    with pytest.raises(ValueError, match="one-close-day"):
        edge_shape("no-such-edge")
