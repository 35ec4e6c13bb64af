"""Stage exit criteria: deals that skipped a step are flagged; readiness to advance."""

from __future__ import annotations

from datetime import datetime, timedelta

import polars as pl
import pytest

from tests.journal.factories import activity, deal, pipeline, stage
from walkaway.flags.rulebook import find_flags
from walkaway.policy import Policy, load_policy
from walkaway.signals.frame import compute_signals
from walkaway.signals.readiness import advance_readiness, criteria_signals, readiness
from walkaway.store import Store

AS_OF = datetime(2024, 6, 1)
START = AS_OF - timedelta(days=30)


def day(n: float) -> datetime:
    return START + timedelta(days=n)


@pytest.fixture(scope="module")
def policy() -> Policy:
    return load_policy()


def _up_to_demo(deal_id: str) -> list[dict[str, object]]:
    """Qualification (meeting held) -> discovery -> demo, by the book."""
    return [
        stage(deal_id, day(0), "qualification"),
        activity(deal_id, day(1), "meeting"),
        stage(deal_id, day(3), "discovery"),
        stage(deal_id, day(8), "demo"),
    ]


def test_a_deal_that_left_a_stage_without_its_criteria_is_flagged(policy: Policy) -> None:
    deals = [
        deal("OK", created_at=START, stage="discovery"),
        deal("SKIP", created_at=START, stage="discovery"),
        deal("LATE", created_at=START, stage="discovery"),
    ]
    acts = [
        stage("OK", day(0), "qualification"),
        activity("OK", day(1), "meeting"),
        stage("OK", day(3), "discovery"),
        stage("SKIP", day(0), "qualification"),
        stage("SKIP", day(3), "discovery"),
        # A meeting held after the deal moved on does not make up for the skipped step.
        stage("LATE", day(0), "qualification"),
        stage("LATE", day(3), "discovery"),
        activity("LATE", day(5), "meeting"),
    ]
    signals = compute_signals(pipeline(deals, acts), AS_OF, policy)
    skipped = dict(signals.select("deal_id", "skipped_steps").iter_rows())
    assert skipped == {
        "LATE": ["meeting held (qualification)"],
        "OK": [],
        "SKIP": ["meeting held (qualification)"],
    }
    codes = {k: [f.code for f in v] for k, v in find_flags(signals, policy).items()}
    assert "skipped_step" in codes["SKIP"] and "skipped_step" in codes["LATE"]
    assert "skipped_step" not in codes["OK"]


def test_readiness_names_what_is_missing_in_the_current_stage(policy: Policy) -> None:
    deals = [
        deal("READY", created_at=START, stage="demo"),
        deal("NO_DEMO", created_at=START, stage="demo", budget="unknown"),
        deal("PROPOSAL", created_at=START, stage="proposal"),
        deal("ELSEWHERE", created_at=START, stage="A_SUBMITTED"),
        deal("FRESH", created_at=START, stage="qualification", need="vague"),
    ]
    acts = [
        *_up_to_demo("READY"),
        activity("READY", day(10), "demo"),
        *_up_to_demo("NO_DEMO"),
        activity("NO_DEMO", day(10), "demo", status="no_show"),  # not attended
        *_up_to_demo("PROPOSAL"),
        activity("PROPOSAL", day(10), "demo"),
        stage("PROPOSAL", day(12), "proposal"),
        activity("PROPOSAL", day(12), "proposal"),
        activity("PROPOSAL", day(14), "note", "internal", detail="Mutual plan agreed with CFO"),
        stage("ELSEWHERE", day(0), "A_SUBMITTED"),
    ]
    result = readiness(pipeline(deals, acts), AS_OF, policy)
    got = {r["deal_id"]: (r["ready_to_advance"], r["missing_criteria"]) for r in result.to_dicts()}
    assert got == {
        "ELSEWHERE": (None, []),  # a stage the policy does not name: nothing to meet
        "FRESH": (False, ["meeting held", "need confirmed"]),
        "NO_DEMO": (False, ["demo attended", "budget confirmed"]),
        "PROPOSAL": (False, ["proposal returned"]),
        "READY": (True, []),
    }


def test_readiness_is_point_in_time(policy: Policy) -> None:
    deals = [deal("R", created_at=START, stage="demo")]
    acts = [*_up_to_demo("R"), activity("R", day(20), "demo")]
    before = readiness(pipeline(deals, acts), day(15), policy).row(0, named=True)
    after = readiness(pipeline(deals, acts), day(21), policy).row(0, named=True)
    assert (before["ready_to_advance"], before["missing_criteria"]) == (False, ["demo attended"])
    assert (after["ready_to_advance"], after["missing_criteria"]) == (True, [])


def test_readiness_frame_carries_the_skipped_steps_too(policy: Policy) -> None:
    deals = [deal("S", created_at=START, stage="discovery")]
    acts = [stage("S", day(0), "qualification"), stage("S", day(2), "discovery")]
    frame = criteria_signals(pipeline(deals, acts), AS_OF, policy)
    assert frame["skipped_steps"].to_list() == [["meeting held (qualification)"]]
    assert "met_meeting_held_at" in frame.columns


def test_readiness_needs_the_moments_criteria_were_met(policy: Policy) -> None:
    signals = pl.DataFrame({"deal_id": ["X"], "stage": ["Demo"], "budget": ["confirmed"]})
    with pytest.raises(ValueError, match=r"met_meeting_held_at.*criteria_signals"):
        advance_readiness(signals, policy)


def test_the_reviews_single_pass_gives_the_same_readiness(sqlite_store: Store) -> None:
    from walkaway.decision.assess import assess_frame
    from walkaway.sample import SAMPLE_AS_OF
    from walkaway.service import import_files, sample_files
    from walkaway.service.pipeline import current_policy
    from walkaway.service.reading import load_pipeline

    import_files(sqlite_store, *sample_files())
    as_of = datetime.combine(SAMPLE_AS_OF, datetime.min.time())
    policy = current_policy(sqlite_store)
    pipe = load_pipeline(sqlite_store, as_of)
    with_ready = assess_frame(pipe, as_of, policy, readiness=True)
    plain = assess_frame(pipe, as_of, policy)
    assert with_ready.drop("ready_to_advance", "missing_criteria").equals(plain)
    alone = readiness(pipe, as_of, policy)
    joined = with_ready.select(alone.columns).sort("deal_id")
    assert joined.equals(alone.sort("deal_id"))
    assert joined["ready_to_advance"].n_unique() == 2, "the sample has ready and unready deals"
