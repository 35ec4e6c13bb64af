"""Lists that read well at any width, in a terminal or a pipe.

The default view has a few columns sized to the screen (80 columns when it is a pipe),
the widest one taking what is left, and under each row its detail on lines of its own,
wrapped at words. ``--wide`` prints the full table at the width it needs, in a pipe too,
so no cell is ever cut to a few letters.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Literal

import typer
from rich.cells import cell_len
from rich.measure import Measurement
from rich.segment import Segments
from rich.table import Table
from rich.text import Text

from walkaway.cli.common import out
from walkaway.wording import money_text

WideOption = Annotated[
    bool,
    typer.Option("--wide", help="The full table, every column, at the width it needs."),
]
GAP = "  "
DETAIL_INDENT = "    "
NARROWEST = 60  # below this the columns stop shrinking; the terminal wraps the rest
FLEX_FLOOR = 12  # the widest column keeps at least this much


@dataclass(frozen=True)
class Column:
    """A column of the narrow list. ``width=None``: the one that takes what is left."""

    header: str
    width: int | None = None
    justify: Literal["left", "right"] = "left"


@dataclass(frozen=True)
class Row:
    """One row of cells, and the lines printed under it (wrapped, indented)."""

    cells: tuple[str | Text, ...]
    details: tuple[str, ...] = field(default_factory=tuple)


def money(value: float | None, currency: str | None = None) -> str:
    """``€44,500``, ``$1,200``, ``SEK 90`` (``44,500`` without a currency); an em dash
    for no value."""
    return money_text(value, currency)


def screen_width() -> int:
    """The width to lay a list out for: the terminal's, else $COLUMNS, else 80."""
    return max(NARROWEST, out.width)


def _flex_width(columns: Sequence[Column], rows: Sequence[Row], width: int) -> int:
    fixed = sum(c.width or 0 for c in columns) + len(GAP) * (len(columns) - 1)
    flex = next(i for i, c in enumerate(columns) if c.width is None)
    longest = max([cell_len(columns[flex].header)] + [_cell(r.cells[flex]).cell_len for r in rows])
    return max(FLEX_FLOOR, min(longest, width - fixed))


def _cell(value: str | Text) -> Text:
    return value.copy() if isinstance(value, Text) else Text(value)


def _line(cells: Iterable[str | Text], columns: Sequence[Column], widths: Sequence[int]) -> Text:
    parts: list[Text] = []
    for value, column, width in zip(cells, columns, widths, strict=True):
        text = _cell(value)
        text.truncate(width, overflow="ellipsis")
        room = width - text.cell_len
        text = Text(" " * room) + text if column.justify == "right" else text + " " * room
        parts.append(text)
    line = Text(GAP).join(parts)
    line.rstrip()
    return line


def wrapped(text: str, width: int, first: str = DETAIL_INDENT, rest: str | None = None) -> str:
    """``text`` wrapped at words to ``width``: the first line indented by ``first``, the
    others by ``rest`` (default: the same)."""
    return textwrap.fill(
        text,
        width=width,
        initial_indent=first,
        subsequent_indent=first if rest is None else rest,
        break_on_hyphens=False,
    )


def print_list(columns: Sequence[Column], rows: Sequence[Row]) -> None:
    """A header, a rule, and each row with its details, fitted to the screen."""
    width = screen_width()
    flex = _flex_width(columns, rows, width)
    widths = [c.width if c.width is not None else flex for c in columns]
    header = _line((Text(c.header, style="bold") for c in columns), columns, widths)
    out.print(header, highlight=False)
    out.print("─" * min(width, sum(widths) + len(GAP) * (len(widths) - 1)), style="dim")
    for row in rows:
        out.print(_line(row.cells, columns, widths), highlight=False)
        for detail in row.details:
            out.print(wrapped(detail, width), highlight=False, markup=False)


def print_wide(title: str, table: Table) -> None:
    """A bold title, then the table at the width its cells need (never cut), even in a pipe."""
    out.print(f"[bold]{title}[/bold]", highlight=False)
    needed = Measurement.get(out, out.options.update(max_width=100_000), table).maximum
    # Console.print never goes past the console's width: render at the needed width and
    # print the finished lines, which a soft-wrapping console leaves whole.
    out.print(Segments(out.render(table, out.options.update(width=needed))))
