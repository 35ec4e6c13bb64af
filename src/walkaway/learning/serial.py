"""Win models as plain data: JSON numbers and LightGBM's own text format, never pickle.

The learned part stores its features, exclusions, calibrator, references and its
scorer's own state (:mod:`walkaway.learning.scorers`).

The prior stores itself (``PriorModel.to_state``: its stage base rates, overall rate and
fact weights), so a stored model predicts without the pipeline it was fitted on; the
policy is the one in force when the model is loaded.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from walkaway.learning.calibration import Calibrator
from walkaway.learning.features import Exclusion, Feature


def learned_state(
    *,
    as_of: datetime,
    features: Sequence[Feature],
    excluded: Sequence[Exclusion],
    calibrator: Calibrator,
    references: Mapping[str, Mapping[str, float]],
    scorer: Mapping[str, Any],
    exclude_attributes: Sequence[str],
    effect_scale: float,
) -> dict[str, Any]:
    """A fitted learned model's parts as JSON-ready data (``scorer``: its own state:
    coefficients, or LightGBM's text model)."""
    return {
        "as_of": as_of.isoformat(),
        "features": [f.to_dict() for f in features],
        "excluded": [{"name": e.name, "reason": e.reason} for e in excluded],
        "calibrator": calibrator.to_dict(),
        "references": {name: dict(by) for name, by in references.items()},
        "exclude_attributes": list(exclude_attributes),
        "effect_scale": effect_scale,
        "scorer": dict(scorer),
    }


def parts_from_state(
    state: Mapping[str, Any],
) -> tuple[
    datetime,
    tuple[Feature, ...],
    tuple[Exclusion, ...],
    Calibrator,
    dict[str, dict[str, float]],
    dict[str, Any],
]:
    """The parts :func:`learned_state` stored, rebuilt (the scorer's state as stored)."""
    references = {
        name: {stage: float(v) for stage, v in by.items()}
        for name, by in state["references"].items()
    }
    return (
        datetime.fromisoformat(state["as_of"]),
        tuple(Feature.from_dict(f) for f in state["features"]),
        tuple(Exclusion(e["name"], e["reason"]) for e in state["excluded"]),
        Calibrator.from_dict(state["calibrator"]),
        references,
        dict(state["scorer"]),
    )
