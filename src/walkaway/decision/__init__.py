"""Decision: pursue, re-qualify or walk away, from the economics, with its words and dates.

Owns the economics of DECISION.md (:mod:`~walkaway.decision.economics`: value if won,
hours still needed, what an hour earns elsewhere), the rule and the assessment frame
(:mod:`~walkaway.decision.assess`: signals -> flags -> probability -> call, for every
open deal at once), the reasons, questions and dates of a call
(:mod:`~walkaway.decision.reasons`) and the draft exit message
(:mod:`~walkaway.decision.messages`).

May import: ``walkaway.learning``, ``walkaway.flags``, ``walkaway.signals`` and what
they may import. It never reads the journal, the backtest or the store.
"""

from walkaway.decision.assess import (
    ASSESSMENT_COLUMNS,
    assess,
    assess_frame,
    assessments_from_frame,
    recommend,
)
from walkaway.decision.economics import compute_economics, economics_of
from walkaway.decision.messages import draft_exit_message

__all__ = [
    "ASSESSMENT_COLUMNS",
    "assess",
    "assess_frame",
    "assessments_from_frame",
    "compute_economics",
    "draft_exit_message",
    "economics_of",
    "recommend",
]
