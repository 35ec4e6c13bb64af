"""The API's declared text patterns refuse exactly what the service refuses."""

from __future__ import annotations

import re
import sys

import pytest
from pydantic import ValidationError

from walkaway.web.schemas import SOME_WORD, DecisionIn

EVERY_CHARACTER = [chr(c) for c in range(sys.maxunicode + 1) if not 0xD800 <= c <= 0xDFFF]


def accepted(reason: str) -> bool:
    try:
        DecisionIn(deal_id="D-1", decision="pursue", reason=reason)
    except ValidationError:
        return False
    return True


def test_a_reason_needs_a_character_the_service_does_not_strip() -> None:
    """The service refuses a reason that ``str.strip()`` empties; the schema (as FastAPI
    checks it, and as Python's ``re`` reads it for generated clients) refuses the same
    one-character reasons, whatever the regex engine thinks ``\\S`` is."""
    wrong = [
        hex(ord(c))
        for c in EVERY_CHARACTER
        if accepted(c) != (c != "\x00" and bool(c.strip()))
        or (re.fullmatch(SOME_WORD, c) is not None) != accepted(c)
    ]
    assert not wrong
    for blank in (" ", "\x85", "\u3000\t", "\x1c\x1f"):
        assert not accepted(blank), repr(blank)
    assert accepted("\x85 too late \u3000")


@pytest.mark.parametrize("reason", ["ok", "no\x00nul"])
def test_a_nul_is_refused_a_word_accepted(reason: str) -> None:
    assert accepted(reason) is ("\x00" not in reason)
