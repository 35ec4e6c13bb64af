"""Walkaway's own format (FORMAT.md): headers matched case-insensitively, extras kept."""

from __future__ import annotations

from dataclasses import replace

import polars as pl

from walkaway.importers import mapping
from walkaway.importers.base import Mapped, SourceFormat, header_key, rename_by_aliases
from walkaway.importers.reading import RawTable
from walkaway.models import ACTIVITY_COLUMNS, DEAL_COLUMNS

_DEAL_ALIASES = {c: (c,) for c in DEAL_COLUMNS if c != "attributes"}
# One close date for both (as CRMs export it): when a closed deal closed, the expected
# close of an open one; read only from a file with neither closed_at nor expected_close.
_DEAL_ALIASES["_close"] = ("close_date",)
_ACTIVITY_ALIASES = {c: (c,) for c in ACTIVITY_COLUMNS}


def detect(headers: list[str]) -> float:
    keys = {header_key(h) for h in headers}
    required = {"dealid", "amount", "createdat"}
    if not required <= keys:
        return 0.0
    known = {header_key(c) for c in DEAL_COLUMNS}
    return 0.5 + 0.5 * len(keys & known) / len(keys)


def convert_deals(mapped: Mapped, _table: RawTable) -> Mapped:
    """One close date for both, when the file has it alone (the rest is renaming)."""
    columns = set(mapped.frame.columns)
    if "_close" not in columns:
        return mapped
    if columns & {"closed_at", "expected_close"}:
        return _close_date_kept(mapped)
    closed = pl.lit(False)
    if "outcome" in columns:
        closed = pl.col("outcome").str.to_lowercase().str.strip_chars().is_in(["won", "lost"])
    close = pl.col("_close")
    origin = mapped.origin("_close")
    return mapping.derive(
        mapped,
        {
            "closed_at": pl.when(closed).then(close),
            "expected_close": pl.when(~closed.fill_null(False)).then(close),
        },
        origins={"closed_at": origin, "expected_close": origin},
        drop=["_close"],
    )


def _close_date_kept(mapped: Mapped) -> Mapped:
    """A close_date beside closed_at or expected_close is an attribute, as it was."""
    origins = {k: v for k, v in mapped.origins.items() if k != "_close"}
    origins["close_date"] = mapped.origin("_close")
    return replace(
        mapped,
        frame=mapped.frame.rename({"_close": "close_date"}),
        origins=origins,
        extras=(*mapped.extras, "close_date"),
    )


def map_activities(table: RawTable) -> Mapped:
    # Activities have no attributes: unknown columns are ignored.
    return rename_by_aliases(table, _ACTIVITY_ALIASES, keep_extras=False)


FORMAT = SourceFormat(
    name="generic",
    detect=detect,
    deal_aliases=_DEAL_ALIASES,
    convert_deals=convert_deals,
    map_activities=map_activities,
    description="Walkaway's own deals.csv / activities.csv (FORMAT.md)",
)
