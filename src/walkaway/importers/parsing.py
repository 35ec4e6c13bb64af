"""Columnar parsers for messy export values: money, numbers, fractions, dates.

Each parser takes a column of text and returns the parsed column; a cell that had text
but could not be parsed comes back null, so ``bad = raw.is_not_null() & parsed.is_null()``.
Ambiguous notations are settled per column, as a person reading the file would:
``5/6/17`` reads the way the column's other cells show (walkaway.importers.dates
decides it, or refuses a column that cannot be decided); ``1.234`` is a decimal unless
the column writes decimals with a comma (a lone ``25.000`` the strict reading refuses).
"""

from __future__ import annotations

import polars as pl

from walkaway.models import DATETIME

_CURRENCY = r"[$€£¥₹]|\b(?:USD|EUR|GBP|CHF|JPY|CAD|AUD|SEK|NOK|DKK|INR)\b"
_SPACES = r"[\s\u00a0\u202f']"
# ``25.000``: a thousand grouped with a point, or a decimal with three places.
_ONE_DOT_GROUP = r"^[1-9]\d{0,2}\.\d{3}$"


class AmbiguousNumbers(ValueError):
    """A column whose cells say both that a comma is the decimal mark and that it is
    not, or that do not say either way where it matters; the reason names a cell."""


def nulls(name: str, height: int, dtype: pl.DataType | type[pl.DataType]) -> pl.Series:
    """``height`` nulls of ``dtype``, made without a list of Nones (a million of them:
    0.02-0.04 s of building and scanning it)."""
    return pl.repeat(None, height, dtype=dtype, eager=True).alias(name)


def _comma_is_decimal(
    text: pl.Series, delimiter: str | None, decimal: str | None = None, *, strict: bool = False
) -> bool:
    """Does this column write decimals with a comma (``1.234,56`` / ``12,5``)? ``decimal``
    says so outright; ``strict``: a column that cannot be decided from all its cells
    raises :class:`AmbiguousNumbers` rather than being read one way."""
    if decimal is not None:
        return decimal == ","
    european = text.str.contains(r"\d\.\d{3},\d*$") | text.str.contains(r"^\d+,(\d{1,2}|\d{4,})$")
    if strict:
        _refuse_undecided(text, european, delimiter)
    if delimiter == ";" and bool(text.str.contains(r"^\d+,\d+$").any()):
        return True
    return bool(european.any())


def _refuse_undecided(text: pl.Series, european: pl.Series, delimiter: str | None) -> None:
    grouped = text.filter(text.str.contains(r"^\d{1,3}(,\d{3})+$").fill_null(False))
    comma = text.filter(european.fill_null(False))
    point = text.filter(
        text.str.contains(r"\d,\d{3}\.\d*$|^\d+\.(\d{1,2}|\d{4,})$").fill_null(False)
    )
    if len(comma) and len(point):
        raise AmbiguousNumbers(
            f"writes decimals both with a comma ({comma[0]!r}) and with a point ({point[0]!r})"
        )
    if len(comma) and len(grouped):
        raise AmbiguousNumbers(
            f"has {grouped[0]!r} (a thousands comma?) and {comma[0]!r} (a decimal comma)"
        )
    dotted = text.filter(text.str.contains(_ONE_DOT_GROUP).fill_null(False))
    if len(dotted) and not (len(comma) or len(point) or len(grouped)):
        raise AmbiguousNumbers(
            f"has {dotted[0]!r}, which may be {dotted[0].replace('.', '')} (a thousands "
            f"point) or {float(dotted[0]):g} (a decimal)"
        )
    if delimiter == ";" and len(grouped) and not len(point):
        raise AmbiguousNumbers(
            f"has {grouped[0]!r}, which in a semicolon file may be {grouped[0].replace(',', '')} "
            f"or {grouped[0].replace(',', '.')}"
        )


def parse_number(
    raw: pl.Series,
    delimiter: str | None = None,
    decimal: str | None = None,
    *,
    strict: bool = False,
) -> pl.Series:
    """Numbers as exported: ``" $22,050 "``, ``$-`` (zero), ``(1,200)``, ``1.234,56``, ``12%``.

    With both separators the last one is the decimal point; a lone ``,`` or ``.`` is a
    thousands separator only when it groups digits by three and the column says so.
    A percent sign is dropped (``12%`` is 12); use :func:`parse_fraction` for 0–1 fields.
    ``decimal`` (``,`` or ``.``) says which mark the column's decimals use; without it
    the column's cells decide, and ``strict`` refuses one they cannot
    (:class:`AmbiguousNumbers`).
    """
    text = raw.cast(pl.String)
    # Most columns hold plain decimals (2.5, 1200), which the rules read as they stand:
    # casting them directly gives the same at a tenth of the work.
    plain = text.str.contains(r"^\d+(\.\d+)?$")
    if decimal == "," or (strict and decimal is None):
        # ``25.000`` is 25 only once the column's other cells (or --decimal .) say so.
        plain = plain & ~text.str.contains(_ONE_DOT_GROUP)
    if not bool((text.is_not_null() & ~plain).any()):
        return text.cast(pl.Float64, strict=False)
    return _parse_messy_number(text, delimiter, decimal, strict).rename(raw.name)


def _parse_messy_number(
    raw: pl.Series, delimiter: str | None, decimal: str | None = None, strict: bool = False
) -> pl.Series:
    """The rules of :func:`parse_number`, cell by cell, settled for the whole column."""
    t = pl.col("t")
    body = t.str.replace_all(_CURRENCY, "").str.replace_all(_SPACES, "").str.replace_all("%", "")
    frame = pl.DataFrame({"t": raw.cast(pl.String)}).with_columns(body.alias("b"))
    frame = frame.with_columns(
        neg=pl.col("b").str.contains(r"^\(.*\)$|^-"),
        dash_zero=pl.col("b") == "-",
        b=pl.col("b").str.replace_all(r"[()]", "").str.strip_prefix("-").str.strip_prefix("+"),
    )
    comma_decimal = _comma_is_decimal(frame["b"].drop_nulls(), delimiter, decimal, strict=strict)
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
        .when(has_dot & dot_groups & (pl.lit(comma_decimal) | (b.str.count_matches(r"\.") > 1)))
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


def parse_fraction(
    raw: pl.Series, delimiter: str | None = None, decimal: str | None = None
) -> pl.Series:
    """A fraction 0–1; ``15%`` is 0.15. Values outside 0–1 come back null (invalid)."""
    percent = raw.str.contains("%").fill_null(False)
    value = parse_number(raw, delimiter, decimal)
    value = value.zip_with(~percent, value / 100.0)
    return value.zip_with((value >= 0) & (value <= 1), nulls("", len(value), pl.Float64))


def parse_count(raw: pl.Series, delimiter: str | None = None) -> pl.Series:
    """A whole number ≥ 0."""
    value = parse_number(raw, delimiter)
    whole = (value >= 0) & (value == value.round(0))
    return value.zip_with(whole.fill_null(False), nulls("", len(value), pl.Float64)).cast(pl.Int64)


# Within each list the plain layout comes before its fractional-seconds twin: both read
# a cell without a fraction the same, and the plain one is the cheaper to run.
_ISO = [
    "%Y-%m-%dT%H:%M:%S%z",
    "%Y-%m-%dT%H:%M:%S%.f%z",
    "%Y-%m-%dT%H:%M%z",
    "%Y-%m-%d %H:%M:%S%z",
    "%Y-%m-%d %H:%M:%S%.f%z",
]
_NAIVE_ISO = [
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%dT%H:%M:%S%.f",
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M:%S%.f",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d",
    "%Y/%m/%d",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
]
_TIMES = ["", " %H:%M", " %H:%M:%S", " %I:%M %p", " %I:%M:%S %p", " %I:%M%p"]
# Cells looked at to learn which notations a column uses.
_SAMPLE_CELLS = 1000


def _slash_formats(day_first: bool, sep: str) -> list[str]:
    head = f"%d{sep}%m" if day_first else f"%m{sep}%d"
    return [f"{head}{sep}{year}{t}" for year in ("%Y", "%y") for t in _TIMES]


def _normalise_datetime_text(raw: pl.Series) -> pl.Series:
    """One spelling for the parsers: ``Z`` as ``+00:00``, ``5pm`` as ``5 PM``, upper case."""
    text = raw.cast(pl.String)
    # Only a cell ending in a letter needs the rewrites; most columns have none.
    if bool(text.str.contains(r"[A-Za-z]$").any()):
        text = text.str.replace(r"(?i)z$", "+00:00").str.replace(r"(\d)\s*(?i)(am|pm)$", "$1 $2")
    return text.str.to_uppercase()


def _datetime_candidates(text: pl.Series, day_first: bool | None = None) -> list[pl.Expr]:
    """Every notation read, as expressions on column ``t``, in order of preference.
    ``day_first`` says how ``3/4/2026`` and ``3-4-2026`` read; None: day first when some
    cell has a day above 12 first, else month first."""
    if day_first is None:  # (a column without a slash, ISO's, skips the pattern)
        slashed = bool(text.str.contains("/", literal=True).any())
        day_first = slashed and bool(text.str.contains(r"^(1[3-9]|2\d|3[01])/\d{1,2}/").any())
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
    for sep, first in (("/", day_first), (".", True), ("-", day_first)):
        for fmt in _slash_formats(first, sep):
            parsed = pl.col("t").str.to_datetime(fmt, strict=False, time_unit="us")
            wants_short = "%y" in fmt
            guard = two_digit_year if wants_short else ~two_digit_year
            candidates.append(pl.when(guard).then(parsed))
    return [c.cast(DATETIME).alias(f"c{i}") for i, c in enumerate(candidates)]


def _coalesce_parsed(frame: pl.DataFrame, candidates: list[pl.Expr]) -> pl.Series:
    if not candidates:
        return nulls("t", frame.height, DATETIME)
    return frame.select(pl.coalesce(candidates).alias("t")).to_series()


def _notations_used(sample: pl.DataFrame, candidates: list[pl.Expr]) -> list[pl.Expr]:
    """The fewest candidates that read every sample cell any candidate reads, in order."""
    left = sample.select([c.is_not_null() for c in candidates])
    chosen: list[int] = []
    while left.height:
        counts = left.sum().row(0)
        best = max(range(len(counts)), key=lambda i: (counts[i], -i))
        if not counts[best]:
            break
        chosen.append(best)
        left = left.filter(~pl.col(f"c{best}"))
    return [candidates[i] for i in sorted(chosen)]


def parse_datetime(raw: pl.Series, day_first: bool | None = None) -> pl.Series:
    """Datetimes as naive UTC from ISO 8601 (with or without offset), US ``5/26/17``,
    European ``26/05/2017`` or ``26.05.2017``, with or without a time. ``day_first``
    says which way ``3/4/2026`` reads (None: as :func:`_datetime_candidates` guesses;
    the validator decides it per column first: walkaway.importers.dates)."""
    text = _normalise_datetime_text(raw)
    frame = pl.DataFrame({"t": text})
    candidates = _datetime_candidates(text, day_first)
    # A column is written in one or two notations: find them on a sample and parse the
    # whole column with those alone; only cells still unparsed try every notation. The
    # notations exclude one another (a cell reads in one, or as the same moment in
    # two), so this is what trying them all in order gives, at a fraction of the work.
    sample = frame.filter(pl.col("t").is_not_null()).head(_SAMPLE_CELLS)
    parsed = _coalesce_parsed(frame, _notations_used(sample, candidates))
    unparsed = text.is_not_null() & parsed.is_null()
    if unparsed.any():
        rest = _coalesce_parsed(frame.filter(unparsed), candidates)
        parsed = parsed.scatter(unparsed.arg_true(), rest)
    return parsed.rename(raw.name)


def parse_date(raw: pl.Series, day_first: bool | None = None) -> pl.Series:
    """A calendar date (any notation :func:`parse_datetime` reads)."""
    return parse_datetime(raw, day_first).dt.date()
