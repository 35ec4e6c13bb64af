from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, timedelta
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
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from walkaway.decision.assess import ASSESSMENT_COLUMNS, CAUSES, assess, assess_frame
from walkaway.errors import NotFittedError
from walkaway.learning.card import CurvePoint, WalkAwayLine
from walkaway.learning.prior import PriorModel
from walkaway.learning.stack import StackedWinModel
from walkaway.models import Assessment, Pipeline, Recommendation
from walkaway.policy import Policy, load_policy

REFERENCE = build_deal(deal_id="D0", name="Reference")


def dead_activities(deal_id: str = "D1") -> list[Row]:
    """Proposal sent 85 days ago, then five unanswered touches and a no-show."""
    return [
        build_activity(deal_id, days_ago(100), "stage_change", "internal", stage="proposal"),
        build_activity(deal_id, days_ago(95), "email", "inbound"),
        build_activity(deal_id, days_ago(85), "proposal", "outbound", hours=6.0),
        build_activity(deal_id, days_ago(60), "meeting", "outbound", status="no_show"),
        *[build_activity(deal_id, days_ago(d), "email", "outbound") for d in (70, 50, 30, 20, 10)],
    ]


def assessed(pipeline: Pipeline, policy: Policy, deal_id: str = "D1") -> Assessment:
    return next(a for a in assess(pipeline, AS_OF, policy) if a.deal_id == deal_id)


def test_a_healthy_deal_is_pursued(plain_policy: Policy) -> None:
    result = assessed(build_pipeline([build_deal()], healthy_activities()), plain_policy)
    assert result.recommendation is Recommendation.PURSUE
    assert result.win_probability == pytest.approx(0.45)
    assert result.reasons[0] == (
        "Expected €578 per remaining hour (45% of €15,400 over 12 hours); "
        "the policy values an hour at €80"
    )
    assert result.requalify_by is None and result.revisit_on is None
    assert result.walk_away_on is not None and result.walk_away_on > AS_OF.date()
    assert any(
        r.startswith("If nothing changes, it crosses the walk-away line by") for r in result.reasons
    )
    assert "6 hours already spent are not counted: only the hours ahead matter" in result.reasons


def test_a_dead_deal_is_walked_away_from(plain_policy: Policy) -> None:
    deal = build_deal(created_at=days_ago(120), rep_confidence=5)
    result = assessed(build_pipeline([deal], dead_activities()), plain_policy)
    assert result.recommendation is Recommendation.WALK_AWAY
    assert result.revisit_on == date(2024, 12, 1)
    assert result.requalify_by is None and result.walk_away_on is None
    codes = [f.code for f in result.flags]
    assert {"unresponsive", "proposal_unanswered", "no_shows", "stalled"} <= set(codes)
    assert "7 outbound touches and no reply in 85 days; the policy allows 14 days" in (
        result.reasons
    )
    assert any(r.startswith("Even with the open questions answered") for r in result.reasons)
    assert any(r.startswith("You rate this deal 5/5; the data says") for r in result.reasons)


def test_an_unknown_budget_is_requalified_with_questions_and_a_deadline(policy: Policy) -> None:
    deal = build_deal(budget="unknown")
    result = assessed(build_pipeline([REFERENCE, deal], healthy_activities()), policy)
    assert result.recommendation is Recommendation.REQUALIFY
    assert result.requalify_by == AS_OF.date() + timedelta(days=policy.decision.requalify_days)
    assert set(result.questions[:2]) == {
        "Is there a budget set aside for this, and how much?",
        "Can you confirm the budget before we go further?",
    }
    assert "Get answers by 2024-06-15, or walk away" in result.reasons


def test_a_deal_nobody_has_touched_for_weeks_is_not_pursued_on_its_numbers(
    policy: Policy,
) -> None:
    """Whether the buyer is still there is a deciding fact: a deal the numbers would
    pursue, with no activity on either side past the policy's limit, is re-qualified,
    and the line under the call is the silence, not the economics."""
    quiet = [{**a, "at": a["at"] - timedelta(days=45)} for a in healthy_activities()]
    deal = build_deal(amount=500_000.0, created_at=days_ago(90))
    pipeline = build_pipeline([REFERENCE, deal], quiet)
    result = assessed(pipeline, policy)
    assert "idle" in {f.code for f in result.flags}
    assert result.recommendation is Recommendation.REQUALIFY
    assert result.reasons[0].startswith("No activity on either side in 47 days")
    idle = next(f for f in result.flags if f.code == "idle")
    assert result.questions[0] == idle.question
    # the same deal, with the silence not counted as a deciding fact: its numbers pursue
    lenient = replace(
        policy,
        decision=replace(
            policy.decision,
            requalify_on=tuple(c for c in policy.decision.requalify_on if c != "idle"),
        ),
    )
    assert assessed(pipeline, lenient).recommendation is Recommendation.PURSUE


def test_a_hard_stop_overrides_the_numbers(policy: Policy) -> None:
    deal = build_deal(discount_requested=0.4, amount=1_000_000.0)
    result = assessed(build_pipeline([deal], healthy_activities()), policy)
    assert result.recommendation is Recommendation.WALK_AWAY and result.hard_stop
    assert result.reasons[0] == "Hard stop: A 40% discount was asked; the floor is 30%"


def test_no_amount_is_requalified(policy: Policy) -> None:
    result = assessed(build_pipeline([build_deal(amount=None)], healthy_activities()), policy)
    assert result.recommendation is Recommendation.REQUALIFY
    assert result.questions[0] == "What is this deal worth: which amount is the buyer considering?"
    assert result.economics.value is None


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        (2_800.0, Recommendation.PURSUE),  # 0.45 x 2,156 / 12 h = 80.9 >= 80
        (2_000.0, Recommendation.REQUALIFY),  # 57.8: between 40 and 80
        (1_000.0, Recommendation.WALK_AWAY),  # 28.9 < 40
    ],
)
def test_the_line_between_pursue_requalify_and_walk_away(
    plain_policy: Policy, amount: float, expected: Recommendation
) -> None:
    result = assessed(
        build_pipeline([build_deal(amount=amount)], healthy_activities()), plain_policy
    )
    assert result.recommendation is expected


def test_in_between_without_flags_asks_a_generic_question(plain_policy: Policy) -> None:
    result = assessed(
        build_pipeline([build_deal(amount=2_000.0)], healthy_activities()), plain_policy
    )
    assert result.questions == ("What would it take for you to decide, and by when?",)


@pytest.mark.parametrize(
    ("stage", "confidence", "disagrees"),
    [("negotiation", 1, True), ("negotiation", 3, False), ("proposal", 1, False)],
)
def test_gut_and_data_disagreement_is_pointed_out(
    plain_policy: Policy, stage: str, confidence: int, disagrees: bool
) -> None:
    deal = build_deal(stage=stage, rep_confidence=confidence, created_at=days_ago(5))
    result = assessed(build_pipeline([deal]), plain_policy)
    assert ("gut_vs_data" in [f.code for f in result.flags]) is disagrees
    assert result.rep_confidence == confidence


def test_most_urgent_first(plain_policy: Policy) -> None:
    deals = [
        build_deal(deal_id="healthy"),
        build_deal(deal_id="dead", created_at=days_ago(120)),
        build_deal(deal_id="unknown", budget="unknown"),
    ]
    acts = [
        *healthy_activities("healthy"),
        *dead_activities("dead"),
        *healthy_activities("unknown"),
    ]
    order = [a.deal_id for a in assess(build_pipeline(deals, acts), AS_OF, plain_policy)]
    assert order == ["dead", "unknown", "healthy"]


def test_within_a_call_what_is_at_stake_comes_first_never_the_id(plain_policy: Policy) -> None:
    amounts = {"A-small": 8_000.0, "B-large": 90_000.0, "C-middle": 30_000.0}
    deals = [build_deal(deal_id=d, amount=a, budget="unknown") for d, a in amounts.items()]
    acts = [a for d in amounts for a in healthy_activities(d)]
    frame = assess_frame(build_pipeline(deals, acts), AS_OF, plain_policy)
    assert set(frame["recommendation"]) == {"requalify"}
    assert frame["deal_id"].to_list() == ["B-large", "C-middle", "A-small"]


def test_one_deal_takes_the_same_path(policy: Policy) -> None:
    won, acts = won_history(12)
    deals = [*won, build_deal(), build_deal(deal_id="D2", fit="low")]
    pipeline = build_pipeline(deals, [*acts, *healthy_activities(), *healthy_activities("D2")])
    full = assess_frame(pipeline, AS_OF, policy).filter(deal_id="D2")
    alone = assess_frame(pipeline, AS_OF, policy, deal_ids=["D2"])
    assert alone.equals(full)


def test_a_given_model_must_be_fitted(policy: Policy) -> None:
    pipeline = build_pipeline([build_deal()], healthy_activities())
    with pytest.raises(NotFittedError):
        assess(pipeline, AS_OF, policy, PriorModel(policy))
    fitted = PriorModel(policy).fit(pipeline, AS_OF)
    assert assess(pipeline, AS_OF, policy, fitted) == assess(pipeline, AS_OF, policy)


def test_the_json_contract(policy: Policy) -> None:
    pipeline = build_pipeline([REFERENCE, build_deal(budget="unknown")], healthy_activities())
    frame = assess_frame(pipeline, AS_OF, policy)
    assert frame.columns == list(ASSESSMENT_COLUMNS)
    result = assessed(pipeline, policy).to_dict()
    required = {
        "deal_id",
        "name",
        "owner",
        "stage",
        "amount",
        "recommendation",
        "win_probability",
        "expected_value",
        "cost_to_pursue",
        "flags",
        "reasons",
        "requalify_by",
        "revisit_on",
    }
    assert required <= set(result)
    assert result["recommendation"] in {"pursue", "requalify", "walk_away"}
    assert result["requalify_by"] == "2024-06-15"
    flags = result["flags"]
    assert isinstance(flags, list)
    assert {"code", "severity", "evidence", "question"} == set(flags[0])
    json.dumps(result)


def test_no_open_deals(policy: Policy) -> None:
    assert assess(build_pipeline([]), AS_OF, policy) == []
    closed = build_deal(outcome="won", closed_at=days_ago(1))
    assert assess_frame(build_pipeline([closed]), AS_OF, policy).height == 0


random_deal = st.fixed_dictionaries(
    {
        "stage": st.sampled_from(["qualification", "demo", "proposal", "negotiation", "O_SENT"]),
        "amount": st.none() | st.floats(0, 1e6),
        "budget": st.sampled_from(["confirmed", "unknown", "none", None]),
        "authority": st.sampled_from(["economic_buyer", "influencer", None]),
        "discount_requested": st.none() | st.floats(0, 0.6),
        "rep_confidence": st.none() | st.integers(1, 5),
        "created_at": st.integers(1, 400).map(lambda d: days_ago(d)),
        "outcome": st.sampled_from(["open", "open", "won", "lost"]),
    }
)
random_activity = st.builds(
    lambda days, kind, direction, status, hours: build_activity(
        at=days_ago(days),
        kind=kind,
        direction=direction,
        status=status,
        hours=hours,
        stage="proposal" if kind == "stage_change" else None,
    ),
    days=st.floats(0.01, 400),
    kind=st.sampled_from(["email", "meeting", "proposal", "stage_change", "note"]),
    direction=st.sampled_from(["inbound", "outbound", None]),
    status=st.sampled_from(["done", "no_show"]),
    hours=st.none() | st.floats(0, 5),
)
later_activity = st.builds(
    lambda days, kind, direction: build_activity(
        at=AS_OF + timedelta(days=days),
        kind=kind,
        direction=direction,
        stage="negotiation" if kind == "stage_change" else None,
        hours=3.0,
    ),
    days=st.floats(0, 100),
    kind=st.sampled_from(["email", "proposal", "stage_change", "meeting"]),
    direction=st.sampled_from(["inbound", "outbound"]),
)


def make_pipeline(fields: list[dict[str, Any]], acts: list[Row]) -> tuple[list[Row], list[Row]]:
    deals = []
    for i, f in enumerate(fields):
        closed = days_ago(0.5) if f["outcome"] != "open" else None
        deals.append(build_deal(deal_id=f"D{i}", closed_at=closed, **f))
    return deals, [{**a, "deal_id": f"D{i % len(deals)}"} for i, a in enumerate(acts)]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    fields=st.lists(random_deal, min_size=1, max_size=5),
    acts=st.lists(random_activity, max_size=15),
    later=st.lists(later_activity, max_size=5),
    seed=st.integers(0, 1000),
)
def test_deterministic_and_blind_to_the_future(
    fields: list[dict[str, Any]], acts: list[Row], later: list[Row], seed: int
) -> None:
    policy = load_policy()
    deals, activities = make_pipeline(fields, acts)
    frame = assess_frame(build_pipeline(deals, activities), AS_OF, policy)
    assert frame["win_probability"].is_between(0, 1).all()
    # the same input in another row order gives the same answer
    shuffled = build_pipeline(deals[::-1], activities[::-1])
    assert assess_frame(shuffled, AS_OF, policy).equals(frame)
    # later activities and new deals change nothing
    later = [{**a, "deal_id": f"D{(seed + i) % len(deals)}"} for i, a in enumerate(later)]
    new = build_deal(deal_id="new", created_at=AS_OF)
    future = build_pipeline([*deals, new], [*activities, *later])
    assert assess_frame(future, AS_OF, policy).equals(frame)
    # a later closure changes nothing either, once its stage field (at-close data, like
    # the outcome) is not used: the deal is open, staged by its history before as_of
    closed_later = [
        {**d, "outcome": "won", "closed_at": AS_OF + timedelta(days=2), "stage": "Closed Won"}
        if d["outcome"] == "open"
        else d
        for d in deals
    ]
    unstaged = [{**d, "stage": None} if d["outcome"] == "open" else d for d in deals]
    expected = assess_frame(build_pipeline(unstaged, activities), AS_OF, policy)
    assert assess_frame(build_pipeline(closed_later, activities), AS_OF, policy).equals(expected)
    assert pl.Series(frame["recommendation"]).is_in(["pursue", "requalify", "walk_away"]).all()


def _with_line(pipeline: Pipeline, policy: Policy, floor: float) -> StackedWinModel:
    """The trained model of a team without history (the prior exactly), carrying a
    walk-away line at ``floor``."""
    point = CurvePoint(floor, 0.05, 0.4, 0.9, 10)
    line = WalkAwayLine(floor, 0.05, point, "hours", 100, (point,))
    return StackedWinModel(policy).fit(pipeline, AS_OF).with_walk_away_line(line)


def test_the_walk_away_line_keeps_deals_the_history_would_win(plain_policy: Policy) -> None:
    """1,000 euros: the hours are worth more elsewhere at p = 45% (the line above)."""
    pipeline = build_pipeline([build_deal(amount=1_000.0)], healthy_activities())
    held = assess(pipeline, AS_OF, plain_policy, _with_line(pipeline, plain_policy, 0.30))[0]
    assert held.recommendation is Recommendation.REQUALIFY
    assert (
        "The hours are worth more elsewhere, but at 45% this team's history wins too many "
        "such deals to walk away (the line is 30%)"
    ) in held.reasons
    walked = assess(pipeline, AS_OF, plain_policy, _with_line(pipeline, plain_policy, 0.60))[0]
    assert walked.recommendation is Recommendation.WALK_AWAY
    assert not [r for r in walked.reasons if "history wins too many" in r]


def test_a_hard_stop_walks_away_whatever_the_line(plain_policy: Policy) -> None:
    pipeline = build_pipeline([build_deal(discount_requested=0.4)], healthy_activities())
    result = assess(pipeline, AS_OF, plain_policy, _with_line(pipeline, plain_policy, 0.0))[0]
    assert result.recommendation is Recommendation.WALK_AWAY and result.hard_stop


FIRST_LINE = {
    "hard_stop": "Hard stop: ",
    "no_value": "No amount is recorded",
    "economics_walk": "Expected ",
    "economics_pursue": "Expected ",
    "economics_between": "Expected ",
    "history_floor": "The hours are worth more elsewhere, but at ",
    "too_unlikely": "At ",
}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    fields=st.lists(random_deal, min_size=1, max_size=6),
    acts=st.lists(random_activity, max_size=15),
    floor=st.none() | st.floats(0.0, 0.9),
)
def test_the_line_under_each_call_names_what_decided_it(
    fields: list[dict[str, Any]], acts: list[Row], floor: float | None
) -> None:
    policy = load_policy()
    deals, activities = make_pipeline(fields, acts)
    pipeline = build_pipeline(deals, activities)
    model = None if floor is None else _with_line(pipeline, policy, floor)
    frame = assess_frame(pipeline, AS_OF, policy, model)
    deciding = set(policy.decision.requalify_on)
    for row in frame.iter_rows(named=True):
        cause, first = row["cause"], row["reasons"][0]
        assert row["recommendation"] == CAUSES[cause].value
        if cause == "open_question":
            raised = {f["evidence"] for f in row["flags"] if f["code"] in deciding}
            assert first in raised
        else:
            assert first.startswith(FIRST_LINE[cause]), (cause, first)
        if cause == "economics_between":
            assert "above the walk-away line of" in first
        if cause == "too_unlikely":
            assert "too unlikely to pursue" in first
        if row["recommendation"] == "pursue":
            assert row["win_probability"] >= policy.decision.min_pursue_probability


def test_a_deal_too_unlikely_to_win_is_not_pursued_however_well_it_would_pay(
    plain_policy: Policy,
) -> None:
    from tests.backtest.history import FixedModel

    pipeline = build_pipeline([build_deal(amount=50_000_000.0)], healthy_activities())
    unlikely = FixedModel({"D1": 0.05})  # the hours would pay a hundred times over
    result = assess_frame(pipeline, AS_OF, plain_policy, unlikely).row(0, named=True)
    assert result["value_per_hour"] > result["opportunity_rate"]
    assert result["recommendation"] == "requalify" and result["cause"] == "too_unlikely"
    assert result["reasons"][0] == (
        "At 5% this deal is too unlikely to pursue as it stands (a pursue needs 10%): find "
        "out what would make it likely"
    )
    assert result["questions"][0].startswith("What would make this deal likely")
    likely = FixedModel({"D1": 0.5})
    assert assess_frame(pipeline, AS_OF, plain_policy, likely)["recommendation"][0] == "pursue"


def test_the_walk_away_date_moves_only_when_something_happens(plain_policy: Policy) -> None:
    """Looked at week after week with nothing happening, a deal keeps its date (every
    flag time alone raises is counted ahead); a reply from the buyer moves it later."""
    deal = build_deal(created_at=days_ago(30))
    quiet = [
        build_activity(
            at=days_ago(30), kind="stage_change", direction="internal", stage="proposal"
        ),
        build_activity(at=days_ago(25), kind="email", direction="inbound"),
        build_activity(at=days_ago(20), kind="proposal", direction="outbound", hours=4.0),
    ]
    pipeline = build_pipeline([deal], quiet)
    dates = []
    for week in range(0, 10):
        as_of = AS_OF + timedelta(days=7 * week)
        row = assess_frame(pipeline, as_of, plain_policy).row(0, named=True)
        if row["recommendation"] == "walk_away":
            break
        dates.append(row["walk_away_on"])
    assert len(dates) >= 3 and dates[0] is not None
    assert len(set(dates)) == 1, dates
    assert dates[0].weekday() == 0  # a Monday: the crossing falls in the week before it
    replied = [
        *quiet,
        build_activity(at=AS_OF + timedelta(days=13), kind="email", direction="inbound"),
    ]
    later = assess_frame(build_pipeline([deal], replied), AS_OF + timedelta(days=14), plain_policy)
    assert later["walk_away_on"][0] > dates[0]
