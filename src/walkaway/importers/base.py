"""What every source format hands to the validator: a table in generic column names."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import polars as pl

from walkaway.importers.reading import ROW_COLUMN, RawTable


@dataclass(frozen=True)
class Mapped:
    """A source table mapped onto the generic format, still as text.

    ``frame`` has the generic column names (FORMAT.md) for what the source knows,
    ``extras`` for the columns that become attributes (under a tidy snake_case key),
    and ``__row`` for messages; ``origins`` maps each generic or extra column back to
    the header the user sees in the file.
    """

    label: str
    frame: pl.DataFrame
    origins: Mapping[str, str] = field(default_factory=dict)
    extras: tuple[str, ...] = ()
    delimiter: str | None = None
    # The file's own headers, as it has them (for messages that list them).
    headers: tuple[str, ...] = ()
    # The decimal mark a person named (--decimal); None: each column's cells decide.
    decimal: str | None = None
    # How a person said ``3/4/2026`` reads (--dayfirst True, --monthfirst False); None:
    # each date column's cells decide (walkaway.importers.dates).
    day_first: bool | None = None
    # The table read holds no NUL character (RawTable.nul_free).
    nul_free: bool = False

    def origin(self, column: str) -> str:
        return self.origins.get(column, column)


Aliases = Mapping[str, tuple[str, ...]]


@dataclass(frozen=True)
class SourceFormat:
    """A CRM export format: how to recognise it, its built-in column mapping and what it
    does beyond renaming columns.

    Every format reads a deals file the same way (:meth:`map_deals`): its rows trimmed
    (``trim``: a report's footer), its headers renamed by ``deal_aliases`` — the
    format's built-in mapping, the header spellings it reads each column from, over
    which a team's ``--map`` lays its own headers (walkaway.importers.columns) — and
    then what the format knows of its CRM's columns (``convert_deals``: stage names
    that mean won or lost, a close date that means two things, ...).
    """

    name: str
    # How sure we are (0–1) that these deal-file headers are this format.
    detect: Callable[[list[str]], float]
    map_activities: Callable[[RawTable], Mapped]
    # A leading underscore marks a helper column the format turns into generic ones
    # ("_close": closed_at and expected_close).
    deal_aliases: Aliases
    convert_deals: Callable[[Mapped, RawTable], Mapped] | None = None
    trim: Callable[[RawTable], RawTable] | None = None
    description: str = ""

    def map_deals(self, table: RawTable, aliases: Aliases | None = None) -> Mapped:
        """The deals table in generic columns: renamed by the built-in mapping, or by
        ``aliases`` (a team's mapping laid over it), then converted."""
        if self.trim is not None:
            table = self.trim(table)
        mapped = rename_by_aliases(table, self.deal_aliases if aliases is None else aliases)
        return mapped if self.convert_deals is None else self.convert_deals(mapped, table)

    def alias_key(self, target: str) -> str:
        """The column of the built-in mapping a mapped generic column fills: itself, or
        the format's one close date for ``close_date``."""
        if target == "close_date" and "_close" in self.deal_aliases:
            return "_close"
        return target

    def spellings(self, target: str) -> tuple[str, ...]:
        """The headers this format reads a generic deal column from (``target`` itself
        when it has none of its own)."""
        return self.deal_aliases.get(self.alias_key(target), (target,))


# A CRM export whose marker columns are there scores at least this; more of its own
# headers raise the score towards 1 (see score_signature).
SIGNATURE_FLOOR = 0.6


def score_signature(share: float) -> float:
    """How sure a CRM format is of a deals file with its marker columns, given ``share``:
    the part of the file's headers that are the CRM's own (0 to 1)."""
    return SIGNATURE_FLOOR + (1.0 - SIGNATURE_FLOOR) * share


def header_key(header: str) -> str:
    """Headers compare case-, space- and punctuation-insensitively."""
    return "".join(ch for ch in header.lower() if ch.isalnum())


def snake(header: str) -> str:
    """A header as an attribute key: ``Lead Source`` -> ``lead_source``."""
    out, last_us = [], True
    for ch in header.strip().lower():
        if ch.isalnum():
            out.append(ch)
            last_us = False
        elif not last_us:
            out.append("_")
            last_us = True
    return "".join(out).strip("_") or "column"


def rename_by_aliases(
    table: RawTable, aliases: Mapping[str, tuple[str, ...]], *, keep_extras: bool = True
) -> Mapped:
    """Map headers to generic names by a table of aliases; the rest become extras.

    ``aliases`` maps a generic column to the header spellings that mean it (compared
    with :func:`header_key`); the first header found wins.
    """
    by_key = {header_key(h): h for h in table.headers}
    renames: dict[str, str] = {}
    origins: dict[str, str] = {}
    for generic, spellings in aliases.items():
        for spelling in spellings:
            header = by_key.get(header_key(spelling))
            if header is not None and header not in renames:
                renames[header] = generic
                origins[generic] = header
                break
    extras: dict[str, str] = {}
    if keep_extras:
        taken = set(aliases)
        for header in table.headers:
            if header in renames:
                continue
            key = snake(header)
            while key in taken or key in extras.values():
                key += "_"
            extras[header] = key
            origins[key] = header
    selected = [pl.col(ROW_COLUMN)]
    selected += [pl.col(h).alias(g) for h, g in renames.items()]
    selected += [pl.col(h).alias(k) for h, k in extras.items()]
    return Mapped(
        table.label,
        table.frame.select(selected),
        origins,
        tuple(extras.values()),
        table.delimiter,
        tuple(table.headers),
        nul_free=table.nul_free,
    )
