"""The API against its own OpenAPI: every operation with requests generated from the
schema (schemathesis), valid ones and invalid ones, one at a time and chained by the
schema's links (the stateful phase), in local mode and in team mode as a rep.

Every answer passes every one of schemathesis's checks: no 500; the status, content
type, headers and body the schema declares; invalid data refused; valid data accepted
(``positive_data_acceptance``: a 2xx, or 401/403/404, or a 409 when the data as it
stands refuses it, such as a loss review of a deal that is not lost); undeclared methods
405 with ``Allow``. Two bodies are documents no JSON schema describes: a valid policy is
TOML the policy reads, a valid import a CRM export; their schema-valid cases are made so
(:func:`_valid_documents`), the invalid ones are left as generated; so is an
``Idempotency-Key``, unique to each write as its description says. And ours: an error
has the one shape ``{"error", "detail", "problems"}``; nothing in an answer (or in the
server's log) holds a token or a password; in team mode the rep never reads another
rep's deal nor records a decision or outcome on one.
"""

from __future__ import annotations

import itertools
import json
import logging
import os
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import schemathesis
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from hypothesis.stateful import run_state_machine_as_test
from schemathesis import GenerationMode
from schemathesis.config import SchemathesisConfig

from tests.web.conftest import PASSWORD, bearer, web_settings
from tests.web.test_rep_isolation import app_routes
from walkaway.service.users import add_user, issue_token
from walkaway.store import open_store
from walkaway.store.schema import deals
from walkaway.web.app import create_app

ERROR_KEYS = {"error", "detail", "problems"}
REP = "Anna Keller"
# Per operation, valid and invalid, per mode: `make test` keeps within its time budget
# with 10; a deeper run sets WALKAWAY_CONTRACT_EXAMPLES (say 100) on the same tests.
EXAMPLES = int(os.environ.get("WALKAWAY_CONTRACT_EXAMPLES", "10"))
STEPS = 25  # per stateful run: a chain of calls from one answer's deal to the next call
CONFIG = SchemathesisConfig.from_dict({})
POLICY_CURRENCIES = ("EUR", "USD", "GBP", "CHF")


@schemathesis.serializer("application/toml")
def _toml_body(_context: Any, value: Any) -> bytes:
    """PUT /api/policy takes TOML text: generated strings go as they are."""
    return value if isinstance(value, bytes) else str(value).encode("utf-8")


def _policies() -> st.SearchStrategy[str]:
    """Valid team policies: a few of the keys a team changes, within their limits."""
    return st.builds(
        lambda currency, days, months: (
            f'currency = "{currency}"\n[decision]\nrequalify_days = {days}\n'
            f"revisit_months = {months}\n"
        ),
        st.sampled_from(POLICY_CURRENCIES),
        st.integers(1, 60),
        st.integers(1, 24),
    )


def _exports() -> st.SearchStrategy[tuple[bytes, bytes]]:
    """Valid generic exports: (deals CSV, activities CSV) of a few new deals."""
    row = st.tuples(st.integers(1, 99), st.integers(0, 500_000), st.integers(1, 28))
    return st.lists(row, min_size=1, max_size=4, unique_by=lambda r: r[0]).map(_csv_files)


def _csv_files(rows: list[tuple[int, int, int]]) -> tuple[bytes, bytes]:
    deals_csv = "deal_id,name,owner,stage,amount,created_at\n" + "".join(
        f"C-{n},Generated deal {n},{REP},Discovery,{amount},2026-06-{day:02d}\n"
        for n, amount, day in rows
    )
    activities_csv = "deal_id,at,kind,direction\n" + "".join(
        f"C-{n},2026-07-{day:02d}T10:00:00,email,inbound\n" for n, _amount, day in rows
    )
    return deals_csv.encode(), activities_csv.encode()


def _valid_documents(schema: Any) -> None:
    """The schema-valid bodies of PUT /api/policy and POST /api/import made valid
    documents. A schema-valid policy body is a non-empty string, an import's deals and
    activities strings or bytes: those are replaced; anything else (a negative case) is
    left as generated, so invalid data is still sent and must still be refused."""

    @schema.hook  # type: ignore[untyped-decorator]
    def flatmap_body(context: Any, body: Any) -> st.SearchStrategy[Any]:
        path = context.operation.path if context.operation is not None else ""
        if path == "/api/policy" and isinstance(body, str) and body:
            return _policies()
        if path == "/api/import" and isinstance(body, dict):
            return _exports().map(lambda files: _with_files(body, files))
        return st.just(body)

    @schema.hook  # type: ignore[untyped-decorator]
    def map_headers(context: Any, headers: Any) -> Any:
        # "Any text unique to this write", as the key's description says: a key sent
        # again with another write is refused (tests/web/test_idempotency.py)
        key = headers.get("Idempotency-Key") if isinstance(headers, dict) else None
        if isinstance(key, str) and re.fullmatch(r"[!-~]{1,200}", key):  # a valid one
            return {**headers, "Idempotency-Key": f"{key[:160]}-{uuid.uuid4().hex}"}
        return headers


def _with_files(body: dict[str, Any], files: tuple[bytes, bytes]) -> dict[str, Any]:
    made = dict(body)
    for name, content in zip(("deals", "activities"), files, strict=True):
        if isinstance(body.get(name), str | bytes):
            made[name] = content
    if body.get("format") in ("generic", "salesforce", "hubspot", "pipedrive", "maven"):
        made["format"] = "generic"
    if isinstance(body.get("sheet"), str):  # a CSV export has no sheet to name
        del made["sheet"]
    for name in ("format", "dates", "decimal", "sheet"):
        # An array in a form travels as the field repeated (["generic"]: generic, valid
        # after all): an invalid one travels as its JSON text, and stays invalid
        if isinstance(body.get(name), list | dict):
            made[name] = json.dumps(body[name])
    return made


@dataclass(frozen=True)
class Api:
    schema: Any
    team_mode: bool
    headers: dict[str, str]
    secrets: tuple[str, ...]
    owners: dict[str, str | None]


@pytest.fixture(params=["local", "team"])
def api(request: pytest.FixtureRequest, demo_url: str) -> Iterator[Any]:
    team_mode = request.param == "team"
    store = open_store(demo_url)
    secrets: tuple[str, ...] = ()
    headers: dict[str, str] = {}
    if team_mode:
        add_user(store, "anna", "rep", PASSWORD, rep_name=REP)
        add_user(store, "mia", "manager", PASSWORD)
        token, other = issue_token(store, "anna"), issue_token(store, "mia")
        headers, secrets = bearer(token), (token, other, PASSWORD)
    with store.connect() as conn:
        rows = conn.execute(sa.select(deals.c.deal_id, deals.c.owner)).all()
        owners = {row[0]: row[1] for row in rows}
    store.close()
    # schemathesis calls the app as http://testserver
    hosts = ("testserver", "127.0.0.1", "localhost")
    app = create_app(web_settings(demo_url, auth=team_mode, https_only=False, allowed_hosts=hosts))
    schema = schemathesis.openapi.from_asgi("/openapi.json", app, headers=headers, config=CONFIG)
    _valid_documents(schema)
    yield Api(schema, team_mode, headers, secrets, owners)


def _deal_ids(body: Any) -> list[str]:
    """Every deal id an answer holds (review, deals list, one deal, a decision, ...)."""
    if isinstance(body, dict):
        found = [body["deal_id"]] if isinstance(body.get("deal_id"), str) else []
        return found + [i for value in body.values() for i in _deal_ids(value)]
    if isinstance(body, list):
        return [i for value in body for i in _deal_ids(value)]
    return []


def check_answer(api: Api, case: Any, log: str) -> int:
    """The promises of one generated request's answer; its status."""
    response = case.call_and_validate(headers=api.headers)
    return check_promises(api, case, response)


def check_promises(api: Api, case: Any, response: Any) -> int:
    """Our own promises of an answer (beyond the schema's); its status."""
    where = f"{case.method} {case.formatted_path} {case.query} -> {response.status_code}"
    assert response.status_code < 500, f"{where}: {response.text[:300]}"
    text = response.text
    if response.status_code >= 400:
        assert set(response.json()) == ERROR_KEYS, where
        assert isinstance(response.json()["detail"], str) and response.json()["detail"], where
    for secret in api.secrets:
        assert secret not in text, where
    json_answer = "json" in response.headers.get("content-type", "")
    if api.team_mode and response.status_code < 300 and json_answer:
        for deal_id in _deal_ids(json.loads(text)):
            assert (api.owners.get(deal_id) or "").lower() == REP.lower(), (where, deal_id)
    return int(response.status_code)


def test_every_operation_keeps_the_api_promises(api: Api, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    operations = [result.ok() for result in api.schema.get_all_operations()]
    assert len(operations) >= 12
    statuses: list[int] = []
    for operation, mode in itertools.product(operations, GenerationMode):

        @given(case=operation.as_strategy(mode))
        @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
        def run(case: Any) -> None:
            statuses.append(check_answer(api, case, caplog.text))

        try:
            run()
        except Unsatisfiable:  # nothing to get wrong: an operation without parameters
            assert mode is GenerationMode.NEGATIVE, operation
    assert any(s < 300 for s in statuses) and any(s >= 400 for s in statuses)
    print(f"{len(statuses)} requests over {len(operations)} operations")
    for secret in api.secrets:
        assert secret not in caplog.text


def test_the_schemas_links_chained_keep_the_api_promises(api: Api) -> None:
    """The stateful phase: a deal id from one answer (the deals, the review, a recorded
    decision) is what the next call asks about (the deal, its message, its loss review)."""
    calls: list[int] = []

    class Machine(api.schema.as_state_machine()):  # type: ignore[misc]
        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            return {"headers": api.headers}

        def validate_response(self, response: Any, case: Any, **kwargs: Any) -> None:
            super().validate_response(response, case, **kwargs)
            calls.append(check_promises(api, case, response))

    limits = settings(
        max_examples=EXAMPLES // 2,
        stateful_step_count=STEPS,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    run_state_machine_as_test(Machine, settings=limits)
    assert any(s < 300 for s in calls), calls


def test_every_route_is_in_the_document_the_pages_as_pages(api: Api) -> None:
    """Every /api route is an operation of /openapi.json; every other route (the
    dashboard's pages and forms, static files, the sign-in) is listed under x-pages."""
    document = api.schema.raw_schema
    operations = {(m.upper(), p) for p, item in document["paths"].items() for m in item}
    pages = {(m, page["path"]) for page in document["x-pages"] for m in page["methods"]}
    served = {(m, r.path) for r in app_routes(api.schema.app.routes) for m in r.methods}
    assert {p for _m, p in operations} == {p for _m, p in served if p.startswith("/api/")}
    assert not any(p.startswith("/api/") for _m, p in pages)
    assert {(m, p) for m, p in served if not p.startswith("/api/")} <= pages
    assert len(operations) >= 12 and len(pages) >= 20


def test_an_undeclared_method_answers_405_with_allow(api: Api) -> None:
    client = _client(api)
    for path, item in api.schema.raw_schema["paths"].items():
        declared = {m.upper() for m in item}
        url = path.replace("{deal_id}", "D-1")
        for method in {"GET", "POST", "PUT", "PATCH", "DELETE"} - declared:
            answer = client.request(method, url, headers=api.headers)
            assert answer.status_code == 405, (method, path, answer.status_code)
            assert set(answer.headers["allow"].replace(" ", "").split(",")) >= declared
            assert set(answer.json()) == ERROR_KEYS


def _client(api: Api) -> Any:
    from fastapi.testclient import TestClient

    return TestClient(api.schema.app, base_url="http://testserver")
