"""The largest values a sales team could have, and the stored deals past them.

Every import refuses a value past these limits (:mod:`walkaway.importers.validate`,
docs/format.md names each): 1e20 hours or an amount of infinity is a typo or junk, and
once stored it would break the sums and sentences of every later review. A store can
still hold one (written by hand, by an older Walkaway): :func:`out_of_bounds` finds the
deals holding one, all at once, so that a review skips them and says why.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import polars as pl

MAX_AMOUNT = 1_000_000_000_000
MAX_DEAL_HOURS = 100_000
MAX_ACTIVITY_HOURS = 1_000
MAX_COUNT = 10_000
EARLIEST = datetime(1980, 1, 1)
BEFORE = datetime(2101, 1, 1)  # the first moment past the plausible range

SKIPPED_SCHEMA = {"deal_id": pl.String, "owner": pl.String, "stage": pl.String, "why": pl.String}


@dataclass(frozen=True)
class Limit:
    """A stored number's plausible range, and how a sentence names it."""

    column: str
    words: str
    low: float
    high: float
    unit: str = ""  # "-hour": "beyond the 1,000-hour limit"

    def why(self, value: float) -> str:
        """What is wrong with ``value`` (one outside the range), in words."""
        shown = _number(value)
        if value != value:
            return f"{self.words} is not a number (NaN)"
        if self.high > 5 and self.low == 0 and value > self.high:
            return f"{self.words} {shown} beyond the {self.high:,.0f}{self.unit} limit"
        return f"{self.words} {shown} outside {_number(self.low)}–{_number(self.high)}"


DEAL_LIMITS = (
    Limit("amount", "amount", 0, MAX_AMOUNT),
    Limit("hours_invested", "hours invested", 0, MAX_DEAL_HOURS, "-hour"),
    Limit("margin", "margin", 0, 1),
    Limit("discount_requested", "discount requested", 0, 1),
    Limit("manual_probability", "manual probability", 0, 1),
    Limit("custom_requests", "custom requests", 0, MAX_COUNT),
    Limit("missing_features", "missing features", 0, MAX_COUNT),
    Limit("rep_confidence", "rep confidence", 1, 5),
)
ACTIVITY_LIMITS = (Limit("hours", "activity hours", 0, MAX_ACTIVITY_HOURS, "-hour"),)
DEAL_MOMENTS = {"created_at": "created", "closed_at": "closed", "expected_close": "expected close"}
ACTIVITY_MOMENTS = {"at": "activity date"}


def _number(value: float) -> str:
    if value != value:
        return "NaN"
    if value in (float("inf"), float("-inf")):
        return "infinity" if value > 0 else "minus infinity"
    if abs(value) >= 1e15:
        return f"{value:.0e}".replace("e+", "e")
    return f"{value:,.0f}" if value == round(value) else f"{value:,.2f}"


def _number_past(limit: Limit) -> pl.Expr:
    value = pl.col(limit.column).cast(pl.Float64)
    return (value.is_nan() | (value < limit.low) | (value > limit.high)).fill_null(False)


def _moment_past(column: str) -> pl.Expr:
    moment = pl.col(column).cast(pl.Datetime("us"))
    return ((moment < EARLIEST) | (moment >= BEFORE)).fill_null(False)


def _any_past(frame: pl.DataFrame, checks: dict[str, pl.Expr]) -> set[str]:
    """The columns of ``checks`` (column: whether a row's value is past its limit) with
    a value past it in some row, looked at in one pass (a filter per column was a
    dozen passes for a deal that, as nearly every deal, has none)."""
    if not checks or frame.height == 0:
        return set()
    row = frame.select(bad.any().alias(column) for column, bad in checks.items()).row(0)
    return {column for column, past in zip(checks, row, strict=True) if past}


def _numbers_past(frame: pl.DataFrame, limits: tuple[Limit, ...]) -> list[pl.DataFrame]:
    held = {lim.column: lim for lim in limits if lim.column in frame.columns}
    past = _any_past(frame, {column: _number_past(lim) for column, lim in held.items()})
    found = []
    for limit in (lim for column, lim in held.items() if column in past):
        value = pl.col(limit.column).cast(pl.Float64)
        rows = frame.filter(_number_past(limit)).select("deal_id", value.alias("value"))
        why = [limit.why(v) for v in rows["value"].to_list()]
        found.append(rows.select("deal_id").with_columns(why=pl.Series(why, dtype=pl.String)))
    return found


def _moments_past(frame: pl.DataFrame, moments: dict[str, str]) -> list[pl.DataFrame]:
    held = {c: w for c, w in moments.items() if c in frame.columns}
    past = _any_past(frame, {column: _moment_past(column) for column in held})
    found = []
    for column, words in ((c, w) for c, w in held.items() if c in past):
        rows = frame.filter(_moment_past(column)).select("deal_id", pl.col(column).cast(pl.String))
        why = [
            f"{words} {day[:10]} outside {EARLIEST:%Y-%m-%d} to {BEFORE.year - 1}-12-31"
            for day in rows[column].to_list()
        ]
        found.append(rows.select("deal_id").with_columns(why=pl.Series(why, dtype=pl.String)))
    return found


def activity_past_limits() -> pl.Expr:
    """Whether an activity holds a value past its limit (a filter before reading them)."""
    checks = [_number_past(limit) for limit in ACTIVITY_LIMITS]
    return pl.any_horizontal(*checks, *(_moment_past(c) for c in ACTIVITY_MOMENTS))


def out_of_bounds(deals: pl.DataFrame, activities: pl.DataFrame) -> pl.DataFrame:
    """The deals of ``deals`` holding a value past its limit, or one of whose
    ``activities`` does: :data:`SKIPPED_SCHEMA`, the first reason of each deal, in
    deal order (none in the usual case, at the cost of one pass over each frame)."""
    found = [
        *_numbers_past(deals, DEAL_LIMITS),
        *_moments_past(deals, DEAL_MOMENTS),
        *_numbers_past(activities, ACTIVITY_LIMITS),
        *_moments_past(activities, ACTIVITY_MOMENTS),
    ]
    if not found:
        return pl.DataFrame(schema=SKIPPED_SCHEMA)
    first = pl.concat(found).group_by("deal_id", maintain_order=True).first()
    named = deals.select("deal_id", "owner", "stage").join(first, on="deal_id", how="inner")
    return named.sort("deal_id").select(list(SKIPPED_SCHEMA)).cast(SKIPPED_SCHEMA)  # type: ignore[arg-type]


def without(
    deals: pl.DataFrame, activities: pl.DataFrame, skipped: pl.DataFrame
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """``deals`` and ``activities`` without the ``skipped`` deals."""
    if skipped.height == 0:
        return deals, activities
    gone = skipped["deal_id"].implode()
    keep = ~pl.col("deal_id").is_in(gone)
    return deals.filter(keep), activities.filter(keep)
