from __future__ import annotations

import tomllib
from datetime import timedelta
from typing import Any

import polars as pl
import pytest
from core_factories import (
    AS_OF,
    Row,
    build_activity,
    build_deal,
    build_pipeline,
    days_ago,
    healthy_activities,
    won_history,
)
from polars.testing import assert_frame_equal

from walkaway.errors import PolicyError
from walkaway.flags.rulebook import (
    RULE_CODES,
    RULES,
    find_flags,
    find_flags_frame,
    find_flags_frames,
)
from walkaway.models import Flag, Pipeline, Severity
from walkaway.policy import Policy, default_policy_text, load_policy
from walkaway.signals.frame import compute_signals

# A deal that tracks every qualification field, so "unknown" means something, and that
# has an activity, so the team logs activities and a silent deal means something too.
REFERENCE = build_deal(deal_id="D0")
REFERENCE_ACTIVITY = build_activity(deal_id="D0", at=days_ago(1))


def flags_of(pipeline: Pipeline, policy: Policy, deal_id: str = "D1") -> list[Flag]:
    return find_flags(compute_signals(pipeline, AS_OF, policy), policy)[deal_id]


def codes(deal: Row, activities: list[Row], policy: Policy) -> set[str]:
    pipeline = build_pipeline([REFERENCE, deal], [REFERENCE_ACTIVITY, *activities])
    return {flag.code for flag in flags_of(pipeline, policy)}


def in_proposal(*extra: Row) -> list[Row]:
    return [
        build_activity(at=days_ago(8), kind="stage_change", direction="internal", stage="proposal"),
        *extra,
    ]


def out(days: float, kind: str = "email", **kw: Any) -> Row:
    return build_activity(at=days_ago(days), kind=kind, direction="outbound", **kw)


def inbound(days: float, kind: str = "email") -> Row:
    return build_activity(at=days_ago(days), kind=kind, direction="inbound")


def note(days: float, detail: str) -> Row:
    return build_activity(at=days_ago(days), kind="note", direction="internal", detail=detail)


def entered(stage: str, days: float) -> Row:
    return build_activity(at=days_ago(days), kind="stage_change", direction="internal", stage=stage)


PUSH = "close date moved from 2024-05-01 to 2024-07-01"
D = build_deal

# (code, deal, activities, fires): each rule on both sides of its threshold.
CASES: list[tuple[str, Row, list[Row], bool]] = [
    ("unresponsive", D(), in_proposal(inbound(20), out(15), out(10), out(5)), True),
    ("unresponsive", D(), in_proposal(inbound(20), out(15), out(10)), False),
    ("unresponsive", D(), in_proposal(inbound(20), out(14), out(10), out(5)), False),
    ("no_shows", D(), in_proposal(out(3, "meeting", status="no_show")), True),
    ("no_shows", D(), in_proposal(out(3, "meeting", status="done")), False),
    (
        "meetings_moved",
        D(),
        in_proposal(*[out(d, "meeting", status="rescheduled") for d in (3, 2)]),
        True,
    ),
    ("meetings_moved", D(), in_proposal(out(3, "meeting", status="rescheduled")), False),
    ("idle", D(created_at=days_ago(31)), [], True),
    ("idle", D(created_at=days_ago(30)), [], False),
    ("stalled", D(), [entered("proposal", 22)], True),
    ("stalled", D(), [entered("proposal", 21)], False),
    ("close_date_pushed", D(), in_proposal(note(3, PUSH), note(2, PUSH)), True),
    ("close_date_pushed", D(), in_proposal(note(3, PUSH)), False),
    ("close_date_passed", D(expected_close=AS_OF.date() - timedelta(days=1)), [], True),
    ("close_date_passed", D(expected_close=AS_OF.date()), [], False),
    ("amount_cut", D(), in_proposal(note(2, "amount changed from 25000 to 20000")), True),
    ("amount_cut", D(), in_proposal(note(2, "amount changed from 24000 to 20000")), False),
    (
        "stage_regression",
        D(),
        [entered("proposal", 9), entered("demo", 8), entered("proposal", 7)],
        True,
    ),
    ("stage_regression", D(), [entered("demo", 9), entered("proposal", 7)], False),
    ("proposal_unanswered", D(), in_proposal(out(10, "proposal")), True),
    ("proposal_unanswered", D(), in_proposal(out(9, "proposal")), False),
    ("proposal_unanswered", D(), in_proposal(out(10, "proposal"), inbound(8)), False),
    ("one_more_proposal", D(), in_proposal(*[out(d, "proposal") for d in (7, 5, 3)]), True),
    ("one_more_proposal", D(), in_proposal(*[out(d, "proposal") for d in (7, 5)]), False),
    (
        "renegotiation",
        D(),
        in_proposal(note(3, "Renegotiated the price"), note(2, "they reopened the terms")),
        True,
    ),
    ("renegotiation", D(), in_proposal(note(3, "Renegotiated the price")), False),
    ("no_budget", D(budget="none"), [], True),
    ("no_budget", D(budget="unknown"), [], False),
    ("budget_unknown", D(budget="unknown"), [], True),
    ("budget_unknown", D(budget=None), [], True),
    ("budget_unknown", D(budget="confirmed"), [], False),
    ("budget_required", D(stage="proposal", budget="unknown"), [], True),
    ("budget_required", D(stage="demo", budget="unknown"), [], False),
    ("budget_required", D(stage="negotiation", budget="confirmed"), [], False),
    ("no_authority", D(authority="none"), [], True),
    ("no_authority", D(authority="influencer"), [], False),
    ("authority_unknown", D(authority=None), [], True),
    ("authority_unknown", D(authority="influencer"), [], False),
    ("decision_maker_required", D(stage="proposal", authority="influencer"), [], True),
    ("decision_maker_required", D(stage="demo", authority="influencer"), [], False),
    ("decision_maker_required", D(stage="proposal", authority="decision_maker"), [], False),
    ("no_champion", D(champion="no"), [], True),
    ("no_champion", D(champion="unknown"), [], False),
    ("unclear_need", D(need="vague"), [], True),
    ("unclear_need", D(need="clear"), [], False),
    ("no_need", D(need="none"), [], True),
    ("no_need", D(need="vague"), [], False),
    ("need_unknown", D(need="unknown"), [], True),
    ("need_unknown", D(need="clear"), [], False),
    ("skipped_step", D(stage="proposal"), [], True),
    ("skipped_step", D(stage="qualification"), [], False),
    ("discount_beyond_policy", D(discount_requested=0.16), [], True),
    ("discount_beyond_policy", D(discount_requested=0.15), [], False),
    ("discount_beyond_policy", D(discount_requested=0.35), [], False),
    ("discount_beyond_floor", D(discount_requested=0.31), [], True),
    ("discount_beyond_floor", D(discount_requested=0.30), [], False),
    ("custom_demands", D(custom_requests=3), [], True),
    ("custom_demands", D(custom_requests=2), [], False),
    ("margin_below_floor", D(margin=0.19), [], True),
    ("margin_below_floor", D(margin=0.2), [], False),
    ("missing_features", D(missing_features=2), [], True),
    ("missing_features", D(missing_features=1), [], False),
    ("poor_fit", D(fit="low"), [], True),
    ("poor_fit", D(fit="medium"), [], False),
    ("competitor", D(competitor="present"), [], True),
    ("competitor", D(competitor="incumbent"), [], False),
    ("incumbent_competitor", D(competitor="incumbent"), [], True),
    ("incumbent_competitor", D(competitor="present"), [], False),
    ("stakeholders_misaligned", D(stakeholders_aligned="no"), [], True),
    ("stakeholders_misaligned", D(stakeholders_aligned="unknown"), [], False),
]


@pytest.mark.parametrize(
    ("code", "deal", "activities", "fires"),
    CASES,
    ids=[f"{c[0]}-{'fires' if c[3] else 'quiet'}-{i}" for i, c in enumerate(CASES)],
)
def test_rule_fires_only_past_its_threshold(
    policy: Policy, code: str, deal: Row, activities: list[Row], fires: bool
) -> None:
    assert (code in codes(deal, activities, policy)) is fires


def test_every_rule_has_a_table_of_cases() -> None:
    tested = {case[0] for case in CASES if case[3]} | {"gut_vs_data"}  # gut: test_decide
    assert tested == set(RULE_CODES)


def test_every_rule_is_documented_and_in_the_default_policy() -> None:
    defaults = tomllib.loads(default_policy_text())["rules"]
    assert set(defaults) == set(RULE_CODES)
    for rule in RULES:
        assert rule.title and rule.meaning.endswith(".") and rule.threshold


def test_a_healthy_deal_has_no_flags(policy: Policy) -> None:
    assert flags_of(build_pipeline([build_deal()], healthy_activities()), policy) == []


def test_evidence_carries_the_numbers(policy: Policy) -> None:
    deals, acts = won_history(12, reply_days=6.0)
    deal = build_deal()
    mine = in_proposal(inbound(40), out(23), out(20), out(15), out(10))
    flags = flags_of(build_pipeline([*deals, deal], [*acts, *mine]), policy)
    unresponsive = next(f for f in flags if f.code == "unresponsive")
    assert unresponsive.severity is Severity.CRITICAL
    assert unresponsive.evidence == (
        "4 outbound touches and no reply in 23 days; the policy allows 14 days"
    )
    deals, acts = won_history(12, reply_days=20.0)
    flags = flags_of(build_pipeline([*deals, deal], [*acts, *mine]), policy)
    unresponsive = next(f for f in flags if f.code == "unresponsive")
    assert unresponsive.evidence.endswith("your won deals heard back within 20 days")
    assert unresponsive.question.endswith("?")


def test_most_severe_flags_come_first(policy: Policy) -> None:
    deal = build_deal(budget="none", fit="low", competitor="present")
    severities = [f.severity for f in flags_of(build_pipeline([REFERENCE, deal]), policy)]
    order = [Severity.CRITICAL, Severity.WARNING, Severity.INFO]
    assert severities == sorted(severities, key=order.index)


def test_rules_can_be_switched_off_and_retuned() -> None:
    deal = build_deal(custom_requests=2, fit="low")
    team = load_policy(
        "[rules.poor_fit]\nenabled = false\n"
        "[rules.custom_demands]\ncount = 2\nseverity = 'critical'\n"
    )
    flags = {f.code: f for f in flags_of(build_pipeline([deal]), team)}
    assert "poor_fit" not in flags
    assert flags["custom_demands"].severity is Severity.CRITICAL


def test_team_rules_fire_with_their_evidence() -> None:
    team = load_policy(
        '[[custom_rules]]\ncode = "big_and_slow"\nseverity = "warning"\n'
        'when = [{ signal = "amount", op = ">=", value = 20000 },\n'
        '        { signal = "days_in_stage", op = ">", value = 5 }]\n'
        'evidence = "{amount} at stake, {days_in_stage} days in {stage}"\n'
        'question = "Who else must sign?"\n'
    )
    big = build_deal(amount=20_000.0)
    small = build_deal(deal_id="D2", amount=19_999.0)
    frame = find_flags_frame(
        compute_signals(build_pipeline([big, small], in_proposal()), AS_OF, team), team
    ).filter(code="big_and_slow")
    assert frame["deal_id"].to_list() == ["D1"]
    assert frame["evidence"][0] == "20,000 at stake, 8 days in proposal"  # separators


@pytest.mark.parametrize(
    ("condition", "message"),
    [
        ('{ signal = "days_since_inbund", op = ">", value = 3 }', "did you mean"),
        ('{ signal = "budget", op = "==", value = 3 }', "is text"),
        ('{ signal = "amount", op = ">", value = "big" }', "is a number"),
    ],
)
def test_team_rules_are_checked(condition: str, message: str) -> None:
    team = load_policy(
        f'[[custom_rules]]\ncode = "x"\nseverity = "info"\nwhen = {condition}\n'
        'evidence = "e"\nquestion = "q"\n'
    )
    signals = compute_signals(build_pipeline([build_deal()]), AS_OF, team)
    with pytest.raises(PolicyError, match=message):
        find_flags(signals, team)


def test_find_flags_lists_every_deal(policy: Policy) -> None:
    pipeline = build_pipeline(
        [build_deal(), build_deal(deal_id="D2", fit="low")], healthy_activities()
    )
    found = find_flags(compute_signals(pipeline, AS_OF, policy), policy)
    assert found["D1"] == []
    assert {f.code for f in found["D2"]} == {"poor_fit", "skipped_step"}  # D2 has no meeting


def test_silence_is_no_evidence_where_the_team_logs_no_activities(policy: Policy) -> None:
    """A qualification-only export (no activity log): no idle deal, no skipped step."""
    old = build_deal(created_at=days_ago(90), stage="negotiation")
    without_log = {f.code for f in flags_of(build_pipeline([REFERENCE, old]), policy)}
    assert not {"idle", "skipped_step"} & without_log
    with_log = build_pipeline([REFERENCE, old], [REFERENCE_ACTIVITY])
    assert {"idle", "skipped_step"} <= {f.code for f in flags_of(with_log, policy)}


def test_the_flags_of_many_moments_in_one_pass_are_each_moment_s(policy: Policy) -> None:
    """A replay finds the flags of every moment at once: each moment's are the ones found
    alone, in the same order and known sorted by deal as they are (the odds summed from
    them must not move by a bit); a moment with no flag gets none."""
    deals = [REFERENCE, build_deal(), build_deal(deal_id="D2", budget="none")]
    pipeline = build_pipeline(deals, [REFERENCE_ACTIVITY, *healthy_activities()])
    moments = [AS_OF - timedelta(days=d) for d in (40, 15, 9, 0)]
    frames = [compute_signals(pipeline, at, policy) for at in moments]
    frames.append(frames[-1].filter(pl.col("deal_id") == "nobody"))
    together = find_flags_frames(frames, policy)
    alone = [find_flags_frame(frame, policy) for frame in frames]
    assert sum(f.height for f in alone[:-1]) > 3 and alone[-1].height == 0
    for one, other in zip(together, alone, strict=True):
        assert_frame_equal(one, other, check_exact=True)
        assert one["deal_id"].flags == other["deal_id"].flags
