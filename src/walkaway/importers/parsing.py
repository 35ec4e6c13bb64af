"""Columnar parsers for messy export values: money, numbers, fractions, dates.

Each parser takes a column of text and returns the parsed column; a cell that had text
but could not be parsed comes back null, so ``bad = raw.is_not_null() & parsed.is_null()``.
Ambiguous notations are settled per column, as a person reading the file would:
``5/6/17`` is US month-first unless some cell in the column has a day above 12 first;
``1.234`` is a decimal unless the column writes decimals with a comma.
"""

from __future__ import annotations

import polars as pl

from walkaway.models import DATETIME

_CURRENCY = r"[$€£¥₹]|\b(?:USD|EUR|GBP|CHF|JPY|CAD|AUD|SEK|NOK|DKK|INR)\b"
_SPACES = r"[\s\u00a0\u202f']"


def _comma_is_decimal(text: pl.Series, delimiter: str | None) -> bool:
    """Does this column write decimals with a comma (``1.234,56`` / ``12,5``)?"""
    if delimiter == ";" and bool(text.str.contains(r"^\d+,\d+$").any()):
        return True
    european = text.str.contains(r"\d\.\d{3},\d*$") | text.str.contains(r"^\d+,(\d{1,2}|\d{4,})$")
    return bool(european.any())


def parse_number(raw: pl.Series, delimiter: str | None = None) -> pl.Series:
    """Numbers as exported: ``" $22,050 "``, ``$-`` (zero), ``(1,200)``, ``1.234,56``, ``12%``.

    With both separators the last one is the decimal point; a lone ``,`` or ``.`` is a
    thousands separator only when it groups digits by three and the column says so.
    A percent sign is dropped (``12%`` is 12); use :func:`parse_fraction` for 0–1 fields.
    """
    t = pl.col("t")
    body = t.str.replace_all(_CURRENCY, "").str.replace_all(_SPACES, "").str.replace_all("%", "")
    frame = pl.DataFrame({"t": raw.cast(pl.String)}).with_columns(body.alias("b"))
    frame = frame.with_columns(
        neg=pl.col("b").str.contains(r"^\(.*\)$|^-"),
        dash_zero=pl.col("b") == "-",
        b=pl.col("b").str.replace_all(r"[()]", "").str.strip_prefix("-").str.strip_prefix("+"),
    )
    comma_decimal = _comma_is_decimal(frame["b"].drop_nulls(), delimiter)
    b = pl.col("b")
    has_comma, has_dot = b.str.contains(",", literal=True), b.str.contains(".", literal=True)
    comma_groups = b.str.contains(r"^\d{1,3}(,\d{3})+$")
    dot_groups = b.str.contains(r"^\d{1,3}(\.\d{3})+$")
    drop_dots_comma_point = b.str.replace_all(".", "", literal=True).str.replace(
        ",", ".", literal=True
    )
    drop_commas = b.str.replace_all(",", "", literal=True)
    cleaned = (
        pl.when(has_comma & has_dot)
        .then(
            pl.when(b.str.contains(r"\.\d*,\d*$"))
            .then(drop_dots_comma_point)
            .otherwise(drop_commas)
        )
        .when(has_comma)
        .then(drop_commas if not comma_decimal else b.str.replace(",", ".", literal=True))
        .when(has_dot & dot_groups & pl.lit(comma_decimal))
        .then(b.str.replace_all(".", "", literal=True))
        .otherwise(b)
    )
    if not comma_decimal:
        cleaned = (
            pl.when(has_comma & ~has_dot & ~comma_groups)
            .then(b.str.replace(",", ".", literal=True))
            .otherwise(cleaned)
        )
    value = cleaned.cast(pl.Float64, strict=False)
    value = pl.when(pl.col("dash_zero")).then(0.0).when(pl.col("neg")).then(-value).otherwise(value)
    return frame.select(value.alias(raw.name)).to_series()


def parse_fraction(raw: pl.Series, delimiter: str | None = None) -> pl.Series:
    """A fraction 0–1; ``15%`` is 0.15. Values outside 0–1 come back null (invalid)."""
    percent = raw.str.contains("%").fill_null(False)
    value = parse_number(raw, delimiter)
    value = value.zip_with(~percent, value / 100.0)
    return value.zip_with(
        (value >= 0) & (value <= 1), pl.Series([None] * len(value), dtype=pl.Float64)
    )


def parse_count(raw: pl.Series, delimiter: str | None = None) -> pl.Series:
    """A whole number ≥ 0."""
    value = parse_number(raw, delimiter)
    whole = (value >= 0) & (value == value.round(0))
    return value.zip_with(
        whole.fill_null(False), pl.Series([None] * len(value), dtype=pl.Float64)
    ).cast(pl.Int64)


_ISO = [
    "%Y-%m-%dT%H:%M:%S%.f%z",
    "%Y-%m-%dT%H:%M:%S%z",
    "%Y-%m-%dT%H:%M%z",
    "%Y-%m-%d %H:%M:%S%.f%z",
    "%Y-%m-%d %H:%M:%S%z",
]
_NAIVE_ISO = [
    "%Y-%m-%dT%H:%M:%S%.f",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%d %H:%M:%S%.f",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d",
    "%Y/%m/%d",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
]
_TIMES = ["", " %H:%M", " %H:%M:%S", " %I:%M %p", " %I:%M:%S %p", " %I:%M%p"]


def _slash_formats(day_first: bool, sep: str) -> list[str]:
    head = f"%d{sep}%m" if day_first else f"%m{sep}%d"
    return [f"{head}{sep}{year}{t}" for year in ("%Y", "%y") for t in _TIMES]


def parse_datetime(raw: pl.Series) -> pl.Series:
    """Datetimes as naive UTC from ISO 8601 (with or without offset), US ``5/26/17``,
    European ``26/05/2017`` or ``26.05.2017``, with or without a time."""
    text = (
        raw.cast(pl.String)
        .str.replace(r"(?i)z$", "+00:00")
        .str.replace(r"(\d)\s*(?i)(am|pm)$", "$1 $2")
        .str.to_uppercase()
    )
    frame = pl.DataFrame({"t": text})
    day_first_slash = bool(frame["t"].str.contains(r"^(1[3-9]|2\d|3[01])/\d{1,2}/").any())
    two_digit_year = pl.col("t").str.contains(r"^\d{1,2}[/.-]\d{1,2}[/.-]\d{2}(\s|$)")
    candidates: list[pl.Expr] = [
        pl.col("t")
        .str.to_datetime(fmt, strict=False, time_unit="us", time_zone="UTC")
        .dt.replace_time_zone(None)
        for fmt in _ISO
    ]
    candidates += [
        pl.col("t").str.to_datetime(fmt, strict=False, time_unit="us") for fmt in _NAIVE_ISO
    ]
    # %Y takes any number of digits: without this, "2/1/17" would be the year 2.
    year_first = pl.col("t").str.contains(r"^\d{4}\D")
    candidates = [pl.when(year_first).then(c) for c in candidates]
    for sep, day_first in (("/", day_first_slash), (".", True), ("-", day_first_slash)):
        for fmt in _slash_formats(day_first, sep):
            parsed = pl.col("t").str.to_datetime(fmt, strict=False, time_unit="us")
            wants_short = "%y" in fmt
            guard = two_digit_year if wants_short else ~two_digit_year
            candidates.append(pl.when(guard).then(parsed))
    result = frame.select(pl.coalesce(candidates).cast(DATETIME)).to_series()
    return result.rename(raw.name)


def parse_date(raw: pl.Series) -> pl.Series:
    """A calendar date (any notation :func:`parse_datetime` reads)."""
    return parse_datetime(raw).dt.date()
