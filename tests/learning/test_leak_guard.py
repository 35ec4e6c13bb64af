"""Attributes as features, and the guard against the ones that give the outcome away."""

from __future__ import annotations

import json

import numpy as np
import polars as pl
import pytest

from tests.learning.synthetic import history_pipeline
from walkaway.flags.rulebook import find_flags_frame
from walkaway.learning.guard import PROBABILITY, SEPARATION_AUC, USER, telling_auc
from walkaway.learning.model import LearnedWinModel
from walkaway.models import Pipeline
from walkaway.policy import Policy, load_policy
from walkaway.signals.frame import compute_signals


@pytest.fixture(scope="module")
def policy() -> Policy:
    return load_policy()


def _with_attributes(pipeline: Pipeline, seed: int = 1) -> Pipeline:
    """Plant attributes: the value at the close (0 when lost: a leak), the CRM's
    probability, an id, a useful-looking number and a low-cardinality category."""
    rng = np.random.default_rng(seed)
    rows = []
    for deal_id, outcome, amount in pipeline.deals.select(
        "deal_id", "outcome", "amount"
    ).iter_rows():
        won = outcome == "won"
        rows.append(
            json.dumps(
                {
                    "close_value": str(amount if won else 0) if outcome != "open" else None,
                    "crm_probability": 1.0 if won else 0.0,
                    "ticket": f"T-{deal_id}",
                    "employees": str(int(rng.integers(10, 5000))),
                    "industry": str(rng.choice(["retail", "health", "banking"])),
                    "internal_score": float(rng.random()),
                }
            )
        )
    return Pipeline(pipeline.deals.with_columns(pl.Series("attributes", rows)), pipeline.activities)


@pytest.fixture(scope="module")
def fitted(policy: Policy) -> tuple[LearnedWinModel, Pipeline]:
    pipeline, as_of = history_pipeline(60, 80, seed=14)
    pipeline = _with_attributes(pipeline)
    model = LearnedWinModel(policy, exclude_attributes=["Internal_Score"]).fit(pipeline, as_of)
    return model, pipeline


def test_a_planted_leak_is_dropped_and_named(
    fitted: tuple[LearnedWinModel, Pipeline],
) -> None:
    model, _ = fitted
    reasons = {e.name: e.reason for e in model.excluded_}
    assert reasons["close_value"].startswith("recorded after the outcome? alone it tells won")
    assert reasons["crm_probability"] == PROBABILITY
    assert reasons["internal_score"] == USER
    assert "distinct values" in reasons["ticket"]
    used = {f.column for f in model.features_ if f.source == "attribute"}
    assert used == {"employees", "industry"}
    assert all(f.name.startswith("attr_") for f in model.features_ if f.source == "attribute")


def test_attributes_are_read_as_numbers_and_categories(
    fitted: tuple[LearnedWinModel, Pipeline],
) -> None:
    model, _ = fitted
    kinds = {f.column: (f.kind, f.categories) for f in model.features_ if f.source == "attribute"}
    assert kinds["employees"] == ("numeric", ())
    assert kinds["industry"][0] == "categorical"
    assert set(kinds["industry"][1]) == {"retail", "health", "banking"}


def test_predictions_read_attributes_from_the_attached_deals(
    fitted: tuple[LearnedWinModel, Pipeline], policy: Policy
) -> None:
    model, pipeline = fitted
    as_of = pipeline.deals["created_at"].max()
    signals = compute_signals(pipeline, as_of, policy)  # type: ignore[arg-type]
    flags = find_flags_frame(signals, policy)
    attached = model.predict_proba(signals, flags)
    inline = model.predict_proba(
        signals.join(pipeline.deals.select("deal_id", "attributes"), on="deal_id"), flags
    )
    assert attached.to_list() == inline.to_list()


def test_telling_auc() -> None:
    won = np.array([0, 0, 0, 1, 1, 1])
    assert telling_auc(pl.Series([0.0, 0, 0, 5, 7, 9]), won) == 1.0
    assert telling_auc(pl.Series([9.0, 8, 7, 1, 2, None]), won) == 1.0
    noise = telling_auc(pl.Series([1.0, 2, 3, 1, 2, 3]), won)
    assert noise == pytest.approx(0.5)
    many = pl.Series(["a", "b"] * 200)
    assert telling_auc(many, np.tile([0, 1], 200)) > SEPARATION_AUC


def test_many_small_levels_tell_nothing_by_being_rare() -> None:
    rng = np.random.default_rng(3)
    levels = pl.Series([f"manager {i}" for i in rng.integers(0, 300, 3000)])
    won = (rng.random(3000) < 0.3).astype(np.int64)  # no relation to the manager
    assert telling_auc(levels, won) < 0.6
