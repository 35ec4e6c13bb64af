"""walkaway sync / push salesforce against recorded API responses (never the network).

The responses are the documented shapes of Salesforce's REST API (query pages with
nextRecordsUrl, sObject PATCH and POST, error bodies) and its SOAP login fault."""

from __future__ import annotations

import json
import re
from collections import deque
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import responses
import sqlalchemy as sa
from typer.testing import CliRunner

from tests.conftest import ROOT
from walkaway.cli import app
from walkaway.crm.credentials import load_config
from walkaway.errors import InputError
from walkaway.store import open_store
from walkaway.store.schema import activities, deals

RECORDED = ROOT / "tests" / "fixtures" / "crm" / "salesforce"
INSTANCE = "https://acme.my.salesforce.com"
API = f"{INSTANCE}/services/data/v59.0"
ENV = {"WALKAWAY_SALESFORCE_INSTANCE_URL": INSTANCE, "WALKAWAY_SALESFORCE_ACCESS_TOKEN": "00D!tok"}
OPPORTUNITY_IDS = [f"006Dn00000000{i}AbIA" for i in range(1, 5)]


def recorded(name: str) -> Any:
    return json.loads((RECORDED / name).read_text(encoding="utf-8"))


class RecordedOrg:
    """Answers SOQL queries from recorded pages, object by object, in order; keeps the
    queries asked and the records written."""

    def __init__(self, mock: responses.RequestsMock) -> None:
        self.answers: dict[str, deque[tuple[int, Any, dict[str, str]]]] = {}
        self.queries: list[str] = []
        self.patches: list[tuple[str, dict[str, Any]]] = []
        self.tasks: list[dict[str, Any]] = []
        self.patch_status: deque[int] = deque()
        query = re.compile(rf"{re.escape(API)}/query/?(\?.*)?$")
        mock.add_callback(responses.GET, query, callback=self._query)
        mock.add(
            responses.GET, f"{API}/query/01gDn00000AbCdE-2", json=recorded("opportunities-2.json")
        )
        mock.add_callback(
            responses.PATCH,
            re.compile(rf"{re.escape(API)}/sobjects/Opportunity/\w+"),
            callback=self._patch,
        )
        mock.add_callback(responses.POST, f"{API}/sobjects/Task/", callback=self._task)

    def answer(
        self, obj: str, *pages: Any, status: int = 200, headers: dict[str, str] | None = None
    ) -> None:
        queue = self.answers.setdefault(obj, deque())
        for page in pages:
            queue.append((status, page, headers or {}))

    def _query(self, request: Any) -> tuple[int, dict[str, str], str]:
        soql = parse_qs(urlsplit(request.url).query)["q"][0]
        self.queries.append(soql)
        obj = re.search(r" FROM (\w+)", soql)
        assert obj is not None
        queue = self.answers.get(obj.group(1))
        if not queue:
            return 200, {}, json.dumps({"totalSize": 0, "done": True, "records": []})
        status, body, headers = queue.popleft()
        return status, headers, json.dumps(body)

    def _patch(self, request: Any) -> tuple[int, dict[str, str], str]:
        status = self.patch_status.popleft() if self.patch_status else 204
        if status != 204:
            return status, {}, json.dumps(recorded("patch-invalid-field.json"))
        self.patches.append((request.url.rsplit("/", 1)[1], json.loads(request.body)))
        return 204, {}, ""

    def _task(self, request: Any) -> tuple[int, dict[str, str], str]:
        self.tasks.append(json.loads(request.body))
        return (
            201,
            {},
            json.dumps(
                {"id": f"00TDn00000{len(self.tasks):04d}XYZ", "success": True, "errors": []}
            ),
        )


@pytest.fixture
def org() -> Any:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield RecordedOrg(mock)


def _everything(org: RecordedOrg) -> None:
    org.answer("Opportunity", recorded("opportunities-1.json"))
    org.answer("OpportunityHistory", recorded("opportunity-history.json"))
    org.answer("Task", recorded("tasks.json"))
    org.answer("Event", recorded("events.json"))


def _run(*args: str, env: dict[str, str] | None = None) -> Any:
    return CliRunner().invoke(app, list(args), env=env if env is not None else ENV)


def _stored(db: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    store = open_store(db)
    with store.connect() as conn:
        found = [dict(r._mapping) for r in conn.execute(sa.select(deals).order_by(deals.c.deal_id))]
        acts = [
            dict(r._mapping) for r in conn.execute(sa.select(activities).order_by(activities.c.at))
        ]
    store.close()
    return found, acts


def test_a_first_sync_maps_opportunities_history_tasks_and_events(
    org: RecordedOrg, tmp_path: Path
) -> None:
    _everything(org)
    db = str(tmp_path / "sf.db")
    result = _run("sync", "salesforce", "--db", db)
    assert result.exit_code == 0, result.output
    found, acts = _stored(db)
    assert [d["deal_id"] for d in found] == OPPORTUNITY_IDS  # both query pages
    by_id = {d["deal_id"]: d for d in found}
    assert (
        by_id[OPPORTUNITY_IDS[2]]["outcome"] == "won"
        and by_id[OPPORTUNITY_IDS[3]]["outcome"] == "lost"
    )
    assert by_id[OPPORTUNITY_IDS[0]]["owner"] == "Anna Keller"
    assert by_id[OPPORTUNITY_IDS[0]]["account"] == "Acme GmbH"
    assert by_id[OPPORTUNITY_IDS[0]]["expected_close"] == date(2025, 7, 31)
    assert all(d["source"] == "salesforce" for d in found)
    kinds = [(a["kind"], a["direction"]) for a in acts]
    assert sum(kind == "stage_change" for kind, _direction in kinds) == 3
    assert ("email", "outbound") in kinds and ("email", "inbound") in kinds  # RE: is the buyer
    call = next(a for a in acts if a["kind"] == "call")
    assert call["direction"] == "inbound" and call["hours"] == pytest.approx(0.5)
    assert any(a["kind"] == "demo" for a in acts)
    assert not any((a["detail"] or "") == "Send pricing" for a in acts)  # not started: skipped
    opportunity_query = next(q for q in org.queries if " FROM Opportunity " in q)
    assert "SystemModstamp >= 1970-01-01T00:00:00Z" in opportunity_query
    assert all("What.Type = 'Opportunity'" in q for q in org.queries if " FROM Task " in q)


def test_the_next_sync_asks_only_for_what_changed_since(org: RecordedOrg, tmp_path: Path) -> None:
    _everything(org)
    db = str(tmp_path / "sf.db")
    assert _run("sync", "salesforce", "--db", db).exit_code == 0
    org.queries.clear()
    org.answer("Opportunity", recorded("opportunities-changed.json"))
    result = _run("sync", "salesforce", "--db", db)
    assert result.exit_code == 0, result.output
    asked = next(q for q in org.queries if " FROM Opportunity " in q)
    assert "SystemModstamp >= 2025-06-04T08:00:00Z" in asked  # the newest change written
    tasks_asked = next(q for q in org.queries if " FROM Task " in q)
    assert "SystemModstamp >= 2025-05-03T08:00:00Z" in tasks_asked
    found, _acts = _stored(db)
    assert {d["deal_id"]: d["stage"] for d in found}[OPPORTUNITY_IDS[1]] == "Needs Analysis"


def test_a_rate_limit_is_waited_out(org: RecordedOrg, tmp_path: Path) -> None:
    org.answer(
        "Opportunity", recorded("rate-limited.json"), status=429, headers={"Retry-After": "0"}
    )
    _everything(org)
    result = _run("sync", "salesforce", "--db", str(tmp_path / "sf.db"))
    assert result.exit_code == 0, result.output
    assert sum(" FROM Opportunity " in q for q in org.queries) == 2
    assert len(_stored(str(tmp_path / "sf.db"))[0]) == 4


def test_a_failure_half_way_loses_nothing_and_the_next_run_resumes(
    org: RecordedOrg, tmp_path: Path
) -> None:
    db = str(tmp_path / "sf.db")
    org.answer("Opportunity", recorded("opportunities-1.json"))
    org.answer("OpportunityHistory", recorded("opportunity-history.json"))
    for _ in range(8):  # more than the retries: the sync gives up on tasks
        org.answer("Task", {"message": "busy"}, status=503)
    failed = _run("sync", "salesforce", "--db", db)
    assert failed.exit_code == 2 and "Salesforce, reading Task: HTTP 503" in failed.output
    assert len(failed.output.strip().splitlines()) == 1
    found, acts = _stored(db)
    assert len(found) == 4 and any(a["kind"] == "stage_change" for a in acts)  # kept
    org.answers.clear()
    org.answer("Task", recorded("tasks.json"))
    org.answer("Event", recorded("events.json"))
    resumed = _run("sync", "salesforce", "--db", db)
    assert resumed.exit_code == 0, resumed.output
    _found, acts = _stored(db)
    assert any(a["kind"] == "call" for a in acts) and any(a["kind"] == "demo" for a in acts)
    assert "SystemModstamp >= 1970-01-01T00:00:00Z" in next(
        q for q in org.queries if " FROM Task " in q
    )


def test_a_bad_password_is_one_clear_line(tmp_path: Path) -> None:
    env = {"WALKAWAY_SALESFORCE_USERNAME": "ann@acme.test", "WALKAWAY_SALESFORCE_PASSWORD": "wrong",
           "WALKAWAY_SALESFORCE_SECURITY_TOKEN": "t"}  # fmt: skip
    with responses.RequestsMock() as mock:
        mock.add(responses.POST, "https://login.salesforce.com/services/Soap/u/59.0",
                 body=(RECORDED / "login-invalid.xml").read_text(), status=500)  # fmt: skip
        result = _run("sync", "salesforce", "--db", str(tmp_path / "sf.db"), env=env)
    assert result.exit_code == 2
    assert "Salesforce refused the credentials (INVALID_LOGIN" in result.output
    assert "wrong" not in result.output


def test_push_writes_changed_calls_to_walkaways_fields_and_resumes(
    org: RecordedOrg, tmp_path: Path
) -> None:
    _everything(org)
    db = str(tmp_path / "sf.db")
    assert _run("sync", "salesforce", "--db", db).exit_code == 0
    org.patch_status.extend([204, 400])  # the second deal's PATCH finds no such field
    failed = _run("push", "salesforce", "--as-of", "2025-06-15", "--db", db)
    assert failed.exit_code == 2
    assert "No such column 'Walkaway_Recommendation__c'" in failed.output
    assert len(org.patches) == 1
    first_id, fields = org.patches[0]
    assert set(fields) == {
        "Walkaway_Recommendation__c",
        "Walkaway_Win_Probability__c",
        "Walkaway_Top_Reason__c",
    }
    assert fields["Walkaway_Recommendation__c"] in {"pursue", "requalify", "walk_away"}
    assert 0 < fields["Walkaway_Win_Probability__c"] < 1
    resumed = _run("push", "salesforce", "--as-of", "2025-06-15", "--db", db, "--json")
    assert resumed.exit_code == 0, resumed.output
    summary = json.loads(resumed.stdout)
    assert summary["written"] == 1 and summary["unchanged"] == 1  # two open deals
    assert [p[0] for p in org.patches][1:] != [first_id]
    requalified = [i for i, f in org.patches if f["Walkaway_Recommendation__c"] == "requalify"]
    assert [t["WhatId"] for t in org.tasks] == requalified
    assert all(t["Status"] == "Not Started" and t["ActivityDate"] > "2025-06-15" for t in org.tasks)
    again = _run("push", "salesforce", "--as-of", "2025-06-15", "--db", db, "--json")
    assert json.loads(again.stdout)["written"] == 0 and len(org.patches) == 2


def test_push_never_writes_a_field_a_person_owns(tmp_path: Path) -> None:
    config = tmp_path / "crm.toml"
    config.write_text('[salesforce.fields]\nrecommendation = "StageName"\n', encoding="utf-8")
    with pytest.raises(InputError, match="not one of Walkaway's own fields"):
        load_config("salesforce", config, env={})


def test_rows_the_importer_rejects_are_set_aside_and_said(org: RecordedOrg, tmp_path: Path) -> None:
    _everything(org)
    tasks = recorded("tasks.json")
    stray = dict(tasks["records"][0], WhatId="006Dn000000099ZZIA", Subject="Email: elsewhere")
    org.answers["Task"].clear()
    org.answer("Task", {**tasks, "records": [*tasks["records"], stray]})
    db = str(tmp_path / "sf.db")
    result = _run("sync", "salesforce", "--db", db, "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["rejected"] == 1
    assert "Salesforce Task (API)" in summary["problems"][0]
    assert "006Dn000000099ZZIA" in summary["problems"][0]
    _found, acts = _stored(db)
    assert not any(a["detail"] == "Email: elsewhere" for a in acts)
