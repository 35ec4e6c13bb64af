"""Readiness to advance, in a sentence that agrees with the rest of the deal.

A buyer can have met a stage's exit criteria while a critical flag says the deal is in
trouble (no reply to 11 touches in 47 days), while the numbers say walk away, or while
the deal has stopped moving (no activity on either side in 107 days). Then readiness
must not read as good news: the sentence says "criteria met, but …". The CLI's
``show`` and the dashboard's deal page both print this one sentence.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from walkaway.models import Assessment, Recommendation, Severity

ReadinessKind = Literal["ready", "caution", "not_ready"]
# Flags that say a deal has stopped moving: no activity, no reply, too long in its stage.
# Criteria met long ago are no news that it is ready to advance now.
NOT_MOVING = ("idle", "unresponsive", "stalled")


@dataclass(frozen=True)
class ReadinessNote:
    """``kind``: ready (good news), caution (criteria met, but ...) or not_ready."""

    kind: ReadinessKind
    sentence: str


def _sentence(text: str) -> str:
    return text if text.endswith(".") else f"{text}."


def readiness_note(
    readiness: Mapping[str, Any] | None, assessment: Assessment
) -> ReadinessNote | None:
    """The readiness of ``assessment``'s deal in words; None when it was not computed,
    or when the policy sets the deal's stage no exit criteria (none were met: there were
    none to meet)."""
    if readiness is None or readiness["ready_to_advance"] is None:
        return None
    if not readiness["ready_to_advance"]:
        missing = ", ".join(readiness["missing_criteria"])
        return ReadinessNote("not_ready", f"Not ready to advance: still missing {missing}.")
    critical = [f for f in assessment.flags if f.severity is Severity.CRITICAL]
    if critical:
        more = len(critical) - 1
        also = f" (and {more} more critical flag{'s' if more > 1 else ''})" if more else ""
        return ReadinessNote(
            "caution",
            _sentence(
                f"Exit criteria met, but do not advance on them: {critical[0].evidence}{also}"
            ),
        )
    if assessment.recommendation is Recommendation.WALK_AWAY:
        return ReadinessNote(
            "caution", "Exit criteria met, but the numbers say walk away: see why below."
        )
    quiet = [f for f in assessment.flags if f.code in NOT_MOVING]
    if quiet:
        return ReadinessNote(
            "caution",
            _sentence(f"Exit criteria met, but the deal is not moving: {quiet[0].evidence}"),
        )
    return ReadinessNote("ready", "Ready to advance: the buyer has done what this stage asks.")
