from __future__ import annotations

from dataclasses import fields
from datetime import date

import pytest
from core_factories import AS_OF, build_deal, build_pipeline, days_ago, healthy_activities

from walkaway.decision.assess import assess
from walkaway.decision.messages import (
    BUYER_WORDS,
    FALLBACK,
    buyer_reasons,
    draft_exit_message,
    pursue_warning,
)
from walkaway.errors import InputError, PolicyError
from walkaway.models import Assessment, Flag, Recommendation, Severity, Tone
from walkaway.policy import Policy, load_policy

JARGON = ("p×V", "p x V", "per remaining hour", "probability", "%", "€", "hours", "flag")


@pytest.fixture(scope="module")
def walked_away(plain_policy: Policy) -> Assessment:
    deal = build_deal(fit="low", missing_features=3, amount=1_500.0, created_at=days_ago(60))
    (result,) = assess(build_pipeline([deal], healthy_activities()), AS_OF, plain_policy)
    assert result.recommendation is Recommendation.WALK_AWAY
    return result


def flagged(*codes: str) -> Assessment:
    (base,) = assess(build_pipeline([build_deal()], healthy_activities()), AS_OF, load_policy())
    flags = tuple(Flag(c, Severity.WARNING, "internal evidence 42%", "?") for c in codes)
    return Assessment(**{**base.__dict__, "flags": flags, "revisit_on": date(2024, 12, 1)})


@pytest.mark.parametrize("tone", ["warm", "direct"])
def test_the_message_is_honest_thankful_and_leaves_the_door_open(
    walked_away: Assessment, tone: str
) -> None:
    text = draft_exit_message(walked_away, {"account": "Acme", "owner": "Ana"}, tone=tone)
    assert text.startswith("Subject: ") and "\n\nHi there,\n" in text  # never the company
    assert "Thank you" in text
    assert "our product does not yet do some of what you need" in text
    assert "around 1 December 2024" in text
    assert text.rstrip().endswith("Ana")
    for word in JARGON:
        assert word not in text


def test_reasons_are_in_the_buyers_words() -> None:
    assert buyer_reasons(flagged("unresponsive", "no_budget", "poor_fit")) == (
        "it seems the timing is not right on your side, and there is no budget set aside "
        "for this right now"
    )
    assert buyer_reasons(flagged("budget_unknown", "budget_required")) == (
        "we have not been able to confirm a budget"
    )


def test_internal_flags_are_never_told_to_the_buyer() -> None:
    assert buyer_reasons(flagged("skipped_step", "gut_vs_data", "team_rule")) == FALLBACK


def test_every_buyer_phrase_is_plain() -> None:
    for phrase in BUYER_WORDS.values():
        assert phrase == phrase.lower() and not any(c.isdigit() for c in phrase)


def test_without_a_revisit_date_it_proposes_a_few_months() -> None:
    result = Assessment(**{**flagged("idle").__dict__, "revisit_on": None})
    assert "in a few months" in draft_exit_message(result)


def test_the_team_overrides_the_templates(walked_away: Assessment) -> None:
    text = draft_exit_message(
        walked_away,
        tone="direct",
        templates={"direct": "Dear $buyer: $reasons. Until $revisit_on."},
    )
    assert text.split("\n\n", 1)[1] == (
        "Dear there: our product does not yet do some of what you need, and we may "
        "not be the best fit for what you need. Until around 1 December 2024.\n"
    )


def test_the_policy_templates_are_used(walked_away: Assessment) -> None:
    team = load_policy('[messages]\nwarm = "Thanks, $buyer!"\n')
    text = draft_exit_message(walked_away, templates=team)
    assert text == "Subject: Pausing platform for now\n\nThanks, there!\n"
    assert draft_exit_message(walked_away, templates=team.messages) == text


@pytest.mark.parametrize(
    ("tone", "templates", "message"),
    [
        ("angry", None, "tone 'angry' is not known"),
        ("warm", {"direct": "x"}, "no template for the tone 'warm'"),
        ("warm", {"warm": "Hi $nobody"}, "unknown or broken placeholder"),
        ("warm", {"warm": "Costs $"}, "unknown or broken placeholder"),
    ],
)
def test_bad_tones_and_templates_are_refused(
    walked_away: Assessment, tone: str, templates: dict[str, str] | None, message: str
) -> None:
    with pytest.raises(InputError, match=message):
        draft_exit_message(walked_away, tone=tone, templates=templates)


def test_every_tone_has_its_template_in_the_policy(walked_away: Assessment) -> None:
    """One Tone (the command line's --tone, the API's, the policy's [messages]): the
    default policy has a template for each, and a policy missing one is refused."""
    messages = load_policy().messages
    assert {f.name for f in fields(messages)} == set(Tone)
    for tone in Tone:
        assert draft_exit_message(walked_away, tone=tone).strip()
    with pytest.raises(PolicyError, match=r"messages\.direct"):
        load_policy('[messages]\ndirect = "Costs $"\n')


def test_it_works_for_any_recommendation(policy: Policy) -> None:
    (result,) = assess(build_pipeline([build_deal()], healthy_activities()), AS_OF, policy)
    assert result.recommendation is Recommendation.PURSUE
    assert "Hi there," in draft_exit_message(result, templates=policy)


@pytest.mark.parametrize(
    ("deal", "greeting"),
    [
        ({"account": "Acme", "attributes": '{"Contact Name": "Jane Doe"}'}, "Hi Jane,"),
        ({"account": "Acme", "primary_contact": "Dr. Ada Lovelace"}, "Hi Dr. Ada Lovelace,"),
        ({"account": "Acme", "attributes": {"contact": "Doe, Jane"}}, "Hi Doe, Jane,"),
        ({"account": "Acme", "attributes": '{"industry": "Retail"}'}, "Hi there,"),
    ],
)
def test_the_greeting_names_the_contact_never_the_company(
    walked_away: Assessment, deal: dict[str, object], greeting: str
) -> None:
    assert f"\n\n{greeting}\n" in draft_exit_message(walked_away, deal)


@pytest.mark.parametrize(
    ("deal", "words"),
    [
        ({"name": "Fabrikam - Fleet rollout", "account": "Fabrikam"}, "Fleet rollout"),
        ({"name": "Fleet rollout", "account": "Fabrikam"}, "Fleet rollout"),
        (
            {
                "name": "Cancity – GTX Basic",
                "account": "Cancity",
                "attributes": {"product": "GTX Basic"},
            },
            "this project",
        ),
        ({"name": "GTX Basic", "attributes": '{"product": "GTX Basic"}'}, "this project"),
        ({"name": "Fabrikam", "account": "Fabrikam"}, "this project"),
    ],
)
def test_the_subject_and_thanks_use_the_deals_own_words(
    walked_away: Assessment, deal: dict[str, object], words: str
) -> None:
    text = draft_exit_message(walked_away, deal, tone="direct")
    assert text.startswith(f"Subject: Pausing {words} for now\n")
    assert f"Thank you for considering us for {words}." in text


def test_a_pursue_deal_warns_whoever_drafts_its_exit(walked_away: Assessment) -> None:
    assert pursue_warning(walked_away) is None
    pursued = Assessment(**{**walked_away.__dict__, "recommendation": Recommendation.PURSUE})
    warning = pursue_warning(pursued)
    assert warning is not None and "pursue" in warning and pursued.deal_id in warning
    assert pursued.reasons[0].rstrip(".") in warning
