"""The backtest on real (and realistic) data: BPI 2012, Maven CRM, IBM Sales Win Loss.

    .venv/bin/python benchmarks/backtest_real.py bpi      [--model learned|prior] [--data DIR]
    .venv/bin/python benchmarks/backtest_real.py maven    [--model learned|prior] [--data DIR]
    .venv/bin/python benchmarks/backtest_real.py ibm      [--data DIR]
    .venv/bin/python benchmarks/backtest_real.py all

``bpi`` and ``maven`` import the data set into a temporary SQLite store through
``walkaway.service.import_files`` (as a user would), load it back and run
``walkaway.backtest.replay.run_backtest``; ``--out DIR`` also writes the HTML report.
``ibm`` has no dates and no activities, so it cannot be imported: it is a standalone
study of which columns leak the outcome, and of a gradient-boosting model's AUC
(LightGBM, stratified 5-fold) with and without them.

Figures and their reading: docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import numpy as np
import polars as pl

from walkaway.backtest.metrics import Metrics
from walkaway.backtest.replay import (
    BacktestResult,
    ModelFactory,
    learned_model,
    prior_model,
    run_backtest,
)
from walkaway.models import Pipeline
from walkaway.policy import Policy
from walkaway.service import import_files
from walkaway.service.backtest import load_history, write_report
from walkaway.service.pipeline import current_policy
from walkaway.store import open_store

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
BPI_CUTS = [datetime(2011, 12, 1), datetime(2011, 12, 8), datetime(2011, 12, 15)]
MAVEN_CUTS = [datetime(2017, m, 1) for m in range(5, 11)]
TARGET = {"auc": 0.80, "brier": 0.17, "precision": 0.90, "effort": 0.45, "wins": 0.05}


def _factory(name: str, exclude: tuple[str, ...] = ()) -> ModelFactory:
    if name == "prior":
        return prior_model
    if not exclude:
        return learned_model

    def factory(pipeline: Pipeline, as_of: datetime, policy: Policy) -> object:
        try:
            from walkaway.learning.stack import train_win_model
        except ModuleNotFoundError:
            return prior_model(pipeline, as_of, policy)
        return train_win_model(pipeline, as_of, policy, exclude_attributes=exclude)

    return factory  # type: ignore[return-value]


def _load(deals: Path, activities: Path | None, fmt: str) -> tuple[Pipeline, Policy]:
    folder = Path(tempfile.mkdtemp(prefix="walkaway-backtest-"))
    store = open_store(f"sqlite:///{folder / 'bench.db'}")
    started = time.perf_counter()
    import_files(store, deals, activities, format=fmt)
    print(f"imported {deals.parent.name} in {time.perf_counter() - started:.1f} s")
    return load_history(store), current_policy(store)


def _fmt(value: float | None, pct: bool = False) -> str:
    if value is None:
        return "—"
    return f"{value:.1%}" if pct else f"{value:.3f}"


def print_metrics(result: BacktestResult) -> None:
    print(
        "method | open | known | AUC | Brier | walk | share | precision | wins lost (share) "
        "| value lost | hours saved | touches saved | lead days"
    )
    for m in result.pooled:
        print(_row(result.settings.label(m.method), m))
    print("per cut (model):")
    for m in result.per_cut:
        print(_row(f"{m.cut:%Y-%m-%d} {m.method}", m))


def _row(label: str, m: Metrics) -> str:
    return " | ".join(
        [
            label,
            f"{m.open_deals}",
            f"{m.evaluated}",
            _fmt(m.auc),
            _fmt(m.brier),
            f"{m.flagged}",
            _fmt(m.share_flagged, True),
            _fmt(m.precision, True),
            f"{m.wins_sacrificed} ({_fmt(m.wins_sacrificed_share, True)})",
            f"{m.wins_sacrificed_value:,.0f}",
            f"{_fmt(m.hours_saved_share, True)} ({m.hours_saved:,.1f} of {m.hours_on_lost:,.1f} h)",
            f"{_fmt(m.touches_saved_share, True)} ({m.touches_saved} of {m.touches_on_lost})",
            "—" if m.lead_time_days is None else f"{m.lead_time_days:.1f}",
        ]
    )


def best_threshold(result: BacktestResult, method: str = "model") -> None:
    """The curve's best point under the targets: most effort saved with precision
    ≥ 0.90 and ≤ 5% of wins sacrificed (what a threshold on the score alone reaches)."""
    curve = result.curves.filter(pl.col("method") == method)
    ok = curve.filter(
        (pl.col("precision") >= TARGET["precision"])
        & (pl.col("wins_sacrificed_share") <= TARGET["wins"])
    ).sort("effort_saved_share", descending=True, nulls_last=True)
    if ok.height == 0:
        print(f"{method}: no threshold reaches precision ≥ 0.90 with ≤ 5% of wins sacrificed")
        return
    row = ok.row(0, named=True)
    print(
        f"{method}: best threshold {row['threshold']:.3f}: precision {row['precision']:.1%}, "
        f"effort saved {_fmt(row['effort_saved_share'], True)}, "
        f"wins sacrificed {row['wins_sacrificed_share']:.1%}, {row['flagged']} walk-aways"
    )


def _run(
    name: str,
    pipeline: Pipeline,
    policy: Policy,
    cuts: list[datetime],
    factory: ModelFactory,
    out: Path | None,
) -> BacktestResult:
    started = time.perf_counter()
    result = run_backtest(pipeline, policy, cuts, factory)
    print(f"{name}: backtest over {len(cuts)} cuts in {time.perf_counter() - started:.1f} s")
    print("models:", "; ".join(result.models))
    print_metrics(result)
    for method in ("model", "idle", "stage"):
        best_threshold(result, method)
    if out is not None:
        write_report(result, out / name)
        print(f"report: {out / name / 'report.html'}")
    return result


def bench_bpi(data: Path, model: str, out: Path | None) -> None:
    folder = data / "bpi2012"
    pipeline, policy = _load(folder / "deals.csv", folder / "activities.csv", "generic")
    _run("bpi2012", pipeline, policy, BPI_CUTS, _factory(model), out)


def bench_maven(data: Path, model: str, out: Path | None) -> None:
    folder = data / "maven-crm"
    pipeline, policy = _load(folder / "sales_pipeline.csv", None, "maven")
    # close_value is only known at the close (0 for every lost deal): never a feature.
    result = _run("maven", pipeline, policy, MAVEN_CUTS, _factory(model, ("close_value",)), out)
    rows = result.rows.filter(pl.col("outcome") != "open")
    base = float((rows["outcome"] == "won").mean() or 0.0)
    p = rows["p_model"]
    print(
        f"maven: base rate (won among deal-cut rows with an outcome) {base:.3f}; model mean "
        f"{p.mean():.3f}, sd {p.std():.3f}, 5-95% {p.quantile(0.05):.3f}-{p.quantile(0.95):.3f}"
    )


# -- IBM Sales Win Loss: leakage study ----------------------------------------------

IBM_TARGET = "Opportunity Result"
IBM_ID = "Opportunity Number"
# Measured over the whole life of the opportunity, up to its close (see the docs).
IBM_AT_CLOSE = (
    "Elapsed Days In Sales Stage",
    "Sales Stage Change Count",
    "Total Days Identified Through Closing",
    "Total Days Identified Through Qualified",
    "Ratio Days Identified To Total Days",
    "Ratio Days Validated To Total Days",
    "Ratio Days Qualified To Total Days",
)


def _univariate(frame: pl.DataFrame, won: np.ndarray) -> None:
    from sklearn.metrics import roc_auc_score

    print("column | AUC alone | won mean | lost mean")
    for column in frame.columns:
        series = frame[column]
        if series.dtype == pl.String:  # target-mean encoding, for a first look only
            rates = pl.DataFrame({"k": series, "y": won}).group_by("k").agg(pl.col("y").mean())
            x = series.replace_strict(dict(rates.iter_rows()), return_dtype=pl.Float64).to_numpy()
        else:
            x = series.cast(pl.Float64).to_numpy()
        auc = float(roc_auc_score(won, x))
        print(f"{column} | {max(auc, 1 - auc):.3f} | {x[won].mean():.3f} | {x[~won].mean():.3f}")


def _cv_auc(frame: pl.DataFrame, won: np.ndarray, seed: int = 7) -> tuple[float, float]:
    import lightgbm as lgb
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import StratifiedKFold

    # Text columns as integer codes, declared categorical to LightGBM (no pandas needed).
    categorical = [i for i, t in enumerate(frame.dtypes) if t == pl.String]
    x = frame.with_columns(
        pl.col(pl.String).cast(pl.Categorical).to_physical().cast(pl.Int32)
    ).to_numpy()
    scores = []
    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=seed)
    for train, test in folds.split(x, won):
        model = lgb.LGBMClassifier(
            n_estimators=400,
            learning_rate=0.05,
            num_leaves=31,
            n_jobs=2,
            verbose=-1,
            random_state=seed,
        )
        model.fit(x[train], won[train], categorical_feature=categorical or "auto")
        scores.append(roc_auc_score(won[test], model.predict_proba(x[test])[:, 1]))
    return float(np.mean(scores)), float(np.std(scores))


def bench_ibm(data: Path) -> None:
    raw = pl.read_csv(data / "ibm-sales-win-loss" / "WA_Fn-UseC_-Sales-Win-Loss.csv")
    table = raw.unique(maintain_order=True)
    print(f"ibm: {raw.height} rows, {table.height} after dropping exact duplicates")
    won = (table[IBM_TARGET] == "Won").to_numpy()
    features = table.drop(IBM_TARGET, IBM_ID)
    _univariate(features, won)
    totals = table.select(
        pl.sum_horizontal(pl.col("^Ratio Days .*$")).alias("ratio_sum"),
        pl.col("Elapsed Days In Sales Stage").alias("elapsed"),
    ).with_columns(won=pl.Series(won))
    print(
        totals.group_by("won").agg(
            (pl.col("ratio_sum") > 0.999).mean().alias("ratios sum to 1"),
            (pl.col("elapsed") >= 100).mean().alias("elapsed ≥ 100 days"),
        )
    )
    started = time.perf_counter()
    honest = features.drop(IBM_AT_CLOSE)
    runs: list[tuple[str, pl.DataFrame]] = [
        ("all columns", features),
        ("without the at-close columns (honest)", honest),
    ]
    runs += [(f"honest + {c}", honest.with_columns(features[c])) for c in IBM_AT_CLOSE]
    for label, frame in runs:
        mean, sd = _cv_auc(frame, won)
        print(f"ibm: LightGBM 5-fold AUC, {label}: {mean:.3f} ± {sd:.3f}")
    print(f"ibm: cross-validation in {time.perf_counter() - started:.0f} s")


COMMANDS: dict[str, Callable[[argparse.Namespace], None]] = {
    "bpi": lambda a: bench_bpi(a.data, a.model, a.out),
    "maven": lambda a: bench_maven(a.data, a.model, a.out),
    "ibm": lambda a: bench_ibm(a.data),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("which", choices=[*COMMANDS, "all"])
    parser.add_argument("--data", type=Path, default=DATA, help="folder holding the data sets")
    parser.add_argument("--model", choices=["learned", "prior"], default="learned")
    parser.add_argument("--out", type=Path, default=None, help="write the HTML reports here")
    args = parser.parse_args()
    for name in COMMANDS if args.which == "all" else [args.which]:
        COMMANDS[name](args)


if __name__ == "__main__":
    main()
