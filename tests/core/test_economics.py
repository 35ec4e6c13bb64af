from __future__ import annotations

from typing import Any

import polars as pl
import pytest
from core_factories import AS_OF, Row, build_deal, build_pipeline, healthy_activities, won_history

from walkaway.decision.economics import ECONOMICS_COLUMNS, compute_economics, economics_of
from walkaway.models import Pipeline
from walkaway.policy import Policy, load_policy
from walkaway.signals.frame import compute_signals
from walkaway.signals.norms import Norms, compute_norms


def economics(pipeline: Pipeline, policy: Policy, p: float = 0.5) -> list[dict[str, Any]]:
    signals = compute_signals(pipeline, AS_OF, policy)
    norms = compute_norms(pipeline, AS_OF, policy)
    probability = pl.Series([p] * signals.height, dtype=pl.Float64)
    frame = compute_economics(signals, probability, norms, policy)
    assert frame.columns == list(ECONOMICS_COLUMNS)
    return frame.to_dicts()


def one(deal: Row, policy: Policy, p: float = 0.5, acts: list[Row] | None = None) -> dict[str, Any]:
    rows = economics(build_pipeline([deal], acts or []), policy, p)
    return rows[0]


def test_the_numbers_of_decision_md(policy: Policy) -> None:
    row = one(build_deal(amount=20_000.0, margin=0.5, potential="high"), policy, p=0.4)
    value = 20_000 * 0.5 * (1 + policy.economics.expansion_high)
    hours = policy.hours_needed("proposal")
    rate = policy.economics.yield_per_hour  # no history: the policy's yield
    assert row["value"] == pytest.approx(value)
    assert row["expected_value"] == pytest.approx(0.4 * value)
    assert row["hours_needed"] == pytest.approx(hours)
    assert row["value_per_hour"] == pytest.approx(0.4 * value / hours)
    assert row["opportunity_rate"] == pytest.approx(rate)
    assert row["cost_to_pursue"] == pytest.approx(hours * rate)
    assert row["walk_away_rate"] == pytest.approx(policy.economics.walk_away_factor * rate)
    assert row["net_value"] == pytest.approx(0.4 * value - hours * rate)
    assert row["yield_source"] == "policy"


def test_no_amount_means_no_value(policy: Policy) -> None:
    row = one(build_deal(amount=None), policy)
    assert row["value"] is None and row["expected_value"] is None
    assert row["value_per_hour"] is None
    assert row["cost_to_pursue"] > 0


def test_zero_margin_is_worth_nothing(policy: Policy) -> None:
    row = one(build_deal(margin=0.0), policy)
    assert row["value"] == 0 and row["value_per_hour"] == 0


def test_missing_margin_uses_the_default(policy: Policy) -> None:
    row = one(build_deal(margin=None, potential=None, amount=1000.0), policy)
    assert row["value"] == pytest.approx(1000 * policy.economics.default_margin)


def test_hours_never_drop_to_zero() -> None:
    team = load_policy('[[stages]]\nname = "proposal"\nhours_needed = 0.0\n')
    row = one(build_deal(), team)
    assert row["hours_needed"] == team.economics.min_hours_needed
    assert row["value_per_hour"] == pytest.approx(row["expected_value"] / row["hours_needed"])


def test_an_hour_is_never_worth_less_than_it_costs() -> None:
    team = load_policy("[economics]\nyield_per_hour = 10\nhourly_cost = 55\n")
    row = one(build_deal(), team)
    assert row["yield_per_hour"] == 10 and row["opportunity_rate"] == 55


def test_sunk_hours_are_shown_and_change_nothing(policy: Policy) -> None:
    fresh = one(build_deal(hours_invested=None), policy)
    sunk = one(build_deal(hours_invested=400.0), policy)
    assert sunk["hours_invested"] == 400
    assert {k: v for k, v in sunk.items() if k != "hours_invested"} == {
        k: v for k, v in fresh.items() if k != "hours_invested"
    }


def test_history_sets_the_yield_and_the_hours(policy: Policy) -> None:
    won, acts = won_history(12)
    rows = economics(build_pipeline([*won, build_deal()], [*acts, *healthy_activities()]), policy)
    (row,) = rows
    assert row["yield_source"] == "owner"  # the rep "ana" closed all twelve
    assert row["yield_per_hour"] == pytest.approx(12 * 20_000 * 0.7 / (12 * 4 + 6))
    assert row["hours_needed"] == pytest.approx(4.0)


def test_a_rep_without_enough_wins_gets_the_team_yield(policy: Policy) -> None:
    won, acts = won_history(12)
    others = [{**d, "owner": "bo"} if i % 2 else d for i, d in enumerate(won)]
    pipeline = build_pipeline([*others, build_deal(owner="cy")], acts)
    (row,) = economics(pipeline, policy)
    assert row["yield_source"] == "team"


def test_economics_objects(policy: Policy) -> None:
    row = one(build_deal(amount=None), policy)
    made = economics_of(row)
    assert made.value is None and made.currency == "EUR"
    assert made.cost_to_pursue == pytest.approx(row["cost_to_pursue"])


def _won_in(currency: str, owner: str, amount: float, prefix: str) -> tuple[list[Row], list[Row]]:
    """Twelve won deals of ``owner`` in ``currency``, 4 logged hours each."""
    won, acts = won_history(12)
    rename = {d["deal_id"]: f"{prefix}{d['deal_id']}" for d in won}
    deals = [
        {
            **d,
            "deal_id": rename[d["deal_id"]],
            "currency": currency,
            "owner": owner,
            "amount": amount,
        }
        for d in won
    ]
    return deals, [{**a, "deal_id": rename[a["deal_id"]]} for a in acts]


def test_an_hour_is_valued_in_the_deal_s_own_currency(policy: Policy) -> None:
    """Won margin over selling hours is learned per currency: a dollar deal is weighed
    against what the dollar deals earned an hour, never a sum of euros and dollars; a
    currency with no history of its own falls back to the policy's figure."""
    eur, eur_acts = _won_in("EUR", "ana", 20_000.0, "E")
    usd, usd_acts = _won_in("USD", "bo", 50_000.0, "U")
    open_deals = [
        build_deal(deal_id="O-USD", currency="USD", owner="cy"),
        build_deal(deal_id="O-EUR", currency="EUR", owner="cy"),
        build_deal(deal_id="O-GBP", currency="GBP", owner="cy"),
        build_deal(deal_id="O-BO", currency="USD", owner="bo"),
    ]
    pipeline = build_pipeline([*eur, *usd, *open_deals], [*eur_acts, *usd_acts])
    rows = {r["deal_id"]: r for r in economics(pipeline, policy)}
    per_hour = {"EUR": 20_000 * 0.7 / 4, "USD": 50_000 * 0.7 / 4}
    assert rows["O-USD"]["yield_source"] == "team"
    assert rows["O-USD"]["yield_per_hour"] == pytest.approx(per_hour["USD"])
    assert rows["O-EUR"]["yield_per_hour"] == pytest.approx(per_hour["EUR"])
    assert rows["O-BO"]["yield_source"] == "owner"  # bo won twelve dollar deals
    assert rows["O-BO"]["yield_per_hour"] == pytest.approx(per_hour["USD"])
    assert rows["O-GBP"]["yield_source"] == "policy"
    assert rows["O-GBP"]["yield_per_hour"] == policy.economics.yield_per_hour
    norms = compute_norms(pipeline, AS_OF, policy)
    assert norms.yield_per_hour == pytest.approx(per_hour["EUR"])  # the policy's currency
    assert set(norms.currency_yield["currency"]) == {"EUR", "USD"}


def test_the_learned_value_of_an_hour_survives_the_norms_cache(policy: Policy) -> None:
    usd, acts = _won_in("USD", "bo", 50_000.0, "U")
    norms = compute_norms(build_pipeline([*usd, build_deal()], acts), AS_OF, policy)
    again = Norms.from_dict(norms.to_dict())
    assert again.to_dict() == norms.to_dict()
    assert again.currency_yield["team_yield"].to_list() == pytest.approx([50_000 * 0.7 / 4])
