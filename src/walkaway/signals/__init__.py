"""Signals: what is known about every open deal as of a date, in one columnar pass.

Owns the point-in-time view of a pipeline (:mod:`~walkaway.signals.snapshot`: nothing
dated at or after ``as_of``), the team's norms learned from deals closed before it
(:mod:`~walkaway.signals.norms`), the activity and stage signals
(:mod:`~walkaway.signals.activity`, :mod:`~walkaway.signals.stages`), the signals frame
itself (:mod:`~walkaway.signals.frame`, columns in :data:`SIGNALS`) and stage readiness
(:mod:`~walkaway.signals.readiness`).

May import: ``walkaway.models``, ``walkaway.errors``, ``walkaway.policy``,
``walkaway.wording``. It knows nothing of flags, probabilities or decisions.
"""

from walkaway.signals.frame import (
    SIGNALS,
    compute_signals,
    signals_and_readiness,
    signals_from_snapshot,
)
from walkaway.signals.norms import Norms, compute_norms, norms_from_snapshot
from walkaway.signals.readiness import advance_readiness, readiness
from walkaway.signals.snapshot import Snapshot, take_snapshot

__all__ = [
    "SIGNALS",
    "Norms",
    "Snapshot",
    "advance_readiness",
    "compute_norms",
    "compute_signals",
    "norms_from_snapshot",
    "readiness",
    "signals_and_readiness",
    "signals_from_snapshot",
    "take_snapshot",
]
