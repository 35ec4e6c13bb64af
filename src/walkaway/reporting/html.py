"""The review page: one Jinja2 template, autoescaped, with the number filters it uses."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined

from walkaway.reporting.numbers import days, hours, money, percent, short_money, whole_hours
from walkaway.wording import command_spans, counted, separated, thousands

TEMPLATE = "review.html"


def _day(value: date | datetime | None, style: str = "iso") -> str:
    if value is None:
        return "—"
    if style == "long":
        return f"{value.day} {value:%B %Y}"
    return f"{value:%Y-%m-%d}"


def environment() -> Environment:
    """Templates from ``walkaway/report_templates``; everything interpolated is escaped."""
    env = Environment(
        loader=PackageLoader("walkaway", "report_templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        finalize=separated,
    )
    env.filters.update(
        money=money,
        short_money=short_money,
        percent=percent,
        hours=hours,
        whole_hours=whole_hours,
        commands=command_spans,
        days=days,
        day=_day,
        counted=counted,
        thousands=thousands,
    )
    return env


def render_page(context: Mapping[str, Any]) -> str:
    """The review as one HTML document (inline CSS and SVG, no external references)."""
    return environment().get_template(TEMPLATE).render(**context)
