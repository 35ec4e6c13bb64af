"""Salesforce through simple-salesforce: SOQL pages in, Walkaway's own fields out.

Records come back with the API's field names (``Id``, ``StageName``, ``WhatId``,
``CallDurationInSeconds``, ...), which are among the spellings the Salesforce export
importer reads (:mod:`walkaway.importers.salesforce`); a relationship (``Owner.Name``)
becomes the header a report gives it (``Opportunity Owner``, ``Assigned To``). So a
synced opportunity, stage change, task or event is mapped exactly as an exported one.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, TypeVar

import requests
from requests.adapters import HTTPAdapter

from walkaway import lazy
from walkaway.crm.credentials import CrmConfig
from walkaway.crm.http import records_table, retry_policy
from walkaway.crm.sync import Page
from walkaway.errors import DeliveryError, InputError
from walkaway.importers import salesforce as export_format
from walkaway.importers.parsing import parse_datetime

if TYPE_CHECKING:
    from simple_salesforce import api as sf_api
    from simple_salesforce import exceptions as sf
else:
    sf = lazy.module("simple_salesforce.exceptions")
    sf_api = lazy.module("simple_salesforce.api")

API_VERSION = "59.0"
T = TypeVar("T")

# object -> (SOQL without the change filter, headers as the export importer reads them)
QUERIES: dict[str, tuple[str, dict[str, str]]] = {
    "Opportunity": (
        "SELECT Id, Name, Account.Name, Owner.Name, StageName, Amount, CreatedDate, "
        "CloseDate, Probability, IsWon, IsClosed, SystemModstamp FROM Opportunity",
        {"Account.Name": "Account Name", "Owner.Name": "Opportunity Owner"},
    ),
    "OpportunityHistory": (
        "SELECT OpportunityId, StageName, CreatedDate, CreatedBy.Name, SystemModstamp "
        "FROM OpportunityHistory",
        {"CreatedBy.Name": "Created By"},
    ),
    "Task": (
        "SELECT Id, WhatId, Subject, ActivityDate, CompletedDateTime, CreatedDate, "
        "TaskSubtype, Type, CallType, Status, CallDurationInSeconds, Owner.Name, "
        "SystemModstamp FROM Task",
        {"Owner.Name": "Assigned To"},
    ),
    "Event": (
        "SELECT Id, WhatId, Subject, StartDateTime, ActivityDate, EventSubtype, Type, "
        "DurationInMinutes, Owner.Name, SystemModstamp FROM Event",
        {"Owner.Name": "Assigned To"},
    ),
}
WHAT_IS_AN_OPPORTUNITY = {"Task", "Event"}  # related to an opportunity, not a contact


def _first_error(error: Any) -> str:
    """``errorCode: message`` of a Salesforce error body (a JSON list), else its text."""
    content = getattr(error, "content", b"")
    try:
        body = json.loads(content)
        first = body[0] if isinstance(body, list) else body
        return f"{first.get('errorCode', '')}: {first.get('message', '')}".strip(": ")
    except (ValueError, TypeError, AttributeError, IndexError):
        return str(content)[:200]


@contextmanager
def salesforce_errors(doing: str) -> Iterator[None]:
    """Salesforce's exceptions as one line each (bad credential, missing field, ...)."""
    try:
        yield
    except sf.SalesforceAuthenticationFailed as error:
        raise InputError(
            f"Salesforce refused the credentials ({error.code}: {error.auth_message}); check "
            "WALKAWAY_SALESFORCE_USERNAME, _PASSWORD and _SECURITY_TOKEN (or the config file)"
        ) from None
    except sf.SalesforceExpiredSession as error:
        raise InputError(
            f"Salesforce refused the access token ({_first_error(error)}); set a fresh "
            "WALKAWAY_SALESFORCE_ACCESS_TOKEN"
        ) from None
    except sf.SalesforceMalformedRequest as error:
        raise InputError(
            f"Salesforce, {doing}: {_first_error(error)} (create Walkaway's custom fields, "
            "or name yours in the config's [salesforce.fields])"
        ) from None
    except sf.SalesforceError as error:
        raise DeliveryError(
            f"Salesforce, {doing}: HTTP {error.status} {_first_error(error)}"
        ) from None
    except requests.RequestException as error:
        raise DeliveryError(f"Salesforce, {doing}: {error}") from None


def _session() -> requests.Session:
    session = requests.Session()
    adapter = HTTPAdapter(max_retries=retry_policy())
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


def connect(config: CrmConfig) -> Any:
    """A logged-in ``simple_salesforce.Salesforce`` (an access token, else username,
    password and security token)."""
    session = _session()
    with salesforce_errors("logging in"):
        if config.get("access_token") and config.get("instance_url"):
            return sf_api.Salesforce(
                instance_url=config.get("instance_url"),
                session_id=config.get("access_token"),
                session=session,
                version=API_VERSION,
            )
        if not (config.get("username") and config.get("password")):
            raise InputError(
                "no Salesforce credentials: set WALKAWAY_SALESFORCE_USERNAME, _PASSWORD and "
                "_SECURITY_TOKEN, or _INSTANCE_URL and _ACCESS_TOKEN (or a config file)"
            )
        return sf_api.Salesforce(
            username=config.get("username"),
            password=config.get("password"),
            security_token=config.get("security_token") or "",
            domain=config.get("domain") or "login",
            session=session,
            version=API_VERSION,
        )


def _flatten(record: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"Owner": {"Name": "Ann"}}`` -> ``{"Owner.Name": "Ann"}``; no ``attributes``."""
    flat: dict[str, Any] = {}
    for key, value in record.items():
        if key == "attributes":
            continue
        if isinstance(value, Mapping):
            flat.update(_flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def _soql_time(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


class SalesforceSource:
    """The Salesforce org as :func:`walkaway.crm.sync.sync` reads it."""

    name = "salesforce"
    deal_format = export_format.FORMAT
    objects = tuple(QUERIES)

    def __init__(self, client: Any) -> None:
        self.client = client

    def _query(self, obj: str, since: datetime) -> str:
        base, _headers = QUERIES[obj]
        where = f"SystemModstamp >= {_soql_time(since)}"
        if obj in WHAT_IS_AN_OPPORTUNITY:
            where += " AND What.Type = 'Opportunity'"
        return f"{base} WHERE {where} ORDER BY SystemModstamp ASC"

    def _page(self, obj: str, records: list[dict[str, Any]]) -> Page:
        base, renames = QUERIES[obj]
        rows = [{renames.get(k, k): v for k, v in _flatten(r).items()} for r in records]
        fields = base.split("SELECT ", 1)[1].split(" FROM ", 1)[0].split(", ")
        headers = [renames.get(f, f) for f in fields if f != "SystemModstamp"]
        table = records_table(f"Salesforce {obj} (API)", rows, headers)
        stamps = parse_datetime(records_table("", rows, ["SystemModstamp"]).frame["SystemModstamp"])
        newest = stamps.max()
        newest_at = newest if isinstance(newest, datetime) else None
        if obj == "Opportunity":
            return Page(newest_at, deals=table)
        return Page(newest_at, activities=[(export_format.FORMAT, table)])

    def pages(self, obj: str, since: datetime) -> Iterator[Page]:
        """The records of ``obj`` changed at or after ``since``, a page at a time."""
        with salesforce_errors(f"reading {obj}"):
            result = self.client.query(self._query(obj, since))
        while True:
            if result.get("records"):
                yield self._page(obj, result["records"])
            if result.get("done", True) or not result.get("nextRecordsUrl"):
                return
            with salesforce_errors(f"reading {obj}"):
                result = self.client.query_more(result["nextRecordsUrl"], identifier_is_url=True)


class SalesforceWriter:
    """Writes the call to Walkaway's own Opportunity fields and a re-qualify Task."""

    name = "salesforce"

    def __init__(self, client: Any, fields: Mapping[str, str]) -> None:
        self.client = client
        self.fields = fields

    def _call(self, doing: str, write: Callable[[], T]) -> T:
        with salesforce_errors(doing):
            return write()

    def write_call(self, deal_id: str, values: Mapping[str, Any]) -> None:
        data = {self.fields[k]: v for k, v in values.items()}
        self._call(
            f"updating Opportunity {deal_id}", lambda: self.client.Opportunity.update(deal_id, data)
        )

    def create_task(self, deal_id: str, subject: str, due: date, description: str) -> None:
        task = {
            "WhatId": deal_id,
            "Subject": subject,
            "ActivityDate": due.isoformat(),
            "Status": "Not Started",
            "Description": description,
        }
        self._call(
            f"creating the re-qualify task of {deal_id}", lambda: self.client.Task.create(task)
        )
