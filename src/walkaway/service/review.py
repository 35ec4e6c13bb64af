"""Assessing the stored pipeline as of a date: the review, one deal, its exit message."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import polars as pl

from walkaway.decide import assess_frame, assessments_from_frame
from walkaway.errors import InputError, NotFound
from walkaway.messages import draft_exit_message
from walkaway.models import Assessment, Pipeline, Recommendation
from walkaway.policy import Policy, load_policy
from walkaway.service.pipeline import stored_policy_text
from walkaway.store import Store
from walkaway.store.frames import load_activities, load_deals
from walkaway.store.schema import deals


def current_policy(store: Store) -> Policy:
    """The team's stored policy, or the default one."""
    return load_policy(stored_policy_text(store))


def load_pipeline(store: Store, as_of: datetime) -> Pipeline:
    """Every deal created before ``as_of`` and every activity dated before it.

    Outcomes and stages after ``as_of`` are still in the deal rows; the core's snapshot
    takes them back to what was known then.
    """
    with store.connect() as conn:
        frame = load_deals(conn, deals.c.created_at < as_of)
        acts = load_activities(conn, before=as_of)
    return Pipeline(frame, acts)


@dataclass(frozen=True)
class Review:
    """Every open deal as of a date, most urgent first, and the summary of the pipeline."""

    as_of: datetime
    deals: pl.DataFrame  # walkaway.decide.ASSESSMENT_COLUMNS
    summary: dict[str, Any]


def _matches(column: str, wanted: str | None) -> pl.Expr:
    if not wanted:
        return pl.lit(True)
    return pl.col(column).str.to_lowercase() == wanted.lower()


def review(
    store: Store, as_of: datetime, *, owner: str | None = None, stage: str | None = None
) -> Review:
    """The pipeline review: every deal open at ``as_of``, filtered by rep and stage.

    Norms and yield come from the whole team's history whatever the filter.
    """
    policy = current_policy(store)
    frame = assess_frame(load_pipeline(store, as_of), as_of, policy)
    frame = frame.filter(_matches("owner", owner) & _matches("stage", stage))
    return Review(as_of, frame, summarise(frame, policy.currency))


def summarise(frame: pl.DataFrame, currency: str) -> dict[str, Any]:
    """Deals per recommendation, value held by walk-away candidates, and the forecast."""
    walk = pl.col("recommendation") == Recommendation.WALK_AWAY.value
    weighted = (pl.col("win_probability") * pl.col("amount").fill_null(0)).sum()
    totals = frame.select(
        pl.len().alias("open_deals"),
        pl.col("amount").sum().alias("open_value"),
        pl.col("amount").filter(walk).sum().alias("walk_away_value"),
        weighted.alias("forecast"),
        (pl.col("win_probability") * pl.col("amount").fill_null(0))
        .filter(~walk)
        .sum()
        .alias("forecast_without_walk_aways"),
        pl.col("hours_needed").filter(walk).sum().alias("hours_freed_by_walking_away"),
    ).row(0, named=True)
    counts = dict(frame.group_by("recommendation").len().iter_rows())
    by_recommendation = {r.value: int(counts.get(r.value, 0)) for r in Recommendation}
    open_value = float(totals["open_value"] or 0.0)
    walk_value = float(totals["walk_away_value"] or 0.0)
    return {
        "currency": currency,
        "open_deals": int(totals["open_deals"]),
        "by_recommendation": by_recommendation,
        "open_value": round(open_value, 2),
        "walk_away_value": round(walk_value, 2),
        "pipeline_pollution": round(walk_value / open_value, 4) if open_value else 0.0,
        "forecast": round(float(totals["forecast"] or 0.0), 2),
        "forecast_without_walk_aways": round(
            float(totals["forecast_without_walk_aways"] or 0.0), 2
        ),
        "hours_freed_by_walking_away": round(
            float(totals["hours_freed_by_walking_away"] or 0.0), 1
        ),
    }


@dataclass(frozen=True)
class DealView:
    """One deal as of a date: its assessment, its stored row and its timeline."""

    assessment: Assessment
    deal: dict[str, Any]
    timeline: pl.DataFrame  # activities before as_of, newest last


def show(store: Store, deal_id: str, as_of: datetime) -> DealView:
    """Assess one deal (with the team's norms) as of ``as_of``."""
    with store.connect() as conn:
        stored = load_deals(conn, deals.c.deal_id == deal_id)
    if stored.height == 0:
        raise NotFound(f"no deal with id {deal_id!r}; `walkaway deals` lists the stored ones")
    row = stored.row(0, named=True)
    if row["created_at"] >= as_of:
        raise InputError(
            f"deal {deal_id!r} was created on {row['created_at']:%Y-%m-%d}, after the as-of "
            f"date {as_of:%Y-%m-%d}; pick a later --as-of"
        )
    pipeline = load_pipeline(store, as_of)
    frame = assess_frame(pipeline, as_of, current_policy(store), deal_ids=[deal_id])
    if frame.height == 0:
        raise InputError(
            f"deal {deal_id!r} was already closed ({row['outcome']}) before {as_of:%Y-%m-%d}; "
            "only open deals are assessed (`walkaway loss-review` looks back at lost ones)"
        )
    timeline = pipeline.activities.filter(pl.col("deal_id") == deal_id)
    return DealView(assessments_from_frame(frame)[0], row, timeline)


def exit_message(store: Store, deal_id: str, as_of: datetime, tone: str = "warm") -> str:
    """A draft email to the buyer that walks away well."""
    if tone not in {"warm", "direct"}:
        raise InputError(f"unknown tone {tone!r}; expected warm or direct")
    view = show(store, deal_id, as_of)
    return draft_exit_message(
        view.assessment, view.deal, tone=tone, templates=current_policy(store)
    )


def assessments_json(
    frame: pl.DataFrame, columns: Sequence[str] | None = None
) -> list[dict[str, Any]]:
    """The review's deals as JSON-ready dicts (dates as ISO text), in one columnar pass."""
    import json

    if columns is not None:
        frame = frame.select(columns)
    rows: list[dict[str, Any]] = json.loads(frame.write_json())
    return rows
