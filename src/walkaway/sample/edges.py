"""Small pipelines at the edges of what an import allows, for tests (issue 26: "any
pipeline that imports also trains and reviews").

:func:`edge_shape` makes each of :data:`EDGES` from one small base: ``n`` deals created
over 200 days, each closed 10-60 days later (dates without times, as exports give them),
spread over three stages (no activity
log), a segment (3 values) and a seat count that decide the outcome with the amount.
Each edge changes one thing:

- ``no-numeric``: the same amount on every deal and text columns only (segment, region);
- ``constant-features``: one stage, one amount, every extra column one value, and a
  flat win chance;
- ``one-category``: one stage, one amount and a single text column (the segment);
- ``only-identifiers``: one amount, and extra columns that are all identifiers (a
  reference and a client number, one per deal): every feature left out;
- ``forty-deals``: 40 deals in all;
- ``one-stage``: every deal in one stage;
- ``one-close-day``: every deal closed on one date (split at random, as one-off exports are);
- ``closed-before-created``: about 4% of the deals closed on or before the day they
  were created (half the same day, half one to three days before), as some CRMs export
  deals entered after the fact.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
import polars as pl

from walkaway.sample.draws import (
    Table,
    attributes_json,
    days_later,
    drawn_outcome,
    fixed,
    on_days,
    shape_of,
)
from walkaway.sample.shapes import START, Shape, as_durations

EDGES = (
    "no-numeric",
    "constant-features",
    "one-category",
    "only-identifiers",
    "forty-deals",
    "one-stage",
    "one-close-day",
    "closed-before-created",
)
STAGES = ("Qualification", "Proposal", "Negotiation")
SEGMENT: Table = {"enterprise": (0.3, 0.6), "mid-market": (0.4, 0.0), "smb": (0.3, -0.6)}
REGION: Table = {"north": (0.5, 0.2), "south": (0.5, -0.2)}


def edge_shape(name: str, n: int = 120, *, seed: int = 3) -> Shape:
    """The edge ``name`` (one of :data:`EDGES`) of the module docstring."""
    if name not in EDGES:
        raise ValueError(f"no edge shape {name!r}; the edges are {', '.join(EDGES)}")
    rng = np.random.default_rng(seed)
    size = 40 if name == "forty-deals" else n
    columns, logit, amount = _base(rng, size)
    changed = _CHANGES.get(name)
    if changed is not None:
        columns, logit, amount = changed(rng, size, columns, logit, amount)
    p, won = drawn_outcome(rng, logit)
    created = on_days(rng, size, START, 200)
    closed = days_later(created, rng.uniform(10, 60, size))
    if name == "one-close-day":
        closed = np.full(size, days_later(np.array([created.min()]), np.array([260.0]))[0])
    if name == "closed-before-created":
        early = rng.random(size) < 0.04
        before = np.where(rng.random(size) < 0.5, 0.0, rng.integers(1, 4, size))
        closed = np.where(early, created - as_durations(before), closed)
    one_stage = name in ("one-stage", "constant-features", "one-category")
    deals = pl.DataFrame(
        {
            "deal_id": [f"E{i:04d}" for i in range(size)],
            "owner": rng.choice(["ana", "ben", "chen"], size),
            "stage": ["Negotiation"] * size if one_stage else rng.choice(STAGES, size),
            "amount": amount,
            "created_at": created,
            "closed_at": closed,
            "outcome": np.where(won, "won", "lost"),
            "attributes": attributes_json(columns),
        }
    )
    return shape_of(name, deals, p, won, {})


Columns = dict[str, np.ndarray]
Change = Callable[
    [np.random.Generator, int, Columns, np.ndarray, np.ndarray],
    tuple[Columns, np.ndarray, np.ndarray],
]


def _base(rng: np.random.Generator, n: int) -> tuple[Columns, np.ndarray, np.ndarray]:
    segment, e_segment = fixed(rng, SEGMENT, n)
    seats = rng.integers(5, 500, n)
    amount = np.round(seats * rng.uniform(80, 120, n), -1)
    logit = -0.3 + e_segment + 0.6 * (np.log(seats) - 5.0) / 1.2
    return {"segment": segment, "seats": seats}, logit, amount


def _no_numeric(
    rng: np.random.Generator, n: int, columns: Columns, logit: np.ndarray, amount: np.ndarray
) -> tuple[Columns, np.ndarray, np.ndarray]:
    region, e_region = fixed(rng, REGION, n)
    return {"segment": columns["segment"], "region": region}, logit + e_region, np.full(n, 5e3)


def _constant(
    rng: np.random.Generator, n: int, columns: Columns, logit: np.ndarray, amount: np.ndarray
) -> tuple[Columns, np.ndarray, np.ndarray]:
    same = {"segment": np.full(n, "all"), "plan": np.full(n, "standard")}
    return same, np.full(n, -0.4), np.full(n, 5e3)


def _one_category(
    rng: np.random.Generator, n: int, columns: Columns, logit: np.ndarray, amount: np.ndarray
) -> tuple[Columns, np.ndarray, np.ndarray]:
    return {"segment": columns["segment"]}, logit, np.full(n, 5e3)


def _identifiers(
    rng: np.random.Generator, n: int, columns: Columns, logit: np.ndarray, amount: np.ndarray
) -> tuple[Columns, np.ndarray, np.ndarray]:
    ids = {
        "ref": np.array([f"R-{i:06d}" for i in rng.permutation(n)]),
        "client_no": rng.permutation(np.arange(5001, 5001 + n)),
    }
    return ids, logit, np.full(n, 5e3)


_CHANGES: Mapping[str, Change] = {
    "no-numeric": _no_numeric,
    "constant-features": _constant,
    "one-category": _one_category,
    "only-identifiers": _identifiers,
}
