"""A review scores each deal once: the probability, the one with the open questions
answered and the reasons all come from one scoring pass of each part of the model."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import polars as pl
import pytest
from tests.learning.synthetic import history_pipeline

import walkaway.learning.model as learned_module
from walkaway.decision.assess import assess_frame
from walkaway.flags.rulebook import find_flags_frame
from walkaway.learning.prior import PriorModel
from walkaway.learning.stack import train_win_model
from walkaway.policy import load_policy
from walkaway.signals.frame import compute_signals


def _counted(calls: Counter[str], name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        calls[name] += 1
        return function(*args, **kwargs)

    return wrapper


def test_a_review_scores_each_deal_once(monkeypatch: pytest.MonkeyPatch) -> None:
    policy = load_policy()
    pipeline, as_of = history_pipeline(70, 90, open_deals=30, seed=8)
    model = train_win_model(pipeline, as_of, policy)
    assert model.learned_ is not None and model.stack_ is not None  # both parts score
    signals = compute_signals(pipeline, as_of, policy)
    flags = find_flags_frame(signals, policy)
    deciding = flags.filter(pl.col("code").is_in(list(policy.decision.requalify_on)))
    asked_again = deciding["deal_id"].n_unique()
    assert asked_again > 0  # deals with an open question are scored with it answered too

    calls: Counter[str] = Counter()
    rows: list[int] = []
    prior, learned, scorer = model.prior_, model.learned_, model.learned_.scorer_
    monkeypatch.setattr(prior, "_scored", _counted(calls, "prior", prior._scored))
    monkeypatch.setattr(learned, "score", _counted(calls, "learned", learned.score))
    monkeypatch.setattr(scorer, "raw", _counted(calls, "scorer.raw", scorer.raw))
    monkeypatch.setattr(
        scorer, "contributions", _counted(calls, "scorer.contributions", scorer.contributions)
    )
    design = learned_module.design_matrix

    def counted_design(frame: pl.DataFrame, features: Any) -> Any:
        calls["design"] += 1
        rows.append(frame.height)
        return design(frame, features)

    monkeypatch.setattr(learned_module, "design_matrix", counted_design)

    frame = assess_frame(pipeline, as_of, policy, model)

    assert frame.height == signals.height
    assert calls == Counter({"prior": 1, "learned": 1, "scorer.contributions": 1, "design": 1})
    # every open deal once, and again only those whose open questions are cleared
    assert rows == [signals.height + asked_again]


def test_the_prior_alone_scores_once(monkeypatch: pytest.MonkeyPatch) -> None:
    policy = load_policy()
    pipeline, as_of = history_pipeline(10, 10, open_deals=12, seed=3)
    calls: Counter[str] = Counter()
    original = PriorModel._scored

    def counted(self: PriorModel, *args: Any, **kwargs: Any) -> pl.DataFrame:
        calls["prior"] += 1
        return original(self, *args, **kwargs)

    monkeypatch.setattr(PriorModel, "_scored", counted)
    frame = assess_frame(pipeline, as_of, policy)
    assert frame.height == 12
    assert calls["prior"] == 1
