"""Learning: the win probability of every open deal, with its reasons for and against.

Owns the cold-start prior (:mod:`~walkaway.learning.prior`) and the interface every win
model shares (``WinModel``: ``fit``, ``predict_proba``, ``reasons``, ``summary``); the
learned model on the team's own closed deals: training rows looked at as they were then
(:mod:`~walkaway.learning.rows`), features and the guard against leaks
(:mod:`~walkaway.learning.features`, :mod:`~walkaway.learning.guard`), the booster and
its calibration (:mod:`~walkaway.learning.booster`, :mod:`~walkaway.learning.calibration`),
reasons (:mod:`~walkaway.learning.reasons`, :mod:`~walkaway.learning.wording`); the
validation splits (:mod:`~walkaway.learning.folds`), the scorers tried
(:mod:`~walkaway.learning.scorers`, :mod:`~walkaway.learning.choose`), the stack that
weighs the learned model by its validated skill (:mod:`~walkaway.learning.stack`); the
stack of both (:mod:`~walkaway.learning.stack`), its card (:mod:`~walkaway.learning.card`)
and its stored form (:mod:`~walkaway.learning.serial`). A new model feature goes in
``features`` (and ``rows`` when it needs a new column of the looks).

May import: ``walkaway.flags``, ``walkaway.signals`` and what they may import. It never
reads the economics or the decision. Names load on first use, so importing the prior
does not load LightGBM.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from walkaway.lazy import lazy_face

if TYPE_CHECKING:
    from walkaway.learning.card import ModelCard
    from walkaway.learning.model import LearnedWinModel, TrainingStats
    from walkaway.learning.prior import PriorModel, WinModel
    from walkaway.learning.stack import StackedWinModel, train_win_model

__all__ = [
    "LearnedWinModel",
    "ModelCard",
    "PriorModel",
    "StackedWinModel",
    "TrainingStats",
    "WinModel",
    "train_win_model",
]

__getattr__, __dir__ = lazy_face(
    __name__,
    {
        "StackedWinModel": "stack",
        "train_win_model": "stack",
        "ModelCard": "card",
        "LearnedWinModel": "model",
        "TrainingStats": "model",
        "PriorModel": "prior",
        "WinModel": "prior",
    },
)
