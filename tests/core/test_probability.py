from __future__ import annotations

from datetime import timedelta
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

from walkaway.errors import NotFittedError
from walkaway.flags.rulebook import empty_flags, find_flags_frame
from walkaway.learning.prior import PriorModel
from walkaway.models import Pipeline
from walkaway.policy import Policy, load_policy
from walkaway.signals.frame import compute_signals


def flags(*rows: tuple[str, str, str]) -> pl.DataFrame:
    """A flags frame from (deal_id, code, severity)."""
    frame = pl.DataFrame(
        [
            {
                "deal_id": d,
                "code": c,
                "severity": s,
                "evidence": f"{c} evidence",
                "question": "?",
                "hard_stop": False,
            }
            for d, c, s in rows
        ],
        schema=empty_flags().schema,
    )
    return frame


def predict(pipeline: Pipeline, policy: Policy, flag_frame: pl.DataFrame | None = None) -> float:
    signals = compute_signals(pipeline, AS_OF, policy)
    model = PriorModel(policy).fit(pipeline, AS_OF)
    found = flag_frame if flag_frame is not None else empty_flags()
    return float(model.predict_proba(signals, found)[0])


def test_not_fitted_raises(policy: Policy) -> None:
    model = PriorModel(policy)
    signals = compute_signals(build_pipeline([build_deal()]), AS_OF, policy)
    for use in (
        lambda: model.predict_proba(signals, empty_flags()),
        model.summary,
        lambda: model.score(signals, empty_flags()),
    ):
        with pytest.raises(NotFittedError):
            use()
    assert "not fitted" in repr(model)


def test_fit_returns_the_model(policy: Policy) -> None:
    model = PriorModel(policy)
    assert model.fit(build_pipeline([build_deal()]), AS_OF) is model
    assert "2024-06-01" in repr(model)


def test_cold_start_uses_the_policy_rate(plain_policy: Policy) -> None:
    pipeline = build_pipeline([build_deal()], healthy_activities())
    assert predict(pipeline, plain_policy) == pytest.approx(plain_policy.win_rate("proposal"))


def test_unknown_stage_without_history_uses_the_generic_rate(plain_policy: Policy) -> None:
    pipeline = build_pipeline([build_deal(stage="A_SUBMITTED", created_at=days_ago(1))])
    assert predict(pipeline, plain_policy) == pytest.approx(plain_policy.unknown_stage.win_rate)


def test_history_pulls_the_rate_with_a_beta_prior(plain_policy: Policy) -> None:
    won, acts = won_history(12)
    lost = [{**d, "deal_id": f"L{i}", "outcome": "lost"} for i, d in enumerate(won[:8])]
    lost_acts = [
        {**a, "deal_id": f"L{int(a['deal_id'][1:])}"} for a in acts if int(a["deal_id"][1:]) < 8
    ]
    # a fresh deal: won deals left proposal in 5 days, so an older one would be decaying
    fresh = build_deal(created_at=days_ago(2))
    pipeline = build_pipeline([*won, *lost, fresh], [*acts, *lost_acts])
    strength = plain_policy.probability.prior_strength
    expected = (12 + strength * 0.45) / (20 + strength)
    assert predict(pipeline, plain_policy) == pytest.approx(expected)
    summary = PriorModel(plain_policy).fit(pipeline, AS_OF).summary()
    row = summary.filter(stage_key="proposal").row(0, named=True)
    assert (row["reached"], row["won"], row["source"]) == (20, 12, "history")


@pytest.mark.parametrize(
    ("severity", "factor"), [("info", 1.0), ("warning", 0.65), ("critical", 0.35)]
)
def test_each_flag_multiplies_the_odds(plain_policy: Policy, severity: str, factor: float) -> None:
    pipeline = build_pipeline([build_deal()], healthy_activities())
    p = predict(pipeline, plain_policy, flags(("D1", "no_shows", severity)))
    base_odds = 0.45 / 0.55
    assert p / (1 - p) == pytest.approx(base_odds * factor)


def test_stalled_is_counted_by_time_not_as_a_flag(plain_policy: Policy) -> None:
    pipeline = build_pipeline([build_deal()], healthy_activities())
    assert predict(pipeline, plain_policy, flags(("D1", "stalled", "warning"))) == pytest.approx(
        0.45
    )


@pytest.mark.parametrize(("days", "factor"), [(21, 1.0), (42, 0.5), (63, 0.25)])
def test_time_decay_beyond_the_stall_threshold(
    plain_policy: Policy, days: int, factor: float
) -> None:
    acts = [
        build_activity(
            at=days_ago(days), kind="stage_change", direction="internal", stage="proposal"
        )
    ]
    p = predict(build_pipeline([build_deal(created_at=days_ago(days))], acts), plain_policy)
    assert p / (1 - p) == pytest.approx(0.45 / 0.55 * factor)


def test_reasons_for_and_against(policy: Policy) -> None:
    acts = [
        build_activity(at=days_ago(42), kind="stage_change", direction="internal", stage="proposal")
    ]
    pipeline = build_pipeline([build_deal(created_at=days_ago(42), fit="low")], acts)
    signals = compute_signals(pipeline, AS_OF, policy)
    found = find_flags_frame(signals, policy)
    prior = PriorModel(policy).fit(pipeline, AS_OF)
    reasons = prior.reasons(prior.score(signals, found)).row(0, named=True)
    assert reasons["reasons_for"][0] == (
        "Deals in proposal are won about 45% of the time (the policy's figure: no closed "
        "deal here reached it yet)"
    )
    assert "Budget confirmed" in reasons["reasons_for"]
    assert "42 days in proposal; the stage limit is 21 days" in reasons["reasons_against"]
    assert reasons["reasons_against"][-1] == (
        "42 days in proposal, longer than won deals needed, lowers the odds by 50%"
    )


deal_fields = st.fixed_dictionaries(
    {
        "stage": st.sampled_from(["qualification", "proposal", "negotiation", "X_UNKNOWN", None]),
        "budget": st.sampled_from(["confirmed", "unknown", "none", None]),
        "authority": st.sampled_from(["economic_buyer", "influencer", "none", None]),
        "need": st.sampled_from(["clear", "vague", "none", None]),
        "fit": st.sampled_from(["high", "low", None]),
        "competitor": st.sampled_from(["none", "incumbent", None]),
        "discount_requested": st.none() | st.floats(0, 1),
        "margin": st.none() | st.floats(0, 1),
        "custom_requests": st.none() | st.integers(0, 9),
        "created_at": st.integers(1, 900).map(lambda d: days_ago(d)),
    }
)
activity = st.builds(
    lambda days, kind, direction, status: build_activity(
        at=AS_OF - timedelta(days=days),
        kind=kind,
        direction=direction,
        status=status,
        stage="proposal" if kind == "stage_change" else None,
    ),
    days=st.floats(0.01, 900),
    kind=st.sampled_from(["email", "meeting", "proposal", "stage_change", "note"]),
    direction=st.sampled_from(["inbound", "outbound", None]),
    status=st.sampled_from(["done", "no_show", "rescheduled"]),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fields=st.lists(deal_fields, min_size=1, max_size=4), acts=st.lists(activity, max_size=12))
def test_probabilities_stay_between_0_and_1(
    fields: list[dict[str, Any]], acts: list[dict[str, Any]]
) -> None:
    policy = load_policy()
    deals = [build_deal(deal_id=f"D{i}", **f) for i, f in enumerate(fields)]
    acts = [{**a, "deal_id": f"D{i % len(deals)}"} for i, a in enumerate(acts)]
    pipeline = build_pipeline(deals, acts)
    signals = compute_signals(pipeline, AS_OF, policy)
    p = (
        PriorModel(policy)
        .fit(pipeline, AS_OF)
        .predict_proba(signals, find_flags_frame(signals, policy))
    )
    assert p.len() == signals.height
    assert p.null_count() == 0
    assert ((p >= 0) & (p <= 1)).all()


def _lives(won: list[float], lost: list[float]) -> list[dict[str, Any]]:
    """Closed deals that lived so many days each."""
    rows = []
    for outcome, lives in (("won", won), ("lost", lost)):
        for i, days in enumerate(lives):
            created = days_ago(days + 30)
            rows.append(
                build_deal(
                    deal_id=f"{outcome}{i}",
                    outcome=outcome,
                    created_at=created,
                    closed_at=created + timedelta(days=days),
                )
            )
    return rows


@pytest.mark.parametrize(("lost_linger", "decays"), [(True, True), (False, False)])
def test_time_costs_odds_only_where_the_history_says_sitting_costs_deals(
    plain_policy: Policy, lost_linger: bool, decays: bool
) -> None:
    """Lost deals that linger: a deal past the won deals' norm decays. Lost deals that
    close fast and won ones that take their time (as in Maven's data): a deal within the
    won deals' lives does not; one older than any won deal ever was still does (nothing
    in the history speaks for it)."""
    won = [40 + 60 * i / 399 for i in range(400)]
    lost = (
        [10 + 150 * i / 399 for i in range(400)]
        if lost_linger
        else [5 + 50 * i / 399 for i in range(400)]
    )
    old = build_deal(deal_id="old", created_at=days_ago(400))
    pipeline = build_pipeline([*_lives(won, lost), old])
    model = PriorModel(plain_policy).fit(pipeline, AS_OF)
    assert model.time_decays_ is decays
    signals = compute_signals(pipeline, AS_OF, plain_policy).filter(deal_id="old")
    p = float(model.predict_proba(signals, empty_flags())[0])
    base = float(model._base(signals)["base_rate"][0])
    assert p < base / 2  # 400 days: past the norm, and older than any won deal
    within = build_deal(deal_id="within", created_at=days_ago(80))
    pipeline = build_pipeline([*_lives(won, lost), within])
    signals = compute_signals(pipeline, AS_OF, plain_policy).filter(deal_id="within")
    model = PriorModel(plain_policy).fit(pipeline, AS_OF)
    p = float(model.predict_proba(signals, empty_flags())[0])
    base = float(model._base(signals)["base_rate"][0])
    assert (p < base) if decays else p == pytest.approx(base)


def test_a_deal_older_than_won_deals_get_loses_odds_even_without_an_activity_log(
    policy: Policy,
) -> None:
    # A history with no stage changes and no activities, as some CRMs export it: won
    # deals closed within 30 days of their creation, their stage the close ("Closed"),
    # the open deals in a stage nobody has history of.
    closed = [
        build_deal(
            deal_id=f"C{i}",
            stage="Closed",
            created_at=days_ago(400 - i),
            closed_at=days_ago(400 - i - 10 - i % 20),
            outcome="won" if i % 3 else "lost",
        )
        for i in range(60)
    ]
    young = build_deal(deal_id="YOUNG", stage="Engaging", created_at=days_ago(10))
    old = build_deal(deal_id="OLD", stage="Engaging", created_at=days_ago(164))
    pipeline = build_pipeline([*closed, young, old])
    signals = compute_signals(pipeline, AS_OF, policy)
    model = PriorModel(policy).fit(pipeline, AS_OF)
    scores = model.score(signals, empty_flags())
    p = dict(zip(scores.deal_ids, scores.probability, strict=True))
    assert p["OLD"] < p["YOUNG"] / 3  # never the flat base rate
    reasons = model.reasons(scores).filter(pl.col("deal_id") == "OLD")
    against = reasons["reasons_against"][0].to_list()
    assert any(
        r.startswith("Open 164 days, longer than 90% of the won deals took") for r in against
    )
    # the base rate is the team's own, not the policy's: say so, with the counts
    said = reasons["reasons_for"][0].to_list()[0]
    assert (
        said == "Deals closed here were won 40 of 60 times (67%); none on record reached Engaging"
    )
