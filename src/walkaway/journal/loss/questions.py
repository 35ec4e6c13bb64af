"""Questions for a win/loss conversation with the buyer, from the flags and the loss reason.

Asked after the loss, they look back: not "is there a budget?" but "was there a budget,
and when did that become clear?". One question per theme, the loss reason first, then
the flags that appeared at the turn, then the earlier warning signs, then two that
every such conversation needs.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

MAX_QUESTIONS = 6

_THEMES: dict[str, str] = {
    "silence": "Around {turn}, the conversation went quiet on your side. What changed then?",
    "proposal": "When our proposal reached you, what was the first reaction, and who read it?",
    "time": "The decision took longer than planned. What was it waiting on?",
    "timing": "The timing kept moving. What really set your timeline?",
    "meetings": "Meetings were hard to hold. How high was this on your list at the time?",
    "scope": "The scope shrank along the way. What drove that?",
    "price": "How did price and terms weigh against the value you expected from us?",
    "budget": "Was a budget set aside for this, and when did that become clear?",
    "authority": "Who made the final decision, and did we ever speak with them?",
    "champion": "Who on your side argued for us, and what did they lack to make the case?",
    "need": "How pressing was the problem we were solving, next to your other priorities?",
    "competition": "What did the option you chose do better than we did?",
    "fit": "Which of your requirements did we not meet well enough?",
    "people": "Where did your team disagree, and how was it settled?",
    "process": "Did we move faster than you were ready to? Which step would have helped you?",
}

THEME_OF_FLAG: dict[str, str] = {
    "unresponsive": "silence",
    "idle": "silence",
    "proposal_unanswered": "proposal",
    "stalled": "time",
    "close_date_pushed": "timing",
    "close_date_passed": "timing",
    "no_shows": "meetings",
    "meetings_moved": "meetings",
    "amount_cut": "scope",
    "one_more_proposal": "price",
    "renegotiation": "price",
    "discount_beyond_policy": "price",
    "discount_beyond_floor": "price",
    "margin_below_floor": "price",
    "no_budget": "budget",
    "budget_unknown": "budget",
    "budget_required": "budget",
    "no_authority": "authority",
    "authority_unknown": "authority",
    "decision_maker_required": "authority",
    "no_champion": "champion",
    "unclear_need": "need",
    "no_need": "need",
    "need_unknown": "need",
    "competitor": "competition",
    "incumbent_competitor": "competition",
    "missing_features": "fit",
    "poor_fit": "fit",
    "custom_demands": "fit",
    "stakeholders_misaligned": "people",
    "skipped_step": "process",
    "stage_regression": "process",
}

CLOSING = (
    "Looking back, at what moment did you know the answer would be no?",
    "What would you want us to do differently next time?",
)


def win_loss_questions(
    flag_codes: Iterable[str], loss_reason: str | None, turn: date | None
) -> tuple[str, ...]:
    """Up to :data:`MAX_QUESTIONS` questions, most telling first, none twice."""
    when = f"{turn:%d %B %Y}".lstrip("0") if turn else "the end"
    questions: list[str] = []
    if loss_reason and loss_reason.strip():
        questions.append(
            f"You gave the reason as “{loss_reason.strip()}”. What would have had to be "
            "different for a yes?"
        )
    for code in flag_codes:
        theme = THEME_OF_FLAG.get(code)
        if theme is None:
            continue
        question = _THEMES[theme].format(turn=when)
        if question not in questions:
            questions.append(question)
    room = MAX_QUESTIONS - len(CLOSING)
    return (*questions[:room], *CLOSING)
