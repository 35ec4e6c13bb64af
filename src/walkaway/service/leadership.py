"""Leadership-check use cases: read an answers file, save a check, read the latest checks."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from walkaway.errors import InputError, StoreError
from walkaway.leadership.check import (
    ANSWER_FORMATS,
    AnswerSheet,
    LeadershipChange,
    LeadershipReport,
    check_answers,
    compare,
    parse_answers,
    score_check,
)
from walkaway.models import SHORT_TEXT, as_utc_naive
from walkaway.store import Store
from walkaway.store.schema import leadership_checks


@dataclass(frozen=True)
class StoredCheck:
    """A saved leadership check: when, by whom, the answers and the report shown then."""

    id: int
    taken_at: datetime
    taken_by: str
    answers: dict[str, int]
    report: LeadershipReport

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "taken_at": self.taken_at.isoformat(timespec="seconds"),
            "taken_by": self.taken_by,
            "answers": self.answers,
            "report": self.report.to_dict(),
        }


@dataclass(frozen=True)
class SavedCheck:
    """A check just saved, with the same person's previous check and what changed since."""

    check: StoredCheck
    previous: StoredCheck | None = None
    change: LeadershipChange | None = None


def read_answers(path: Path) -> AnswerSheet:
    """Read an answers file (``.toml`` or ``.json``, see docs/leadership.md)."""
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in ANSWER_FORMATS:
        raise InputError(f"{path}: an answers file ends in .toml or .json")
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as error:
        raise InputError(f"answers file {path} not found") from error
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(f"cannot read answers file {path}: {error}") from error
    return parse_answers(text, fmt, source=str(path))


def _name(taken_by: str) -> str:
    name = taken_by.strip()
    if not name or len(name) > SHORT_TEXT:
        raise InputError(
            f"the name of who took the check is {taken_by!r}: expected 1 to {SHORT_TEXT} "
            "characters (--by NAME)"
        )
    return name


def _row_to_check(row: sa.Row[Any]) -> StoredCheck:
    try:
        answers = json.loads(row.answers)
        report = LeadershipReport.from_dict(json.loads(row.report))
    except (ValueError, KeyError, TypeError) as error:
        raise StoreError(
            f"leadership check #{row.id} in the store is unreadable ({error}); delete that row"
        ) from error
    return StoredCheck(row.id, row.taken_at, row.taken_by, answers, report)


def _latest(conn: Connection, taken_by: str, n: int) -> list[StoredCheck]:
    table = leadership_checks
    rows = conn.execute(
        sa.select(table)
        .where(table.c.taken_by == taken_by)
        .order_by(table.c.taken_at.desc(), table.c.id.desc())
        .limit(n)
    ).all()
    return [_row_to_check(row) for row in rows]


def save_check(
    store: Store, answers: Mapping[str, object], taken_by: str, now: datetime
) -> SavedCheck:
    """Score and save a check in one transaction; compare it with the person's last one.

    Invalid answers or an empty name raise ``InputError`` before anything is written.
    """
    valid = check_answers(answers)
    report = score_check(valid)
    name = _name(taken_by)
    taken_at = as_utc_naive(now)
    with store.begin() as conn:
        previous = next(iter(_latest(conn, name, 1)), None)
        check_id = conn.execute(
            leadership_checks.insert()
            .values(
                taken_at=taken_at,
                taken_by=name,
                answers=json.dumps(valid),
                report=json.dumps(report.to_dict(), ensure_ascii=False),
            )
            .returning(leadership_checks.c.id)
        ).scalar_one()
    check = StoredCheck(check_id, taken_at, name, valid, report)
    change = compare(previous.report, report) if previous else None
    return SavedCheck(check, previous, change)


def latest_checks(store: Store, taken_by: str, n: int = 2) -> list[StoredCheck]:
    """The person's ``n`` most recent checks, newest first."""
    with store.connect() as conn:
        return _latest(conn, _name(taken_by), n)
