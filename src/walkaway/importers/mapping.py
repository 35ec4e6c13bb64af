"""What CRM exports have in common, as columnar Polars steps on text.

Stage names that mean won or lost, a close date that means two things, the CRM's own
stage probability, durations in many units, activity kinds, directions and statuses.
The source modules (salesforce, hubspot, pipedrive, maven) compose these; every step
works on whole columns, and a value it cannot read is passed on unchanged so that
validation reports it under the column header the user knows.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace

import polars as pl

from walkaway.importers import parsing
from walkaway.importers.base import Mapped
from walkaway.importers.reading import ROW_COLUMN, RawTable

_WON = r"(?i)^\s*(closed\W*)?won([^\w'’]|$)"
_LOST = r"(?i)^\s*(closed\W*)?(lost|dead|disqualified|no\W*decision)(\W|$)"
_TRUE = ["1", "true", "yes", "y", "x", "wahr", "ja"]
_FALSE = ["0", "false", "no", "n", "falsch", "nein"]
# A code before the number (``USD 1,200``, ``US$1,200``) or after it (``1.200,50 EUR``).
_LEADING_CODE = r"^([A-Z]{3})\s*[-+(]?\s*[$€£]?\s*\d"
_CODE_PREFIX = r"^[A-Z]{1,3}(\s*[-+(]?\s*[$€£]?\s*\d)"
_TRAILING_CODE = r"\d\s*([A-Z]{3})$"
_SYMBOLS = {"CA$": "CAD", "C$": "CAD", "AU$": "AUD", "A$": "AUD", "US$": "USD"}
# Subjects of a mail that answers one: the other side wrote first (RE:, German AW:, ...).
REPLY_SUBJECT = r"(?i)^\s*(?:(?:e-?mail|mail)\s*:\s*)?(?:re|aw|sv|antw|odp)\s*:"
PLANNED_STATUS = r"(?i)not.?started|in.?progress|waiting|deferred|^\s*to.?do\s*$|^\s*open\s*$"
# How many of a duration's unit make an hour (``per_hour`` of duration_hours).
MINUTES_PER_HOUR = 60
SECONDS_PER_HOUR = 3600


def ensure_columns(frame: pl.DataFrame, names: Iterable[str]) -> pl.DataFrame:
    """Add the named columns as all-null text where the source had no such header."""
    missing = [n for n in names if n not in frame.columns]
    return frame.with_columns([pl.lit(None, dtype=pl.String).alias(n) for n in missing])


def derive(
    mapped: Mapped,
    columns: Mapping[str, pl.Expr],
    *,
    origins: Mapping[str, str | None] | None = None,
    extras: Iterable[str] = (),
    drop: Iterable[str] = (),
) -> Mapped:
    """Add columns computed from the mapped ones, then drop helper columns.

    ``origins`` names the header each new column came from (so problems name it);
    ``extras`` lists new columns that are attributes.
    """
    frame = mapped.frame.with_columns(**columns).drop(list(drop), strict=False)
    known = dict(mapped.origins)
    known.update({k: v for k, v in (origins or {}).items() if v is not None})
    added = tuple(e for e in extras if e in frame.columns and e not in mapped.extras)
    kept = tuple(e for e in mapped.extras if e in frame.columns)
    return Mapped(mapped.label, frame, known, kept + added, mapped.delimiter, mapped.headers)


def joined_origin(mapped: Mapped, *names: str) -> str | None:
    """The headers behind columns that were merged (``Won time / Lost time``)."""
    return " / ".join(mapped.origins[n] for n in names if n in mapped.origins) or None


def with_frame(mapped: Mapped, frame: pl.DataFrame) -> Mapped:
    """The same mapping over other rows (filtered, exploded, re-ordered, joined with a
    sibling file's: whose cells no longer come from the table read alone)."""
    return replace(mapped, frame=frame, nul_free=False)


def drop_report_footer(table: RawTable) -> RawTable:
    """Drop the trailer report exports add under the data (title, copyright, "Generated
    By"): the trailing rows that have only their first cell filled."""
    if table.frame.height == 0 or len(table.headers) < 2:
        return table
    filled = pl.sum_horizontal([pl.col(h).is_not_null() for h in table.headers[1:]])
    last = table.frame.filter(filled > 0)[ROW_COLUMN].max()
    if last is None:
        return table
    return replace(table, frame=table.frame.filter(pl.col(ROW_COLUMN) <= last))


OPPORTUNITY_HELPERS = ("_close", "_probability", "_won", "_closed")


def finish_opportunities(
    mapped: Mapped,
    columns: Mapping[str, pl.Expr] | None = None,
    *,
    percent: bool,
    drop: Iterable[str] = (),
) -> Mapped:
    """What opportunity exports share once renamed: ``outcome`` from ``stage`` (and the
    ``_won``/``_closed`` flags); ``_close`` split into ``closed_at`` for closed deals and
    ``expected_close`` for open ones; the currency an amount is written in; the stage
    probability ``_probability`` kept as the attribute ``crm_probability``.

    ``columns`` are the source's own, computed once ``outcome`` is known.
    """
    helpers = ["stage", "currency", "loss_reason", *OPPORTUNITY_HELPERS]
    frame = ensure_columns(mapped.frame, helpers).with_columns(
        outcome_from_stage(pl.col("stage"), pl.col("_won"), pl.col("_closed")).alias("outcome")
    )
    is_open = pl.col("outcome") == "open"
    derived = {
        "closed_at": pl.when(~is_open).then(pl.col("_close")),
        "expected_close": pl.when(is_open).then(pl.col("_close")),
        **(columns or {}),
    }
    if "amount" in frame.columns:
        derived["currency"] = pl.coalesce("currency", currency_in_amount(pl.col("amount")))
        derived["amount"] = amount_without_code(pl.col("amount"))
    if "_probability" in mapped.origins:
        probability = fraction_text(frame["_probability"], mapped.delimiter, percent=percent)
        derived["crm_probability"] = pl.lit(probability)
    close = mapped.origins.get("_close")
    origins = {"closed_at": close, "expected_close": close, "outcome": mapped.origins.get("stage")}
    origins["crm_probability"] = mapped.origins.get("_probability")
    return derive(
        with_frame(mapped, frame),
        derived,
        origins=origins,
        extras=["crm_probability"],
        drop=[*OPPORTUNITY_HELPERS, *drop],
    )


def is_true(flag: pl.Expr) -> pl.Expr:
    return flag.str.to_lowercase().is_in(_TRUE)


def is_false(flag: pl.Expr) -> pl.Expr:
    return flag.str.to_lowercase().is_in(_FALSE)


def outcome_from_stage(
    stage: pl.Expr, won: pl.Expr | None = None, closed: pl.Expr | None = None
) -> pl.Expr:
    """``won``/``lost`` from stage names such as ``Closed Won - Paid``, ``Closed/Won``,
    ``closedlost`` or ``Closed Lost - No Decision``; else from won/closed flag columns
    (``Won`` = 1, ``Is Closed Won`` = true); else ``open``."""
    candidates = [
        pl.when(stage.str.contains(_WON))
        .then(pl.lit("won"))
        .when(stage.str.contains(_LOST))
        .then(pl.lit("lost"))
    ]
    if won is not None:
        lost_flag = is_false(won) & (is_true(closed) if closed is not None else pl.lit(True))
        candidates.append(
            pl.when(is_true(won)).then(pl.lit("won")).when(lost_flag).then(pl.lit("lost"))
        )
    return pl.coalesce([*candidates, pl.lit("open")])


def loss_reason_from_stage(stage: pl.Expr) -> pl.Expr:
    """The reason a lost stage names: ``Closed Lost - No Decision`` -> ``no decision``."""
    suffix = stage.str.extract(r"(?i)^\s*(?:closed\W*)?lost\W+(\w.*)$", 1)
    no_decision = pl.when(stage.str.contains(r"(?i)no\W*decision")).then(pl.lit("no decision"))
    return pl.coalesce(suffix.str.to_lowercase(), no_decision)


def currency_in_amount(amount: pl.Expr) -> pl.Expr:
    """The currency an amount is written in: a code (``USD 1,200``, ``1.200 EUR``) or a
    symbol (``€``, ``£``; ``$`` is read as US dollars, ``CA$``/``A$`` as CAD/AUD)."""
    code = pl.coalesce(
        amount.str.extract(_TRAILING_CODE, 1),
        amount.str.extract(_LEADING_CODE, 1),
    )
    by_symbol = pl.coalesce(
        [pl.when(amount.str.contains(s, literal=True)).then(pl.lit(c)) for s, c in _SYMBOLS.items()]
        + [
            pl.when(amount.str.contains("€", literal=True)).then(pl.lit("EUR")),
            pl.when(amount.str.contains("£", literal=True)).then(pl.lit("GBP")),
            pl.when(amount.str.contains("$", literal=True)).then(pl.lit("USD")),
        ]
    )
    return pl.coalesce(code, by_symbol)


def amount_without_code(amount: pl.Expr) -> pl.Expr:
    """The amount with its currency code taken off (``USD 1,200`` -> ``1,200``)."""
    return amount.str.replace(_CODE_PREFIX, "${1}").str.replace(r"(\d)\s*[A-Z]{3}$", "${1}")


def number_text(values: pl.Series, raw: pl.Series) -> pl.Series:
    """Computed numbers as plain text (``0.25``); where the source could not be read,
    its original text, so that validation reports it."""
    computed = values.round(6).cast(pl.String)
    return computed.zip_with(computed.is_not_null(), raw.cast(pl.String)).rename(raw.name)


def fraction_text(raw: pl.Series, delimiter: str | None, *, percent: bool) -> pl.Series:
    """A probability as a 0–1 fraction in text.

    With ``percent`` the column is in percent (Salesforce ``Probability (%)``: 10 is
    10 %); otherwise a value with a ``%`` sign or above 1 is a percentage and the rest
    are fractions already (HubSpot writes 0.2 or 20).
    """
    value = parsing.parse_number(raw, delimiter)
    scaled = pl.Series([True] * len(raw))
    if not percent:
        scaled = (raw.str.contains("%") | (value > 1)).fill_null(False)
    return number_text(value.zip_with(~scaled, value / 100), raw)


def duration_hours(
    raw: pl.Series, per_hour: float, delimiter: str | None, *, minutes_seconds: bool = False
) -> pl.Series:
    """Hours from a duration: a number in the column's unit (``per_hour`` of them make
    an hour: SECONDS_PER_HOUR, MINUTES_PER_HOUR) or clock text ``1:30`` / ``0:05:32``.
    Two-part clock text is hours:minutes, or minutes:seconds with ``minutes_seconds``."""
    clock = r"^(\d+):(\d{1,2})(?::(\d{1,2}))?$"
    frame = pl.DataFrame({"t": raw.cast(pl.String), "n": parsing.parse_number(raw, delimiter)})
    a, b, c = (pl.col("t").str.extract(clock, i).cast(pl.Float64) for i in (1, 2, 3))
    minutes, seconds = MINUTES_PER_HOUR, SECONDS_PER_HOUR
    two_parts = a / minutes + b / seconds if minutes_seconds else a + b / minutes
    hours = (
        pl.when(c.is_not_null())
        .then(a + b / minutes + c / seconds)
        .when(a.is_not_null())
        .then(two_parts)
        .otherwise(pl.col("n") / per_hour)
    )
    return number_text(frame.select(hours).to_series(), raw)


def kind_from_label(label: pl.Expr) -> pl.Expr:
    """An activity kind from a CRM's type label (``Call``, ``INCOMING_EMAIL``, ``Send
    Letter/Quote``, ``lunch``); an unknown label is ``other``, no label stays null."""
    low = label.str.to_lowercase()
    rules = [
        ("demo", "demo"),
        (r"proposal|quote|offer", "proposal"),
        (r"e-?mail|\bmail", "email"),
        (r"call|phone", "call"),
        (r"meeting|event|lunch|appointment|visit|video", "meeting"),
        (r"note", "note"),
    ]
    matches = [pl.when(low.str.contains(p)).then(pl.lit(kind)) for p, kind in rules]
    return pl.coalesce([*matches, pl.when(low.is_not_null()).then(pl.lit("other"))])


def kind_from_subject(subject: pl.Expr) -> pl.Expr:
    """The kind a logged subject line shows (``Email: ...``, ``RE: ...``, ``Call ...``)."""
    mail = r"(?i)^\s*(?:[←→]\s*)?(?:e-?mail|re|aw|sv|fwd?|antw)\s*:"
    return (
        pl.when(subject.str.contains(mail))
        .then(pl.lit("email"))
        .when(subject.str.contains(r"(?i)^\s*(?:logged\s+)?call\b"))
        .then(pl.lit("call"))
    )


def direction_from_label(label: pl.Expr) -> pl.Expr:
    """``inbound``/``outbound``/``internal`` from labels such as ``INBOUND``, ``Incoming``."""
    low = label.str.to_lowercase()
    return (
        pl.when(low.str.contains(r"inbound|incoming|received|^in$"))
        .then(pl.lit("inbound"))
        .when(low.str.contains(r"outbound|outgoing|sent|^out$"))
        .then(pl.lit("outbound"))
        .when(low.str.contains("internal"))
        .then(pl.lit("internal"))
    )


def direction(kind: pl.Expr, subject: pl.Expr, explicit: pl.Expr | None = None) -> pl.Expr:
    """Who moved. An explicit direction wins; then the arrows mail add-ins put before a
    logged subject (``←`` received, ``→`` sent); then an email whose subject answers
    another (``RE:``, ``AW:``) counts as the buyer's reply; any other email or call is
    the seller's (outbound). Meetings, notes and the rest stay unknown (null)."""
    by_subject = (
        pl.when(subject.str.contains(r"^\s*←"))
        .then(pl.lit("inbound"))
        .when(subject.str.contains(r"^\s*→"))
        .then(pl.lit("outbound"))
        .when((kind == "email") & subject.str.contains(REPLY_SUBJECT))
        .then(pl.lit("inbound"))
    )
    seller = pl.when(kind.is_in(["email", "call"])).then(pl.lit("outbound"))
    first = [direction_from_label(explicit)] if explicit is not None else []
    return pl.coalesce([*first, by_subject, seller])


def status_from_label(label: pl.Expr, subject: pl.Expr | None = None) -> pl.Expr:
    """``no_show``/``rescheduled``/``cancelled`` from an outcome label, or a subject the
    calendar prefixed ``Canceled:``; anything else is left to the default (done)."""
    low = label.str.to_lowercase()
    by_label = (
        pl.when(low.str.contains(r"no.?show"))
        .then(pl.lit("no_show"))
        .when(low.str.contains(r"resched"))
        .then(pl.lit("rescheduled"))
        .when(low.str.contains(r"cancel"))
        .then(pl.lit("cancelled"))
        .when(low.is_not_null())
        .then(pl.lit("done"))
    )
    if subject is None:
        return by_label
    cancelled = pl.when(subject.str.contains(r"(?i)^\s*cancell?ed\s*:")).then(pl.lit("cancelled"))
    return pl.coalesce(cancelled, by_label)


def is_planned(status: pl.Expr) -> pl.Expr:
    """A task that has not happened yet (``Not Started``, ``In Progress``, ``To do``)."""
    return status.str.contains(PLANNED_STATUS).fill_null(False)
