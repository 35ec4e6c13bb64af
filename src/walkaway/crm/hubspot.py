"""HubSpot through hubspot-api-client: deals, their stage history and engagements in,
Walkaway's own deal properties and a task out.

Properties come back under their internal names (``dealname``, ``dealstage``,
``hs_call_direction``, ...), which the HubSpot export importer reads
(:mod:`walkaway.importers.hubspot`); an engagement's kind becomes the export's
``Activity type`` and its deals ``Associated Deal IDs``. Stage history (which no
export has) is written as the generic format's ``stage_change`` rows.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, date, datetime, time
from typing import TYPE_CHECKING, Any

from urllib3.exceptions import HTTPError

from walkaway import lazy
from walkaway.crm.credentials import CrmConfig
from walkaway.crm.http import records_table, retry_policy
from walkaway.crm.sync import Page
from walkaway.errors import DeliveryError, InputError
from walkaway.importers import generic
from walkaway.importers import hubspot as export_format

if TYPE_CHECKING:
    import hubspot
else:
    hubspot = lazy.module("hubspot")

PAGE_SIZE = 100
SEARCH_LIMIT = 10_000  # HubSpot's search returns no more than this per query
MODIFIED = "hs_lastmodifieddate"
DEAL_PROPERTIES = {
    "dealname": "dealname",
    "dealstage": "dealstage",
    "amount": "amount",
    "deal_currency_code": "deal_currency_code",
    "createdate": "createdate",
    "closedate": "closedate",
    "closed_lost_reason": "closed_lost_reason",
    "hs_is_closed_won": "hs_is_closed_won",
    "hs_is_closed": "hs_is_closed",
    "hs_deal_stage_probability": "Deal Stage Probability",
    "hubspot_owner_id": "Deal owner",
}
# engagement object -> (its ``Activity type``, its properties -> the export's headers)
ENGAGEMENTS: dict[str, tuple[str, dict[str, str]]] = {
    "calls": ("CALL", {"hs_call_title": "Call title", "hs_call_direction": "hs_call_direction",
                       "hs_call_duration": "hs_call_duration"}),
    "emails": ("EMAIL", {"hs_email_subject": "Email subject",
                         "hs_email_direction": "hs_email_direction"}),
    "meetings": ("MEETING", {"hs_meeting_title": "Meeting name",
                             "hs_meeting_outcome": "hs_meeting_outcome"}),
    "tasks": ("TASK", {"hs_task_subject": "Task title", "hs_task_status": "hs_task_status"}),
    "notes": ("NOTE", {"hs_note_body": "Note body"}),
}  # fmt: skip
TASK_TO_DEAL = 216  # HubSpot's association type id: task -> deal


def _status(error: Exception) -> int | None:
    status = getattr(error, "status", None)
    return status if isinstance(status, int) else None


def _message(error: Exception) -> str:
    body = getattr(error, "body", None)
    try:
        data = json.loads(body or "{}")
        return str(data.get("message") or data.get("category") or body)[:300]
    except (ValueError, TypeError):
        return str(body or error)[:300]


@contextmanager
def hubspot_errors(doing: str) -> Iterator[None]:
    """HubSpot's API exceptions as one line each."""
    try:
        yield
    except HTTPError as error:
        raise DeliveryError(f"HubSpot, {doing}: {error}") from None
    except Exception as error:
        status = _status(error)
        # Each API package has its own ApiException (and subclasses such as
        # UnauthorizedException): they are told apart by name.
        if status is None or "ApiException" not in {c.__name__ for c in type(error).__mro__}:
            raise
        if status == 401:
            raise InputError(
                f"HubSpot refused the access token ({_message(error)}); set "
                "WALKAWAY_HUBSPOT_ACCESS_TOKEN to a private app's token"
            ) from None
        if status == 400:
            raise InputError(
                f"HubSpot, {doing}: {_message(error)} (create Walkaway's deal properties, "
                "or name yours in the config's [hubspot.fields])"
            ) from None
        raise DeliveryError(f"HubSpot, {doing}: HTTP {status} {_message(error)}") from None


def connect(config: CrmConfig) -> Any:
    """A ``hubspot.HubSpot`` client with the retry policy."""
    token = config.get("access_token")
    if not token:
        raise InputError(
            "no HubSpot credentials: set WALKAWAY_HUBSPOT_ACCESS_TOKEN (or a config file)"
        )
    extra = {"host": config.get("base_url")} if config.get("base_url") else {}
    return hubspot.HubSpot(access_token=token, retry=retry_policy(), **extra)


def _millis(moment: datetime) -> str:
    return str(int(moment.replace(tzinfo=UTC).timestamp() * 1000))


def _naive(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value
    if isinstance(value, str) and value:
        return _naive(datetime.fromisoformat(value.replace("Z", "+00:00")))
    return None


class HubSpotSource:
    """The HubSpot portal as :func:`walkaway.crm.sync.sync` reads it."""

    name = "hubspot"
    deal_format = export_format.FORMAT
    objects = ("deals", *ENGAGEMENTS)

    def __init__(self, client: Any) -> None:
        self.client = client
        self._owners: dict[str, str] | None = None

    def owners(self) -> dict[str, str]:
        """Owner id -> ``First Last`` (else the email), read once."""
        if self._owners is None:
            found: dict[str, str] = {}
            after = None
            while True:
                with hubspot_errors("reading the owners"):
                    page = self.client.crm.owners.owners_api.get_page(limit=500, after=after)
                for owner in page.results or []:
                    name = " ".join(p for p in (owner.first_name, owner.last_name) if p)
                    found[str(owner.id)] = name or owner.email or str(owner.id)
                after = page.paging.next.after if page.paging and page.paging.next else None
                if after is None:
                    break
            self._owners = found
        return self._owners

    def _search(self, obj: str, since: datetime, properties: list[str]) -> Iterator[list[Any]]:
        """Pages of ``obj`` changed at or after ``since``, oldest change first; past the
        search's 10,000 results it starts again from the newest change seen."""
        after: str | None = None
        while True:
            request = {
                "filterGroups": [{"filters": [
                    {"propertyName": MODIFIED, "operator": "GTE", "value": _millis(since)}
                ]}],
                "sorts": [{"propertyName": MODIFIED, "direction": "ASCENDING"}],
                "properties": [*properties, MODIFIED],
                "limit": PAGE_SIZE,
                **({"after": after} if after else {}),
            }  # fmt: skip
            with hubspot_errors(f"searching {obj}"):
                page = self.client.crm.objects.search_api.do_search(
                    object_type=obj, public_object_search_request=request
                )
            results = list(page.results or [])
            if results:
                yield results
            after = page.paging.next.after if page.paging and page.paging.next else None
            if after is None:
                return
            if int(after) >= SEARCH_LIMIT:
                since, after = _naive(results[-1].properties.get(MODIFIED)) or since, None

    def _stage_history(self, ids: list[str]) -> Any:
        request = {"inputs": [{"id": i} for i in ids], "properties": ["dealstage"],
                   "propertiesWithHistory": ["dealstage"]}  # fmt: skip
        with hubspot_errors("reading the stage history"):
            batch = self.client.crm.deals.batch_api.read(
                batch_read_input_simple_public_object_id=request
            )
        rows = [
            {"deal_id": deal.id, "at": _naive(change.timestamp), "kind": "stage_change",
             "stage": change.value, "actor": change.source_type}
            for deal in batch.results or []
            for change in (deal.properties_with_history or {}).get("dealstage") or []
        ]  # fmt: skip
        return records_table(
            "HubSpot deal stage history (API)", rows, ["deal_id", "at", "kind", "stage", "actor"]
        )

    def _deals_page(self, results: list[Any]) -> Page:
        owners = self.owners()
        rows = []
        for deal in results:
            props = deal.properties or {}
            row = {DEAL_PROPERTIES[k]: props.get(k) for k in DEAL_PROPERTIES}
            row["hs_object_id"] = deal.id
            row["Deal owner"] = owners.get(
                str(props.get("hubspot_owner_id")), props.get("hubspot_owner_id")
            )
            rows.append(row)
        table = records_table(
            "HubSpot deals (API)", rows, ["hs_object_id", *DEAL_PROPERTIES.values()]
        )
        history = self._stage_history([d.id for d in results])
        return Page(_newest(results), deals=table, activities=[(generic.FORMAT, history)])

    def _associated_deals(self, obj: str, ids: list[str]) -> dict[str, list[str]]:
        request = {"inputs": [{"id": i} for i in ids]}
        with hubspot_errors(f"reading the deals of {obj}"):
            batch = self.client.crm.associations.v4.batch_api.get_page(
                from_object_type=obj, to_object_type="deals",
                batch_input_public_fetch_associations_batch_request=request,
            )  # fmt: skip
        return {
            str(item._from.id): [str(to.to_object_id) for to in item.to or []]
            for item in batch.results or []
        }

    def _engagements_page(self, obj: str, results: list[Any]) -> Page:
        kind, properties = ENGAGEMENTS[obj]
        deals_of = self._associated_deals(obj, [r.id for r in results])
        owners = self.owners()
        rows = []
        for item in results:
            props = item.properties or {}
            row = {header: props.get(name) for name, header in properties.items()}
            email_direction = props.get("hs_email_direction")
            row["Activity type"] = email_direction if obj == "emails" and email_direction else kind
            row["hs_timestamp"] = props.get("hs_timestamp") or props.get("hs_createdate")
            row["Associated Deal IDs"] = ";".join(deals_of.get(str(item.id), []))
            row["Owner"] = owners.get(
                str(props.get("hubspot_owner_id")), props.get("hubspot_owner_id")
            )
            rows.append(row)
        headers = [
            "Associated Deal IDs",
            "Activity type",
            "hs_timestamp",
            "Owner",
            *properties.values(),
        ]
        table = records_table(f"HubSpot {obj} (API)", rows, headers)
        return Page(_newest(results), activities=[(export_format.FORMAT, table)])

    def pages(self, obj: str, since: datetime) -> Iterator[Page]:
        """The records of ``obj`` changed at or after ``since``, a page at a time."""
        if obj == "deals":
            for results in self._search("deals", since, list(DEAL_PROPERTIES)):
                yield self._deals_page(results)
            return
        _kind, properties = ENGAGEMENTS[obj]
        wanted = [*properties, "hs_timestamp", "hs_createdate", "hubspot_owner_id"]
        for results in self._search(obj, since, wanted):
            yield self._engagements_page(obj, results)


def _newest(results: list[Any]) -> datetime | None:
    stamps = [_naive((r.properties or {}).get(MODIFIED)) for r in results]
    known = [s for s in stamps if s is not None]
    return max(known) if known else None


class HubSpotWriter:
    """Writes the call to Walkaway's own deal properties and a re-qualify task."""

    name = "hubspot"

    def __init__(self, client: Any, fields: Mapping[str, str]) -> None:
        self.client = client
        self.fields = fields

    def write_call(self, deal_id: str, values: Mapping[str, Any]) -> None:
        properties = {self.fields[k]: str(v) for k, v in values.items()}
        with hubspot_errors(f"updating deal {deal_id}"):
            self.client.crm.deals.basic_api.update(
                deal_id, simple_public_object_input={"properties": properties}
            )

    def create_task(self, deal_id: str, subject: str, due: date, description: str) -> None:
        moment = datetime.combine(due, time(9, 0), tzinfo=UTC)
        task = {
            "properties": {"hs_task_subject": subject, "hs_task_body": description,
                           "hs_timestamp": moment.isoformat(), "hs_task_status": "NOT_STARTED"},
            "associations": [{"to": {"id": deal_id}, "types": [
                {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": TASK_TO_DEAL}
            ]}],
        }  # fmt: skip
        with hubspot_errors(f"creating the re-qualify task of deal {deal_id}"):
            self.client.crm.objects.tasks.basic_api.create(
                simple_public_object_input_for_create=task
            )
