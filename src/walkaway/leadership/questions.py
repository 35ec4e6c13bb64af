"""The leadership check's questionnaire: areas, answer scales and questions.

The questions follow the warning signs of the sales-leadership article in ``seeds/``:
values and ethics, unrealistic demands, respect for expertise, engagement, support from
upper management, stagnation, and energy (the *role* areas), and the counterweights it
asks a leader to weigh before leaving: how much the team depends on you, how long things
have been this way and why, and how ready you are to go. Every answer is a whole number
from 1 to 5; each question says whether a high answer is a warning or a healthy sign.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Final

LOWEST: Final = 1
HIGHEST: Final = 5


class Area(StrEnum):
    VALUES_ETHICS = "values_ethics"
    UNREALISTIC_DEMANDS = "unrealistic_demands"
    RESPECT = "respect"
    ENGAGEMENT = "engagement"
    SUPPORT = "support"
    STAGNATION = "stagnation"
    WELLBEING = "wellbeing"
    DEPENDENCY = "dependency"
    CONTEXT = "context"
    READINESS = "readiness"

    @property
    def words(self) -> str:
        """The area in plain words."""
        return AREA_WORDS[self]

    @property
    def measures(self) -> str:
        """What the area's score measures, in words (a high score is that much more so)."""
        return COUNTERWEIGHT_MEASURES.get(self, AREA_WORDS[self])


AREA_WORDS: Final[dict[Area, str]] = {
    Area.VALUES_ETHICS: "values and ethics",
    Area.UNREALISTIC_DEMANDS: "unrealistic demands",
    Area.RESPECT: "respect for your expertise",
    Area.ENGAGEMENT: "engagement of your own manager",
    Area.SUPPORT: "support from upper management",
    Area.STAGNATION: "stagnation",
    Area.WELLBEING: "energy and burnout",
    Area.DEPENDENCY: "how much the team depends on you",
    Area.CONTEXT: "how long, and why",
    Area.READINESS: "readiness to leave",
}

COUNTERWEIGHT_MEASURES: Final[dict[Area, str]] = {
    Area.DEPENDENCY: "the team depends on you",
    Area.CONTEXT: "a lasting problem inside the company",
    Area.READINESS: "not ready to leave yet",
}

# The verdict is about the role; the counterweights shape the factors and the plan.
ROLE_AREAS: Final = (
    Area.VALUES_ETHICS,
    Area.UNREALISTIC_DEMANDS,
    Area.RESPECT,
    Area.ENGAGEMENT,
    Area.SUPPORT,
    Area.STAGNATION,
    Area.WELLBEING,
)


@dataclass(frozen=True)
class Scale:
    """An answer scale: the words for 1 to 5."""

    name: str
    labels: tuple[str, str, str, str, str]

    def label(self, answer: int) -> str:
        return self.labels[answer - LOWEST]

    def legend(self) -> str:
        """``1 never · 2 rarely · ...``, for a prompt."""
        return " · ".join(f"{n} {word}" for n, word in enumerate(self.labels, start=LOWEST))


AGREEMENT: Final = Scale(
    "agreement", ("strongly disagree", "disagree", "partly", "agree", "strongly agree")
)
FREQUENCY: Final = Scale("frequency", ("never", "rarely", "sometimes", "often", "almost always"))
DURATION: Final = Scale(
    "duration", ("under a month", "1–3 months", "3–6 months", "6–12 months", "over a year")
)


@dataclass(frozen=True)
class Question:
    """One question of the check.

    ``high_is_warning`` says which end is the warning sign: True when a 5 is a warning
    ("I am asked to hide product limitations": almost always), False when a 5 is a
    healthy sign ("leadership adjusts targets to market evidence": strongly agree).
    ``signal`` names the warning sign in a few words, ``strength`` the healthy one.
    """

    id: str
    area: Area
    text: str
    scale: Scale
    high_is_warning: bool
    signal: str
    strength: str

    def concern(self, answer: int) -> float:
        """0.0 for the healthiest answer, 1.0 for the strongest warning sign."""
        step = (answer - LOWEST) / (HIGHEST - LOWEST)
        return step if self.high_is_warning else 1.0 - step


QUESTIONS: Final[tuple[Question, ...]] = (
    Question(
        "values_1",
        Area.VALUES_ETHICS,
        "I am asked to hide product limitations from buyers or to promise what we cannot deliver.",
        FREQUENCY,
        high_is_warning=True,
        signal="you are asked to hide product limitations or over-promise",
        strength="you are not asked to mislead buyers",
    ),
    Question(
        "values_2",
        Area.VALUES_ETHICS,
        "Leadership pushes deals that do not benefit the customer, or waves away compliance and "
        "industry standards.",
        FREQUENCY,
        high_is_warning=True,
        signal="leadership pushes deals that do not serve the customer",
        strength="deals are expected to serve the customer",
    ),
    Question(
        "values_3",
        Area.VALUES_ETHICS,
        "Leadership puts long-term customer relationships ahead of this quarter's revenue.",
        AGREEMENT,
        high_is_warning=False,
        signal="short-term revenue wins over long-term relationships",
        strength="relationships come before the quarter",
    ),
    Question(
        "demands_1",
        Area.UNREALISTIC_DEMANDS,
        "My targets rose sharply without more people, budget or market analysis behind them.",
        AGREEMENT,
        high_is_warning=True,
        signal="targets rose without resources or market analysis",
        strength="targets come with the means to reach them",
    ),
    Question(
        "demands_2",
        Area.UNREALISTIC_DEMANDS,
        "I am expected to show results faster than buyers allow (new territories, seasonal "
        "business, unqualified leads).",
        AGREEMENT,
        high_is_warning=True,
        signal="results are expected faster than buyers allow",
        strength="timelines respect how buyers buy",
    ),
    Question(
        "demands_3",
        Area.UNREALISTIC_DEMANDS,
        "When I bring market evidence, leadership adjusts targets and deadlines.",
        AGREEMENT,
        high_is_warning=False,
        signal="targets ignore market evidence",
        strength="targets move with market evidence",
    ),
    Question(
        "respect_1",
        Area.RESPECT,
        "Decisions about my territory, team or key accounts are made without consulting me.",
        FREQUENCY,
        high_is_warning=True,
        signal="decisions about your territory and accounts are made without you",
        strength="you are consulted on your territory and accounts",
    ),
    Question(
        "respect_2",
        Area.RESPECT,
        "My recommendations are overruled without an explanation.",
        FREQUENCY,
        high_is_warning=True,
        signal="your recommendations are overruled without explanation",
        strength="your recommendations are heard",
    ),
    Question(
        "respect_3",
        Area.RESPECT,
        "Leadership treats me as a strategic partner, not an order-taker, and acts on my market "
        "insight.",
        AGREEMENT,
        high_is_warning=False,
        signal="you are treated as an order-taker",
        strength="you are treated as a strategic partner",
    ),
    Question(
        "engagement_1",
        Area.ENGAGEMENT,
        "My one-on-ones, deal reviews or team meetings with my own manager are cancelled or "
        "skipped.",
        FREQUENCY,
        high_is_warning=True,
        signal="your meetings with your manager are cancelled or skipped",
        strength="your manager keeps your meetings",
    ),
    Question(
        "engagement_2",
        Area.ENGAGEMENT,
        "I get clear direction on priorities and useful feedback on my performance and strategy.",
        AGREEMENT,
        high_is_warning=False,
        signal="no clear direction or feedback from your manager",
        strength="you get direction and feedback",
    ),
    Question(
        "engagement_3",
        Area.ENGAGEMENT,
        "My manager is reachable when a critical deal or decision needs them.",
        AGREEMENT,
        high_is_warning=False,
        signal="your manager is unavailable when deals are critical",
        strength="your manager is there for critical deals",
    ),
    Question(
        "support_1",
        Area.SUPPORT,
        "I can get the people, tools and training my team needs.",
        AGREEMENT,
        high_is_warning=False,
        signal="you cannot get the people, tools or training the team needs",
        strength="the team gets the resources it needs",
    ),
    Question(
        "support_2",
        Area.SUPPORT,
        "My strategic decisions meet pushback from upper management.",
        FREQUENCY,
        high_is_warning=True,
        signal="constant pushback on your strategic decisions",
        strength="your strategy is backed",
    ),
    Question(
        "stagnation_1",
        Area.STAGNATION,
        "Our results have barely improved over the last two years.",
        AGREEMENT,
        high_is_warning=True,
        signal="results have been flat for two years",
        strength="results keep improving",
    ),
    Question(
        "stagnation_2",
        Area.STAGNATION,
        "I feel bored in strategy meetings and can predict every challenge before it comes.",
        AGREEMENT,
        high_is_warning=True,
        signal="the role no longer stretches you",
        strength="the role still stretches you",
    ),
    Question(
        "stagnation_3",
        Area.STAGNATION,
        "My salespeople are learning new skills and improving their close rates under my coaching.",
        AGREEMENT,
        high_is_warning=False,
        signal="your team is not growing under your coaching",
        strength="your team grows under your coaching",
    ),
    Question(
        "wellbeing_1",
        Area.WELLBEING,
        "I dread Monday mornings; routine tasks that once excited me now drain me.",
        AGREEMENT,
        high_is_warning=True,
        signal="the work drains you and Mondays bring dread",
        strength="the work still gives you energy",
    ),
    Question(
        "wellbeing_2",
        Area.WELLBEING,
        "I feel overwhelmed and cannot keep a sustainable work-life balance.",
        AGREEMENT,
        high_is_warning=True,
        signal="you are overwhelmed, with no work-life balance",
        strength="your workload is sustainable",
    ),
    Question(
        "dependency_1",
        Area.DEPENDENCY,
        "I personally hold most of the major client relationships.",
        AGREEMENT,
        high_is_warning=True,
        signal="you hold most major client relationships yourself",
        strength="key accounts are shared across the team",
    ),
    Question(
        "dependency_2",
        Area.DEPENDENCY,
        "Sales drop or decisions stall when I am away for a week or two.",
        AGREEMENT,
        high_is_warning=True,
        signal="sales drop or decisions stall when you are away",
        strength="the team performs without you",
    ),
    Question(
        "dependency_3",
        Area.DEPENDENCY,
        "Someone on my team could step into my role within three months.",
        AGREEMENT,
        high_is_warning=False,
        signal="no successor is ready",
        strength="a successor is ready",
    ),
    Question(
        "context_1",
        Area.CONTEXT,
        "How long have things felt the way you describe?",
        DURATION,
        high_is_warning=True,
        signal="it has been this way for a long time",
        strength="it is recent",
    ),
    Question(
        "context_2",
        Area.CONTEXT,
        "Most of our shortfall comes from outside the company: a downturn, a new competitor, an "
        "industry shift.",
        AGREEMENT,
        high_is_warning=False,
        signal="the trouble is inside the company, not the market",
        strength="much of the trouble is the market",
    ),
    Question(
        "context_3",
        Area.CONTEXT,
        "I have already raised these problems plainly with leadership, and nothing changed.",
        AGREEMENT,
        high_is_warning=True,
        signal="you raised the problems and nothing changed",
        strength="you have not yet raised the problems",
    ),
    Question(
        "readiness_1",
        Area.READINESS,
        "I have savings for at least six months of expenses.",
        AGREEMENT,
        high_is_warning=False,
        signal="less than six months of savings",
        strength="six months of savings",
    ),
    Question(
        "readiness_2",
        Area.READINESS,
        "I know what I would move toward next: a role, industry or company that excites me.",
        AGREEMENT,
        high_is_warning=False,
        signal="no clear next step to move toward",
        strength="a next step you want",
    ),
)

QUESTIONS_BY_ID: Final[dict[str, Question]] = {q.id: q for q in QUESTIONS}


def questions_in(area: Area) -> tuple[Question, ...]:
    return tuple(q for q in QUESTIONS if q.area is area)
