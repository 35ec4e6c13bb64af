"""Numbers in words a rep reads, as Polars expressions (so sentences are built for
every deal at once): whole days, percentages, money with a symbol and thousands
separators, and plurals."""

from __future__ import annotations

import math

import polars as pl

SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£", "JPY": "¥", "INR": "₹", "CHF": "CHF "}

Part = pl.Expr | str


def text(*parts: Part) -> pl.Expr:
    """Concatenate literal strings and string expressions (null parts read "?")."""
    exprs = [pl.lit(p) if isinstance(p, str) else p.cast(pl.String).fill_null("?") for p in parts]
    return pl.concat_str(exprs)


def whole(expr: pl.Expr) -> pl.Expr:
    """A number rounded to a whole one, as text: 22.6 -> "23"."""
    return expr.round(0).cast(pl.Int64).cast(pl.String)


def number(expr: pl.Expr) -> pl.Expr:
    """Whole numbers without decimals, others with one: 3.0 -> "3", 2.25 -> "2.3"."""
    rounded = expr.cast(pl.Float64).round(1)
    return (
        pl.when(rounded == rounded.round(0))
        .then(rounded.cast(pl.Int64).cast(pl.String))
        .otherwise(rounded.cast(pl.String))
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
        .otherwise(rounded.cast(pl.Int64).cast(pl.String) + pl.lit("%"))
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


def _group_thousands(n: pl.Expr) -> pl.Expr:
    """A non-negative whole number with thousands separators (up to 10^15)."""

    def pad(e: pl.Expr) -> pl.Expr:
        return e.cast(pl.String).str.zfill(3)

    u, k, m = n % 1000, (n // 1000) % 1000, (n // 1_000_000) % 1000
    return (
        pl.when(n >= 1_000_000_000)
        .then(pl.concat_str([n // 1_000_000_000, pad(m), pad(k), pad(u)], separator=","))
        .when(n >= 1_000_000)
        .then(pl.concat_str([n // 1_000_000, pad(k), pad(u)], separator=","))
        .when(n >= 1000)
        .then(pl.concat_str([n // 1000, pad(u)], separator=","))
        .otherwise(n.cast(pl.String))
    )


def symbol(currency: pl.Expr) -> pl.Expr:
    """ "€" for EUR, "$" for USD ...; other codes are written out: "SEK "."""
    return currency.replace_strict(SYMBOLS, default=currency + pl.lit(" "), return_dtype=pl.String)


def money(amount: pl.Expr, currency: pl.Expr | str) -> pl.Expr:
    """An amount with its symbol, whole units: "€14,000", "-€300", "SEK 90"."""
    code = pl.lit(currency) if isinstance(currency, str) else currency
    n = amount.abs().round(0).cast(pl.Int64)
    sign = pl.when(amount.round(0) < 0).then(pl.lit("-")).otherwise(pl.lit(""))
    return pl.concat_str([sign, symbol(code), _group_thousands(n)])


def plural(count: pl.Expr, one: str, many: str) -> pl.Expr:
    """ "1 touch", "4 touches"."""
    word = pl.when(count == 1).then(pl.lit(one)).otherwise(pl.lit(many))
    return pl.concat_str([whole(count), word], separator=" ")
