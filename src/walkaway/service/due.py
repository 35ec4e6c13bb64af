"""What the journal says is due today: re-qualify deadlines and revisit dates that came.

For each deal, the decision in force (its latest human decision) is due when:

- it is a **re-qualify** whose deadline has come: if the buyer did not answer by then
  (``missed``), the deal is walked away from and the item carries the draft exit
  message; if it was answered (``met``), the item carries the questions, to decide again;
- it has a **revisit** date that has come (a walk-away's "look again", or a pursue's
  checkpoint): the item carries the questions that would clear the flags of that time.

An item stays due until a new decision is recorded (``walkaway decide``).
"""

from __future__ import annotations

import json
from datetime import date, datetime

import polars as pl

from walkaway.journal.scorecard import due_decisions, follow_up
from walkaway.models import Tone
from walkaway.service.deal import exit_messages
from walkaway.service.decisions import load_decisions
from walkaway.service.journal import decision_history
from walkaway.store import Store

DUE_COLUMNS = (
    "deal_id",
    "name",
    "owner",
    "kind",
    "due_on",
    "decision",
    "decided_at",
    "decided_by",
    "reason",
    "requalify_status",
    "deal_outcome",
    "action",
    "questions",
    "message",
)


def _questions(snapshot: str | None) -> list[str]:
    data = json.loads(snapshot or "{}")
    asked = [str(q) for q in data.get("questions") or []]
    if asked:
        return asked
    return [str(f["question"]) for f in data.get("flags") or [] if f.get("question")]


def _action(kind: str, status: str | None, outcome: str | None) -> str:
    if outcome and outcome != "open":
        return f"the deal is {outcome}: record what became of it, or decide again"
    if kind == "requalify_deadline" and status == "missed":
        return "no answer by the deadline: walk away (draft below) or decide again"
    if kind == "requalify_deadline":
        return "the buyer answered: decide again (walkaway decide)"
    return "time to look again: ask these questions, then decide again"


def due(store: Store, on: date, *, known_before: datetime, tone: str = Tone.WARM) -> pl.DataFrame:
    """The items due on ``on`` (:data:`DUE_COLUMNS`), earliest first.

    ``known_before`` is the moment up to which decisions, replies and outcomes count
    (the end of ``on``, or now); exit messages are drafted as of it.
    """
    made = load_decisions(store)
    items = due_decisions(made, on, decided_before=known_before)
    if items.height == 0:
        return pl.DataFrame(schema=_schema())
    found, happened, replies = decision_history(store)
    status = follow_up(made.drop("snapshot"), found, happened, replies, known_before).select(
        "decision_id", "requalify_status", "deal_outcome", "name", "owner"
    )
    rows = items.join(status, on="decision_id", how="left").to_dicts()
    drafts = exit_messages(
        store, [str(row["deal_id"]) for row in rows if _walks_away(row)], known_before, tone
    )
    for row in rows:
        row["action"] = _action(row["kind"], row["requalify_status"], row["deal_outcome"])
        row["questions"] = _questions(row["snapshot"])
        row["message"] = drafts.get(str(row["deal_id"])) if _walks_away(row) else None
    return pl.DataFrame(rows, schema=_schema() | {"snapshot": pl.String}).select(DUE_COLUMNS)


def _walks_away(row: dict[str, object]) -> bool:
    """A re-qualify whose buyer did not answer by the deadline, on a deal still open:
    the item carries the draft exit message."""
    missed = row["kind"] == "requalify_deadline" and row["requalify_status"] == "missed"
    return missed and row["deal_outcome"] == "open"


def _schema() -> dict[str, pl.DataType]:
    return {
        "deal_id": pl.String(),
        "name": pl.String(),
        "owner": pl.String(),
        "kind": pl.String(),
        "due_on": pl.Date(),
        "decision": pl.String(),
        "decided_at": pl.Datetime("us"),
        "decided_by": pl.String(),
        "reason": pl.String(),
        "requalify_status": pl.String(),
        "deal_outcome": pl.String(),
        "action": pl.String(),
        "questions": pl.List(pl.String()),
        "message": pl.String(),
    }
