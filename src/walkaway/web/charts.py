"""Charts as inline SVG, drawn on the server: nothing to load, prints as it shows.

Every text put into a chart goes through ``markupsafe.escape``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from markupsafe import Markup, escape

from walkaway.web.present import CALL_ORDER, CALLS, money

COLOURS = {"walk_away": "#c0392b", "requalify": "#d68910", "pursue": "#1e8449"}
ACTIVITY_COLOURS = {
    "inbound": "#1e8449",
    "outbound": "#7f8c8d",
    "meeting": "#2e86c1",
    "missed": "#c0392b",
}


def _svg(width: int, height: int, body: list[str], label: str) -> Markup:
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="100%" role="img" aria-label="{escape(label)}" class="chart">'
    )
    return Markup(head + f"<title>{escape(label)}</title>" + "".join(body) + "</svg>")


def _text(x: float, y: float, text: str, css: str = "", anchor: str = "start") -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" class="{css}" text-anchor="{anchor}">{escape(text)}</text>'
    )


def value_by_call(values: dict[str, float], currency: str) -> Markup:
    """One stacked bar: open value held by walk-away, re-qualify and pursue deals."""
    total = sum(values.values()) or 1.0
    width, x = 600.0, 0.0
    body = []
    for call in CALL_ORDER:
        share = values.get(call, 0.0) / total
        if share <= 0:
            continue
        w = share * width
        body.append(
            f'<rect x="{x:.1f}" y="0" width="{w:.1f}" height="26" fill="{COLOURS[call]}">'
            f"<title>{escape(CALLS[call])}: {escape(money(values.get(call), currency))}"
            "</title></rect>"
        )
        if w > 70:
            label = f"{share:.0%}"
            body.append(_text(x + w / 2, 18, label, "on-bar", "middle"))
        x += w
    return _svg(int(width), 26, body, "Open value by call")


def forecast_bars(forecast: float, without: float, currency: str) -> Markup:
    """The probability-weighted forecast with and without the walk-away candidates."""
    top = max(forecast, without, 1.0)
    rows = (
        ("With every open deal", forecast, "#5d6d7e"),
        ("Without walk-aways", without, "#1e8449"),
    )
    body = []
    for i, (label, value, colour) in enumerate(rows):
        y = i * 34
        w = max(2.0, value / top * 380)
        body.append(_text(0, y + 18, label, "axis"))
        body.append(f'<rect x="170" y="{y + 4}" width="{w:.1f}" height="20" fill="{colour}"/>')
        body.append(_text(176 + w, y + 19, money(value, currency, short=True), "value"))
    return _svg(620, 66, body, "Forecast with and without walk-away candidates")


@dataclass(frozen=True)
class HistoryPoint:
    """The deal's assessment at one weekly cut."""

    at: date
    win_probability: float
    recommendation: str
    walk_away_line: float | None = None


@dataclass(frozen=True)
class Frame:
    start: datetime
    end: datetime
    left: float = 52.0
    right: float = 1150.0

    def x(self, moment: datetime | date) -> float:
        if not isinstance(moment, datetime):
            moment = datetime(moment.year, moment.month, moment.day)
        span = (self.end - self.start).total_seconds() or 1.0
        share = (moment - self.start).total_seconds() / span
        return self.left + max(0.0, min(1.0, share)) * (self.right - self.left)


PLOT_TOP, PLOT_BOTTOM, LANE_Y = 12.0, 172.0, 206.0


def _probability_line(frame: Frame, points: Sequence[HistoryPoint]) -> list[str]:
    def y(p: float) -> float:
        return PLOT_BOTTOM - p * (PLOT_BOTTOM - PLOT_TOP)

    body = []
    for p in (0.0, 0.25, 0.5, 0.75, 1.0):
        body.append(
            f'<line x1="{frame.left}" x2="{frame.right}" y1="{y(p):.1f}" y2="{y(p):.1f}" '
            'class="grid"/>'
        )
        body.append(_text(frame.left - 6, y(p) + 4, f"{p:.0%}", "axis", "end"))
    line = [pt for pt in points if pt.walk_away_line is not None]
    if len(line) > 1:
        dashes = " ".join(f"{frame.x(pt.at):.1f},{y(pt.walk_away_line or 0):.1f}" for pt in line)
        tip = "<title>the walk-away line</title>"
        body.append(f'<polyline points="{dashes}" class="walk-line">{tip}</polyline>')
    coords = " ".join(f"{frame.x(pt.at):.1f},{y(pt.win_probability):.1f}" for pt in points)
    if len(points) > 1:
        body.append(f'<polyline points="{coords}" class="line"/>')
    for pt in points:
        tip = f"{pt.at:%Y-%m-%d}: {pt.win_probability:.0%}, {CALLS.get(pt.recommendation, '')}"
        body.append(
            f'<circle cx="{frame.x(pt.at):.1f}" cy="{y(pt.win_probability):.1f}" r="5" '
            f'fill="{COLOURS.get(pt.recommendation, "#555")}"><title>{escape(tip)}</title></circle>'
        )
    return body


def activity_kind(row: dict[str, Any]) -> str:
    """Which lane colour an activity takes: missed, meeting, inbound or outbound."""
    if row.get("status") in {"no_show", "cancelled", "rescheduled"}:
        return "missed"
    if row.get("kind") in {"meeting", "demo"}:
        return "meeting"
    return "inbound" if row.get("direction") == "inbound" else "outbound"


def _activity_tip(row: dict[str, Any]) -> str:
    """An activity as its mark's tooltip says it, in words: "2026-10-02: stage change,
    internal, done: Moved from Discovery"."""
    said = [row.get("kind"), row.get("direction"), row.get("status")]
    words = ", ".join(str(w).replace("_", " ") for w in said if w)
    detail = f": {row['detail']}" if row.get("detail") else ""
    return f"{row['at']:%Y-%m-%d}: {words}{detail}"


def _activity_lane(frame: Frame, activities: Sequence[dict[str, Any]]) -> list[str]:
    if not activities:
        return []
    body = [_text(frame.left - 6, LANE_Y + 4, "activity", "axis", "end")]
    for row in activities:
        at = row["at"]
        if at < frame.start:
            continue
        kind = activity_kind(row)
        tip = _activity_tip(row)
        body.append(
            f'<rect x="{frame.x(at) - 1.5:.1f}" y="{LANE_Y - 9}" width="3" height="18" '
            f'fill="{ACTIVITY_COLOURS[kind]}"><title>{escape(tip)}</title></rect>'
        )
    return body


def _date_axis(frame: Frame) -> list[str]:
    body = []
    days = max(1, (frame.end - frame.start).days)
    step = 7 if days <= 120 else 14 if days <= 240 else 28
    tick = frame.start
    while tick <= frame.end:
        body.append(_text(frame.x(tick), 238, f"{tick:%d %b}", "axis", "middle"))
        tick += timedelta(days=step)
    return body


def _marker(frame: Frame, moment: datetime, label: str) -> list[str]:
    x = frame.x(moment)
    return [
        f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{PLOT_TOP}" y2="{PLOT_BOTTOM}" class="marker"/>',
        _text(x + 4, PLOT_TOP + 10, label, "marker-label"),
    ]


def deal_history(
    points: Sequence[HistoryPoint],
    activities: Sequence[dict[str, Any]],
    start: datetime,
    end: datetime,
    marker: tuple[datetime, str] | None = None,
) -> Markup:
    """Win probability at weekly cuts (dots coloured by the call then) over the deal's
    activities (a tick each: replies green, our touches grey, meetings blue, missed red);
    ``marker`` draws a labelled line at a moment (a loss review's turn)."""
    frame = Frame(start, end)
    body = _probability_line(frame, points) + _activity_lane(frame, activities)
    if marker is not None:
        body += _marker(frame, *marker)
    return _svg(1170, 248, body + _date_axis(frame), "Win probability and activities over time")
