"""Generated pipelines of other shapes than the bundled sample, for tests and benchmarks.

Walkaway is judged on pipelines nobody on the team has seen. These generators make the
shapes such pipelines come in, each with a known truth (every deal's win chance), so a
test or a benchmark can tell whether a model learned what is there and nothing else:

- :func:`qualification_only`: one stage, no activity log, a few hundred deals; the
  qualification fields and ~10 categorical columns decide the outcome, one fact
  (``budget``) has no effect at all, and two columns are identifiers (a near-unique
  whole number ``client`` and a text ``ref``). Every deal is created on one day and
  every close falls on one date, as in a one-off export.
- :func:`activity_funnel`: several stages, a rich activity log and no qualification
  fields: a deal's hidden quality decides how often its buyer answers and whether it is
  won; closes spread over a year.
- :func:`one_stage`: the same activity log with one stage only.
- :func:`tiny_team`: 40 closed deals (and 20 open) with qualification fields and
  activities: too little history to learn much from.

Each returns a :class:`Shape`: the whole pipeline with every outcome, and the true win
chance of every deal. :func:`split_history` turns it into what a user would import: a
share of the deals closed (the history) and the rest open, with their outcomes kept
aside for scoring; :func:`write_export` writes that import as the CSV files a CRM
export would be (extra columns as columns of their own).

Shapes that carry a trap (:mod:`walkaway.sample.traps`) name their trap columns in
``Shape.traps``: :data:`AT_CLOSE`, a column the CRM fills only when a deal closes (the
split empties it on every deal still open, as the export would show it);
:data:`AFTER_OUTCOME`, a column written after the outcome into every row of a one-off
export (kept on the open deals too: that is how such exports come); :data:`MILD_LEAK`,
one written after the outcome that tells little (nothing can tell it from an honest
column: a model should merely not lean on it).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import polars as pl

from walkaway.models import ACTIVITY_SCHEMA, DEAL_SCHEMA, Pipeline

START = datetime(2025, 1, 6)
DAY = timedelta(days=1)
AT_CLOSE = "at close"  # filled by the CRM when the deal closes: empty while it is open
AFTER_OUTCOME = "after outcome"  # written after the outcome, on every row of the export
MILD_LEAK = "mild leak"  # written after the outcome too, but it tells little


@dataclass(frozen=True)
class Shape:
    """A generated pipeline with every outcome, and what decided them."""

    name: str
    pipeline: Pipeline  # every deal closed (won or lost), with its activities
    truth: pl.DataFrame  # deal_id, p (the true win chance), won (0/1)
    as_of: datetime  # the day after the last activity and close
    traps: Mapping[str, str] = field(default_factory=dict)  # attribute key -> AT_CLOSE, ...


@dataclass(frozen=True)
class Split:
    """What a user imports: history closed before ``as_of``, the rest open at it."""

    pipeline: Pipeline
    as_of: datetime
    open_outcomes: pl.DataFrame  # deal_id, won: what became of the deals left open


def as_durations(days: np.ndarray) -> np.ndarray:
    """Days (fractions too) as NumPy microsecond durations, for columnar date arithmetic."""
    return (np.asarray(days) * 86_400e6).astype("timedelta64[us]")


def sigmoid(x: np.ndarray) -> np.ndarray:
    """The logistic function: log-odds to a probability."""
    out: np.ndarray = 1.0 / (1.0 + np.exp(-x))
    return out


def _pick(
    rng: np.random.Generator, effects: dict[str, float], n: int, p: list[float]
) -> tuple[np.ndarray, np.ndarray]:
    values = np.array(list(effects))
    chosen = rng.choice(values, size=n, p=p)
    return chosen, np.vectorize(effects.get)(chosen).astype(np.float64)


# The qualification shape's truth: log-odds effect of each value (0 where not listed).
QUALIFICATION_EFFECTS: dict[str, dict[str, float]] = {
    "competitor": {"none": 0.7, "present": -0.9, "unknown": 0.0},
    "potential": {"high": 0.8, "medium": 0.0, "low": -1.0},
    "authority": {"economic_buyer": 0.5, "influencer": -0.3, "unknown": 0.0},
    "need": {"clear": 0.5, "vague": -0.5, "unknown": 0.0},
    "budget": {"confirmed": 0.0, "none": 0.0, "unknown": 0.0},  # no lift at all
}
ATTRIBUTE_EFFECTS: dict[str, dict[str, float]] = {
    "product": {"core": 0.6, "suite": 0.0, "addon": -0.5, "legacy": -0.2},
    "partnership": {"yes": 0.5, "no": 0.0},
    "scope_clarity": {"clear": 0.7, "partial": 0.0, "unclear": -0.7},
    "formal_tender": {"yes": -0.4, "no": 0.0},
    "deal_type": {"new": 0.0, "upsell": 0.3, "renewal": 0.0},
    "source": {"inbound": 0.0, "outbound": 0.0, "event": 0.0, "partner": 0.0},  # noise
}


def qualification_only(n: int = 450, *, seed: int = 11) -> Shape:
    """One stage, no activities; facts and attributes decide; see the module docstring."""
    rng = np.random.default_rng(seed)
    logit = np.full(n, -0.2)
    fields: dict[str, np.ndarray] = {}
    for name, effects in QUALIFICATION_EFFECTS.items():
        k = len(effects)
        fields[name], effect = _pick(rng, effects, n, [1.0 / k] * k)
        logit += effect
    attributes: dict[str, np.ndarray] = {}
    for name, effects in ATTRIBUTE_EFFECTS.items():
        k = len(effects)
        attributes[name], effect = _pick(rng, effects, n, [1.0 / k] * k)
        logit += effect
    seller_effect = rng.normal(0.0, 0.4, 12)
    seller = rng.integers(0, 12, n)
    logit += seller_effect[seller]
    attributes["seller"] = np.array([f"seller {s + 1}" for s in seller])
    attributes["client"] = rng.permutation(np.arange(1001, 1001 + n)).astype(str)  # an id
    attributes["ref"] = np.array([f"Q-{i:06d}" for i in rng.permutation(n)])  # an id too
    p = sigmoid(logit)
    won = rng.random(n) < p
    ids = [f"Q{i:04d}" for i in range(n)]
    closed_at = START + timedelta(days=60)
    deals = pl.DataFrame(
        {
            "deal_id": ids,
            "stage": ["Negotiation"] * n,
            "amount": [10_000.0] * n,
            "created_at": [START] * n,
            "closed_at": [closed_at] * n,
            "outcome": np.where(won, "won", "lost"),
            **{k: v for k, v in fields.items()},
            "attributes": _attribute_json(attributes, n),
        }
    )
    truth = pl.DataFrame({"deal_id": ids, "p": p, "won": won.astype(np.int8)})
    return Shape("qualification-only", pipeline_of(deals, None), truth, closed_at + DAY)


def _attribute_json(columns: dict[str, np.ndarray], n: int) -> list[str]:
    names = list(columns)
    return [json.dumps({k: str(columns[k][i]) for k in names}) for i in range(n)]


def pipeline_of(deals: pl.DataFrame, activities: pl.DataFrame | None) -> Pipeline:
    """``deals`` and ``activities`` (None: none) with every column of the schemas, typed."""
    full = deals.with_columns(
        [pl.lit(None, dtype=t).alias(c) for c, t in DEAL_SCHEMA.items() if c not in deals.columns]
    ).select([pl.col(c).cast(t) for c, t in DEAL_SCHEMA.items()])
    acts = pl.DataFrame(schema=ACTIVITY_SCHEMA) if activities is None else activities
    acts = acts.with_columns(
        [
            pl.lit(None, dtype=t).alias(c)
            for c, t in ACTIVITY_SCHEMA.items()
            if c not in acts.columns
        ]
    ).select([pl.col(c).cast(t) for c, t in ACTIVITY_SCHEMA.items()])
    return Pipeline(full, acts)


FUNNEL = ("Qualification", "Discovery", "Proposal", "Negotiation")


def activity_funnel(
    n: int = 1500, *, seed: int = 5, stages: tuple[str, ...] = FUNNEL, facts: bool = False
) -> Shape:
    """Deals created over a year; each deal's hidden quality q sets its win chance, how
    often its buyer answers, and (for lost deals) when the buyer goes quiet."""
    rng = np.random.default_rng(seed)
    quality = rng.normal(0.0, 1.2, n)
    p = sigmoid(quality - 0.6)
    won = rng.random(n) < p
    created = np.datetime64(START, "us") + as_durations(rng.uniform(0, 330, n))
    length = rng.uniform(20, 70, n) * np.where(won, 1.0, 1.4)
    ids = [f"F{i:05d}" for i in range(n)]
    reply = np.clip(sigmoid(quality) * 0.9, 0.05, 0.9)
    acts = _touches(rng, ids, created, length, reply, won, stages)
    deals = pl.DataFrame(
        {
            "deal_id": ids,
            "owner": rng.choice(["ana", "ben", "chen", "dora"], n),
            "stage": [stages[-1]] * n,
            "amount": rng.choice([8_000.0, 20_000.0, 60_000.0], n),
            "created_at": created,
            "closed_at": created + as_durations(length),
            "outcome": np.where(won, "won", "lost"),
        }
    )
    if facts:
        deals = deals.with_columns(
            pl.Series("need", np.where(quality + rng.normal(0, 1, n) > 0, "clear", "vague")),
            pl.Series("budget", rng.choice(["confirmed", "unknown"], n)),
        )
    truth = pl.DataFrame({"deal_id": ids, "p": p, "won": won.astype(np.int8)})
    last = max(deals["closed_at"].max(), acts["at"].max())  # type: ignore[type-var]
    assert isinstance(last, datetime)
    as_of = datetime.combine(last.date(), datetime.min.time()) + DAY
    return Shape("activity-funnel", pipeline_of(deals, acts), truth, as_of)


def _touches(
    rng: np.random.Generator,
    ids: list[str],
    created: np.ndarray,
    length: np.ndarray,
    reply: np.ndarray,
    won: np.ndarray,
    stages: tuple[str, ...],
) -> pl.DataFrame:
    """Stage changes at even steps of each life, and a touch every 2-5 days: inbound with
    the deal's reply chance, outbound otherwise; a lost deal's buyer stops at 40-70%."""
    per = np.ceil(length / 2.0).astype(np.int64) + 1
    owner = np.repeat(np.arange(len(ids)), per)
    gaps = rng.uniform(2.0, 5.0, owner.size)
    offset = np.concatenate([np.cumsum(g) for g in np.split(gaps, np.cumsum(per)[:-1])])
    life = length[owner]
    keep = offset < life
    quiet_from = np.where(won, 2.0, rng.uniform(0.4, 0.7, len(ids)))[owner]
    inbound = (rng.random(owner.size) < reply[owner]) & (offset < life * quiet_from)
    touches = pl.DataFrame(
        {
            "deal_id": np.array(ids)[owner],
            "at": created[owner] + as_durations(offset),
            "kind": "email",
            "direction": np.where(inbound, "inbound", "outbound"),
            "hours": np.where(inbound, 0.0, 0.5),
        }
    ).filter(pl.Series(keep))
    k = len(stages)
    step = np.repeat(np.arange(k)[None, :], len(ids), axis=0)
    at = created[:, None] + as_durations(step * length[:, None] / (k + 1) + 0.01)
    changes = pl.DataFrame(
        {
            "deal_id": np.repeat(np.array(ids), k),
            "at": at.ravel(),
            "kind": "stage_change",
            "direction": "internal",
            "stage": np.tile(np.array(stages), len(ids)),
        }
    )
    return pl.concat([touches, changes], how="diagonal_relaxed").with_columns(
        pl.lit("done").alias("status")
    )


def one_stage(n: int = 1200, *, seed: int = 9) -> Shape:
    """:func:`activity_funnel` with a single stage."""
    shape = activity_funnel(n, seed=seed, stages=("Open",))
    return Shape("one-stage", shape.pipeline, shape.truth, shape.as_of)


def tiny_team(*, seed: int = 17) -> Shape:
    """100 deals over a year, activities and two qualification facts: split after the
    40th close (``split_history(..., closed=40)``), a tiny team's history."""
    shape = activity_funnel(100, seed=seed, facts=True)
    return Shape("tiny-team", shape.pipeline, shape.truth, shape.as_of)


def split_history(
    shape: Shape,
    open_share: float = 0.3,
    *,
    closed: int | None = None,
    history: int | None = None,
    seed: int = 1,
) -> Split:
    """A user's import of ``shape``: when every close falls on one date, a random
    ``open_share`` of the deals is left open; otherwise the deals closed after a cut
    (the cut that leaves about that share, or the day after the ``closed``-th close) are
    open at it, with their activities up to it and the stage they stood in then. Their
    outcomes go to ``open_outcomes``; their :data:`AT_CLOSE` columns are emptied. With
    ``history``, only the latest ``history`` closes before the cut stay in the export."""
    deals, acts = shape.pipeline.deals, shape.pipeline.activities
    if deals["closed_at"].n_unique() == 1:
        rng = np.random.default_rng(seed)
        still_open = pl.Series(rng.random(deals.height) < open_share)
        as_of = shape.as_of
    else:
        closes = deals["closed_at"].sort()
        cut = closes[closed - 1] + DAY if closed else closes.quantile(1.0 - open_share, "nearest")
        assert isinstance(cut, datetime)
        as_of = datetime.combine(cut.date(), datetime.min.time())
        deals = deals.filter(pl.col("created_at") < as_of)
        still_open = deals["closed_at"] >= as_of
        acts = acts.filter(pl.col("at") < as_of)
    if history is not None:
        latest = deals.filter(~still_open).sort("closed_at", descending=True).head(history)
        keep = still_open | deals["deal_id"].is_in(latest["deal_id"].implode())
        deals, still_open = deals.filter(keep), still_open.filter(keep)
    outcomes = deals.filter(still_open).select(
        "deal_id", (pl.col("outcome") == "won").cast(pl.Int8).alias("won")
    )
    opened = deals.with_columns(
        pl.when(still_open).then(pl.lit("open")).otherwise(pl.col("outcome")).alias("outcome"),
        pl.when(still_open).then(None).otherwise(pl.col("closed_at")).alias("closed_at"),
    )
    opened = _stage_then(opened, acts, still_open)
    emptied = [key for key, kind in shape.traps.items() if kind == AT_CLOSE]
    if emptied:
        opened = opened.with_columns(_emptied(opened["attributes"], emptied, still_open))
    acts = acts.join(opened.select("deal_id"), on="deal_id", how="semi")
    return Split(Pipeline(opened, acts), as_of, outcomes)


def _stage_then(deals: pl.DataFrame, acts: pl.DataFrame, still_open: pl.Series) -> pl.DataFrame:
    """Open deals with the stage they last entered before the cut (their stage history's)."""
    last = (
        acts.filter(pl.col("kind") == "stage_change")
        .sort("at")
        .group_by("deal_id")
        .agg(pl.col("stage").last().alias("__then"))
    )
    if last.is_empty():
        return deals
    return (
        deals.with_columns(still_open.alias("__open"))
        .join(last, on="deal_id", how="left")
        .with_columns(
            pl.when(pl.col("__open") & pl.col("__then").is_not_null())
            .then(pl.col("__then"))
            .otherwise(pl.col("stage"))
            .alias("stage")
        )
        .drop("__open", "__then")
    )


def _emptied(attributes: pl.Series, keys: list[str], rows: pl.Series) -> pl.Series:
    """``attributes`` with ``keys`` null on ``rows``, as an export shows a field not yet set."""
    struct = attributes.str.json_decode(infer_schema_length=None)
    unnested = struct.struct.unnest().with_columns(
        [pl.when(rows).then(None).otherwise(pl.col(k)).alias(k) for k in keys]
    )
    return unnested.select(pl.struct(pl.all()).struct.json_encode().alias("attributes"))[
        "attributes"
    ]


def write_export(pipeline: Pipeline, folder: Path) -> tuple[Path, Path]:
    """``pipeline`` as a CRM export in the generic format (FORMAT.md): ``deals.csv``
    with each attribute as a column of its own (the importer keeps them as attributes)
    and no column that is empty throughout, and ``activities.csv``."""
    deals = pipeline.deals
    if deals["attributes"].drop_nulls().len():
        extra = deals["attributes"].str.json_decode(infer_schema_length=None).struct.unnest()
        deals = pl.concat([deals.drop("attributes"), extra], how="horizontal")
    else:
        deals = deals.drop("attributes")
    deals = deals.select([c for c in deals.columns if deals[c].null_count() < deals.height])
    folder.mkdir(parents=True, exist_ok=True)
    paths = folder / "deals.csv", folder / "activities.csv"
    acts = pipeline.activities
    required = ("deal_id", "at", "kind")
    activities = acts.select(
        [c for c in acts.columns if c in required or acts[c].null_count() < acts.height]
    )
    for frame, path in zip((deals, activities), paths, strict=True):
        frame.write_csv(path, datetime_format="%Y-%m-%dT%H:%M:%S", date_format="%Y-%m-%d")
    return paths
