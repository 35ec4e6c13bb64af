"""The API's edge: ``*In`` models for what comes in, ``*Out`` for what goes out.

The review and the deal detail are the exact JSON objects of ``walkaway review --format
json`` and ``walkaway show --format json``; their models here document that shape.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, WithJsonSchema

from walkaway.models import Tone, iso_utc

# A moment as the API writes it: ISO 8601 with the UTC offset (2026-11-16T09:30:00+00:00).
Moment = Annotated[
    datetime,
    PlainSerializer(iso_utc, return_type=str),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]

# Text a person sends holds no NUL character: PostgreSQL cannot store one (nor look one
# up), and no name or sentence has one. The schema says so, and FastAPI refuses it.
NO_NUL = r"^[^\x00]*$"
# Text with a word in it and no NUL. Whitespace is spelled out (what Python's
# str.isspace() calls whitespace, which the service strips): regex engines disagree on
# what \S leaves out (U+0085, U+001C-U+001F), and the schema must refuse exactly what
# the service refuses.
SPACE = r"\t-\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
SOME_WORD = rf"^[^\x00]*[^\x00{SPACE}][^\x00]*$"


class ErrorOut(BaseModel):
    """Every error: a code, one line saying what is wrong and what to do, the problems."""

    error: str = Field(examples=["not_found"])
    detail: str = Field(examples=["no deal with id 'D-9'; `walkaway deals` lists the stored ones"])
    problems: list[str] = Field(
        default_factory=list, description="One line per problem (a row, a field), if many."
    )


class HealthOut(BaseModel):
    status: Literal["ok"] = "ok"
    version: str
    database: str = Field(description="sqlite or postgresql")
    auth: bool = Field(description="True in team mode (sign-in and API tokens)")


class MeOut(BaseModel):
    name: str
    role: str
    rep_name: str | None


class FlagOut(BaseModel):
    code: str
    severity: Literal["info", "warning", "critical"]
    evidence: str
    question: str


class AssessmentOut(BaseModel):
    """One open deal's call and why (``walkaway show --format json``, without timeline)."""

    deal_id: str
    name: str | None
    owner: str | None
    stage: str | None
    amount: float | None
    currency: str | None
    recommendation: Literal["pursue", "requalify", "walk_away"]
    cause: (
        Literal[
            "hard_stop",
            "no_value",
            "economics_walk",
            "history_floor",
            "open_question",
            "too_unlikely",
            "economics_pursue",
            "economics_between",
        ]
        | None
    ) = Field(None, description="What decided the call; the first reason says it in words")
    win_probability: float
    expected_value: float | None
    cost_to_pursue: float
    value_per_hour: float | None
    opportunity_rate: float
    hours_needed: float
    hours_invested: float
    rep_confidence: int | None
    flags: list[FlagOut]
    reasons: list[str]
    questions: list[str]
    requalify_by: date | None
    revisit_on: date | None
    walk_away_on: date | None


class ReviewDealOut(AssessmentOut):
    """A row of the review: the assessment plus the numbers behind it."""

    account: str | None
    walk_away_rate: float
    yield_per_hour: float
    yield_source: str
    value: float | None
    net_value: float | None
    hard_stop: bool
    reasons_for: list[str]
    reasons_against: list[str]


class ModelOut(BaseModel):
    """Which win model made the calls, and one line that says so."""

    kind: Literal["prior", "calibrated", "stack"]
    said: str


class CurrencyFiguresOut(BaseModel):
    """The money figures of the open deals in one currency (never summed with another)."""

    currency: str = Field(description="ISO 4217 code of every amount in this row")
    open_deals: int
    open_value: float
    walk_away_value: float
    pipeline_pollution: float = Field(description="walk_away_value / open_value")
    forecast: float = Field(description="Sum of win probability × amount")
    forecast_without_walk_aways: float


class SkippedOut(BaseModel):
    """An open deal the review skipped, and why."""

    deal_id: str
    reason: str = Field(description="The value past its limit, in words")
    line: str = Field(description="The one line a person reads: 'D-17 skipped: ...'")


class SummaryOut(BaseModel):
    currency: str = Field(
        description="Currency of the headline money figures: the largest open pipeline's"
    )
    open_deals: int
    by_recommendation: dict[str, int]
    open_value: float = Field(description="In `currency` only; every currency in by_currency")
    walk_away_value: float
    pipeline_pollution: float = Field(description="walk_away_value / open_value")
    forecast: float = Field(description="Sum of win probability × amount")
    forecast_without_walk_aways: float
    by_currency: list[CurrencyFiguresOut] = Field(
        default_factory=list,
        description="The money figures per currency, the largest open pipeline first",
    )
    hours_freed_by_walking_away: float
    model: ModelOut | None = Field(None, description="Which model made the calls")
    notes: list[str] = Field(
        default_factory=list, description="What to know before reading the calls, one line each"
    )
    skipped: list[SkippedOut] = Field(
        default_factory=list,
        description="Open deals not assessed: the store holds a value past its limit",
    )


class ReviewOut(BaseModel):
    """``walkaway review --format json``: every open deal, most urgent first."""

    as_of: Moment
    deals: list[ReviewDealOut]
    summary: SummaryOut


class ActivityOut(BaseModel):
    deal_id: str
    at: Moment
    kind: str
    direction: str | None
    status: str
    hours: float | None
    stage: str | None
    detail: str | None
    actor: str | None


class DealDetailOut(AssessmentOut):
    """``walkaway show --format json``: the assessment and the activities before as_of."""

    as_of_timeline: list[ActivityOut]
    model: str | None = Field(None, description="Which model made the call, in words")


class ClosedDecisionOut(BaseModel):
    """A decision recorded on a deal, with what the data said at that moment."""

    decision_id: int
    decision: str
    decided_at: Moment = Field(description="The moment the decision was made for")
    decided_by: str | None
    reason: str | None
    revisit_on: date | None
    requalify_by: date | None
    recommendation: str | None = Field(description="What the data said then")
    win_probability: float | None
    call_was: Literal["right", "wrong", "open"] = Field(
        description="Given the outcome: right (walked away from a loss, pursued a win), "
        "wrong (the other two), open (a re-qualification: the question was still open)"
    )


class ClosedDealOut(BaseModel):
    """A deal won or lost before as_of: no call any more, its outcome instead."""

    state: Literal["closed"] = Field(description="Always `closed`: an open deal has a call")
    as_of: Moment
    deal_id: str
    name: str | None
    account: str | None
    owner: str | None
    stage: str | None = Field(description="The stage it closed in")
    amount: float | None
    currency: str | None
    outcome: Literal["won", "lost"]
    created_at: Moment
    expected_close: date | None
    closed_at: Moment | None
    days_open: int | None = Field(description="From creation to the close")
    loss_reason: str | None
    activity_count: int = Field(description="Activities logged before as_of")
    decisions: list[ClosedDecisionOut] = Field(description="Oldest first")
    loss_review: str | None = Field(description="Where its loss review is (a lost deal)")


class DealOut(BaseModel):
    """A stored deal as imported, with its number of activities."""

    model_config = ConfigDict(extra="allow")

    deal_id: str
    name: str | None
    account: str | None
    owner: str | None
    stage: str | None
    amount: float
    currency: str | None
    created_at: Moment
    expected_close: date | None
    closed_at: Moment | None
    outcome: str
    loss_reason: str | None
    activity_count: int


class DealsOut(BaseModel):
    total: int = Field(description="Deals matching the filter, before limit and offset")
    limit: int
    offset: int
    deals: list[DealOut]


class MessageOut(BaseModel):
    deal_id: str
    tone: Tone
    as_of: Moment
    message: str = Field(description="The draft email, its subject line first")
    warning: str | None = Field(
        None, description="Set when the data says to pursue the deal this email walks away from"
    )


class PolicyOut(BaseModel):
    source: Literal["stored", "default"] = Field(
        description="stored: the team's own; default: none was set"
    )
    toml: str


class ImportOut(BaseModel):
    format: str
    deals_new: int
    deals_updated: int
    deals_unchanged: int
    activities_new: int
    activities_unchanged: int
    run_id: int | None
    notes: list[str]


class DecisionIn(BaseModel):
    """A person's decision on an open deal; it is kept with the numbers of its moment."""

    model_config = ConfigDict(extra="forbid")

    deal_id: str = Field(min_length=1, max_length=200, pattern=NO_NUL)
    decision: Literal["pursue", "requalify", "walk_away"]
    reason: str = Field(
        min_length=1,
        max_length=4000,
        pattern=SOME_WORD,
        description="Why, in a sentence",
    )
    revisit_on: date | None = Field(
        default=None,
        description="Walk away: when to look again; re-qualify: the deadline for answers "
        "(default: the policy's delay)",
    )
    by: str | None = Field(default=None, max_length=200, pattern=NO_NUL, description="Who decided")
    as_of: datetime | None = Field(
        default=None,
        description="The moment decided for, whose numbers are recorded (default: the "
        "board's, the server's as-of or now rounded down to the hour)",
    )


class DecisionOut(BaseModel):
    decision_id: int
    deal_id: str
    deal_name: str | None
    decision: str
    as_of: Moment
    decided_by: str | None
    revisit_on: date | None
    requalify_by: date | None
    recommendation: str = Field(description="What the data said at that moment")
    win_probability: float


class OutcomeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    deal_id: str = Field(min_length=1, max_length=200, pattern=NO_NUL)
    outcome: Literal["won", "lost", "came_back", "no_decision"]
    note: str | None = Field(default=None, max_length=4000, pattern=NO_NUL)
    on: date | None = Field(default=None, description="When it happened (default: now)")


class OutcomeOut(BaseModel):
    deal_id: str
    deal_name: str | None
    outcome: str
    happened_at: Moment
    recorded_at: Moment
    note: str | None


class JournalOut(BaseModel):
    """``walkaway journal --format json``: decisions with what became of them, scorecard."""

    as_of: Moment
    entries: list[dict[str, Any]]
    scorecard: list[dict[str, Any]]


class LossReviewOut(BaseModel):
    """``walkaway loss-review DEAL_ID --format json``."""

    deal: dict[str, Any]
    timeline: list[dict[str, Any]]
    turn: dict[str, Any] | None
    events: list[dict[str, Any]]
    warning_signs: list[dict[str, Any]]
    questions: list[str]
    move_on_by: date
    notes: list[dict[str, Any]]


Call = Literal["pursue", "requalify", "walk_away"]


class ChangeOut(BaseModel):
    """One deal that changed between the two reviews, under the change that matters most."""

    deal_id: str
    kind: Literal["crossed_line", "came_back", "flipped", "moved", "new", "closed"] = Field(
        description="crossed_line (the call became walk away), came_back (it was walk away), "
        "flipped (pursue and re-qualify), moved (win probability by 10 points or more), "
        "new (created since), closed (won or lost since)"
    )
    name: str | None
    owner: str | None
    stage_before: str | None
    stage_now: str | None
    amount: float | None
    currency: str | None
    call_before: Call | None = Field(description="The call as of `since` (null: a new deal)")
    call_now: Call | None = Field(description="The call as of `as_of` (null: closed since)")
    p_before: float | None
    p_now: float | None
    outcome: Literal["won", "lost"] | None = Field(description="Closed since: won or lost")
    closed_at: Moment | None
    call_was: Literal["right", "wrong", "open"] | None = Field(
        description="Closed since: the earlier call was right (walked away from a loss, "
        "pursued a win), wrong, or open (it was being re-qualified)"
    )
    because: list[str] = Field(description="What moved it, in words, the likeliest cause first")


class DeadlineOut(BaseModel):
    """A person's decision whose re-qualify deadline or revisit date came in between."""

    deal_id: str
    name: str | None
    owner: str | None
    kind: Literal["requalify_deadline", "revisit"]
    due_on: date
    decision: Call
    decided_by: str | None
    reason: str | None
    requalify_status: str | None = Field(description="met or missed (re-qualify deadlines)")


class ChangesSummaryOut(BaseModel):
    currency: str
    by_kind: dict[str, int]
    deadlines: int
    open_deals_before: int
    open_deals_now: int
    forecast_before: float
    forecast_now: float
    model_before: str
    model_now: str


class ChangesOut(BaseModel):
    """``walkaway review --since ... --format json``: what changed, most important first."""

    since: Moment
    as_of: Moment
    since_from: Literal["given", "saved review", "a week"]
    summary: ChangesSummaryOut
    changes: list[ChangeOut]
    deadlines: list[DeadlineOut]


class ForecastPeriodOut(BaseModel):
    """One period of the forecast: the open deals expected to close in it."""

    period: str = Field(
        description="`slipped` (expected close already past, or nothing to place the deal "
        "by) first, then 2026-12 (month) or 2026-Q4 (quarter)",
        examples=["2026-12"],
    )
    deals: int
    expected_won: float = Field(description="Sum of win probability × amount")
    expected_won_without_walk_aways: float
    placed_by_history: int = Field(
        description="Deals without an expected close, placed by the team's time to close"
    )


class ForecastOut(BaseModel):
    """``walkaway forecast --by month|quarter --format json``: the review's forecast by
    the period of expected close; the periods add up to ``total`` (the review's forecast)
    and ``total_without_walk_aways``."""

    as_of: Moment
    period: Literal["month", "quarter"]
    currency: str
    total: float
    total_without_walk_aways: float
    slipped: float = Field(description="Expected won value of the deals past their close")
    won_history: int = Field(description="Won deals the time to close was learned from")
    median_days_to_close: float | None
    periods: list[ForecastPeriodOut]
