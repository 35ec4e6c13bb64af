"""A draft message for walking away well: honest, thankful, the door left open.

The main reasons of an assessment are put in the buyer's words (never the team's
jargon: no probabilities, hours or "p x V / H"), and the message proposes when to talk
again. Templates are ``string.Template`` texts with ``$buyer``, ``$deal``, ``$reasons``,
``$revisit_on`` and ``$sender``; the team's live in the policy's ``[messages]`` table,
and any mapping of tone -> template passed in overrides them.

The draft opens with a subject line. ``$buyer`` is the contact's name where the export
has one (a contact column kept as an attribute), else a neutral "there": never the
company. ``$deal`` is the deal's own name, without the account it starts with, and
"this project" when that leaves only the product (an importer that names deals after
their product, as Maven's does) or nothing.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import date
from string import Template
from typing import Any

from walkaway.errors import InputError
from walkaway.models import Assessment, Recommendation, Tone
from walkaway.policy import MessageTemplates, Policy, load_policy
from walkaway.wording import percent_text

MAX_REASONS = 2

# What a flag means to the buyer; flags without an entry stay internal.
BUYER_WORDS: dict[str, str] = {
    "unresponsive": "it seems the timing is not right on your side",
    "no_shows": "finding time together has been hard",
    "meetings_moved": "finding time together has been hard",
    "idle": "things have been quiet for a while",
    "stalled": "things have not moved forward for a while",
    "close_date_pushed": "the timeline keeps moving",
    "close_date_passed": "the decision date we talked about has passed",
    "amount_cut": "the scope has become smaller than what we can serve well",
    "stage_regression": "we seem to have gone back a few steps",
    "proposal_unanswered": "we have not heard back on our proposal",
    "one_more_proposal": "several proposals have not found the right fit",
    "renegotiation": "we keep coming back to terms we had agreed",
    "no_budget": "there is no budget set aside for this right now",
    "budget_unknown": "we have not been able to confirm a budget",
    "budget_required": "we have not been able to confirm a budget",
    "no_authority": "we have not been able to talk with the people who decide",
    "authority_unknown": "we have not been able to talk with the people who decide",
    "decision_maker_required": "we have not been able to talk with the people who decide",
    "unclear_need": "we are not sure we solve a problem that matters enough to you right now",
    "no_need": "we are not sure we solve a problem that matters enough to you right now",
    "need_unknown": "we are not sure we solve a problem that matters enough to you right now",
    "discount_beyond_policy": "we cannot meet the price you need without cutting corners",
    "discount_beyond_floor": "we cannot meet the price you need without cutting corners",
    "custom_demands": "what you need goes beyond what we can build well for you",
    "margin_below_floor": "we cannot make this work at the price it needs",
    "missing_features": "our product does not yet do some of what you need",
    "poor_fit": "we may not be the best fit for what you need",
    "competitor": "you have a good alternative at hand",
    "incumbent_competitor": "you already have a supplier that serves you",
    "stakeholders_misaligned": "your team still needs to agree on the way forward",
}
FALLBACK = "we do not think we are the right partner for this at the moment"
NO_CONTACT = "there"  # "Hi there,"
NO_DEAL_WORDS = "this project"
# Attribute names (lower case, letters only) that hold the buyer's contact person.
CONTACT_KEYS = (
    "contact",
    "contactname",
    "contactperson",
    "primarycontact",
    "primarycontactname",
    "contactfullname",
    "associatedcontact",
    "buyer",
    "buyername",
)


def buyer_reasons(assessment: Assessment, limit: int = MAX_REASONS) -> str:
    """The assessment's main reasons in the buyer's words: "A, and B"."""
    phrases: list[str] = []
    for flag in assessment.flags:
        phrase = BUYER_WORDS.get(flag.code)
        if phrase and phrase not in phrases:
            phrases.append(phrase)
    chosen = phrases[:limit] or [FALLBACK]
    return chosen[0] if len(chosen) == 1 else ", ".join(chosen[:-1]) + ", and " + chosen[-1]


def _when(revisit_on: date | None) -> str:
    return f"around {revisit_on.day} {revisit_on:%B %Y}" if revisit_on else "in a few months"


def tone_of(text: str) -> Tone:
    """The tone named ``text``; an InputError for any other."""
    try:
        return Tone(text)
    except ValueError:
        known = " or ".join(Tone)
        raise InputError(f"tone '{text}' is not known; use {known}") from None


def _template(text: str, templates: Mapping[str, str] | MessageTemplates | None) -> str:
    tone = tone_of(text)
    if templates is None:
        templates = load_policy().messages
    if isinstance(templates, MessageTemplates):
        return str(getattr(templates, tone))
    if tone not in templates:
        raise InputError(f"no template for the tone '{tone}'; give one or use the policy's")
    return templates[tone]


def draft_exit_message(
    assessment: Assessment,
    deal: Mapping[str, Any] | None = None,
    tone: str = Tone.WARM,
    templates: Mapping[str, str] | MessageTemplates | Policy | None = None,
    *,
    revisit_on: date | None = None,
) -> str:
    """The draft email for the buyer. ``deal`` is the deal's row (for the contact and
    account); ``templates`` a policy, its ``messages`` or a mapping tone -> template."""
    if isinstance(templates, Policy):
        templates = templates.messages
    deal = deal or {}
    account = deal.get("account") or assessment.account
    words = deal_words(deal.get("name") or assessment.name, account, deal)
    values = {
        "buyer": contact_name(deal) or NO_CONTACT,
        "deal": words,
        "reasons": buyer_reasons(assessment),
        "revisit_on": _when(revisit_on or assessment.revisit_on),
        "sender": deal.get("owner") or assessment.owner or "",
    }
    try:
        body = Template(_template(tone, templates)).substitute(values).strip()
        return f"Subject: {subject_line(words)}\n\n{body}\n"
    except (KeyError, ValueError) as error:
        raise InputError(
            f"the {tone} message template has an unknown or broken placeholder: {error}"
        ) from None


def subject_line(words: str) -> str:
    """ "Pausing the fleet rollout for now" (``words``: :func:`deal_words`)."""
    return f"Pausing {words} for now"


def _attributes(deal: Mapping[str, Any]) -> dict[str, Any]:
    found = deal.get("attributes")
    if isinstance(found, str):
        try:
            found = json.loads(found)
        except ValueError:
            return {}
    return found if isinstance(found, dict) else {}


def _key(name: str) -> str:
    return re.sub(r"[^a-z]", "", name.lower())


def contact_name(deal: Mapping[str, Any]) -> str | None:
    """The buyer's contact as the greeting names them: "Jane" of "Jane Doe" (a name
    written "Doe, Jane" or with a title stays whole); None when the export has none."""
    fields = {**_attributes(deal), **{k: v for k, v in deal.items() if k != "attributes"}}
    for name, value in fields.items():
        if _key(str(name)) in CONTACT_KEYS and isinstance(value, str) and value.strip():
            full = " ".join(value.split())
            words = full.split(" ")
            plain = len(words) in (2, 3) and "," not in full and "." not in words[0]
            return words[0] if plain else full
    return None


def deal_words(name: str | None, account: str | None, deal: Mapping[str, Any]) -> str:
    """The deal as the buyer would say it: its name without the account it starts with
    (``Fabrikam - Platform`` -> ``Platform`` when the account is Fabrikam); "this
    project" when nothing is left but the product or the account."""
    text = " ".join((name or "").split())
    if account and text.lower().startswith(account.lower()):
        text = re.sub(r"^[\s\-–—:|·,]+", "", text[len(account) :])
    product = str(_attributes(deal).get("product") or "")
    if not text or _key(text) in {_key(product), _key(account or "")}:
        return NO_DEAL_WORDS
    return text


def pursue_warning(assessment: Assessment) -> str | None:
    """A line for whoever drafts an exit email for a deal the data says to pursue (None
    for any other call)."""
    if assessment.recommendation != Recommendation.PURSUE:
        return None
    deciding = (assessment.reasons or ("",))[0].rstrip(".")
    why = f": {deciding}" if deciding else ""
    return (
        f"The data says pursue {assessment.deal_id} ({percent_text(assessment.win_probability)} "
        f"to win{why}). Send this only if you have decided to walk away; record it with "
        f"`walkaway decide {assessment.deal_id} walk_away --reason ...`"
    )
