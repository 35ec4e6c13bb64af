"""walkaway sync / push hubspot against a local HTTP server that replays recorded
responses (the documented shapes of HubSpot's CRM v3/v4 API), never the network.

hubspot-api-client talks urllib3, so the retries it is given run for real here."""

from __future__ import annotations

import copy
import json
import threading
from collections import deque
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from tests.conftest import ROOT
from walkaway.cli import app
from walkaway.store import open_store
from walkaway.store.schema import activities, deals

RECORDED = ROOT / "tests" / "fixtures" / "crm" / "hubspot"


class Portal:
    """The recorded answers, consumed in order per route (the last one repeats), and
    every request received."""

    def __init__(self) -> None:
        cassette = json.loads((RECORDED / "cassette.json").read_text(encoding="utf-8"))
        self.routes = {k: deque((200, v, {}) for v in values) for k, values in cassette.items()}
        self.errors = json.loads((RECORDED / "errors.json").read_text(encoding="utf-8"))
        self.received: list[tuple[str, str, Any]] = []
        self.token = "pat-eu1-recorded"

    def fail_first(
        self, route: str, status: int, error: str, headers: dict[str, str] | None = None
    ) -> None:
        self.routes[route].appendleft((status, self.errors[error], headers or {}))

    def answer(
        self, method: str, path: str, body: Any, auth: str | None
    ) -> tuple[int, Any, dict[str, str]]:
        self.received.append((method, path, body))
        if auth != f"Bearer {self.token}":
            return 401, self.errors["unauthorized"], {}
        key = f"{method} {path.rstrip('/')}"
        if isinstance(body, dict) and body.get("after"):
            key += f" after={body['after']}"
        if method == "PATCH" and path.startswith("/crm/v3/objects/deals/"):
            key = "PATCH /crm/v3/objects/deals/*"
        route = (
            self.routes.get(key)
            or self.routes.get(key + "/")
            or self.routes.get(f"{method} {path}")
        )
        if route is None:
            return (
                404,
                {
                    "status": "error",
                    "message": f"no recording for {key}",
                    "category": "OBJECT_NOT_FOUND",
                },
                {},
            )
        status, payload, headers = route.popleft() if len(route) > 1 else route[0]
        return status, copy.deepcopy(payload), headers

    def bodies(self, method: str, prefix: str) -> list[Any]:
        return [b for m, p, b in self.received if m == method and p.startswith(prefix)]


@pytest.fixture
def portal() -> Iterator[tuple[Portal, str]]:
    recorded = Portal()

    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            body = json.loads(raw) if raw else None
            path = urlsplit(self.path).path
            status, payload, headers = recorded.answer(
                self.command, path, body, self.headers.get("Authorization")
            )
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PATCH = _serve

        def log_message(self, format: str, *args: Any) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield recorded, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _run(base: str, *args: str, token: str = "pat-eu1-recorded") -> Any:
    env = {"WALKAWAY_HUBSPOT_ACCESS_TOKEN": token, "WALKAWAY_HUBSPOT_BASE_URL": base}
    return CliRunner().invoke(app, list(args), env=env)


def _stored(db: str) -> tuple[dict[str, dict[str, Any]], list[dict[str, Any]]]:
    store = open_store(db)
    with store.connect() as conn:
        found = {r.deal_id: dict(r._mapping) for r in conn.execute(sa.select(deals))}
        acts = [
            dict(r._mapping) for r in conn.execute(sa.select(activities).order_by(activities.c.at))
        ]
    store.close()
    return found, acts


def test_a_sync_maps_deals_stage_history_and_engagements(
    portal: tuple[Portal, str], tmp_path: Path
) -> None:
    recorded, base = portal
    db = str(tmp_path / "hs.db")
    result = _run(base, "sync", "hubspot", "--db", db)
    assert result.exit_code == 0, result.output
    found, acts = _stored(db)
    assert sorted(found) == ["9001", "9002", "9003"]  # two search pages
    assert found["9003"]["outcome"] == "won" and found["9001"]["outcome"] == "open"
    assert found["9001"]["owner"] == "Anna Keller" and found["9002"]["owner"] == "Lukas Brandt"
    assert found["9001"]["amount"] == 25000.0
    stages = [(a["deal_id"], a["stage"]) for a in acts if a["kind"] == "stage_change"]
    assert ("9001", "presentationscheduled") in stages and len(stages) == 5
    call = next(a for a in acts if a["kind"] == "call")
    assert call["deal_id"] == "9002" and call["direction"] == "inbound"
    assert call["hours"] == pytest.approx(0.5)  # 1,800,000 ms
    emails = sorted((a["detail"], a["direction"]) for a in acts if a["kind"] == "email")
    assert emails == [("Proposal for Acme", "outbound"), ("RE: Proposal for Acme", "inbound")]
    assert any(a["status"] == "no_show" for a in acts if a["kind"] == "meeting")
    tasks = [
        (a["deal_id"], a["detail"])
        for a in acts
        if a["detail"] in {"Send pricing", "Prepare security answers"}
    ]
    assert sorted(tasks) == [
        ("9001", "Prepare security answers"),
        ("9003", "Prepare security answers"),
    ]
    searches = recorded.bodies("POST", "/crm/v3/objects/deals/search")
    assert searches[0]["filterGroups"][0]["filters"][0] == {
        "propertyName": "hs_lastmodifieddate", "operator": "GTE", "value": "0"
    }  # fmt: skip


def test_the_next_sync_starts_from_the_newest_change(
    portal: tuple[Portal, str], tmp_path: Path
) -> None:
    recorded, base = portal
    db = str(tmp_path / "hs.db")
    assert _run(base, "sync", "hubspot", "--db", db).exit_code == 0
    recorded.received.clear()
    assert _run(base, "sync", "hubspot", "--db", db).exit_code == 0
    first = recorded.bodies("POST", "/crm/v3/objects/deals/search")[0]
    # 2025-06-03T08:00:00Z, the newest hs_lastmodifieddate written, in milliseconds
    assert first["filterGroups"][0]["filters"][0]["value"] == "1748937600000"


def test_a_rate_limit_is_waited_out(portal: tuple[Portal, str], tmp_path: Path) -> None:
    recorded, base = portal
    recorded.fail_first(
        "POST /crm/v3/objects/deals/search", 429, "rate_limited", {"Retry-After": "1"}
    )
    result = _run(base, "sync", "hubspot", "--db", str(tmp_path / "hs.db"))
    assert result.exit_code == 0, result.output
    assert len(recorded.bodies("POST", "/crm/v3/objects/deals/search")) == 3  # 429, page 1, page 2
    assert len(_stored(str(tmp_path / "hs.db"))[0]) == 3


def test_a_bad_token_is_one_clear_line(portal: tuple[Portal, str], tmp_path: Path) -> None:
    _recorded, base = portal
    result = _run(base, "sync", "hubspot", "--db", str(tmp_path / "hs.db"), token="pat-wrong")
    assert result.exit_code == 2
    assert result.output.startswith("error: HubSpot refused the access token (Authentication")
    assert len(result.output.strip().splitlines()) == 1


def test_push_writes_walkaways_properties_and_a_task_and_says_what_is_missing(
    portal: tuple[Portal, str], tmp_path: Path
) -> None:
    recorded, base = portal
    db = str(tmp_path / "hs.db")
    assert _run(base, "sync", "hubspot", "--db", db).exit_code == 0
    recorded.fail_first("PATCH /crm/v3/objects/deals/*", 400, "property_missing")
    missing = _run(base, "push", "hubspot", "--as-of", "2025-06-15", "--db", db)
    assert missing.exit_code == 2
    assert "walkaway_recommendation" in missing.output and "does not exist" in missing.output
    assert len(missing.output.strip().splitlines()) == 1
    done = _run(base, "push", "hubspot", "--as-of", "2025-06-15", "--db", db, "--json")
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["written"] == 2  # the open deals 9001 and 9002
    patches = [b for m, p, b in recorded.received if m == "PATCH"]
    assert all(set(b["properties"]) == {"walkaway_recommendation", "walkaway_win_probability",
                                        "walkaway_top_reason"} for b in patches)  # fmt: skip
    tasks = [b for m, p, b in recorded.received if m == "POST" and p == "/crm/v3/objects/tasks"]
    accepted = patches[1:]  # the first PATCH was refused
    requalified = [b for b in accepted if b["properties"]["walkaway_recommendation"] == "requalify"]
    assert len(tasks) == len(requalified) == json.loads(done.stdout)["tasks"]
    for task in tasks:
        assert task["properties"]["hs_task_status"] == "NOT_STARTED"
        assert task["associations"][0]["types"][0]["associationTypeId"] == 216
    again = _run(base, "push", "hubspot", "--as-of", "2025-06-15", "--db", db, "--json")
    assert json.loads(again.stdout) == {"crm": "hubspot", "written": 0, "unchanged": 2, "tasks": 0}


def test_a_synced_value_past_its_limit_is_set_aside_and_never_stored(
    portal: tuple[Portal, str], tmp_path: Path
) -> None:
    """A call of 1e20 ms (2.8e13 hours) and a deal amount of NaN from the CRM: the sync
    names each and stores the rest; the review that follows works."""
    recorded, base = portal
    call = recorded.routes["POST /crm/v3/objects/calls/search"][0][1]["results"][0]
    call["properties"]["hs_call_duration"] = "1e20"
    deal = recorded.routes["POST /crm/v3/objects/deals/search"][0][1]["results"][0]
    deal["properties"]["amount"] = "NaN"
    db = str(tmp_path / "hs.db")
    result = _run(base, "sync", "hubspot", "--db", db)
    assert result.exit_code == 0, result.output
    assert "column 'amount'" in result.output and "column 'hs_call_duration'" in result.output
    found, acts = _stored(db)
    assert sorted(found) == ["9002", "9003"]
    assert all(a["hours"] is None or a["hours"] <= 1000 for a in acts)
    assert not any(a["kind"] == "call" for a in acts)
    review = CliRunner().invoke(app, ["review", "--db", db, "--as-of", "2025-06-15"])
    assert review.exit_code == 0, review.output
