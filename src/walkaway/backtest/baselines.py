"""The simple rules a walk-away policy has to beat, scored at a cut like the model.

- **never**: never walk away. Its probability is the team's win rate before the cut,
  the same for every deal (AUC 0.5 by construction; its Brier score is the bar a
  probability must clear to say anything about single deals).
- **idle**: Pipedrive's "rotting" rule: walk away when more than ``idle_days`` days
  have passed since the deal's last activity of any kind (a stage change counts as
  one; a deal without activities counts from its creation). Its score for AUC is
  ``1 / (1 + idle / idle_days)``: monotone in idle time, 0.5 exactly at the limit, so
  the rule is "score below 0.5". It is not a probability and has no Brier score.
- **stage**: the CRM's fixed probability for the deal's stage at the cut; walk away
  below ``stage_threshold``. Where the CRM exported one (the ``crm_probability``
  attribute), the stage's probability is read from the deals still open in the export
  (a closed deal's 0 or 1 is its outcome, not its stage's probability); any other stage
  uses its historical win rate: of the deals closed before the cut that reached it,
  the share won (the team's overall rate for a stage never reached).
"""

from __future__ import annotations

import json
from datetime import datetime

import polars as pl

from walkaway.models import Outcome, Pipeline
from walkaway.policy import Policy
from walkaway.signals.norms import compute_norms
from walkaway.signals.snapshot import STAGE_KEY, days_between

DEFAULT_IDLE_DAYS = 14.0
DEFAULT_STAGE_THRESHOLD = 0.2


def team_win_rate(view: Pipeline) -> float:
    """Share won among the deals closed in ``view`` (0.5 when none are)."""
    closed = view.deals.filter(pl.col("outcome").is_in([Outcome.WON, Outcome.LOST]))
    if closed.height == 0:
        return 0.5
    rate = closed.select((pl.col("outcome") == Outcome.WON).mean()).item()
    return float(rate)


def idle_days(view: Pipeline, cut: datetime) -> pl.DataFrame:
    """``deal_id, idle_days``: days from the last activity before ``cut`` (else from the
    deal's creation) to ``cut``, for every deal of ``view``."""
    last = view.activities.group_by("deal_id").agg(pl.col("at").max().alias("last_at"))
    now = pl.lit(cut, dtype=pl.Datetime("us"))
    return (
        view.deals.select("deal_id", "created_at")
        .join(last, on="deal_id", how="left")
        .select(
            "deal_id",
            days_between(now, pl.coalesce("last_at", "created_at")).clip(0.0).alias("idle_days"),
        )
    )


def idle_score(days: pl.Expr, limit: float) -> pl.Expr:
    """The rotting rule's score: 1 / (1 + days / limit); below 0.5 means idle too long."""
    return 1.0 / (1.0 + days / limit)


def crm_stage_probabilities(pipeline: Pipeline) -> dict[str, float]:
    """Stage key -> the CRM's probability, from deals still open in the export."""
    if "attributes" not in pipeline.deals.columns:
        return {}
    open_deals = pipeline.deals.filter(
        pl.col("outcome").fill_null(Outcome.OPEN).str.to_lowercase() == Outcome.OPEN
    ).filter(pl.col("attributes").str.contains("crm_probability", literal=True))
    table: dict[str, list[float]] = {}
    for stage, attributes in open_deals.select(STAGE_KEY, "attributes").iter_rows():
        value = _number(json.loads(attributes or "{}").get("crm_probability"))
        if stage is not None and value is not None:
            table.setdefault(stage, []).append(value)
    return {stage: sorted(values)[len(values) // 2] for stage, values in table.items()}


def _number(value: object) -> float | None:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return number / 100 if number > 1 else number


def historical_stage_rates(view: Pipeline, cut: datetime, policy: Policy) -> dict[str, float]:
    """Stage key -> share won of the deals closed before ``cut`` that reached it."""
    stages = compute_norms(view, cut, policy).stages.filter(pl.col("reached") > 0)
    return {
        key: won / reached
        for key, won, reached in stages.select("stage_key", "won", "reached").rows()
    }


def stage_probability(
    stages: pl.Series,
    crm: dict[str, float],
    history: dict[str, float],
    overall: float,
) -> pl.Series:
    """Each deal's stage probability: the CRM's, else the stage's history, else overall."""
    key = stages.str.strip_chars().str.to_lowercase()
    table = {**history, **crm}
    return key.replace_strict(table, default=overall, return_dtype=pl.Float64).fill_null(overall)
