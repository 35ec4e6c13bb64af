"""The sentences of the learned model's reasons, as Polars expressions over the rows of
:func:`walkaway.learning.reasons.explain`: ``value`` (the deal's number), ``category``
(its category, by name), ``ref`` (what won deals looked like), ``side`` (for or
against), ``label``, ``stage``, ``currency``, the norms ``team_reply_gap`` and
``stage_norm_median``, and ``evidence`` (the flag's own sentence).
"""

from __future__ import annotations

from typing import Any

import polars as pl

from walkaway.wording import money, number, percent, text, whole

FOR = "for"
FRACTIONS = ("margin", "amount_cut", "discount_requested")
# Counting features: (one, many, none).
COUNTS: dict[str, tuple[str, str, str]] = {
    "outbound_since_inbound": (
        "touch unanswered in a row",
        "touches unanswered in a row",
        "No touch left unanswered",
    ),
    "inbound_touches": (
        "reply from the buyer so far",
        "replies from the buyer so far",
        "No reply from the buyer yet",
    ),
    "no_shows": ("missed meeting", "missed meetings", "No missed meetings"),
    "reschedules": ("rescheduled meeting", "rescheduled meetings", "No meeting moved"),
    "proposals_sent": ("proposal sent", "proposals sent", "No proposal sent yet"),
    "proposals_unanswered": (
        "proposal unanswered",
        "proposals unanswered",
        "No proposal left unanswered",
    ),
    "close_date_pushes": ("close-date push", "close-date pushes", "The close date never moved"),
    "stage_regressions": ("move back a stage", "moves back a stage", "Never moved back a stage"),
    "renegotiations": ("renegotiation", "renegotiations", "No renegotiation"),
    "custom_requests": ("custom request", "custom requests", "No custom requests"),
    "missing_features": (
        "requested feature the product lacks",
        "requested features the product lacks",
        "No missing features asked for",
    ),
    "skipped_steps": ("exit criterion skipped", "exit criteria skipped", "No step skipped"),
}
X, REF = pl.col("value"), pl.col("ref")


def sentence() -> pl.Expr:
    """The sentence of each row, by its ``template``."""
    templates = {
        **_time_templates(),
        **{name: _count(*words) for name, words in COUNTS.items()},
        **_other_templates(),
        **{name: _fraction(name) for name in FRACTIONS},
    }
    chain: Any = pl.when(pl.lit(False)).then(pl.lit(None, dtype=pl.String))
    for template, expr in templates.items():
        chain = chain.when(pl.col("template") == template).then(expr)
    result: pl.Expr = chain.otherwise(_generic())
    return result


def _typically(value: pl.Expr) -> pl.Expr:
    said = text(" — won deals: typically ", value)
    return pl.when(REF.is_not_null()).then(said).otherwise(pl.lit(""))


def _count(singular: str, plural: str, none: str) -> pl.Expr:
    word = pl.when(X == 1).then(pl.lit(singular)).otherwise(pl.lit(plural))
    return (
        pl.when(X.fill_null(0) == 0)
        .then(pl.lit(none))
        .otherwise(text(whole(X), " ", word, _typically(whole(REF))))
    )


def _by_side(for_text: pl.Expr, against_text: pl.Expr) -> pl.Expr:
    return pl.when(pl.col("side") == FOR).then(for_text).otherwise(against_text)


def _unless_null(missing: str, said: pl.Expr) -> pl.Expr:
    return pl.when(X.is_null()).then(pl.lit(missing)).otherwise(said)


def _time_templates() -> dict[str, pl.Expr]:
    gap = pl.coalesce("team_reply_gap", "ref")
    heard = (
        pl.when(gap.is_not_null())
        .then(text(" — deals like this that were won had heard back within ", whole(gap)))
        .otherwise(pl.lit(""))
    )
    usual = pl.coalesce("stage_norm_median", "ref")
    spent = (
        pl.when(usual.is_not_null())
        .then(text(" — won deals spent about ", whole(usual), " there"))
        .otherwise(pl.lit(""))
    )
    return {
        "days_since_inbound": _by_side(
            text("The buyer replied ", whole(X), " days ago", heard),
            text("No reply for ", whole(X), " days", heard),
        ),
        "days_in_stage": text(
            whole(X), " days in ", pl.col("stage").fill_null("this stage"), spent
        ),
        "days_waiting": _unless_null(
            "Not waiting on the buyer",
            text("Waiting ", whole(X), " days for a reply", _typically(whole(REF))),
        ),
        "days_open": text("Open for ", whole(X), " days", _typically(whole(REF))),
        "days_since_last_activity": text(
            "Last activity ", whole(X), " days ago", _typically(whole(REF))
        ),
        "days_since_proposal": _unless_null(
            "No proposal sent yet",
            text("Last proposal sent ", whole(X), " days ago", _typically(whole(REF))),
        ),
        "days_past_close": _unless_null(
            "No expected close date",
            pl.when(X > 0)
            .then(text(whole(X), " days past the expected close date"))
            .otherwise(text("Expected to close in ", whole(-X), " days")),
        ),
    }


def _other_templates() -> dict[str, pl.Expr]:
    category, label = pl.col("category"), pl.col("label")
    stage = pl.coalesce("stage", "category")
    named = (
        pl.when(category.is_null())
        .then(text(label, " not recorded"))
        .otherwise(text(label, ": ", category))
    )
    currency = pl.col("currency").fill_null("EUR")
    return {
        "amount": text("Amount ", money(X, currency), _typically(money(REF, currency))),
        "stage": pl.when(category.is_null())
        .then(pl.lit("Stage not known"))
        .otherwise(_by_side(text("Reached ", stage), text("Still in ", stage))),
        "owner": pl.when(category.is_null())
        .then(pl.lit("Rep not recorded"))
        .otherwise(
            _by_side(
                text(category, "'s deals are won more often here"),
                text(category, "'s deals are won less often here"),
            )
        ),
        "category": named,
        "attribute_category": named,
        "flag": pl.when(X == 1)
        .then(pl.coalesce("evidence", text("Red flag: ", label)))
        .otherwise(text("No '", label, "' red flag")),
        "flag_count": pl.when(X.fill_null(0) == 0)
        .then(text("No ", label))
        .otherwise(text(whole(X), " ", label)),
    }


def _fraction(name: str) -> pl.Expr:
    words = name.replace("_", " ").capitalize()
    return _unless_null(
        f"{words} not known", text(words, " ", percent(X), _typically(percent(REF)))
    )


def _generic() -> pl.Expr:
    label = pl.col("label").str.slice(0, 1).str.to_uppercase() + pl.col("label").str.slice(1)
    return (
        pl.when(X.is_null())
        .then(text(label, " not recorded"))
        .otherwise(text(label, ": ", number(X), _typically(number(REF))))
    )
