"""Small generated exports of the shapes real pipelines come in, each with a trap.

:func:`export` makes deals with honest categorical columns (each level a random effect on
the log-odds), an optional real measurement, optional close-time columns (filled on most
closed deals, related to the outcome, empty on every deal open at the cut, as a CRM's
export shows them), an optional free-text column written after the outcome, and a rep
per deal with a skill of their own. The deals closed before the cut are the history;
those open at it keep their outcome aside in ``outcomes``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import polars as pl

from walkaway.models import ACTIVITY_SCHEMA, DEAL_SCHEMA, Pipeline

START = datetime(2025, 1, 6)
AFTER_THE_OUTCOME = {
    True: ["Closed by partner", "Signed, onboarding", "Will buy next quarter"],
    False: ["Ringing", "Not interested", "Lost to competitor", "Wrong number"],
}


@dataclass(frozen=True)
class Export:
    pipeline: Pipeline
    as_of: datetime
    outcomes: pl.DataFrame  # deal_id, won: what became of the deals open at the cut


def export(
    n: int = 900,
    *,
    seed: int = 1,
    categories: dict[str, tuple[int, float]] | None = None,
    reps: int = 8,
    rep_skill: float = 0.0,
    seconds: bool = False,
    close_time: bool = False,
    after_outcome: bool = False,
    amount: float | None = None,
    same_day: bool = False,
    before_creation: float = 0.0,
    open_share: float = 0.3,
) -> Export:
    """A generated export (module docstring); ``categories`` maps a column to its levels
    and the spread of their effects."""
    rng = np.random.default_rng(seed)
    columns: dict[str, list[str]] = {}
    logit = np.full(n, -0.4)
    for name, (levels, spread) in (categories or {"origin": (6, 0.8)}).items():
        effect = rng.normal(0.0, spread, levels)
        level = rng.integers(0, levels, n)
        logit += effect[level]
        columns[name] = [f"{name} {v}" for v in level]
    skill = rng.normal(0.0, rep_skill, reps)
    rep = rng.integers(0, reps, n)
    logit += skill[rep]
    if seconds:
        spent = rng.integers(0, 2400, n)
        logit += (spent - 1200) / 600
        columns["time_on_site_seconds"] = [str(v) for v in spent]
    won = rng.random(n) < 1.0 / (1.0 + np.exp(-logit))
    created = np.array([START + timedelta(days=float(d)) for d in rng.uniform(0, 400, n)])
    closed = created + np.array([timedelta(days=float(d)) for d in rng.uniform(3, 80, n)])
    if same_day:
        created = np.array([START] * n)
        closed = np.array([START + timedelta(days=60)] * n)
    early = rng.random(n) < before_creation
    closed = np.where(early, created - timedelta(days=1), closed)
    if same_day:
        still_open = rng.random(n) < open_share
        as_of = START + timedelta(days=61)
    else:
        as_of = sorted(closed)[int(n * (1 - open_share))]
        still_open = (closed >= as_of) & (created < as_of)
    amounts = rng.integers(1, 60, n) * 1000
    attributes = []
    for i in range(n):
        row = {name: values[i] for name, values in columns.items()}
        if close_time and not still_open[i] and rng.random() < 0.85:
            row["net_amount"] = str(round(rng.uniform(5e3, 5e4))) if won[i] else "0"
            row["billing_plan"] = str(rng.choice(["annual", "monthly"])) if won[i] else "none"
        if after_outcome and not still_open[i]:
            row["tags"] = str(rng.choice(AFTER_THE_OUTCOME[bool(won[i])]))
        attributes.append(json.dumps(row))
    deals = pl.DataFrame(
        {
            "deal_id": [f"D{i:05d}" for i in range(n)],
            "owner": [f"Rep {r}" for r in rep],
            "stage": ["Qualified"] * n,
            "amount": [amount if amount is not None else float(v) for v in amounts],
            "created_at": list(created),
            "closed_at": [None if o else c for o, c in zip(still_open, closed, strict=True)],
            "outcome": [
                "open" if o else ("won" if w else "lost")
                for o, w in zip(still_open, won, strict=True)
            ],
            "attributes": attributes,
        }
    ).filter(pl.col("created_at") < as_of)
    full = deals.with_columns(
        [pl.lit(None, dtype=t).alias(c) for c, t in DEAL_SCHEMA.items() if c not in deals.columns]
    ).select([pl.col(c).cast(t) for c, t in DEAL_SCHEMA.items()])
    outcomes = pl.DataFrame(
        {"deal_id": [f"D{i:05d}" for i in range(n)], "won": won.astype(np.int8)}
    ).filter(pl.Series(still_open))
    outcomes = outcomes.join(full.select("deal_id"), on="deal_id", how="semi")
    return Export(Pipeline(full, pl.DataFrame(schema=ACTIVITY_SCHEMA)), as_of, outcomes)
