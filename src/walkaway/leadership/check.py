"""The leadership check: should a sales leader walk away from the role?

A self-assessment on the warning signs of the sales-leadership article (values and
ethics, unrealistic demands, respect for expertise, engagement, support, stagnation,
energy) and its counterweights (how much the team depends on you, one bad month or a
pattern, readiness to leave). ``score_check`` turns answers into a report: a concern
score per area, a verdict, the strongest signals, the factors to weigh and a 90-day
plan; ``compare`` says what changed since the last check. Pure: no I/O.

Scoring (docs/leadership.md): each answer becomes a concern from 0 (the healthiest
answer) to 1 (the strongest warning sign); an area's score is the mean of its
questions × 100, and the role concern the mean of the seven role areas. Then, in order:

- values and ethics at ``ETHICS_EXIT_AT`` or more: ``plan_your_exit`` (it does not
  average out);
- role concern at ``EXIT_AT`` or more: ``plan_your_exit``, softened to ``fix_or_leave``
  when it has felt this way for under three months (not from one bad month);
- role concern at ``FIX_AT`` or more, or any role area at ``AREA_ALARM_AT`` or more:
  ``fix_or_leave``;
- otherwise ``stay_and_invest``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from walkaway.leadership.answers import (
    ANSWER_FORMATS,
    AnswerSheet,
    check_answers,
    parse_answers,
)
from walkaway.leadership.plan import (
    RECENT_UP_TO,
    Factor,
    Phase,
    PlanStep,
    Verdict,
    build_plan,
    find_factors,
)
from walkaway.leadership.questions import QUESTIONS, ROLE_AREAS, Area, Question, questions_in

__all__ = [
    "ANSWER_FORMATS",
    "QUESTIONS",
    "AnswerSheet",
    "Area",
    "AreaChange",
    "AreaScore",
    "Factor",
    "LeadershipChange",
    "LeadershipReport",
    "Phase",
    "PlanStep",
    "Question",
    "Signal",
    "Verdict",
    "check_answers",
    "compare",
    "parse_answers",
    "score_check",
]

EXIT_AT: Final = 60
FIX_AT: Final = 35
AREA_ALARM_AT: Final = 60
ETHICS_EXIT_AT: Final = 75
SIGNAL_AT: Final = 0.75  # a question this concerning (4 or 5 on its warning end) is a signal
STRENGTH_UP_TO: Final = 0.25  # a question this healthy (4 or 5 on its healthy end) is a strength
STRONGEST: Final = 5
CHANGE_STEP: Final = 10  # an area that moved this much has improved or worsened


@dataclass(frozen=True)
class AreaScore:
    """An area's concern: 0 = every answer healthy, 100 = every answer a warning sign."""

    area: Area
    concern: int

    @property
    def is_role_area(self) -> bool:
        return self.area in ROLE_AREAS


@dataclass(frozen=True)
class Signal:
    """One answer that stands out, in words: ``text (question id: answer)``."""

    question_id: str
    area: Area
    text: str
    concern: int


@dataclass(frozen=True)
class LeadershipReport:
    """The scored check: verdict and why, areas, signals, factors and the 90-day plan.

    ``signals`` holds every warning sign, strongest first; ``strengths`` the answers at
    the healthy end of the role areas.
    """

    verdict: Verdict
    role_concern: int
    reason: str
    areas: tuple[AreaScore, ...]
    signals: tuple[Signal, ...]
    strengths: tuple[Signal, ...]
    factors: tuple[Factor, ...]
    plan: tuple[PlanStep, ...]

    def concern(self, area: Area) -> int:
        return next(score.concern for score in self.areas if score.area is area)

    def strongest(self, n: int = STRONGEST) -> tuple[Signal, ...]:
        return self.signals[:n]

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data; ``LeadershipReport.from_dict`` reads it back."""
        return {
            "verdict": self.verdict.value,
            "role_concern": self.role_concern,
            "reason": self.reason,
            "areas": {score.area.value: score.concern for score in self.areas},
            "signals": [_signal_dict(s) for s in self.signals],
            "strengths": [_signal_dict(s) for s in self.strengths],
            "factors": [{"code": f.code, "text": f.text} for f in self.factors],
            "plan": [
                {"phase": p.phase.value, "action": p.action, "area": p.area and p.area.value}
                for p in self.plan
            ],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> LeadershipReport:
        return cls(
            verdict=Verdict(data["verdict"]),
            role_concern=int(data["role_concern"]),
            reason=str(data["reason"]),
            areas=tuple(AreaScore(Area(k), int(v)) for k, v in data["areas"].items()),
            signals=tuple(_signal_from(s) for s in data["signals"]),
            strengths=tuple(_signal_from(s) for s in data["strengths"]),
            factors=tuple(Factor(f["code"], f["text"]) for f in data["factors"]),
            plan=tuple(
                PlanStep(Phase(p["phase"]), p["action"], p["area"] and Area(p["area"]))
                for p in data["plan"]
            ),
        )


def _signal_dict(signal: Signal) -> dict[str, Any]:
    return {
        "question_id": signal.question_id,
        "area": signal.area.value,
        "text": signal.text,
        "concern": signal.concern,
    }


def _signal_from(data: Mapping[str, Any]) -> Signal:
    return Signal(data["question_id"], Area(data["area"]), data["text"], int(data["concern"]))


def _percent(fraction: float) -> int:
    # Half up, so the documented thresholds hold at their edges (round() rounds to even).
    return int(fraction * 100 + 0.5 + 1e-9)


def _area_concerns(answers: Mapping[str, int]) -> dict[Area, float]:
    concerns: dict[Area, float] = {}
    for area in Area:
        asked = questions_in(area)
        concerns[area] = sum(q.concern(answers[q.id]) for q in asked) / len(asked)
    return concerns


def _decide(concerns: Mapping[Area, int], overall: int, recent: bool) -> tuple[Verdict, str]:
    ethics = concerns[Area.VALUES_ETHICS]
    if ethics >= ETHICS_EXIT_AT:
        return Verdict.PLAN_YOUR_EXIT, (
            f"values and ethics at {ethics}/100 (≥ {ETHICS_EXIT_AT}): being asked to "
            "compromise your standards does not average out"
        )
    if overall >= EXIT_AT and recent:
        return Verdict.FIX_OR_LEAVE, (
            f"role concern {overall}/100 (≥ {EXIT_AT}) points to the exit, but it has felt "
            "this way for under three months: test it for 90 days first"
        )
    if overall >= EXIT_AT:
        return Verdict.PLAN_YOUR_EXIT, f"role concern {overall}/100 (≥ {EXIT_AT})"
    if overall >= FIX_AT:
        return Verdict.FIX_OR_LEAVE, f"role concern {overall}/100 (≥ {FIX_AT}, < {EXIT_AT})"
    alarms = [area for area in ROLE_AREAS if concerns[area] >= AREA_ALARM_AT]
    if alarms:
        named = ", ".join(f"{area.words} at {concerns[area]}/100" for area in alarms)
        return Verdict.FIX_OR_LEAVE, (
            f"role concern {overall}/100 is below {FIX_AT}, but {named} (≥ {AREA_ALARM_AT})"
        )
    return Verdict.STAY_AND_INVEST, (
        f"role concern {overall}/100 (< {FIX_AT}) and no area at {AREA_ALARM_AT} or more"
    )


def _signals(answers: Mapping[str, int]) -> tuple[tuple[Signal, ...], tuple[Signal, ...]]:
    warnings: list[tuple[float, Signal]] = []
    strengths: list[Signal] = []
    for q in (q for q in QUESTIONS if q.area in ROLE_AREAS):
        concern = q.concern(answers[q.id])
        said = f"({q.id}: {q.scale.label(answers[q.id])})"
        if concern >= SIGNAL_AT:
            warnings.append(
                (concern, Signal(q.id, q.area, f"{q.signal} {said}", _percent(concern)))
            )
        elif concern <= STRENGTH_UP_TO:
            strengths.append(Signal(q.id, q.area, f"{q.strength} {said}", _percent(concern)))
    warnings.sort(key=lambda pair: -pair[0])  # stable: questionnaire order breaks ties
    return tuple(signal for _, signal in warnings), tuple(strengths)


def score_check(answers: Mapping[str, int]) -> LeadershipReport:
    """Score a completed check (see the module docstring for the thresholds).

    Raises ``InputError`` when an answer is missing, out of range or unknown.
    """
    valid = check_answers(answers)
    fractions = _area_concerns(valid)
    concerns = {area: _percent(value) for area, value in fractions.items()}
    overall = _percent(sum(fractions[area] for area in ROLE_AREAS) / len(ROLE_AREAS))
    verdict, reason = _decide(concerns, overall, recent=valid["context_1"] <= RECENT_UP_TO)
    signals, strengths = _signals(valid)
    return LeadershipReport(
        verdict=verdict,
        role_concern=overall,
        reason=reason,
        areas=tuple(AreaScore(area, concerns[area]) for area in Area),
        signals=signals,
        strengths=strengths,
        factors=find_factors(verdict, concerns, valid),
        plan=build_plan(verdict, concerns),
    )


@dataclass(frozen=True)
class AreaChange:
    area: Area
    before: int
    now: int

    @property
    def delta(self) -> int:
        return self.now - self.before


@dataclass(frozen=True)
class LeadershipChange:
    """What moved between two checks; a negative delta is less concern (better)."""

    verdict_before: Verdict
    verdict_now: Verdict
    concern_before: int
    concern_now: int
    areas: tuple[AreaChange, ...]
    new_signals: tuple[Signal, ...]
    resolved_signals: tuple[Signal, ...]

    @property
    def delta(self) -> int:
        return self.concern_now - self.concern_before

    @property
    def improved(self) -> tuple[AreaChange, ...]:
        return tuple(change for change in self.areas if change.delta <= -CHANGE_STEP)

    @property
    def worsened(self) -> tuple[AreaChange, ...]:
        return tuple(change for change in self.areas if change.delta >= CHANGE_STEP)

    def to_dict(self) -> dict[str, Any]:
        return {
            "verdict_before": self.verdict_before.value,
            "verdict_now": self.verdict_now.value,
            "concern_before": self.concern_before,
            "concern_now": self.concern_now,
            "delta": self.delta,
            "areas": {c.area.value: {"before": c.before, "now": c.now} for c in self.areas},
            "improved": [c.area.value for c in self.improved],
            "worsened": [c.area.value for c in self.worsened],
            "new_signals": [s.question_id for s in self.new_signals],
            "resolved_signals": [s.question_id for s in self.resolved_signals],
        }


def compare(previous: LeadershipReport, current: LeadershipReport) -> LeadershipChange:
    """The change from ``previous`` to ``current``: verdicts, concern, areas, signals."""
    before = {score.area: score.concern for score in previous.areas}
    then = {signal.question_id for signal in previous.signals}
    now = {signal.question_id for signal in current.signals}
    return LeadershipChange(
        verdict_before=previous.verdict,
        verdict_now=current.verdict,
        concern_before=previous.role_concern,
        concern_now=current.role_concern,
        areas=tuple(
            AreaChange(score.area, before[score.area], score.concern)
            for score in current.areas
            if score.area in before
        ),
        new_signals=tuple(s for s in current.signals if s.question_id not in then),
        resolved_signals=tuple(s for s in previous.signals if s.question_id not in now),
    )
