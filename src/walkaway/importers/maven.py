"""Maven Analytics "CRM Sales Opportunities" (``sales_pipeline.csv`` and its siblings).

A synthetic B2B hardware pipeline: one row per opportunity, no activities. Rules:

- ``deal_stage`` Won/Lost is the outcome; Prospecting and Engaging are open.
  ``close_date`` is when a won or lost deal closed; there is no expected close.
- ``created_at`` is ``engage_date``. Prospecting deals have none: they get the last
  date the file mentions (the day the snapshot is known to reach), the latest they
  can have been created, and the attribute ``created_at_estimated`` = ``true``. An
  earlier guess would make them look stale with no evidence that they are.
- ``amount`` is the product's list price from ``products.csv`` beside the file, for
  every deal: it is what was at stake while the deal was open. ``close_value`` is
  only known at the end (and is 0 for every lost deal), so it stays an attribute:
  used as the amount it would give the outcome away. Without ``products.csv`` (or
  for a product it lacks) the amount is ``close_value``, else 0, with the attribute
  ``amount_estimated`` = ``true``. Product names match loosely (``GTXPro`` is
  ``GTX Pro``).
- ``accounts.csv`` (sector, revenue, employees, ...) and ``sales_teams.csv`` (manager,
  regional_office) beside the file add attributes.
- The deal name is ``<account> – <product>`` (the product alone without an account).
- The currency is the one ISO code ``data_dictionary.csv`` beside the file names (the
  Maven sample's says "USD"); without it, the policy's.
"""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl

from walkaway.errors import InputError
from walkaway.importers import mapping, parsing
from walkaway.importers.base import Mapped, SourceFormat, header_key
from walkaway.importers.reading import ROW_COLUMN, RawTable, read_table

_ALIASES: dict[str, tuple[str, ...]] = {
    "deal_id": ("opportunity_id",),
    "owner": ("sales_agent",),
    "account": ("account",),
    "stage": ("deal_stage",),
    "product": ("product",),
    "close_value": ("close_value",),
    "_engage": ("engage_date",),
    "_close": ("close_date",),
}
# Sibling file -> (its key column, the pipeline column it joins on, columns to add).
_SIBLINGS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "products.csv": ("product", "product", ("series", "sales_price")),
    "accounts.csv": (
        "account",
        "account",
        ("sector", "year_established", "revenue", "employees", "office_location", "subsidiary_of"),
    ),
    "sales_teams.csv": ("sales_agent", "owner", ("manager", "regional_office")),
}


def detect(headers: list[str]) -> float:
    keys = {header_key(h) for h in headers}
    if {"opportunityid", "salesagent", "dealstage"} <= keys and keys & {"engagedate", "closevalue"}:
        return 0.95
    return 0.0


def _loose(column: pl.Expr) -> pl.Expr:
    """A join key that ignores case, spaces and punctuation (GTXPro = GTX Pro)."""
    return column.str.to_lowercase().str.replace_all(r"[^a-z0-9]", "")


def _sibling(path: Path | None, name: str, key: str, wanted: tuple[str, ...]) -> pl.DataFrame:
    """The named sibling file's columns by a loose key, or an empty frame if absent."""
    schema = {"__key": pl.String, **dict.fromkeys(wanted, pl.String)}
    if path is None or not (path.parent / name).is_file():
        return pl.DataFrame(schema=schema)
    table = read_table(path.parent / name)
    by_key = {header_key(h): h for h in table.headers}
    if header_key(key) not in by_key:
        raise InputError(f"{name} beside {path.name}: no '{key}' column to join on")
    columns = [_loose(pl.col(by_key[header_key(key)])).alias("__key")]
    columns += [
        (pl.col(by_key[header_key(w)]) if header_key(w) in by_key else pl.lit(None))
        .cast(pl.String)
        .alias(w)
        for w in wanted
    ]
    return table.frame.select(columns).unique("__key", keep="first")


def _join_siblings(frame: pl.DataFrame, path: Path | None) -> pl.DataFrame:
    for name, (key, on, wanted) in _SIBLINGS.items():
        if on not in frame.columns:
            frame = mapping.ensure_columns(frame, wanted)
            continue
        extra = _sibling(path, name, key, wanted)
        frame = frame.with_columns(_loose(pl.col(on)).alias("__key"))
        frame = frame.join(extra, on="__key", how="left").drop("__key")
    return frame.sort(ROW_COLUMN)


def _dictionary_currency(path: Path | None) -> str | None:
    """The one currency code the data dictionary beside the file names, if exactly one."""
    if path is None or not (path.parent / "data_dictionary.csv").is_file():
        return None
    text = (path.parent / "data_dictionary.csv").read_text(encoding="utf-8", errors="replace")
    codes = set(re.findall(r"\b(USD|EUR|GBP|CAD|AUD|CHF|JPY|INR|SEK|NOK|DKK)\b", text))
    return codes.pop() if len(codes) == 1 else None


def _snapshot_day(frame: pl.DataFrame) -> str | None:
    """The last date the file mentions, as ISO text."""
    dates = pl.concat([parsing.parse_date(frame[c]) for c in ("_engage", "_close")])
    last = dates.max()
    return None if last is None else str(last)


def convert_deals(mapped: Mapped, table: RawTable) -> Mapped:
    """Amounts from the sibling products.csv, the other siblings' columns, the dates."""
    helpers = ["stage", "account", "product", "close_value", "_engage", "_close"]
    frame = _join_siblings(mapping.ensure_columns(mapped.frame, helpers), table.path)
    price, value, product = pl.col("sales_price"), pl.col("close_value"), pl.col("product")
    outcome = mapping.outcome_from_stage(pl.col("stage"))
    columns = {
        "outcome": outcome,
        "closed_at": pl.when(outcome != "open").then(pl.col("_close")),
        "created_at": pl.coalesce("_engage", pl.lit(_snapshot_day(frame))),
        "created_at_estimated": pl.col("_engage").is_null().cast(pl.String),
        "amount": pl.coalesce(price, value, pl.lit("0")),
        "amount_estimated": (price.is_null() & value.is_null()).cast(pl.String),
        "name": pl.coalesce(pl.col("account") + pl.lit(" – ") + product, product),
        "currency": pl.lit(_dictionary_currency(table.path), dtype=pl.String),
    }
    attributes = ["product", "series", "close_value", "amount_estimated", "created_at_estimated"]
    for _key, _on, wanted in list(_SIBLINGS.values())[1:]:
        attributes += wanted
    origins = {
        "created_at": mapped.origins.get("_engage"),
        "closed_at": mapped.origins.get("_close"),
        "amount": "sales_price (products.csv) or close_value",
        "outcome": mapped.origins.get("stage"),
    }
    return mapping.derive(
        mapping.with_frame(mapped, frame),
        columns,
        origins=origins,
        extras=attributes,
        drop=["_engage", "_close", "sales_price"],
    )


def map_activities(table: RawTable) -> Mapped:
    raise InputError(
        f"{table.label}: the Maven CRM data has no activities (only sales_pipeline.csv "
        "with engage and close dates); import sales_pipeline.csv without an activities file"
    )


FORMAT = SourceFormat(
    name="maven",
    detect=detect,
    deal_aliases=_ALIASES,
    convert_deals=convert_deals,
    map_activities=map_activities,
    description="Maven Analytics CRM Sales Opportunities (sales_pipeline.csv + siblings)",
)
