"""Numbers and words as a sales manager reads them: the templates' filters."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from jinja2 import Environment

from walkaway.flags.rulebook import flag_title
from walkaway.models import Recommendation
from walkaway.wording import command_spans, counted, money_text, percent_text, thousands

CALLS = {call.value: call.label for call in Recommendation}
CALL_ORDER = ("walk_away", "requalify", "pursue")


def money(value: float | None, currency: str | None = None, short: bool = False) -> str:
    """€44,000 — or €2.6M / €331k when ``short``; an em dash for no value."""
    return money_text(value, currency, short=short)


def percent(value: float | None, digits: int = 0) -> str:
    """15%, <1%, >99% (an em dash for no value)."""
    return percent_text(value, digits)


def hours(value: float | None) -> str:
    return "—" if value is None else f"{value:,.1f} h"


def day(value: date | datetime | str | None) -> str:
    """2026-11-16 (a date-time keeps its time when it has one)."""
    if value is None or value == "":
        return "—"
    if isinstance(value, str):
        return value[:16].replace("T", " ") if "T" in value else value
    if isinstance(value, datetime):
        return (
            f"{value:%Y-%m-%d}"
            if value.time() == datetime.min.time()
            else f"{value:%Y-%m-%d %H:%M}"
        )
    return value.isoformat()


def as_of_value(moment: datetime) -> str:
    """An as-of moment as a link parameter: the date alone at midnight, else to the second."""
    if moment.time() == datetime.min.time():
        return f"{moment:%Y-%m-%d}"
    return moment.isoformat(timespec="seconds")


def call_label(value: str | None) -> str:
    return CALLS.get(value or "", value or "—")


def install_filters(env: Environment) -> None:
    filters: dict[str, Any] = {
        "money": money,
        "percent": percent,
        "hours": hours,
        "thousands": thousands,
        "day": day,
        "call": call_label,
        "counted": counted,
        "flag_title": flag_title,
        "commands": command_spans,
    }
    env.filters.update(filters)
    env.globals["CALLS"] = CALLS
    env.globals["CALL_ORDER"] = CALL_ORDER
