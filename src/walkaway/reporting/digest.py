"""A rep's week as plain text, as HTML and as a Slack-style webhook message.

:mod:`walkaway.service.digest` gathers the items; this module only words them. The HTML
goes through the same autoescaped Jinja2 environment as the review page, so a deal
named ``<script>`` stays text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from walkaway import lazy
from walkaway.wording import counted, money_text

if TYPE_CHECKING:
    from walkaway.reporting import html
else:
    html = lazy.module("walkaway.reporting.html")

TEMPLATE = "digest.html"


@dataclass(frozen=True)
class WalkAway:
    """A deal the data says to walk away from, with the drafted exit message."""

    deal_id: str
    name: str
    reason: str
    amount: float | None
    currency: str
    revisit_on: date | None
    message: str


@dataclass(frozen=True)
class DueItem:
    """A re-qualify deadline or a revisit date that falls due by the end of the week."""

    deal_id: str
    name: str
    due_on: date
    action: str
    questions: tuple[str, ...] = ()


@dataclass(frozen=True)
class Change:
    """A deal of the rep's that changed since the last review, and what moved it."""

    deal_id: str
    name: str
    what: str  # "Crossed the walk-away line", "New deals", ...
    calls: str  # "Pursue → Re-qualify, 48% → 21%"
    because: tuple[str, ...] = ()


@dataclass(frozen=True)
class RepWeek:
    """One rep's week: walk-aways, re-qualify deadlines coming, revisit dates due."""

    owner: str
    week_start: date
    week_end: date
    walk_aways: tuple[WalkAway, ...] = ()
    deadlines: tuple[DueItem, ...] = ()
    revisits: tuple[DueItem, ...] = field(default_factory=tuple)
    changes: tuple[Change, ...] = ()
    changes_since: date | None = None

    @property
    def empty(self) -> bool:
        return not (self.walk_aways or self.deadlines or self.revisits or self.changes)

    @property
    def subject(self) -> str:
        counts = len(self.walk_aways), len(self.deadlines), len(self.revisits)
        return (
            f"Your pipeline week of {self.week_start:%Y-%m-%d}: {counts[0]:,} to walk away "
            f"from, {counted(counts[1], 're-qualify deadline')}, {counts[2]:,} to revisit"
        )


def _amount(item: WalkAway) -> str:
    return "no amount" if item.amount is None else money_text(item.amount, item.currency)


def _due_lines(title: str, items: tuple[DueItem, ...]) -> list[str]:
    lines = [f"{title} ({len(items)})"]
    for item in items:
        lines.append(f"- {item.due_on:%Y-%m-%d} {item.deal_id} {item.name}: {item.action}")
        lines.extend(f"    ? {q}" for q in item.questions)
    return [*lines, ""] if items else [*lines, "  none", ""]


def changes_title(week: RepWeek) -> str:
    """``Changed since 2026-11-09 (3)``: the section that comes first."""
    since = f" since {week.changes_since:%Y-%m-%d}" if week.changes_since else ""
    return f"Changed{since} ({len(week.changes)})"


def _change_lines(week: RepWeek) -> list[str]:
    lines = [changes_title(week)]
    for change in week.changes:
        lines.append(f"- {change.deal_id} {change.name}: {change.what}, {change.calls}")
        lines.extend(f"    {cause}" for cause in change.because)
    return [*lines, ""] if week.changes else [*lines, "  none", ""]


def digest_text(week: RepWeek) -> str:
    """The digest as plain text (the email's text part): the rep's changes first."""
    lines = [f"{week.owner}: your week, {week.week_start:%Y-%m-%d} to {week.week_end:%Y-%m-%d}", ""]
    lines += _change_lines(week)
    lines.append(f"Walk away ({len(week.walk_aways)})")
    for item in week.walk_aways:
        revisit = f"; revisit on {item.revisit_on:%Y-%m-%d}" if item.revisit_on else ""
        lines.append(f"- {item.deal_id} {item.name} ({_amount(item)}): {item.reason}{revisit}")
        lines.extend(f"    | {line}" for line in item.message.splitlines())
    lines.append("" if week.walk_aways else "  none\n")
    lines += _due_lines("Re-qualify deadlines coming", week.deadlines)
    lines += _due_lines("Revisit dates due", week.revisits)
    return "\n".join(lines).rstrip() + "\n"


def digest_html(week: RepWeek) -> str:
    """The digest as one HTML document (the email's HTML part)."""
    return (
        html.environment()
        .get_template(TEMPLATE)
        .render(week=week, amount=_amount, changes_title=changes_title(week))
    )


def _section(title: str, lines: list[str]) -> dict[str, Any]:
    body = "\n".join(lines) if lines else "_none_"
    return {"type": "section", "text": {"type": "mrkdwn", "text": f"*{title}*\n{body}"}}


def digest_webhook(week: RepWeek) -> dict[str, Any]:
    """A Slack-style incoming-webhook message: ``text`` (the fallback) and ``blocks``."""
    walk = [f"• `{w.deal_id}` {w.name} ({_amount(w)}): {w.reason}" for w in week.walk_aways]
    deadlines = [
        f"• {d.due_on:%Y-%m-%d} `{d.deal_id}` {d.name}: {d.action}" for d in week.deadlines
    ]
    revisits = [f"• {r.due_on:%Y-%m-%d} `{r.deal_id}` {r.name}: {r.action}" for r in week.revisits]
    changed = [
        f"• `{c.deal_id}` {c.name}: {c.what}, {c.calls}" + "".join(f"; {b}" for b in c.because)
        for c in week.changes
    ]
    header = f"{week.owner}: your week of {week.week_start:%Y-%m-%d}"
    return {
        "text": f"{header}. {week.subject}",
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": header}},
            _section(changes_title(week), changed),
            _section("Walk away", walk),
            _section("Re-qualify deadlines coming", deadlines),
            _section("Revisit dates due", revisits),
        ],
    }
