"""Hand-built deals for the journal tests: a healthy deal, its activities, a pipeline.

``silent_after_proposal`` is the deal whose turn is known: the buyer replies every week,
a proposal goes out on :data:`PROPOSAL_ON`, the buyer never writes again, the rep keeps
following up weekly, and the deal is lost 60 days later.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from tests.core.core_factories import build_activity, build_deal, build_pipeline
from walkaway.models import Pipeline

Row = dict[str, Any]

CREATED = datetime(2024, 1, 1, 9)
PROPOSAL_ON = CREATED + timedelta(days=63)
LOST_ON = PROPOSAL_ON + timedelta(days=60)


def deal(deal_id: str = "D1", **overrides: Any) -> Row:
    """The core tests' healthy deal, dated for the journal's own timeline."""
    defaults: Row = {
        "deal_id": deal_id,
        "name": f"Deal {deal_id}",
        "account": f"Account {deal_id}",
        "created_at": CREATED,
        "expected_close": (PROPOSAL_ON + timedelta(days=30)).date(),
        "rep_confidence": 3,
    }
    return build_deal(**(defaults | overrides))


def activity(
    deal_id: str, at: datetime, kind: str = "email", direction: str = "outbound", **more: Any
) -> Row:
    return build_activity(deal_id, at, kind, direction, **more)


def stage(deal_id: str, at: datetime, name: str) -> Row:
    return activity(deal_id, at, "stage_change", "internal", stage=name)


def pipeline(deals: Iterable[Row], activities: Iterable[Row] = ()) -> Pipeline:
    return build_pipeline(deals, activities)


def silent_after_proposal(deal_id: str = "L1", start: datetime = CREATED) -> list[Row]:
    """Weekly replies for nine weeks, a proposal on day 63, then only our follow-ups."""
    proposal = start + timedelta(days=63)
    acts = [
        stage(deal_id, start, "qualification"),
        activity(deal_id, start + timedelta(days=2), "meeting", hours=1.0),
        stage(deal_id, start + timedelta(days=10), "discovery"),
        stage(deal_id, start + timedelta(days=24), "demo"),
        activity(deal_id, start + timedelta(days=26), "demo", hours=2.0),
        stage(deal_id, start + timedelta(days=42), "proposal"),
        activity(deal_id, proposal, "proposal", hours=3.0),
    ]
    for week in range(9):
        acts.append(activity(deal_id, start + timedelta(days=7 * week + 1)))
        acts.append(activity(deal_id, start + timedelta(days=7 * week + 2), direction="inbound"))
    for week in range(1, 9):
        acts.append(activity(deal_id, proposal + timedelta(days=7 * week), detail="Following up"))
    return acts


def lost_silent_deal(deal_id: str = "L1", start: datetime = CREATED) -> tuple[Row, list[Row]]:
    lost = start + timedelta(days=123)
    row = deal(
        deal_id,
        created_at=start,
        closed_at=lost,
        outcome="lost",
        loss_reason="went dark",
        expected_close=(start + timedelta(days=93)).date(),
    )
    acts = [a for a in silent_after_proposal(deal_id, start) if a["at"] < lost]
    return row, acts


def won_lively_deal(deal_id: str, start: datetime) -> tuple[Row, list[Row]]:
    """Replies every week through the proposal, won on day 70."""
    won = start + timedelta(days=70)
    row = deal(deal_id, created_at=start, closed_at=won, outcome="won", stage="won")
    acts = [a for a in silent_after_proposal(deal_id, start) if a["at"] < won]
    acts += [
        activity(deal_id, start + timedelta(days=65), direction="inbound"),
        activity(deal_id, start + timedelta(days=68), "proposal", "inbound"),
    ]
    return row, acts
