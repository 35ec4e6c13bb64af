"""Reasons come from the model's own contributions, in their order and with their sign."""

from __future__ import annotations

import json

import polars as pl
import pytest

from tests.learning.synthetic import history_pipeline
from walkaway.flags.rulebook import find_flags_frame
from walkaway.learning.model import LearnedWinModel
from walkaway.learning.prior import odds_effect
from walkaway.learning.reasons import MAX_REASONS, MIN_EFFECT
from walkaway.learning.stack import StackedWinModel, train_win_model
from walkaway.policy import Policy, load_policy
from walkaway.signals.frame import compute_signals


@pytest.fixture(scope="module")
def policy() -> Policy:
    return load_policy()


@pytest.fixture(scope="module")
def fitted(policy: Policy) -> tuple[LearnedWinModel, pl.DataFrame, pl.DataFrame]:
    pipeline, as_of = history_pipeline(70, 90, open_deals=30, seed=8)
    model = LearnedWinModel(policy).fit(pipeline, as_of)
    signals = compute_signals(pipeline, as_of, policy)
    return model, signals, find_flags_frame(signals, policy)


def test_contributions_are_the_scorers_and_add_up_to_the_score(
    fitted: tuple[LearnedWinModel, pl.DataFrame, pl.DataFrame],
) -> None:
    model, signals, flags = fitted
    wide = model.contributions(signals, flags)
    x = model._design(signals, flags)
    direct = model.scorer_.contributions(x)
    assert wide.drop("deal_id").to_numpy() == pytest.approx(direct)
    assert direct.sum(axis=1) == pytest.approx(model.raw_scores(signals, flags))


def test_reasons_follow_the_contributions_order_and_sign(
    fitted: tuple[LearnedWinModel, pl.DataFrame, pl.DataFrame],
) -> None:
    model, signals, flags = fitted
    wide = model.contributions(signals, flags)
    scores = model.score(signals, flags)
    explained = model.explain(scores)
    reasons = model.reasons(scores)
    assert reasons["deal_id"].to_list() == signals["deal_id"].to_list()
    names = [f.name for f in model.features_]
    scale = model.effect_scale_
    assert scale > 0
    for row, deal_id in enumerate(signals["deal_id"]):
        effects = wide.row(row, named=True)
        strongest_for = sorted(
            (n for n in names if effects[n] * scale >= MIN_EFFECT), key=lambda n: -effects[n]
        )[:MAX_REASONS]
        strongest_against = sorted(
            (n for n in names if -effects[n] * scale >= MIN_EFFECT), key=lambda n: effects[n]
        )[:MAX_REASONS]
        mine = explained.filter(pl.col("deal_id") == deal_id)
        pro = mine.filter(pl.col("side") == "for").sort("rank")
        con = mine.filter(pl.col("side") == "against").sort("rank")
        assert pro["name"].to_list() == strongest_for
        assert con["name"].to_list() == strongest_against
        assert (pro["contribution"] > 0).all() and (con["contribution"] < 0).all()
        said = reasons.row(row, named=True)
        assert said["reasons_for"] == pro["sentence"].to_list()
        assert said["reasons_against"] == con["sentence"].to_list()
    assert explained.height > 0


def test_a_quiet_buyer_is_a_reason_against_with_the_deals_own_numbers(
    fitted: tuple[LearnedWinModel, pl.DataFrame, pl.DataFrame],
) -> None:
    model, signals, flags = fitted
    explained = model.explain(model.score(signals, flags)).filter(
        (pl.col("name") == "days_since_inbound") & (pl.col("side") == "against")
    )
    assert explained.height > 0
    for deal_id, sentence in explained.select("deal_id", "sentence").iter_rows():
        days = signals.filter(pl.col("deal_id") == deal_id)["days_since_inbound"][0]
        assert sentence.startswith(f"No reply for {round(days)} days")
        assert "deals like this that were won had heard back within" in sentence


def test_the_rep_s_manual_probability_is_shown_and_never_changed(
    fitted: tuple[LearnedWinModel, pl.DataFrame, pl.DataFrame],
) -> None:
    model, signals, flags = fitted
    manual = pl.Series("manual_probability", [0.9] * signals.height)
    given = signals.with_columns(manual)
    scores = model.score(given, flags)
    reasons = model.reasons(scores)
    assert reasons["manual_probability"].to_list() == [0.9] * signals.height
    assert scores.probability.to_list() == model.predict_proba(signals, flags).to_list()
    assert given["manual_probability"].to_list() == [0.9] * signals.height


def test_blended_reasons_come_from_the_part_that_carries_the_probability(
    policy: Policy,
) -> None:
    pipeline, as_of = history_pipeline(70, 90, open_deals=10, seed=8)
    model = train_win_model(pipeline, as_of, policy)
    assert model.learned_ is not None and model.weight_ >= 0.5
    signals = compute_signals(pipeline, as_of, policy)
    flags = find_flags_frame(signals, policy)
    assert model.stack_ is not None
    learned = model.learned_.reasons(
        model.learned_.score(signals, flags), scale=model.stack_.learned
    )
    carried = model.reasons(model.score(signals, flags))
    pairs = zip(
        carried["reasons_against"].to_list(), learned["reasons_against"].to_list(), strict=True
    )
    for mine, its in pairs:
        assert mine == its[:5]
    # The same model stored with the prior carrying most of each probability.
    document = json.loads(model.to_bytes())
    document["stack"][1] = 0.01
    document["card"]["learned_share"] = 0.1
    mostly_prior = StackedWinModel.from_bytes(json.dumps(document).encode(), policy)
    mostly_prior.attach(pipeline.deals)
    blended = mostly_prior.reasons(mostly_prior.score(signals, flags))
    prior = model.prior_.reasons(model.prior_.score(signals, flags))
    for mine, its in zip(blended["reasons_for"], prior["reasons_for"], strict=True):
        assert mine[0] == its[0] and len(mine) <= 5


def test_no_open_deal_no_reason(policy: Policy) -> None:
    pipeline, as_of = history_pipeline(30, 30, open_deals=0, seed=9)
    model = LearnedWinModel(policy).fit(pipeline, as_of)
    signals = compute_signals(pipeline, as_of, policy)
    assert signals.height == 0
    flags = find_flags_frame(signals, policy)
    assert model.predict_proba(signals, flags).len() == 0
    reasons = model.reasons(model.score(signals, flags))
    assert reasons.height == 0
    assert reasons.columns == ["deal_id", "reasons_for", "reasons_against"]


def test_the_odds_effect_of_a_deal_years_in_a_stage_reads_in_words() -> None:
    """A deal a year in a stage won deals leave in a week halves its odds 50 times over:
    the sentence says "more than 1,000" (a whole number of 2^50 broke every review)."""
    factors = pl.DataFrame({"f": [0.6, 0.05, 0.5**70, 0.0]})
    said = factors.select(odds_effect(pl.col("f"))).to_series().to_list()
    assert said == [
        "lowers the odds by 40%",
        "divides the odds by 20",
        "divides the odds by more than 1,000",
        "divides the odds by more than 1,000",
    ]
