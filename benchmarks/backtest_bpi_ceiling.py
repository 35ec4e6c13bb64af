"""How far can a probability threshold go on BPI 2012? A feature experiment.

    .venv/bin/python benchmarks/backtest_bpi_ceiling.py [--data DIR]

For each cut of ``backtest_real.py bpi`` (2011-12-01, -08, -15) a LightGBM model is
trained on point-in-time looks (every 2 days from 2011-10-08) at the deals that had
closed before the cut, each deal weighted 1 in all, and scored on the deals open at
the cut. Feature sets: the learned model's signals (as its model card lists them), then
each candidate feature added alone, then all of them. For each set it prints the
pooled AUC and Brier score and the best threshold "walk away when p < t": most hours
saved with precision >= 0.90 and <= 5% of wins sacrificed, and with precision >= 0.90
alone. Figures: docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
from datetime import datetime, timedelta
from pathlib import Path

import lightgbm as lgb
import numpy as np
import polars as pl
from backtest_real import BPI_CUTS, DATA, _load
from sklearn.metrics import brier_score_loss, roc_auc_score

from walkaway.backtest.metrics import replay, walk_away_quality
from walkaway.backtest.replay import as_known_at, effort_after, final_outcomes
from walkaway.models import Pipeline
from walkaway.policy import Policy
from walkaway.signals.frame import compute_signals

SIGNALS = [
    "amount", "days_open", "days_in_stage", "days_since_inbound", "days_waiting",
    "outbound_since_inbound", "inbound_touches", "days_since_last_activity",
    "proposals_sent", "proposals_unanswered", "days_since_proposal",
]  # fmt: skip
CANDIDATES = [
    "hours_logged", "calls_total", "calls_since_offer", "hours_since_offer",
    "last3_call_hours", "hours_last7", "calls_last7", "calls_before_offer",
    "days_to_first_offer", "offers_cancelled", "stage_changes", "internal_hours",
    "last_actor", "created_hour", "created_weekday",
]  # fmt: skip


def candidates(view: Pipeline, moment: datetime) -> pl.DataFrame:
    """Effort, offer and timing features from the activities known at ``moment``."""
    acts = view.activities
    offers = acts.filter((pl.col("kind") == "proposal") & (pl.col("direction") == "outbound"))
    first_last = offers.group_by("deal_id").agg(
        pl.col("at").min().alias("first_offer"), pl.col("at").max().alias("last_offer")
    )
    acts = acts.join(first_last, on="deal_id", how="left")
    age = (pl.lit(moment, dtype=pl.Datetime("us")) - pl.col("at")).dt.total_seconds() / 86400
    call, after = pl.col("direction") == "outbound", pl.col("at") > pl.col("last_offer")
    change = pl.col("kind") == "stage_change"
    return acts.group_by("deal_id").agg(
        pl.col("hours").sum().alias("hours_logged"),
        call.sum().alias("calls_total"),
        (call & after).sum().alias("calls_since_offer"),
        pl.col("hours").filter(call & after).sum().alias("hours_since_offer"),
        pl.col("hours").filter(call).tail(3).mean().alias("last3_call_hours"),
        pl.col("hours").filter(call & (age <= 7)).sum().alias("hours_last7"),
        (call & (age <= 7)).sum().alias("calls_last7"),
        (call & (pl.col("at") < pl.col("first_offer"))).sum().alias("calls_before_offer"),
        ((pl.col("first_offer").first() - pl.col("at").min()).dt.total_seconds() / 86400).alias(
            "days_to_first_offer"
        ),
        (change & (pl.col("stage") == "O_CANCELLED")).sum().alias("offers_cancelled"),
        change.sum().alias("stage_changes"),
        pl.col("hours").filter(pl.col("direction") == "internal").sum().alias("internal_hours"),
        pl.col("actor").filter(call).last().cast(pl.Int64, strict=False).alias("last_actor"),
        pl.col("at").min().dt.hour().alias("created_hour"),
        pl.col("at").min().dt.weekday().alias("created_weekday"),
    )


def looks_at(pipeline: Pipeline, policy: Policy, moment: datetime) -> pl.DataFrame:
    view = as_known_at(pipeline, moment)
    signals = compute_signals(view, moment, policy).select("deal_id", "stage_key", *SIGNALS)
    return signals.join(candidates(view, moment), on="deal_id", how="left").with_columns(
        pl.lit(moment, dtype=pl.Datetime("us")).alias("look")
    )


def design(frame: pl.DataFrame, columns: list[str], stages: list[str]) -> np.ndarray:
    codes = {s: i for i, s in enumerate(stages)}
    return (
        frame.with_columns(
            pl.col("stage_key").replace_strict(codes, default=-1, return_dtype=pl.Int32)
        )
        .select("stage_key", *columns)
        .cast(pl.Float64)
        .fill_null(np.nan)
        .to_numpy()
    )


def fit_and_score(train: pl.DataFrame, test: pl.DataFrame, columns: list[str]) -> np.ndarray:
    stages = sorted(set(train["stage_key"].drop_nulls()))
    weight = 1.0 / train.select(pl.len().over("deal_id")).to_series().to_numpy()
    model = lgb.LGBMClassifier(
        n_estimators=300, learning_rate=0.03, num_leaves=15, min_child_samples=40,
        subsample=0.8, subsample_freq=1, colsample_bytree=0.8, n_jobs=2, verbose=-1,
        random_state=1,
    )  # fmt: skip
    won = (train["outcome"] == "won").to_numpy()
    model.fit(design(train, columns, stages), won, sample_weight=weight, categorical_feature=[0])
    scored: np.ndarray = model.predict_proba(design(test, columns, stages))[:, 1]
    return scored


def best_threshold(rows: pl.DataFrame, max_wins: float) -> str:
    best: dict[str, float] | None = None
    for t in np.quantile(rows["p"].to_numpy(), np.linspace(0.02, 0.8, 60)):
        q = walk_away_quality(replay(rows.with_columns((pl.col("p") < t).alias("w")), "w"))
        good = (q["precision"] or 0) >= 0.90 and q["wins_sacrificed_share"] <= max_wins
        if good and (best is None or q["hours_saved_share"] > best["hours"]):
            best = {
                "t": float(t),
                "hours": q["hours_saved_share"],
                "touches": q["touches_saved_share"],
                "wins": q["wins_sacrificed_share"],
            }
    if best is None:
        return "none"
    return "p<{t:.2f}: hours {hours:.0%}, touches {touches:.0%}, wins {wins:.1%}".format(**best)


def evaluate(looks: pl.DataFrame, at_cut: pl.DataFrame, columns: list[str], label: str) -> None:
    scored = []
    for cut in BPI_CUTS:
        train = looks.filter(
            (pl.col("look") < cut) & (pl.col("closed_at") < cut) & (pl.col("outcome") != "open")
        )
        test = at_cut.filter(pl.col("cut") == cut)
        scored.append(test.with_columns(pl.Series("p", fit_and_score(train, test, columns))))
    rows = pl.concat(scored)
    known = rows.filter(pl.col("outcome") != "open")
    won, p = (known["outcome"] == "won").to_numpy(), known["p"].to_numpy()
    print(
        f"{label}: AUC {roc_auc_score(won, p):.3f}, Brier {brier_score_loss(won, p):.3f}; "
        f"precision>=0.90 and wins<=5%: {best_threshold(rows, 0.05)}; "
        f"precision>=0.90 alone: {best_threshold(rows, 1.0)}",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    args = parser.parse_args()
    folder = args.data / "bpi2012"
    pipeline, policy = _load(folder / "deals.csv", folder / "activities.csv", "generic")
    outcomes = final_outcomes(pipeline)
    moments, moment = [], datetime(2011, 10, 8)
    while moment < BPI_CUTS[-1]:
        moments.append(moment)
        moment += timedelta(days=2)
    looks = pl.concat([looks_at(pipeline, policy, m) for m in moments], how="vertical_relaxed")
    looks = looks.join(outcomes, on="deal_id")
    at_cut = pl.concat(
        [
            looks_at(pipeline, policy, cut)
            .with_columns(pl.col("look").alias("cut"))
            .join(outcomes, on="deal_id")
            .join(effort_after(pipeline, outcomes, cut), on="deal_id", how="left")
            .with_columns(
                pl.col("touches_after").fill_null(0), pl.col("hours_after").fill_null(0.0)
            )
            for cut in BPI_CUTS
        ],
        how="vertical_relaxed",
    )
    evaluate(looks, at_cut, SIGNALS, "the learned model's signals")
    for name in CANDIDATES:
        evaluate(looks, at_cut, [*SIGNALS, name], f"+ {name}")
    evaluate(looks, at_cut, SIGNALS + CANDIDATES, "+ all candidates")


if __name__ == "__main__":
    main()
