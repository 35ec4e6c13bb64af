"""Numbers in words a rep reads, as Polars expressions (so sentences are built for
every deal at once): whole days, percentages, money with a symbol and thousands
separators, and plurals; and text from data made safe to print (:func:`printable`)."""

from __future__ import annotations

import math
import numbers
from typing import Any

import polars as pl
from markupsafe import Markup

SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£", "JPY": "¥", "INR": "₹", "CHF": "CHF "}
_SHORT = ((1e9, "bn"), (1e6, "M"), (1e3, "k"))

Part = pl.Expr | str


def text(*parts: Part) -> pl.Expr:
    """Concatenate literal strings and string expressions (null parts read "?")."""
    exprs = [pl.lit(p) if isinstance(p, str) else p.cast(pl.String).fill_null("?") for p in parts]
    return pl.concat_str(exprs)


def _integer(expr: pl.Expr) -> pl.Expr:
    # Never strict: a number no whole type holds (1e20 hours stored before the import
    # checked its limits, odds divided by 2^70) reads "?" in its sentence rather than
    # failing the sentences of every deal.
    return expr.cast(pl.Int64, strict=False)


def whole(expr: pl.Expr) -> pl.Expr:
    """A number rounded to a whole one, as text with thousands separators: 22.6 -> "23",
    2089 -> "2,089"."""
    n = _integer(expr.round(0))
    sign = pl.when(n < 0).then(pl.lit("-")).otherwise(pl.lit(""))
    return pl.concat_str([sign, _group_thousands(n.abs())])


def number(expr: pl.Expr) -> pl.Expr:
    """Whole numbers without decimals, others with one: 3.0 -> "3", 2.25 -> "2.3"."""
    rounded = expr.cast(pl.Float64).round(1)
    return (
        pl.when(rounded == rounded.round(0)).then(whole(rounded)).otherwise(rounded.cast(pl.String))
    )


def percent(expr: pl.Expr) -> pl.Expr:
    """A fraction as a percentage: 0.153 -> "15%"; never "0%" or "100%" for what is
    neither: 0.0013 -> "<1%", 0.998 -> ">99%"."""
    rounded = (expr * 100).round(0)
    return (
        pl.when((rounded == 0) & (expr > 0))
        .then(pl.lit("<1%"))
        .when((rounded == 100) & (expr < 1))
        .then(pl.lit(">99%"))
        .otherwise(_integer(rounded).cast(pl.String) + pl.lit("%"))
    )


def percent_text(value: float | None, digits: int = 0) -> str:
    """:func:`percent` for one Python number ("—" when unknown): "15%", "<1%", ">99%"
    (halves rounded to even, as Polars rounds them)."""
    if value is None or math.isnan(value):
        return "—"
    step = 1 / 10**digits
    shown = round(value * 100, digits)
    if shown == 0 and value > 0:
        return f"<{step:.{digits}f}%"
    if shown == 100 and value < 1:
        return f">{100 - step:.{digits}f}%"
    return f"{shown:.{digits}f}%"


def currency_symbol(currency: str | None) -> str:
    """ "€" for EUR, "$" for USD ...; other codes are written out with a space: "SEK "
    (nothing for no currency)."""
    if not currency:
        return ""
    code = currency.upper()
    return SYMBOLS.get(code, f"{code} ")


def money_text(value: float | None, currency: str | None, *, short: bool = False) -> str:
    """The one way Walkaway writes an amount of money: its currency's symbol and whole
    units with thousands separators ("€14,000", "-$300", "SEK 90"); ``short`` for a
    headline or an axis ("$2.56M", "€350k"); an em dash when there is no amount."""
    if value is None or math.isnan(value):
        return "—"
    sign = "-" if round(value) < 0 else ""
    size, symbol = abs(value), currency_symbol(currency)
    if short:
        for unit, suffix in _SHORT:
            if size >= unit:
                return f"{sign}{symbol}{size / unit:.3g}{suffix}"
    return f"{sign}{symbol}{size:,.0f}"


def _group_thousands(n: pl.Expr) -> pl.Expr:
    """A non-negative whole number with thousands separators: its digits read from the
    right in threes. ``n`` is read once: an expression is a tree, not a program, and an
    eager frame evaluates each copy of a subtree (the numbers split by arithmetic took
    ``n`` twelve times over, and a number made of others multiplied the copies: most of
    assessing one deal was evaluating its sentences' numbers again and again)."""
    # a comma after each three digits (from the right) that more digits follow
    grouped = n.cast(pl.String).str.reverse().str.replace_all(r"(\d{3})\B", "${1},")
    return grouped.str.reverse()


def symbol(currency: pl.Expr) -> pl.Expr:
    """ "€" for EUR, "$" for USD ...; other codes are written out: "SEK "."""
    return currency.replace_strict(SYMBOLS, default=currency + pl.lit(" "), return_dtype=pl.String)


def money(amount: pl.Expr, currency: pl.Expr | str) -> pl.Expr:
    """An amount with its symbol, whole units: "€14,000", "-€300", "SEK 90"."""
    code = pl.lit(currency) if isinstance(currency, str) else currency
    n = _integer(amount.abs().round(0))
    sign = pl.when(amount.round(0) < 0).then(pl.lit("-")).otherwise(pl.lit(""))
    return pl.concat_str([sign, symbol(code), _group_thousands(n)])


def without_nulls(lists: pl.Expr) -> pl.Expr:
    """``lists.list.drop_nulls()``: the same lists (a null list stays null), as an
    expression on each list's elements, which Polars runs several times faster
    (97,603 lists of a few sentences: 0.077 CPU s against 0.007)."""
    return lists.list.eval(pl.element().drop_nulls())


def said_once(frame: pl.DataFrame, words: pl.Expr) -> pl.Series:
    """``frame.select(words)[0]`` for ``words`` that read one row at a time (a sentence
    of :func:`text`, :func:`whole`, :func:`percent`, :func:`money` ...), written once
    per distinct value of the columns they read and joined back onto the rows: a
    sentence that depends only on the stage, the rep or the currency is written a
    handful of times for 100,000 deals instead of once a deal. Values are told apart as
    a join tells them (0.0 is -0.0, NaN is NaN, null is null): the words of these
    helpers read the same for each pair."""
    columns = list(dict.fromkeys(words.meta.root_names()))
    if not columns:
        return frame.with_columns(words.alias(_SAID))[_SAID]
    keys = frame.select(columns)
    written = keys.unique(maintain_order=True).with_columns(words.alias(_SAID))
    joined = keys.join(written, on=columns, how="left", maintain_order="left", nulls_equal=True)
    return joined[_SAID]


_SAID = "_said"


def plural(count: pl.Expr, one: str, many: str) -> pl.Expr:
    """ "1 touch", "4 touches"."""
    word = pl.when(count == 1).then(pl.lit(one)).otherwise(pl.lit(many))
    return pl.concat_str([whole(count), word], separator=" ")


def _escape(code: int) -> str:
    known = {0x09: "\\t", 0x0A: "\\n", 0x0D: "\\r"}
    return known.get(code, f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")


# Characters a terminal acts on rather than shows: C0 (ESC starts a terminal's escape
# sequences), DEL, C1 (0x9b is a one-byte CSI), the line and paragraph separators, and
# the bidirectional overrides that make a name read backwards.
_CONTROL_CODES = [
    *range(0x00, 0x20),
    *range(0x7F, 0xA0),
    0x2028,
    0x2029,
    *range(0x202A, 0x202F),
    *range(0x2066, 0x206A),
]
CONTROL_CHARACTERS = [chr(c) for c in _CONTROL_CODES]
_SHOWN = {c: _escape(c) for c in _CONTROL_CODES}


_SHOWN_KEEPING_LINES = {c: e for c, e in _SHOWN.items() if chr(c) not in "\n\t"}


def printable(value: str, *, keep_lines: bool = False) -> str:
    """Text that came from data, safe to print on a terminal or in a one-line message:
    each control character shown escaped (ESC as ``\\x1b``, a line break as ``\\n``),
    everything else as it is; with ``keep_lines`` line breaks and tabs stay (a console
    printing a table of many lines). Applying it twice changes nothing more."""
    return value.translate(_SHOWN_KEEPING_LINES if keep_lines else _SHOWN)


def printable_expr(expr: pl.Expr) -> pl.Expr:
    """:func:`printable` for a column of text, every row at once."""
    return expr.str.replace_many(CONTROL_CHARACTERS, [_SHOWN[c] for c in _CONTROL_CODES])


def thousands(value: float | None) -> str:
    """A count or a whole number with thousands separators ("2,089"); an em dash when
    there is none (a float is rounded to a whole number)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{value:,.0f}" if isinstance(value, float) else f"{value:,}"


def separated(value: Any) -> Any:
    """A template's ``finalize``: every whole number a page writes gets its thousands
    separators ("2,089", never "2089"), whichever template forgot the filter; anything
    else as it is (years and ids are text or dates by then)."""
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return f"{int(value):,}"
    return value


def counted(count: int, one: str, many: str | None = None) -> str:
    """A count and its noun, the plural right: "1 walk-away", "2,089 walk-aways",
    "3 deals in a row" (``many`` for an irregular plural: "1 reply", "4 replies")."""
    word = one if count == 1 else (many or f"{one}s")
    return f"{count:,} {word}"


def command_spans(note: str) -> Markup:
    """A note for a page, escaped, with each command it names between backticks set as
    code: "run `walkaway train`" reads "run <code>walkaway train</code>", never the
    backticks a terminal shows."""
    parts = str(note).split("`")
    if len(parts) % 2 == 0:  # an odd backtick: no span to close, the text as it is
        return Markup("{}").format(note)
    return Markup("").join(
        Markup("<code>{}</code>").format(part) if i % 2 else Markup("{}").format(part)
        for i, part in enumerate(parts)
    )
