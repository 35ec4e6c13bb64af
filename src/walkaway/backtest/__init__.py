"""Backtest: had this policy run every week, what would it have walked away from?

Owns the replay at past cut dates on the pipeline as it was known then
(:mod:`~walkaway.backtest.replay`), the simple rules a policy must beat
(:mod:`~walkaway.backtest.baselines`: never walk away, an idle rule, the stage
probability) and the arithmetic of the comparison (:mod:`~walkaway.backtest.metrics`:
AUC, Brier, calibration, walk-away precision, wins sacrificed, effort saved).

May import: ``walkaway.decision`` and what it may import (the engine it replays is
the review's own). Names load on first use: scikit-learn loads only for a backtest.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from walkaway.lazy import lazy_face

if TYPE_CHECKING:
    from walkaway.backtest.metrics import Metrics
    from walkaway.backtest.replay import (
        BacktestResult,
        BacktestSettings,
        as_known_at,
        learned_model,
        prior_model,
        run_backtest,
    )

__all__ = [
    "BacktestResult",
    "BacktestSettings",
    "Metrics",
    "as_known_at",
    "learned_model",
    "prior_model",
    "run_backtest",
]

__getattr__, __dir__ = lazy_face(
    __name__,
    {
        "BacktestResult": "replay",
        "BacktestSettings": "replay",
        "as_known_at": "replay",
        "learned_model": "replay",
        "prior_model": "replay",
        "run_backtest": "replay",
        "Metrics": "metrics",
    },
)
