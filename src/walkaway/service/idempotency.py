"""Writes that happen once per key: a retried request gets the first answer back.

A client that sends a write and loses the answer (a timeout, a server restarted) cannot
tell whether it landed. Sent again with the same ``Idempotency-Key``, it lands at most
once: the key and the answer are kept in the same transaction as the write, so either
both are stored or neither is. The same key with another request is refused.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import sqlalchemy as sa

from walkaway.errors import InputError
from walkaway.models import SHORT_TEXT
from walkaway.store import Store
from walkaway.store.schema import request_keys
from walkaway.store.writing import now_utc

T = TypeVar("T")
# What a write calls inside its transaction, with the connection and what it wrote.
Then = Callable[[sa.Connection, T], None]


@dataclass(frozen=True)
class Answer:
    """What a write answered: its status and its body (JSON text)."""

    status: int
    body: str
    replayed: bool = False


@dataclass(frozen=True)
class RequestKey:
    """A key, who sent it, for which request, and a digest of what was sent."""

    who: str
    key: str
    request: str
    fingerprint: str


def request_key(who: str, key: str, request: str, sent: bytes) -> RequestKey:
    """Checks the key: 1 to ``SHORT_TEXT`` visible ASCII characters (InputError)."""
    text = key.strip()
    if not text or len(text) > SHORT_TEXT or not (text.isascii() and text.isprintable()):
        raise InputError(
            f"the Idempotency-Key must be 1 to {SHORT_TEXT} visible ASCII characters (a UUID, say)"
        )
    return RequestKey(who, text, request, hashlib.sha256(sent).hexdigest())


def first_answer(store: Store, key: RequestKey) -> Answer | None:
    """The answer kept for ``key``; InputError when the key came with another request."""
    k = request_keys.c
    with store.connect() as conn:
        row = conn.execute(
            sa.select(k.request, k.fingerprint, k.status, k.answer).where(
                k.who == key.who, k.key == key.key
            )
        ).first()
    if row is None:
        return None
    if (row.request, row.fingerprint) != (key.request, key.fingerprint):
        raise InputError(
            f"the Idempotency-Key {key.key!r} was sent with another request; "
            "send a new key for a new request"
        )
    return Answer(row.status, row.answer, replayed=True)


def once(
    store: Store,
    key: RequestKey | None,
    write: Callable[[Then[T] | None], T],
    answer: Callable[[T], Answer],
) -> Answer:
    """Run ``write`` (which calls the hook it is given inside its transaction) unless
    ``key`` already has an answer; return that answer, or the new one."""
    if key is None:
        return answer(write(None))
    found = first_answer(store, key)
    if found is not None:
        return found

    def keep(conn: sa.Connection, written: T) -> None:
        said = answer(written)
        conn.execute(
            request_keys.insert().values(
                who=key.who,
                key=key.key,
                request=key.request,
                fingerprint=key.fingerprint,
                status=said.status,
                answer=said.body,
                created_at=now_utc(),
            )
        )

    try:
        return answer(write(keep))
    except sa.exc.IntegrityError:  # the same key at the same moment: the other one landed
        found = first_answer(store, key)
        if found is None:
            raise
        return found
