"""Which way a column's ``3/4/2026`` reads, decided from all its cells.

A date written ``a/b/year`` (or ``a-b-year``) is day first when ``a`` is above 12
(``25/12/2026``), month first when ``b`` is (``12/25/2026``), and either when both are
12 or less and differ (``03/04/2026``: 3 April or 4 March). A column is read one way
throughout: the cells that can only be read one way decide for the rest, as a person
reading the export would. A column whose cells say both is refused, and so is one
with cells that read both ways and none to decide (unless the file's other date
columns decide, or ``--dayfirst`` / ``--monthfirst`` does); dotted dates
(``26.05.2017``) are always day first, ISO dates never in doubt.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from dataclasses import dataclass

import polars as pl

_DAY_MONTH = r"^(\d{1,2})[/-](\d{1,2})[/-]\d{2,4}(?:[\sT]|$)"


@dataclass(frozen=True)
class Cell:
    """A cell that shows which way its column reads: its row and text."""

    row: int
    text: str


@dataclass(frozen=True)
class DateOrder:
    """What a column's cells say about reading ``a/b/year``.

    ``day_first``/``month_first``: the first cell that can only be read that way (None:
    none); ``either``: the first cell that reads both ways (None: none, so the order
    changes nothing).
    """

    day_first: Cell | None = None
    month_first: Cell | None = None
    either: Cell | None = None

    @property
    def decided(self) -> bool | None:
        """True: day first; False: month first; None: the cells do not say (or say both)."""
        if (self.day_first is None) == (self.month_first is None):
            return None
        return self.day_first is not None

    @property
    def contradicts(self) -> bool:
        return self.day_first is not None and self.month_first is not None

    @property
    def matters(self) -> bool:
        """Some cell reads differently one way or the other."""
        return self.either is not None


def date_order(cells: pl.Series, rows: pl.Series) -> DateOrder:
    """What the ``cells`` of one column (``rows``: their row numbers) say, read at once."""
    frame = pl.DataFrame({"t": cells.cast(pl.String), "r": rows.cast(pl.Int64)})
    first = pl.col("t").str.extract(_DAY_MONTH, 1).cast(pl.Int32)
    second = pl.col("t").str.extract(_DAY_MONTH, 2).cast(pl.Int32)
    frame = frame.select("t", "r", first.alias("a"), second.alias("b")).drop_nulls("a")
    if frame.height == 0:
        return DateOrder()
    a, b = pl.col("a"), pl.col("b")
    day = a.is_between(13, 31) & b.is_between(1, 12)
    month = b.is_between(13, 31) & a.is_between(1, 12)
    either = a.is_between(1, 12) & b.is_between(1, 12) & (a != b)
    return DateOrder(_first(frame, day), _first(frame, month), _first(frame, either))


def _first(frame: pl.DataFrame, where: pl.Expr) -> Cell | None:
    found = frame.filter(where).head(1)
    if found.height == 0:
        return None
    return Cell(int(found["r"][0]), str(found["t"][0]))


def order_words(day_first: bool) -> str:
    return "day/month/year" if day_first else "month/day/year"


def read_two_ways(cell: Cell) -> str:
    """``row 7: 03/04/2026 may be 3 April or 4 March``, in words a person checks."""
    text = cell.text.split()[0].split("T")[0]
    a, b = (int(part) for part in text.replace("-", "/").split("/")[:2])
    return (
        f"row {cell.row}: {text} may be {a} {calendar.month_name[b]} "
        f"or {b} {calendar.month_name[a]}"
    )


class UndecidedDates(ValueError):
    """A date column that cannot be read one way: one line naming the options."""


def decide(
    label: str, orders: Mapping[str, DateOrder], others: Mapping[str, DateOrder] | None = None
) -> tuple[dict[str, bool | None], list[str]]:
    """Which way each column (by header) reads, and a note for each whose cells could
    have been read the other way: its own cells decide, else the file's other date
    columns when they agree, else ``others`` (the deals file's, for its activities:
    one export, one way of writing dates; keyed by how a note names them). Raises
    :class:`UndecidedDates` for a column whose cells disagree, or read both ways with
    nothing to decide."""
    decided = {f"'{h}'": o.decided for h, o in orders.items() if o.decided is not None}
    pool = {f"'{h}'": o for h, o in orders.items()}
    if not decided and others:
        decided = {h: o.decided for h, o in others.items() if o.decided is not None}
        pool = dict(others)
    read: dict[str, bool | None] = {}
    notes = []
    for header, order in orders.items():
        if order.contradicts:
            raise UndecidedDates(_contradiction(label, header, order))
        day_first = order.decided
        if order.matters and day_first is None:
            if len(set(decided.values())) != 1:
                raise UndecidedDates(_undecided(label, header, order))
            like = next(iter(decided))
            day_first = decided[like]
            notes.append(_read_as(label, header, day_first, pool[like], like))
        elif order.matters and day_first is not None:
            notes.append(_read_as(label, header, day_first, order))
        read[header] = day_first
    return read, notes


def _read_as(
    label: str, header: str, day_first: bool, order: DateOrder, like: str | None = None
) -> str:
    cell = order.day_first if day_first else order.month_first
    assert cell is not None
    where = "" if like is None else f"like {like}, whose "
    return (
        f"{label}: column '{header}' read as {order_words(day_first)} "
        f"({where}row {cell.row} has {cell.text})"
    )


def _contradiction(label: str, header: str, order: DateOrder) -> str:
    assert order.day_first is not None and order.month_first is not None
    return (
        f"{label}: column '{header}' has dates written day first ({order.day_first.text}, "
        f"row {order.day_first.row}) and month first ({order.month_first.text}, row "
        f"{order.month_first.row}): pass --dayfirst or --monthfirst to say how it is "
        "written (the cells written the other way are then named)"
    )


def _undecided(label: str, header: str, order: DateOrder) -> str:
    assert order.either is not None
    return (
        f"{label}: column '{header}' has dates that read two ways "
        f"({read_two_ways(order.either)}) and none that decides: pass --dayfirst if it is "
        "written day/month/year, or --monthfirst for month/day/year"
    )
