"""Generated pipelines for the learning tests (a module of its own: several rootless
conftest.py files would share one module name).

- :func:`silence_pipeline`: each closed deal is looked at exactly once (it lives less
  than a week and has no stage change), and its win chance is a known logistic
  function of the days since the buyer last replied at that look. So the truth is
  known at every training look and at every open deal.
- :func:`history_pipeline`: lively deals with stage changes, replies and proposals;
  won deals keep hearing from the buyer, lost ones go quiet. For cold start, reasons,
  leakage and the store.
"""

from __future__ import annotations

import json
import math
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import polars as pl

from walkaway.models import ACTIVITY_SCHEMA, DEAL_SCHEMA, Pipeline

START = datetime(2024, 1, 1)
Row = dict[str, Any]


def truth(silence_days: np.ndarray, intercept: float = 2.0, slope: float = 0.15) -> np.ndarray:
    """The known win chance after ``silence_days`` without a reply."""
    result: np.ndarray = 1.0 / (1.0 + np.exp(-(intercept - slope * silence_days)))
    return result


def deal(deal_id: str, created: datetime, **fields: Any) -> Row:
    row: Row = dict.fromkeys(DEAL_SCHEMA)
    row.update(
        deal_id=deal_id,
        name=f"Deal {deal_id}",
        account=f"Account {deal_id}",
        owner="ana",
        stage="proposal",
        amount=10_000.0,
        currency="EUR",
        created_at=created,
        outcome="open",
    )
    row.update(fields)
    return row


def activity(deal_id: str, at: datetime, kind: str, direction: str, **fields: Any) -> Row:
    row: Row = dict.fromkeys(ACTIVITY_SCHEMA)
    row.update(deal_id=deal_id, at=at, kind=kind, direction=direction, status="done")
    row.update(fields)
    return row


def frames(deals: list[Row], activities: list[Row]) -> Pipeline:
    return Pipeline(
        pl.DataFrame(deals, schema=DEAL_SCHEMA),
        pl.DataFrame(activities, schema=ACTIVITY_SCHEMA),
    )


def silence_pipeline(
    closed: int,
    *,
    open_deals: int = 0,
    seed: int = 7,
    slope: float = 0.15,
    as_of: datetime = START + timedelta(days=400),
) -> tuple[Pipeline, np.ndarray]:
    """``closed`` deals closed before ``as_of`` and ``open_deals`` open at it; returns
    the pipeline and the true win chance of each open deal (in deal order)."""
    rng = np.random.default_rng(seed)
    deals: list[Row] = []
    acts: list[Row] = []
    for i in range(closed):
        look = START + timedelta(days=int(rng.integers(0, 360)))
        silence = float(rng.uniform(0.5, 30.0))
        won = rng.random() < truth(np.array([silence]), slope=slope)[0]
        deals.append(
            deal(
                f"C{i:05d}",
                look - timedelta(hours=6),
                closed_at=look + timedelta(days=2),
                outcome="won" if won else "lost",
                amount=float(rng.choice([5_000.0, 20_000.0, 80_000.0])),
                attributes=json.dumps({"region": str(rng.choice(["north", "south"]))}),
            )
        )
        acts.append(activity(f"C{i:05d}", look - timedelta(days=silence), "email", "inbound"))
    silences = rng.uniform(0.5, 30.0, open_deals)
    for i, silence in enumerate(silences):
        deal_id = f"O{i:05d}"
        region = json.dumps({"region": "north" if i % 2 else "south"})
        deals.append(deal(deal_id, as_of - timedelta(hours=6), amount=20_000.0, attributes=region))
        acts.append(activity(deal_id, as_of - timedelta(days=float(silence)), "email", "inbound"))
    return frames(deals, acts), truth(silences, slope=slope)


STAGES = ("qualification", "discovery", "proposal")


def _life(deal_id: str, created: datetime, days: float, won: bool, rng: Any) -> list[Row]:
    """Stage changes every third of the life, touches every few days; the buyer of a
    lost deal stops replying halfway."""
    rows = [
        activity(
            deal_id, created + timedelta(days=days * k / 3), "stage_change", "internal", stage=stage
        )
        for k, stage in enumerate(STAGES)
    ]
    rows.append(
        activity(deal_id, created + timedelta(days=days * 0.6), "proposal", "outbound", hours=3.0)
    )
    t = 1.0
    while t < days:
        quiet = not won and t > days * 0.5
        if quiet or rng.random() < 0.4:
            rows.append(
                activity(deal_id, created + timedelta(days=t), "email", "outbound", hours=0.5)
            )
        else:
            rows.append(activity(deal_id, created + timedelta(days=t), "email", "inbound"))
        t += float(rng.uniform(1.5, 4.0))
    return rows


def history_pipeline(
    won: int, lost: int, *, open_deals: int = 12, seed: int = 3
) -> tuple[Pipeline, datetime]:
    """``won`` + ``lost`` deals closed over a year, ``open_deals`` open at the returned
    as-of date (the day after the last close)."""
    rng = np.random.default_rng(seed)
    deals: list[Row] = []
    acts: list[Row] = []
    outcomes = [True] * won + [False] * lost
    rng.shuffle(outcomes)
    for i, is_won in enumerate(outcomes):
        created = START + timedelta(days=float(rng.uniform(0, 300)))
        days = float(rng.uniform(15, 50)) * (1.0 if is_won else 1.3)
        deal_id = f"H{i:04d}"
        deals.append(
            deal(
                deal_id,
                created,
                closed_at=created + timedelta(days=days),
                outcome="won" if is_won else "lost",
                stage="won" if is_won else "lost",
                budget=str(rng.choice(["confirmed", "unknown"])),
                attributes=json.dumps({"industry": str(rng.choice(["retail", "health"]))}),
            )
        )
        acts += _life(deal_id, created, days, is_won, rng)
    as_of = START + timedelta(days=400)
    for i in range(open_deals):
        created = as_of - timedelta(days=float(rng.uniform(5, 40)))
        age = (as_of - created).total_seconds() / 86_400
        deal_id = f"P{i:04d}"
        deals.append(
            deal(
                deal_id, created, budget="confirmed", attributes=json.dumps({"industry": "retail"})
            )
        )
        acts += _life(deal_id, created, math.floor(age), i % 2 == 0, rng)
    return frames(deals, acts), as_of
