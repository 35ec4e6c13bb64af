"""Reads of a few rows through the database driver (:meth:`walkaway.store.Store.rows`).

SQL text with ``?`` for each parameter, the same on every database the store runs on;
datetimes bound as SQLAlchemy keeps them in SQLite (text, microseconds always), so the
text comparisons of a SQLite store read what SQLAlchemy's queries read.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

# ``rows(sql, params=())``: the rows of one statement, as the driver gives them.
Rows = Callable[..., list[tuple[Any, ...]]]


def sqlite_rows(driver: sqlite3.Connection) -> Rows:
    """``rows`` on sqlite3's own connection to a SQLite file."""

    def rows(sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return driver.execute(sql, bound_for_sqlite(params)).fetchall()

    return rows


def engine_rows(conn: Connection) -> Rows:
    """``rows`` on a SQLAlchemy connection (PostgreSQL, SQLite in memory): the driver's
    own statement, ``?`` made the driver's marker."""
    sqlite = conn.dialect.name == "sqlite"
    qmark = conn.dialect.paramstyle == "qmark"

    def rows(sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        text = sql if qmark else sql.replace("?", "%s")
        bound = bound_for_sqlite(params) if sqlite else tuple(params)
        return [tuple(row) for row in conn.exec_driver_sql(text, bound).fetchall()]

    return rows


def stored_moment(moment: datetime) -> str:
    """A datetime as SQLAlchemy keeps it in SQLite (text, microseconds always)."""
    return (
        f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d} {moment.hour:02d}:"
        f"{moment.minute:02d}:{moment.second:02d}.{moment.microsecond:06d}"
    )


def bound_for_sqlite(params: Sequence[Any]) -> tuple[Any, ...]:
    """Parameters bound as SQLAlchemy binds them on SQLite (dates and datetimes as text)."""
    return tuple(
        stored_moment(p) if isinstance(p, datetime) else p.isoformat() if isinstance(p, date) else p
        for p in params
    )
