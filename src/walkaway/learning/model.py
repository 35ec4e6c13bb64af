"""The learned half of the win model: the best scorer for this team's looks, with reasons.

See :mod:`walkaway.learning.stack` for how it is stacked with the prior. ``fit``:

1. the looks at closed deals (:mod:`walkaway.learning.rows`), unless given;
2. the features (:mod:`walkaway.learning.features`), minus what the guard leaves out
   (:mod:`walkaway.learning.guard`: identifiers, free text, leaks, constants);
3. **one row per distinct look**: a deal's looks whose features are all the same (a deal
   without activities looked at every week) become one, carrying their summed weight —
   nine copies would count as nine deals in a leaf;
4. the validation splits (:mod:`walkaway.learning.folds`: on time, or grouped and
   stratified folds), and the scorer chosen on them (:mod:`walkaway.learning.choose`),
   refitted on every look. Its out-of-sample scores are kept for the stack.

Signals do not carry the deals' extra columns (``attributes``); the model reads them
from the deals it was fitted on, or those given to :meth:`LearnedWinModel.attach` (a
model restored with ``from_state`` needs it before attribute features count), or from
an ``attributes`` column of the signals when there is one.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Self

import numpy as np
import polars as pl

from walkaway.errors import InputError, NotFittedError
from walkaway.learning.calibration import Calibrator, fit_calibrator, log_odds_slope
from walkaway.learning.choose import Looks, Tried, choose_scorer
from walkaway.learning.features import (
    Exclusion,
    Feature,
    design_frame,
    design_matrix,
    flag_code_features,
    signal_features,
)
from walkaway.learning.folds import make_folds
from walkaway.learning.guard import attribute_features, constant_guard, leak_guard, moving_fields
from walkaway.learning.prior import Scores
from walkaway.learning.reasons import explain, reason_lists, won_references
from walkaway.learning.rows import MAX_PER_DEAL, flag_features, training_rows
from walkaway.learning.scorers import Scorer, scorer_from_state
from walkaway.models import Outcome, Pipeline, as_utc_naive
from walkaway.policy import Policy
from walkaway.signals.norms import Norms
from walkaway.signals.snapshot import known_deals


@dataclass(frozen=True)
class TrainingStats:
    """What a fit saw, for the model card."""

    looks: int  # looks taken
    distinct_looks: int  # after merging a deal's identical looks
    deals: int
    scorer: str  # the candidate chosen
    trees: int | None
    tried: tuple[Tried, ...]
    scheme: str  # how it was validated (walkaway.learning.folds)
    scheme_text: str


class LearnedWinModel:
    """The chosen scorer on point-in-time looks at closed deals, with reasons.

    ``exclude_attributes`` names attributes never to use (on top of the guards);
    ``keep_attributes`` names fields kept whatever the leak guards say.
    """

    def __init__(
        self,
        policy: Policy,
        *,
        exclude_attributes: Collection[str] = (),
        keep_attributes: Collection[str] = (),
        max_per_deal: int = MAX_PER_DEAL,
    ) -> None:
        self.policy = policy
        self.exclude_attributes = tuple(exclude_attributes)
        self.keep_attributes = tuple(keep_attributes)
        self.max_per_deal = max_per_deal

    def fit(
        self,
        pipeline: Pipeline,
        as_of: datetime,
        *,
        norms: Norms | None = None,
        rows: pl.DataFrame | None = None,
    ) -> Self:
        """Learn from the deals closed before ``as_of`` (``norms`` is not used: each look
        has the norms of its own time; ``rows`` are looks already taken)."""
        self.as_of_ = as_utc_naive(as_of)
        if rows is None:
            rows = training_rows(pipeline, self.as_of_, self.policy, max_per_deal=self.max_per_deal)
        if rows.height == 0 or rows["won"].n_unique() < 2:
            raise InputError(
                "too little closed history to learn from: it takes won and lost deals that "
                "were open at one weekly look at least"
            )
        features, self.excluded_ = self._choose(rows, pipeline.deals)
        if not features:
            raise InputError(
                "no column tells one closed deal from another: each was the same on every "
                "deal or was left out (see 'Left out')"
            )
        self.features_ = tuple(features)
        looks = distinct_looks(rows, design_frame(rows, features))
        design = design_frame(looks, features)
        self.folds_ = make_folds(looks)
        arrays = Looks(
            design.to_numpy().astype(np.float64),
            looks["won"].to_numpy().astype(np.int64),
            looks["weight"].to_numpy(),
        )
        deals = looks["deal_id"].n_unique()
        chosen = choose_scorer(arrays, features, self.folds_, deals)
        self.scorer_: Scorer = chosen.scorer
        self.candidate_scores_ = chosen.scores  # kept for the card's validation, not stored
        self.looks_ = looks.with_columns(pl.Series("score", chosen.oof))
        scored = self.folds_.scored()
        self.calibrator_ = fit_calibrator(
            chosen.oof[scored], arrays.won[scored], arrays.weight[scored]
        )
        self.effect_scale_ = log_odds_slope(self.calibrator_, chosen.oof[scored])
        self.references_ = won_references(looks, design, features)
        self.stats_ = TrainingStats(
            looks=rows.height,
            distinct_looks=looks.height,
            deals=deals,
            scorer=chosen.label,
            trees=chosen.trees,
            tried=chosen.tried,
            scheme=self.folds_.scheme,
            scheme_text=self.folds_.describe(),
        )
        return self.attach(pipeline.deals)

    def _choose(
        self, rows: pl.DataFrame, deals: pl.DataFrame
    ) -> tuple[list[Feature], tuple[Exclusion, ...]]:
        """The features, and what was left out: by the user, as identifiers, as moving
        fields, by the leak guards (comparing the closed deals with the deals open at
        ``as_of``, the ones the model will score) and as constants."""
        looked = rows.unique("deal_id", keep="first", maintain_order=True)
        attributes, excluded = attribute_features(looked, self.exclude_attributes)
        features = signal_features(rows) + flag_code_features(rows) + attributes
        moving = moving_fields()
        features = [f for f in features if f.name not in {e.name for e in moving}]
        excluded += moving
        closed = looked.select("deal_id", "won").join(
            deals, on="deal_id", how="inner", maintain_order="left"
        )
        open_deals = known_deals(deals, self.as_of_).filter(pl.col("outcome") == Outcome.OPEN)
        features, leaking = leak_guard(closed, open_deals, features, self.keep_attributes)
        features, constant = constant_guard(design_matrix(rows, features), features)
        return features, tuple(excluded + leaking + constant)

    def attach(self, deals: pl.DataFrame) -> Self:
        """Read the deals' ``attributes`` from ``deals`` (any frame with ``deal_id``)."""
        columns = [c for c in ("deal_id", "attributes") if c in deals.columns]
        self.attributes_ = deals.select(columns).unique("deal_id", keep="last")
        return self

    def _check_fitted(self) -> None:
        if not hasattr(self, "scorer_"):
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
        """The scorer's scores (log-odds, before the stack)."""
        return self.scorer_.raw(self._design(signals, flags))

    def score(
        self, signals: pl.DataFrame, flags: pl.DataFrame, *, without: Collection[str] = ()
    ) -> Scores:
        """The learned model alone (Platt-calibrated on its out-of-sample scores), in one
        pass of the scorer: each deal's design row and, for the deals that have a flag
        named by ``without``, the same row with those flags cleared, split into what each
        feature adds (the scores are their sums). ``detail["raw"]`` and
        ``detail["raw_answered"]`` are the scores before calibration (for the stack)."""
        self._check_fitted()
        wanted = list(without)
        answered_flags = flags.filter(~pl.col("code").is_in(wanted))
        touched = flags.filter(pl.col("code").is_in(wanted)).select("deal_id").unique()
        again = signals.join(touched, on="deal_id", how="semi", maintain_order="left")
        frame = pl.concat(
            [self._frame(signals, flags), self._frame(again, answered_flags)], how="vertical"
        )
        x = design_matrix(frame, self.features_)
        contrib = self.scorer_.contributions(x)
        raw_all = contrib.sum(axis=1)
        n = signals.height
        raw = raw_all[:n]
        rows = signals.select("deal_id").with_row_index("row")
        rows_again = again.select("deal_id").with_row_index("again", offset=n)
        positions = rows.join(rows_again, on="deal_id", how="left", maintain_order="left")
        raw_answered = raw_all[positions.select(pl.coalesce("again", "row")).to_series().to_numpy()]
        detail = {
            "raw": raw,
            "raw_answered": raw_answered,
            "design": x[:n],
            "contributions": contrib[:n],
            "signals": signals,
            "flags": flags,
        }
        return Scores(
            signals["deal_id"],
            pl.Series("win_probability", self.calibrator_.apply(raw), dtype=pl.Float64),
            pl.Series("win_probability", self.calibrator_.apply(raw_answered), dtype=pl.Float64),
            detail,
        )

    def predict_proba(self, signals: pl.DataFrame, flags: pl.DataFrame) -> pl.Series:
        """The learned model alone, Platt-calibrated on its out-of-sample scores."""
        return self.score(signals, flags).probability

    def contributions(self, signals: pl.DataFrame, flags: pl.DataFrame) -> pl.DataFrame:
        """``deal_id``, one column per feature and ``bias``: each score split into what
        each feature adds (log-odds; each row sums to the score)."""
        contrib = self.scorer_.contributions(self._design(signals, flags))
        names = [f.name for f in self.features_] + ["bias"]
        return pl.DataFrame(contrib, schema=names, orient="row").insert_column(
            0, signals["deal_id"]
        )

    def explain(self, scores: Scores, scale: float | None = None) -> pl.DataFrame:
        """The strongest pushes per deal of a :meth:`score` pass: ``row, deal_id, name,
        contribution, side, rank, sentence``; ``scale`` is the final log-odds per unit of
        score (default: the model's own calibration)."""
        detail = scores.detail
        used = self.effect_scale_ if scale is None else scale
        return explain(
            detail["contributions"],
            detail["design"],
            detail["signals"],
            detail["flags"],
            self.features_,
            self.references_,
            used,
        )

    def reasons(self, scores: Scores, scale: float | None = None) -> pl.DataFrame:
        """``deal_id, reasons_for, reasons_against`` (strongest first) of a :meth:`score`
        pass, and ``manual_probability`` when the signals carry it (never changed)."""
        signals: pl.DataFrame = scores.detail["signals"]
        frame = reason_lists(self.explain(scores, scale), signals["deal_id"])
        if "manual_probability" in signals.columns:
            frame = frame.with_columns(signals["manual_probability"])
        return frame

    def summary(self) -> pl.DataFrame:
        """Each feature, where it comes from and its share of the model's weight."""
        self._check_fitted()
        shares = self.scorer_.importance()
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
        """Everything needed to predict again, as JSON-ready data (no pickle): the
        features, exclusions, calibrator, references and the scorer's own state
        (coefficients, or LightGBM's text model)."""
        self._check_fitted()
        return {
            "as_of": self.as_of_.isoformat(),
            "features": [f.to_dict() for f in self.features_],
            "excluded": [{"name": e.name, "reason": e.reason} for e in self.excluded_],
            "calibrator": self.calibrator_.to_dict(),
            "references": {name: dict(by) for name, by in self.references_.items()},
            "exclude_attributes": list(self.exclude_attributes),
            "keep_attributes": list(self.keep_attributes),
            "effect_scale": self.effect_scale_,
            "scorer": self.scorer_.to_state(),
        }

    @classmethod
    def from_state(cls, policy: Policy, state: dict[str, Any]) -> LearnedWinModel:
        """A fitted model back from :meth:`to_state` (attach the deals for attributes)."""
        model = cls(
            policy,
            exclude_attributes=state.get("exclude_attributes", ()),
            keep_attributes=state.get("keep_attributes", ()),
        )
        model.as_of_ = datetime.fromisoformat(state["as_of"])
        model.features_ = tuple(Feature.from_dict(f) for f in state["features"])
        model.excluded_ = tuple(Exclusion(e["name"], e["reason"]) for e in state["excluded"])
        model.calibrator_ = Calibrator.from_dict(state["calibrator"])
        model.references_ = {
            name: {stage: float(v) for stage, v in by.items()}
            for name, by in state["references"].items()
        }
        model.scorer_ = scorer_from_state(model.features_, state["scorer"])
        model.effect_scale_ = float(state["effect_scale"])
        return model

    def __repr__(self) -> str:
        fitted = (
            f"fitted as of {self.as_of_:%Y-%m-%d}" if hasattr(self, "scorer_") else "not fitted"
        )
        return f"LearnedWinModel({fitted})"


def distinct_looks(rows: pl.DataFrame, design: pl.DataFrame) -> pl.DataFrame:
    """A deal's looks with the same features (and prior) merged into the first of them,
    which carries their summed weight."""
    keyed = rows.with_columns(
        design.hash_rows(seed=0).alias("__features"),
        pl.col("prior_logit").round(9).alias("__prior"),
    )
    keys = ["deal_id", "__features", "__prior"]
    merged = keyed.group_by(keys, maintain_order=True).agg(
        pl.all().exclude("weight", *keys).first(), pl.col("weight").sum()
    )
    return merged.select(rows.columns).sort("deal_id", "cut")
