"""Decisions that arrive together assessed together.

A decision with no review at hand assesses its deal alone (:func:`walkaway.service.
deal.assessment_of`). Twenty at once would each pay for a whole assessment's fixed cost
(the policy, the norms, the model, some forty Polars steps) on the same two cores; here
the first becomes the leader and assesses its deal, and those arriving meanwhile wait
in a queue. When the leader is done, one of them leads the next round: every deal queued
for the same moment in one :func:`walkaway.service.deal.assessments_of` call, whose
numbers for a deal are those it gets alone. A deal that cannot be assessed (unknown,
closed, created later) fails its own request only, with its own error. Each request
then writes its own decision row in its own transaction.

Routes are plain ``def`` running in the server's thread pool, so a lock and a condition
are enough.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from walkaway.errors import WalkawayError
from walkaway.models import Assessment
from walkaway.service import Store
from walkaway.service.deal import assessments_of

AssessMany = Callable[[Store, Sequence[str], datetime], dict[str, Assessment | WalkawayError]]


@dataclass
class _Ticket:
    deal_id: str
    as_of: datetime
    done: bool = False
    answer: Assessment | BaseException | None = field(default=None, repr=False)

    def result(self) -> Assessment:
        if isinstance(self.answer, BaseException):
            raise self.answer
        assert self.answer is not None
        return self.answer


class DecisionBatch:
    """One per app (one store): :meth:`assessment_of` is a drop-in for
    :func:`walkaway.service.deal.assessment_of` that coalesces concurrent calls."""

    def __init__(self, assess: AssessMany = assessments_of) -> None:
        self._assess = assess
        lock = threading.Lock()
        self._ready = threading.Condition(lock)  # a round is done
        self.joined = threading.Condition(lock)  # a request joined the queue
        self._queue: list[_Ticket] = []
        self._busy = False

    def assessment_of(self, store: Store, deal_id: str, as_of: datetime) -> Assessment:
        ticket = _Ticket(deal_id, as_of)
        with self._ready:
            self._queue.append(ticket)
            self.joined.notify_all()
            while not ticket.done and self._busy:
                self._ready.wait()
            if ticket.done:
                return ticket.result()
            self._busy = True
            batch, self._queue = self._queue, []
        try:
            self._run(store, batch)
        finally:
            with self._ready:
                self._busy = False
                self._ready.notify_all()
        return ticket.result()

    def queued(self) -> int:
        """How many requests wait for the next round (while a round runs)."""
        return len(self._queue)

    def busy(self) -> bool:
        """Whether a round is running."""
        return self._busy

    def _run(self, store: Store, batch: list[_Ticket]) -> None:
        """Every ticket of ``batch`` answered: one assessment per moment among them."""
        moments: dict[datetime, list[_Ticket]] = {}
        for ticket in batch:
            moments.setdefault(ticket.as_of, []).append(ticket)
        for as_of, tickets in moments.items():
            if not self._answer(store, tickets, as_of) and len(tickets) > 1:
                # the batch failed as a whole: each deal alone, so one deal's trouble
                # fails its own request only
                for ticket in tickets:
                    self._answer(store, [ticket], as_of)

    def _answer(self, store: Store, tickets: list[_Ticket], as_of: datetime) -> bool:
        try:
            answers = self._assess(store, [t.deal_id for t in tickets], as_of)
        except Exception as failed:  # handed to the request(s) it concerns
            for ticket in tickets:
                ticket.answer, ticket.done = failed, True
            return False
        for ticket in tickets:
            ticket.answer, ticket.done = answers[ticket.deal_id], True
        return True
