"""Decisions that arrive together are assessed together (walkaway.web.batch): those
queued while one is assessed go in one assessment per moment; each request still gets
its own deal's numbers (those it gets alone) or its own error, and writes its own row."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from tests.web.conftest import AS_OF, make_client, web_settings
from walkaway.errors import Conflict, NotFound, WalkawayError
from walkaway.models import parse_moment
from walkaway.service.deal import assessment_of, assessments_of
from walkaway.store import Store, open_store
from walkaway.store.schema import deals, decisions
from walkaway.web.batch import DecisionBatch

Calls = list[tuple[list[str], datetime]]


def _queued(batch: DecisionBatch, count: int) -> None:
    """Wait (a minute at most) until ``count`` requests wait in ``batch``'s queue."""
    with batch.joined:
        batch.joined.wait_for(lambda: batch.queued() >= count, timeout=60)


class _Gate:
    """An assessment that holds its first call until ``waiting`` others are queued, so
    that they are queued behind it by construction, not by luck of timing."""

    def __init__(self, assess: Callable[..., Any], waiting: int) -> None:
        self.assess, self.waiting = assess, waiting
        self.calls: Calls = []
        self.batch = DecisionBatch(self)

    def __call__(self, store: Store, ids: Sequence[str], as_of: datetime) -> Any:
        self.calls.append((sorted(ids), as_of))
        if len(self.calls) == 1:
            _queued(self.batch, self.waiting)
        return self.assess(store, ids, as_of)


def _fake(store: Store, ids: Sequence[str], as_of: datetime) -> dict[str, Any]:
    if "BROKEN" in ids and len(ids) > 1:
        raise RuntimeError("the batch as a whole failed")
    return {i: NotFound(i) if i.startswith("NO") else f"{i}@{as_of:%d}" for i in ids}


def _ask(batch: DecisionBatch, asks: list[tuple[str, datetime]]) -> dict[str, object]:
    answers: dict[str, object] = {}

    def one(deal_id: str, as_of: datetime) -> None:
        try:
            answers[deal_id] = batch.assessment_of(None, deal_id, as_of)  # type: ignore[arg-type]
        except Exception as error:
            answers[deal_id] = error

    threads = [threading.Thread(target=one, args=ask) for ask in asks]
    threads[0].start()
    with batch.joined:  # the first is the leader before the others come
        batch.joined.wait_for(batch.busy, timeout=60)
    for thread in threads[1:]:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


def test_requests_queued_meanwhile_are_one_assessment_per_moment() -> None:
    day, other = datetime(2026, 11, 16), datetime(2026, 11, 17)
    gate = _Gate(_fake, waiting=5)
    asks = [("A", day), ("B", day), ("C", day), ("D", day), ("NO-E", day), ("F", other)]
    answers = _ask(gate.batch, asks)
    assert gate.calls == [(["A"], day), (["B", "C", "D", "NO-E"], day), (["F"], other)]
    assert answers["A"] == "A@16" and answers["D"] == "D@16" and answers["F"] == "F@17"
    assert isinstance(answers["NO-E"], NotFound)
    assert not gate.batch.busy() and not gate.batch.queued()


def test_a_batch_that_fails_as_a_whole_is_assessed_deal_by_deal() -> None:
    day = datetime(2026, 11, 16)
    gate = _Gate(_fake, waiting=3)
    answers = _ask(gate.batch, [("A", day), ("B", day), ("BROKEN", day), ("C", day)])
    assert gate.calls[1] == (["B", "BROKEN", "C"], day)
    assert sorted(ids for ids, _ in gate.calls[2:]) == [["B"], ["BROKEN"], ["C"]]
    assert answers["B"] == "B@16" and answers["C"] == "C@16"
    assert answers["BROKEN"] == "BROKEN@16"  # alone it is fine: it fails nobody


def _sample_ids(url: str) -> tuple[list[str], list[str]]:
    store = open_store(url)
    d = deals.c
    with store.connect() as conn:
        rows = conn.execute(sa.select(d.deal_id, d.outcome).order_by(d.deal_id)).all()
    store.close()
    return [r[0] for r in rows if r[1] == "open"], [r[0] for r in rows if r[1] == "lost"]


def test_twenty_decisions_at_once_each_recorded_once_with_its_numbers_alone(
    client: Any, demo_url: str
) -> None:
    """Twenty decisions posted at once through the app, no review at hand: 18 open deals
    and 2 closed ones. The first is assessed alone, the 19 queued behind it in one
    assessment; each open deal's decision is recorded once with the numbers its
    assessment alone gives, each closed one answers 409 and writes nothing."""
    open_ids, lost_ids = _sample_ids(demo_url)
    asked = open_ids[:18] + lost_ids[:2]
    gate = _Gate(assessments_of, waiting=19)
    client.app.state.decision_batch = gate.batch
    moment = parse_moment(AS_OF)
    assert client.app.state.cache.assessment_at(moment, asked[0]) is None
    statuses: dict[str, int] = {}

    def post(deal_id: str) -> None:
        body = {"deal_id": deal_id, "decision": "pursue", "reason": "at once"}
        statuses[deal_id] = client.post("/api/decisions", json=body).status_code

    threads = [threading.Thread(target=post, args=(deal_id,)) for deal_id in asked]
    threads[0].start()
    with gate.batch.joined:
        gate.batch.joined.wait_for(gate.batch.busy, timeout=60)
    for thread in threads[1:]:
        thread.start()
    for thread in threads:
        thread.join()

    assert [len(ids) for ids, _ in gate.calls] == [1, 19]
    assert {as_of for _, as_of in gate.calls} == {moment}
    assert statuses == {d: 201 for d in open_ids[:18]} | {d: 409 for d in lost_ids[:2]}
    store = open_store(demo_url)
    try:
        with store.connect() as conn:
            rows = conn.execute(
                sa.select(decisions.c.deal_id, decisions.c.snapshot, decisions.c.as_of)
            ).all()
        assert sorted(r[0] for r in rows) == sorted(open_ids[:18])  # once each
        for deal_id, snapshot, as_of in rows:
            assert as_of == moment
            alone = assessment_of(store, deal_id, moment).to_dict()
            assert json.loads(snapshot) == json.loads(json.dumps(alone)), deal_id
        for deal_id in lost_ids[:2]:
            error: WalkawayError | None = None
            try:
                assessment_of(store, deal_id, moment)
            except Conflict as found:
                error = found
            assert error is not None
    finally:
        store.close()


def test_a_decision_for_now_takes_the_boards_moment_not_the_instant(demo_url: str) -> None:
    """No ``as_of`` in the request and none set on the server: the decision is for the
    board's moment (now rounded down to the hour, what the pages show), its numbers
    those of the deal's assessment at that moment; ``decided_at`` is the instant."""
    open_ids, _lost = _sample_ids(demo_url)
    before = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    with make_client(web_settings(demo_url, as_of=None)) as client:
        body = {"deal_id": open_ids[0], "decision": "pursue", "reason": "now"}
        answer = client.post("/api/decisions", json=body)
    after = datetime.now(UTC).replace(tzinfo=None)
    assert answer.status_code == 201, answer.text
    hours = {t.replace(minute=0, second=0, microsecond=0) for t in (before, after)}
    store = open_store(demo_url)
    try:
        with store.connect() as conn:
            as_of, decided_at, snapshot = conn.execute(
                sa.select(decisions.c.as_of, decisions.c.decided_at, decisions.c.snapshot)
            ).one()
        assert as_of in hours
        assert parse_moment(answer.json()["as_of"]) == as_of
        assert before <= decided_at <= after
        alone = assessment_of(store, open_ids[0], as_of).to_dict()
        assert json.loads(snapshot) == json.loads(json.dumps(alone))
    finally:
        store.close()
