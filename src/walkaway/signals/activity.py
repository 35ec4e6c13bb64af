"""Signals from a deal's activities, for every deal at once: one group_by over all rows.

Responsiveness: the last sign of life from the buyer (an inbound activity), outbound
touches since then and since when the seller has been waiting, no-shows and
reschedules. Proposals sent, and how many have had no reply since. Hours logged.
Notes are read for what a CRM rarely records as a field:

- a close-date push is an activity whose detail says the close date moved, pushed,
  slipped, was postponed or changed, or "close date ... from X to Y" (when X and Y are
  ISO dates, only a later Y counts);
- an amount change is "amount ... from X to Y" (the largest X is the amount before);
- a renegotiation is "renegotiat...", "revised terms", "new terms" or reopened terms.

The first moment each exit criterion was met is kept for the skipped-step check.
"""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

from walkaway.models import ActivityKind, ActivityStatus, Direction
from walkaway.signals.snapshot import by_deal, drop_group, group_id

CLOSE_DATE_MOVED = (
    r"(?i)close[ _-]?date.*(\b(moved|pushed|slipped|postponed|delayed|changed)\b|\bfrom\b.+\bto\b)"
)
AMOUNT_FROM_TO = r"(?i)\bamount\b\D*?\bfrom\b\D*?([0-9][0-9.,]*)\D+?\bto\b"
RENEGOTIATION = (
    r"(?i)(re-?negotiat|revised terms|new terms|reopen(ed|s|ing)? (the )?(terms|contract|price))"
)
ISO_DATE = r"\d{4}-\d{2}-\d{2}"

# Criteria met by an activity (the others are deal fields, see signals_stages).
ACTIVITY_CRITERIA: Mapping[str, pl.Expr] = {
    "meeting_held": pl.col("kind").is_in([ActivityKind.MEETING, ActivityKind.DEMO])
    & (pl.col("status").fill_null(ActivityStatus.DONE) == ActivityStatus.DONE),
    "demo_attended": (pl.col("kind") == ActivityKind.DEMO)
    & (pl.col("status").fill_null(ActivityStatus.DONE) == ActivityStatus.DONE),
    "proposal_sent": (pl.col("kind") == ActivityKind.PROPOSAL)
    & (pl.col("direction").fill_null(Direction.OUTBOUND) != Direction.INBOUND),
    "proposal_returned": (pl.col("kind") == ActivityKind.PROPOSAL)
    & (pl.col("direction") == Direction.INBOUND),
}


def criterion_column(name: str) -> str:
    return f"met_{name}_at"


def activity_signals(activities: pl.DataFrame, phrases: Mapping[str, str]) -> pl.DataFrame:
    """One row per deal with activities. ``phrases`` maps a criterion to the text whose
    mention in an activity's detail meets it (``mutual_plan`` -> ``mutual plan``)."""
    acts = activities.filter(pl.col("kind") != ActivityKind.STAGE_CHANGE).with_columns(
        pl.col("detail").fill_null("").alias("detail"),
        pl.col("direction").fill_null(Direction.INTERNAL).alias("direction"),
    )
    acts, group = by_deal(_with_note_columns(acts))
    aggregated = acts.group_by(group).agg(
        *([] if group == "deal_id" else group_id()),
        *_responsiveness(),
        *_proposals(),
        *_notes(),
        # A float sum depends on the order of its terms; rounded to a micro-hour, the
        # same activities in any row order give the same hours (and the same review).
        pl.col("hours").sum().round(6).alias("hours_logged"),
        pl.col("at").max().alias("last_activity_at"),
        *_criteria(phrases),
    )
    return drop_group(aggregated)


# Words one of the note patterns needs (ASCII case aside): a note in ASCII with none of
# them matches none of the patterns, so only the few notes that have one (or any other
# character, which a pattern's Unicode case folding might read as one) are searched.
NOTE_WORDS = ("close", "amount", "negotiat", "terms", "reopen")


def _with_note_columns(acts: pl.DataFrame) -> pl.DataFrame:
    """``acts`` with ``is_push``, ``is_reneg`` and ``amount_from`` read from the notes:
    the patterns run only on the rows holding one of :data:`NOTE_WORDS`."""
    detail = pl.col("detail")
    candidate = detail.str.contains_any(list(NOTE_WORDS), ascii_case_insensitive=True)
    candidate = candidate | detail.str.contains(r"[^\x00-\x7F]")
    acts = acts.with_columns(candidate.alias("_note"))
    found = acts.filter("_note").select(_note_columns())
    nothing = [
        pl.lit(False).alias("is_push"),
        pl.lit(False).alias("is_reneg"),
        pl.lit(None, pl.Float64).alias("amount_from"),
    ]
    if found.height == 0:
        return acts.drop("_note").with_columns(nothing)
    # scatter the found values back into their rows, in order
    where = acts.with_row_index("_row").filter("_note")["_row"]
    filled = acts.drop("_note").with_columns(nothing)
    return filled.with_columns(
        filled[name].scatter(where, found[name]) for name in ("is_push", "is_reneg", "amount_from")
    )


def _note_columns() -> list[pl.Expr]:
    detail = pl.col("detail")
    dates = detail.str.extract_all(ISO_DATE)
    first, second = dates.list.get(0, null_on_oob=True), dates.list.get(1, null_on_oob=True)
    pulled_in = second <= first
    amount_text = detail.str.extract(AMOUNT_FROM_TO, 1).str.replace_all(",", "")
    return [
        (detail.str.contains(CLOSE_DATE_MOVED) & ~pulled_in.fill_null(False)).alias("is_push"),
        detail.str.contains(RENEGOTIATION).alias("is_reneg"),
        amount_text.cast(pl.Float64, strict=False).alias("amount_from"),
    ]


def _responsiveness() -> list[pl.Expr]:
    direction, at, status = pl.col("direction"), pl.col("at"), pl.col("status")
    last_inbound = at.filter(direction == Direction.INBOUND).max()
    since = (at > last_inbound).fill_null(True)
    waiting = (direction == Direction.OUTBOUND) & since
    return [
        last_inbound.alias("last_inbound_at"),
        (direction == Direction.INBOUND).sum().alias("inbound_touches"),
        (direction == Direction.OUTBOUND).sum().alias("outbound_touches"),
        waiting.sum().alias("outbound_since_inbound"),
        at.filter(waiting).min().alias("waiting_since"),
        (status == ActivityStatus.NO_SHOW).sum().alias("no_shows"),
        (status == ActivityStatus.RESCHEDULED).sum().alias("reschedules"),
    ]


def _proposals() -> list[pl.Expr]:
    direction, at = pl.col("direction"), pl.col("at")
    sent = (pl.col("kind") == ActivityKind.PROPOSAL) & (direction != Direction.INBOUND)
    last_inbound = at.filter(direction == Direction.INBOUND).max()
    return [
        sent.sum().alias("proposals_sent"),
        at.filter(sent).max().alias("last_proposal_at"),
        (sent & (at > last_inbound).fill_null(True)).sum().alias("proposals_unanswered"),
    ]


def _notes() -> list[pl.Expr]:
    return [
        pl.col("is_push").sum().alias("close_date_pushes"),
        pl.col("is_reneg").sum().alias("renegotiations"),
        pl.col("amount_from").max().alias("amount_before"),
    ]


def _criteria(phrases: Mapping[str, str]) -> list[pl.Expr]:
    at = pl.col("at")
    exprs = [
        at.filter(met).min().alias(criterion_column(n)) for n, met in ACTIVITY_CRITERIA.items()
    ]
    if phrases:
        lower = pl.col("detail").str.to_lowercase()
        exprs += [
            at.filter(lower.str.contains(phrase, literal=True)).min().alias(criterion_column(n))
            for n, phrase in phrases.items()
        ]
    return exprs
