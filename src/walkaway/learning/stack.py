"""Win probability learned from the team's own closed deals, stacked on the prior.

``fit`` (the retraining step):

1. the engine's :class:`~walkaway.learning.prior.PriorModel` as of the training date;
2. with at least :data:`MIN_DEALS` closed deals, :data:`MIN_EACH` of them won and as
   many lost, the :class:`~walkaway.learning.model.LearnedWinModel` on looks at them,
   with its out-of-sample scores;
3. the stack (:mod:`walkaway.learning.stack`): ``p = sigmoid(a z + b s + c)`` from the
   prior's log-odds ``z`` and the learned score ``s``, on those out-of-sample looks. The
   learned part keeps its weight ``b`` only when it beats the prior on looks the stack
   was not fitted on; otherwise the model is the prior, calibrated on the team's
   history. There is no schedule by deal counts: the weight is earned by validated skill.

With less history than that the prior is used exactly as it is. The card
(:mod:`walkaway.learning.card`) says which of the three it is, and why.

The rep's ``manual_probability`` is never read nor written: it stays the rep's own
number. ``reasons`` passes it through when the signals carry it, for display beside
the model's.

A stored model (:meth:`StackedWinModel.to_bytes`) comes back fitted from
:meth:`StackedWinModel.from_bytes`; give it the deals (:meth:`StackedWinModel.attach`)
so attribute features count, then pass it to ``assess_frame(..., model=...)``.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any, Self

import numpy as np
import polars as pl

from walkaway.errors import InputError, NotFittedError
from walkaway.learning.calibration import (
    Skill,
    Stack,
    Trial,
    fit_prior_only,
    held_out_trials,
    judge,
    validate,
)
from walkaway.learning.card import (
    CALIBRATED,
    MIN_DEALS,
    MIN_EACH,
    PRIOR,
    PRIOR_ALONE,
    STACK,
    STACKED,
    ModelCard,
    WalkAwayLine,
)
from walkaway.learning.features import Exclusion
from walkaway.learning.model import LearnedWinModel, TrainingStats
from walkaway.learning.prior import PriorModel, Scores
from walkaway.learning.rows import MAX_PER_DEAL, training_rows
from walkaway.logistic import logit
from walkaway.models import Outcome, Pipeline, as_utc_naive
from walkaway.policy import Policy
from walkaway.signals.facts import facts_frame
from walkaway.signals.norms import Norms
from walkaway.signals.snapshot import known_deals

__all__ = ["LearnedWinModel", "ModelCard", "StackedWinModel", "TrainingStats", "train_win_model"]

TOP_FEATURES = 10
MAX_STACKED_REASONS = 5
SUSPECT_AUC = 0.95  # a validation this good is no honest sales model's
FORMAT = "walkaway-win-model"
VERSION = 2


class StackedWinModel:
    """The prior, with the learned model stacked on it when it earns a weight."""

    def __init__(
        self,
        policy: Policy,
        *,
        exclude_attributes: Collection[str] = (),
        keep_attributes: Collection[str] = (),
        max_per_deal: int = MAX_PER_DEAL,
        trained_at: datetime | None = None,
    ) -> None:
        self.policy = policy
        self.exclude_attributes = tuple(exclude_attributes)
        self.keep_attributes = tuple(keep_attributes)
        self.max_per_deal = max_per_deal
        self.trained_at = trained_at

    def fit(self, pipeline: Pipeline, as_of: datetime, *, norms: Norms | None = None) -> Self:
        """Fit the prior as of ``as_of`` and, with enough history, the learned model and
        the stack that weighs it (module docstring)."""
        as_of = as_utc_naive(as_of)
        self.prior_ = PriorModel(self.policy).fit(pipeline, as_of, norms=norms)
        closed = known_deals(pipeline.deals, as_of).filter(pl.col("outcome") != Outcome.OPEN)
        last = closed["closed_at"].max()
        self.horizon_: datetime | None = last if isinstance(last, datetime) else None
        won = int((closed["outcome"] == Outcome.WON).sum())
        self.learned_: LearnedWinModel | None = None
        self.stack_: Stack | None = None
        self.skill_: Skill | None = None
        self.history_: pl.DataFrame | None = None
        self.trials_: tuple[Trial, ...] = ()
        self.suspect_: float | None = None
        self.not_learned_: str | None = None
        self.left_out_: tuple[Exclusion, ...] = ()
        tried: LearnedWinModel | None = None
        if closed.height >= MIN_DEALS and min(won, closed.height - won) >= MIN_EACH:
            tried = self._learn(pipeline, as_of)
        self.weight_ = self._weight()
        self.card_ = _card(self, tried, as_of, won, closed.height - won)
        return self

    def _learn(self, pipeline: Pipeline, as_of: datetime) -> LearnedWinModel | None:
        rows = training_rows(pipeline, as_of, self.policy, max_per_deal=self.max_per_deal)
        learned = LearnedWinModel(
            self.policy,
            exclude_attributes=self.exclude_attributes,
            keep_attributes=self.keep_attributes,
            max_per_deal=self.max_per_deal,
        )
        try:
            learned.fit(pipeline, as_of, rows=rows)
        except InputError as error:
            self.not_learned_ = str(error)
            self.left_out_ = tuple(getattr(learned, "excluded_", ()))
            return None
        looks, folds = learned.looks_, learned.folds_
        scored = folds.scored()
        history = looks.filter(pl.Series(scored))
        z, s = history["prior_logit"].to_numpy(), history["score"].to_numpy()
        y, w = history["won"].to_numpy().astype(np.float64), history["weight"].to_numpy()
        splits = folds.stack_splits(scored)
        judged = judge(z, s, y, w, splits)
        trials = held_out_trials(judged, learned.candidate_scores_, scored, y, w, splits)
        stack, skill = judged.stack, judged.skill
        stacked = trials[-1]
        if stack.learned > 0 and stacked.auc is not None and stacked.auc >= SUSPECT_AUC:
            # Too good for sales data: a column recorded after the outcome, most likely.
            self.suspect_ = stacked.auc
            stack, skill = fit_prior_only(z, y, w), replace(skill, earned=False)
            judged = replace(judged, stack=stack, skill=skill)
        self.stack_, self.skill_, self.trials_ = stack, skill, tuple(trials)
        self.learned_ = learned if stack.learned > 0 else None
        self.history_ = history.with_columns(
            pl.Series("win_probability", stack.predict(z, s)),
            pl.Series("tested_probability", judged.tested),
        )
        return learned

    def _weight(self) -> float:
        if self.stack_ is None or self.history_ is None:
            return 0.0
        z, s = self.history_["prior_logit"].to_numpy(), self.history_["score"].to_numpy()
        return self.stack_.learned_share(z, s)

    def walk_away_floor(self) -> float | None:
        """The probability below which a walk-away may stand (None: the policy's k alone),
        from :meth:`with_walk_away_line`."""
        self._check_fitted()
        line = self.card_.line
        return None if line is None else line.floor

    def with_walk_away_line(self, line: WalkAwayLine) -> Self:
        """Keep the walk-away line set from the team's history (``walkaway.backtest.line``)."""
        self._check_fitted()
        self.card_ = replace(self.card_, line=line)
        return self

    def history(self) -> pl.DataFrame | None:
        """The looks at closed deals the stack saw, each with ``win_probability`` (its
        learned score out of sample): what the walk-away line is set on. None without."""
        self._check_fitted()
        return self.history_

    def _check_fitted(self) -> None:
        if not hasattr(self, "prior_"):
            raise NotFittedError("StackedWinModel is not fitted: call fit(pipeline, as_of) first")

    def attach(self, deals: pl.DataFrame) -> Self:
        """Give the learned part the deals' attributes (see the module docstring)."""
        self._check_fitted()
        if self.learned_ is not None:
            self.learned_.attach(deals)
        return self

    def score(
        self, signals: pl.DataFrame, flags: pl.DataFrame, *, without: Collection[str] = ()
    ) -> Scores:
        """The stack of the prior and the learned score (the prior alone without one):
        each part scores once, and the stack combines them."""
        self._check_fitted()
        prior = self.prior_.score(signals, flags, without=without)
        if self.stack_ is None:
            return prior
        learned = self.learned_.score(signals, flags, without=without) if self.learned_ else None
        zero = np.zeros(signals.height)
        s = learned.detail["raw"] if learned else zero
        s_answered = learned.detail["raw_answered"] if learned else zero
        return Scores(
            prior.deal_ids,
            _stacked(self.stack_, prior.probability, s),
            _stacked(self.stack_, prior.answered, s_answered),
            {"prior": prior, "learned": learned},
            facts=prior.facts,
        )

    def predict_proba(self, signals: pl.DataFrame, flags: pl.DataFrame) -> pl.Series:
        """The stack of the prior and the learned score (the prior alone without one)."""
        return self.score(signals, flags).probability

    def reasons(self, scores: Scores) -> pl.DataFrame:
        """Reasons of the part that carries the probability: the learned model's alone
        when it carries half of it or more (the prior's would explain a number no longer
        shown), else the prior's first, then the learned model's (at most
        :data:`MAX_STACKED_REASONS` a side). When no feature stands out, the first reason
        for says so. Read from a :meth:`score` pass: nothing is scored again."""
        self._check_fitted()
        if self.stack_ is None:
            return self.prior_.reasons(scores)
        prior = self.prior_.reasons(scores.detail["prior"])
        learned_scores: Scores | None = scores.detail["learned"]
        if self.learned_ is None or learned_scores is None:
            return prior
        learned = self.learned_.reasons(learned_scores, scale=self.stack_.learned)
        parts = [learned] if self.weight_ >= 0.5 else [prior, learned]
        sides = ("reasons_for", "reasons_against")
        merged = (
            pl.concat([part.select("deal_id", *sides).with_row_index("__row") for part in parts])
            .group_by("__row", maintain_order=True)
            .agg(
                pl.col("deal_id").first(), *[pl.col(side).explode().drop_nulls() for side in sides]
            )
        )
        frame = merged.sort("__row").select(
            "deal_id",
            *[
                pl.col(side).list.unique(maintain_order=True).list.head(MAX_STACKED_REASONS)
                for side in sides
            ],
        )
        frame = frame.with_columns(
            pl.when(pl.col("reasons_for").list.len() == 0)
            .then(pl.concat_list(pl.lit(self._nothing_stands_out())))
            .otherwise(pl.col("reasons_for"))
            .alias("reasons_for")
        )
        if "manual_probability" in learned.columns:
            frame = frame.with_columns(learned["manual_probability"])
        return frame

    def _nothing_stands_out(self) -> str:
        card = self.card_
        return (
            f"No single factor stands out; {card.won_deals:,} of the {card.closed_deals:,} "
            f"deals closed here were won ({card.base_rate or 0:.0%})"
        )

    def summary(self) -> pl.DataFrame:
        """The learned model's features by weight, or the prior's stage rates."""
        self._check_fitted()
        return self.learned_.summary() if self.learned_ is not None else self.prior_.summary()

    def to_bytes(self) -> bytes:
        """The fitted model as UTF-8 JSON: the prior's state, the stack, the learned
        scorer's (coefficients or LightGBM's text model), the card."""
        self._check_fitted()
        stack = self.stack_
        document = {
            "format": FORMAT,
            "version": VERSION,
            "card": self.card_.to_dict(),
            "prior": self.prior_.to_state(),
            "stack": None if stack is None else [stack.prior, stack.learned, stack.intercept],
            "learned": self.learned_.to_state() if self.learned_ is not None else None,
        }
        return json.dumps(document, ensure_ascii=False).encode("utf-8")

    @classmethod
    def from_bytes(cls, data: bytes, policy: Policy) -> StackedWinModel:
        """A fitted model from :meth:`to_bytes`; ``policy`` is the team's (it weighs the
        prior's flags). Attach the deals for attribute features."""
        document = json.loads(data.decode("utf-8"))
        if document.get("format") != FORMAT or document.get("version") != VERSION:
            raise InputError("not a stored Walkaway win model (or from another version)")
        card = ModelCard.from_dict(document["card"])
        model = cls(policy, trained_at=card.trained_at)
        model.prior_ = PriorModel.from_state(policy, document["prior"])
        stack = document["stack"]
        model.stack_ = None if stack is None else Stack(*(float(v) for v in stack))
        learned = document["learned"]
        model.learned_ = LearnedWinModel.from_state(policy, learned) if learned else None
        model.skill_, model.history_ = None, None
        model.horizon_ = card.horizon
        model.weight_ = card.learned_share
        model.card_ = card
        return model

    def __repr__(self) -> str:
        if not hasattr(self, "prior_"):
            return "StackedWinModel(not fitted)"
        return f"StackedWinModel(w={self.weight_:.3f}, {self.card_.kind})"


def _stacked(stack: Stack, prior: pl.Series, s: np.ndarray) -> pl.Series:
    p = stack.predict(logit(prior.to_numpy()), s)
    return pl.Series("win_probability", p, dtype=pl.Float64)


def _card(
    model: StackedWinModel, tried: LearnedWinModel | None, as_of: datetime, won: int, lost: int
) -> ModelCard:
    trained_at = model.trained_at or datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    facts = tuple(facts_frame(model.prior_.facts_).to_dicts())
    base = ModelCard(
        PRIOR, trained_at, as_of, won, lost, 0.0, facts=facts, horizon=model.horizon_,
        not_learned=model.not_learned_,
    )  # fmt: skip
    if tried is None or model.stack_ is None or model.history_ is None:
        return replace(base, excluded=model.left_out_)
    stats, history, stack = tried.stats_, model.history_, model.stack_
    reported = _reported(history)
    y = reported["won"].to_numpy().astype(np.int64)
    w = reported["weight"].to_numpy()
    every = history["weight"].to_numpy()
    reference = float(every @ history["won"].to_numpy() / every.sum())  # the won share seen
    reference = min(max(reference, 0.001), 0.999)
    scores = validate(reported["tested_probability"].to_numpy(), y, w, reference)
    top = tried.summary().head(TOP_FEATURES).filter(pl.col("gain_share") > 0)
    shares = tuple((str(n), float(g)) for n, g in top.select("feature", "gain_share").iter_rows())
    return replace(
        base,
        kind=STACK if stack.learned > 0 else CALIBRATED,
        learned_share=model.weight_,
        training_looks=stats.looks,
        distinct_looks=stats.distinct_looks,
        looked_deals=stats.deals,
        features=tuple(f.name for f in tried.features_),
        excluded=tried.excluded_,
        scorer=stats.scorer,
        trees=stats.trees,
        tried=tuple((t.label, t.log_loss, t.auc) for t in model.trials_),
        in_force=STACKED if stack.learned > 0 else PRIOR_ALONE,
        suspect=model.suspect_,
        scheme=stats.scheme_text,
        stack=(stack.prior, stack.learned, stack.intercept),
        skill=_skill(model.skill_),
        validation=scores,
        validation_looks=reported.height,
        validation_from=reported["closed_at"].min(),  # type: ignore[arg-type]
        validation_to=reported["closed_at"].max(),  # type: ignore[arg-type]
        top_features=shares if stack.learned > 0 else (),
    )


def _reported(history: pl.DataFrame) -> pl.DataFrame:
    return history.filter(pl.col("tested_probability").is_not_nan())


def _skill(skill: Skill | None) -> dict[str, Any] | None:
    if skill is None:
        return None
    return {
        "prior_log_loss": skill.prior_log_loss,
        "stack_log_loss": skill.stack_log_loss,
        "learned_auc": skill.learned_auc,
        "earned": skill.earned,
    }


def train_win_model(
    pipeline: Pipeline,
    as_of: datetime,
    policy: Policy,
    *,
    exclude_attributes: Collection[str] = (),
    keep_attributes: Collection[str] = (),
    trained_at: datetime | None = None,
) -> StackedWinModel:
    """The team's win model as of ``as_of``: the prior alone while history is thin, the
    prior calibrated on the history when the learned model earns no weight, their stack
    beyond (the card says which). Fitted, ready for ``assess_frame(..., model=...)``."""
    model = StackedWinModel(
        policy,
        exclude_attributes=exclude_attributes,
        keep_attributes=keep_attributes,
        trained_at=trained_at,
    )
    return model.fit(pipeline, as_of)
