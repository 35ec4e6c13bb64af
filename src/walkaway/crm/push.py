"""``walkaway push``: the call, written back to the CRM for deals whose call changed.

For each deal that came from the CRM and is open at ``as_of``: Walkaway's own fields
get the recommendation, the win probability and the top reason, and a re-qualify gets
a task due on its deadline. A deal is written only when its call (the recommendation
or the deadline) differs from the one last written; each deal is recorded as written
in its own transaction once the CRM has taken it, so a run that fails half-way is
resumed by the next one, which writes the rest. Only Walkaway's own fields are ever
written (:mod:`walkaway.crm.credentials` refuses others), so nothing a person owns is
touched; the task is a new record.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol

import polars as pl
import sqlalchemy as sa

from walkaway.models import Recommendation
from walkaway.service.review import review
from walkaway.store import Store
from walkaway.store.schema import crm_pushed_calls, deals
from walkaway.store.writing import now_utc

REASON_CHARACTERS = 255  # a Salesforce text field's usual length


class CrmWriter(Protocol):
    """Where a push writes (:class:`walkaway.crm.salesforce.SalesforceWriter`, ...)."""

    name: str

    def write_call(self, deal_id: str, values: Mapping[str, Any]) -> None: ...

    def create_task(self, deal_id: str, subject: str, due: date, description: str) -> None: ...


@dataclass(frozen=True)
class PushSummary:
    """Deals written, left alone (same call as last time), and re-qualify tasks made."""

    crm: str
    written: int
    unchanged: int
    tasks: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "crm": self.crm,
            "written": self.written,
            "unchanged": self.unchanged,
            "tasks": self.tasks,
        }


def _calls(store: Store, crm: str, as_of: datetime) -> pl.DataFrame:
    """The review's calls on the deals that came from ``crm``, with the last pushed."""
    with store.connect() as conn:
        ours = conn.execute(sa.select(deals.c.deal_id).where(deals.c.source == crm)).scalars().all()
        pushed = conn.execute(
            sa.select(
                crm_pushed_calls.c.deal_id,
                crm_pushed_calls.c.recommendation.label("pushed_recommendation"),
                crm_pushed_calls.c.requalify_by.label("pushed_requalify_by"),
            ).where(crm_pushed_calls.c.crm == crm)
        ).all()
    last = pl.DataFrame(
        pushed,
        schema={
            "deal_id": pl.String,
            "pushed_recommendation": pl.String,
            "pushed_requalify_by": pl.Date,
        },
        orient="row",
    )
    frame = review(store, as_of).deals.filter(pl.col("deal_id").is_in(list(ours)))
    return frame.select(
        "deal_id",
        "name",
        "recommendation",
        "win_probability",
        "reasons",
        "questions",
        "requalify_by",
    ).join(last, on="deal_id", how="left")


def _record(store: Store, crm: str, row: Mapping[str, Any], reason: str) -> None:
    with store.begin() as conn:
        key = (crm_pushed_calls.c.crm == crm) & (crm_pushed_calls.c.deal_id == row["deal_id"])
        conn.execute(crm_pushed_calls.delete().where(key))
        conn.execute(
            crm_pushed_calls.insert().values(
                crm=crm,
                deal_id=row["deal_id"],
                recommendation=row["recommendation"],
                win_probability=float(row["win_probability"]),
                top_reason=reason,
                requalify_by=row["requalify_by"],
                pushed_at=now_utc(),
            )
        )


def _task_text(row: Mapping[str, Any]) -> tuple[str, str]:
    subject = (
        f"Walkaway: re-qualify {row['name'] or row['deal_id']} by {row['requalify_by']:%Y-%m-%d}"
    )
    questions = "\n".join(f"- {q}" for q in row["questions"] or [])
    return subject, f"Ask the buyer before the deadline:\n{questions}".strip()


def push(store: Store, writer: CrmWriter, as_of: datetime) -> PushSummary:
    """Write the calls that changed since the last push (see the module docstring)."""
    frame = _calls(store, writer.name, as_of)
    changed = frame.filter(
        pl.col("recommendation").ne_missing(pl.col("pushed_recommendation"))
        | pl.col("requalify_by").ne_missing(pl.col("pushed_requalify_by"))
    )
    tasks = 0
    for row in changed.sort("deal_id").iter_rows(named=True):
        reason = str((row["reasons"] or [""])[0])[:REASON_CHARACTERS]
        values = {
            "recommendation": row["recommendation"],
            "win_probability": round(float(row["win_probability"]), 4),
            "top_reason": reason,
        }
        writer.write_call(row["deal_id"], values)
        if row["recommendation"] == Recommendation.REQUALIFY.value and row["requalify_by"]:
            subject, description = _task_text(row)
            writer.create_task(row["deal_id"], subject, row["requalify_by"], description)
            tasks += 1
        _record(store, writer.name, row, reason)
    return PushSummary(writer.name, changed.height, frame.height - changed.height, tasks)
