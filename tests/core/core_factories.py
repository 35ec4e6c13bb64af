"""Factories for the core tests: deals and activities as Pipeline frames.

``build_deal(**overrides)`` is a healthy, fully qualified deal in the proposal stage,
created 20 days before ``AS_OF``; tests override only what they are about. (A module of
its own, not conftest: several rootless conftest.py files share one module name.)
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

import polars as pl

from walkaway.models import ACTIVITY_SCHEMA, DEAL_SCHEMA, Pipeline

AS_OF = datetime(2024, 6, 1)
Row = dict[str, Any]


def days_ago(days: float, *, as_of: datetime = AS_OF) -> datetime:
    return as_of - timedelta(days=days)


def build_deal(**overrides: Any) -> Row:
    deal: Row = {
        "deal_id": "D1",
        "name": "Acme platform",
        "account": "Acme",
        "owner": "ana",
        "stage": "proposal",
        "amount": 20_000.0,
        "currency": "EUR",
        "created_at": days_ago(20),
        "expected_close": (AS_OF + timedelta(days=30)).date(),
        "closed_at": None,
        "outcome": "open",
        "loss_reason": None,
        "margin": 0.7,
        "hours_invested": None,
        "budget": "confirmed",
        "authority": "economic_buyer",
        "champion": "yes",
        "need": "clear",
        "competitor": "none",
        "discount_requested": 0.05,
        "custom_requests": 0,
        "missing_features": 0,
        "stakeholders_aligned": "yes",
        "fit": "high",
        "potential": "medium",
        "rep_confidence": 4,
        "manual_probability": None,
        "attributes": None,
    }
    unknown = set(overrides) - set(deal)
    assert not unknown, f"not a deal column: {unknown}"
    deal.update(overrides)
    return deal


def build_activity(
    deal_id: str = "D1",
    at: datetime | None = None,
    kind: str = "email",
    direction: str | None = "inbound",
    **overrides: Any,
) -> Row:
    activity: Row = {
        "deal_id": deal_id,
        "at": at if at is not None else days_ago(2),
        "kind": kind,
        "direction": direction,
        "status": "done",
        "hours": None,
        "stage": None,
        "detail": None,
        "actor": None,
    }
    unknown = set(overrides) - set(activity)
    assert not unknown, f"not an activity column: {unknown}"
    activity.update(overrides)
    return activity


def build_pipeline(deals: Iterable[Row], activities: Iterable[Row] = ()) -> Pipeline:
    return Pipeline(
        pl.DataFrame(list(deals), schema=DEAL_SCHEMA),
        pl.DataFrame(list(activities), schema=ACTIVITY_SCHEMA),
    )


def healthy_activities(deal_id: str = "D1") -> list[Row]:
    """A lively deal: stage history, a demo, a proposal and recent replies."""
    return [
        build_activity(deal_id, days_ago(20), "stage_change", "internal", stage="qualification"),
        build_activity(deal_id, days_ago(19), "meeting", "outbound", hours=1.0),
        build_activity(deal_id, days_ago(17), "stage_change", "internal", stage="discovery"),
        build_activity(deal_id, days_ago(14), "stage_change", "internal", stage="demo"),
        build_activity(deal_id, days_ago(13), "demo", "outbound", hours=2.0),
        build_activity(deal_id, days_ago(8), "stage_change", "internal", stage="proposal"),
        build_activity(deal_id, days_ago(8), "proposal", "outbound", hours=3.0),
        build_activity(deal_id, days_ago(6), "note", "internal", detail="Mutual plan agreed"),
        build_activity(deal_id, days_ago(5), "proposal", "inbound", detail="comments"),
        build_activity(deal_id, days_ago(3), "email", "outbound"),
        build_activity(deal_id, days_ago(2), "email", "inbound"),
    ]


def won_history(
    count: int, *, stage_days: float = 5.0, reply_days: float = 2.0
) -> tuple[list[Row], list[Row]]:
    """``count`` won deals that heard back in ``reply_days`` and closed after
    ``stage_days`` in proposal (or the day after the reply, when that is later: a reply
    counts while the deal is open), before AS_OF, each with 4 logged hours after
    entering proposal."""
    deals: list[Row] = []
    acts: list[Row] = []
    for i in range(count):
        start = days_ago(200 - i)
        deal_id = f"W{i}"
        closed = start + timedelta(days=max(stage_days, reply_days + 1.0))
        deals.append(
            build_deal(
                deal_id=deal_id, created_at=start, closed_at=closed, outcome="won", stage="won"
            )
        )
        acts += [
            build_activity(deal_id, start, "stage_change", "internal", stage="proposal"),
            build_activity(deal_id, start, "proposal", "outbound", hours=4.0),
            build_activity(deal_id, start + timedelta(days=reply_days), "email", "inbound"),
        ]
    return deals, acts
