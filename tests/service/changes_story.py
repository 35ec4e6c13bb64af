"""A pipeline where known things happen between two reviews three weeks apart.

Between :data:`BEFORE` and :data:`AFTER`: D-DARK's buyer goes silent after a proposal,
D-MOVE reaches negotiation, D-NEW is created, D-WON is won and D-LOST lost; D-STAY
carries on as before. Written as the generic CSV files a team would import.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from tests.core.core_factories import (
    AS_OF,
    build_activity,
    build_deal,
    build_pipeline,
    healthy_activities,
)

Row = dict[str, Any]
BEFORE = AS_OF
AFTER = AS_OF + timedelta(days=21)
AMOUNT_CROSS = 16_000.0  # pays for its hours at first; not once its odds wore down
CLOSE_SOON = (AFTER + timedelta(days=30)).date()


def after(days: float) -> datetime:
    return BEFORE + timedelta(days=days)


def _open(deal_id: str, **overrides: Any) -> Row:
    return build_deal(
        deal_id=deal_id, name=f"Deal {deal_id}", expected_close=CLOSE_SOON, **overrides
    )


def _weekly_replies(deal_id: str, weeks: int) -> list[Row]:
    acts: list[Row] = []
    for week in range(weeks):
        acts.append(build_activity(deal_id, after(7 * week + 1), "email", "outbound"))
        acts.append(build_activity(deal_id, after(7 * week + 2), "email", "inbound"))
    return acts


def _history_deal(index: int, won: bool) -> tuple[Row, list[Row]]:
    """A closed deal of the team's history: through the stages in 25 days, 40 days in
    proposal with the buyer answering every week; a win reaches negotiation and closes
    on day 80, a loss goes quiet after the proposal and is lost on day 80."""
    start = AS_OF - timedelta(days=320 - 5 * index)
    deal_id = f"H{index}"
    row = build_deal(
        deal_id=deal_id,
        created_at=start,
        closed_at=start + timedelta(days=80),
        outcome="won" if won else "lost",
        stage="won" if won else "lost",
        loss_reason=None if won else "no decision",
    )
    acts = [
        build_activity(deal_id, start + timedelta(days=day), "stage_change", "internal", stage=name)
        for day, name in ((0, "qualification"), (8, "discovery"), (16, "demo"), (25, "proposal"))
    ]
    acts.append(build_activity(deal_id, start + timedelta(days=1), "meeting", None, hours=30.0))
    acts.append(build_activity(deal_id, start + timedelta(days=25), "proposal", "outbound"))
    replies = 11 if won else 4
    for week in range(replies):
        acts.append(
            build_activity(deal_id, start + timedelta(days=7 * week + 1), "email", "outbound")
        )
        acts.append(
            build_activity(deal_id, start + timedelta(days=7 * week + 3), "email", "inbound")
        )
    if won:
        acts.append(
            build_activity(
                deal_id, start + timedelta(days=65), "stage_change", "internal", stage="negotiation"
            )
        )
    return row, acts


def history(count: int = 40) -> tuple[list[Row], list[Row]]:
    """``count`` closed deals, three wins in five."""
    deals: list[Row] = []
    acts: list[Row] = []
    for index in range(count):
        row, rows = _history_deal(index, won=index % 5 < 3)
        deals.append(row)
        acts += rows
    return deals, acts


def story() -> tuple[list[Row], list[Row]]:
    deals, acts = history()
    # carries on as before: replies every week
    deals.append(_open("D-STAY"))
    acts += healthy_activities("D-STAY") + _weekly_replies("D-STAY", 3)
    # the buyer goes silent: only our follow-ups after the review
    deals.append(_open("D-DARK"))
    acts += healthy_activities("D-DARK")
    acts += [build_activity("D-DARK", after(d), "email", "outbound") for d in (3, 8, 13, 18)]
    # reaches negotiation, the buyer answering
    deals.append(_open("D-MOVE"))
    acts += healthy_activities("D-MOVE") + _weekly_replies("D-MOVE", 3)
    acts.append(build_activity("D-MOVE", after(5), "stage_change", "internal", stage="negotiation"))
    # stays in qualification, answering: the weeks there wear its odds down
    deals.append(_open("D-CROSS", created_at=after(-3), stage="qualification", amount=AMOUNT_CROSS))
    acts.append(
        build_activity("D-CROSS", after(-3), "stage_change", "internal", stage="qualification")
    )
    acts += _weekly_replies("D-CROSS", 3)
    # created after the first review
    deals.append(_open("D-NEW", created_at=after(4), stage="qualification"))
    acts.append(
        build_activity("D-NEW", after(4), "stage_change", "internal", stage="qualification")
    )
    acts.append(build_activity("D-NEW", after(6), "meeting", None, hours=1.0))
    # won and lost in between
    deals.append(_open("D-WON", outcome="won", closed_at=after(10), stage="won"))
    acts += healthy_activities("D-WON")
    deals.append(_open("D-LOST", outcome="lost", closed_at=after(12), stage="lost"))
    acts += healthy_activities("D-LOST")
    return deals, acts


def write_story(folder: Path) -> tuple[Path, Path]:
    """The story as deals.csv and activities.csv in ``folder``."""
    deals, acts = story()
    pipeline = build_pipeline(deals, acts)
    deals_csv, acts_csv = folder / "deals.csv", folder / "activities.csv"
    pipeline.deals.drop("attributes", "manual_probability").write_csv(deals_csv)
    pipeline.activities.write_csv(acts_csv)
    return deals_csv, acts_csv
