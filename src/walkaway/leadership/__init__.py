"""Leadership: a sales leader's self-check on whether to walk away from the role.

Owns the questionnaire (:mod:`~walkaway.leadership.questions`), the answers and their
file (:mod:`~walkaway.leadership.answers`), the scoring and the change since the last
check (:mod:`~walkaway.leadership.check`) and the factors to weigh with a 90-day plan
(:mod:`~walkaway.leadership.plan`).

May import: ``walkaway.errors`` only; it shares nothing with the deal pipeline.
"""

from walkaway.leadership.answers import AnswerSheet, check_answers, parse_answers
from walkaway.leadership.check import LeadershipChange, LeadershipReport, compare, score_check
from walkaway.leadership.questions import QUESTIONS, Area, Question

__all__ = [
    "QUESTIONS",
    "AnswerSheet",
    "Area",
    "LeadershipChange",
    "LeadershipReport",
    "Question",
    "check_answers",
    "compare",
    "parse_answers",
    "score_check",
]
