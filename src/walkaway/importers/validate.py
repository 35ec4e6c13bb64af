"""Validating mapped tables into typed deal and activity frames, all rows at once.

Problems are collected as a frame (row, column, value, expected) rather than raised one
at a time, so a user sees every problem of a file in one go.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import polars as pl

from walkaway.bounds import (  # the limits docs/format.md names
    BEFORE,
    EARLIEST,
    MAX_ACTIVITY_HOURS,
    MAX_AMOUNT,
    MAX_COUNT,
    MAX_DEAL_HOURS,
)
from walkaway.errors import InputError
from walkaway.importers import parsing
from walkaway.importers.base import Mapped
from walkaway.importers.columns import missing_columns_line
from walkaway.importers.currency import ISO_CODE, deal_currencies, named_currency
from walkaway.importers.dates import DateOrder, UndecidedDates, date_order, decide
from walkaway.importers.reading import ROW_COLUMN
from walkaway.models import (
    ACTIVITY_SCHEMA,
    DEAL_SCHEMA,
    QUALIFICATION_VALUES,
    SHORT_TEXT,
    ActivityKind,
    ActivityStatus,
    Direction,
    Outcome,
)

# A problem line quotes at most this much of the cell it is about.
SHOWN_CHARS = 60

PROBLEM_SCHEMA = {
    "file": pl.String,
    "row": pl.Int64,
    "column": pl.String,
    "value": pl.String,
    "expected": pl.String,
}


_FRACTION_FIELDS = {
    "margin": "a fraction 0–1 (or a percentage)",
    "discount_requested": "a fraction 0–1 (or a percentage)",
    "manual_probability": "a probability 0–1 (or a percentage)",
}
_COUNT_FIELDS = ("custom_requests", "missing_features")
_DATE_RANGE = f"between {EARLIEST:%Y-%m-%d} and {BEFORE.year - 1}-12-31"
_DATE_TEXT = f"a date (ISO 2026-03-01, 3/1/26 or 01.03.2026) {_DATE_RANGE}"
_MOMENT_TEXT = f"a date-time (ISO 8601) {_DATE_RANGE}"


def _range(low: float, high: float) -> str:
    return f"{low:,}–{high:,}"


@dataclass(frozen=True)
class Validated:
    """Typed rows that passed, the source rows (text) and the problems found."""

    frame: pl.DataFrame  # typed, with ``__row``
    source: pl.DataFrame  # the mapped text frame, with ``__row``
    problems: pl.DataFrame  # PROBLEM_SCHEMA
    # How the file was read where it could have been read otherwise (for the summary).
    notes: tuple[str, ...] = ()
    # What each date column's cells say of reading 3/4/2026, named as a note names it
    # (an activities file of the same export falls back on its deals file's).
    date_orders: Mapping[str, DateOrder] = field(default_factory=dict)


class AmbiguousColumn(InputError):
    """A column whose notation its own cells cannot decide (one line, naming the
    option that decides it)."""


class _Checker:
    def __init__(self, mapped: Mapped) -> None:
        self.mapped = mapped
        self.text = mapped.frame
        self.found: list[pl.DataFrame] = []
        self.notes: list[str] = []
        self.orders: dict[str, DateOrder] = {}

    def col(self, name: str) -> pl.Series:
        if name in self.text.columns:
            return self.text[name]
        return parsing.nulls(name, self.text.height, pl.String)

    def report(self, mask: pl.Series, column: str, expected: str) -> None:
        mask = mask.fill_null(False)
        if not bool(mask.any()):
            return
        rows = self.text.filter(mask)
        self.found.append(
            pl.DataFrame(
                {
                    "file": [self.mapped.label] * rows.height,
                    "row": rows[ROW_COLUMN],
                    "column": [self.mapped.origin(column)] * rows.height,
                    "value": self.col(column).filter(mask),
                    "expected": [expected] * rows.height,
                },
                schema=PROBLEM_SCHEMA,
            )
        )

    def parsed(self, name: str, values: pl.Series, expected: str) -> pl.Series:
        self.report(self.col(name).is_not_null() & values.is_null(), name, expected)
        return values.rename(name)

    def number(
        self, name: str, low: float, high: float, expected: str, *, whole: bool = False
    ) -> pl.Series:
        """A number within ``low``–``high`` (never NaN or infinite); any other cell is
        reported once, unreadable or out of range alike, and comes back null."""
        values = self.parsed_number(name)
        self.report(self.col(name).is_not_null() & values.is_null(), name, expected)
        outside = (values.is_nan() | (values < low) | (values > high)).fill_null(False)
        if whole:
            outside = outside | (values != values.round(0)).fill_null(False)
        self.report(outside, name, expected)
        return values.zip_with(~outside, parsing.nulls(name, len(values), pl.Float64))

    def parsed_number(self, name: str) -> pl.Series:
        """The column read as numbers; one the cells cannot decide is refused, naming
        the option that decides it."""
        mapped = self.mapped
        try:
            values = parsing.parse_number(
                self.col(name), mapped.delimiter, mapped.decimal, strict=True
            )
        except parsing.AmbiguousNumbers as error:
            raise AmbiguousColumn(
                f"{mapped.label}: column '{mapped.origin(name)}' {error}: pass --decimal , "
                "if its decimals are written with a comma, or --decimal . with a point"
            ) from None
        return values.rename(name)

    def date_orders(
        self, names: tuple[str, ...], others: Mapping[str, DateOrder] | None = None
    ) -> dict[str, bool | None]:
        """Which way each date column reads ``3/4/2026`` (True: day first), columns read
        from one header decided together (:func:`walkaway.importers.dates.decide`)."""
        present = [n for n in names if n in self.text.columns]
        if self.mapped.day_first is not None:
            return dict.fromkeys(present, self.mapped.day_first)
        by_header: dict[str, list[str]] = {}
        for name in present:
            by_header.setdefault(self.mapped.origin(name), []).append(name)
        orders = {}
        for header, columns in by_header.items():
            cells = pl.concat([self.col(c) for c in columns])
            orders[header] = date_order(cells, pl.concat([self.text[ROW_COLUMN]] * len(columns)))
        try:
            read, notes = decide(self.mapped.label, orders, others)
        except UndecidedDates as error:
            raise AmbiguousColumn(str(error)) from None
        self.notes += notes
        self.orders.update({f"{self.mapped.label}'s '{h}'": o for h, o in orders.items()})
        return {name: read[header] for header, cols in by_header.items() for name in cols}

    def count(self, name: str, low: int, high: int) -> pl.Series:
        expected = f"a whole number {_range(low, high)}"
        return self.number(name, low, high, expected, whole=True).cast(pl.Int64)

    def moment(self, name: str, parsed: pl.Series, expected: str) -> pl.Series:
        """A date or date-time in the plausible range (:data:`EARLIEST` up to
        :data:`BEFORE`): a year 9999 or 0001 is junk, and would overflow the date
        arithmetic of every review."""
        values = self.parsed(name, parsed, expected)
        day = values.cast(pl.Datetime("us"))
        outside = ((day < EARLIEST) | (day >= BEFORE)).fill_null(False)
        self.report(outside, name, expected)
        return values.zip_with(~outside, parsing.nulls(name, len(values), values.dtype))

    def short_text(self, *names: str) -> None:
        """Ids and names the store keeps in columns of :data:`SHORT_TEXT` characters."""
        for name in names:
            too_long = self.col(name).str.len_chars() > SHORT_TEXT
            self.report(too_long, name, f"at most {SHORT_TEXT} characters long")

    def no_nul(self) -> None:
        """A NUL character is binary junk, and PostgreSQL cannot store it in text."""
        if self.mapped.nul_free:
            return
        names = [n for n, t in self.text.schema.items() if n != ROW_COLUMN and t == pl.String]
        # One pass over every column at once (in parallel); a column at a time only
        # when some column holds one, to say which rows.
        found = self.text.select(pl.col(names).str.contains("\x00", literal=True).any())
        for name in (n for n in names if found[n].item()):
            nul = self.text[name].str.contains("\x00", literal=True)
            self.report(nul, name, "text without NUL characters (is the file binary?)")

    def required(self, name: str, expected: str, when: pl.Series | None = None) -> None:
        if name not in self.text.columns and when is None:
            return  # a missing required column is reported once, by require_columns
        missing = self.col(name).is_null()
        if when is not None:
            missing = missing & when
        self.report(missing, name, expected)

    def choice(self, name: str, allowed: tuple[str, ...], default: str | None = None) -> pl.Series:
        """The column's cells as words (:func:`_choice_words`), each one of ``allowed``
        (any other reported, and null) or null; ``default`` for a null. A column of few
        distinct values (a million activities of a dozen kinds) is judged on those values
        and laid back by their codes: a third of the work."""
        values = self.col(name)
        coded = _coded(values)
        if coded is None:
            words = _choice_words(values).rename(name)
            bad = (words.is_not_null() & ~words.is_in(list(allowed))).fill_null(False)
            kept = words.zip_with(~bad, parsing.nulls(name, len(words), pl.String))
        else:
            distinct, codes = coded
            words = _choice_words(distinct).rename(name)
            fits = words.is_in(list(allowed))
            bad = (~fits).gather(codes).fill_null(False)
            kept = words.zip_with(fits, parsing.nulls(name, len(words), pl.String)).gather(codes)
        self.report(bad, name, "one of " + ", ".join(allowed))
        return kept.fill_null(default) if default is not None else kept

    def problems(self) -> pl.DataFrame:
        if not self.found:
            return pl.DataFrame(schema=PROBLEM_SCHEMA)
        return pl.concat(self.found)


def _choice_words(values: pl.Series) -> pl.Series:
    """``values`` lower-cased, each run of spaces and hyphens one underscore ("Stage
    Change" → ``stage_change``)."""
    return values.str.to_lowercase().str.replace_all(r"[\s\-]+", "_")


def _coded(values: pl.Series) -> tuple[pl.Series, pl.Series] | None:
    """A text column of few distinct values as those values and each row's code (null
    for a null cell); None for a column of many (its first 1,024 cells tell)."""
    sample = values.head(1024)
    if sample.n_unique() * 4 >= len(sample):
        return None
    distinct = values.drop_nulls().unique()
    if len(distinct) * 4 >= len(values):
        return None
    return distinct, values.cast(pl.Enum(distinct)).to_physical()


def require_columns(mapped: Mapped, required: dict[str, str]) -> None:
    """A missing required column makes the whole file unreadable: say so in one line."""
    missing = [c for c in required if c not in mapped.frame.columns]
    if missing:
        raise InputError(missing_columns_line(mapped, [required[c] for c in missing]))


def _attributes(mapped: Mapped) -> pl.Series:
    if not mapped.extras:
        return pl.Series("attributes", ["{}"] * mapped.frame.height, dtype=pl.String)
    return mapped.frame.select(
        pl.struct(list(mapped.extras)).struct.json_encode().alias("attributes")
    ).to_series()


def validate_deals(mapped: Mapped, default_currency: str) -> Validated:
    """Check and type a deals table (FORMAT.md rules)."""
    require_columns(mapped, {"deal_id": "deal_id", "amount": "amount", "created_at": "created_at"})
    check = _Checker(mapped)
    delimiter = mapped.delimiter
    check.required("deal_id", "a deal id")
    check.short_text("deal_id", "owner", "stage")
    check.no_nul()
    outcome = check.choice("outcome", tuple(o.value for o in Outcome), default=Outcome.OPEN)
    closed = outcome.is_in([Outcome.WON, Outcome.LOST])
    out: dict[str, pl.Series] = {"deal_id": check.col("deal_id"), "outcome": outcome}
    for name in ("name", "account", "owner", "stage", "loss_reason"):
        out[name] = check.col(name)
    check.required("stage", "a stage (required for open deals)", when=~closed)
    amount_text = f"a number {_range(0, MAX_AMOUNT)}"
    out["amount"] = check.number("amount", 0, MAX_AMOUNT, amount_text)
    check.required("amount", amount_text)
    hours_text = f"a number of hours {_range(0, MAX_DEAL_HOURS)}"
    out["hours_invested"] = check.number("hours_invested", 0, MAX_DEAL_HOURS, hours_text)
    for name, expected in _FRACTION_FIELDS.items():
        fraction = parsing.parse_fraction(check.col(name), delimiter, mapped.decimal)
        out[name] = check.parsed(name, fraction, expected)
    for name in _COUNT_FIELDS:
        out[name] = check.count(name, 0, MAX_COUNT)
    out["rep_confidence"] = check.count("rep_confidence", 1, 5)
    orders = check.date_orders(("created_at", "closed_at", "expected_close"))
    for name in ("created_at", "closed_at"):
        parsed = parsing.parse_datetime(check.col(name), orders.get(name))
        out[name] = check.moment(name, parsed, _DATE_TEXT)
    check.required("created_at", _DATE_TEXT)
    check.required("closed_at", "a close date (required when won or lost)", when=closed)
    out["expected_close"] = check.moment(
        "expected_close",
        parsing.parse_date(check.col("expected_close"), orders.get("expected_close")),
        _DATE_TEXT,
    )
    currency = named_currency(check.col("currency"))
    check.report(
        currency.is_not_null() & ~currency.str.contains(ISO_CODE),
        "currency",
        "a 3-letter ISO 4217 code such as EUR or USD (or its symbol)",
    )
    out["currency"] = deal_currencies(currency, check.col("amount"), default_currency)
    for name, allowed in QUALIFICATION_VALUES.items():
        out[name] = check.choice(name, allowed)
    out["attributes"] = _attributes(mapped)
    typed = pl.DataFrame(out).with_columns(mapped.frame[ROW_COLUMN])
    duplicated = typed["deal_id"].is_duplicated() & ~typed["deal_id"].is_first_distinct()
    check.report(duplicated, "deal_id", "a deal id not already used higher up in the file")
    typed = typed.select([pl.col(c).cast(t) for c, t in DEAL_SCHEMA.items()] + [pl.col(ROW_COLUMN)])
    return Validated(typed, mapped.frame, check.problems(), tuple(check.notes), check.orders)


def validate_activities(
    mapped: Mapped, known_deals: pl.Series, date_hints: Mapping[str, DateOrder] | None = None
) -> Validated:
    """Check and type an activities table; every activity must belong to a known deal.
    ``date_hints``: the deals file's date columns, for an ``at`` its cells cannot decide."""
    require_columns(mapped, {"deal_id": "deal_id", "at": "at", "kind": "kind"})
    check = _Checker(mapped)
    check.required("deal_id", "a deal id")
    check.short_text("deal_id", "stage", "actor")
    check.no_nul()
    unknown = check.col("deal_id").is_not_null() & ~check.col("deal_id").is_in(
        known_deals.implode()
    )
    check.report(unknown, "deal_id", "a deal_id present in the deals file or already imported")
    day_first = check.date_orders(("at",), date_hints).get("at")
    at = check.moment("at", parsing.parse_datetime(check.col("at"), day_first), _MOMENT_TEXT)
    check.required("at", _MOMENT_TEXT)
    kind = check.choice("kind", tuple(k.value for k in ActivityKind))
    check.required("kind", "an activity kind")
    direction = check.choice("direction", tuple(d.value for d in Direction))
    status = check.choice("status", tuple(s.value for s in ActivityStatus), default="done")
    hours_text = f"hours {_range(0, MAX_ACTIVITY_HOURS)}"
    hours = check.number("hours", 0, MAX_ACTIVITY_HOURS, hours_text)
    check.required(
        "stage", "the stage entered (required for stage_change)", when=kind == "stage_change"
    )
    typed = pl.DataFrame(
        {
            "deal_id": check.col("deal_id"),
            "at": at,
            "kind": kind,
            "direction": direction,
            "status": status,
            "hours": hours,
            "stage": check.col("stage"),
            "detail": check.col("detail"),
            "actor": check.col("actor"),
        }
    ).with_columns(mapped.frame[ROW_COLUMN])
    typed = typed.select(
        [pl.col(c).cast(t) for c, t in ACTIVITY_SCHEMA.items()] + [pl.col(ROW_COLUMN)]
    )
    return Validated(typed, mapped.frame, check.problems(), tuple(check.notes))


def problem_lines(problems: pl.DataFrame) -> list[str]:
    """One line per problem: file, row, column, the value and what was expected."""
    problems = problems.sort("file", "row")
    lines = []
    for file, row, column, value, expected in problems.iter_rows():
        if value is None:
            lines.append(f"{file}: row {row}, column '{column}': empty; expected {expected}")
        else:
            shown = _quote_cell(value)
            lines.append(f"{file}: row {row}, column '{column}': {shown} is not {expected}")
    return lines


def _quote_cell(value: str) -> str:
    """A cell as a problem line quotes it: on one line, and a huge one cut short."""
    if len(value) <= SHOWN_CHARS:
        return repr(value)
    return f"{value[:SHOWN_CHARS]!r}… ({len(value):,} characters)"
