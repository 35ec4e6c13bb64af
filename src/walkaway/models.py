"""The nouns of Walkaway and the column schemas of the pipeline frames.

The core works on whole pipelines at once, so deals and activities travel as Polars
frames with the schemas below (one row per deal, one row per activity). Datetimes are
naive UTC throughout: an input with an offset is converted to UTC, one without is read
as UTC.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
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


class ModelKind(StrEnum):
    """What a trained win model is: the prior alone (too little history), the prior
    calibrated on the history (the learned model earned no weight), or the learned model
    stacked on the prior."""

    PRIOR = "prior"
    CALIBRATED = "calibrated"
    STACK = "stack"

    @classmethod
    def read(cls, value: str) -> ModelKind:
        """The kind stored as ``value`` (models stored before the word was "stack" say
        "blend")."""
        return cls.STACK if value == "blend" else cls(value)


class Tone(StrEnum):
    """The exit message's tone; the policy has a template for each (``[messages]``)."""

    WARM = "warm"
    DIRECT = "direct"


class Recommendation(StrEnum):
    PURSUE = "pursue"
    REQUALIFY = "requalify"
    WALK_AWAY = "walk_away"

    @property
    def label(self) -> str:
        """The call as a person writes it: "Pursue", "Re-qualify", "Walk away"."""
        return _CALL_LABELS[self]


_CALL_LABELS = {
    Recommendation.PURSUE: "Pursue",
    Recommendation.REQUALIFY: "Re-qualify",
    Recommendation.WALK_AWAY: "Walk away",
}


class Severity(StrEnum):
    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"


# The longest id or name the store keeps (deal ids, owners, stages, actors, user names):
# PostgreSQL refuses a longer value outright, so every edge checks it first.
SHORT_TEXT: Final = 200

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


def as_utc_naive(moment: datetime | date) -> datetime:
    """A date means the start of that day (00:00 UTC); an aware datetime goes to UTC."""
    if not isinstance(moment, datetime):
        return datetime(moment.year, moment.month, moment.day)
    if moment.tzinfo is not None:
        return moment.astimezone(UTC).replace(tzinfo=None)
    return moment


def iso_utc(moment: datetime) -> str:
    """A moment as ISO 8601 with its UTC offset, to the second: ``2026-11-16T09:30:00+00:00``
    (the store keeps naive UTC; what goes out in JSON says so)."""
    return as_utc_naive(moment).strftime(ISO_UTC)


# As Polars' and Python's strftime write a naive UTC moment for JSON (:func:`iso_utc`).
ISO_UTC = "%Y-%m-%dT%H:%M:%S+00:00"
MOMENT_EXAMPLES = "2026-03-01 or 2026-03-01T14:00:00"
DAY_EXAMPLE = "2026-03-01"


def parse_moment(text: str) -> datetime:
    """An as-of moment given as text: an ISO date (the start of that day, UTC) or date-time
    (``Z`` or an offset goes to UTC), as a naive UTC datetime. Anything else is a
    ValueError saying what was expected; each edge names the option or field with it."""
    value = text.strip()
    try:
        if len(value) == 10:
            return as_utc_naive(date.fromisoformat(value))
        return as_utc_naive(datetime.fromisoformat(value.replace("Z", "+00:00")))
    except ValueError:
        raise ValueError(f"{text!r} is not a date; expected {MOMENT_EXAMPLES}") from None


def parse_day(text: str) -> date:
    """A day given as text: an ISO date. Anything else is a ValueError, as
    :func:`parse_moment`'s."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"{text!r} is not a date; expected {DAY_EXAMPLE}") from None


@dataclass(frozen=True)
class Economics:
    """The numbers behind a recommendation, in the deal's currency (DECISION.md).

    ``value_per_hour`` (p x V / H) is compared with ``opportunity_rate`` (pursue at or
    above it) and ``walk_away_rate`` (k x the rate: walk away below it). Hours already
    spent are in ``hours_invested`` and count for nothing.
    """

    currency: str
    value: float | None  # V: amount x margin x (1 + expansion); None when there is no amount
    win_probability: float  # p
    expected_value: float | None  # p x V
    hours_needed: float  # H, never below the policy's minimum
    yield_per_hour: float  # y: what an hour earns on the rep's or team's other deals
    yield_source: str  # "owner", "team" or "policy"
    opportunity_rate: float  # max(y, the rep's hourly cost)
    cost_to_pursue: float  # H x opportunity_rate
    value_per_hour: float | None  # p x V / H
    walk_away_rate: float  # k x opportunity_rate
    hours_invested: float  # sunk: shown, never used


@dataclass(frozen=True)
class Assessment:
    """What to do with one open deal as of a date, and why."""

    deal_id: str
    name: str | None
    owner: str | None
    stage: str | None
    amount: float | None
    recommendation: Recommendation
    win_probability: float
    economics: Economics
    flags: tuple[Flag, ...] = ()
    reasons: tuple[str, ...] = ()  # most important first, with numbers
    questions: tuple[str, ...] = ()  # to ask the buyer (requalify first of all)
    requalify_by: date | None = None  # answers due, or the deal is walked away from
    revisit_on: date | None = None  # for a walk-away: when to look again
    walk_away_on: date | None = None  # when it crosses the walk-away line if nothing happens
    rep_confidence: int | None = None
    hard_stop: bool = False
    reasons_for: tuple[str, ...] = ()
    reasons_against: tuple[str, ...] = ()
    account: str | None = None
    cause: str | None = None  # what decided the call (decision.assess.CAUSES): reasons[0]

    @property
    def expected_value(self) -> float | None:
        return self.economics.expected_value

    @property
    def cost_to_pursue(self) -> float:
        return self.economics.cost_to_pursue

    def to_dict(self) -> dict[str, object]:
        """The JSON shape of a deal in ``walkaway review --format json``."""
        return {
            "deal_id": self.deal_id,
            "name": self.name,
            "owner": self.owner,
            "stage": self.stage,
            "amount": self.amount,
            "currency": self.economics.currency,
            "recommendation": self.recommendation.value,
            "cause": self.cause,
            "win_probability": self.win_probability,
            "expected_value": self.expected_value,
            "cost_to_pursue": self.cost_to_pursue,
            "value_per_hour": self.economics.value_per_hour,
            "opportunity_rate": self.economics.opportunity_rate,
            "hours_needed": self.economics.hours_needed,
            "hours_invested": self.economics.hours_invested,
            "rep_confidence": self.rep_confidence,
            "flags": [
                {
                    "code": f.code,
                    "severity": f.severity.value,
                    "evidence": f.evidence,
                    "question": f.question,
                }
                for f in self.flags
            ],
            "reasons": list(self.reasons),
            "questions": list(self.questions),
            "requalify_by": self.requalify_by.isoformat() if self.requalify_by else None,
            "revisit_on": self.revisit_on.isoformat() if self.revisit_on else None,
            "walk_away_on": self.walk_away_on.isoformat() if self.walk_away_on else None,
        }
