"""The loss review ("letting go"): one lost deal replayed, and the team's losses together.

:mod:`~walkaway.journal.loss.timeline` replays a deal's probability and flags at past
cuts and finds where it turned; :mod:`~walkaway.journal.loss.review` makes one deal's
review of it, :mod:`~walkaway.journal.loss.team` the team's, and
:mod:`~walkaway.journal.loss.questions` the questions for a win/loss conversation.
"""

from walkaway.journal.loss.review import LossReview, review_loss
from walkaway.journal.loss.team import TeamLossReview, review_team_losses

__all__ = ["LossReview", "TeamLossReview", "review_loss", "review_team_losses"]
