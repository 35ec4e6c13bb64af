"""Pipedrive exports: deals, and activities (CSV or XLSX, with or without ``Deal - ``).

Deals:

- ``Deal - Status`` won/lost/open is the outcome (``deleted`` deals are skipped: they
  are gone from the pipeline); without a status column the stage name decides.
- ``Deal - Won time`` / ``Deal - Lost time`` (else ``Deal closed on``) is when a closed
  deal closed; ``Deal - Expected close date`` the expected close.
- ``Deal - Probability`` (0–100) is kept as the attribute ``crm_probability``, a 0–1
  fraction, like the other CRMs' stage probability.
- ``Deal - Organization`` is the account; other columns are attributes, named without
  the ``Deal - `` prefix (``Deal - Weighted value`` -> ``weighted_value``).

Activities:

- ``Activity - Type`` call, meeting (and lunch), email; task, deadline and custom types
  are other (a type naming a demo is a demo).
- ``Activity - Due date`` plus ``Activity - Due time`` is when it happened.
- Activities not marked ``Activity - Done`` have not happened and are skipped, as are
  activities linked to no deal.
- ``Activity - Duration`` ``01:30`` is an hour and a half (a bare number is minutes).
- Emails and calls are the rep's (outbound) unless the subject answers another
  (``RE:``), which counts as the buyer's reply (inbound).
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
    snake,
)
from walkaway.importers.reading import RawTable

_DEAL = "Deal - "
_ACTIVITY = "Activity - "


def _spellings(prefix: str, *names: str) -> tuple[str, ...]:
    return tuple(f"{prefix}{n}" for n in names) + names


_DEAL_ALIASES: dict[str, tuple[str, ...]] = {
    "deal_id": _spellings(_DEAL, "ID"),
    "name": _spellings(_DEAL, "Title"),
    "account": (*_spellings(_DEAL, "Organization"), "Organization - Name"),
    "owner": _spellings(_DEAL, "Owner", "Owner name"),
    "stage": _spellings(_DEAL, "Stage"),
    "amount": _spellings(_DEAL, "Value"),
    "currency": _spellings(_DEAL, "Currency", "Currency of Value"),
    "created_at": _spellings(_DEAL, "Deal created", "Add time", "Created"),
    "expected_close": _spellings(_DEAL, "Expected close date"),
    "loss_reason": _spellings(_DEAL, "Lost reason"),
    "_status": _spellings(_DEAL, "Status"),
    "_won_time": _spellings(_DEAL, "Won time"),
    "_lost_time": _spellings(_DEAL, "Lost time"),
    "_closed_on": _spellings(_DEAL, "Deal closed on", "Close time"),
    "_probability": _spellings(_DEAL, "Probability"),
}
_DEAL_TEMPS = [a for a in _DEAL_ALIASES if a.startswith("_")]
_ACTIVITY_ALIASES: dict[str, tuple[str, ...]] = {
    "deal_id": (*_spellings(_ACTIVITY, "Deal ID"), "Deal - ID"),
    "detail": _spellings(_ACTIVITY, "Subject"),
    "actor": _spellings(_ACTIVITY, "Assigned to user", "Owner", "Creator"),
    "_type": _spellings(_ACTIVITY, "Type"),
    "_date": _spellings(_ACTIVITY, "Due date", "Date"),
    "_time": _spellings(_ACTIVITY, "Due time", "Time"),
    "_done_time": _spellings(_ACTIVITY, "Marked as done time"),
    "_done": _spellings(_ACTIVITY, "Done", "Status"),
    "_duration": _spellings(_ACTIVITY, "Duration"),
}
_ACTIVITY_TEMPS = [a for a in _ACTIVITY_ALIASES if a.startswith("_")]
_UNPREFIXED = {"title", "value", "status"}
_SIGNATURE = {"wontime", "losttime", "dealcreated", "expectedclosedate", "lostreason"}
_SIGNATURE |= {"stage", "owner", "organization", "currency", "pipeline", "probability"}


def detect(headers: list[str]) -> float:
    """``Deal - Title`` and ``Deal - Value`` (or Title, Value and Status unprefixed)."""
    keys = {header_key(h) for h in headers}
    prefixed = sum(h.lower().startswith(_DEAL.lower()) for h in headers)
    if prefixed >= 3 and {"dealtitle", "dealvalue"} <= keys:
        return score_signature(prefixed / len(headers))
    if keys >= _UNPREFIXED and keys & _SIGNATURE and "dealname" not in keys:
        return score_signature(len(keys & (_SIGNATURE | _UNPREFIXED)) / len(keys))
    return 0.0


def convert_deals(mapped: Mapped, table: RawTable) -> Mapped:
    """The status (deleted deals skipped), won and lost times, probability."""
    mapped = _unprefixed_extras(mapped)
    frame = mapping.ensure_columns(mapped.frame, ["stage", *_DEAL_TEMPS])
    status = pl.col("_status").str.to_lowercase().str.strip_chars()
    frame = frame.filter(status.is_null() | (status != "deleted")).with_columns(
        pl.when(status.is_in(["won", "lost", "open"]))
        .then(status)
        .otherwise(mapping.outcome_from_stage(pl.col("stage")))
        .alias("outcome")
    )
    mapped = mapping.with_frame(mapped, frame)
    outcome = pl.col("outcome")
    columns: dict[str, pl.Expr] = {
        "closed_at": pl.when(outcome == "won")
        .then(pl.coalesce("_won_time", "_closed_on"))
        .when(outcome == "lost")
        .then(pl.coalesce("_lost_time", "_closed_on"))
    }
    extras = []
    if "_probability" in mapped.origins:
        probability = mapping.fraction_text(frame["_probability"], table.delimiter, percent=True)
        columns["crm_probability"] = pl.lit(probability)
        extras.append("crm_probability")
    closing = [
        mapped.origins[t] for t in ("_won_time", "_lost_time", "_closed_on") if t in mapped.origins
    ]
    origins = {
        "closed_at": " / ".join(closing) or None,
        "outcome": mapped.origins.get("_status"),
        "crm_probability": mapped.origins.get("_probability"),
    }
    return mapping.derive(mapped, columns, origins=origins, extras=extras, drop=_DEAL_TEMPS)


def _unprefixed_extras(mapped: Mapped) -> Mapped:
    """Attribute keys without the export's ``Deal - `` prefix, where that stays unique."""
    renames: dict[str, str] = {}
    taken = set(mapped.frame.columns)
    for extra in mapped.extras:
        header = mapped.origin(extra)
        if header.lower().startswith(_DEAL.lower()):
            key = snake(header[len(_DEAL) :])
            if key not in taken:
                renames[extra] = key
                taken.add(key)
    origins = {renames.get(k, k): v for k, v in mapped.origins.items()}
    extras = tuple(renames.get(e, e) for e in mapped.extras)
    frame = mapped.frame.rename(renames)
    return Mapped(mapped.label, frame, origins, extras, mapped.delimiter, mapped.headers)


def map_activities(table: RawTable) -> Mapped:
    mapped = rename_by_aliases(table, _ACTIVITY_ALIASES, keep_extras=False)
    frame = mapping.ensure_columns(mapped.frame, ["detail", *_ACTIVITY_TEMPS])
    done = pl.col("_done").str.to_lowercase().str.strip_chars()
    not_done = mapping.is_false(pl.col("_done")) | done.is_in(
        ["to do", "todo", "not done", "undone"]
    )
    frame = frame.filter(~not_done.fill_null(False))
    if "deal_id" in frame.columns:
        frame = frame.filter(pl.col("deal_id").is_not_null())
    # An XLSX date cell reads as 2017-05-26T00:00:00; its time is in the time column.
    day = pl.col("_date").str.replace(r"[T ]00:00(:00)?$", "")
    moment = pl.when(pl.col("_time").is_not_null()).then(day + pl.lit(" ") + pl.col("_time"))
    subject = pl.col("detail")
    frame = frame.with_columns(
        kind=mapping.kind_from_label(pl.col("_type")),
        at=pl.coalesce(moment, day, pl.col("_done_time")),
    ).with_columns(
        direction=mapping.direction(pl.col("kind"), subject),
        status=mapping.status_from_label(pl.lit(None, dtype=pl.String), subject),
    )
    when = mapping.joined_origin(mapped, "_date", "_done_time")
    origins = {"at": when, "kind": mapped.origins.get("_type")}
    if "_duration" in mapped.origins:
        hours = mapping.duration_hours(
            frame["_duration"], mapping.MINUTES_PER_HOUR, table.delimiter
        )
        frame = frame.with_columns(hours.alias("hours"))
        origins["hours"] = mapped.origins["_duration"]
    if not when:
        frame = frame.drop("at")  # reported once as a missing column
    return mapping.derive(
        mapping.with_frame(mapped, frame), {}, origins=origins, drop=_ACTIVITY_TEMPS
    )


FORMAT = SourceFormat(
    name="pipedrive",
    detect=detect,
    deal_aliases=_DEAL_ALIASES,
    convert_deals=convert_deals,
    map_activities=map_activities,
    description="Pipedrive deals export and activities export (CSV or XLSX)",
)
