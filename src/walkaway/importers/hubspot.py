"""HubSpot exports: deals, and activities (engagements).

Deals (the deals view exported as CSV or XLSX, any delimiter or locale):

- ``Record ID`` is the deal id; ``Deal Stage`` ``Closed won``/``closedwon`` -> won,
  ``Closed lost``/``closedlost`` -> lost (or the ``Is Closed Won`` flag for custom
  closed stages); every other stage is open.
- ``Close Date`` is when a closed deal closed, and the expected close of an open one.
- ``Deal probability`` is the stage probability, not the rep's: it is kept as the
  attribute ``crm_probability``, a 0–1 fraction (``0.2``, ``20`` and ``20%`` all read 0.2).
- ``Associated Company`` is the account (a ``(123456)`` record id after the name is
  dropped); ``Closed Lost Reason`` the loss reason; the rest are attributes.

Activities (the activities or engagements export):

- The deal is ``Associated Deal IDs`` (else ``Deal ID``, else ``Associated Deal``, whose
  ``Name (123)`` form gives the id); an activity associated with several deals
  (``123;456``) counts for each; activities associated with no deal are skipped.
- ``Activity type``/``Engagement type``: EMAIL (outbound), INCOMING_EMAIL (inbound),
  FORWARDED_EMAIL (by the subject rules below), CALL (``Call direction``, else
  outbound), MEETING, NOTE (internal), TASK and anything else (other).
- ``Meeting outcome`` NO_SHOW, RESCHEDULED, CANCELED -> that status; COMPLETED,
  SCHEDULED or empty -> done. Tasks whose ``Task status`` is not started, in progress,
  waiting or deferred have not happened and are skipped.
- ``Duration``/``Call duration`` are milliseconds (HubSpot's unit) unless the header
  names another unit (``(seconds)``, ``(minutes)``); ``05:32`` reads as minutes:seconds.
- A forwarded email whose subject answers another (``RE:``) counts as the buyer's.
"""

from __future__ import annotations

import polars as pl

from walkaway.importers import mapping
from walkaway.importers.base import (
    Mapped,
    SourceFormat,
    header_key,
    rename_by_aliases,
    score_signature,
)
from walkaway.importers.reading import RawTable

_RECORD_ID = r"\((\d+)\)\s*$"
_RECORD_ID_AFTER_NAME = r"\s*\(\d+\)\s*$"
_DEAL_ALIASES: dict[str, tuple[str, ...]] = {
    "deal_id": ("Record ID", "Deal ID", "Record ID - Deal", "hs_object_id", "Object ID"),
    "name": ("Deal Name", "dealname"),
    "account": ("Associated Company", "Associated Company (Primary)", "Company name", "Company"),
    "owner": ("Deal owner", "Owner", "HubSpot owner", "hubspot_owner_id"),
    "stage": ("Deal Stage", "dealstage", "Stage"),
    "amount": ("Amount",),
    "currency": ("Deal currency code", "Currency", "Currency code", "deal_currency_code"),
    "created_at": ("Create Date", "Created Date", "createdate"),
    "loss_reason": ("Closed Lost Reason", "Lost Reason", "closed_lost_reason"),
    "_close": ("Close Date", "closedate"),
    "_probability": ("Deal probability", "Deal Stage Probability", "Probability"),
    "_won": ("Is Closed Won", "hs_is_closed_won"),
    "_closed": ("Is Deal Closed?", "Is Closed", "hs_is_closed"),
}
_ACTIVITY_ALIASES: dict[str, tuple[str, ...]] = {
    "deal_id": (
        "Associated Deal IDs",
        "Associated Deal ID",
        "Deal ID",
        "Deal IDs",
        "Deal Record ID",
        "Associated Deal",
        "Associated Deals",
    ),
    "actor": ("Owner", "Activity assigned to", "Assigned to", "Activity owner", "Created by"),
    "_type": ("Activity type", "Engagement type", "Type", "Activity Type"),
    "_call_direction": ("Call direction", "hs_call_direction"),
    "_email_direction": ("Email direction", "hs_email_direction"),
    "_outcome": ("Meeting outcome", "hs_meeting_outcome", "Outcome"),
    "_task_status": ("Task status", "hs_task_status", "Status"),
}
_MOMENTS = ("Activity date", "Timestamp", "hs_timestamp", "Meeting start time", "Create date")
_DETAILS: tuple[str, ...] = ("Subject", "Email subject", "Call title", "Meeting name", "Task title")
_DETAILS += ("Body preview", "Note body", "Activity body")
_SIGNATURE = {
    "recordid",
    "dealname",
    "dealstage",
    "amount",
    "closedate",
    "createdate",
    "dealowner",
    "lastcontacted",
    "pipeline",
    "dealprobability",
    "associatedcompany",
    "dealtype",
    "numberoftimescontacted",
    "lastactivitydate",
    "dealcurrencycode",
    "closedlostreason",
    "closedwonreason",
}


def detect(headers: list[str]) -> float:
    """A HubSpot deals export: ``Deal Name`` beside ``Deal Stage``."""
    keys = {header_key(h) for h in headers}
    if not {"dealname", "dealstage"} <= keys or keys & {"opportunityid", "dealtitle"}:
        return 0.0
    if {"dealid", "createdat"} <= keys:
        return 0.0  # the generic format, with a deal name among its attributes
    return score_signature(len(keys & _SIGNATURE) / len(keys))


def convert_deals(mapped: Mapped, _table: RawTable) -> Mapped:
    """Stage names, the close date, the company's record id after its name."""
    columns: dict[str, pl.Expr] = {}
    if "account" in mapped.frame.columns:
        columns["account"] = pl.col("account").str.replace(_RECORD_ID_AFTER_NAME, "")
    return mapping.finish_opportunities(mapped, columns, percent=False)


def _find_headers(table: RawTable, spellings: tuple[str, ...]) -> list[str]:
    """The headers present among ``spellings``, in that order."""
    by_key = {header_key(h): h for h in table.headers}
    found = [by_key.get(header_key(s)) for s in spellings]
    return list(dict.fromkeys(h for h in found if h is not None))


def _duration_per_hour(header: str) -> float:
    unit = header.lower()
    if "(s" in unit or "second" in unit:
        return mapping.SECONDS_PER_HOUR
    if "min" in unit:
        return mapping.MINUTES_PER_HOUR
    if "(h" in unit or "hour" in unit:
        return 1.0
    return mapping.SECONDS_PER_HOUR * 1000.0  # milliseconds, HubSpot's own unit


def _direction_label(label: pl.Expr) -> pl.Expr:
    """HubSpot's own words for who wrote: EMAIL is sent, INCOMING_EMAIL received."""
    word = label.str.to_uppercase().str.replace_all(r"[\s\-]+", "_")
    return (
        pl.when(word == "EMAIL")
        .then(pl.lit("outbound"))
        .when(word == "INCOMING_EMAIL")
        .then(pl.lit("inbound"))
        .when(word == "NOTE")
        .then(pl.lit("internal"))
        .otherwise(mapping.direction_from_label(label))
    )


def _sources(table: RawTable) -> tuple[pl.DataFrame, dict[str, str]]:
    """The moment, subject and duration, each from the first header present."""
    columns: dict[str, pl.Expr] = {}
    origins: dict[str, str] = {}
    for name, spellings in (("at", _MOMENTS), ("detail", _DETAILS)):
        headers = _find_headers(table, spellings)
        if headers:
            columns[name] = pl.coalesce(headers)
            origins[name] = " / ".join(headers)
    durations = [h for h in table.headers if "duration" in header_key(h)]
    frame = table.frame.select(**columns) if columns else pl.DataFrame()
    if durations:
        raw = table.frame[durations[0]]
        per_hour = _duration_per_hour(durations[0])
        hours = mapping.duration_hours(raw, per_hour, table.delimiter, minutes_seconds=True)
        frame = frame.with_columns(hours.alias("hours")) if frame.width else hours.to_frame("hours")
        origins["hours"] = durations[0]
    return frame, origins


def map_activities(table: RawTable) -> Mapped:
    mapped = rename_by_aliases(table, _ACTIVITY_ALIASES, keep_extras=False)
    sources, origins = _sources(table)
    frame = pl.concat([mapped.frame, sources], how="horizontal")
    frame = mapping.ensure_columns(
        frame, ["detail", *(a for a in _ACTIVITY_ALIASES if a[0] == "_")]
    )
    explicit = pl.coalesce(
        mapping.direction_from_label(pl.col("_call_direction")),
        _direction_label(pl.col("_email_direction")),
        _direction_label(pl.col("_type")),
    )
    frame = frame.filter(~mapping.is_planned(pl.col("_task_status")))
    frame = frame.with_columns(kind=mapping.kind_from_label(pl.col("_type"))).with_columns(
        direction=mapping.direction(pl.col("kind"), pl.col("detail"), explicit),
        status=mapping.status_from_label(pl.col("_outcome"), pl.col("detail")),
    )
    if "deal_id" in frame.columns:
        frame = _one_row_per_deal(frame)
    origins.update(
        kind=mapped.origin("_type"),
        direction=mapped.origin("_call_direction"),
        status=mapped.origin("_outcome"),
    )
    temps = [c for c in frame.columns if c.startswith("_") and not c.startswith("__")]
    return mapping.derive(mapping.with_frame(mapped, frame), {}, origins=origins, drop=temps)


def _one_row_per_deal(frame: pl.DataFrame) -> pl.DataFrame:
    """``123;456`` is two deals; ``Acme renewal (123)`` is deal 123; none is skipped."""
    ids = pl.col("deal_id").str.strip_chars()
    return (
        frame.with_columns(pl.col("deal_id").str.split(";"))
        .explode("deal_id")
        .with_columns(pl.coalesce(ids.str.extract(_RECORD_ID, 1), ids).alias("deal_id"))
        .filter(pl.col("deal_id").is_not_null() & (pl.col("deal_id") != ""))
    )


FORMAT = SourceFormat(
    name="hubspot",
    detect=detect,
    deal_aliases=_DEAL_ALIASES,
    convert_deals=convert_deals,
    map_activities=map_activities,
    description="HubSpot deals export and activities (engagements) export",
)
