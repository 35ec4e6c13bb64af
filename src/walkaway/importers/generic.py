"""Walkaway's own format (FORMAT.md): headers matched case-insensitively, extras kept."""

from __future__ import annotations

from walkaway.importers.base import Mapped, SourceFormat, header_key, rename_by_aliases
from walkaway.importers.reading import RawTable
from walkaway.models import ACTIVITY_COLUMNS, DEAL_COLUMNS

_DEAL_ALIASES = {c: (c,) for c in DEAL_COLUMNS if c != "attributes"}
_ACTIVITY_ALIASES = {c: (c,) for c in ACTIVITY_COLUMNS}


def detect(headers: list[str]) -> float:
    keys = {header_key(h) for h in headers}
    required = {"dealid", "amount", "createdat"}
    if not required <= keys:
        return 0.0
    known = {header_key(c) for c in DEAL_COLUMNS}
    return 0.5 + 0.5 * len(keys & known) / len(keys)


def map_deals(table: RawTable) -> Mapped:
    return rename_by_aliases(table, _DEAL_ALIASES)


def map_activities(table: RawTable) -> Mapped:
    # Activities have no attributes: unknown columns are ignored.
    return rename_by_aliases(table, _ACTIVITY_ALIASES, keep_extras=False)


FORMAT = SourceFormat(
    name="generic",
    detect=detect,
    map_deals=map_deals,
    map_activities=map_activities,
    description="Walkaway's own deals.csv / activities.csv (FORMAT.md)",
)
