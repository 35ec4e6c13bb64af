"""The API against its own OpenAPI: every operation with requests generated from the
schema (schemathesis), valid ones and invalid ones, in local mode and in team mode as
a rep.

For every answer: no 500; an error has the one shape ``{"error", "detail", "problems"}``;
nothing in it (or in the server's log) holds a token or a password; and, in team mode,
the rep never reads another rep's deal nor records a decision or outcome on one.
"""

from __future__ import annotations

import itertools
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import schemathesis
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from tests.web.conftest import PASSWORD, bearer, web_settings
from walkaway.service.users import add_user, issue_token
from walkaway.store import open_store
from walkaway.store.schema import deals
from walkaway.web.app import create_app

ERROR_KEYS = {"error", "detail", "problems"}
REP = "Anna Keller"
EXAMPLES = 20  # per operation, valid and invalid, per mode: a few hundred requests in all


@schemathesis.serializer("application/toml")
def _toml_body(_context: Any, value: Any) -> bytes:
    """PUT /api/policy takes TOML text: generated strings go as they are."""
    return value if isinstance(value, bytes) else str(value).encode("utf-8")


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
    yield Api(
        schemathesis.openapi.from_asgi("/openapi.json", app, headers=headers),
        team_mode,
        headers,
        secrets,
        owners,
    )


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
    response = case.call(headers=api.headers)
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
