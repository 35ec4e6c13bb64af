"""Win probability learned from the team's own closed deals, blended with the prior.

:class:`LearnedWinModel` learns from looks at closed deals taken while they were open
(:mod:`walkaway.learning.rows`), with the features of :mod:`walkaway.learning.features`
(leaks guarded by :mod:`walkaway.learning.guard`), LightGBM validated on time
(:mod:`walkaway.learning.booster`) and calibrated (:mod:`walkaway.learning.calibration`);
its reasons come from the booster's own per-feature contributions
(:mod:`walkaway.learning.reasons`).

**Cold start.** :class:`BlendedWinModel` mixes it with the engine's
:class:`~walkaway.learning.prior.PriorModel`: ``p = w * p_learned + (1 - w) * p_prior`` with

    w = s / (s + HALF_WEIGHT),   s = max(0, min(n - MIN_DEALS, MINORITY_FACTOR * (m - MIN_EACH)))

where n is the number of deals closed before the training date and m the smaller of
won and lost among them. With the constants below (30, 10, 5, 200): below 30 closed
deals, or 10 won or 10 lost, w = 0 and the prior is used as it is; beyond, w rises
from 0 continuously (31 balanced deals: 0.005; 50: 0.09; 230: 0.5; 2,000: 0.9), so one
more closed deal never moves a probability by much.

The rep's ``manual_probability`` is never read nor written: it stays the rep's own
number. ``reasons`` passes it through when the signals carry it, for display beside
the model's.

A stored model (:meth:`BlendedWinModel.to_bytes`) comes back fitted from
:meth:`BlendedWinModel.from_bytes`; give it the deals (:meth:`BlendedWinModel.attach`)
so attribute features count, then pass it to ``assess_frame(..., model=...)``.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from datetime import UTC, datetime
from typing import Self

import polars as pl

from walkaway.errors import InputError, NotFittedError
from walkaway.learning.card import BLEND, PRIOR, ColdStart, ModelCard
from walkaway.learning.model import LearnedWinModel, TrainingStats
from walkaway.learning.prior import PriorModel
from walkaway.learning.rows import MAX_PER_DEAL, closed_deals
from walkaway.models import Pipeline, as_utc_naive
from walkaway.policy import Policy
from walkaway.signals.norms import Norms

__all__ = [
    "BlendedWinModel",
    "LearnedWinModel",
    "ModelCard",
    "TrainingStats",
    "blend_weight",
    "train_win_model",
]

MIN_DEALS = 30
MIN_EACH = 10
MINORITY_FACTOR = 5.0
HALF_WEIGHT = 200.0
COLD_START = ColdStart(MIN_DEALS, MIN_EACH, MINORITY_FACTOR, HALF_WEIGHT)
TOP_FEATURES = 10
MAX_BLENDED_REASONS = 5
FORMAT = "walkaway-win-model"
VERSION = 1


def blend_weight(closed: int, minority: int) -> float:
    """w of the module docstring: 0 below the thresholds, rising continuously beyond."""
    s = max(0.0, min(closed - MIN_DEALS, MINORITY_FACTOR * (minority - MIN_EACH)))
    return s / (s + HALF_WEIGHT)


class BlendedWinModel:
    """The prior, and the learned model mixed in as history grows (module docstring).

    ``fit`` trains both (this is the retraining step); a model from :meth:`from_bytes`
    is already fitted and goes straight to ``assess_frame(..., model=...)``.
    """

    def __init__(
        self,
        policy: Policy,
        *,
        exclude_attributes: Collection[str] = (),
        max_per_deal: int = MAX_PER_DEAL,
        trained_at: datetime | None = None,
    ) -> None:
        self.policy = policy
        self.exclude_attributes = tuple(exclude_attributes)
        self.max_per_deal = max_per_deal
        self.trained_at = trained_at

    def fit(self, pipeline: Pipeline, as_of: datetime, *, norms: Norms | None = None) -> Self:
        """Fit the prior as of ``as_of`` and, with enough history, the learned model."""
        as_of = as_utc_naive(as_of)
        self.prior_ = PriorModel(self.policy).fit(pipeline, as_of, norms=norms)
        closed = closed_deals(pipeline.deals, as_of)
        won = int(closed["won"].sum())
        weight = blend_weight(closed.height, min(won, closed.height - won))
        self.learned_: LearnedWinModel | None = None
        if weight > 0:
            learned = LearnedWinModel(
                self.policy,
                exclude_attributes=self.exclude_attributes,
                max_per_deal=self.max_per_deal,
            )
            try:
                self.learned_ = learned.fit(pipeline, as_of)
            except InputError:
                weight = 0.0  # e.g. every deal closed before a look: nothing to learn from
        self.weight_ = weight
        self.card_ = _card(self, as_of, won, closed.height - won)
        return self

    def walk_away_floor(self) -> float | None:
        """The probability below which a walk-away may stand (None: the policy's k alone)."""
        self._check_fitted()
        return getattr(self, "floor_", None)

    def _check_fitted(self) -> None:
        if not hasattr(self, "prior_"):
            raise NotFittedError("BlendedWinModel is not fitted: call fit(pipeline, as_of) first")

    def attach(self, deals: pl.DataFrame) -> Self:
        """Give the learned part the deals' attributes (see the module docstring)."""
        self._check_fitted()
        if self.learned_ is not None:
            self.learned_.attach(deals)
        return self

    def predict_proba(self, signals: pl.DataFrame, flags: pl.DataFrame) -> pl.Series:
        """``w * learned + (1 - w) * prior`` for each row of ``signals`` (same order)."""
        self._check_fitted()
        prior = self.prior_.predict_proba(signals, flags)
        if self.learned_ is None:
            return prior
        learned = self.learned_.predict_proba(signals, flags)
        return (self.weight_ * learned + (1 - self.weight_) * prior).alias("win_probability")

    def reasons(self, signals: pl.DataFrame, flags: pl.DataFrame) -> pl.DataFrame:
        """Reasons of the part that carries the probability: the learned model's alone
        when w >= 0.5 (the prior's would explain a number no longer shown), else the
        prior's first, then the learned model's (at most :data:`MAX_BLENDED_REASONS` a
        side). When no feature stands out, the first reason for says so."""
        self._check_fitted()
        prior = self.prior_.reasons(signals, flags)
        if self.learned_ is None:
            return prior
        learned = self.learned_.reasons(signals, flags)
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
            self.predict_proba(signals, flags),
            *[
                pl.col(side).list.unique(maintain_order=True).list.head(MAX_BLENDED_REASONS)
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
        """The fitted model as UTF-8 JSON: LightGBM's own text model, the calibrator's
        numbers, the features and encodings, the prior's base rates, the card."""
        self._check_fitted()
        document = {
            "format": FORMAT,
            "version": VERSION,
            "card": self.card_.to_dict(),
            "weight": self.weight_,
            "prior": self.prior_.to_state(),
            "learned": self.learned_.to_state() if self.learned_ is not None else None,
        }
        return json.dumps(document, ensure_ascii=False).encode("utf-8")

    @classmethod
    def from_bytes(cls, data: bytes, policy: Policy) -> BlendedWinModel:
        """A fitted model from :meth:`to_bytes`; ``policy`` is the team's (it weighs the
        prior's flags). Attach the deals for attribute features."""
        document = json.loads(data.decode("utf-8"))
        if document.get("format") != FORMAT or document.get("version") != VERSION:
            raise InputError("not a stored Walkaway win model (or from a newer version)")
        card = ModelCard.from_dict(document["card"])
        model = cls(policy, trained_at=card.trained_at)
        model.prior_ = PriorModel.from_state(policy, document["prior"])
        learned = document["learned"]
        model.learned_ = LearnedWinModel.from_state(policy, learned) if learned else None
        model.weight_ = float(document["weight"])
        model.card_ = card
        return model

    def __repr__(self) -> str:
        if not hasattr(self, "prior_"):
            return "BlendedWinModel(not fitted)"
        return f"BlendedWinModel(w={self.weight_:.3f}, {self.card_.kind})"


def _card(model: BlendedWinModel, as_of: datetime, won: int, lost: int) -> ModelCard:
    trained_at = model.trained_at or datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    learned = model.learned_
    if learned is None:
        return ModelCard(PRIOR, trained_at, as_of, won, lost, 0.0, COLD_START)
    stats = learned.stats_
    top = learned.summary().head(TOP_FEATURES).filter(pl.col("gain_share") > 0)
    shares = tuple((str(n), float(g)) for n, g in top.select("feature", "gain_share").iter_rows())
    return ModelCard(
        kind=BLEND,
        trained_at=trained_at,
        until=as_of,
        won_deals=won,
        lost_deals=lost,
        blend_weight=model.weight_,
        cold_start=COLD_START,
        training_looks=stats.looks,
        looked_deals=stats.deals,
        features=tuple(f.name for f in learned.features_),
        excluded=learned.excluded_,
        calibration_method=learned.calibrator_.method,
        trees=stats.trees,
        validation=stats.validation,
        validation_looks=stats.validation_looks,
        validation_from=stats.validation_from,
        validation_to=stats.validation_to,
        top_features=shares,
    )


def train_win_model(
    pipeline: Pipeline,
    as_of: datetime,
    policy: Policy,
    *,
    exclude_attributes: Collection[str] = (),
    trained_at: datetime | None = None,
) -> BlendedWinModel:
    """The team's win model as of ``as_of``: the prior alone while history is thin (the
    card says so), blended with the learned model beyond. Fitted, ready for
    ``assess_frame(..., model=...)``."""
    model = BlendedWinModel(policy, exclude_attributes=exclude_attributes, trained_at=trained_at)
    return model.fit(pipeline, as_of)
