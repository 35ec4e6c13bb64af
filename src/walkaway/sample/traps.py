"""Generated exports that carry the traps real pipelines set for a learned model (issue 26).

Each generator returns a :class:`~walkaway.sample.shapes.Shape` with the true win chance
of every deal (what the honest columns give before the outcome), its trap columns named
in ``Shape.traps``, and every other extra column an honest one:

- :func:`close_time_columns`: a Salesforce-style opportunity export, ~1,200 deals
  created and closed over two years through four stages (with their stage history,
  the same for won and lost deals),
  honest columns with a modest signal (lead source, industry, region, type, amount,
  the owner among 15 reps of different skill) and **five columns the CRM fills only
  when a deal closes** (``new_logo``, ``billing_plan``, ``acv``, ``discount``,
  ``net_amount``): set on 80-90% of the closed deals, each telling won from lost, and
  empty on every deal open at the cut once split (:data:`~walkaway.sample.shapes.AT_CLOSE`).
  Split it with ``history=40`` for a team that kept only its last 40 closes.
- :func:`bids`: IT-services bids, ~9,800 over four years, one stage; the outcome comes
  from random effects of five categories of 10 to 67 values (client category 41,
  solution type 67, sector, location, VP 43), the bid manager's skill (278 of them, the
  deal's ``owner``) and the deal cost (the amount, log-normal). No trap column: the trap
  is dropping what has many values.
- :func:`~walkaway.sample.leads.lead_funnel`: a B2C lead funnel, ~9,200 leads, 34 extra
  columns (many weak or constant, country with 33 values, a count of seconds on the site
  that looks like a running number and predicts) and a ``tags`` column written after the
  outcome that alone nearly tells converted from not
  (:data:`~walkaway.sample.shapes.AFTER_OUTCOME`; ``lead_quality``, a
  :data:`~walkaway.sample.shapes.MILD_LEAK`);
- :func:`~walkaway.sample.leads.mql_funnel`: ~8,000 marketing-qualified leads, a
  constant amount and two text columns: no numeric column at all.

:data:`TRAP_SHAPES` names them for the benchmark (``benchmarks/generalization.py``).

The traps are drawn from the outcome; the honest columns never are. Nothing here is
tuned to how any model does on them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime

import numpy as np
import polars as pl

from walkaway.sample.draws import (
    attributes_json,
    days_later,
    drawn_outcome,
    fixed,
    levels,
    on_days,
    people,
    shape_of,
)
from walkaway.sample.leads import lead_funnel, mql_funnel
from walkaway.sample.shapes import AT_CLOSE, Shape, as_durations

SF_STAGES = ("Prospecting", "Qualification", "Proposal", "Negotiation")
CLOSE_TIME = ("new_logo", "billing_plan", "acv", "discount", "net_amount")


# -- close-time columns -------------------------------------------------------------


def close_time_columns(n: int = 1200, *, seed: int = 26) -> Shape:
    """The Salesforce-style export of the module docstring."""
    rng = np.random.default_rng(seed)
    source, e_source = fixed(
        rng,
        {
            "Web": (0.30, 0.0),
            "Partner": (0.12, 0.5),
            "Referral": (0.10, 0.6),
            "Event": (0.13, 0.1),
            "Outbound": (0.25, -0.5),
            "Advertisement": (0.10, -0.3),
        },
        n,
    )
    industries = (
        "Software",
        "Manufacturing",
        "Healthcare",
        "Financial Services",
        "Retail",
        "Education",
        "Government",
        "Energy",
        "Media",
        "Logistics",
    )
    industry, e_industry = levels(rng, industries, 0.3, 3.0, n)
    region, e_region = fixed(
        rng,
        {
            "North America": (0.40, 0.1),
            "EMEA": (0.35, 0.0),
            "APAC": (0.15, -0.2),
            "LATAM": (0.10, -0.1),
        },
        n,
    )
    kind, e_kind = fixed(
        rng, {"New Business": (0.55, -0.3), "Renewal": (0.25, 0.9), "Upsell": (0.20, 0.3)}, n
    )
    owner, e_owner = levels(rng, people(rng, 15), 0.5, 4.0, n)
    log_amount = rng.normal(10.3, 0.9, n)
    amount = np.round(np.exp(log_amount), -2)
    logit = -0.5 + e_source + e_industry + e_region + e_kind + e_owner
    p, won = drawn_outcome(rng, logit - 0.25 * (log_amount - 10.3) / 0.9)
    created = on_days(rng, n, datetime(2023, 1, 2), 700)
    length = np.minimum(rng.lognormal(np.log(100.0), 0.7, n) * np.where(won, 1.0, 1.3), 540.0)
    ids = [f"006{i:07d}" for i in range(n)]
    honest = {"lead_source": source, "industry": industry, "region": region, "type": kind}
    deals = pl.DataFrame(
        {
            "deal_id": ids,
            "name": [f"{industry[i]} opportunity {i}" for i in range(n)],
            "owner": owner,
            "stage": [SF_STAGES[-1]] * n,
            "amount": amount,
            "created_at": created,
            "closed_at": days_later(created, length),
            "outcome": np.where(won, "won", "lost"),
            "attributes": attributes_json({**honest, **_set_at_close(rng, won, kind, amount)}),
        }
    )
    changes = _stage_history(ids, created, length).filter(
        pl.col("at") < pl.col("deal_id").replace_strict(ids, deals["closed_at"])
    )
    return shape_of(
        "close-time-columns", deals, p, won, dict.fromkeys(CLOSE_TIME, AT_CLOSE), changes
    )


def _set_at_close(
    rng: np.random.Generator, won: np.ndarray, kind: np.ndarray, amount: np.ndarray
) -> dict[str, pl.Series]:
    """The five columns the CRM fills when a deal closes, each on 80-90% of the deals
    (the rest left empty), each from the outcome: the new-logo flag set on won new
    business, a billing plan chosen on wins ("--None--" on losses), the ACV and the net
    amount of a won deal (0 on a lost one), the discount granted (mostly 0 when lost)."""
    n = won.size

    def filled(values: np.ndarray) -> pl.Series:
        empty = rng.random(n) >= rng.uniform(0.80, 0.90)
        return pl.Series(values).cast(pl.String).scatter(np.flatnonzero(empty), None)

    acv = np.where(won, np.round(amount * rng.uniform(0.85, 1.05, n), 2), 0.0)
    lost_discount = np.where(rng.random(n) < 0.7, 0.0, rng.uniform(0.05, 0.35, n))
    discount = np.round(np.where(won, rng.uniform(0.0, 0.25, n), lost_discount), 2)
    plan = rng.choice(["Annual", "Monthly", "Multi-year"], size=n, p=[0.6, 0.25, 0.15])
    return {
        "new_logo": filled(np.where(won & (kind == "New Business"), "true", "false")),
        "billing_plan": filled(np.where(won, plan, "--None--")),
        "acv": filled(acv),
        "discount": filled(discount),
        "net_amount": filled(np.round(acv * (1.0 - discount), 2)),
    }


def _stage_history(ids: list[str], created: np.ndarray, length: np.ndarray) -> pl.DataFrame:
    """Stage changes at quarters of each life, won or lost alike: the stage says how far
    along a deal is, not how it ends, so the trap columns are the strong signal here."""
    k = len(SF_STAGES)
    at = created[:, None] + as_durations(np.arange(k)[None, :] * length[:, None] / k + 0.01)
    return pl.DataFrame(
        {
            "deal_id": np.repeat(np.array(ids), k),
            "at": at.ravel(),
            "kind": "stage_change",
            "direction": "internal",
            "status": "done",
            "stage": np.tile(np.array(SF_STAGES), len(ids)),
        }
    )


# -- bids ---------------------------------------------------------------------------


def bids(n: int = 9800, *, seed: int = 27) -> Shape:
    """The IT-services bids of the module docstring."""
    rng = np.random.default_rng(seed)
    client, e_client = levels(rng, [f"Category {i + 1}" for i in range(41)], 0.7, 1.0, n)
    solution, e_solution = levels(rng, [f"Solution {i + 1}" for i in range(67)], 0.7, 1.0, n)
    sectors = (
        "Banking",
        "Insurance",
        "Telecom",
        "Retail",
        "Manufacturing",
        "Public Sector",
        "Healthcare",
        "Energy",
        "Transport",
        "Media",
    )
    sector, e_sector = levels(rng, sectors, 0.3, 2.0, n)
    cities = (
        "Mumbai",
        "Bengaluru",
        "Pune",
        "Chennai",
        "Delhi",
        "Hyderabad",
        "Kolkata",
        "London",
        "New York",
        "Singapore",
        "Frankfurt",
        "Sydney",
    )
    location, e_location = levels(rng, cities, 0.25, 1.0, n)
    vp, e_vp = levels(rng, people(rng, 43), 0.45, 1.0, n)
    manager, e_manager = levels(rng, people(rng, 278), 0.7, 1.0, n)
    log_cost = rng.normal(11.5, 1.1, n)
    logit = -0.6 + e_client + e_solution + e_sector + e_location + e_vp + e_manager
    p, won = drawn_outcome(rng, logit - 0.35 * (log_cost - 11.5) / 1.1)
    created = on_days(rng, n, datetime(2019, 1, 7), 4 * 365)
    length = rng.lognormal(np.log(40.0), 0.5, n) * np.where(won, 1.0, 1.15)
    deals = pl.DataFrame(
        {
            "deal_id": [f"BID-{i:05d}" for i in range(n)],
            "owner": manager,
            "stage": ["Proposal"] * n,
            "amount": np.round(np.exp(log_cost), 0),
            "created_at": created,
            "closed_at": days_later(created, length),
            "outcome": np.where(won, "won", "lost"),
            "attributes": attributes_json(
                {
                    "client_category": client,
                    "solution_type": solution,
                    "sector": sector,
                    "location": location,
                    "vp_name": vp,
                }
            ),
        }
    )
    return shape_of("bids", deals, p, won, {})


# The trap shapes by name (close-time-40 is close-time-columns split with history=40).
TRAP_SHAPES: Mapping[str, Callable[[], Shape]] = {
    "close-time-columns": close_time_columns,
    "bids": bids,
    "lead-funnel": lead_funnel,
    "mql-funnel": mql_funnel,
}
