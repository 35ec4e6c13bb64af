"""The decision journal's use cases: record decisions and outcomes, read them back.

A human decision is a row of ``decisions`` with ``source = 'human'``, the numbers of
its moment (win probability, expected value, cost to pursue) and a JSON snapshot of the
assessment then (recommendation, flags, reasons, questions, hours needed). Nothing
else writes or rewrites these rows: a review reads them, an import never touches them.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

import polars as pl
import sqlalchemy as sa

from walkaway.errors import Conflict, InputError, NotFound
from walkaway.journal.scorecard import (
    INBOUND_SCHEMA,
    JOURNAL_DEAL_SCHEMA,
    OUTCOME_SCHEMA,
    OUTCOME_WORDS,
    WORDS,
    follow_up,
    scorecard,
)
from walkaway.models import DATETIME, Assessment, Direction, Recommendation
from walkaway.policy import Policy
from walkaway.service.deal import assessment_of
from walkaway.service.decisions import HUMAN, load_decisions
from walkaway.service.idempotency import Then
from walkaway.service.pipeline import current_policy
from walkaway.store import Store
from walkaway.store.frames import read_frame
from walkaway.store.schema import activities, deals, decisions, outcomes
from walkaway.store.writing import now_utc


@dataclass(frozen=True)
class RecordedDecision:
    """A decision as stored, with what the data said at that moment."""

    decision_id: int
    deal_id: str
    deal_name: str | None
    decision: str
    as_of: datetime
    decided_by: str | None
    revisit_on: date | None
    requalify_by: date | None
    recommendation: str
    win_probability: float


def decision_word(text: str) -> str:
    """``pursue``, ``requalify`` or ``walk_away`` (``walk-away``, ``re-qualify`` too)."""
    word = text.strip().lower().replace("-", "_").replace(" ", "_")
    word = "requalify" if word == "re_qualify" else word
    if word not in {r.value for r in Recommendation}:
        raise InputError(f"unknown decision {text!r}; expected pursue, requalify or walk_away")
    return word


def _months_later(moment: datetime, months: int) -> date:
    later = pl.select(pl.lit(moment).dt.offset_by(f"{months}mo").dt.date()).item()
    assert isinstance(later, date)
    return later


def _dates(
    word: str, moment: datetime, revisit: date | None, policy: Policy
) -> tuple[date | None, date | None]:
    """(revisit_on, requalify_by): ``--revisit`` or the policy's delay for the decision."""
    if word == Recommendation.REQUALIFY:
        return None, revisit or moment.date() + timedelta(days=policy.decision.requalify_days)
    if word == Recommendation.WALK_AWAY:
        return revisit or _months_later(moment, policy.decision.revisit_months), None
    return revisit, None


def record_decision(
    store: Store,
    deal_id: str,
    decision: str,
    reason: str,
    *,
    as_of: datetime | None = None,
    revisit: date | None = None,
    decided_by: str | None = None,
    then: Then[RecordedDecision] | None = None,
    assessment: Assessment | None = None,
    assess: Callable[[Store, str, datetime], Assessment] = assessment_of,
) -> RecordedDecision:
    """Record a person's decision on an open deal with the numbers of that moment.

    Checked before anything is written: the decision word, a reason, a revisit date
    after the decision's date, a deal that exists and is open at ``as_of``. The numbers
    are the deal's own assessment at ``as_of`` (what ``show`` computes, for this deal
    alone: :func:`~walkaway.service.deal.assessment_of`); given ``assessment`` (the
    deal's row of a review of that very moment and store, which the web app holds),
    they are taken from it and nothing is computed. ``assess`` computes them otherwise
    (the web app's passes a deal on to be assessed with others of the same moment:
    :class:`walkaway.web.batch.DecisionBatch`, the same numbers).
    ``then`` is called with the decision in the same transaction (an idempotency key's
    answer).
    """
    word = decision_word(decision)
    if not reason.strip():
        raise InputError("the reason is empty; say in a sentence why (--reason TEXT)")
    moment = as_of or now_utc()
    if revisit is not None and revisit <= moment.date():
        raise Conflict(
            f"the revisit date {revisit:%Y-%m-%d} is not after the decision's date "
            f"{moment:%Y-%m-%d}; pick a later --revisit"
        )
    a = assessment if assessment is not None else assess(store, deal_id, moment)
    revisit_on, requalify_by = _dates(word, moment, revisit, current_policy(store))
    recorded = RecordedDecision(
        0, deal_id, a.name, word, moment, decided_by or a.owner, revisit_on,
        requalify_by, a.recommendation.value, a.win_probability,
    )  # fmt: skip
    with store.begin() as conn:
        key = conn.execute(
            decisions.insert().values(**_row(recorded, reason, a))
        ).inserted_primary_key
        assert key is not None
        recorded = replace(recorded, decision_id=int(key[0]))
        if then is not None:
            then(conn, recorded)
    return recorded


def _row(recorded: RecordedDecision, reason: str, a: Assessment) -> dict[str, object]:
    """The ``decisions`` row: the decision, the numbers of its moment, the snapshot."""
    return {
        "deal_id": recorded.deal_id,
        "decided_at": now_utc(),
        "as_of": recorded.as_of,
        "decision": recorded.decision,
        "source": HUMAN,
        "reason": reason.strip(),
        "decided_by": recorded.decided_by,
        "revisit_on": recorded.revisit_on,
        "requalify_by": recorded.requalify_by,
        "win_probability": a.win_probability,
        "expected_value": a.expected_value,
        "cost_to_pursue": a.cost_to_pursue,
        "snapshot": json.dumps(a.to_dict(), ensure_ascii=False),
    }


def _deal_row(store: Store, deal_id: str) -> dict[str, object]:
    with store.connect() as conn:
        row = conn.execute(
            sa.select(deals.c.deal_id, deals.c.created_at, deals.c.name).where(
                deals.c.deal_id == deal_id
            )
        ).first()
    if row is None:
        raise NotFound(f"no deal with id {deal_id!r}; `walkaway deals` lists the stored ones")
    return dict(row._mapping)


def outcome_word(text: str) -> str:
    word = text.strip().lower().replace("-", "_").replace(" ", "_")
    if word not in OUTCOME_WORDS:
        raise InputError(f"unknown outcome {text!r}; expected {', '.join(OUTCOME_WORDS)}")
    return word


def record_outcome(
    store: Store,
    deal_id: str,
    outcome: str,
    *,
    note: str | None = None,
    on: date | None = None,
    then: Then[dict[str, object]] | None = None,
) -> dict[str, object]:
    """Record what became of a deal (source 'human'); the deal's own row is left as is.
    ``then`` is called with the outcome in the same transaction."""
    word = outcome_word(outcome)
    deal = _deal_row(store, deal_id)
    now = now_utc()
    when = now if on is None else datetime(on.year, on.month, on.day)
    if when > now:
        raise Conflict(f"--on {on} is in the future; record an outcome once it has happened")
    created = deal["created_at"]
    if isinstance(created, datetime) and when.date() < created.date():
        raise Conflict(f"--on {on} is before the deal was created ({created:%Y-%m-%d})")
    row = {
        "deal_id": deal_id,
        "outcome": word,
        "recorded_at": now,
        "happened_at": when,
        "note": (note or "").strip() or None,
        "source": HUMAN,
    }
    recorded = row | {"deal_name": deal["name"]}
    with store.begin() as conn:
        conn.execute(outcomes.insert().values(**row))
        if then is not None:
            then(conn, recorded)
    return recorded


@dataclass(frozen=True)
class Journal:
    """Decisions with what happened after (``entries``) and the ``scorecard`` per rep."""

    as_of: datetime
    entries: pl.DataFrame
    scorecard: pl.DataFrame


def _decided_ids() -> sa.Select[tuple[str]]:
    return sa.select(decisions.c.deal_id).where(decisions.c.source == HUMAN)


def decision_history(store: Store) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """Deals, outcomes and inbound activities of the deals with a human decision."""
    ids = _decided_ids()
    deal_cols = [deals.c[name] for name in JOURNAL_DEAL_SCHEMA]
    o = outcomes.c
    out_cols = [o.deal_id, o.outcome, sa.func.coalesce(o.happened_at, o.recorded_at)]
    act_cols = [activities.c.deal_id, activities.c.at]
    inbound = activities.c.direction == Direction.INBOUND.value
    with store.connect() as conn:
        found = read_frame(
            conn,
            deal_cols,
            sa.select(*deal_cols).where(deals.c.deal_id.in_(ids)),
            JOURNAL_DEAL_SCHEMA,
        )
        happened = read_frame(
            conn, out_cols, sa.select(*out_cols).where(o.deal_id.in_(ids)), OUTCOME_SCHEMA
        )
        replies = read_frame(
            conn,
            act_cols,
            sa.select(*act_cols).where(activities.c.deal_id.in_(ids) & inbound),
            INBOUND_SCHEMA,
        )
    return found, happened, replies


def journal(
    store: Store, as_of: datetime, *, since: date | None = None, owner: str | None = None
) -> Journal:
    """Every human decision made by ``as_of`` (from ``since``, of ``owner``'s deals)."""
    made = load_decisions(store).filter(pl.col("decided_at") <= pl.lit(as_of, dtype=DATETIME))
    found, happened, replies = decision_history(store)
    entries = follow_up(made.drop("snapshot"), found, happened, replies, as_of)
    if since is not None:
        entries = entries.filter(pl.col("decided_at").dt.date() >= since)
    if owner:
        entries = entries.filter(pl.col("owner").str.to_lowercase() == owner.lower())
    return Journal(as_of, entries, scorecard(entries))


def decision_words(word: str | None) -> str:
    """``walk_away`` -> "walk away", for sentences."""
    return WORDS.get(word or "", word or "")
