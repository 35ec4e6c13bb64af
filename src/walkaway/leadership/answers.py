"""The leadership check's answers: validation, and the answers file (TOML or JSON).

An answers file holds one table of question id → answer (1 to 5) and, optionally, the
name of who answered::

    by = "Ana"
    [answers]
    values_1 = 2
    ...

or, in JSON, ``{"by": "Ana", "answers": {"values_1": 2, ...}}``. Pure: the caller reads
the file and hands over its text.
"""

from __future__ import annotations

import difflib
import json
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass

from walkaway.errors import InputError
from walkaway.leadership.questions import HIGHEST, LOWEST, QUESTIONS, QUESTIONS_BY_ID, Question

ANSWER_FORMATS = ("toml", "json")


def _expected(question: Question) -> str:
    low, high = question.scale.label(LOWEST), question.scale.label(HIGHEST)
    return f"expected a whole number from {LOWEST} ({low}) to {HIGHEST} ({high})"


def _unknown_id(key: str) -> str:
    close = difflib.get_close_matches(key, list(QUESTIONS_BY_ID), n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return (
        f"unknown question id {key!r}{hint}: the ids are {QUESTIONS[0].id} to "
        f"{QUESTIONS[-1].id}, listed in docs/leadership.md"
    )


def is_valid_answer(value: object) -> bool:
    """A whole number from 1 to 5 (``True`` is not a number here, nor is ``4.0``)."""
    return isinstance(value, int) and not isinstance(value, bool) and LOWEST <= value <= HIGHEST


def check_answers(answers: Mapping[str, object]) -> dict[str, int]:
    """Every question answered with a whole number from 1 to 5, and no unknown ids.

    Returns the answers in questionnaire order. Raises ``InputError`` with one line naming
    the first problem (the question id and the expected range) and how many more there are.
    """
    problems = [_unknown_id(key) for key in answers if key not in QUESTIONS_BY_ID]
    valid: dict[str, int] = {}
    for question in QUESTIONS:
        value = answers.get(question.id)
        if isinstance(value, int) and is_valid_answer(value):
            valid[question.id] = value
        elif question.id not in answers:
            problems.append(f"no answer for question {question.id!r}: {_expected(question)}")
        else:
            problems.append(
                f"answer for question {question.id!r} is {value!r}: {_expected(question)}"
            )
    if problems:
        more = f" (and {len(problems) - 1} more problem(s))" if len(problems) > 1 else ""
        raise InputError(problems[0] + more)
    return valid


@dataclass(frozen=True)
class AnswerSheet:
    """The answers of one check, as read from an answers file; ``by`` is optional."""

    answers: dict[str, int]
    by: str | None = None


def _load(text: str, fmt: str, source: str) -> object:
    if fmt == "toml":
        try:
            return tomllib.loads(text)
        except tomllib.TOMLDecodeError as error:
            raise InputError(f"{source}: not valid TOML: {error}") from error
    if fmt == "json":
        try:
            return json.loads(text)
        except json.JSONDecodeError as error:
            where = f"line {error.lineno}, column {error.colno}"
            raise InputError(f"{source}: not valid JSON: {error.msg} ({where})") from error
    raise InputError(f"{source}: an answers file ends in .toml or .json, not .{fmt}")


def parse_answers(text: str, fmt: str, source: str = "answers file") -> AnswerSheet:
    """Read an answers file's text: TOML (``[answers]`` table) or JSON (``"answers"`` object).

    ``fmt`` is ``toml`` or ``json``; ``source`` names the file in error messages. The
    only other key allowed is ``by``, the name of whoever answered.
    """
    data = _load(text, fmt, source)
    if not isinstance(data, dict) or not isinstance(data.get("answers"), dict):
        raise InputError(
            f"{source}: no answers found; expected an [answers] table in TOML or an "
            '"answers" object in JSON (see docs/leadership.md)'
        )
    extra = sorted(set(data) - {"answers", "by"})
    if extra:
        raise InputError(f"{source}: unknown key {extra[0]!r}; expected 'answers' and 'by'")
    by = data.get("by")
    if by is not None and (not isinstance(by, str) or not by.strip()):
        raise InputError(f"{source}: 'by' is {by!r}; expected the name of who answered")
    try:
        answers = check_answers(data["answers"])
    except InputError as error:
        raise InputError(f"{source}: {error}") from error
    return AnswerSheet(answers, by.strip() if by else None)
