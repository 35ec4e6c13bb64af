"""The open deals that show, between them, every situation the product must handle.

Each :class:`Scenario` is written by hand: stages and days spent in each, the buyer's
behaviour and the deal's fields. Anything not given is a healthy, well-qualified deal.
The table in :mod:`walkaway.sample.generate` documents them; a test keeps both in step.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Final

from walkaway.sample import SAMPLE_AS_OF
from walkaway.sample.story import Plan

HEALTHY: Final[Mapping[str, object]] = {
    "budget": "confirmed",
    "authority": "decision_maker",
    "champion": "yes",
    "need": "clear",
    "competitor": "none",
    "discount_requested": 0.05,
    "custom_requests": 1,
    "missing_features": 0,
    "stakeholders_aligned": "yes",
    "fit": "high",
    "potential": "medium",
    "rep_confidence": 4,
    "margin": 0.7,
    "lead_source": "inbound",
    "employees": 450,
}


@dataclass(frozen=True)
class Scenario:
    deal_id: str
    story: str  # one line for the docs
    owner: str
    account: str
    industry: str
    product: str
    amount: int
    path: tuple[tuple[str, int], ...]  # stage and calendar days in it; last = current, so far
    quiet: int = 0  # calendar days since the buyer's last sign of life (0 = replies normally)
    reply_rate: float = 0.75
    gap: float = 4.0
    proposals: int = 1
    missed: int = 0
    met: bool = True
    close_dates: tuple[str, ...] = ()  # expected_close history, oldest first
    amounts: tuple[int, ...] = ()  # earlier amounts, oldest first
    hours_invested: float | None = None
    fields: Mapping[str, object] = field(default_factory=dict)

    def plan(self) -> Plan:
        created = SAMPLE_AS_OF - timedelta(days=sum(days for _, days in self.path))
        entries, day = [], created
        for stage, days in self.path:
            entries.append((stage, day))
            day += timedelta(days=days)
        closes = tuple(date.fromisoformat(d) for d in self.close_dates)
        reached_proposal = any(stage == "Proposal" for stage, _ in self.path)
        discount = self.record()["discount_requested"]
        assert isinstance(discount, float)
        return Plan(
            deal_id=self.deal_id,
            path=tuple(entries),
            end=SAMPLE_AS_OF,
            quiet_since=SAMPLE_AS_OF - timedelta(days=self.quiet) if self.quiet else None,
            reply_rate=self.reply_rate,
            gap=self.gap,
            proposals=self.proposals if reached_proposal else 0,
            missed=self.missed,
            met=self.met,
            close_dates=closes or (SAMPLE_AS_OF + timedelta(days=45),),
            amounts=(*self.amounts, self.amount) if self.amounts else (),
            discount=discount,
        )

    def record(self) -> dict[str, object]:
        """The deal's own columns (without dates and hours, which come from its story)."""
        return {
            **HEALTHY,
            "deal_id": self.deal_id,
            "name": f"{self.account} – {self.product}",
            "account": self.account,
            "owner": self.owner,
            "amount": self.amount,
            "outcome": "open",
            "loss_reason": None,
            "industry": self.industry,
            **self.fields,
        }


ANNA, LUKAS, SOFIA, JONAS, CLAIRE = (
    "Anna Keller",
    "Lukas Brandt",
    "Sofia Marchetti",
    "Jonas Berg",
    "Claire Dubois",
)
_Q, _D, _DEMO, _P, _N = "Qualification", "Discovery", "Demo", "Proposal", "Negotiation"
_MFG, _LOG, _RET, _HC, _PRO, _FOOD = (
    "Manufacturing",
    "Logistics",
    "Retail",
    "Healthcare",
    "Professional services",
    "Food & beverage",
)

# A table: one deal per entry, kept compact on purpose.
# fmt: off
SCENARIOS: Final[tuple[Scenario, ...]] = (
    Scenario(
        "D-2001", "healthy: buyer answers within days, fully qualified",
        ANNA, "Hartmann Precision GmbH", _MFG, "Planning suite", 86_000,
        ((_Q, 5), (_D, 11), (_DEMO, 9), (_P, 10), (_N, 6)), close_dates=("2026-12-11",),
        fields={"authority": "economic_buyer", "employees": 820},
    ),
    Scenario(
        "D-2002", "healthy: proposal answered with questions, on schedule",
        LUKAS, "Weser Freight", _LOG, "Inventory", 38_000,
        ((_Q, 4), (_D, 9), (_DEMO, 8), (_P, 7)), close_dates=("2026-12-18",),
    ),
    Scenario(
        "D-2003", "healthy: engaged buyer",
        SOFIA, "Lumen Dental Group", _HC, "Field service", 24_500,
        ((_Q, 6), (_D, 10), (_DEMO, 5)), close_dates=("2027-01-15",),
        fields={"lead_source": "referral"},
    ),
    Scenario(
        "D-2004", "new: created 3 days ago, intro meeting held, buyer replied",
        CLAIRE, "Garonne Foods", _FOOD, "Planning suite", 18_000,
        ((_Q, 3),), close_dates=("2027-02-26",),
        fields={"champion": "unknown", "competitor": "unknown",
                "stakeholders_aligned": "unknown", "rep_confidence": 3},
    ),
    Scenario(
        "D-2005", "big high-potential account (240k, 3,200 staff), healthy",
        ANNA, "Meridian Retail Group", _RET, "Planning suite", 240_000,
        ((_Q, 7), (_D, 14), (_DEMO, 4)), close_dates=("2027-03-31",),
        fields={"potential": "high", "employees": 3200, "authority": "economic_buyer"},
    ),
    Scenario(
        "D-2006", "big high-potential account (175k), slow, budget unknown",
        LUKAS, "Nordlicht Logistik GmbH", _LOG, "Inventory", 175_000,
        ((_Q, 8), (_D, 35)), reply_rate=0.5, gap=6, close_dates=("2027-03-31",),
        fields={"potential": "high", "employees": 2600, "budget": "unknown",
                "champion": "unknown", "rep_confidence": 3},
    ),
    Scenario(
        "D-2007", "buyer unresponsive: no reply for 38 days, rep keeps chasing",
        SOFIA, "Kessler Components AG", _MFG, "Analytics", 42_000,
        ((_Q, 6), (_D, 12), (_DEMO, 45)), quiet=38, close_dates=("2026-12-15",),
        fields={"rep_confidence": 3},
    ),
    Scenario(
        "D-2008", "buyer unresponsive 40 days; expected close already passed",
        JONAS, "Halden Transport S.A.", _LOG, "Field service", 15_500,
        ((_Q, 5), (_D, 50)), quiet=40, close_dates=("2026-10-30",),
        fields={"rep_confidence": 3},
    ),
    Scenario(
        "D-2009", "missed meetings: no-shows and a reschedule, buyer still emails",
        CLAIRE, "Vidal Outdoor", _RET, "Inventory", 33_000,
        ((_Q, 5), (_D, 10), (_DEMO, 14)), missed=3, reply_rate=0.6,
        close_dates=("2026-12-31",),
    ),
    Scenario(
        "D-2010", "missed meetings, budget unknown",
        LUKAS, "Tessin Care Services", _HC, "Planning suite", 21_000,
        ((_Q, 4), (_D, 15)), missed=2, reply_rate=0.6, close_dates=("2027-01-29",),
        fields={"budget": "unknown"},
    ),
    Scenario(
        "D-2011", "stalled: 130 days in Proposal (won deals need about 12)",
        ANNA, "Ferro Metalworks", _MFG, "Procurement", 58_000,
        ((_Q, 6), (_D, 12), (_DEMO, 10), (_P, 130)), reply_rate=0.35, gap=9,
        close_dates=("2027-01-29",),
    ),
    Scenario(
        "D-2012", "stalled 110 days; vague need, no champion, influencer only",
        JONAS, "Calder Engineering Partners", _PRO, "Analytics", 27_000,
        ((_Q, 7), (_D, 110)), reply_rate=0.4, gap=10, close_dates=("2027-01-15",),
        fields={"need": "vague", "champion": "no", "authority": "influencer"},
    ),
    Scenario(
        "D-2013", "close date pushed three times (four dates), buyer still replies",
        SOFIA, "Delft Plastics B.V.", _MFG, "Planning suite", 64_000,
        ((_Q, 5), (_D, 14), (_DEMO, 14), (_P, 20), (_N, 12)),
        close_dates=("2026-09-30", "2026-10-16", "2026-11-13", "2026-12-18"),
    ),
    Scenario(
        "D-2014", "close date pushed four times and amount cut 80k → 61k",
        CLAIRE, "Alder Home & Garden", _RET, "Inventory", 61_000,
        ((_Q, 6), (_D, 14), (_DEMO, 12), (_P, 75)), amounts=(80_000,), reply_rate=0.55,
        close_dates=("2026-08-28", "2026-09-30", "2026-10-30", "2026-11-27", "2027-01-29"),
    ),
    Scenario(
        "D-2015", "amount cut twice 95k → 72k → 54k, 25% discount asked",
        LUKAS, "Sorensen Cold Chain", _LOG, "Inventory", 54_000,
        ((_Q, 5), (_D, 14), (_DEMO, 12), (_P, 18), (_N, 12)), amounts=(95_000, 72_000),
        close_dates=("2026-12-11",), fields={"discount_requested": 0.25, "margin": 0.52},
    ),
    Scenario(
        "D-2016", "regression Proposal → Discovery; stakeholders not aligned",
        ANNA, "Bayard Facility Services", _PRO, "Field service", 47_000,
        ((_Q, 5), (_D, 10), (_DEMO, 9), (_P, 12), (_D, 18)), close_dates=("2027-02-26",),
        fields={"stakeholders_aligned": "no"},
    ),
    Scenario(
        "D-2017", "regression Negotiation → Proposal; four proposal versions",
        JONAS, "Orsini Fashion S.p.A.", _RET, "Planning suite", 71_000,
        ((_Q, 6), (_D, 12), (_DEMO, 10), (_P, 14), (_N, 12), (_P, 20)), proposals=4,
        close_dates=("2026-12-18",), fields={"discount_requested": 0.18},
    ),
    Scenario(
        "D-2018", "proposal sent 30 days ago, no reply since; rep confidence 5",
        JONAS, "Marlow Medical Supplies", _HC, "Inventory", 52_000,
        ((_Q, 6), (_D, 11), (_DEMO, 9), (_P, 30)), quiet=30, close_dates=("2026-11-30",),
        fields={"rep_confidence": 5},
    ),
    Scenario(
        "D-2019", "proposal sent 20 days ago, no reply; incumbent competitor",
        SOFIA, "Pilsen Brewery", _FOOD, "Procurement", 36_000,
        ((_Q, 5), (_D, 10), (_DEMO, 8), (_P, 20)), quiet=20, close_dates=("2026-12-04",),
        fields={"competitor": "incumbent"},
    ),
    Scenario(
        "D-2020", "five proposal versions, 30% discount asked, 12% margin",
        CLAIRE, "Rhodin Architects", _PRO, "Analytics", 44_000,
        ((_Q, 5), (_D, 10), (_DEMO, 10), (_P, 45), (_N, 12)), proposals=5, reply_rate=0.85,
        close_dates=("2026-12-11",),
        fields={"discount_requested": 0.3, "margin": 0.12, "custom_requests": 2},
    ),
    Scenario(
        "D-2021", "no budget, no need, 25% discount asked before any demo",
        LUKAS, "Eskil Bakeries", _FOOD, "Planning suite", 12_000,
        ((_Q, 6), (_D, 15)), close_dates=("2027-03-31",),
        fields={"budget": "none", "need": "none", "authority": "unknown",
                "discount_requested": 0.25, "rep_confidence": 2, "fit": "medium"},
    ),
    Scenario(
        "D-2022", "only an influencer involved (no economic buyer)",
        ANNA, "Janssen Clinics", _HC, "Planning suite", 39_000,
        ((_Q, 5), (_D, 12), (_DEMO, 10), (_P, 20)), close_dates=("2026-12-18",),
        fields={"authority": "influencer"},
    ),
    Scenario(
        "D-2023", "no champion, vague need",
        SOFIA, "Ilse Consulting", _PRO, "Analytics", 19_500,
        ((_Q, 5), (_D, 12), (_DEMO, 14)), close_dates=("2027-01-29",),
        fields={"champion": "no", "need": "vague"},
    ),
    Scenario(
        "D-2024", "seven custom requests, three missing features, low fit",
        CLAIRE, "Wexford Components", _MFG, "Procurement", 68_000,
        ((_Q, 5), (_D, 14), (_DEMO, 18), (_P, 20), (_N, 10)), close_dates=("2026-12-18",),
        fields={"custom_requests": 7, "missing_features": 3, "fit": "low", "margin": 0.41},
    ),
    Scenario(
        "D-2025", "five custom requests, four missing features, low fit",
        JONAS, "Quarry Engineering Partners", _PRO, "Field service", 31_000,
        ((_Q, 5), (_D, 12), (_DEMO, 12)), close_dates=("2027-01-15",),
        fields={"custom_requests": 5, "missing_features": 4, "fit": "low"},
    ),
    Scenario(
        "D-2026", "incumbent competitor",
        LUKAS, "Zeller Logistik GmbH", _LOG, "Planning suite", 56_000,
        ((_Q, 5), (_D, 10), (_DEMO, 9), (_P, 12)), close_dates=("2026-12-18",),
        fields={"competitor": "incumbent", "discount_requested": 0.1},
    ),
    Scenario(
        "D-2027", "stakeholders not aligned",
        ANNA, "Corvin Dairy Cooperative", _FOOD, "Planning suite", 83_000,
        ((_Q, 5), (_D, 12), (_DEMO, 10), (_P, 12), (_N, 21)), close_dates=("2026-12-22",),
        fields={"stakeholders_aligned": "no"},
    ),
    Scenario(
        "D-2028", "low fit: 40-person firm outside the ideal customer profile",
        SOFIA, "Tamsin Fashion", _RET, "Inventory", 8_500,
        ((_Q, 4), (_D, 9), (_DEMO, 7)), close_dates=("2027-01-15",),
        fields={"fit": "low", "employees": 40, "potential": "low"},
    ),
    Scenario(
        "D-2029", "low margin: 9%",
        CLAIRE, "Verano Medical Supplies", _HC, "Field service", 27_000,
        ((_Q, 5), (_D, 10), (_DEMO, 9), (_P, 8)), close_dates=("2026-12-31",),
        fields={"margin": 0.09, "lead_source": "partner"},
    ),
    Scenario(
        "D-2030", "gut vs data: confidence 5, silent 41 days, two pushes, 124 h sunk",
        JONAS, "Moravia Precision", _MFG, "Planning suite", 96_000,
        ((_Q, 6), (_D, 14), (_DEMO, 12), (_P, 20), (_N, 70)), quiet=41, hours_invested=124.0,
        close_dates=("2026-09-30", "2026-10-30", "2026-12-15"),
        fields={"rep_confidence": 5},
    ),
    Scenario(
        "D-2031", "skipped steps: Qualification → Proposal, no meeting or demo ever",
        LUKAS, "Ulm Transport", _LOG, "Inventory", 16_000,
        ((_Q, 4), (_P, 9)), met=False, close_dates=("2026-12-11",),
        fields={"rep_confidence": 3},
    ),
    Scenario(
        "D-2032", "skipped the demo: Discovery → Proposal, no meeting or demo",
        SOFIA, "Novak Care Services", _HC, "Planning suite", 23_500,
        ((_Q, 5), (_D, 8), (_P, 10)), met=False, close_dates=("2026-12-18",),
    ),
    Scenario(
        "D-2033", "sunk cost: 162 h, no budget, incumbent, silent 33 days, 4 proposals",
        ANNA, "Aurora Retail Group", _RET, "Planning suite", 118_000,
        ((_Q, 8), (_D, 20), (_DEMO, 25), (_P, 150)), quiet=33, proposals=4, gap=6,
        hours_invested=162.0,
        close_dates=("2026-07-31", "2026-09-30", "2026-12-18"),
        fields={"budget": "none", "competitor": "incumbent", "rep_confidence": 4},
    ),
)
# fmt: on
