"""Make the bundled sample pipeline: ``python -m walkaway.sample.generate [DIRECTORY]``.

Tallyo (fictional) sells operations software — planning, inventory, field service,
analytics, procurement — to mid-market European firms, in EUR. Five reps: Anna Keller,
Lukas Brandt, Sofia Marchetti, Jonas Berg (an optimist: his confidence runs high) and
Claire Dubois. About 18 months of history end on the sample's "today",
:data:`walkaway.sample.SAMPLE_AS_OF` (2026-11-16); nothing is dated on or after it.

- ``D-1001`` … ``D-1300``: closed deals in order of creation, about 30% won. Their
  fields and stories are drawn from one hidden deal quality, so they carry the
  patterns the engine should learn: won deals answer, meet and move through the
  stages in reasonable time; lost ones go quiet, stall, miss meetings, push close
  dates, cut the amount and ask for discounts. ``loss_reason`` is one of
  ``competitor``, ``budget``, ``no decision``, ``went dark``.
- ``D-2001`` … ``D-2033``: open deals written by hand, one situation each (below).
- ``D-2034`` … ``D-2060``: ordinary open deals, drawn like deals that go on to win.

Stages, in order: ``Qualification``, ``Discovery``, ``Demo``, ``Proposal``, ``Negotiation``;
every move (including the first, on the created day) is a ``stage_change`` row, and
a move to an earlier stage is a regression. Conventions of the activity rows:

- the buyer's signs of life are ``inbound`` rows (replies, a returned proposal);
  meetings and demos are ``outbound`` rows, a missed one has status ``no_show`` or
  ``rescheduled``; seller rows carry ``hours``; ``actor`` is always the deal's rep;
- a close-date push is a ``note`` whose detail reads exactly
  ``close date moved from YYYY-MM-DD to YYYY-MM-DD``; the last date is the deal's
  ``expected_close``;
- an amount change is a ``note`` reading ``amount changed from OLD to NEW EUR``
  (whole euros); the last amount is the deal's ``amount``;
- a discount demand is an inbound email ``Asks for a discount of NN%``;
- proposals are ``proposal`` rows ``Proposal v1``, ``Proposal v2`` …; the buyer's
  returned proposal or contract is an inbound ``proposal`` row;
- a deal that moves on has first done what the stage asks of it (the default policy's
  exit criteria): an ``Intro meeting (video)`` in Qualification, a demo in Demo, and in
  Proposal a returned proposal and a meeting ``Mutual plan agreed with the buyer``;
  D-2031 and D-2032 are the deliberate exceptions;
- ``hours_invested`` is the logged hours plus unlogged preparation (×1.5–2.2), except
  where a scenario sets it.

Extra deal columns, kept as attributes by the importer: ``industry``, ``lead_source``
(``inbound``, ``outbound``, ``referral``, ``partner``, ``event``), ``employees``.

Open deals that illustrate each situation (a test checks every one of them):

| deal_id | stage | what it illustrates |
|---|---|---|
| D-2001 | Negotiation | healthy: buyer answers within days, fully qualified |
| D-2002 | Proposal | healthy: proposal answered with questions, on schedule |
| D-2003 | Demo | healthy: engaged buyer |
| D-2004 | Qualification | new: created 3 days ago, intro meeting held, buyer replied |
| D-2005 | Demo | big high-potential account (240k, 3,200 staff), healthy |
| D-2006 | Discovery | big high-potential account (175k), slow, budget unknown |
| D-2007 | Demo | buyer unresponsive: no reply for 38 days, rep keeps chasing |
| D-2008 | Discovery | buyer unresponsive 40 days; expected close already passed |
| D-2009 | Demo | missed meetings: no-shows and a reschedule, buyer still emails |
| D-2010 | Discovery | missed meetings, budget unknown |
| D-2011 | Proposal | stalled: 130 days in Proposal (won deals need about 12) |
| D-2012 | Discovery | stalled 110 days; vague need, no champion, influencer only |
| D-2013 | Negotiation | close date pushed three times (four dates), buyer still replies |
| D-2014 | Proposal | close date pushed four times and amount cut 80k → 61k |
| D-2015 | Negotiation | amount cut twice 95k → 72k → 54k, 25% discount asked |
| D-2016 | Discovery | regression Proposal → Discovery; stakeholders not aligned |
| D-2017 | Proposal | regression Negotiation → Proposal; four proposal versions |
| D-2018 | Proposal | proposal sent 30 days ago, no reply since; rep confidence 5 |
| D-2019 | Proposal | proposal sent 20 days ago, no reply; incumbent competitor |
| D-2020 | Negotiation | five proposal versions, 30% discount asked, 12% margin |
| D-2021 | Discovery | no budget, no need, 25% discount asked before any demo |
| D-2022 | Proposal | only an influencer involved (no economic buyer) |
| D-2023 | Demo | no champion, vague need |
| D-2024 | Negotiation | seven custom requests, three missing features, low fit |
| D-2025 | Demo | five custom requests, four missing features, low fit |
| D-2026 | Proposal | incumbent competitor |
| D-2027 | Negotiation | stakeholders not aligned |
| D-2028 | Demo | low fit: 40-person firm outside the ideal customer profile |
| D-2029 | Proposal | low margin: 9% |
| D-2030 | Negotiation | gut vs data: confidence 5, silent 41 days, two pushes, 124 h sunk |
| D-2031 | Proposal | skipped steps: Qualification → Proposal, no meeting or demo ever |
| D-2032 | Proposal | skipped the demo: Discovery → Proposal, no meeting or demo |
| D-2033 | Proposal | sunk cost: 162 h, no budget, incumbent, silent 33 days, 4 proposals |

By situation (a dying deal shows several at once, as real ones do):
unresponsive D-2007, D-2008, D-2018, D-2019, D-2030, D-2033; missed meetings D-2009,
D-2010; stalled D-2011, D-2012, D-2030, D-2033 (D-2006, D-2007, D-2008, D-2014 and
D-2018 also sit past the won deals' norm); close date pushed D-2013, D-2014, D-2030,
D-2033; amount cut D-2014, D-2015; regression D-2016, D-2017; proposal unanswered
D-2018, D-2019; three or more proposals D-2017, D-2020, D-2033; budget none or unknown
D-2006, D-2010, D-2021, D-2033; influencer only D-2012, D-2022; no champion D-2012,
D-2023; vague or no need D-2012, D-2021, D-2023; discount over 20% D-2015, D-2020,
D-2021; custom requests D-2024, D-2025; missing features D-2024, D-2025; incumbent
D-2019, D-2026, D-2033; stakeholders not aligned D-2016, D-2027; low fit D-2024,
D-2025, D-2028; margin under 15% D-2020, D-2029; gut vs data D-2018, D-2030; skipped
step D-2031, D-2032; sunk cost D-2030, D-2033; big high-potential account D-2005,
D-2006; new D-2004; healthy D-2001 … D-2005.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Final

import numpy as np
import polars as pl

from walkaway.sample import SAMPLE_AS_OF, SAMPLE_CURRENCY, SAMPLE_DIR
from walkaway.sample.history import Record, closed_deals, ordinary_open_deals
from walkaway.sample.scenarios import SCENARIOS
from walkaway.sample.story import Plan, Story, tell, timestamps

SEED: Final = 20261116
CLOSED_DEALS: Final = 300
ORDINARY_OPEN_DEALS: Final = 27

DEALS_SCHEMA: Final[dict[str, pl.DataType]] = {
    "deal_id": pl.String(),
    "name": pl.String(),
    "account": pl.String(),
    "owner": pl.String(),
    "stage": pl.String(),
    "amount": pl.Int64(),
    "currency": pl.String(),
    "created_at": pl.Datetime("us"),
    "expected_close": pl.Date(),
    "closed_at": pl.Datetime("us"),
    "outcome": pl.String(),
    "loss_reason": pl.String(),
    "margin": pl.Float64(),
    "hours_invested": pl.Float64(),
    "budget": pl.String(),
    "authority": pl.String(),
    "champion": pl.String(),
    "need": pl.String(),
    "competitor": pl.String(),
    "discount_requested": pl.Float64(),
    "custom_requests": pl.Int64(),
    "missing_features": pl.Int64(),
    "stakeholders_aligned": pl.String(),
    "fit": pl.String(),
    "potential": pl.String(),
    "rep_confidence": pl.Int64(),
    # Not generic columns: the importer keeps them as attributes.
    "industry": pl.String(),
    "lead_source": pl.String(),
    "employees": pl.Int64(),
}
ACTIVITIES_SCHEMA: Final[dict[str, pl.DataType]] = {
    "deal_id": pl.String(),
    "at": pl.Datetime("us"),
    "kind": pl.String(),
    "direction": pl.String(),
    "status": pl.String(),
    "hours": pl.Float64(),
    "stage": pl.String(),
    "detail": pl.String(),
    "actor": pl.String(),
}
_EVENT_COLUMNS: Final = ("kind", "direction", "status", "hours", "stage", "detail")


def _deals() -> tuple[np.random.Generator, list[tuple[Plan, Record]]]:
    rng = np.random.default_rng(SEED)
    deals = closed_deals(rng, CLOSED_DEALS)
    for scenario in SCENARIOS:
        deals.append(
            (scenario.plan(), {**scenario.record(), "hours_invested": scenario.hours_invested})
        )
    first = 2001 + len(SCENARIOS)
    deals += ordinary_open_deals(rng, ORDINARY_OPEN_DEALS, first)
    return rng, deals


def _activities(plans: list[Plan], stories: list[Story], owners: list[str]) -> pl.DataFrame:
    ids, origins, xs, actors = [], [], [], []
    rows: list[tuple[object, ...]] = []
    for plan, story, owner in zip(plans, stories, owners, strict=True):
        for x, *rest in story.events:
            ids.append(plan.deal_id)
            origins.append(plan.origin)
            xs.append(x)
            actors.append(owner)
            rows.append(tuple(rest))
    at = timestamps(np.array(origins, dtype="datetime64[D]"), np.array(xs))
    columns = dict(zip(_EVENT_COLUMNS, zip(*rows, strict=True), strict=True))
    frame = pl.DataFrame(
        {"deal_id": ids, "at": at, **{k: list(v) for k, v in columns.items()}, "actor": actors},
        schema=ACTIVITIES_SCHEMA,
    )
    return frame.sort("deal_id", "at", maintain_order=True)


def _deal_frame(
    rng: np.random.Generator, plans: list[Plan], stories: list[Story], records: list[Record]
) -> pl.DataFrame:
    origins = np.array([p.origin for p in plans], dtype="datetime64[D]")
    created = timestamps(origins, np.array([s.created_x for s in stories]))
    closed_x = np.array([np.nan if s.closed_x is None else s.closed_x for s in stories])
    closed = timestamps(origins, np.nan_to_num(closed_x))
    rows = []
    for i, (plan, story, record) in enumerate(zip(plans, stories, records, strict=True)):
        logged = sum(e[4] or 0.0 for e in story.events)
        hours = record.get("hours_invested") or round(logged * float(rng.uniform(1.5, 2.2)), 1)
        rows.append(
            {
                **record,
                "stage": plan.path[-1][0],
                "currency": SAMPLE_CURRENCY,
                "created_at": created[i].item(),
                "expected_close": plan.close_dates[-1],
                "closed_at": None if story.closed_x is None else closed[i].item(),
                "hours_invested": hours,
            }
        )
    return pl.DataFrame(rows, schema=DEALS_SCHEMA).sort("deal_id")


def generate_sample() -> tuple[pl.DataFrame, pl.DataFrame]:
    """The sample pipeline (deals, activities) in generic-format columns, typed.

    Deterministic: the same every time, on every machine with the same NumPy.
    """
    rng, deals = _deals()
    plans = [plan for plan, _ in deals]
    records = [record for _, record in deals]
    stories = [tell(rng, plan) for plan in plans]
    owners = [str(r["owner"]) for r in records]
    return _deal_frame(rng, plans, stories, records), _activities(plans, stories, owners)


def write_sample(directory: Path | str) -> tuple[Path, Path]:
    """Write ``deals.csv`` and ``activities.csv`` into ``directory``; return both paths."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    deals, activities = generate_sample()
    paths = directory / "deals.csv", directory / "activities.csv"
    for frame, path in zip((deals, activities), paths, strict=True):
        frame.write_csv(path, datetime_format="%Y-%m-%dT%H:%M:%S", date_format="%Y-%m-%d")
    return paths


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    target = Path(args[0]) if args else SAMPLE_DIR
    deals_path, activities_path = write_sample(target)
    print(f"wrote {deals_path} and {activities_path} (as of {SAMPLE_AS_OF})")


if __name__ == "__main__":
    main()
