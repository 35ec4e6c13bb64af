"""Each rep's week, from the review and the journal (nothing re-derived here).

- **Changed since the last review** (first): the rep's deals that changed since the last
  saved review, else a week (:func:`walkaway.service.changes.changes`), with what moved
  each;
- **Walk away**: the deals whose decision in force (a person's, else the data's) is a
  walk-away in :func:`walkaway.service.review.review`, with the exit message
  :func:`walkaway.service.deal.exit_messages` drafts;
- **re-qualify deadlines coming**: the journal's deadlines that fall by the end of the
  week (:func:`walkaway.service.due.due`), and every re-qualify call of the review that
  nobody has decided on yet, with its deadline and questions;
- **revisit dates due**: the journal's revisit dates that fall by the end of the week.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import polars as pl

from walkaway.journal.changes import KIND_TITLES
from walkaway.models import Recommendation, Tone, as_utc_naive
from walkaway.reporting.digest import Change, DueItem, RepWeek, WalkAway
from walkaway.service.changes import Changes, changes
from walkaway.service.deal import exit_messages
from walkaway.service.due import due
from walkaway.service.review import Review, review
from walkaway.store import Store

WEEK_DAYS = 7
NO_OWNER = "(no owner)"


def _owner_of(row: dict[str, Any]) -> str:
    return str(row.get("owner") or NO_OWNER)


def _walk_aways(
    store: Store, deals: pl.DataFrame, as_of: datetime, tone: str
) -> list[dict[str, Any]]:
    rows = deals.filter(pl.col("decision_in_force") == Recommendation.WALK_AWAY.value).to_dicts()
    drafts = exit_messages(store, [r["deal_id"] for r in rows], as_of, tone)
    for row in rows:
        row["message"] = drafts.get(row["deal_id"], "")
    return rows


def _walk_away(row: dict[str, Any]) -> WalkAway:
    reasons = row.get("reasons") or [""]
    return WalkAway(
        deal_id=str(row["deal_id"]),
        name=str(row.get("name") or ""),
        reason=str(reasons[0]),
        amount=row.get("amount"),
        currency=str(row.get("currency") or ""),
        revisit_on=row.get("human_revisit_on") or row.get("revisit_on"),
        message=str(row["message"]),
    )


def _undecided_requalify(deals: pl.DataFrame) -> list[dict[str, Any]]:
    """The review's re-qualify calls nobody has decided on (the deadline starts now)."""
    undecided = deals.filter(
        (pl.col("recommendation") == Recommendation.REQUALIFY.value)
        & pl.col("human_decision").is_null()
    )
    return [
        {
            "deal_id": r["deal_id"],
            "name": r["name"],
            "owner": r["owner"],
            "due_on": r["requalify_by"],
            "action": _requalify_action(r["reasons"]),
            "questions": r["questions"] or [],
        }
        for r in undecided.to_dicts()
    ]


def _requalify_action(reasons: list[str] | None) -> str:
    """The line that decided a re-qualify call, then what to do about it."""
    deciding = (reasons or [""])[0].rstrip(".")
    ask = "ask these questions by the deadline"
    return f"re-qualify: {deciding}; {ask}" if deciding else f"re-qualify: {ask}"


def _due_item(row: dict[str, Any]) -> DueItem:
    return DueItem(
        deal_id=str(row["deal_id"]),
        name=str(row.get("name") or ""),
        due_on=row["due_on"],
        action=str(row["action"]),
        questions=tuple(row.get("questions") or ()),
    )


def _calls(row: dict[str, Any]) -> str:
    """``Pursue → Re-qualify, 48% → 21%``; a new deal's call, a closed deal's outcome."""
    before, now = row["call_before"], row["call_now"]
    said = [Recommendation(c).label for c in (before, now) if c is not None]
    calls = " → ".join(dict.fromkeys(said)) + (f" → {row['outcome']}" if row["outcome"] else "")
    odds = [f"{p:.0%}" for p in (row["p_before"], row["p_now"]) if p is not None]
    return f"{calls}, {' → '.join(odds)}"


def _change(row: dict[str, Any]) -> Change:
    return Change(
        deal_id=str(row["deal_id"]),
        name=str(row.get("name") or ""),
        what=KIND_TITLES[row["kind"]],
        calls=_calls(row),
        because=tuple(row["because"] or ()),
    )


def _changes_since_last(store: Store, now: Review, owner: str | None) -> Changes:
    """What changed since the last saved review (else a week), reusing ``now``."""

    def reviewed(moment: datetime) -> Review:
        return now if moment == now.as_of else review(store, moment, owner=owner)

    return changes(store, now.as_of, None, owner=owner, reviewed=reviewed)


def weekly_digests(
    store: Store, as_of: datetime, *, owner: str | None = None, tone: str = Tone.WARM
) -> list[RepWeek]:
    """One :class:`RepWeek` per rep with something in the week from ``as_of`` (only
    ``owner``'s when given), sorted by rep."""
    as_of = as_utc_naive(as_of)
    week_start = as_of.date()
    week_end = week_start + timedelta(days=WEEK_DAYS - 1)
    reviewed = review(store, as_of, owner=owner)
    deals = reviewed.deals
    changed = _changes_since_last(store, reviewed, owner)
    moved = changed.deals.to_dicts()
    items = due(store, week_end, known_before=as_of, tone=tone).to_dicts()
    if owner:
        items = [i for i in items if (i["owner"] or "").lower() == owner.lower()]
    deadlines = [i for i in items if i["kind"] == "requalify_deadline"]
    deadlines += _undecided_requalify(deals)
    revisits = [i for i in items if i["kind"] == "revisit"]
    walks = _walk_aways(store, deals, as_of, tone)
    owners = sorted({_owner_of(r) for r in [*moved, *walks, *deadlines, *revisits]})
    return [
        RepWeek(
            owner=name,
            week_start=week_start,
            week_end=week_end,
            walk_aways=tuple(_walk_away(r) for r in _select_for_owner(walks, name)),
            deadlines=tuple(_due_item(r) for r in _select_for_owner(deadlines, name)),
            revisits=tuple(_due_item(r) for r in _select_for_owner(revisits, name)),
            changes=tuple(_change(r) for r in moved if _owner_of(r) == name),
            changes_since=changed.since.date(),
        )
        for name in owners
    ]


def _select_for_owner(rows: list[dict[str, Any]], owner: str) -> list[dict[str, Any]]:
    """The rows of ``owner``, earliest due first; rows due the same day (and walk-aways,
    which are due on none) in the order given: the review's, most at stake first."""
    mine = [r for r in rows if _owner_of(r) == owner]
    return sorted(mine, key=lambda r: r.get("due_on") or datetime.min.date())
