"""Journal: what became of every decision, and letting go of lost deals.

Owns the decision journal's pure part (:mod:`~walkaway.journal.scorecard`: people's
decisions laid over the review, what happened after each, walk-aways that stayed lost or
came back, deadlines met or missed, the scorecard per rep, what is due) and the loss
review (:mod:`walkaway.journal.loss`: a lost deal's timeline and where it turned, the
team's leading indicators of a loss, questions for the buyer).

May import: ``walkaway.decision`` and what it may import. Reading and writing the
journal's rows is the service's work, never this package's. Names load on first use
(:func:`walkaway.lazy.lazy_face`): laying decisions over a review (``walkaway show``)
loads no loss review.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from walkaway.lazy import lazy_face

if TYPE_CHECKING:
    from walkaway.journal.loss import review_loss, review_team_losses
    from walkaway.journal.scorecard import (
        due_decisions,
        follow_up,
        overlay_decisions,
        scorecard,
    )

__all__ = [
    "due_decisions",
    "follow_up",
    "overlay_decisions",
    "review_loss",
    "review_team_losses",
    "scorecard",
]

__getattr__, __dir__ = lazy_face(
    __name__, {name: "loss" if name.startswith("review_") else "scorecard" for name in __all__}
)
