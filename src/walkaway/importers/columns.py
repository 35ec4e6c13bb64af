"""Column mappings: which header of a file is which column of the generic format.

One mechanism reads every deals file: every source format is a built-in mapping, a
table of header spellings per column (``SourceFormat.deal_aliases``), and a team's own
mapping is laid over that table (:func:`laid_over`: the team's header, and only it, for
each column it maps), then the same renaming runs (``SourceFormat.map_deals``). It is
said once, on the command line (``--map created_at="Created Time"``, ``--map
outcome="Deal Status Code=Won:won,Lost:lost,*:open"``) or in a TOML file (``[deals]``
with the same ``column = "Header"`` lines), and the store keeps it for the next file
with those headers. A value map rewrites the mapped header's cells first, so the
format's own steps and the validator see the file as if it had been exported that way.
"""

from __future__ import annotations

import difflib
import json
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

import polars as pl

from walkaway.errors import InputError
from walkaway.importers.base import Mapped, SourceFormat, header_key
from walkaway.importers.reading import RawTable
from walkaway.models import DEAL_COLUMNS

# The columns a mapping can fill: the generic deal columns (FORMAT.md), and close_date,
# one close date as CRMs export it (when a closed deal closed, else the expected close).
TARGETS: tuple[str, ...] = (*(c for c in DEAL_COLUMNS if c != "attributes"), "close_date")
# Headers that commonly mean a column, for "did you mean" (compared by header_key).
SYNONYMS: dict[str, tuple[str, ...]] = {
    "deal_id": ("id", "record id", "deal id", "opportunity id", "deal number"),
    "name": ("deal name", "opportunity name", "title", "deal title"),
    "account": ("company", "account name", "organization", "customer", "client"),
    "owner": ("deal owner", "rep", "sales rep", "assigned to", "salesperson", "user"),
    "stage": ("deal stage", "pipeline stage", "stage name", "phase"),
    "amount": ("value", "deal value", "acv", "net amount", "revenue", "total", "price"),
    "created_at": ("created", "created time", "create date", "created on", "date created"),
    "closed_at": ("closed", "closed on", "closed time", "close date", "closing date"),
    "outcome": ("status", "deal status", "result", "won lost", "deal status code"),
    "close_date": ("close date", "closing date", "expected close date"),
}
ANY_VALUE = "*"


@dataclass(frozen=True)
class ColumnRule:
    """One generic column read from one header, with cell values rewritten."""

    header: str
    values: Mapping[str, str] = field(default_factory=dict)

    def text(self) -> str:
        """The rule as ``--map`` takes it."""
        if not self.values:
            return self.header
        return self.header + "=" + ",".join(f"{k}:{v}" for k, v in self.values.items())


@dataclass(frozen=True)
class ColumnMap:
    """A team's mapping of a source's deal headers; ``format`` is the source format the
    file is read with once mapped (None: picked from the headers)."""

    rules: Mapping[str, ColumnRule]
    format: str | None = None

    @property
    def headers(self) -> tuple[str, ...]:
        return tuple(rule.header for rule in self.rules.values())

    def to_json(self) -> str:
        rules = {t: {"header": r.header, "values": dict(r.values)} for t, r in self.rules.items()}
        return json.dumps({"format": self.format, "columns": rules}, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> ColumnMap:
        data = json.loads(text)
        rules = {
            target: ColumnRule(rule["header"], dict(rule.get("values") or {}))
            for target, rule in data["columns"].items()
        }
        return cls(rules, data.get("format"))

    def merged(self, other: ColumnMap) -> ColumnMap:
        """This mapping with ``other``'s rules over it."""
        return ColumnMap({**self.rules, **other.rules}, other.format or self.format)


def parse_rule(target: str, spec: str, where: str) -> tuple[str, ColumnRule]:
    """``created_at``, ``Created Time`` / ``outcome``, ``Status=Won:won,Lost:lost``."""
    target = target.strip().lower()
    if target not in TARGETS:
        near = difflib.get_close_matches(target, TARGETS, n=1)
        hint = f" (did you mean {near[0]}?)" if near else ""
        raise InputError(
            f"{where}: {target!r} is not a Walkaway deal column{hint}; expected one of: "
            + ", ".join(TARGETS)
        )
    header, _, values_text = spec.partition("=")
    if not header.strip():
        raise InputError(f"{where}: the header to read {target} from is empty")
    values: dict[str, str] = {}
    for pair in filter(None, (p.strip() for p in values_text.split(","))):
        source, colon, value = pair.rpartition(":")
        if not colon or not source.strip():
            raise InputError(
                f"{where}: {pair!r} is not a value map; expected FILE_VALUE:{target}_value "
                f'pairs, e.g. {target}="{header.strip()}=Won:won,Lost:lost,*:open"'
            )
        values[source.strip()] = value.strip()
    return target, ColumnRule(header.strip(), values)


def parse_map_options(options: Iterable[str]) -> ColumnMap | None:
    """The ``--map COLUMN=HEADER[=VALUE:VALUE,...]`` options given; None for none."""
    rules: dict[str, ColumnRule] = {}
    for option in options:
        target, equals, spec = option.partition("=")
        if not equals:
            raise InputError(
                f'--map {option!r}: expected COLUMN=HEADER, e.g. --map created_at="Created Time"'
            )
        name, rule = parse_rule(target, spec, f"--map {option!r}")
        rules[name] = rule
    return ColumnMap(rules) if rules else None


def read_mapping_file(path: Path) -> ColumnMap:
    """A TOML mapping: ``format = "..."`` (optional) and ``[deals]`` with a line a column,
    ``created_at = "Created Time"``."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(f"--mapping {path}: cannot be read ({error})") from error
    except tomllib.TOMLDecodeError as error:
        raise InputError(f"--mapping {path}: not valid TOML ({error})") from error
    deals = data.get("deals")
    if not isinstance(deals, dict) or not deals:
        raise InputError(
            f'--mapping {path}: expected a [deals] table, e.g. [deals] created_at = "Created Time"'
        )
    rules = dict(
        parse_rule(t, str(spec), f"--mapping {path}, [deals] {t}") for t, spec in deals.items()
    )
    fmt = data.get("format")
    return ColumnMap(rules, None if fmt is None else str(fmt))


def fitting_map(saved: Iterable[ColumnMap], headers: list[str]) -> ColumnMap | None:
    """The saved mapping whose headers the file all has (the one naming most)."""
    keys = {header_key(h) for h in headers}
    fits = [m for m in saved if m.rules and {header_key(h) for h in m.headers} <= keys]
    return max(fits, key=lambda m: len(m.rules), default=None)


def closest_header(target: str, headers: Iterable[str]) -> str | None:
    """The header most like ``target`` (``Created Time`` for created_at), or None: a
    common spelling of it first, then the closest by letters."""
    by_key = {header_key(h): h for h in headers if header_key(h)}
    for spelling in (target, *SYNONYMS.get(target, ())):
        if header_key(spelling) in by_key:
            return by_key[header_key(spelling)]
    near = difflib.get_close_matches(header_key(target), list(by_key), n=1, cutoff=0.6)
    if near:
        return by_key[near[0]]
    for spelling in SYNONYMS.get(target, ()):
        for key, header in by_key.items():
            if len(header_key(spelling)) >= 4 and header_key(spelling) in key:
                return header
    return None


def missing_columns_line(mapped: Mapped, missing: list[str]) -> str:
    """Required columns a file lacks, its real headers, and the closest header to each
    (``created_at: did you mean 'Created Time'? use --map``)."""
    taken = {h for c, h in mapped.origins.items() if c not in mapped.extras}
    headers = list(mapped.headers) or [mapped.origin(c) for c in mapped.frame.columns]
    free = [h for h in headers if h not in taken and not h.startswith("__")]
    hints = []
    for column in missing:
        near = closest_header(column, free)
        if near is not None:
            hints.append(f'{column}: did you mean {near!r}? use --map {column}="{near}"')
    names = ", ".join(f"'{c}'" for c in missing)
    line = f"{mapped.label}: missing required column(s) {names}; the file has: "
    line += ", ".join(h for h in headers if not h.startswith("__"))
    return line + ("; " + "; ".join(hints) if hints else "; map them with --map COLUMN=HEADER")


def read_deals(source: SourceFormat, table: RawTable, column_map: ColumnMap | None) -> Mapped:
    """The deals table as ``source`` reads it, through its built-in mapping with the
    team's ``column_map`` laid over it (:func:`laid_over`), its value maps applied."""
    if column_map is None:
        return source.map_deals(table)
    readable = with_values_mapped(table, column_map, source)
    mapped = source.map_deals(readable, laid_over(source, column_map))
    return replace(mapped, headers=tuple(table.headers))  # as the file has them


def laid_over(source: SourceFormat, column_map: ColumnMap) -> dict[str, tuple[str, ...]]:
    """``source``'s built-in mapping with the team's over it: each mapped column read
    from the team's header alone, and no other column reading that header."""
    mine = {header_key(rule.header) for rule in column_map.rules.values()}
    aliases = {
        column: tuple(s for s in spellings if header_key(s) not in mine)
        for column, spellings in source.deal_aliases.items()
    }
    for target, rule in column_map.rules.items():
        aliases[source.alias_key(target)] = (rule.header,)
    return aliases


def headers_as(source: SourceFormat, table: RawTable, column_map: ColumnMap) -> list[str]:
    """The file's headers with each mapped one spelled as ``source`` spells it (to tell
    which format a mapped file fits); a mapped header the file lacks is refused."""
    with_values_mapped(table.head(0), column_map, source)
    spelled = {header_key(r.header): source.spellings(t)[0] for t, r in column_map.rules.items()}
    return [spelled.get(header_key(h), h) for h in table.headers]


def with_values_mapped(table: RawTable, column_map: ColumnMap, source: SourceFormat) -> RawTable:
    """The table with each mapped header's cells rewritten by its value map, and a
    header ``source`` would have read a mapped column from otherwise moved aside (an
    attribute, ``Created (not mapped)``); a mapped header the file lacks is refused,
    naming the closest it has."""
    by_key = {header_key(h): h for h in table.headers}
    frame = table.frame
    for target, rule in column_map.rules.items():
        header = by_key.get(header_key(rule.header))
        if header is None:
            raise InputError(_no_such_header(table, target, rule))
        if rule.values:
            frame = frame.with_columns(_rewritten(pl.col(header), rule.values).alias(header))
    mine = {header_key(rule.header) for rule in column_map.rules.values()}
    wanted = {header_key(s) for t in column_map.rules for s in source.spellings(t)} - mine
    aside = {h: f"{h} (not mapped)" for h in table.headers if header_key(h) in wanted}
    return replace(table, frame=frame.rename(aside))


def _rewritten(cells: pl.Expr, values: Mapping[str, str]) -> pl.Expr:
    """Cells as the value map says (compared case- and space-insensitively); a cell it
    does not name is kept, unless the map has ``*:value`` for every other one."""
    folded = {k.strip().lower(): v for k, v in values.items() if k != ANY_VALUE}
    key = cells.str.strip_chars().str.to_lowercase()
    named = key.replace_strict(folded, default=None, return_dtype=pl.String)
    fallback = pl.lit(values[ANY_VALUE]) if ANY_VALUE in values else cells
    return pl.when(cells.is_null()).then(cells).otherwise(pl.coalesce(named, fallback))


def _no_such_header(table: RawTable, target: str, rule: ColumnRule) -> str:
    near = closest_header(rule.header, table.headers)
    hint = f" (did you mean {near!r}?)" if near else ""
    return (
        f"{table.label}: the mapping reads {target} from {rule.header!r}, which the file "
        f"does not have{hint}; its headers: {', '.join(table.headers)}"
    )
