"""A learned model that does not fool itself: identifiers left out, a deal's looks kept
together, the validation scheme that suits the closes, a model that suits the size."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import numpy as np
import polars as pl
import pytest

from tests.learning.synthetic import history_pipeline
from walkaway.learning.card import PRIOR_ALONE, STACKED
from walkaway.learning.choose import candidates
from walkaway.learning.folds import GROUPED, TIME, make_folds
from walkaway.learning.guard import attribute_features
from walkaway.learning.model import distinct_looks
from walkaway.learning.rows import training_rows
from walkaway.learning.stack import train_win_model
from walkaway.models import DEAL_SCHEMA
from walkaway.policy import Policy, load_policy
from walkaway.sample import shapes


@pytest.fixture(scope="module")
def policy() -> Policy:
    return load_policy()


def closed_deals(attributes: list[dict[str, object]]) -> pl.DataFrame:
    rows = [
        {**dict.fromkeys(DEAL_SCHEMA), "deal_id": f"D{i}", "attributes": json.dumps(a)}
        for i, a in enumerate(attributes)
    ]
    return pl.DataFrame(rows, schema=DEAL_SCHEMA)


def test_identifiers_in_disguise_are_left_out_and_said_so() -> None:
    rng = np.random.default_rng(1)
    n = 200
    deals = closed_deals(
        [
            {
                "client": f"Client {i}",  # near-unique text
                "opportunity": int(5000 + i),  # a running number
                "crm_ref": f"{rng.integers(0, 40)}",  # named like an id
                "employees": int(rng.choice([12, 40, 250, 1800, 9000])),  # a real number
                "product": str(rng.choice(["core", "addon"])),
            }
            for i in range(n)
        ]
    )
    features, excluded = attribute_features(deals, ())
    kept = {f.column for f in features}
    assert kept == {"employees", "product"}
    reasons = {e.name: e.reason for e in excluded}
    assert "an identifier or free text" in reasons["client"]
    assert "running number" in reasons["opportunity"]
    assert "named like an identifier" in reasons["crm_ref"]


def test_rare_categories_are_counted_per_deal_not_per_look() -> None:
    deals = closed_deals([{"region": "north"}] * 4 + [{"region": "south"}] * 20)
    (feature,), _ = attribute_features(deals, ())
    assert feature.categories == ("south",)  # four deals are not enough, however looked at


def test_a_deals_looks_are_never_split(policy: Policy) -> None:
    over_time, _ = history_pipeline(60, 60, seed=2)
    on_one_day = shapes.qualification_only(300, seed=2)
    for pipeline, as_of, scheme in (
        (over_time, datetime(2025, 2, 4), TIME),
        (on_one_day.pipeline, on_one_day.as_of, GROUPED),
    ):
        rows = training_rows(pipeline, as_of, policy)
        folds = make_folds(rows)
        assert folds.scheme == scheme
        per_deal = rows.select("deal_id").with_columns(pl.Series("fold", folds.fold))
        assert per_deal.group_by("deal_id").agg(pl.col("fold").n_unique())["fold"].max() == 1
        for train, test in folds.splits():
            assert not set(rows.filter(pl.Series(train))["deal_id"]) & set(
                rows.filter(pl.Series(test))["deal_id"]
            )


def test_grouped_folds_are_stratified(policy: Policy) -> None:
    shape = shapes.qualification_only(300, seed=4)
    rows = training_rows(shape.pipeline, shape.as_of, policy)
    folds = make_folds(rows)
    won = rows["won"].to_numpy()
    shares = [won[folds.fold == k].mean() for k in range(folds.count)]
    assert max(shares) - min(shares) < 0.05


def test_identical_looks_of_a_deal_become_one_with_their_weight() -> None:
    cut = datetime(2025, 1, 1)
    rows = pl.DataFrame(
        {
            "deal_id": ["A", "A", "A", "B"],
            "cut": [cut, cut + timedelta(days=7), cut + timedelta(days=14), cut],
            "weight": [1.0, 1.5, 2.0, 1.0],
            "prior_logit": [0.1, 0.1, 0.1, 0.1],
            "x": [3.0, 3.0, 4.0, 3.0],
        }
    )
    merged = distinct_looks(rows, rows.select("x"))
    assert merged.select("deal_id", "cut", "weight").rows() == [
        ("A", cut, 2.5),
        ("A", cut + timedelta(days=14), 2.0),
        ("B", cut, 1.0),
    ]


def test_small_data_gets_models_that_suit_it() -> None:
    few = {c.label for c in candidates(300)}
    assert any("logistic" in label for label in few)
    assert "gradient boosting, 4 leaves" in few and "gradient boosting, 15 leaves" not in few
    many = {c.label for c in candidates(50_000)}
    assert "gradient boosting, 15 leaves" in many and not any("logistic" in x for x in many)


def test_every_close_on_one_date_is_validated_in_folds_and_the_card_says_so(
    policy: Policy,
) -> None:
    shape = shapes.qualification_only(300, seed=6)
    split = shapes.split_history(shape)
    card = train_win_model(split.pipeline, split.as_of, policy).card_
    assert card.scheme is not None and "grouped, stratified folds" in card.scheme
    assert card.training_looks == card.looked_deals  # no activity log: one look per deal
    learned = {c.label for c in candidates(card.looked_deals)}
    assert {label for label, _, _ in card.tried} == learned | {PRIOR_ALONE, STACKED}
    assert {e.name for e in card.excluded} >= {"client", "ref"}
    text = card.to_text()
    assert "grouped, stratified folds" in text and "every model below is measured" in text
