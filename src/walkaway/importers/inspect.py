"""What a file would be read as, before anything is imported (``walkaway import --inspect``):
its headers, what each is matched to and how, sample values, and what is still missing."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import polars as pl

from walkaway.errors import InputError
from walkaway.importers.base import Mapped, SourceFormat, header_key
from walkaway.importers.columns import ColumnMap, closest_header, fitting_map, read_deals
from walkaway.importers.loading import mapped_format
from walkaway.importers.reading import RawTable, read_table
from walkaway.importers.registry import detect_format, get_format

SAMPLES = 3
# What a deals file needs, and why (FORMAT.md).
NEEDED = {
    "deal_id": "required",
    "amount": "required",
    "created_at": "required",
    "stage": "required for open deals",
    "outcome": "without it every deal is open",
}


@dataclass(frozen=True)
class HeaderMatch:
    """One header of the file: the column it is read as (None: kept as an attribute),
    how (``format``, ``--map``, ``saved``) and a few of its values."""

    header: str
    column: str | None
    how: str
    samples: tuple[str, ...]


@dataclass(frozen=True)
class Missing:
    column: str
    why: str
    closest: str | None


@dataclass(frozen=True)
class Inspection:
    label: str
    rows: int
    format: str | None
    note: str
    matches: tuple[HeaderMatch, ...]
    missing: tuple[Missing, ...]


def inspect_file(
    path: Path | str,
    *,
    format: str = "auto",
    column_map: ColumnMap | None = None,
    saved_maps: Sequence[ColumnMap] = (),
    sheet: str | None = None,
) -> Inspection:
    """How the deals file at ``path`` would be read; never raises for headers it cannot
    place (that is what it is for), only for a file it cannot read."""
    table = read_table(path, sheet=sheet)
    chosen = column_map or fitting_map(saved_maps, table.headers)
    how = "--map" if column_map is not None else "saved"
    try:
        source = _source(table, chosen, format)
        mapped = read_deals(source, table, chosen)
    except InputError as error:
        generic = get_format("generic")
        note = str(error).removeprefix(f"{table.label}: ")
        if chosen is None and format == "auto":
            note = "no known export matches these headers: map the columns below with --map"
        found = _inspection(table, generic, note, generic.map_deals(table), None, how)
        return replace(found, format=None)
    note = f"read as {source.name}" + (
        "" if chosen is None else f" with the {'given' if how == '--map' else 'saved'} mapping"
    )
    return _inspection(table, source, note, mapped, chosen, how)


def _source(table: RawTable, chosen: ColumnMap | None, format: str) -> SourceFormat:
    if chosen is not None:
        return mapped_format(table, chosen, format)
    if format == "auto":
        return detect_format(table.headers, table.label)
    return get_format(format)


def _inspection(
    table: RawTable,
    source: SourceFormat | None,
    note: str,
    mapped: Mapped,
    chosen: ColumnMap | None,
    how: str,
) -> Inspection:
    read_as = _columns_by_header(mapped, source, chosen, how)
    matches = tuple(
        HeaderMatch(
            header,
            read_as.get(header, (None, ""))[0],
            read_as.get(header, (None, "attribute"))[1],
            _samples(table.frame[header]),
        )
        for header in table.headers
    )
    free = [m.header for m in matches if m.column is None]
    present = set(mapped.frame.columns) if source is not None else set()
    missing = tuple(
        Missing(column, why, closest_header(column, free))
        for column, why in NEEDED.items()
        if column not in present
    )
    name = None if source is None else source.name
    return Inspection(table.label, table.frame.height, name, note, matches, missing)


def _columns_by_header(
    mapped: Mapped, source: SourceFormat | None, chosen: ColumnMap | None, how: str
) -> dict[str, tuple[str, str]]:
    """header -> (generic column, how it was matched)."""
    if source is None:
        return {}
    by_mapping = {header_key(r.header): t for t, r in (chosen.rules if chosen else {}).items()}
    found: dict[str, tuple[str, str]] = {}
    for column, origin in mapped.origins.items():
        if column in mapped.extras or column.startswith("_"):
            continue
        for header in origin.split(" / "):
            if header_key(header) in by_mapping:
                found[header] = (by_mapping[header_key(header)], how)
            else:
                found.setdefault(header, (column, "format"))
    return found


def _samples(column: pl.Series) -> tuple[str, ...]:
    values = column.drop_nulls().unique(maintain_order=True).head(SAMPLES)
    return tuple(str(v) for v in values)
