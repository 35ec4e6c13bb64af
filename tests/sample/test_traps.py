"""The trap shapes of issue 26: deterministic, the sizes and columns they promise, and
each trap where it should be (and nowhere else)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from sklearn.metrics import roc_auc_score

from walkaway.sample import leads, traps
from walkaway.sample.shapes import (
    AFTER_OUTCOME,
    AT_CLOSE,
    MILD_LEAK,
    Shape,
    split_history,
    write_export,
)
from walkaway.service import import_files
from walkaway.store import Store
from walkaway.store.frames import load_deals

HONEST_SF = ("lead_source", "industry", "region", "type")


def attributes(deals: pl.DataFrame) -> pl.DataFrame:
    return deals["attributes"].str.json_decode(infer_schema_length=None).struct.unnest()


def numeric(column: pl.Series) -> bool:
    filled = column.drop_nulls()
    return bool(filled.len()) and filled.cast(pl.Float64, strict=False).null_count() == 0


def alone_auc(values: pl.Series, won: np.ndarray) -> float:
    """How well one text column alone tells won from lost: each value scored by its win rate."""
    frame = pl.DataFrame({"v": values.fill_null("(empty)"), "y": won})
    rate = frame.select(pl.col("y").mean().over("v"))["y"].to_numpy()
    return float(roc_auc_score(won, rate))


@pytest.fixture(scope="module")
def close_time() -> Shape:
    return traps.close_time_columns()


@pytest.fixture(scope="module")
def funnel() -> Shape:
    return leads.lead_funnel()


@pytest.mark.parametrize(
    "make",
    [traps.close_time_columns, traps.bids, leads.lead_funnel, leads.mql_funnel],
    ids=lambda make: make.__name__,
)
def test_a_seed_makes_the_same_shape_and_another_seed_another(
    make: Callable[..., Shape],
) -> None:
    first, again, other = make(300, seed=4), make(300, seed=4), make(300, seed=5)
    assert first.pipeline.deals.equals(again.pipeline.deals)
    assert first.pipeline.activities.equals(again.pipeline.activities)
    assert first.truth.equals(again.truth)
    assert not first.pipeline.deals.equals(other.pipeline.deals)


@pytest.mark.parametrize(
    "make",
    [traps.close_time_columns, traps.bids, leads.lead_funnel, leads.mql_funnel],
    ids=lambda make: make.__name__,
)
def test_every_deal_has_a_true_chance_and_an_outcome_drawn_from_it(
    make: Callable[..., Shape],
) -> None:
    shape = make(2000, seed=1)
    truth = shape.truth
    assert truth["deal_id"].to_list() == shape.pipeline.deals["deal_id"].to_list()
    assert truth["p"].min() > 0 and truth["p"].max() < 1  # type: ignore[operator]
    won = (shape.pipeline.deals["outcome"] == "won").cast(pl.Int8)
    assert truth["won"].equals(won, check_names=False)
    assert abs(float(truth["p"].mean()) - float(won.mean())) < 0.04  # type: ignore[arg-type]
    assert roc_auc_score(truth["won"], truth["p"]) > 0.55
    deals = shape.pipeline.deals
    assert (deals["closed_at"] < shape.as_of).all()
    assert deals["closed_at"].dt.time().n_unique() == 1  # dates only, as reports export them


def test_the_close_time_export_is_the_size_and_columns_promised(close_time: Shape) -> None:
    deals = close_time.pipeline.deals
    assert deals.height == 1200
    assert attributes(deals).columns == [*HONEST_SF, *traps.CLOSE_TIME]
    assert close_time.traps == dict.fromkeys(traps.CLOSE_TIME, AT_CLOSE)
    assert deals["owner"].n_unique() == 15
    span = deals["closed_at"].max() - deals["created_at"].min()  # type: ignore[operator]
    assert 1.5 * 365 < span.days < 3.5 * 365
    stages = close_time.pipeline.activities.filter(pl.col("kind") == "stage_change")
    assert set(stages["stage"]) == set(traps.SF_STAGES)


def test_close_time_columns_are_set_on_most_closed_deals_and_tell_the_outcome(
    close_time: Shape,
) -> None:
    table = attributes(close_time.pipeline.deals)
    won = close_time.truth["won"].to_numpy()
    for column in traps.CLOSE_TIME:
        assert 0.78 <= 1 - table[column].null_count() / table.height <= 0.92, column
    filled = table["billing_plan"].is_not_null().to_numpy()
    assert alone_auc(table["billing_plan"].filter(filled), won[filled]) > 0.97
    assert (
        table["net_amount"].cast(pl.Float64).filter(pl.Series(won == 0)).drop_nulls() == 0
    ).all()
    for column in HONEST_SF:  # an honest column tells a little, never a lot
        assert alone_auc(table[column], won) < 0.7, column


def test_the_split_empties_the_close_time_columns_on_every_deal_still_open(
    close_time: Shape,
) -> None:
    split = split_history(close_time)
    deals = split.pipeline.deals
    table = attributes(deals)
    still_open = (deals["outcome"] == "open").to_numpy()
    assert 200 < still_open.sum() < 350  # about the 261 open deals of the export
    for column in traps.CLOSE_TIME:
        assert table[column].filter(pl.Series(still_open)).null_count() == still_open.sum()
        assert (
            table[column].filter(pl.Series(~still_open)).null_count() < 0.25 * (~still_open).sum()
        )
    for column in HONEST_SF:
        assert table[column].null_count() == 0
    assert set(split.open_outcomes["deal_id"]) == set(deals.filter(outcome="open")["deal_id"])


def test_an_open_deal_shows_the_stage_it_stood_in_at_the_cut(close_time: Shape) -> None:
    split = split_history(close_time)
    opened = split.pipeline.deals.filter(outcome="open")
    then = (
        split.pipeline.activities.filter(kind="stage_change")
        .sort("at")
        .group_by("deal_id")
        .agg(pl.col("stage").last())
    )
    joined = opened.select("deal_id", "stage").join(then, on="deal_id", suffix="_then")
    assert joined.height == opened.height
    assert (joined["stage"] == joined["stage_then"]).all()
    assert opened["stage"].n_unique() > 1  # not every deal's last stage, as at its close


def test_only_the_last_40_closes_stay_in_the_small_history(close_time: Shape) -> None:
    full, small = split_history(close_time), split_history(close_time, history=40)
    closed = small.pipeline.deals.filter(pl.col("outcome") != "open")
    assert closed.height == 40
    latest = full.pipeline.deals.filter(pl.col("outcome") != "open").sort("closed_at").tail(40)
    assert set(closed["deal_id"]) == set(latest["deal_id"])
    assert small.as_of == full.as_of
    assert small.open_outcomes.sort("deal_id").equals(full.open_outcomes.sort("deal_id"))
    kept = set(small.pipeline.deals["deal_id"])
    assert set(small.pipeline.activities["deal_id"]) <= kept


def test_bids_carry_many_valued_categories_and_the_bid_manager_as_owner() -> None:
    shape = traps.bids()
    deals = shape.pipeline.deals
    assert deals.height == 9800 and shape.traps == {}
    table = attributes(deals)
    assert table.columns == ["client_category", "solution_type", "sector", "location", "vp_name"]
    distinct = {c: table[c].n_unique() for c in table.columns}
    assert 35 <= distinct["client_category"] <= 41
    assert 60 <= distinct["solution_type"] <= 67
    assert 38 <= distinct["vp_name"] <= 43
    assert distinct["sector"] == 10 and distinct["location"] == 12
    assert 250 <= deals["owner"].n_unique() <= 278
    assert (deals["amount"] > 0).all() and deals["amount"].log().std() > 0.8  # type: ignore[operator]
    assert deals["stage"].n_unique() == 1


def test_the_lead_funnel_has_its_columns_its_seconds_and_a_tag_written_after(
    funnel: Shape,
) -> None:
    deals = funnel.pipeline.deals
    table = attributes(deals)
    assert deals.height == 9200 and table.width == 34
    assert funnel.traps == {"tags": AFTER_OUTCOME, "lead_quality": MILD_LEAK}
    assert table["country"].drop_nulls().n_unique() == 33
    seconds = table["time_on_site_seconds"].cast(pl.Int64)
    assert seconds.n_unique() > 1000 and seconds.max() <= 2300  # type: ignore[operator]
    assert (table["time_on_site_seconds"].str.contains(r"^\d+$")).all()  # whole seconds
    won = funnel.truth["won"].to_numpy()
    assert roc_auc_score(won, seconds.to_numpy()) > 0.6  # a real measurement: it predicts
    assert 0.93 <= alone_auc(table["tags"], won) <= 0.97
    assert 0.55 <= alone_auc(table["lead_quality"], won) <= 0.7
    assert sum(table[c].n_unique() == 1 for c in table.columns) >= 3  # constant columns too


def test_the_after_outcome_columns_stay_on_open_leads(funnel: Shape) -> None:
    split = split_history(funnel)
    table = attributes(split.pipeline.deals.filter(outcome="open"))
    assert table["tags"].null_count() < 0.5 * table.height  # a one-off export: written on all


def test_the_mql_funnel_has_no_numeric_column() -> None:
    shape = leads.mql_funnel()
    deals = shape.pipeline.deals
    table = attributes(deals)
    assert deals.height == 8000 and shape.traps == {}
    assert table.columns == ["origin", "landing_page"]
    assert not any(numeric(table[c]) for c in table.columns)
    assert table["origin"].n_unique() == 8 and 25 <= table["landing_page"].n_unique() <= 30
    assert deals["amount"].n_unique() == 1 and deals["stage"].n_unique() == 1
    assert deals["owner"].null_count() == deals.height


def test_the_export_imports_as_the_split_with_its_attributes(
    sqlite_store: Store, tmp_path: Path
) -> None:
    split = split_history(traps.close_time_columns(300, seed=2))
    deals_csv, activities_csv = write_export(split.pipeline, tmp_path)
    assert "net_amount" in deals_csv.read_text().splitlines()[0].split(",")
    import_files(sqlite_store, deals_csv, activities_csv, format="generic")
    with sqlite_store.connect() as conn:
        stored = load_deals(conn).sort("deal_id")
    expected = split.pipeline.deals.sort("deal_id")
    assert stored["deal_id"].to_list() == expected["deal_id"].to_list()
    assert stored["outcome"].to_list() == expected["outcome"].to_list()
    assert attributes(stored).equals(attributes(expected))
    assert stored["created_at"].to_list() == expected["created_at"].to_list()
    assert isinstance(stored["created_at"][0], datetime)
