from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from walkaway.errors import PolicyError
from walkaway.models import Severity
from walkaway.policy import (
    Policy,
    default_policy_text,
    load_policy,
    read_policy,
    read_policy_text,
)


def test_default_policy_is_sensible(policy: Policy) -> None:
    assert policy.currency == "EUR"
    assert [s.name for s in policy.stages] == [
        "qualification",
        "discovery",
        "demo",
        "proposal",
        "negotiation",
    ]
    assert policy.economics.walk_away_factor == 0.5
    assert policy.decision.requalify_days > 0 and policy.decision.revisit_months > 0
    assert policy.rule("discount_beyond_floor").hard_stop
    assert policy.threshold("unresponsive", "touches") == 3


def test_default_text_is_commented_toml() -> None:
    text = default_policy_text()
    assert text.count("#") > 50
    assert tomllib.loads(text)["currency"] == "EUR"


def test_to_toml_round_trips(policy: Policy) -> None:
    assert load_policy(policy.to_toml()) == policy


def test_team_file_holds_only_what_changes(policy: Policy) -> None:
    team = load_policy("[economics]\nhourly_cost = 95\n[rules.idle]\nenabled = false\n")
    assert team.economics.hourly_cost == 95
    assert not team.is_enabled("idle")
    assert team.economics.default_margin == policy.economics.default_margin
    assert team.rules["unresponsive"] == policy.rules["unresponsive"]


def test_stages_are_matched_in_any_case(policy: Policy) -> None:
    assert policy.stage_index(" Proposal ") == 3
    assert policy.stage("DEMO") is not None


def test_unknown_stages_use_the_generic_numbers(policy: Policy) -> None:
    assert policy.stage_index("A_SUBMITTED") is None
    assert policy.limit_days("A_SUBMITTED") == policy.unknown_stage.limit_days
    assert policy.win_rate("O_SENT") == policy.unknown_stage.win_rate


def test_team_stages_replace_the_default_and_fill_gaps() -> None:
    team = load_policy(
        '[[stages]]\nname = "Intro"\nlimit_days = 9\n\n[[stages]]\nname = "Close"\n'
        '[requirements]\ndecision_maker_by = "close"\nbudget_by = ""\n'
    )
    assert [s.key for s in team.stages] == ["intro", "close"]
    assert team.limit_days("intro") == 9
    assert team.hours_needed("close") == team.unknown_stage.hours_needed


def test_custom_rule_accepts_one_condition_as_a_table() -> None:
    team = load_policy(
        '[[custom_rules]]\ncode = "long_silence"\nseverity = "warning"\n'
        'when = { signal = "days_since_inbound", op = ">", value = 30 }\n'
        'evidence = "Silent for {days_since_inbound} days"\nquestion = "Still on?"\n'
    )
    (rule,) = team.custom_rules
    assert rule.severity is Severity.WARNING
    assert rule.when[0].value == 30
    assert load_policy(team.to_toml()) == team


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("[rules.unresponsiv]\nenabled = false", "rules.unresponsiv"),
        ("[rules.unresponsive]\ntouchs = 3", "rules.unresponsive.touchs"),
        ("[rules.unresponsive]\ntouches = 'three'", "rules.unresponsive.touches"),
        ("[rules.unresponsive]\nseverity = 'fatal'", "rules.unresponsive.severity"),
        ("[rules.unresponsive]\nenabled = 1", "rules.unresponsive.enabled"),
        ("[economics]\nhourly_cost = 'a lot'", "economics.hourly_cost"),
        ("[economics]\ndefault_margin = 1.5", "economics.default_margin"),
        ("[economics]\nwalk_away_factor = -0.1", "economics.walk_away_factor"),
        ("[decision]\nrequalify_days = 2.5", "decision.requalify_days"),
        ("[decision]\nrequalify_on = ['no_such_rule']", "decision.requalify_on[0]"),
        ("economics = 3", "economics"),
        ("colour = 'blue'", "colour"),
        ("[[stages]]\nname = 'a'\nlimt = 3", "stages[0].limt"),
        ("[[stages]]\nlimit_days = 3", "stages[0].name"),
        ("[[stages]]\nname = 'a'\n[[stages]]\nname = 'A'", "stages[1].name"),
        ("[requirements]\nbudget_by = 'closing'", "requirements.budget_by"),
        ("[messages]\nwarm = 'Hi $customer'", "messages.warm"),
        (
            "[[custom_rules]]\ncode = 'x'\nseverity = 'info'\nevidence = ''\nquestion = ''",
            "custom_rules[0].when",
        ),
        (
            "[[custom_rules]]\ncode = 'idle'\nseverity = 'info'\nevidence = ''\nquestion = ''\n"
            "when = {signal = 'no_shows', op = '>', value = 1}",
            "custom_rules[0].code",
        ),
        (
            "[[custom_rules]]\ncode = 'x'\nseverity = 'info'\nevidence = ''\nquestion = ''\n"
            "when = {signal = 'no_shows', op = '=>', value = 1}",
            "custom_rules[0].when[0].op",
        ),
    ],
)
def test_invalid_policy_names_the_key_in_one_line(text: str, named: str) -> None:
    with pytest.raises(PolicyError) as error:
        load_policy(text)
    message = str(error.value)
    assert f"'{named}'" in message
    assert "\n" not in message


def test_a_misspelt_key_gets_a_suggestion() -> None:
    with pytest.raises(PolicyError, match="did you mean 'hourly_cost'"):
        load_policy("[economics]\nhourly_cots = 50")


def test_broken_toml_is_refused() -> None:
    with pytest.raises(PolicyError, match="not valid TOML"):
        load_policy("[economics\n")


def test_read_policy_from_a_file(tmp_path: Path) -> None:
    path = tmp_path / "policy.toml"
    path.write_text("currency = 'USD'\n", "utf-8")
    assert read_policy(path).currency == "USD"
    with pytest.raises(PolicyError, match="cannot read"):
        read_policy(tmp_path / "missing.toml")


@given(
    margin=st.floats(0, 1, allow_nan=False),
    cost=st.floats(0, 1e6, allow_nan=False),
    days=st.integers(1, 365),
    enabled=st.booleans(),
)
def test_any_valid_values_round_trip(margin: float, cost: float, days: int, enabled: bool) -> None:
    text = (
        f"[economics]\ndefault_margin = {margin!r}\nhourly_cost = {cost!r}\n"
        f"[decision]\nrequalify_days = {days}\n[rules.stalled]\nenabled = {str(enabled).lower()}\n"
    )
    policy = load_policy(text)
    assert policy.economics.default_margin == margin
    assert load_policy(policy.to_toml()) == policy


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("x = " + "[" * 1000 + "]" * 1000, "more than 16 levels deep"),
        ("x = " + "[" * 40 + "]" * 40, "more than 16 levels deep"),
        ("x = " + "{a = " * 30 + "1" + "}" * 30, "more than 16 levels deep"),
        ("# " + "x" * 300_000, "a policy may have at most 262,144"),
    ],
    ids=["1000 arrays", "40 arrays", "30 inline tables", "300 kB"],
)
def test_a_policy_too_deep_or_too_big_is_refused_in_one_line(text: str, said: str) -> None:
    with pytest.raises(PolicyError, match=said) as refused:
        load_policy(text)
    assert "\n" not in str(refused.value)


def test_a_policy_file_too_big_or_not_utf8_is_refused_before_it_is_read(tmp_path: Path) -> None:
    big, latin = tmp_path / "big.toml", tmp_path / "latin.toml"
    big.write_bytes(b"#" * (4 * 262_144 + 1))
    latin.write_bytes('currency = "€"'.encode("cp1252"))
    with pytest.raises(PolicyError, match="bytes; a policy may have at most"):
        read_policy_text(big)
    with pytest.raises(PolicyError, match="is not UTF-8 text"):
        read_policy_text(latin)
