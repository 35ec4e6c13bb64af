"""The nouns of Walkaway and the column schemas of the pipeline frames.

The core works on whole pipelines at once, so deals and activities travel as Polars
frames with the schemas below (one row per deal, one row per activity). Datetimes are
naive UTC throughout: an input with an offset is converted to UTC, one without is read
as UTC.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Final

import polars as pl

DATETIME: Final = pl.Datetime("us")


class Outcome(StrEnum):
    OPEN = "open"
    WON = "won"
    LOST = "lost"


class ActivityKind(StrEnum):
    EMAIL = "email"
    CALL = "call"
    MEETING = "meeting"
    DEMO = "demo"
    PROPOSAL = "proposal"
    NOTE = "note"
    STAGE_CHANGE = "stage_change"
    OTHER = "other"


class Direction(StrEnum):
    OUTBOUND = "outbound"
    INBOUND = "inbound"
    INTERNAL = "internal"


class ActivityStatus(StrEnum):
    DONE = "done"
    NO_SHOW = "no_show"
    RESCHEDULED = "rescheduled"
    CANCELLED = "cancelled"


class Recommendation(StrEnum):
    PURSUE = "pursue"
    REQUALIFY = "requalify"
    WALK_AWAY = "walk_away"


class Severity(StrEnum):
    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"


# Allowed values of the categorical qualification fields (FORMAT.md).
QUALIFICATION_VALUES: Final[dict[str, tuple[str, ...]]] = {
    "budget": ("confirmed", "unknown", "none"),
    "authority": ("economic_buyer", "decision_maker", "influencer", "none", "unknown"),
    "champion": ("yes", "no", "unknown"),
    "need": ("clear", "vague", "none", "unknown"),
    "competitor": ("none", "present", "incumbent", "unknown"),
    "stakeholders_aligned": ("yes", "no", "unknown"),
    "fit": ("high", "medium", "low"),
    "potential": ("high", "medium", "low"),
}

DEAL_SCHEMA: Final[dict[str, pl.DataType]] = {
    "deal_id": pl.String(),
    "name": pl.String(),
    "account": pl.String(),
    "owner": pl.String(),
    "stage": pl.String(),
    "amount": pl.Float64(),
    "currency": pl.String(),
    "created_at": DATETIME,
    "expected_close": pl.Date(),
    "closed_at": DATETIME,
    "outcome": pl.String(),
    "loss_reason": pl.String(),
    "margin": pl.Float64(),
    "hours_invested": pl.Float64(),
    "budget": pl.String(),
    "authority": pl.String(),
    "champion": pl.String(),
    "need": pl.String(),
    "competitor": pl.String(),
    "discount_requested": pl.Float64(),
    "custom_requests": pl.Int64(),
    "missing_features": pl.Int64(),
    "stakeholders_aligned": pl.String(),
    "fit": pl.String(),
    "potential": pl.String(),
    "rep_confidence": pl.Int64(),
    "manual_probability": pl.Float64(),
    # Extra columns of the source, as a JSON object (text); the learned model may use them.
    "attributes": pl.String(),
}

ACTIVITY_SCHEMA: Final[dict[str, pl.DataType]] = {
    "deal_id": pl.String(),
    "at": DATETIME,
    "kind": pl.String(),
    "direction": pl.String(),
    "status": pl.String(),
    "hours": pl.Float64(),
    "stage": pl.String(),
    "detail": pl.String(),
    "actor": pl.String(),
}

DEAL_COLUMNS: Final = tuple(DEAL_SCHEMA)
ACTIVITY_COLUMNS: Final = tuple(ACTIVITY_SCHEMA)


def empty_deals() -> pl.DataFrame:
    """A deals frame with no rows and the right schema."""
    return pl.DataFrame(schema=DEAL_SCHEMA)


def empty_activities() -> pl.DataFrame:
    """An activities frame with no rows and the right schema."""
    return pl.DataFrame(schema=ACTIVITY_SCHEMA)


@dataclass(frozen=True)
class Pipeline:
    """A team's pipeline: every deal and every activity, as frames."""

    deals: pl.DataFrame
    activities: pl.DataFrame

    @classmethod
    def empty(cls) -> Pipeline:
        return cls(empty_deals(), empty_activities())


@dataclass(frozen=True)
class ImportSummary:
    """What an import did."""

    format: str
    deals_new: int = 0
    deals_updated: int = 0
    deals_unchanged: int = 0
    activities_new: int = 0
    activities_unchanged: int = 0
    rejected: int = 0
    rejects_file: str | None = None
    run_id: int | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class Flag:
    """A red flag on a deal: what, how bad, the evidence in plain words, and the
    question that would clear it."""

    code: str
    severity: Severity
    evidence: str
    question: str


@dataclass(frozen=True)
class DealRef:
    """Identifies a deal in messages and lists."""

    deal_id: str
    name: str | None
    owner: str | None


def as_utc_naive(moment: datetime | date) -> datetime:
    """A date means the start of that day (00:00 UTC); an aware datetime goes to UTC."""
    if not isinstance(moment, datetime):
        return datetime(moment.year, moment.month, moment.day)
    if moment.tzinfo is not None:
        from datetime import UTC

        return moment.astimezone(UTC).replace(tzinfo=None)
    return moment
