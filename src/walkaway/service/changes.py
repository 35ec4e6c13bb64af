"""What changed since an earlier date: two as-of reviews of the same store, compared.

Nothing is stored twice: the earlier review is replayed as of its date
(:func:`walkaway.service.review.review`), so any two dates can be compared. The
comparison itself is :func:`walkaway.journal.changes.compare_reviews` (one columnar
join); here the store adds the outcomes of the deals closed in between and the decisions
whose deadline came. ``--since`` defaults to the last review someone saved
(:func:`save_review`), else a week before.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import polars as pl
import sqlalchemy as sa

from walkaway.journal.changes import CLOSED_SCHEMA, KINDS, compare_reviews
from walkaway.journal.scorecard import due_decisions, follow_up
from walkaway.models import DATETIME, ISO_UTC, Outcome, iso_utc, parse_moment
from walkaway.service.decisions import load_decisions
from walkaway.service.journal import decision_history
from walkaway.service.review import Review, review
from walkaway.store import Store
from walkaway.store.frames import read_frame
from walkaway.store.schema import deals, saved_reviews

DEFAULT_WEEK = timedelta(days=7)
LAST = "last"
_SPAN = re.compile(r"^\s*(\d+)\s*([dw])\s*$", re.IGNORECASE)
DEADLINE_SCHEMA: dict[str, pl.DataType] = {
    "deal_id": pl.String(),
    "name": pl.String(),
    "owner": pl.String(),
    "kind": pl.String(),
    "due_on": pl.Date(),
    "decision": pl.String(),
    "decided_by": pl.String(),
    "reason": pl.String(),
    "requalify_status": pl.String(),
}


@dataclass(frozen=True)
class Changes:
    """What changed between the review as of ``since`` and the one as of ``as_of``.

    ``since_from`` says where ``since`` came from: ``given``, ``saved review`` or
    ``a week`` (the default when no review was saved). ``deals`` is
    :data:`walkaway.journal.changes.CHANGE_SCHEMA`, most important first; ``deadlines``
    the people's decisions whose re-qualify deadline or revisit date came in between.
    """

    since: datetime
    as_of: datetime
    since_from: str
    deals: pl.DataFrame
    deadlines: pl.DataFrame
    summary: dict[str, Any]


class SinceNotBefore(ValueError):
    """A moment to compare with that is not before the review's: there is no earlier
    review to compare with (the API's 409)."""


def parse_since(text: str, as_of: datetime) -> datetime:
    """``7d``, ``2w``, or a date or date-time (:func:`walkaway.models.parse_moment`):
    the earlier moment to compare with. A ValueError says what was expected."""
    span = _SPAN.match(text)
    if span:
        count, unit = int(span.group(1)), span.group(2).lower()
        try:
            return as_of - timedelta(days=count * (7 if unit == "w" else 1))
        except OverflowError:
            raise ValueError(f"{text!r} goes back before the year 1") from None
    try:
        return parse_moment(text)
    except ValueError:
        raise ValueError(
            f"{text!r} is not a span or a date: expected e.g. 7d, 2w, {LAST} or 2026-11-09"
        ) from None


def save_review(store: Store, as_of: datetime, *, by: str | None, at: datetime) -> None:
    """Remember that the review as of ``as_of`` was saved (read by :func:`last_saved`)."""
    with store.begin() as conn:
        conn.execute(saved_reviews.insert().values(as_of=as_of, saved_at=at, saved_by=by))


def last_saved(store: Store, before: datetime) -> datetime | None:
    """The as-of moment of the newest saved review earlier than ``before``."""
    query = sa.select(sa.func.max(saved_reviews.c.as_of)).where(saved_reviews.c.as_of < before)
    with store.connect() as conn:
        found: datetime | None = conn.execute(query).scalar()
    return found


def resolve_since(store: Store, text: str | None, as_of: datetime) -> tuple[datetime, str]:
    """The moment to compare with and where it came from (:attr:`Changes.since_from`);
    ``None`` or ``last``: the last saved review, else a week before ``as_of``."""
    if text is not None and text.strip().lower() != LAST:
        since = parse_since(text, as_of)
        if since >= as_of:
            raise SinceNotBefore(
                f"{since:%Y-%m-%d %H:%M} is not before the review's date {as_of:%Y-%m-%d %H:%M}"
            )
        return since, "given"
    saved = last_saved(store, as_of)
    if saved is not None:
        return saved, "saved review"
    return as_of - DEFAULT_WEEK, "a week"


def closed_between(store: Store, since: datetime, as_of: datetime) -> pl.DataFrame:
    """The deals won or lost at or after ``since`` and before ``as_of``
    (:data:`walkaway.journal.changes.CLOSED_SCHEMA`)."""
    d = deals.c
    columns = [d.deal_id, d.outcome, d.closed_at]
    closed = d.outcome.in_([Outcome.WON.value, Outcome.LOST.value])
    query = sa.select(*columns).where(closed & (d.closed_at >= since) & (d.closed_at < as_of))
    with store.connect() as conn:
        return read_frame(conn, columns, query, CLOSED_SCHEMA)


def deadlines_between(
    store: Store, since: datetime, as_of: datetime, known: pl.DataFrame
) -> pl.DataFrame:
    """The decisions in force whose re-qualify deadline or revisit date came after
    ``since`` and by ``as_of`` (:data:`DEADLINE_SCHEMA`), with whether the buyer answered
    a re-qualify in time. ``known``: deal_id, name and owner of the deals to keep."""
    made = load_decisions(store)
    items = due_decisions(made, as_of.date(), decided_before=as_of)
    came = pl.col("due_on").cast(DATETIME)
    items = items.filter((came > since) & (came <= as_of))
    items = items.join(known.select("deal_id", "name", "owner"), on="deal_id", how="inner")
    if items.height == 0:
        return pl.DataFrame(schema=DEADLINE_SCHEMA)
    found, happened, replies = decision_history(store)
    status = follow_up(made.drop("snapshot"), found, happened, replies, as_of)
    items = items.join(
        status.select("decision_id", "requalify_status"), on="decision_id", how="left"
    )
    return items.select(list(DEADLINE_SCHEMA)).cast(DEADLINE_SCHEMA)  # type: ignore[arg-type]


def _known_deals(before: Review, after: Review) -> pl.DataFrame:
    both = pl.concat([r.deals.select("deal_id", "name", "owner") for r in (after, before)])
    return both.unique("deal_id", keep="first", maintain_order=True)


def _summary(
    before: Review, after: Review, frame: pl.DataFrame, deadlines: pl.DataFrame
) -> dict[str, Any]:
    counts = dict(frame.group_by("kind").len().iter_rows())
    return {
        "currency": after.summary["currency"],
        "by_kind": {kind: int(counts.get(kind, 0)) for kind in KINDS},
        "deadlines": deadlines.height,
        "open_deals_before": before.summary["open_deals"],
        "open_deals_now": after.summary["open_deals"],
        "forecast_before": before.summary["forecast"],
        "forecast_now": after.summary["forecast"],
        "model_before": before.summary["model"]["said"],
        "model_now": after.summary["model"]["said"],
    }


def changes(
    store: Store,
    as_of: datetime,
    since: str | None = None,
    *,
    owner: str | None = None,
    reviewed: Callable[[datetime], Review] | None = None,
) -> Changes:
    """What changed between the review as of ``since`` (``7d``, ``2w``, a date, ``last``
    or None: see :func:`resolve_since`) and the review as of ``as_of``; with ``owner``,
    only that rep's deals. ``reviewed`` gives the review as of a moment, already
    filtered (the web's cache); by default it is run here."""
    moment, since_from = resolve_since(store, since, as_of)
    if reviewed is None:
        before, after = review(store, moment, owner=owner), review(store, as_of, owner=owner)
    else:
        before, after = reviewed(moment), reviewed(as_of)
    closed = closed_between(store, moment, as_of)
    frame = compare_reviews(before.deals, after.deals, closed)
    deadlines = deadlines_between(store, moment, as_of, _known_deals(before, after))
    summary = _summary(before, after, frame, deadlines)
    return Changes(moment, as_of, since_from, frame, deadlines, summary)


def _plain(frame: pl.DataFrame) -> list[dict[str, Any]]:
    texts = [
        pl.col(c).dt.strftime(ISO_UTC if t == pl.Datetime else "%Y-%m-%d")
        for c, t in frame.schema.items()
        if t in (pl.Datetime, pl.Date)
    ]
    return frame.with_columns(texts).to_dicts()


def changes_json(result: Changes) -> dict[str, Any]:
    """The changes as JSON-ready data: ``since``, ``as_of``, ``since_from``, ``summary``,
    ``changes`` (one object per deal, most important first) and ``deadlines``."""
    return {
        "since": iso_utc(result.since),
        "as_of": iso_utc(result.as_of),
        "since_from": result.since_from,
        "summary": result.summary,
        "changes": _plain(result.deals),
        "deadlines": _plain(result.deadlines),
    }
