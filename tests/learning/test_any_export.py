"""The learned model on the exports real teams have: it learns from every honest column,
leaves out the ones set at the close or after the outcome and says so, and never crashes."""

from __future__ import annotations

import polars as pl
import pytest
from sklearn.metrics import roc_auc_score

from tests.learning.exports import Export, export
from walkaway.backtest.line import with_line
from walkaway.decision.assess import assess_frame
from walkaway.learning.card import PRIOR, PRIOR_ALONE
from walkaway.learning.stack import StackedWinModel, train_win_model
from walkaway.policy import Policy, load_policy


@pytest.fixture(scope="module")
def policy() -> Policy:
    return load_policy()


def _trained(data: Export, policy: Policy, **options: object) -> StackedWinModel:
    model = train_win_model(data.pipeline, data.as_of, policy, **options)  # type: ignore[arg-type]
    return with_line(model, policy).attach(data.pipeline.deals)


def _scored(data: Export, policy: Policy, model: StackedWinModel) -> pl.DataFrame:
    frame = assess_frame(data.pipeline, data.as_of, policy, model)
    return frame.join(data.outcomes, on="deal_id")


def _left_out(model: StackedWinModel) -> dict[str, str]:
    return {e.name: e.reason for e in model.card_.excluded}


def test_columns_set_at_the_close_are_left_out_and_named(policy: Policy) -> None:
    data = export(900, seed=2, close_time=True)
    model = _trained(data, policy)
    reasons = _left_out(model)
    for column in ("net_amount", "billing_plan"):
        assert "of the open ones: set at the close?" in reasons[column]
        assert "filled on" in reasons[column]
    learned = model.learned_
    used = {f.column for f in learned.features_} if learned is not None else set()
    assert not used & {"net_amount", "billing_plan"}
    scored = _scored(data, policy, model)
    won = scored.filter(pl.col("won") == 1)
    walked = won.filter(pl.col("recommendation") == "walk_away").height
    assert walked <= 0.1 * won.height  # the wins are not given up


def test_a_column_written_after_the_outcome_is_named_and_kept_on_request(policy: Policy) -> None:
    data = export(900, seed=3, after_outcome=True, open_share=0.0001)  # a closed-only export
    reasons = _left_out(_trained(data, policy))
    assert reasons["tags"].startswith("recorded after the outcome? alone it tells won from lost")
    assert "--keep-attribute tags" in reasons["tags"]
    kept = _trained(data, policy, keep_attributes=["Tags"])
    assert "tags" not in _left_out(kept)


def test_every_honest_column_is_used(policy: Policy) -> None:
    data = export(
        2500,
        seed=4,
        categories={"bid_manager": (278, 0.7), "client_category": (41, 0.6), "sector": (8, 0.3)},
        reps=30,
        rep_skill=0.8,
        seconds=True,
    )
    model = _trained(data, policy)
    reasons = _left_out(model)
    assert model.learned_ is not None, model.card_.verdict
    used = {f.column for f in model.learned_.features_}
    assert {"bid_manager", "client_category", "time_on_site_seconds", "owner"} <= used, reasons
    scored = _scored(data, policy, model)
    auc = roc_auc_score(scored["won"].to_numpy(), scored["win_probability"].to_numpy())
    assert auc > 0.7


@pytest.mark.parametrize(
    "shape",
    [
        {"amount": 1000.0, "categories": {"origin": (8, 0.5), "landing_page": (30, 0.4)}},
        {"amount": 1000.0, "same_day": True, "categories": {"origin": (8, 0.5)}},
        {"amount": 1000.0, "same_day": True, "categories": {"origin": (1, 0.0)}, "reps": 1},
        {"n": 60, "open_share": 0.33},
        {"before_creation": 0.05},
    ],
    ids=["no-numeric", "no-numeric-one-day", "every-feature-constant", "40-deals", "early-closes"],
)
def test_any_valid_export_trains_and_reviews(policy: Policy, shape: dict[str, object]) -> None:
    data = export(**shape)  # type: ignore[arg-type]
    model = _trained(data, policy)
    assert model.card_.verdict  # says what it is, whatever it is
    scored = _scored(data, policy, model)
    assert scored.height == data.outcomes.height
    assert scored["win_probability"].is_between(0.0, 1.0).all()


def test_deals_closed_on_or_before_their_creation_are_learned_from(policy: Policy) -> None:
    data = export(600, seed=6, before_creation=0.1)
    model = _trained(data, policy)
    closed = data.pipeline.deals.filter(pl.col("outcome") != "open").height
    assert model.card_.kind != PRIOR
    assert model.card_.looked_deals == closed


def _votes(data: Export, columns: int, accuracy: float, seed: int) -> Export:
    """``data`` with ``columns`` attributes that each agree with the outcome on
    ``accuracy`` of the closed deals: none too good alone, together nearly perfect."""
    import json

    import numpy as np

    rng = np.random.default_rng(seed)
    deals = data.pipeline.deals
    won = (deals["outcome"] == "won").to_numpy()
    rows = []
    for attributes, is_won in zip(deals["attributes"].to_list(), won, strict=True):
        row = json.loads(attributes)
        for k in range(columns):
            agrees = rng.random() < accuracy
            row[f"note_{k}"] = "good" if agrees == is_won else "bad"
        rows.append(json.dumps(row))
    pipeline = type(data.pipeline)(
        deals.with_columns(pl.Series("attributes", rows)), data.pipeline.activities
    )
    return Export(pipeline, data.as_of, data.outcomes)


def test_a_validation_too_good_to_be_true_drives_nothing(policy: Policy) -> None:
    data = _votes(export(1200, seed=7, open_share=0.0001), columns=5, accuracy=0.84, seed=7)
    model = _trained(data, policy)
    reasons = _left_out(model)
    assert not any(name.startswith("note_") for name in reasons)  # each passes alone
    card = model.card_
    assert card.suspect is not None and card.suspect >= 0.95
    assert card.verdict.startswith("suspect: the learned model validated at AUC")
    assert model.learned_ is None and card.in_force == PRIOR_ALONE


def test_the_card_says_one_figure_per_model_and_the_verdict_agrees(policy: Policy) -> None:
    model = _trained(export(1500, seed=8, categories={"origin": (6, 0.9)}), policy)
    card = model.card_
    labels = [label for label, _, _ in card.tried]
    assert len(labels) == len(set(labels)) and card.in_force in labels
    in_force = next(row for row in card.tried if row[0] == card.in_force)
    assert card.validation is not None and in_force[2] == pytest.approx(card.validation.auc)
    assert f"AUC {card.validation.auc:.2f}" in card.verdict
    text = card.to_text()
    assert text.count("<- in force") == 1
    assert "100.0%" not in "\n".join(line for line in text.splitlines() if "Walk-away line" in line)
