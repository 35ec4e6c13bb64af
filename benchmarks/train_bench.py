"""How long does learning the win model take? ``python benchmarks/train_bench.py [options]``.

Draws a seeded pipeline (NumPy and Polars, vectorised): ``--closed`` deals closed over
three years plus 10% still open, about ``--activities-per-deal`` activities each
(stage changes, emails both ways, calls, meetings, proposals, notes), two attributes.
Each deal has a hidden engagement that sets both how often its buyer replies and its
chance to be won, so there is something to learn (and early stopping does not stop at
once, as it would on noise). Then times :func:`walkaway.learning.stack.train_win_model` as of
the day after the last close, all of it: the training looks (point-in-time signals and
flags of every closed deal at several moments), features, leak guard, LightGBM
validated on time, calibration, the final refit. Prints wall-clock and CPU seconds (the
machine is shared: CPU time is the steadier figure) and the card's headline figures.
``--phases`` first times the looks alone.

Examples::

    python benchmarks/train_bench.py                  # 100,000 closed deals
    python benchmarks/train_bench.py --closed 20000 --profile
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import time
from datetime import datetime, timedelta

import numpy as np
import polars as pl

from walkaway.learning.rows import training_rows
from walkaway.learning.stack import train_win_model
from walkaway.models import ACTIVITY_SCHEMA, DEAL_SCHEMA, Pipeline
from walkaway.policy import load_policy

START = datetime(2023, 1, 2)
STAGES = ["qualification", "discovery", "demo", "proposal", "negotiation"]
KINDS = ["email", "call", "meeting", "proposal", "note"]
KIND_SHARE = [0.6, 0.2, 0.08, 0.04, 0.08]


def make_deals(closed: int, rng: np.random.Generator) -> tuple[pl.DataFrame, np.ndarray]:
    """Deals and each deal's hidden engagement (0-1)."""
    total = closed + closed // 10
    engagement = rng.beta(2.0, 2.0, total)
    created_s = rng.integers(0, 3 * 365 * 86_400, total)
    life_s = (rng.gamma(2.0, 18.0, total) * 86_400).astype(np.int64) + 86_400
    start = np.datetime64(START, "s")
    created = start + created_s.astype("timedelta64[s]")
    closed_at = created + life_s.astype("timedelta64[s]")
    chance = 1 / (1 + np.exp(-(4.0 * engagement - 2.6)))
    won = rng.random(total) < chance
    outcome = np.where(won, "won", "lost")
    outcome[closed:] = "open"  # the last tenth is still open
    stage_at_end = np.array(STAGES)[np.minimum((engagement * 5).astype(int), 4)]
    frame = pl.DataFrame(
        {
            "deal_id": [f"T-{i:07d}" for i in range(total)],
            "owner": np.array([f"Rep {i:02d}" for i in range(40)])[rng.integers(0, 40, total)],
            "stage": stage_at_end,
            "amount": np.round(np.exp(rng.normal(10.0, 0.7, total)), -2),
            "created_at": created.astype("datetime64[us]"),
            "closed_at": np.where(outcome == "open", np.datetime64("NaT"), closed_at).astype(
                "datetime64[us]"
            ),
            "outcome": outcome,
            "budget": np.where(rng.random(total) < 0.3 + 0.4 * engagement, "confirmed", "unknown"),
            "discount_requested": np.round(rng.uniform(0, 0.3, total), 2),
            "industry": rng.choice(["retail", "logistics", "health", "banking"], total),
            "employees": rng.integers(10, 20_000, total),
        }
    ).with_columns(
        pl.format('{{"industry":"{}","employees":"{}"}}', "industry", "employees").alias(
            "attributes"
        )
    )
    missing = [pl.lit(None).cast(t).alias(c) for c, t in DEAL_SCHEMA.items() if c not in frame]
    return frame.with_columns(missing).select(list(DEAL_SCHEMA)).cast(DEAL_SCHEMA), engagement  # type: ignore[arg-type]


def make_activities(
    deals: pl.DataFrame, engagement: np.ndarray, per_deal: int, rng: np.random.Generator
) -> pl.DataFrame:
    """Touches spread over each deal's life; engaged buyers reply more often."""
    total = deals.height
    created = deals["created_at"].to_numpy()
    ends = deals["closed_at"].fill_null(deals["created_at"].max()).to_numpy()
    life = (ends - created).astype("timedelta64[s]").astype(np.int64)
    count = total * per_deal
    which = np.sort(rng.integers(0, total, count))
    at = created[which] + (rng.random(count) * life[which]).astype("timedelta64[s]")
    kind = np.array(KINDS)[rng.choice(len(KINDS), count, p=KIND_SHARE)]
    reply = (kind == "email") & (rng.random(count) < 0.15 + 0.6 * engagement[which])
    direction = np.where(kind == "note", "internal", np.where(reply, "inbound", "outbound"))
    touches = pl.DataFrame(
        {
            "deal_id": deals["deal_id"].to_numpy()[which],
            "at": at.astype("datetime64[us]"),
            "kind": kind,
            "direction": direction,
            "hours": np.where(direction == "outbound", 0.5, np.nan),
        }
    ).with_columns(pl.col("hours").fill_nan(None))
    reached = np.minimum((engagement * 5).astype(int), 4) + 1
    step = np.repeat(np.arange(total), reached)
    index = np.arange(step.size) - np.repeat(np.cumsum(reached) - reached, reached)
    stages = pl.DataFrame(
        {
            "deal_id": deals["deal_id"].to_numpy()[step],
            "at": (
                created[step] + (life[step] * index / reached[step]).astype("timedelta64[s]")
            ).astype("datetime64[us]"),
            "kind": "stage_change",
            "direction": "internal",
            "stage": np.array(STAGES)[index],
        }
    )
    both = pl.concat([touches, stages], how="diagonal_relaxed")
    missing = [pl.lit(None).cast(t).alias(c) for c, t in ACTIVITY_SCHEMA.items() if c not in both]
    return both.with_columns(missing).select(list(ACTIVITY_SCHEMA)).cast(ACTIVITY_SCHEMA)  # type: ignore[arg-type]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--closed", type=int, default=100_000)
    parser.add_argument("--activities-per-deal", type=int, default=20)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--profile", action="store_true", help="print a cProfile of training")
    parser.add_argument("--phases", action="store_true", help="first time the training looks alone")
    args = parser.parse_args()

    rng = np.random.default_rng(args.seed)
    began = time.perf_counter()
    deals, engagement = make_deals(args.closed, rng)
    activities = make_activities(deals, engagement, args.activities_per_deal, rng)
    pipeline = Pipeline(deals, activities)
    last = deals["closed_at"].max()
    assert isinstance(last, datetime)
    until = last + timedelta(days=1)
    print(f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs")
    print(
        f"generated {deals.height:,} deals ({args.closed:,} closed) and "
        f"{activities.height:,} activities in {time.perf_counter() - began:.1f} s"
    )
    policy = load_policy()
    if args.phases:
        started = time.perf_counter()
        looks = training_rows(pipeline, until, policy)
        print(f"the looks alone: {looks.height:,} in {time.perf_counter() - started:.1f} s")
    profiler = cProfile.Profile() if args.profile else None
    started, cpu = time.perf_counter(), time.process_time()
    if profiler:
        model = profiler.runcall(train_win_model, pipeline, until, policy)
    else:
        model = train_win_model(pipeline, until, policy)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    card = model.card_
    scores = card.validation
    skill = card.skill or {}
    print(
        f"trained in {seconds:.1f} s wall, {cpu:.1f} s CPU: {card.training_looks:,} looks "
        f"({card.distinct_looks:,} distinct) of {card.looked_deals:,} deals, "
        f"{len(card.features)} features, {card.scorer}, {card.trees} trees, {card.kind} "
        f"(learned share {card.learned_share:.2f}); validation AUC "
        f"{scores.auc if scores and scores.auc else float('nan'):.3f}, Brier "
        f"{scores.brier if scores else float('nan'):.3f}; stack judged: prior log loss "
        f"{skill.get('prior_log_loss', float('nan')):.4f}, blend "
        f"{skill.get('stack_log_loss', float('nan')):.4f}"
    )
    for label, log_loss, auc in card.tried:
        print(f"  tried {label}: log loss {log_loss:.4f}, AUC {auc or float('nan'):.3f}")
    if profiler:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)
        profiler.dump_stats(os.environ.get("TRAIN_PROFILE", "benchmarks/out/train.prof"))


if __name__ == "__main__":
    main()
