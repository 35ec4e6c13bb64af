"""One deal's plan told as activity rows: stage moves, touches, replies, meetings, proposals.

Time runs in business days from the day a deal was created (``x``); whole days are
working days and the fraction is the time within the working day (08:00–18:00), so
nothing happens at weekends and the order of events survives the conversion to dates.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date
from typing import Final

import numpy as np
import numpy.typing as npt

STAGES: Final = ("Qualification", "Discovery", "Demo", "Proposal", "Negotiation")
WORKDAY_PER_DAY: Final = 5 / 7

# x (business days since the created day), kind, direction, status, hours, stage, detail
Event = tuple[float, str, str, str, float | None, str | None, str]

_TOUCHES: Final = (
    "Recap and next steps",
    "Sent customer case study",
    "Shared ROI worksheet",
    "Agenda for next session",
    "Answered security questions",
    "Introduced implementation lead",
)
_CHASERS: Final = (
    "Following up",
    "Checking in on the decision",
    "Any update on your side?",
    "Following up on my last email",
    "Closing the loop?",
)
_REPLIES: Final = (
    "Re: next steps",
    "Re: recap",
    "Questions from the team",
    "Re: timeline",
    "Re: pricing details",
)
_NOTES: Final = ("Deal review with manager", "Call notes", "Account research", "Internal sync")


@dataclass(frozen=True)
class Plan:
    """What happens to one deal, in calendar terms; :func:`tell` writes it as events."""

    deal_id: str
    path: tuple[tuple[str, date], ...]  # stage entered and the day; path[0] is the created day
    end: date  # the closed day, or the as-of day (open deals: nothing on or after it)
    outcome: str = "open"
    loss_reason: str | None = None
    quiet_since: date | None = None  # the buyer's last sign of life is before this day
    reply_rate: float = 0.75  # share of the rep's touches the buyer answers
    gap: float = 4.0  # mean calendar days between the rep's routine touches
    proposals: int = 1
    missed: int = 0  # meetings the buyer did not attend or moved
    met: bool = True  # False: no meeting or demo ever took place
    close_dates: tuple[date, ...] = ()  # expected_close history, oldest first
    amounts: tuple[int, ...] = ()  # amount history, oldest first
    discount: float = 0.0

    @property
    def origin(self) -> date:
        """The working day the deal was created: a weekend creation counts from Friday."""
        day = np.busday_offset(np.datetime64(self.path[0][1], "D"), 0, roll="backward")
        return date.fromisoformat(str(day))


@dataclass(frozen=True)
class Story:
    events: list[Event]
    created_x: float
    closed_x: float | None


class _Teller:
    def __init__(self, rng: np.random.Generator, plan: Plan) -> None:
        self.rng, self.plan = rng, plan
        self.origin = plan.origin
        self.events: list[Event] = []
        self.open = plan.outcome == "open"
        self.entries = self._entries()
        base = self.day(plan.end)
        if self.open:
            self.end_x = float(base)
        else:  # closed after the last stage move, even when both fall on one weekend
            self.end_x = max(base + float(rng.uniform(0.4, 0.9)), self.entries[-1] + 0.3)
        self.quiet_x = self.end_x if plan.quiet_since is None else float(self.day(plan.quiet_since))

    def day(self, when: date) -> int:
        """Working days from the created day to ``when`` (a weekend counts as its Friday)."""
        friday = np.busday_offset(np.datetime64(when, "D"), 0, roll="backward")
        return int(np.busday_count(np.datetime64(self.origin, "D"), friday))

    def _entries(self) -> list[float]:
        raw = [self.day(d) + float(self.rng.uniform(0.05, 0.6)) for _, d in self.plan.path]
        raw[0] = float(self.rng.uniform(0.0, 0.4))
        for i in range(1, len(raw)):
            raw[i] = max(raw[i], raw[i - 1] + 0.05)
        return raw

    def add(
        self,
        x: float,
        kind: str,
        direction: str,
        detail: str,
        *,
        status: str = "done",
        hours: float | None = None,
        stage: str | None = None,
    ) -> None:
        self.events.append((x, kind, direction, status, hours, stage, detail))

    def pick(self, options: tuple[str, ...]) -> str:
        return options[int(self.rng.integers(len(options)))]

    def active(self, x: float) -> bool:
        """Is the buyer still answering at ``x``?"""
        return x < self.quiet_x and x < self.end_x

    # --- the parts of a story -------------------------------------------------------

    def stages(self) -> None:
        previous = None
        for (stage, _), x in zip(self.plan.path, self.entries, strict=True):
            detail = "Deal created" if previous is None else f"Moved from {previous}"
            self.add(x, "stage_change", "internal", detail, stage=stage)
            previous = stage

    def segments(self) -> list[tuple[str, float, float]]:
        stops = [*self.entries[1:], self.end_x]
        return [
            (stage, start, stop)
            for (stage, _), start, stop in zip(self.plan.path, self.entries, stops, strict=True)
        ]

    def routine(self, start: float, stop: float) -> None:
        gap = self.plan.gap * WORKDAY_PER_DAY
        x = start + float(self.rng.uniform(0.3, 1.2))
        while x < stop:
            call = self.rng.random() < 0.3
            chasing = not self.active(x)
            detail = self.pick(_CHASERS if chasing else _TOUCHES)
            self.add(
                x, "call" if call else "email", "outbound", detail, hours=0.5 if call else 0.25
            )
            if self.active(x) and self.rng.random() < self.plan.reply_rate:
                reply = x + float(self.rng.uniform(0.2, 2.0))
                if self.active(reply):
                    self.add(reply, "email", "inbound", self.pick(_REPLIES))
            x += 0.3 + float(self.rng.gamma(3.0, gap / 3.0))

    def milestones(self, index: int, stage: str, start: float, stop: float) -> None:
        """What happens once in a stage; a deal that moves on has met its exit criteria."""
        span = stop - start

        def at(low: float, high: float) -> float:
            return min(start + float(self.rng.uniform(low, high)), start + 0.8 * span)

        moving_on = index < len(self.plan.path) - 1 or self.plan.outcome == "won"
        if stage == "Qualification" and self.plan.met:
            self.add(at(0.1, 0.6), "meeting", "outbound", "Intro meeting (video)", hours=0.75)
        elif stage == "Qualification":
            self.add(at(0.1, 0.6), "call", "outbound", "Intro call", hours=0.5)
            self.add(at(0.6, 1.5), "email", "inbound", "Just send us a price, no meeting needed")
        elif stage == "Discovery" and self.plan.met and self.active(x := at(0.5, 2.5)):
            self.add(x, "meeting", "outbound", "Discovery meeting", hours=1.5)
        elif stage == "Demo" and self.plan.met and self.active(x := at(1.0, 3.0)):
            self.add(x, "demo", "outbound", "Product demo for the buying team", hours=3.0)
        elif stage == "Proposal":
            self.proposal_stage(start, span, moving_on)
        elif stage == "Negotiation":
            self.add(at(0.5, 2.0), "call", "outbound", "Pricing and terms call", hours=1.0)
            if self.active(x := at(2.0, 5.0)):
                self.add(x, "proposal", "inbound", "Contract returned with redlines")

    def proposal_stage(self, start: float, span: float, moving_on: bool) -> None:
        if self.plan.proposals >= 1 and not any(e[6] == "Proposal v1" for e in self.events):
            sent = start + min(float(self.rng.uniform(0.2, 0.6)), 0.2 * span)
            self.add(sent, "proposal", "outbound", "Proposal v1", hours=4.0)
        if not moving_on:
            if self.active(x := start + min(float(self.rng.uniform(1.5, 4.0)), 0.8 * span)):
                self.add(x, "email", "inbound", "Questions on the proposal")
            return
        if self.active(x := start + float(self.rng.uniform(0.5, 0.65)) * span):
            self.add(x, "proposal", "inbound", "Proposal returned with comments")
        if self.active(x := start + float(self.rng.uniform(0.7, 0.85)) * span):
            self.add(x, "meeting", "outbound", "Mutual plan agreed with the buyer", hours=1.0)

    def proposals(self) -> None:
        """Versions after the first: each one the buyer asked for."""
        sent = [e[0] for e in self.events if e[6] == "Proposal v1"]
        if not sent or self.plan.proposals < 2:
            return
        first = sent[0]
        last = min(self.quiet_x, self.end_x) - 1.0
        versions = np.linspace(first + 3.0, max(last, first + 3.5), self.plan.proposals - 1)
        for version, x in enumerate(versions, start=2):
            ask = float(x) - float(self.rng.uniform(0.5, 1.5))
            if self.active(ask):
                self.add(ask, "email", "inbound", f"Asks for a revised proposal (v{version})")
            self.add(float(x), "proposal", "outbound", f"Proposal v{version}", hours=2.5)

    def missed_meetings(self) -> None:
        after = self.entries[1] if len(self.entries) > 1 else self.entries[0]
        offsets = np.cumsum(self.rng.uniform(2.5, 5.0, self.plan.missed))[::-1]
        for i, offset in enumerate(offsets):
            x = max(self.end_x - float(offset), after + 0.5 + 0.1 * i)
            if i % 2 == 0:
                self.add(
                    x, "meeting", "outbound", "Buyer did not join", status="no_show", hours=1.0
                )
            else:
                self.add(
                    x, "meeting", "outbound", "Moved by the buyer", status="rescheduled", hours=0.25
                )

    def close_date_notes(self) -> None:
        dates = self.plan.close_dates
        if len(dates) < 2:
            return
        xs = [self.day(old) - float(self.rng.uniform(1.0, 4.0)) for old in dates[:-1]]
        low = self.entries[0] + 1.0
        for i, (old, new) in enumerate(itertools.pairwise(dates)):
            x = min(max(xs[i], low), self.end_x - 0.5)
            low = x + 0.1
            self.add(x, "note", "internal", f"close date moved from {old} to {new}")

    def amount_notes(self) -> None:
        amounts = self.plan.amounts
        if len(amounts) < 2:
            return
        xs = np.linspace(0.4 * self.end_x, self.end_x - 1.0, len(amounts) + 1)[1:-1]
        for x, old, new in zip(xs, amounts[:-1], amounts[1:], strict=True):
            self.add(float(x), "note", "internal", f"amount changed from {old} to {new} EUR")

    def discount_ask(self) -> None:
        if self.plan.discount < 0.15:
            return
        props = [e[0] for e in self.events if e[1] == "proposal" and e[2] == "outbound"]
        x = props[0] + float(self.rng.uniform(1.0, 3.0)) if props else 0.5 * self.end_x
        if not self.active(x):
            x = max(self.quiet_x - float(self.rng.uniform(0.5, 2.0)), 0.5)
        percent = round(self.plan.discount * 100)
        self.add(x, "email", "inbound", f"Asks for a discount of {percent}%")

    def notes(self) -> None:
        x = float(self.rng.uniform(5.0, 15.0))
        while x < self.end_x:
            self.add(x, "note", "internal", self.pick(_NOTES), hours=0.25)
            x += float(self.rng.uniform(8.0, 20.0))

    def ending(self) -> None:
        plan, x = self.plan, self.end_x
        if plan.outcome == "won":
            self.add(x, "email", "inbound", "Signed order form")
        elif plan.outcome == "lost":
            if plan.loss_reason == "competitor":
                self.add(x - 0.1, "email", "inbound", "Decided to go with another vendor")
            elif plan.loss_reason == "budget":
                self.add(x - 0.1, "email", "inbound", "No budget for this project this year")
            self.add(x, "note", "internal", f"Closed lost: {plan.loss_reason}", hours=0.25)
        elif plan.quiet_since is None:
            # A live deal: the buyer wrote in the last few days.
            room = max(min(3.0, 0.9 * (x - self.entries[0])), 0.02)
            self.add(x - float(self.rng.uniform(0.01, room)), "email", "inbound", "Re: next steps")


def tell(rng: np.random.Generator, plan: Plan) -> Story:
    """The events of ``plan``, each strictly before the as-of day (open deals) or no
    later than the close (closed deals)."""
    teller = _Teller(rng, plan)
    teller.stages()
    for index, (stage, start, stop) in enumerate(teller.segments()):
        teller.milestones(index, stage, start, stop)
        teller.routine(start, stop)
    teller.proposals()
    teller.missed_meetings()
    teller.close_date_notes()
    teller.amount_notes()
    teller.discount_ask()
    teller.notes()
    teller.ending()
    created = teller.entries[0]
    limit = teller.end_x
    events = [
        e
        for e in teller.events
        if created <= e[0] and (e[0] < limit or (e[0] == limit and not teller.open))
    ]
    events.sort(key=lambda e: e[0])
    return Story(events, created, None if teller.open else teller.end_x)


def timestamps(
    origins: npt.NDArray[np.datetime64], x: npt.NDArray[np.float64]
) -> npt.NDArray[np.datetime64]:
    """Business-day coordinates as minutes: whole days are working days, the fraction is
    the time within 08:00–18:00."""
    whole = np.floor(x).astype(np.int64)
    days = np.busday_offset(origins.astype("datetime64[D]"), whole, roll="forward")
    minutes = 8 * 60 + np.floor((x - whole) * 600).astype(np.int64)
    moments: npt.NDArray[np.datetime64] = days.astype("datetime64[m]") + minutes.astype(
        "timedelta64[m]"
    )
    return moments.astype("datetime64[us]")
