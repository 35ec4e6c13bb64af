"""A deal closed before a date: its outcome, its dates and amount, the decisions
recorded on it and its last activities (the deal page and ``GET /api/deals/{id}`` of a
won or lost deal, which has no call to make any more).

Point-in-time like the rest: a deal closed at or after ``as_of`` was open then (it has
a call, not this); decisions recorded for a later moment are not shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

import polars as pl

from walkaway.journal.changes import call_was
from walkaway.models import DATETIME, Outcome, iso_utc
from walkaway.service.decisions import load_decisions
from walkaway.signals.snapshot import known_deals
from walkaway.store import Store
from walkaway.store.frames import one_deal

DECISION_COLUMNS = (
    "decision_id",
    "decision",
    "decided_at",
    "decided_by",
    "reason",
    "revisit_on",
    "requalify_by",
    "recommendation",
    "win_probability",
)


@dataclass(frozen=True)
class ClosedDeal:
    """A deal won or lost before ``as_of``: its stored row (``deal``), how long it ran,
    the decisions recorded on it (oldest first) and its activities, oldest first."""

    as_of: datetime
    deal: dict[str, Any]
    days_open: int | None
    decisions: list[dict[str, Any]]
    timeline: list[dict[str, Any]]

    @property
    def lost(self) -> bool:
        return bool(self.deal["outcome"] == Outcome.LOST.value)


def closed_deal(store: Store, deal_id: str, as_of: datetime) -> ClosedDeal | None:
    """``deal_id`` if it was won or lost before ``as_of``; None when it was open then,
    created later, or not stored (the callers say which)."""
    row, activities = one_deal(store, deal_id, as_of)
    stored = known_deals(row, as_of)
    if stored.height == 0 or stored["outcome"][0] == Outcome.OPEN.value:
        return None
    timeline = activities.to_dicts()
    deal = stored.row(0, named=True)
    ended = deal["closed_at"]
    days = (ended - deal["created_at"]).days if ended is not None else None
    decided = decisions_before(store, deal_id, as_of, deal["outcome"])
    return ClosedDeal(as_of, deal, days, decided, timeline)


def decisions_before(
    store: Store, deal_id: str, as_of: datetime, outcome: str
) -> list[dict[str, Any]]:
    """The decisions people recorded on ``deal_id`` for moments up to ``as_of``, oldest
    first, with what the data said then and whether the decision was right given the
    ``outcome`` (``call_was``: right, wrong, or open for a re-qualification)."""
    moment = pl.lit(as_of, dtype=DATETIME)
    frame = load_decisions(store).filter(
        (pl.col("deal_id") == deal_id) & (pl.col("decided_at") <= moment)
    )
    was = call_was(pl.col("decision"), pl.lit(outcome)).alias("call_was")
    return frame.select(*DECISION_COLUMNS, was).to_dicts()


def closed_json(found: ClosedDeal) -> dict[str, Any]:
    """The closed deal as ``GET /api/deals/{id}`` answers it (``state = "closed"``)."""
    deal = found.deal
    keys = ("deal_id", "name", "account", "owner", "stage", "amount", "currency")
    deal_id = deal["deal_id"]
    return {
        "state": "closed",
        "as_of": iso_utc(found.as_of),
        **{key: deal[key] for key in keys},
        "outcome": deal["outcome"],
        "created_at": iso_utc(deal["created_at"]),
        "expected_close": deal["expected_close"].isoformat() if deal["expected_close"] else None,
        "closed_at": iso_utc(deal["closed_at"]) if deal["closed_at"] else None,
        "days_open": found.days_open,
        "loss_reason": deal["loss_reason"],
        "activity_count": len(found.timeline),
        "decisions": [
            {
                **row,
                "decided_at": iso_utc(row["decided_at"]),
                "revisit_on": _day(row["revisit_on"]),
                "requalify_by": _day(row["requalify_by"]),
            }
            for row in found.decisions
        ],
        "loss_review": f"/api/deals/{quote(deal_id, safe='')}/loss-review" if found.lost else None,
    }


def _day(value: Any) -> str | None:
    return None if value is None else str(value.isoformat())
