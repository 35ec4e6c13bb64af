"""Loss reviews on the stored pipeline: one lost deal, the team, and the notes kept.

A deal is lost when its row says so (a CRM import), or when the last outcome recorded
for it by hand (``walkaway outcome DEAL_ID lost``) says so; the loss date is then the
close date, or the outcome's date.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import polars as pl
import sqlalchemy as sa

from walkaway.errors import Conflict, InputError, NotFound
from walkaway.journal.loss.review import MOVE_ON_DAYS, LossReview, review_loss
from walkaway.journal.loss.team import TeamLossReview, review_team_losses
from walkaway.models import Outcome, Pipeline, iso_utc
from walkaway.service.pipeline import current_policy
from walkaway.service.reading import load_pipeline
from walkaway.store import Store
from walkaway.store.frames import load_deals, read_frame
from walkaway.store.schema import deals, loss_reviews, outcomes
from walkaway.store.writing import now_utc

NOTE_SCHEMA: dict[str, pl.DataType] = {
    "recorded_at": pl.Datetime("us"),
    "recorded_by": pl.String(),
    "buyer_answer": pl.String(),
    "lesson": pl.String(),
    "move_on_by": pl.Date(),
}


@dataclass(frozen=True)
class LossReviewView:
    """The computed review and the answers and lessons recorded so far (oldest first)."""

    review: LossReview
    notes: pl.DataFrame  # NOTE_SCHEMA


@dataclass(frozen=True)
class Loss:
    deal_id: str
    lost_at: datetime
    reason: str | None
    by_hand: bool  # only an outcome recorded by hand says it was lost


def find_loss(store: Store, deal_id: str) -> Loss:
    """When and why the deal was lost; NotFound or InputError when it was not."""
    with store.connect() as conn:
        rows = load_deals(conn, deals.c.deal_id == deal_id)
        last = conn.execute(
            sa.select(outcomes.c.outcome, outcomes.c.happened_at, outcomes.c.note)
            .where((outcomes.c.deal_id == deal_id) & (outcomes.c.source == "human"))
            .order_by(outcomes.c.happened_at.desc(), outcomes.c.id.desc())
            .limit(1)
        ).first()
    if rows.height == 0:
        raise NotFound(f"no deal with id {deal_id!r}; `walkaway deals` lists the stored ones")
    deal = rows.row(0, named=True)
    if deal["outcome"] == Outcome.LOST:
        closed = deal["closed_at"] or deal["created_at"]
        return Loss(deal_id, closed, deal["loss_reason"], by_hand=False)
    if deal["outcome"] == Outcome.OPEN and last is not None and last.outcome == Outcome.LOST:
        return Loss(deal_id, last.happened_at, last.note, by_hand=True)
    raise Conflict(
        f"deal {deal_id!r} is {deal['outcome']}, not lost; a loss review looks back at lost "
        "deals (record a loss with `walkaway outcome DEAL_ID lost`)"
    )


def _as_lost(pipeline: Pipeline, loss: Loss) -> Pipeline:
    """The pipeline with the deal closed as lost when only a hand-recorded outcome says so."""
    if not loss.by_hand:
        return pipeline
    this = pl.col("deal_id") == loss.deal_id
    frame = pipeline.deals.with_columns(
        pl.when(this).then(pl.lit(Outcome.LOST.value)).otherwise(pl.col("outcome")).alias("outcome"),
        pl.when(this).then(pl.lit(loss.lost_at)).otherwise(pl.col("closed_at")).alias("closed_at"),
        pl.when(this).then(pl.lit(loss.reason)).otherwise(pl.col("loss_reason")).alias("loss_reason"),
    )  # fmt: skip
    return Pipeline(frame, pipeline.activities)


def loss_review(store: Store, deal_id: str) -> LossReviewView:
    """The loss review of one lost deal, and the notes recorded on it."""
    loss = find_loss(store, deal_id)
    pipeline = _as_lost(load_pipeline(store, loss.lost_at + timedelta(seconds=1)), loss)
    review = review_loss(pipeline, deal_id, current_policy(store))
    return LossReviewView(review, loss_notes(store, deal_id))


def loss_notes(store: Store, deal_id: str) -> pl.DataFrame:
    r = loss_reviews.c
    columns = [r.recorded_at, r.recorded_by, r.buyer_answer, r.lesson, r.move_on_by]
    query = sa.select(*columns).where(r.deal_id == deal_id).order_by(r.recorded_at, r.id)
    with store.connect() as conn:
        return read_frame(conn, columns, query, NOTE_SCHEMA)


def record_loss_notes(
    store: Store,
    deal_id: str,
    *,
    answer: str | None = None,
    lesson: str | None = None,
    recorded_by: str | None = None,
) -> date:
    """Keep the buyer's answer and/or a lesson; returns the move-on date set with them."""
    answer, lesson = (answer or "").strip() or None, (lesson or "").strip() or None
    if answer is None and lesson is None:
        raise InputError("nothing to record; give --answer TEXT and/or --lesson TEXT")
    loss = find_loss(store, deal_id)
    move_on = loss.lost_at.date() + timedelta(days=MOVE_ON_DAYS)
    with store.begin() as conn:
        conn.execute(
            loss_reviews.insert().values(
                deal_id=deal_id,
                recorded_at=now_utc(),
                recorded_by=recorded_by,
                buyer_answer=answer,
                lesson=lesson,
                move_on_by=move_on,
            )
        )
    return move_on


def team_loss_review(store: Store, since: date | None = None) -> TeamLossReview:
    """Where the team's lost deals turn (closed on or after ``since``), and the lift of
    each flag before losses against before wins."""
    pipeline = load_pipeline(store, now_utc() + timedelta(days=1))
    start = None if since is None else datetime(since.year, since.month, since.day)
    return review_team_losses(pipeline, current_policy(store), since=start)


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return iso_utc(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def rows_json(frame: pl.DataFrame) -> list[dict[str, Any]]:
    """Rows as JSON-ready dicts (dates as ISO text)."""
    return [_plain(row) for row in frame.to_dicts()]


def review_json(view: LossReviewView) -> dict[str, Any]:
    """The JSON of `walkaway loss-review --format json` and of the API."""
    r = view.review
    return {
        "deal": _plain(r.deal),
        "timeline": rows_json(r.timeline.drop("deal_id")),
        "turn": _plain(r.turn),
        "events": rows_json(r.events),
        "warning_signs": rows_json(r.warning_signs),
        "questions": list(r.questions),
        "move_on_by": r.move_on_by.isoformat(),
        "notes": rows_json(view.notes),
    }
