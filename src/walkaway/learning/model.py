"""The learned half of the win model: LightGBM on looks at closed deals, calibrated.

See :mod:`walkaway.learning.blend` for how it is blended with the prior. Signals do not carry
the deals' extra columns (``attributes``); the model reads them from the deals it was
fitted on, or those given to :meth:`LearnedWinModel.attach` (a model restored with
``from_state`` needs it before attribute features count), or from an ``attributes``
column of the signals when there is one.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Self

import numpy as np
import polars as pl

from walkaway.errors import InputError, NotFittedError
from walkaway.learning.booster import Looks, contributions, fit_booster, gain_shares, time_blocks
from walkaway.learning.calibration import Scores, calibration_method
from walkaway.learning.features import (
    Exclusion,
    Feature,
    design_frame,
    design_matrix,
    flag_code_features,
    signal_features,
)
from walkaway.learning.guard import attribute_features, constant_guard, leak_guard, moving_fields
from walkaway.learning.reasons import explain, reason_lists, won_references
from walkaway.learning.rows import MAX_PER_DEAL, flag_features, training_rows
from walkaway.learning.serial import learned_state, parts_from_state
from walkaway.models import Pipeline, as_utc_naive
from walkaway.policy import Policy
from walkaway.signals.norms import Norms


@dataclass(frozen=True)
class TrainingStats:
    """What a fit saw, for the model card."""

    looks: int
    deals: int
    trees: int
    validation: Scores | None
    validation_looks: int
    validation_from: datetime | None
    validation_to: datetime | None


class LearnedWinModel:
    """LightGBM on point-in-time looks at closed deals, calibrated, with reasons.

    ``exclude_attributes`` names attributes never to use (on top of the leak guard).
    """

    def __init__(
        self,
        policy: Policy,
        *,
        exclude_attributes: Collection[str] = (),
        max_per_deal: int = MAX_PER_DEAL,
    ) -> None:
        self.policy = policy
        self.exclude_attributes = tuple(exclude_attributes)
        self.max_per_deal = max_per_deal

    def fit(self, pipeline: Pipeline, as_of: datetime, *, norms: Norms | None = None) -> Self:
        """Learn from the deals closed before ``as_of`` (``norms`` is not used: each look
        has the norms of its own time)."""
        self.as_of_ = as_utc_naive(as_of)
        rows = training_rows(pipeline, self.as_of_, self.policy, max_per_deal=self.max_per_deal)
        if rows.height == 0 or rows["won"].n_unique() < 2:
            raise InputError(
                "too little closed history to learn from: it takes won and lost deals that "
                "were open at one weekly look at least"
            )
        features, self.excluded_ = self._choose(rows)
        design = design_frame(rows, features)
        looks = _looks(rows, design)
        fitted = fit_booster(looks, features, calibration_method(rows["deal_id"].n_unique()))
        self.features_ = tuple(features)
        self.booster_, self.calibrator_ = fitted.booster, fitted.calibrator
        self.effect_scale_ = fitted.effect_scale
        self.references_ = won_references(rows, design, features)
        last = rows.filter(pl.Series(looks.block == looks.block.max()))["closed_at"]
        self.stats_ = TrainingStats(
            looks=rows.height,
            deals=rows["deal_id"].n_unique(),
            trees=fitted.rounds,
            validation=fitted.validation,
            validation_looks=fitted.validation_looks,
            validation_from=last.min(),  # type: ignore[arg-type]
            validation_to=last.max(),  # type: ignore[arg-type]
        )
        return self.attach(pipeline.deals)

    def _choose(self, rows: pl.DataFrame) -> tuple[list[Feature], tuple[Exclusion, ...]]:
        deals = rows.unique("deal_id", keep="first", maintain_order=True)
        attributes, excluded = attribute_features(deals, rows, self.exclude_attributes)
        features = signal_features(rows) + flag_code_features(rows) + attributes
        moving = moving_fields()
        features = [f for f in features if f.name not in {e.name for e in moving}]
        excluded += moving
        features, leaking = leak_guard(deals, features)
        features, constant = constant_guard(design_matrix(rows, features), features)
        return features, tuple(excluded + leaking + constant)

    def attach(self, deals: pl.DataFrame) -> Self:
        """Read the deals' ``attributes`` from ``deals`` (any frame with ``deal_id``)."""
        columns = [c for c in ("deal_id", "attributes") if c in deals.columns]
        self.attributes_ = deals.select(columns).unique("deal_id", keep="last")
        return self

    def _check_fitted(self) -> None:
        if not hasattr(self, "booster_"):
            raise NotFittedError("LearnedWinModel is not fitted: call fit(pipeline, as_of) first")

    def _frame(self, signals: pl.DataFrame, flags: pl.DataFrame) -> pl.DataFrame:
        self._check_fitted()
        frame = signals.join(flag_features(flags), on="deal_id", how="left", maintain_order="left")
        frame = frame.with_columns(
            pl.col("flags_info", "flags_warning", "flags_critical").fill_null(0),
            pl.col("flag_codes").fill_null(pl.lit([], dtype=pl.List(pl.String))),
        )
        if "attributes" not in frame.columns:
            known = getattr(self, "attributes_", pl.DataFrame(schema={"deal_id": pl.String}))
            if "attributes" not in known.columns:
                known = known.with_columns(pl.lit(None, dtype=pl.String).alias("attributes"))
            frame = frame.join(known, on="deal_id", how="left", maintain_order="left")
        return frame

    def _design(self, signals: pl.DataFrame, flags: pl.DataFrame) -> np.ndarray:
        return design_matrix(self._frame(signals, flags), self.features_)

    def raw_scores(self, signals: pl.DataFrame, flags: pl.DataFrame) -> np.ndarray:
        """The booster's scores (log-odds, before calibration)."""
        x = self._design(signals, flags)
        return np.asarray(self.booster_.predict(x, raw_score=True)) if x.shape[0] else np.zeros(0)

    def predict_proba(self, signals: pl.DataFrame, flags: pl.DataFrame) -> pl.Series:
        """Calibrated win probability for each row of ``signals`` (same order)."""
        p = self.calibrator_.apply(self.raw_scores(signals, flags))
        return pl.Series("win_probability", p, dtype=pl.Float64)

    def contributions(self, signals: pl.DataFrame, flags: pl.DataFrame) -> pl.DataFrame:
        """``deal_id``, one column per feature and ``bias``: LightGBM's ``pred_contrib``
        (log-odds; each row sums to the raw score)."""
        contrib = contributions(self.booster_, self._design(signals, flags))
        names = [f.name for f in self.features_] + ["bias"]
        return pl.DataFrame(contrib, schema=names, orient="row").insert_column(
            0, signals["deal_id"]
        )

    def explain(self, signals: pl.DataFrame, flags: pl.DataFrame) -> pl.DataFrame:
        """The strongest pushes per deal: ``row, deal_id, name, contribution, side, rank,
        sentence`` (for: largest first; against: most negative first)."""
        x = self._design(signals, flags)
        contrib = contributions(self.booster_, x)
        return explain(
            contrib, x, signals, flags, self.features_, self.references_, self.effect_scale_
        )

    def reasons(self, signals: pl.DataFrame, flags: pl.DataFrame) -> pl.DataFrame:
        """``deal_id, win_probability, reasons_for, reasons_against`` (strongest first),
        and ``manual_probability`` when the signals carry it (never changed)."""
        lists = reason_lists(self.explain(signals, flags), signals["deal_id"])
        frame = lists.insert_column(1, self.predict_proba(signals, flags))
        if "manual_probability" in signals.columns:
            frame = frame.with_columns(signals["manual_probability"])
        return frame

    def summary(self) -> pl.DataFrame:
        """Each feature, where it comes from and its share of the splits' gain."""
        self._check_fitted()
        shares = gain_shares(self.booster_)
        return pl.DataFrame(
            {
                "feature": [f.name for f in self.features_],
                "source": [f.source for f in self.features_],
                "kind": [f.kind for f in self.features_],
                "gain_share": [shares.get(f.name, 0.0) for f in self.features_],
            },
            schema={
                "feature": pl.String,
                "source": pl.String,
                "kind": pl.String,
                "gain_share": pl.Float64,
            },
        ).sort("gain_share", "feature", descending=[True, False])

    def to_state(self) -> dict[str, Any]:
        """Everything needed to predict again, as JSON-ready data (no pickle)."""
        self._check_fitted()
        return learned_state(
            as_of=self.as_of_,
            features=self.features_,
            excluded=self.excluded_,
            calibrator=self.calibrator_,
            references=self.references_,
            booster=self.booster_,
            exclude_attributes=self.exclude_attributes,
            effect_scale=self.effect_scale_,
        )

    @classmethod
    def from_state(cls, policy: Policy, state: dict[str, Any]) -> LearnedWinModel:
        """A fitted model back from :meth:`to_state` (attach the deals for attributes)."""
        model = cls(policy, exclude_attributes=state.get("exclude_attributes", ()))
        (
            model.as_of_,
            model.features_,
            model.excluded_,
            model.calibrator_,
            model.references_,
            model.booster_,
        ) = parts_from_state(state)
        model.effect_scale_ = float(state["effect_scale"])
        return model

    def __repr__(self) -> str:
        fitted = (
            f"fitted as of {self.as_of_:%Y-%m-%d}" if hasattr(self, "booster_") else "not fitted"
        )
        return f"LearnedWinModel({fitted})"


def _looks(rows: pl.DataFrame, design: pl.DataFrame) -> Looks:
    """The looks as arrays, each in the time block of its deal's close date."""
    order = (
        rows.select("deal_id", "closed_at")
        .unique("deal_id")
        .sort("closed_at", "deal_id")
        .with_row_index("rank")
    )
    rank = rows.select("deal_id").join(order, on="deal_id", how="left", maintain_order="left")
    return Looks(
        design.to_numpy().astype(np.float64),
        rows["won"].to_numpy().astype(np.int64),
        rows["weight"].to_numpy(),
        time_blocks(rank["rank"].to_numpy().astype(np.int64), order.height),
    )
