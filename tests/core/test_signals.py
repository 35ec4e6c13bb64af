from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import polars as pl
import pytest
from core_factories import (
    AS_OF,
    build_activity,
    build_deal,
    build_pipeline,
    days_ago,
    healthy_activities,
    won_history,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from walkaway.models import Pipeline
from walkaway.policy import Policy, load_policy
from walkaway.signals.frame import SIGNALS, compute_signals
from walkaway.signals.norms import compute_norms


def one(pipeline: Pipeline, policy: Policy, as_of: datetime = AS_OF) -> dict[str, Any]:
    frame = compute_signals(pipeline, as_of, policy)
    assert frame.height == 1
    return frame.row(0, named=True)


def test_every_documented_signal_is_a_column(policy: Policy) -> None:
    frame = compute_signals(build_pipeline([build_deal()], healthy_activities()), AS_OF, policy)
    assert frame.columns == list(SIGNALS)


def test_a_healthy_deal(policy: Policy) -> None:
    row = one(build_pipeline([build_deal()], healthy_activities()), policy)
    assert row["stage"] == "proposal" and row["stage_index"] == 3
    assert row["days_in_stage"] == pytest.approx(8)
    assert row["days_since_inbound"] == pytest.approx(2)
    assert row["outbound_since_inbound"] == 0 and row["days_waiting"] is None
    assert row["proposals_sent"] == 1 and row["proposals_unanswered"] == 0
    assert row["hours_invested"] == pytest.approx(6.0)
    assert row["skipped_steps"] == []
    assert row["stage_norm_source"] == "policy" and row["stage_norm_p90"] == 21


def test_responsiveness_counts_touches_since_the_last_reply(policy: Policy) -> None:
    acts = [
        build_activity(at=days_ago(30), direction="inbound"),
        build_activity(at=days_ago(25), direction="outbound"),
        build_activity(at=days_ago(10), kind="call", direction="outbound"),
        build_activity(at=days_ago(5), kind="meeting", direction="outbound", status="no_show"),
        build_activity(at=days_ago(4), kind="meeting", direction="outbound", status="rescheduled"),
    ]
    row = one(build_pipeline([build_deal()], acts), policy)
    assert row["outbound_since_inbound"] == 4
    assert row["days_waiting"] == pytest.approx(25)
    assert row["days_since_inbound"] == pytest.approx(30)
    assert (row["no_shows"], row["reschedules"]) == (1, 1)
    assert row["days_since_last_activity"] == pytest.approx(4)


@pytest.mark.parametrize(
    ("detail", "pushes"),
    [
        ("Close date moved from 2024-05-01 to 2024-06-30", 1),
        ("close date pushed to Q3", 1),
        ("Close-date slipped again", 1),
        ("Close date changed from 2024-06-30 to 2024-05-01", 0),  # pulled in
        ("Discussed the close plan", 0),
        (None, 0),
    ],
)
def test_close_date_pushes_are_read_from_notes(
    policy: Policy, detail: str | None, pushes: int
) -> None:
    acts = [build_activity(kind="note", direction="internal", detail=detail)]
    assert one(build_pipeline([build_deal()], acts), policy)["close_date_pushes"] == pushes


@pytest.mark.parametrize(
    ("details", "cut"),
    [
        (["Amount changed from 25,000 to 20000"], 0.2),
        (["amount from 20000 to 30000"], 0.0),
        (["Amount changed from 40000 to 30000", "Amount changed from 30000 to 20000"], 0.5),
        (["no amount here"], None),
    ],
)
def test_amount_cut_is_detected_only_from_notes(
    policy: Policy, details: list[str], cut: float | None
) -> None:
    acts = [build_activity(kind="note", direction="internal", detail=d) for d in details]
    value = one(build_pipeline([build_deal(amount=20_000.0)], acts), policy)["amount_cut"]
    assert value == (pytest.approx(cut) if cut is not None else None)


def test_stage_regressions_follow_the_policy_order(policy: Policy) -> None:
    acts = [
        build_activity(at=days_ago(9 - i), kind="stage_change", direction="internal", stage=s)
        for i, s in enumerate(["discovery", "proposal", "Demo", "proposal", "discovery"])
    ]
    row = one(build_pipeline([build_deal()], acts), policy)
    assert row["stage_regressions"] == 2
    assert row["stage"] == "discovery"


def test_unknown_stages_still_work(policy: Policy) -> None:
    acts = [
        build_activity(at=days_ago(3), kind="stage_change", direction="internal", stage="O_SENT")
    ]
    row = one(build_pipeline([build_deal(stage="A_SUBMITTED")], acts), policy)
    assert row["stage"] == "O_SENT" and row["stage_index"] is None
    assert row["stage_limit_days"] is None
    assert row["stall_threshold_days"] == policy.unknown_stage.limit_days
    assert row["hours_needed"] == policy.unknown_stage.hours_needed


def test_proposals_without_a_reply_since(policy: Policy) -> None:
    acts = [
        build_activity(at=days_ago(20), kind="proposal", direction="outbound"),
        build_activity(at=days_ago(15), direction="inbound"),
        build_activity(at=days_ago(12), kind="proposal", direction="outbound"),
        build_activity(at=days_ago(11), kind="proposal", direction="outbound"),
    ]
    row = one(build_pipeline([build_deal()], acts), policy)
    assert (row["proposals_sent"], row["proposals_unanswered"]) == (3, 2)
    assert row["days_since_proposal"] == pytest.approx(11)


def test_skipped_steps_list_the_unmet_exit_criteria(policy: Policy) -> None:
    deal = build_deal(stage="qualification", champion="unknown")
    acts = [
        build_activity(
            at=days_ago(9), kind="stage_change", direction="internal", stage="qualification"
        ),
        build_activity(at=days_ago(8), kind="meeting", direction="outbound"),
        build_activity(at=days_ago(6), kind="stage_change", direction="internal", stage="proposal"),
        build_activity(at=days_ago(2), kind="demo", direction="outbound"),  # after leaving demo
    ]
    row = one(build_pipeline([deal], acts), policy)
    assert row["skipped_steps"] == ["champion identified (discovery)", "demo attended (demo)"]


def test_point_in_time_views_of_deals(policy: Policy) -> None:
    deals = [
        build_deal(deal_id="closed_later", outcome="won", closed_at=AS_OF),
        build_deal(deal_id="closed_before", outcome="lost", closed_at=days_ago(1)),
        build_deal(deal_id="created_later", created_at=AS_OF),
    ]
    frame = compute_signals(build_pipeline(deals), AS_OF, policy)
    assert frame["deal_id"].to_list() == ["closed_later"]


def test_stage_is_the_one_entered_before_as_of(policy: Policy) -> None:
    acts = [
        build_activity(at=days_ago(5), kind="stage_change", direction="internal", stage="demo"),
        build_activity(at=AS_OF, kind="stage_change", direction="internal", stage="proposal"),
    ]
    row = one(build_pipeline([build_deal(stage="negotiation")], acts), policy)
    assert row["stage"] == "demo" and row["days_in_stage"] == pytest.approx(5)


def test_norms_come_from_history_when_there_is_enough(policy: Policy) -> None:
    deals, acts = won_history(12, stage_days=5.0, reply_days=2.0)
    pipeline = build_pipeline([*deals, build_deal()], [*acts, *healthy_activities()])
    norms = compute_norms(pipeline, AS_OF, policy)
    proposal = norms.stages.filter(pl.col("stage_key") == "proposal").row(0, named=True)
    assert proposal["days_source"] == "history"
    assert proposal["p90_days"] == pytest.approx(5.0)
    assert proposal["hours_source"] == "history" and proposal["hours_needed"] == pytest.approx(4)
    assert norms.reply_gap_days == pytest.approx(2.0)
    assert norms.yield_source == "history"
    # won margin over every selling hour in the window (the open deal's 6 hours too)
    assert norms.yield_per_hour == pytest.approx(12 * 20_000 * 0.7 / (12 * 4 + 6))
    row = one(pipeline, policy)
    assert row["stall_threshold_days"] == pytest.approx(5.0)
    assert row["team_reply_gap"] == pytest.approx(2.0)


def test_thin_history_falls_back_to_the_policy(policy: Policy) -> None:
    deals, acts = won_history(policy.history.min_deals - 1)
    norms = compute_norms(build_pipeline(deals, acts), AS_OF, policy)
    proposal = norms.stages.filter(pl.col("stage_key") == "proposal").row(0, named=True)
    assert proposal["days_source"] == "policy" and proposal["p90_days"] == 21
    assert norms.reply_gap_days is None
    assert norms.yield_source == "policy"
    assert norms.yield_per_hour == policy.economics.yield_per_hour


def test_norms_ignore_deals_closed_at_or_after_as_of(policy: Policy) -> None:
    deals, acts = won_history(12)
    later = [{**d, "closed_at": AS_OF + timedelta(days=1)} for d in deals]
    norms = compute_norms(build_pipeline(later, acts), AS_OF, policy)
    assert norms.closed_deals == 0 and norms.yield_source == "policy"


def test_fields_the_team_never_records_are_not_tracked() -> None:
    deal = build_deal(budget=None, authority="unknown")
    row = one(build_pipeline([deal]), load_policy())
    assert not row["tracks_budget"] and not row["tracks_authority"] and row["tracks_need"]


future_activity = st.builds(
    lambda days, kind, direction, status, stage, hours: build_activity(
        at=AS_OF + timedelta(days=days),
        kind=kind,
        direction=direction,
        status=status,
        stage=stage if kind == "stage_change" else None,
        hours=hours,
        detail="Close date moved from 2024-06-01 to 2024-09-01",
    ),
    days=st.floats(0, 300),
    kind=st.sampled_from(["email", "call", "meeting", "demo", "proposal", "note", "stage_change"]),
    direction=st.sampled_from(["inbound", "outbound", "internal", None]),
    status=st.sampled_from(["done", "no_show", "rescheduled"]),
    stage=st.sampled_from(["demo", "negotiation", "A_SUBMITTED"]),
    hours=st.none() | st.floats(0, 10),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(later=st.lists(future_activity, max_size=6), close_later=st.booleans())
def test_nothing_dated_at_or_after_as_of_changes_a_signal(
    later: list[dict[str, Any]], close_later: bool
) -> None:
    policy = load_policy()
    deals, acts = won_history(11)
    base = build_pipeline([*deals, build_deal()], [*acts, *healthy_activities()])
    closed = (
        build_deal(outcome="lost", closed_at=AS_OF + timedelta(days=3)) if close_later else None
    )
    extra = [build_deal(deal_id="new", created_at=AS_OF + timedelta(hours=1))]
    changed = build_pipeline(
        [*deals, closed or build_deal(), *extra], [*acts, *healthy_activities(), *later]
    )
    assert compute_signals(changed, AS_OF, policy).equals(compute_signals(base, AS_OF, policy))


NOTE_PIECES = st.sampled_from(
    [
        "Close date moved",
        "CLOSE-DATE pushed",
        "close date from 2026-05-01 to 2026-04-01",
        "close date from 2026-04-01 to 2026-05-01",
        "Amount from 12,000 to 9,000",
        "aMoUnT changed from 5000.5 to 4000",
        "renegotiating",
        "Re-Negotiation",
        "revised terms",
        "reopened the contract",
        "cloſe date slipped",  # the long s: a case of "s" to a Unicode-aware pattern
        "Agenda",
        "Call notes",
        "Récapitulatif",
        "",
    ]
)


@given(st.lists(st.lists(NOTE_PIECES, max_size=3).map(" ".join), min_size=1, max_size=40))
def test_notes_searched_only_where_a_pattern_could_match_read_as_all(notes: list[str]) -> None:
    """The prefilter on the note patterns' words changes nothing: the note columns are
    those of running every pattern on every note."""
    from walkaway.signals.activity import _note_columns, _with_note_columns

    acts = pl.DataFrame({"detail": notes, "n": range(len(notes))})
    assert_frame_equal(_with_note_columns(acts), acts.with_columns(_note_columns()))


@given(
    st.lists(st.lists(st.sampled_from([True, False, None]), min_size=4, max_size=4), max_size=30)
)
def test_labels_by_bits_are_the_labels_listed_one_by_one(rows: list[list[bool | None]]) -> None:
    """with_labels (one bit per condition, a list per distinct number) gives what
    concat_list of when/then and drop_nulls gives, empty lists and nulls included."""
    from walkaway.signals.stages import with_labels

    frame = pl.DataFrame(
        {f"c{i}": [row[i] for row in rows] for i in range(4)},
        schema={f"c{i}": pl.Boolean for i in range(4)},
    )
    conditions = [(pl.col(f"c{i}"), f"label {i}") for i in (2, 0, 3, 1)]
    listed = pl.concat_list([pl.when(c).then(pl.lit(label)) for c, label in conditions])
    expected = frame.with_columns(listed.list.drop_nulls().alias("labels"))
    assert_frame_equal(with_labels(frame, "labels", conditions), expected)
