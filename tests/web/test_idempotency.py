"""API writes with an Idempotency-Key: a retry gets the first answer and stores nothing
twice; the key and the write land together or not at all."""

from __future__ import annotations

import threading
from typing import Any

import pytest
import sqlalchemy as sa

from tests.web.conftest import AS_OF, Team, bearer, deal_of
from walkaway.service.idempotency import Answer, once, request_key
from walkaway.service.journal import RecordedDecision, record_decision
from walkaway.store import open_store
from walkaway.store.schema import decisions, outcomes, policies, request_keys


def _count(url: str, table: sa.Table) -> int:
    store = open_store(url)
    with store.connect() as conn:
        found = conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
    store.close()
    return int(found)


def _key(name: str) -> dict[str, str]:
    return {"Idempotency-Key": name}


def test_a_retried_decision_gets_the_first_answer_and_is_recorded_once(
    client: Any, demo_url: str
) -> None:
    deal_id = deal_of(client, "Jonas Berg")
    body = {"deal_id": deal_id, "decision": "walk_away", "reason": "no budget this year"}
    before = _count(demo_url, decisions)
    first = client.post("/api/decisions", json=body, headers=_key("retry-1"))
    again = client.post("/api/decisions", json=body, headers=_key("retry-1"))
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert _count(demo_url, decisions) == before + 1
    other = client.post("/api/decisions", json=body, headers=_key("retry-2"))
    assert other.status_code == 201 and other.json()["decision_id"] != first.json()["decision_id"]
    assert client.post("/api/decisions", json=body).status_code == 201  # no key: a new one
    assert _count(demo_url, decisions) == before + 3


def test_a_key_sent_with_another_request_is_refused(client: Any, demo_url: str) -> None:
    deal_id = deal_of(client, "Jonas Berg")
    outcomes_before = _count(demo_url, outcomes)
    body = {"deal_id": deal_id, "decision": "pursue", "reason": "champion is active"}
    assert client.post("/api/decisions", json=body, headers=_key("k")).status_code == 201
    changed = client.post("/api/decisions", json={**body, "reason": "x"}, headers=_key("k"))
    assert changed.status_code == 422 and "another request" in changed.json()["detail"]
    elsewhere = client.post(
        "/api/outcomes", json={"deal_id": deal_id, "outcome": "lost"}, headers=_key("k")
    )
    assert elsewhere.status_code == 422
    for bad in ("", " ", "x" * 201, "caf\u00e9".encode(), "a\tb"):
        refused = client.post("/api/decisions", json=body, headers={"Idempotency-Key": bad})
        assert refused.status_code == 422, bad
    assert _count(demo_url, outcomes) == outcomes_before


def test_outcomes_and_the_policy_are_written_once_per_key(client: Any, demo_url: str) -> None:
    deal_id = deal_of(client, "Jonas Berg")
    body = {"deal_id": deal_id, "outcome": "lost", "note": "went with the incumbent"}
    outcomes_before = _count(demo_url, outcomes)
    answers = [client.post("/api/outcomes", json=body, headers=_key("o-1")) for _ in range(3)]
    assert {a.status_code for a in answers} == {201} and len({a.text for a in answers}) == 1
    assert _count(demo_url, outcomes) == outcomes_before + 1
    policies_before = _count(demo_url, policies)
    text = 'currency = "USD"\n'
    put = [client.put("/api/policy", content=text, headers=_key("p-1")) for _ in range(3)]
    assert {p.status_code for p in put} == {200} and put[2].json()["toml"] == text
    assert _count(demo_url, policies) == policies_before + 1


def test_each_user_has_their_own_keys(team: Team) -> None:
    with team.client() as client:
        mia = bearer(team.manager_token)
        deal_id = deal_of_token(client, mia)
        body = {"deal_id": deal_id, "decision": "pursue", "reason": "fine"}
        first = client.post("/api/decisions", json=body, headers={**mia, **_key("same")})
        assert first.status_code == 201
        lukas = bearer(team.lukas_token)
        mine = next(
            d["deal_id"]
            for d in client.get("/api/review", headers=lukas, params={"as_of": AS_OF}).json()[
                "deals"
            ]
        )
        body = {"deal_id": mine, "decision": "pursue", "reason": "mine"}
        own = client.post("/api/decisions", json=body, headers={**lukas, **_key("same")})
        assert own.status_code == 201 and own.json()["deal_id"] == mine


def deal_of_token(client: Any, headers: dict[str, str]) -> str:
    review = client.get("/api/review", headers=headers, params={"as_of": AS_OF}).json()
    return str(review["deals"][0]["deal_id"])


def _open_deal(url: str) -> str:
    store = open_store(url)
    with store.connect() as conn:
        query = sa.text("SELECT deal_id FROM deals WHERE outcome = 'open' ORDER BY deal_id")
        found = str(conn.execute(query).scalars().first())
    store.close()
    return found


def test_the_key_and_the_write_land_together_or_not_at_all(demo_url: str) -> None:
    """An answer that cannot be kept undoes the write: a retry then writes it once."""
    store = open_store(demo_url)
    deal_id = _open_deal(demo_url)
    key = request_key("local", "crash-1", "POST /api/decisions", b"{}")

    def write(then: Any) -> RecordedDecision:
        return record_decision(store, deal_id, "pursue", "fine", then=then)

    def broken(_recorded: RecordedDecision) -> Answer:
        raise RuntimeError("the server died here")

    with pytest.raises(RuntimeError):
        once(store, key, write, broken)
    assert _count(demo_url, decisions) == _count(demo_url, request_keys) == 0
    said = once(store, key, write, lambda r: Answer(201, str(r.decision_id)))
    assert _count(demo_url, decisions) == _count(demo_url, request_keys) == 1
    assert once(store, key, write, lambda r: Answer(201, "again")) == Answer(
        201, said.body, replayed=True
    )
    store.close()


def test_eight_retries_at_once_record_one_decision(demo_url: str) -> None:
    store = open_store(demo_url)
    deal_id = _open_deal(demo_url)
    key = request_key("local", "burst", "POST /api/decisions", b"{}")
    answers: list[Answer] = []

    def send() -> None:
        answers.append(
            once(
                store,
                key,
                lambda then: record_decision(store, deal_id, "pursue", "fine", then=then),
                lambda r: Answer(201, str(r.decision_id)),
            )
        )

    threads = [threading.Thread(target=send) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    store.close()
    assert len(answers) == 8 and len({a.body for a in answers}) == 1
    assert _count(demo_url, decisions) == 1


def test_a_retried_import_gets_the_first_answer_and_runs_once(client: Any, demo_url: str) -> None:
    """An upload whose answer was lost, sent again with its key: the first answer (the
    deals it added), one import run; the same key with other files is refused."""
    from walkaway.store.schema import import_runs

    deals_file = (
        b"deal_id,name,owner,stage,amount,created_at,outcome\n"
        b"K-1,Kept once,Anna Keller,Demo,1000,2026-10-01,open\n"
    )
    runs = _count(demo_url, import_runs)
    files = {"deals": ("deals.csv", deals_file, "text/csv")}
    first = client.post("/api/import", files=files, headers=_key("import-1"))
    again = client.post("/api/import", files=files, headers=_key("import-1"))
    assert first.status_code == again.status_code == 200
    assert first.json()["deals_new"] == 1 and again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert _count(demo_url, import_runs) == runs + 1
    other = {"deals": ("deals.csv", deals_file.replace(b"Kept once", b"Other"), "text/csv")}
    refused = client.post("/api/import", files=other, headers=_key("import-1"))
    assert refused.status_code == 422 and "another request" in refused.json()["detail"]
    without = client.post("/api/import", files=files)  # no key: a new import, nothing new
    assert without.status_code == 200 and without.json()["deals_new"] == 0
    assert _count(demo_url, import_runs) == runs + 2
