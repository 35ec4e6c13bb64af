"""What the leadership check advises: the factors to weigh and a 90-day plan.

The plan is tailored to the weakest role areas and to the verdict; the factors are the
article's counterweights (how much the team depends on you, whether this is one bad
month or a pattern, whether the trouble is the market, whether you tried to fix it,
savings and a next step to move toward, timing).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from walkaway.leadership.questions import QUESTIONS_BY_ID, ROLE_AREAS, Area


class Verdict(StrEnum):
    STAY_AND_INVEST = "stay_and_invest"
    FIX_OR_LEAVE = "fix_or_leave"
    PLAN_YOUR_EXIT = "plan_your_exit"

    @property
    def words(self) -> str:
        return self.value.replace("_", " ")


class Phase(StrEnum):
    WEEKS_1_2 = "weeks_1_2"
    WEEKS_3_6 = "weeks_3_6"
    WEEKS_7_12 = "weeks_7_12"

    @property
    def words(self) -> str:
        return {"weeks_1_2": "weeks 1–2", "weeks_3_6": "weeks 3–6", "weeks_7_12": "weeks 7–12"}[
            self.value
        ]


@dataclass(frozen=True)
class Factor:
    """Something to weigh before deciding, with a code for machines and words for people."""

    code: str
    text: str


@dataclass(frozen=True)
class PlanStep:
    """One step of the 90-day plan; ``area`` is the weak area it works on, if any."""

    phase: Phase
    action: str
    area: Area | None = None


HIGH_DEPENDENCY_AT: Final = 50  # dependency concern at or above: hand over before you go
LOW_DEPENDENCY_AT: Final = 25  # dependency concern at or below: the team runs without you
WEAK_AREA_AT: Final = 25  # a role area at or above this is worth working on
RECENT_UP_TO: Final = 2  # context_1 answer at or below (under three months): too early to tell
LOW_ANSWER: Final = 2
HIGH_ANSWER: Final = 4

# What to do about each area, in the three phases of the 90 days.
PLAYBOOK: Final[dict[Area, tuple[str, str, str]]] = {
    Area.VALUES_ETHICS: (
        "Write down each time you were asked to hide a limitation, over-promise or skip a "
        "standard; raise the pattern with your manager and ask where the line is.",
        "Agree in writing what your team may promise buyers; escalate any case that crosses "
        "the line (compliance, HR) rather than absorbing it.",
        "Judge by behaviour, not words: if you are still asked to compromise, treat it as a "
        "fundamental mismatch; it tends to get worse, not better.",
    ),
    Area.UNREALISTIC_DEMANDS: (
        "Build the evidence behind a realistic target: market analysis, seasonality, win "
        "rates and ramp time of new territories.",
        "Put a target to leadership with the people, budget, tools and training it needs, "
        "and ask them to fund it or lower it.",
        "Check whether targets or resources moved; if the answer is still pressure instead "
        "of support, that is your answer.",
    ),
    Area.RESPECT: (
        "List the decisions about your territory, team and accounts made without you, and "
        "what your input would have changed.",
        "Ask for a standing seat in those decisions; bring your market insight with numbers.",
        "Count your recommendations that were heard, and those overruled without a reason.",
    ),
    Area.ENGAGEMENT: (
        "Ask your manager for a fixed one-on-one rhythm and one clear list of priorities.",
        "Bring your manager into one critical deal and one sales review; ask for feedback "
        "on your strategy.",
        "Count the meetings held against those cancelled, and the questions answered in time.",
    ),
    Area.SUPPORT: (
        "Write the business case for the one resource (a hire, a tool, training) that would "
        "change your team's results most.",
        "Take it to upper management with the return it would bring; ask for a decision by a date.",
        "Note what you got, and what pushback your strategic decisions met.",
    ),
    Area.STAGNATION: (
        "Name one skill you want to learn and one your team needs; ask for a stretch "
        "project (a new segment, a cross-functional team).",
        "Replace one tactic you have used for years; coach each rep on one skill, with a "
        "close-rate goal.",
        "Compare results and close rates with week 1: is anyone, you included, growing?",
    ),
    Area.WELLBEING: (
        "Protect recovery time: two evenings a week and one day a month without work; talk "
        "to someone you trust about the load.",
        "Hand off or drop the routine tasks that drain you most; keep the ones that give "
        "you energy.",
        "Check whether your energy came back; if the dread stays after the load fell, the "
        "role itself is the problem.",
    ),
    Area.DEPENDENCY: (
        "Take stock: which key accounts only you hold, and which decisions stall without you.",
        "Pair a team member with each key account; name a successor and start training them.",
        "Test it: take two weeks off and see whether sales and decisions hold without you.",
    ),
}


def weakest_areas(concerns: Mapping[Area, int], limit: int) -> tuple[Area, ...]:
    """The role areas most worth working on: highest concern first, at least WEAK_AREA_AT."""
    ranked = sorted(ROLE_AREAS, key=lambda area: -concerns[area])  # stable: questionnaire order
    return tuple(area for area in ranked if concerns[area] >= WEAK_AREA_AT)[:limit]


def _label(answers: Mapping[str, int], question_id: str) -> str:
    return QUESTIONS_BY_ID[question_id].scale.label(answers[question_id])


def _dependency_factors(concerns: Mapping[Area, int]) -> list[Factor]:
    level = concerns[Area.DEPENDENCY]
    if level >= HIGH_DEPENDENCY_AT:
        text = (
            f"The team depends on you ({level}/100): leaving now would hurt it. Share the "
            "key accounts and train a successor first; that also leaves you free to choose."
        )
        return [Factor("team_depends_on_you", text)]
    if level <= LOW_DEPENDENCY_AT:
        text = (
            f"The team runs without you ({level}/100): you could leave cleanly, but check "
            "that you are not already being sidelined."
        )
        return [Factor("team_runs_without_you", text)]
    return []


def _context_factors(answers: Mapping[str, int], verdict: Verdict) -> list[Factor]:
    found: list[Factor] = []
    duration = _label(answers, "context_1")
    if answers["context_1"] <= RECENT_UP_TO:
        text = (
            f"It has felt this way for {duration}: do not decide from one bad month or "
            "quarter; give it 90 days and take the check again."
        )
        found.append(Factor("recent", text))
    elif answers["context_1"] >= HIGH_ANSWER:
        found.append(Factor("lasting", f"It has felt this way for {duration}: a pattern."))
    if answers["context_2"] >= HIGH_ANSWER:
        text = (
            "You see much of the shortfall in the market: compare with similar teams; "
            "another role in the same market meets the same headwinds."
        )
        found.append(Factor("external_causes", text))
    if answers["context_3"] >= HIGH_ANSWER:
        text = "You raised the problems and nothing changed: more of the same will not help."
        found.append(Factor("raised_without_change", text))
    elif answers["context_3"] <= LOW_ANSWER and verdict is not Verdict.STAY_AND_INVEST:
        text = (
            "You have not yet raised this plainly with leadership: say it, with a "
            "deadline, before you decide."
        )
        found.append(Factor("not_yet_raised", text))
    return found


def _readiness_factors(answers: Mapping[str, int], verdict: Verdict) -> list[Factor]:
    if verdict is Verdict.STAY_AND_INVEST:
        return []
    found: list[Factor] = []
    if answers["readiness_1"] <= LOW_ANSWER:
        text = "Less than six months of savings: line up your next role before you resign."
        found.append(Factor("savings", text))
    if answers["readiness_2"] <= LOW_ANSWER:
        text = (
            "You do not yet know what you would move toward: the best moves go toward "
            "something, not away from problems; test a pivot first with a side project "
            "or a cross-functional team."
        )
        found.append(Factor("no_next_step", text))
    if verdict is Verdict.FIX_OR_LEAVE:
        text = "A lateral move or another team may fix this without leaving the company."
        found.append(Factor("internal_move", text))
    else:
        text = (
            "Choose the moment: not in a critical sales period or right after a poor "
            "quarter; check your notice period and any non-compete clause."
        )
        found.append(Factor("timing", text))
    return found


def find_factors(
    verdict: Verdict, concerns: Mapping[Area, int], answers: Mapping[str, int]
) -> tuple[Factor, ...]:
    """The counterweights and practical matters to weigh before deciding."""
    return (
        *_dependency_factors(concerns),
        *_context_factors(answers, verdict),
        *_readiness_factors(answers, verdict),
    )


def _area_steps(area: Area) -> list[PlanStep]:
    return [
        PlanStep(phase, action, area) for phase, action in zip(Phase, PLAYBOOK[area], strict=True)
    ]


def _exit_steps(focus: tuple[Area, ...]) -> list[PlanStep]:
    reasons = " and ".join(area.words for area in focus) or "what you found"
    return [
        PlanStep(
            Phase.WEEKS_1_2,
            f"Write down the specific reasons for leaving (chiefly {reasons}) and the "
            "warning signs you noticed too late.",
        ),
        PlanStep(
            Phase.WEEKS_1_2,
            "Check your finances (aim for six months of expenses), your notice period and "
            "any non-compete clause.",
        ),
        PlanStep(
            Phase.WEEKS_3_6,
            "Define your ideal next role and list companies whose values fit yours; update "
            "your CV and LinkedIn with your results in numbers.",
        ),
        PlanStep(
            Phase.WEEKS_3_6,
            "Write the transition document for your successor: open deals, key accounts, "
            "team dynamics.",
        ),
        PlanStep(
            Phase.WEEKS_7_12,
            "Tell your manager first, in private, as a career decision rather than a list of "
            "complaints; then your team and key stakeholders, with a transition timeline.",
        ),
        PlanStep(
            Phase.WEEKS_7_12,
            "Thank each team member, offer references, finish what you promised: leave "
            "every relationship better than you found it.",
        ),
    ]


def _general_steps(verdict: Verdict, focus: tuple[Area, ...]) -> list[PlanStep]:
    if verdict is Verdict.PLAN_YOUR_EXIT:
        return _exit_steps(focus)
    if verdict is Verdict.FIX_OR_LEAVE:
        return [
            PlanStep(
                Phase.WEEKS_1_2,
                "Set your deadline: write down what must change by week 12 for you to stay.",
            ),
            PlanStep(
                Phase.WEEKS_3_6,
                "Explore internal options (a lateral move, another team) and quietly check "
                "your savings, notice period and what you would move toward.",
            ),
        ]
    if focus:
        return []
    return [
        PlanStep(
            Phase.WEEKS_1_2,
            "Write down what makes this role work, so you notice early if it changes.",
        ),
        PlanStep(
            Phase.WEEKS_3_6,
            "Invest: take on a stretch goal, or coach one rep toward the next level.",
        ),
    ]


CLOSING_STEP: Final[dict[Verdict, str]] = {
    Verdict.STAY_AND_INVEST: "In week 12, take the check again and compare.",
    Verdict.FIX_OR_LEAVE: (
        "In week 12, take the check again and compare: if what you wrote down in week 1 "
        "has not changed, plan your exit."
    ),
    Verdict.PLAN_YOUR_EXIT: (
        "Before you resign, take the check again: if the signs held for 90 days, go."
    ),
}


def build_plan(verdict: Verdict, concerns: Mapping[Area, int]) -> tuple[PlanStep, ...]:
    """A 90-day plan in three phases, aimed at the weakest areas and fitted to the verdict.

    To stay and invest, work on the weakest area; to fix or leave, on the two weakest,
    with a deadline; to plan your exit, leave well. A team that depends on you gets the
    hand-over steps whatever the verdict.
    """
    focus = weakest_areas(concerns, limit=1 if verdict is Verdict.STAY_AND_INVEST else 2)
    steps: list[PlanStep] = []
    if verdict is not Verdict.PLAN_YOUR_EXIT:
        for area in focus:
            steps.extend(_area_steps(area))
    steps.extend(_general_steps(verdict, focus))
    if concerns[Area.DEPENDENCY] >= HIGH_DEPENDENCY_AT:
        steps.extend(_area_steps(Area.DEPENDENCY))
    steps.append(PlanStep(Phase.WEEKS_7_12, CLOSING_STEP[verdict]))
    order = list(Phase)
    return tuple(sorted(steps, key=lambda step: order.index(step.phase)))
