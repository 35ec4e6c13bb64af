"""Drawing the columns of a generated export: categories with their effects on the
log-odds, people's names, the outcome, dates, and the JSON ``attributes`` column as the
importers store it. Shared by :mod:`walkaway.sample.traps`, :mod:`walkaway.sample.leads`
and :mod:`walkaway.sample.edges`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

import numpy as np
import polars as pl

from walkaway.sample.shapes import Shape, as_durations, pipeline_of, sigmoid

# fmt: off
FIRST = ("Anna", "Ben", "Chloe", "David", "Elena", "Farid", "Grace", "Hiro", "Ines", "Jonas",
         "Kavya", "Liam", "Maya", "Nikhil", "Olga", "Priya", "Rahul", "Sara", "Tomas", "Uma")
LAST = ("Aggarwal", "Brown", "Costa", "Dubois", "Evans", "Fischer", "Gupta", "Hansen", "Iyer",
        "Jensen", "Khan", "Lopez", "Martin", "Nair", "Okafor", "Patel", "Rossi", "Sato",
        "Tanaka", "Weber")
# fmt: on
Table = Mapping[str | None, tuple[float, float]]  # value (None: empty) -> (share, effect)


def levels(
    rng: np.random.Generator, names: Sequence[str], spread: float, skew: float, n: int
) -> tuple[np.ndarray, np.ndarray]:
    """Each deal's level of a category (frequencies from a Dirichlet(``skew``): small is
    lopsided) and its random effect on the log-odds (normal, sd ``spread``)."""
    share = rng.dirichlet(np.full(len(names), skew))
    effect = rng.normal(0.0, spread, len(names))
    index = rng.choice(len(names), size=n, p=share)
    return np.asarray(names)[index], effect[index]


def fixed(rng: np.random.Generator, table: Table, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Each deal's value from ``{value: (share, effect)}`` (shares normalised; None is
    an empty cell) and its effect on the log-odds."""
    values = list(table)
    share = np.array([table[v][0] for v in values])
    index = rng.choice(len(values), size=n, p=share / share.sum())
    effect = np.array([table[v][1] for v in values])[index]
    return np.array(values, dtype=object)[index], effect


def people(rng: np.random.Generator, count: int) -> list[str]:
    """``count`` different names (at most 400)."""
    pairs = rng.permutation(len(FIRST) * len(LAST))[:count]
    return [f"{FIRST[i // len(LAST)]} {LAST[i % len(LAST)]}" for i in pairs]


def drawn_outcome(rng: np.random.Generator, logit: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each deal's true win chance from its log-odds, and whether it was won."""
    p = sigmoid(logit)
    return p, rng.random(p.size) < p


def attributes_json(columns: Mapping[str, np.ndarray | pl.Series]) -> pl.Series:
    """The JSON ``attributes`` column as the importers store it: every value as text,
    an empty cell as null."""
    frame = pl.DataFrame([_text(k, v) for k, v in columns.items()])
    return frame.select(pl.struct(pl.all()).struct.json_encode().alias("attributes"))["attributes"]


def _text(name: str, values: np.ndarray | pl.Series) -> pl.Series:
    if isinstance(values, pl.Series):
        return values.cast(pl.String).rename(name)
    if values.dtype == object:  # text or numbers with empty cells (None)
        return pl.Series(name, values.tolist(), strict=False).cast(pl.String)
    return pl.Series(name, values).cast(pl.String)


def spread_over(rng: np.random.Generator, n: int, start: datetime, days: float) -> np.ndarray:
    """``n`` moments drawn evenly over ``days`` from ``start``."""
    return np.datetime64(start, "us") + as_durations(rng.uniform(0, days, n))


def emptied(values: np.ndarray, where: np.ndarray) -> np.ndarray:
    """``values`` as objects with an empty cell (None) ``where`` it is true."""
    out = np.asarray(values).astype(object)
    out[where] = None
    return out


def on_days(rng: np.random.Generator, n: int, start: datetime, days: int) -> np.ndarray:
    """``n`` dates (midnights) drawn evenly over ``days`` from ``start``: CRM reports
    export dates without the time."""
    first = np.datetime64(start.date(), "D").astype("datetime64[us]")
    out: np.ndarray = first + as_durations(rng.integers(0, days, n))
    return out


def days_later(created: np.ndarray, length: np.ndarray) -> np.ndarray:
    """The dates ``length`` days (whole days, rounded down) after ``created``."""
    out: np.ndarray = created + as_durations(np.floor(length))
    return out


def _as_of(deals: pl.DataFrame, activities: pl.DataFrame | None = None) -> datetime:
    last = deals["closed_at"].max()
    if activities is not None and activities.height:
        last = max(last, activities["at"].max())  # type: ignore[type-var]
    assert isinstance(last, datetime)
    return datetime.combine(last.date(), datetime.min.time()) + timedelta(days=1)


def shape_of(
    name: str,
    deals: pl.DataFrame,
    p: np.ndarray,
    won: np.ndarray,
    traps: Mapping[str, str],
    activities: pl.DataFrame | None = None,
) -> Shape:
    """The shape: its pipeline with every column, the truth, the day after its last event."""
    truth = pl.DataFrame({"deal_id": deals["deal_id"], "p": p, "won": won.astype(np.int8)})
    pipeline = pipeline_of(deals, activities)
    return Shape(name, pipeline, truth, _as_of(pipeline.deals, activities), dict(traps))
