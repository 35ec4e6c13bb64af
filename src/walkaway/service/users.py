"""People who use the web app in team mode: who they are, their role, how they prove it.

A password is stored as an Argon2id hash (argon2-cffi's defaults) and an API token only
as its SHA-256: the token itself is shown once, when it is made. A *rep* sees and decides
on the deals whose owner is their ``rep_name``; a *manager* on the whole team's.

Each user has a ``uid``: random, never reused (a row id is: SQLite gives a deleted row's
id to the next user). Sessions and tokens name it, so they act only for that user; it
changes when the user is deactivated, which ends every session and token of theirs at
once. Removing or deactivating a user keeps the journal as it was: decisions and notes
name their author in words.
"""

from __future__ import annotations

import functools
import hashlib
import secrets
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from walkaway.errors import InputError, NotFound
from walkaway.models import SHORT_TEXT
from walkaway.store import Store
from walkaway.store.schema import api_tokens, users
from walkaway.store.writing import now_utc

MIN_PASSWORD = 8
TOKEN_PREFIX = "wa_"
_HASHER = PasswordHasher()


@functools.cache
def _dummy_hash() -> str:
    """Verified when the name is unknown, so a wrong name costs as long as a wrong password."""
    return _HASHER.hash(secrets.token_hex(16))


class Role(StrEnum):
    REP = "rep"
    MANAGER = "manager"


@dataclass(frozen=True)
class User:
    """Someone who signs in: ``rep_name`` is the deal owner a rep answers for; ``uid``
    the identity sessions and tokens name (never reused)."""

    uid: str
    name: str
    role: Role
    rep_name: str | None

    def can_see(self, owner: str | None) -> bool:
        """A manager sees every deal; a rep only those they own (names match, any case)."""
        if self.role is Role.MANAGER:
            return True
        return bool(owner and self.rep_name and owner.lower() == self.rep_name.lower())


def _clean_name(text: str, what: str) -> str:
    name = text.strip()
    if not name or len(name) > SHORT_TEXT:
        raise InputError(f"{what} {text!r}: expected 1 to {SHORT_TEXT} characters")
    return name


def _user(row: Any) -> User:
    return User(row.uid, row.name, Role(row.role), row.rep_name)


def new_uid() -> str:
    """A user identity no other user ever had (128 random bits)."""
    return secrets.token_hex(16)


def add_user(
    store: Store, name: str, role: str, password: str, rep_name: str | None = None
) -> User:
    """Create a user; a rep's ``rep_name`` defaults to their name. Raises InputError."""
    name = _clean_name(name, "user name")
    try:
        chosen = Role(role)
    except ValueError:
        raise InputError(f"unknown role {role!r}; expected rep or manager") from None
    if len(password) < MIN_PASSWORD:
        raise InputError(f"the password is too short: use at least {MIN_PASSWORD} characters")
    owner = _clean_name(rep_name, "rep name") if rep_name else None
    if chosen is Role.REP and owner is None:
        owner = name
    with store.begin() as conn:
        if conn.execute(sa.select(users.c.id).where(users.c.name == name)).first():
            raise InputError(f"a user named {name!r} already exists; pick another name")
        uid = new_uid()
        conn.execute(
            users.insert().values(
                uid=uid,
                name=name,
                role=chosen.value,
                rep_name=owner,
                password_hash=_HASHER.hash(password),
                created_at=now_utc(),
                active=True,
            )
        )
    return User(uid, name, chosen, owner)


def check_password(store: Store, name: str, password: str) -> User | None:
    """The user when the name and password match an active user, else None."""
    with store.connect() as conn:
        row = conn.execute(
            sa.select(users).where(users.c.name == name.strip(), users.c.active)
        ).first()
    try:
        _HASHER.verify(row.password_hash if row else _dummy_hash(), password)
    except (VerificationError, InvalidHashError):
        return None
    return _user(row) if row else None


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_token(store: Store, name: str) -> str:
    """A new API token for the user ``name``; only its hash is kept. Raises NotFound."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with store.begin() as conn:
        found = conn.execute(
            sa.select(users.c.id, users.c.uid).where(users.c.name == name.strip(), users.c.active)
        ).first()
        if found is None:
            raise _no_user(name)
        conn.execute(
            api_tokens.insert().values(
                user_id=found.id,
                user_uid=found.uid,
                token_hash=_digest(token),
                created_at=now_utc(),
            )
        )
    return token


def _no_user(name: str) -> NotFound:
    return NotFound(f"no active user named {name!r}; `walkaway user list` lists them")


def user_for_token(store: Store, token: str) -> User | None:
    """The active user holding ``token``, or None (a token outlives no user)."""
    query = (
        sa.select(users)
        .join(api_tokens, api_tokens.c.user_uid == users.c.uid)
        .where(api_tokens.c.token_hash == _digest(token), users.c.active)
    )
    with store.connect() as conn:
        row = conn.execute(query).first()
    return _user(row) if row else None


def find_user(store: Store, uid: str) -> User | None:
    """The active user with this identity, or None (removed or deactivated)."""
    with store.connect() as conn:
        row = conn.execute(sa.select(users).where(users.c.uid == uid, users.c.active)).first()
    return _user(row) if row else None


def list_users(store: Store) -> list[tuple[User, bool]]:
    """Every user, by name, and whether they are active."""
    with store.connect() as conn:
        rows = conn.execute(sa.select(users).order_by(users.c.name)).all()
    return [(_user(row), bool(row.active)) for row in rows]


def deactivate_user(store: Store, name: str) -> int:
    """End the user's sign-in: every session and token of theirs stops at once (their
    identity is replaced, their tokens deleted); the name stays taken and the journal
    keeps their decisions. Returns how many tokens ended. Raises NotFound."""
    with store.begin() as conn:
        found = _row_named(conn, name)
        ended = _drop_tokens(conn, found.id)
        conn.execute(
            users.update().where(users.c.id == found.id).values(active=False, uid=new_uid())
        )
    return ended


def remove_user(store: Store, name: str) -> int:
    """Delete the user and their tokens (every session of theirs ends); the journal keeps
    their decisions under their name. Returns how many tokens ended. Raises NotFound."""
    with store.begin() as conn:
        found = _row_named(conn, name)
        ended = _drop_tokens(conn, found.id)
        conn.execute(users.delete().where(users.c.id == found.id))
    return ended


def _row_named(conn: sa.Connection, name: str) -> Any:
    row = conn.execute(sa.select(users).where(users.c.name == name.strip())).first()
    if row is None:
        raise NotFound(f"no user named {name!r}; `walkaway user list` lists them")
    return row


def _drop_tokens(conn: sa.Connection, user_id: int) -> int:
    return conn.execute(api_tokens.delete().where(api_tokens.c.user_id == user_id)).rowcount
