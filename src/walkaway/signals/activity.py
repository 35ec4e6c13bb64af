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
    acts = activities.filter(pl.col("kind") != ActivityKind.STAGE_CHANGE).select(
        "deal_id",
        "at",
        "kind",
        pl.col("direction").fill_null(Direction.INTERNAL),
        "status",
        "hours",
        pl.col("detail").fill_null(""),
    )
    acts, group = by_deal(_with_note_columns(acts, phrases))
    # Every aggregation reads a column made beforehand over all rows at once: a
    # condition that reads the group's own aggregate (after the buyer's last reply) or
    # a filtered column would be worked out group by group. One plan from the rows'
    # columns to the aggregation: Polars then never holds the columns made in full.
    keys = dict.fromkeys([group, "deal_id"])  # the id once when it is the group
    aggregated = (
        acts.lazy()
        .with_columns(_last_inbound().over(group).alias(LAST_INBOUND))
        .select(*keys, *_row_signals(phrases))
        .group_by(group)
        .agg(
            *([] if group == "deal_id" else group_id()),
            *_responsiveness(),
            *_proposals(),
            *_notes(),
            # A float sum depends on the order of its terms; rounded to a micro-hour,
            # the same activities in any row order give the same hours (and review).
            pl.col("hours").sum().round(6).alias("hours_logged"),
            pl.col("at").max().alias("last_activity_at"),
            *_criteria(phrases),
        )
        .collect()
    )
    return drop_group(aggregated)


LAST_INBOUND = "_last_inbound_at"


def _last_inbound() -> pl.Expr:
    """The deal's last inbound moment (null: the buyer never replied), as a window over
    the deal's rows (runs of sorted rows when grouped by :func:`by_deal`'s number)."""
    inbound_at = pl.when(pl.col("direction") == Direction.INBOUND).then(pl.col("at"))
    return inbound_at.max()


# What each row says, as a column per aggregation (:func:`_row_signals`).
INBOUND, OUTBOUND, WAITING, WAITING_AT = "_inbound", "_outbound", "_waiting", "_waiting_at"
NO_SHOW, RESCHEDULED, SENT, SENT_AT, UNANSWERED = (
    "_no_show",
    "_rescheduled",
    "_sent",
    "_sent_at",
    "_unanswered",
)


def _row_signals(phrases: Mapping[str, str]) -> list[pl.Expr | str]:
    """The columns :func:`activity_signals` aggregates, one row an activity: the
    direction and status counted, the moments kept where a condition holds (null
    elsewhere, which ``min`` and ``max`` pass over as a filter would drop them)."""
    direction, at, status = pl.col("direction"), pl.col("at"), pl.col("status")
    since = (at > pl.col(LAST_INBOUND)).fill_null(True)
    waiting = (direction == Direction.OUTBOUND) & since
    sent = (pl.col("kind") == ActivityKind.PROPOSAL) & (direction != Direction.INBOUND)
    met = {**ACTIVITY_CRITERIA, **{name: pl.col(_phrase_column(name)) for name in phrases}}
    return [
        "at",
        "hours",
        LAST_INBOUND,
        (direction == Direction.INBOUND).alias(INBOUND),
        (direction == Direction.OUTBOUND).alias(OUTBOUND),
        waiting.alias(WAITING),
        pl.when(waiting).then(at).alias(WAITING_AT),
        (status == ActivityStatus.NO_SHOW).alias(NO_SHOW),
        (status == ActivityStatus.RESCHEDULED).alias(RESCHEDULED),
        sent.alias(SENT),
        pl.when(sent).then(at).alias(SENT_AT),
        (sent & since).alias(UNANSWERED),
        "is_push",
        "is_reneg",
        "amount_from",
        *[pl.when(m).then(at).alias(criterion_column(name)) for name, m in met.items()],
    ]


# Words one of the note patterns needs (ASCII case aside): a note in ASCII with none of
# them matches none of the patterns, so only the few notes that have one (or any other
# character, which a pattern's Unicode case folding might read as one) are searched.
NOTE_WORDS = ("close", "amount", "negotiat", "terms", "reopen")


def _phrase_column(name: str) -> str:
    return f"_mentions_{name}"


def _with_note_columns(
    acts: pl.DataFrame, phrases: Mapping[str, str] | None = None
) -> pl.DataFrame:
    """``acts`` with ``is_push``, ``is_reneg`` and ``amount_from`` read from the notes,
    and whether each of ``phrases`` is mentioned (any case): the patterns run only on
    the rows holding one of :data:`NOTE_WORDS` or of the phrases, or a character
    outside ASCII."""
    phrases = phrases or {}
    detail = pl.col("detail")
    mentions = [
        detail.str.to_lowercase().str.contains(phrase, literal=True).alias(_phrase_column(name))
        for name, phrase in phrases.items()
    ]
    words = list(NOTE_WORDS)
    plain = all(p.isascii() and p for p in phrases.values())
    if plain:  # an ASCII note holds an ASCII phrase, lower-cased, only if it holds it in any case
        words += [p for p in phrases.values() if p not in words]
    candidate = detail.str.contains_any(words, ascii_case_insensitive=True)
    # a character outside ASCII takes more than one byte
    candidate = candidate | (detail.str.len_bytes() != detail.str.len_chars())
    acts = acts.with_columns(candidate.alias("_note"))
    found = acts.filter("_note").select(*_note_columns(), *(mentions if plain else []))
    nothing = [
        pl.lit(False).alias("is_push"),
        pl.lit(False).alias("is_reneg"),
        pl.lit(None, pl.Float64).alias("amount_from"),
        *([pl.lit(False).alias(_phrase_column(n)) for n in phrases] if plain else mentions),
    ]
    filled = acts.drop("_note").with_columns(nothing)
    if found.height == 0:
        return filled
    # scatter the found values back into their rows, in order
    where = acts.with_row_index("_row").filter("_note")["_row"]
    return filled.with_columns(filled[name].scatter(where, found[name]) for name in found.columns)


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
    return [
        pl.col(LAST_INBOUND).first().alias("last_inbound_at"),
        pl.col(INBOUND).sum().alias("inbound_touches"),
        pl.col(OUTBOUND).sum().alias("outbound_touches"),
        pl.col(WAITING).sum().alias("outbound_since_inbound"),
        pl.col(WAITING_AT).min().alias("waiting_since"),
        pl.col(NO_SHOW).sum().alias("no_shows"),
        pl.col(RESCHEDULED).sum().alias("reschedules"),
    ]


def _proposals() -> list[pl.Expr]:
    return [
        pl.col(SENT).sum().alias("proposals_sent"),
        pl.col(SENT_AT).max().alias("last_proposal_at"),
        pl.col(UNANSWERED).sum().alias("proposals_unanswered"),
    ]


def _notes() -> list[pl.Expr]:
    return [
        pl.col("is_push").sum().alias("close_date_pushes"),
        pl.col("is_reneg").sum().alias("renegotiations"),
        pl.col("amount_from").max().alias("amount_before"),
    ]


def _criteria(phrases: Mapping[str, str]) -> list[pl.Expr]:
    names = [*ACTIVITY_CRITERIA, *phrases]
    return [pl.col(criterion_column(n)).min() for n in names]
