"""Replay the walk-away policy over history and compare it with simple baselines.

At each cut date :func:`run_backtest`

1. takes the pipeline **as known at the cut** (:func:`as_known_at`): deals created
   before it, activities dated before it, outcomes of deals closed at or after it
   blanked, and each open deal's stage as it stood then;
2. trains the win-probability model on that view only (``model_factory``), so it sees
   no deal closed at or after the cut;
3. assesses every deal open at the cut with the engine
   (:func:`walkaway.decision.assess.assess_frame`);
4. scores the same deals with the baselines (:mod:`walkaway.backtest.baselines`);
5. compares with what then happened, from the full pipeline: the final outcome, the
   close date, and the effort each deal took after the cut.

The metrics (:mod:`walkaway.backtest.metrics`) are reported per cut and pooled, for the
model and each baseline, with a calibration table and the curve of precision against
effort saved as the walk-away threshold on the score moves.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

import polars as pl

from walkaway import lazy
from walkaway.backtest.baselines import (
    DEFAULT_IDLE_DAYS,
    DEFAULT_STAGE_THRESHOLD,
    crm_stage_probabilities,
    historical_stage_rates,
    idle_days,
    idle_score,
    stage_probability,
    team_win_rate,
)
from walkaway.backtest.metrics import (
    CALIBRATION_BINS,
    CURVE_POINTS,
    Metrics,
    calibration_table,
    cut_metrics,
    pooled_metrics,
    precision_effort_curve,
)
from walkaway.decision.assess import assess_frame
from walkaway.errors import InputError
from walkaway.learning.prior import PriorModel, WinModel
from walkaway.models import (
    ActivityKind,
    Direction,
    ModelKind,
    Outcome,
    Pipeline,
    Recommendation,
    as_utc_naive,
)
from walkaway.policy import Policy
from walkaway.signals.snapshot import take_snapshot

if TYPE_CHECKING:
    from walkaway.backtest import line
    from walkaway.learning import stack
else:
    line = lazy.module("walkaway.backtest.line")
    stack = lazy.module("walkaway.learning.stack")

ModelFactory = Callable[[Pipeline, datetime, Policy], WinModel]

METHODS = ("model", "never", "idle", "stage")
PROBABILITY_METHODS = ("model", "never", "stage")  # the idle rule's score is not one
CURVE_METHODS = ("model", "idle", "stage")  # never walking away has no curve


def prior_model(pipeline: Pipeline, as_of: datetime, policy: Policy) -> WinModel:
    """The engine's prior, fitted on the deals closed before ``as_of``."""
    return PriorModel(policy).fit(pipeline, as_of)


def learned_model(pipeline: Pipeline, as_of: datetime, policy: Policy) -> WinModel:
    """The model ``walkaway train`` would have made at ``as_of``
    (:func:`walkaway.learning.stack.train_win_model`), with the walk-away line its
    history then set (:func:`walkaway.backtest.line.with_line`)."""
    model: WinModel = line.with_line(stack.train_win_model(pipeline, as_of, policy), policy)
    return model


@dataclass(frozen=True)
class BacktestSettings:
    """The baselines' parameters and the report's resolution."""

    idle_days: float = DEFAULT_IDLE_DAYS
    stage_threshold: float = DEFAULT_STAGE_THRESHOLD
    calibration_bins: int = CALIBRATION_BINS
    curve_points: int = CURVE_POINTS

    def label(self, method: str) -> str:
        """How a method is named in tables and plots."""
        return {
            "model": "Walkaway",
            "never": "Never walk away",
            "idle": f"Idle > {self.idle_days:g} days",
            "stage": f"Stage probability < {self.stage_threshold:g}",
        }[method]


@dataclass(frozen=True)
class BacktestResult:
    """Everything a backtest found. ``rows`` has one row per deal open at a cut."""

    cuts: tuple[datetime, ...]
    settings: BacktestSettings
    rows: pl.DataFrame
    per_cut: tuple[Metrics, ...]
    pooled: tuple[Metrics, ...]
    calibration: pl.DataFrame
    curves: pl.DataFrame
    max_wins_sacrificed: float  # the policy's: where the walk-away line sits
    models: tuple[str, ...] = field(default=())

    def pooled_for(self, method: str) -> Metrics:
        return next(m for m in self.pooled if m.method == method)

    def summary(self) -> pl.DataFrame:
        """The pooled metrics, one row per method (the model first)."""
        frame = pl.DataFrame([m.to_dict() for m in self.pooled])
        return frame.with_columns(
            pl.col("method")
            .replace_strict({m: self.settings.label(m) for m in METHODS})
            .alias("label")
        )

    def per_cut_frame(self) -> pl.DataFrame:
        """The metrics of every method at every cut."""
        return pl.DataFrame([m.to_dict() for m in self.per_cut])

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready summary (no deal-level rows)."""
        return {
            "cuts": [c.isoformat() for c in self.cuts],
            "settings": asdict(self.settings),
            "labels": {m: self.settings.label(m) for m in METHODS},
            "models": list(self.models),
            "max_wins_sacrificed": self.max_wins_sacrificed,
            "pooled": {m.method: m.to_dict() for m in self.pooled},
            "per_cut": [m.to_dict() for m in self.per_cut],
            "calibration": self.calibration.to_dicts(),
            "curves": self.curves.to_dicts(),
        }


def run_backtest(
    pipeline: Pipeline,
    policy: Policy,
    cuts: Sequence[datetime],
    model_factory: ModelFactory = learned_model,
    *,
    settings: BacktestSettings | None = None,
) -> BacktestResult:
    """Replay the policy at every cut (see the module's docstring) and measure it."""
    settings = settings or BacktestSettings()
    moments = _check_cuts(pipeline, cuts)
    outcomes = final_outcomes(pipeline)
    frames, models = [], []
    for cut in moments:
        frame, model = _rows_at_cut(pipeline, outcomes, policy, cut, model_factory, settings)
        frames.append(frame)
        models.append(model)
    rows = pl.concat(frames, how="vertical_relaxed")
    return BacktestResult(
        cuts=tuple(moments),
        settings=settings,
        rows=rows,
        per_cut=_per_cut(rows, moments),
        pooled=tuple(
            pooled_metrics(rows, m, is_probability=m in PROBABILITY_METHODS) for m in METHODS
        ),
        calibration=pl.concat(
            [calibration_table(rows, m, settings.calibration_bins) for m in PROBABILITY_METHODS]
        ),
        curves=pl.concat(
            [precision_effort_curve(rows, m, settings.curve_points) for m in CURVE_METHODS]
        ),
        max_wins_sacrificed=policy.decision.max_wins_sacrificed,
        models=tuple(models),
    )


def _per_cut(rows: pl.DataFrame, cuts: Sequence[datetime]) -> tuple[Metrics, ...]:
    results = []
    for cut in cuts:
        at_cut = rows.filter(pl.col("cut") == cut)
        results += [
            cut_metrics(at_cut, m, cut, is_probability=m in PROBABILITY_METHODS) for m in METHODS
        ]
    return tuple(results)


def _check_cuts(pipeline: Pipeline, cuts: Sequence[datetime]) -> list[datetime]:
    moments = sorted({as_utc_naive(c) for c in cuts})
    if not moments:
        raise InputError("a backtest needs at least one cut date")
    first = moments[0]
    closed = take_snapshot(pipeline, first).closed_deals
    if closed.height == 0:
        raise InputError(
            f"no deal had closed before the first cut {first:%Y-%m-%d}: there is nothing "
            "to learn from; start the backtest later"
        )
    return moments


def as_known_at(pipeline: Pipeline, cut: datetime) -> Pipeline:
    """The pipeline as it was known just before ``cut``: what the model may train on
    and the engine assesses.

    On top of :func:`walkaway.signals.snapshot.take_snapshot` (no deal created, activity dated
    or outcome reached at or after the cut), an open deal's ``stage`` is the last stage
    it entered before the cut. A deal with no stage change before the cut keeps its
    stage only when it never changes stage and had not closed: otherwise the field holds
    where it ended up (say "Closed Won"), which was not known at the cut, so it is blanked.
    """
    snap = take_snapshot(pipeline, as_utc_naive(cut))
    is_open = pl.col("outcome") == Outcome.OPEN
    deals = (
        snap.deals.join(_stage_then(snap.activities, pipeline), on="deal_id", how="left")
        .with_columns(
            pl.when(~is_open)
            .then(pl.col("stage"))
            .when(pl.col("stage_then").is_not_null())
            .then(pl.col("stage_then"))
            .when(pl.col("keeps_stage").fill_null(True))
            .then(pl.col("stage"))
            .otherwise(pl.lit(None, dtype=pl.String))
            .alias("stage")
        )
        .drop("stage_then", "keeps_stage")
    )
    return Pipeline(deals, snap.activities)


def _stage_then(known: pl.DataFrame, pipeline: Pipeline) -> pl.DataFrame:
    """``deal_id, stage_then, keeps_stage``: the last stage entered per the activities
    known at the cut, and whether the deal's stage field can be trusted without one (it
    never changes stage and never closes)."""
    changes = pl.col("kind") == ActivityKind.STAGE_CHANGE
    before = (
        known.filter(changes & pl.col("stage").is_not_null())
        .sort("at")
        .group_by("deal_id")
        .agg(pl.col("stage").last().alias("stage_then"))
    )
    moved = pipeline.activities.filter(changes).select("deal_id").unique()
    ended = pl.col("outcome").fill_null(Outcome.OPEN).str.to_lowercase() != Outcome.OPEN
    keeps = pipeline.deals.select(
        "deal_id",
        (~ended & ~pl.col("deal_id").is_in(moved["deal_id"].implode())).alias("keeps_stage"),
    )
    return keeps.join(before, on="deal_id", how="left")


def final_outcomes(pipeline: Pipeline) -> pl.DataFrame:
    """``deal_id, outcome, closed_at``: how every deal ended (``open`` if it has not)."""
    outcome = pl.col("outcome").fill_null(Outcome.OPEN).str.to_lowercase()
    closed = outcome != Outcome.OPEN
    return pipeline.deals.select(
        "deal_id",
        pl.when(closed).then(outcome).otherwise(pl.lit(Outcome.OPEN.value)).alias("outcome"),
        pl.when(closed).then(pl.col("closed_at")).alias("closed_at"),
    )


def effort_after(pipeline: Pipeline, outcomes: pl.DataFrame, cut: datetime) -> pl.DataFrame:
    """``deal_id, touches_after, hours_after``: outbound touches and logged hours dated
    at or after ``cut`` and, for a closed deal, not after its close."""
    at = pl.col("at")
    window = (at >= pl.lit(cut, dtype=pl.Datetime("us"))) & (
        pl.col("closed_at").is_null() | (at <= pl.col("closed_at"))
    )
    return (
        pipeline.activities.join(outcomes.select("deal_id", "closed_at"), on="deal_id")
        .filter(window)
        .group_by("deal_id")
        .agg(
            (pl.col("direction") == Direction.OUTBOUND).sum().cast(pl.Int64).alias("touches_after"),
            pl.col("hours").fill_null(0.0).sum().alias("hours_after"),
        )
    )


def _rows_at_cut(
    pipeline: Pipeline,
    outcomes: pl.DataFrame,
    policy: Policy,
    cut: datetime,
    model_factory: ModelFactory,
    settings: BacktestSettings,
) -> tuple[pl.DataFrame, str]:
    view = as_known_at(pipeline, cut)
    model = model_factory(view, cut, policy)
    assessed = assess_frame(view, cut, policy, model)
    rows = (
        assessed.select(
            pl.lit(cut, dtype=pl.Datetime("us")).alias("cut"),
            "deal_id",
            "stage",
            "amount",
            "recommendation",
            pl.col("win_probability").alias("p_model"),
            (pl.col("recommendation") == Recommendation.WALK_AWAY).alias("walk_model"),
        )
        .join(outcomes, on="deal_id", how="left")
        .join(effort_after(pipeline, outcomes, cut), on="deal_id", how="left")
        .join(idle_days(view, cut), on="deal_id", how="left")
        .with_columns(pl.col("touches_after").fill_null(0), pl.col("hours_after").fill_null(0.0))
    )
    return _with_baselines(rows, view, pipeline, cut, policy, settings), model_words(model)


MODEL_WORDS = {
    ModelKind.PRIOR: "the prior (too little history to learn from)",
    ModelKind.CALIBRATED: "the prior calibrated on the history",
    ModelKind.STACK: "a model learned from the history",
}


def model_words(model: WinModel) -> str:
    """Which model made a cut's calls, in words (never a class name)."""
    card = getattr(model, "card_", None)
    kind = getattr(card, "kind", None)
    return MODEL_WORDS.get(kind, "the prior") if kind is not None else "the prior"


def _with_baselines(
    rows: pl.DataFrame,
    view: Pipeline,
    pipeline: Pipeline,
    cut: datetime,
    policy: Policy,
    settings: BacktestSettings,
) -> pl.DataFrame:
    overall = team_win_rate(view)
    stage_p = stage_probability(
        rows["stage"],
        crm_stage_probabilities(pipeline),
        historical_stage_rates(view, cut, policy),
        overall,
    )
    idle = pl.col("idle_days")
    return rows.with_columns(
        pl.lit(overall).alias("p_never"),
        pl.lit(False).alias("walk_never"),
        idle_score(idle, settings.idle_days).alias("p_idle"),
        (idle > settings.idle_days).alias("walk_idle"),
        stage_p.alias("p_stage"),
        (stage_p < settings.stage_threshold).alias("walk_stage"),
    ).sort("deal_id")
