"""Letting go of one lost deal: where it turned, what warned us, what to ask, when to move on.

:func:`review_loss` replays the deal's history point-in-time
(:mod:`walkaway.journal.loss.timeline`), finds the turn, lists the warning signs (flags raised
at cuts before the turn, with the day each was first seen), the activities around the
turn, questions for a win/loss conversation (:mod:`walkaway.journal.loss.questions`) and the
move-on date: the loss date plus :data:`MOVE_ON_DAYS` days - time to ask the buyer,
share the lessons with the team, and then start again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import polars as pl

from walkaway.errors import Conflict, InputError
from walkaway.journal.loss.questions import win_loss_questions
from walkaway.journal.loss.timeline import (
    MAX_CUTS,
    NOT_SIGNS,
    assess_cuts,
    deal_cuts,
    turning_points,
)
from walkaway.models import Outcome, Pipeline
from walkaway.policy import Policy

MOVE_ON_DAYS = 14
MAX_EVENTS = 10


@dataclass(frozen=True)
class LossReview:
    """One lost deal looked back at; ``turn`` is None when its chances never clearly fell."""

    deal: dict[str, Any]  # deal_id, name, owner, amount, currency, created_at, lost_at, ...
    timeline: pl.DataFrame  # loss_timeline.TIMELINE_SCHEMA, oldest cut first
    turn: dict[str, Any] | None  # a row of loss_timeline.turning_points
    events: pl.DataFrame  # activities from the turn's onset to the turn (at most MAX_EVENTS)
    warning_signs: pl.DataFrame  # code, severity, first_seen, evidence
    questions: tuple[str, ...]
    move_on_by: date


def lost_deal(pipeline: Pipeline, deal_id: str) -> dict[str, Any]:
    """The deal's row, or InputError when it is not in ``pipeline`` as a lost deal."""
    rows = pipeline.deals.filter(pl.col("deal_id") == deal_id)
    if rows.height == 0:
        raise InputError(f"no deal with id {deal_id!r}")
    deal = rows.row(0, named=True)
    if deal["outcome"] != Outcome.LOST:
        raise Conflict(
            f"deal {deal_id!r} is {deal['outcome']}, not lost; a loss review looks back at "
            "lost deals (record a loss with `walkaway outcome DEAL_ID lost`)"
        )
    return deal


def review_loss(
    pipeline: Pipeline, deal_id: str, policy: Policy, *, max_cuts: int = MAX_CUTS
) -> LossReview:
    """The loss review of ``deal_id`` (lost in ``pipeline``), computed point-in-time."""
    deal = lost_deal(pipeline, deal_id)
    acts = pipeline.activities.filter(pl.col("deal_id") == deal_id).sort("at")
    lost_at = _lost_at(deal, acts)
    cuts = deal_cuts(deal["created_at"], lost_at, acts["at"].to_list(), max_cuts=max_cuts)
    timeline = assess_cuts(pipeline, cuts, policy, deal_ids=[deal_id])
    turns = turning_points(timeline, rows_of(deal), acts)
    turn = turns.row(0, named=True) if turns.height else None
    signs = warning_signs(timeline, turn["turned_at"] if turn else None)
    codes = [*(turn["new_flags"] if turn else []), *signs["code"].to_list()]
    onset = turn["onset"].date() if turn else None
    return LossReview(
        deal={**_summary(deal), "lost_at": lost_at},
        timeline=timeline,
        turn=turn,
        events=_events(acts, turn),
        warning_signs=signs,
        questions=win_loss_questions(codes, deal["loss_reason"], onset),
        move_on_by=lost_at.date() + timedelta(days=MOVE_ON_DAYS),
    )


def rows_of(deal: dict[str, Any]) -> pl.DataFrame:
    return pl.DataFrame(
        {"deal_id": [deal["deal_id"]], "created_at": [deal["created_at"]]},
        schema={"deal_id": pl.String, "created_at": pl.Datetime("us")},
    )


def _lost_at(deal: dict[str, Any], acts: pl.DataFrame) -> datetime:
    """The close date; without one, the last activity (else the creation)."""
    if deal["closed_at"] is not None:
        return deal["closed_at"]  # type: ignore[no-any-return]
    last = acts["at"].max() if acts.height else None
    return last if isinstance(last, datetime) else deal["created_at"]  # type: ignore[no-any-return]


def _summary(deal: dict[str, Any]) -> dict[str, Any]:
    keys = ("deal_id", "name", "account", "owner", "stage", "amount", "currency")
    return {k: deal[k] for k in keys} | {
        "created_at": deal["created_at"],
        "loss_reason": deal["loss_reason"],
    }


def warning_signs(timeline: pl.DataFrame, before: datetime | None) -> pl.DataFrame:
    """Flags raised at cuts before ``before`` (all cuts if None), first seen first, with
    the evidence as it read then."""
    frame = timeline if before is None else timeline.filter(pl.col("cut") < before)
    flat = frame.select("cut", "flags").explode("flags").drop_nulls("flags").unnest("flags")
    flat = flat.filter(~pl.col("code").is_in(NOT_SIGNS))
    return (
        flat.sort("cut")
        .group_by("code", maintain_order=True)
        .agg(
            pl.col("severity").first(),
            pl.col("cut").min().alias("first_seen"),
            pl.col("evidence").first(),
        )
        .sort("first_seen", "code")
        .select("code", "severity", "first_seen", "evidence")
    )


def _events(acts: pl.DataFrame, turn: dict[str, Any] | None) -> pl.DataFrame:
    columns = ["at", "kind", "direction", "status", "stage", "detail"]
    if turn is None:
        return acts.select(columns).clear()
    around = acts.filter(
        (pl.col("at") >= turn["onset"]) & (pl.col("at") < turn["turned_at"])
    ).select(columns)
    return around.head(MAX_EVENTS)
