"""One deal as of a date: its assessment, its timeline, the person's decision on it,
its JSON, and the exit message that walks away from it.

``show`` reads one deal and its activities from the store, through the index, and
assesses it with the team's norms of the day (:mod:`walkaway.service.norms`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

import polars as pl

from walkaway import lazy
from walkaway.bounds import out_of_bounds, without
from walkaway.decision.assess import assess_frame, assessments_from_frame
from walkaway.decision.messages import draft_exit_message, pursue_warning, tone_of
from walkaway.errors import Conflict, InputError, NotFound, WalkawayError
from walkaway.models import Assessment, Pipeline, Tone, as_utc_naive, iso_utc
from walkaway.policy import Policy
from walkaway.service.model_lookup import ModelInForce, model_for
from walkaway.service.norms import norms_key, team_norms
from walkaway.service.pipeline import current_policy
from walkaway.service.review import with_human_decisions
from walkaway.store import Store
from walkaway.store.frames import activity_rows, load_activities, load_deals, one_deal, one_of
from walkaway.wording import printable

if TYPE_CHECKING:
    import sqlalchemy as sa

    from walkaway.store import schema
else:
    sa = lazy.module("sqlalchemy")
    schema = lazy.module("walkaway.store.schema")


@dataclass(frozen=True)
class DealView:
    """One deal as of a date: its assessment, its stored row and its timeline."""

    assessment: Assessment
    deal: dict[str, Any]
    timeline: pl.DataFrame  # activities before as_of, newest last
    # the latest human decision (overlay_decisions' columns), or None
    human: dict[str, Any] | None = None
    # ready_to_advance and the missing exit criteria of the deal's current stage
    readiness: dict[str, Any] | None = None
    # which model made the call, in one line (walkaway.service.model_lookup)
    model: str | None = None


def unknown_deal(deal_id: str) -> NotFound:
    """The one answer to a deal id the store does not hold (or, on the web, that the
    person asking may not see: the same words, so nothing tells the two apart)."""
    return NotFound(f"no deal with id {deal_id!r}; `walkaway deals` lists the stored ones")


def _stored_deal(store: Store, deal_id: str, as_of: datetime) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The deal's row, if it existed at ``as_of``, and its activities before then."""
    stored, timeline = one_deal(store, deal_id, as_of)
    if stored.height == 0:
        raise unknown_deal(deal_id)
    created = stored["created_at"][0]
    if created >= as_utc_naive(as_of):
        raise _created_later(deal_id, created, as_of)
    return stored, timeline


def _created_later(deal_id: str, created: datetime, as_of: datetime) -> Conflict:
    return Conflict(
        f"deal {deal_id!r} was created on {created:%Y-%m-%d}, after the as-of "
        f"date {as_of:%Y-%m-%d}; pick a later --as-of"
    )


def deal_owner(store: Store, deal_id: str) -> str | None:
    """The stored owner of a deal (None when it has none); NotFound when there is no deal."""
    with store.rows() as rows:
        found = rows("SELECT owner FROM deals WHERE deal_id = ?", (deal_id,))
    if not found:
        raise unknown_deal(deal_id)
    return None if found[0][0] is None else str(found[0][0])


def _assess_stored(
    store: Store,
    stored: pl.DataFrame,
    timeline: pl.DataFrame,
    as_of: datetime,
    *,
    readiness: bool = False,
) -> tuple[pl.DataFrame, pl.DataFrame, Policy, str]:
    """The assessment of the ``stored`` deal rows as of ``as_of`` on their activities
    before it (with the team's norms, cached for the day), those activities, and the
    policy used; and the line naming the model that made the calls."""
    stored, timeline = _within_bounds(stored, timeline)
    policy = current_policy(store)
    found = model_for(store, as_of)
    frame = _assess(store, stored, timeline, as_of, readiness=readiness, policy=policy, found=found)
    return frame, timeline, policy, found.said


def _assess(
    store: Store,
    stored: pl.DataFrame,
    timeline: pl.DataFrame,
    as_of: datetime,
    *,
    readiness: bool = False,
    policy: Policy | None = None,
    found: ModelInForce | None = None,
) -> pl.DataFrame:
    """The ``stored`` deals (within bounds) assessed as of ``as_of`` on ``timeline``
    with the team's norms of the day (cached)."""
    policy = policy or current_policy(store)
    norms = team_norms(store, norms_key(store, as_of, policy), policy)
    found = found or model_for(store, as_of)
    return assess_frame(
        Pipeline(stored, timeline),
        as_of,
        policy,
        found.model,
        deal_ids=stored["deal_id"].to_list(),
        norms=norms,
        readiness=readiness,
    )


def _within_bounds(
    stored: pl.DataFrame, timeline: pl.DataFrame
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The deals and activities without the deals holding a value past its limit (as a
    review skips them); when that leaves none, one line saying why."""
    skipped = out_of_bounds(stored, timeline)
    if skipped.height == 0:
        return stored, timeline
    kept, timeline = without(stored, timeline, skipped)
    if kept.height == 0:
        deal_id, why = skipped.select("deal_id", "why").row(0)
        raise _past_a_limit(deal_id, why)
    return kept, timeline


def _past_a_limit(deal_id: str, why: str) -> InputError:
    return InputError(
        f"deal {printable(deal_id)!r} is not assessed: {why}; the store holds a value "
        "no import lets in any more (import the deal again with the value put right)"
    )


def show(
    store: Store, deal_id: str, as_of: datetime, *, reviewed: pl.DataFrame | None = None
) -> DealView:
    """Assess one deal (with the team's norms) as of ``as_of``.

    Given ``reviewed``, the deal's row of a review as of ``as_of`` (:func:`walkaway.service.
    review.review`'s frame, sliced), its assessment is taken from there and only its
    stored row and its activities are read.
    """
    if reviewed is not None:
        stored, timeline = one_deal(store, deal_id, as_of)
        return _view_of(reviewed, stored.row(0, named=True), timeline)
    stored, timeline = _stored_deal(store, deal_id, as_of)
    frame, timeline, _policy, said = _assess_stored(store, stored, timeline, as_of, readiness=True)
    row = stored.row(0, named=True)
    _check_open(frame, row, as_of)
    view = _view_of(with_human_decisions(store, frame, as_of), row, timeline)
    return replace(view, model=said)


def assessment_of(store: Store, deal_id: str, as_of: datetime) -> Assessment:
    """The deal's assessment as :func:`show` has it, and nothing else (no stage
    readiness, no person's decision beside it): the numbers a decision records."""
    stored, timeline = _stored_deal(store, deal_id, as_of)
    frame, _timeline, _policy, _said = _assess_stored(store, stored, timeline, as_of)
    _check_open(frame, stored.row(0, named=True), as_of)
    return assessments_from_frame(frame)[0]


def assessments_of(
    store: Store, deal_ids: Sequence[str], as_of: datetime
) -> dict[str, Assessment | WalkawayError]:
    """:func:`assessment_of` for several deals of one moment in one pass: one read of
    their rows and activities, one assessment with the norms of the day. Each deal gets
    the numbers it gets alone, or the error it gets alone (NotFound, Conflict for a deal
    created after ``as_of`` or closed before it, InputError for one holding a value past
    its limit), without failing the others."""
    wanted = sorted(set(deal_ids))
    with store.connect() as conn:
        stored = load_deals(conn, one_of(conn, schema.deals.c.deal_id, wanted))
    rows = {row["deal_id"]: row for row in stored.iter_rows(named=True)}
    moment = as_utc_naive(as_of)
    answers: dict[str, Assessment | WalkawayError] = {}
    for deal_id in wanted:
        if deal_id not in rows:
            answers[deal_id] = unknown_deal(deal_id)
        elif rows[deal_id]["created_at"] >= moment:
            answers[deal_id] = _created_later(deal_id, rows[deal_id]["created_at"], as_of)
    stored = stored.filter(~pl.col("deal_id").is_in(list(answers)))
    if stored.height == 0:
        return answers
    ids = stored["deal_id"].to_list()
    with store.connect() as conn:
        timeline = load_activities(conn, deal_ids=ids, before=as_of)
    skipped = out_of_bounds(stored, timeline)
    for deal_id, why in skipped.select("deal_id", "why").iter_rows():
        answers[deal_id] = _past_a_limit(deal_id, why)
    if skipped.height:
        stored, timeline = without(stored, timeline, skipped)
    if stored.height:
        frame = _assess(store, stored, timeline, as_of)
        for assessment in assessments_from_frame(frame):
            answers[assessment.deal_id] = assessment
    for deal_id in stored["deal_id"].to_list():
        if deal_id not in answers:
            answers[deal_id] = _closed(rows[deal_id], as_of)
    return answers


def _check_open(frame: pl.DataFrame, row: dict[str, Any], as_of: datetime) -> None:
    if frame.height == 0:
        raise _closed(row, as_of)


def _closed(row: dict[str, Any], as_of: datetime) -> Conflict:
    return Conflict(
        f"deal {row['deal_id']!r} was already closed ({row['outcome']}) before "
        f"{as_of:%Y-%m-%d}; only open deals are assessed (`walkaway loss-review` looks "
        "back at lost ones)"
    )


def _view_of(reviewed: pl.DataFrame, deal: dict[str, Any], timeline: pl.DataFrame) -> DealView:
    assessment, human, readiness = _reviewed(reviewed)
    return DealView(assessment, deal, timeline, human=human, readiness=readiness)


def _reviewed(
    reviewed: pl.DataFrame,
) -> tuple[Assessment, dict[str, Any] | None, dict[str, Any]]:
    """The assessment, the person's decision (or None) and the readiness in a deal's row
    of a review (with the people's decisions and the readiness columns)."""
    ready, missing = reviewed.select("ready_to_advance", "missing_criteria").row(0)
    # null: the policy sets the deal's stage no exit criteria (there is nothing to meet)
    readiness = {
        "ready_to_advance": None if ready is None else bool(ready),
        "missing_criteria": list(missing or []),
    }
    human = reviewed.select(HUMAN_COLUMNS).row(0, named=True)
    assessment = assessments_from_frame(reviewed)
    return assessment[0], None if human["human_decision"] is None else human, readiness


HUMAN_COLUMNS = (
    "human_decision",
    "human_reason",
    "decided_by",
    "decided_at",
    "data_disagrees",
    "disagreement",
)


def deal_json(
    store: Store,
    deal_id: str,
    as_of: datetime,
    *,
    reviewed: pl.DataFrame | None = None,
    model: str | None = None,
) -> dict[str, Any]:
    """The deal's JSON: ``walkaway show --format json``, ``GET /api/deals/{id}``.

    The assessment, the person's decision (``human_decision``), the stage readiness and
    the activities before ``as_of`` (``as_of_timeline``), and which model made the call
    (``model``). As :func:`show` has them; given ``reviewed``, from that row and one
    indexed read of the deal's activities (the web's quick path: no frame, no read of
    the deal's row), with the review's ``model`` line.
    """
    if reviewed is None:
        view = show(store, deal_id, as_of)
        parts = (view.assessment, view.human, view.readiness)
        model = view.model
        timeline = view.timeline.to_dicts()
    else:
        parts = _reviewed(reviewed)
        timeline = activity_rows(store, deal_id, as_of)
    assessment, human, readiness = parts
    data = assessment.to_dict()
    data["human_decision"] = _human_json(human)
    data["readiness"] = readiness
    data["model"] = model
    data["as_of_timeline"] = [{**a, "at": iso_utc(a["at"])} for a in timeline]
    return data


def _human_json(human: dict[str, Any] | None) -> dict[str, Any] | None:
    if human is None:
        return None
    return {**human, "decided_at": iso_utc(human["decided_at"]) if human["decided_at"] else None}


def exit_message(store: Store, deal_id: str, as_of: datetime, tone: str = Tone.WARM) -> str:
    """A draft email to the buyer that walks away well."""
    return exit_draft(store, deal_id, as_of, tone)[0]


def exit_draft(
    store: Store, deal_id: str, as_of: datetime, tone: str = Tone.WARM
) -> tuple[str, str | None]:
    """:func:`exit_message`, and the warning for a deal the data says to pursue."""
    tone = tone_of(tone)
    view = show(store, deal_id, as_of)
    message = draft_exit_message(
        view.assessment, view.deal, tone=tone, templates=current_policy(store)
    )
    return message, pursue_warning(view.assessment)


def exit_messages(
    store: Store, deal_ids: Sequence[str], as_of: datetime, tone: str = Tone.WARM
) -> dict[str, str]:
    """:func:`exit_message` for many deals in one pass: one read of their rows and
    activities, one assessment. Deals that were not open at ``as_of`` (or did not exist
    yet) get no message."""
    tone = tone_of(tone)
    wanted = sorted(set(deal_ids))
    if not wanted:
        return {}
    with store.connect() as conn:
        stored = load_deals(
            conn, one_of(conn, schema.deals.c.deal_id, wanted) & (schema.deals.c.created_at < as_of)
        )
        timeline = load_activities(conn, deal_ids=stored["deal_id"].to_list(), before=as_of)
    if stored.height == 0:
        return {}
    frame, _timeline, policy, _said = _assess_stored(store, stored, timeline, as_of)
    rows = {row["deal_id"]: row for row in stored.iter_rows(named=True)}
    return {
        assessment.deal_id: draft_exit_message(
            assessment, rows[assessment.deal_id], tone=tone, templates=policy
        )
        for assessment in assessments_from_frame(frame)
    }
