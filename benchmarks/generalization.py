"""Does a call hold on a pipeline of another shape? Every data set, cold and trained,
beside simple baselines, each figure with a bootstrap interval.

    .venv/bin/python benchmarks/generalization.py [--only NAME ...] [--boot 200] [--data DIR]
                                                  [--library]

Data sets (``../shared/data`` when present, else only the generated ones):

- ``bpi2012``: the loan-offer funnel, replayed at four weekly cuts (the backtest: what
  had closed before each cut is the history; what was open at it is scored against its
  end);
- ``maven``: Maven CRM (fictional), replayed at monthly cuts;
- ``ibm``: IBM Sales Win/Loss without the columns measured at the close, as a one-off
  export: no dates, every deal created and closed on one day; 70% of the deals closed as
  history, 30% left open and scored (the opportunity number stays in, as an attribute:
  the guard must find it);
- generated (``walkaway.sample.shapes``): ``qualification-only`` (one stage, no
  activities, 450 deals), ``activity-funnel``, ``one-stage`` and ``tiny-team`` (40 closed
  deals), split the same way (by time where the closes spread);
- the trap shapes of issue 26 (``walkaway.sample.traps``, run by ``trap_shapes.py``):
  ``close-time-columns``, ``close-time-40``, ``bids``, ``lead-funnel``, ``mql-funnel``,
  through the CLI as a user would (``--library``: in this process), beside a plain
  LightGBM and logistic regression on the history without the trap columns; each
  followed by what the trained model made of the traps and a PASS/FAIL line per
  criterion of the issue, and a summary table of the shapes at the end; ``edges``: the
  small edge shapes (``walkaway.sample.edges``), each imported, trained and reviewed,
  PASS when nothing crashes.

Methods: ``cold`` (the prior from evidence, learning nothing: for a one-off export with
every deal open), ``prior`` (the prior with the history's stage rates and fact weights),
``trained`` (``walkaway train``: the stack, with its walk-away line), and the baselines
``stage`` (the stage's historical win rate), ``idle`` (fewer days idle = likelier) and
``logistic`` (a plain L2 logistic regression on the same deal columns, one-hot); the
trap shapes add ``by_hand`` (trained with the trap columns excluded by hand), a plain
``lightgbm``, and ``truth`` (each deal's true win chance), and their own ``logistic``
without the trap columns (``trap_shapes.py``). Figures: AUC (at each cut, averaged over
the cuts by their deals), Brier and ECE (10 bins) over every deal-cut row, walk-away
precision, wins sacrificed, effort saved (replayed as the policy runs: a deal walked
away from at its first walk-away; effort in logged hours, else days to the close, else
deals), each with a 95% interval from resampling deals ("—" where undefined). The stage
rate, the idle rule and the plain models are scores, not calls: only their ranking
(AUC) is shown. Figures and their reading: docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import polars as pl
import trap_shapes
from backtest_real import IBM_AT_CLOSE  # the columns measured at the close, found there

from walkaway.backtest.replay import learned_model, prior_model, run_backtest
from walkaway.models import ACTIVITY_SCHEMA, DEAL_SCHEMA, Pipeline
from walkaway.policy import Policy, load_policy
from walkaway.sample import shapes

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
BPI_CUTS = [datetime(2011, 12, 1) + timedelta(days=7 * k) for k in range(4)]
MAVEN_CUTS = [datetime(2017, m, 1) for m in (6, 8, 10)]
FIGURES = ("auc", "brier", "ece", "precision", "wins_sacrificed", "effort_saved")
CALLS = ("cold", "prior", "trained")


@dataclass(frozen=True)
class Scored:
    """Deal-cut rows: ``deal_id, cut, won, effort``, a score ``p_<method>`` per method and,
    for the methods that make calls, ``walk_<method>``."""

    name: str
    rows: pl.DataFrame
    methods: tuple[str, ...]
    note: str


# -- the figures ---------------------------------------------------------------------


def _auc(y: np.ndarray, p: np.ndarray) -> float:
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(y, p)) if 0 < y.sum() < y.size else float("nan")


def _ece(y: np.ndarray, p: np.ndarray) -> float:
    bins = np.minimum((p * 10).astype(int), 9)
    gaps = [
        abs(p[bins == b].mean() - y[bins == b].mean()) * (bins == b).sum()
        for b in range(10)
        if (bins == b).any()
    ]
    return float(np.sum(gaps) / y.size)


def _walks(frame: pl.DataFrame, method: str) -> tuple[float, float, float]:
    """Precision, wins sacrificed and effort saved of ``walk_<method>``, replayed: a deal
    is walked away from at its first walk-away cut, saving its effort from then on."""
    ordered = frame.sort("deal_id", "cut")
    walk = pl.col(f"walk_{method}")
    decided = ordered.group_by("deal_id", maintain_order=True).agg(
        pl.col("won").first(),
        walk.any().alias("walked"),
        pl.col("effort").first().alias("total"),
        pl.col("effort").filter(walk).first().fill_null(0.0).alias("saved"),
    )
    walked = decided.filter("walked")
    won_total = int(decided["won"].sum())
    lost = decided.filter(pl.col("won") == 0)
    precision = float((walked["won"] == 0).mean()) if walked.height else float("nan")
    sacrificed = float(walked["won"].sum() / won_total) if won_total else float("nan")
    saved = (
        float(lost["saved"].sum() / lost["total"].sum()) if lost["total"].sum() else float("nan")
    )
    return precision, sacrificed, saved


def _auc_within_cuts(frame: pl.DataFrame, method: str) -> float:
    """AUC at each cut (deals ranked at one moment, as a review ranks them), averaged
    weighting each cut by its deals: pooling cuts would also rank one month against
    another."""
    aucs, sizes = [], []
    for (_,), part in frame.group_by("cut"):
        value = _auc(part["won"].to_numpy().astype(float), part[f"p_{method}"].to_numpy())
        if np.isfinite(value):
            aucs.append(value)
            sizes.append(part.height)
    return float(np.average(aucs, weights=sizes)) if aucs else float("nan")


def figures(frame: pl.DataFrame, method: str) -> dict[str, float]:
    y = frame["won"].to_numpy().astype(float)
    p = frame[f"p_{method}"].to_numpy().astype(float)
    result = {"auc": _auc_within_cuts(frame, method), "brier": float("nan"), "ece": float("nan")}
    result |= dict.fromkeys(("precision", "wins_sacrificed", "effort_saved"), float("nan"))
    if f"walk_{method}" in frame.columns:
        clipped = np.clip(p, 0, 1)
        result["brier"] = float(np.mean((clipped - y) ** 2))
        result["ece"] = _ece(y, clipped)
        result["precision"], result["wins_sacrificed"], result["effort_saved"] = _walks(
            frame, method
        )
    return result


def bootstrap(scored: Scored, boots: int, seed: int = 7) -> pl.DataFrame:
    """Each method's figures with 95% intervals from resampling deals."""
    rows = scored.rows
    ids = rows["deal_id"].unique().sort()
    rng = np.random.default_rng(seed)
    index = rows.join(ids.to_frame().with_row_index("__deal"), on="deal_id")
    out = []
    for method in scored.methods:
        point = figures(rows, method)
        draws: dict[str, list[float]] = {f: [] for f in FIGURES}
        for _ in range(boots):
            picked = pl.DataFrame(
                {"__deal": rng.integers(0, ids.len(), ids.len()).astype(np.uint32)}
            )
            sample = picked.with_row_index("__copy").join(index, on="__deal")
            sample = sample.with_columns(
                (pl.col("deal_id") + "#" + pl.col("__copy").cast(pl.String)).alias("deal_id")
            )
            for figure, value in figures(sample, method).items():
                draws[figure].append(value)
        for figure in FIGURES:
            values = np.array(draws[figure])
            low, high = (np.nanpercentile(values, [2.5, 97.5]) if np.isfinite(values).any()
                         else (np.nan, np.nan))  # fmt: skip
            out.append((scored.name, method, figure, point[figure], float(low), float(high)))
    schema = ["data", "method", "figure", "value", "low", "high"]
    return pl.DataFrame(out, schema=schema, orient="row")


# -- scoring a split pipeline (one-off exports and generated shapes) ----------------------


def _plain_logistic(history: pl.DataFrame, scored: pl.DataFrame) -> np.ndarray:
    """L2 logistic regression on the deal columns (fields and attributes, one-hot)."""
    from sklearn.linear_model import LogisticRegression

    columns = ["budget", "authority", "champion", "need", "competitor", "stakeholders_aligned",
               "fit", "potential", "stage"]  # fmt: skip

    def table(frame: pl.DataFrame) -> pl.DataFrame:
        attrs = frame["attributes"].fill_null("{}").str.json_decode(infer_schema_length=None)
        wide = frame.select([pl.col(c).fill_null("?") for c in columns])
        if isinstance(attrs.dtype, pl.Struct):
            wide = wide.with_columns(attrs.struct.unnest().cast(pl.String).fill_null("?"))
        return wide

    from sklearn.preprocessing import OneHotEncoder

    both = pl.concat([table(history), table(scored)], how="diagonal_relaxed").fill_null("?")
    cells = both.to_numpy().astype(str)
    # Sparse one-hot; values on fewer than 5 deals pooled as rare (an id has no level).
    encoder = OneHotEncoder(handle_unknown="infrequent_if_exist", min_frequency=5)
    x_train = encoder.fit_transform(cells[: history.height])
    x_test = encoder.transform(cells[history.height :])
    y = (history["outcome"] == "won").to_numpy()
    model = LogisticRegression(C=0.5, max_iter=2000).fit(x_train, y)
    result: np.ndarray = model.predict_proba(x_test)[:, 1]
    return result


def score_split(name: str, split: shapes.Split, policy: Policy, *, cold: bool) -> Scored:
    """Every method on the deals left open at the split's as-of date."""
    from walkaway.backtest.line import with_line
    from walkaway.decision import assess_frame
    from walkaway.learning import train_win_model

    deals = split.pipeline.deals
    opened = deals.filter(pl.col("outcome") == "open")
    rows = split.open_outcomes.select("deal_id", pl.lit(split.as_of).alias("cut"), "won")
    rows = rows.with_columns(pl.lit(1.0).alias("effort"))  # no effort recorded: deals count
    methods: list[str] = []

    def add(method: str, frame: pl.DataFrame) -> None:
        nonlocal rows
        rows = rows.join(
            frame.select(
                "deal_id",
                pl.col("win_probability").alias(f"p_{method}"),
                (pl.col("recommendation") == "walk_away").alias(f"walk_{method}"),
            ),
            on="deal_id",
        )
        methods.append(method)

    if cold:  # a first import: nothing closed yet, every deal open
        everything_open = deals.with_columns(
            pl.lit("open").alias("outcome"),
            pl.lit(None, dtype=pl.Datetime("us")).alias("closed_at"),
        )
        add(
            "cold",
            assess_frame(Pipeline(everything_open, split.pipeline.activities), split.as_of, policy),
        )
    add("prior", assess_frame(split.pipeline, split.as_of, policy))
    model = with_line(train_win_model(split.pipeline, split.as_of, policy), policy)
    add("trained", assess_frame(split.pipeline, split.as_of, policy, model.attach(deals)))
    closed = deals.filter(pl.col("outcome") != "open")
    logistic = _plain_logistic(closed, opened)
    rows = rows.join(opened.select("deal_id", pl.Series("p_logistic", logistic)), on="deal_id")
    methods.append("logistic")
    note = f"{closed.height} closed as history, {opened.height} open; model: {model.card_.kind}"
    return Scored(name, rows, tuple(methods), note)


# -- time-cut data sets: the backtest ---------------------------------------------------


def score_backtest(name: str, pipeline: Pipeline, policy: Policy, cuts: list[datetime]) -> Scored:
    """The backtest at ``cuts`` with the prior and with training, plus the baselines."""
    frames = {}
    for method, factory in (("prior", prior_model), ("trained", learned_model)):
        result = run_backtest(pipeline, policy, cuts, factory)
        frames[method] = result.rows.filter(pl.col("outcome") != "open")
    base = frames["trained"]
    effort = "hours_after" if float(base["hours_after"].sum()) > 0 else "touches_after"
    rows = base.select(
        "deal_id",
        "cut",
        (pl.col("outcome") == "won").cast(pl.Int8).alias("won"),
        pl.col(effort).cast(pl.Float64).alias("effort"),
        pl.col("p_model").alias("p_trained"),
        pl.col("walk_model").alias("walk_trained"),
        pl.col("p_stage"),
        pl.col("p_idle"),
    ).join(
        frames["prior"].select(
            "deal_id",
            "cut",
            pl.col("p_model").alias("p_prior"),
            pl.col("walk_model").alias("walk_prior"),
        ),
        on=["deal_id", "cut"],
    )
    note = f"{len(cuts)} cuts from {cuts[0]:%Y-%m-%d}; effort in {effort.split('_')[0]}"
    return Scored(name, rows, ("prior", "trained", "stage", "idle"), note)


# -- the data sets -----------------------------------------------------------------------


def _imported(deals: Path, activities: Path | None, fmt: str) -> tuple[Pipeline, Policy]:
    from walkaway.service import import_files
    from walkaway.service.backtest import load_history
    from walkaway.service.pipeline import current_policy
    from walkaway.store import open_store

    folder = Path(tempfile.mkdtemp(prefix="walkaway-generalization-"))
    store = open_store(f"sqlite:///{folder / 'bench.db'}")
    import_files(store, deals, activities, format=fmt)
    return load_history(store), current_policy(store)


def bpi(data: Path, policy: Policy) -> Scored:
    folder = data / "bpi2012"
    pipeline, team = _imported(folder / "deals.csv", folder / "activities.csv", "generic")
    return score_backtest("bpi2012", pipeline, team, BPI_CUTS)


def maven(data: Path, policy: Policy) -> Scored:
    folder = data / "maven-crm"
    pipeline, team = _imported(folder / "sales_pipeline.csv", None, "maven")
    return score_backtest("maven", pipeline, team, MAVEN_CUTS)


def ibm(data: Path, policy: Policy) -> Scored:
    raw = pl.read_csv(data / "ibm-sales-win-loss" / "WA_Fn-UseC_-Sales-Win-Loss.csv")
    table = raw.unique("Opportunity Number", keep="first", maintain_order=True)
    mapped = (*IBM_AT_CLOSE, "Opportunity Result", "Opportunity Amount USD", "Competitor Type")
    extra = [c for c in table.columns if c not in mapped]
    attributes = table.select(pl.struct(extra).struct.json_encode().alias("attributes"))[
        "attributes"
    ]
    competitor = table["Competitor Type"].replace_strict(
        {"Known": "present", "Unknown": "unknown", "None": "none"}, default=None
    )
    created = datetime(2020, 1, 1)
    deals = pl.DataFrame(
        {
            "deal_id": table["Opportunity Number"].cast(pl.String),
            "stage": ["Open"] * table.height,
            "amount": table["Opportunity Amount USD"].cast(pl.Float64),
            "created_at": [created] * table.height,
            "closed_at": [created + timedelta(days=90)] * table.height,
            "outcome": table["Opportunity Result"].replace_strict({"Won": "won", "Loss": "lost"}),
            "competitor": competitor,
            "attributes": attributes,
        }
    ).with_columns([pl.lit(None, dtype=t).alias(c) for c, t in DEAL_SCHEMA.items()
                    if c not in ("deal_id", "stage", "amount", "created_at", "closed_at",
                                 "outcome", "competitor", "attributes")])  # fmt: skip
    deals = deals.select([pl.col(c).cast(t) for c, t in DEAL_SCHEMA.items()])
    shape = shapes.Shape(
        "ibm",
        Pipeline(deals, pl.DataFrame(schema=ACTIVITY_SCHEMA)),
        deals.select(),
        created + timedelta(days=91),
    )
    return score_split("ibm", shapes.split_history(shape), policy, cold=True)


def generated(make: Callable[[], shapes.Shape], policy: Policy) -> Scored:
    shape = make()
    one_date = shape.pipeline.deals["closed_at"].n_unique() == 1
    closed = 40 if shape.name == "tiny-team" else None
    split = shapes.split_history(shape, closed=closed)
    return score_split(shape.name, split, policy, cold=one_date)


def run(names: set[str] | None, data: Path, boots: int, *, cli: bool = True) -> pl.DataFrame:
    policy = load_policy()
    jobs: list[tuple[str, Callable[[], Scored]]] = [
        ("qualification-only", lambda: generated(shapes.qualification_only, policy)),
        ("activity-funnel", lambda: generated(shapes.activity_funnel, policy)),
        ("one-stage", lambda: generated(shapes.one_stage, policy)),
        ("tiny-team", lambda: generated(shapes.tiny_team, policy)),
    ]
    if data.is_dir():
        jobs += [
            ("bpi2012", lambda: bpi(data, policy)),
            ("maven", lambda: maven(data, policy)),
            ("ibm", lambda: ibm(data, policy)),
        ]
    tables = []
    for name, job in jobs:
        if names and name not in names:
            continue
        started = time.perf_counter()
        scored = job()
        table = bootstrap(scored, boots)
        print(f"\n{name}: {scored.note} ({time.perf_counter() - started:.0f} s)")
        print(render(table))
        tables.append(table)
    summary = []
    for name in trap_shapes.JOBS:
        if names and name not in names:
            continue
        found = trap(name, policy, boots, cli=cli)
        if found is not None:
            tables.append(found[0])
            summary.append(found[1])
    if summary:
        print("\n| " + " | ".join(trap_shapes.SUMMARY) + " |")
        print("|" + "---|" * len(trap_shapes.SUMMARY))
        for cells in summary:
            print("| " + " | ".join(cells) + " |")
    if not names or "edges" in names:
        print("\nedges (walkaway.sample.edges): import, train, review; no traceback")
        for line in trap_shapes.run_edges(policy, cli=cli):
            print(line)
    return pl.concat(tables) if tables else pl.DataFrame()


def trap(
    name: str, policy: Policy, boots: int, *, cli: bool
) -> tuple[pl.DataFrame, list[str]] | None:
    """One trap shape: its figures, what the model made of the traps, the issue's
    criteria. Whatever fails is said in one line; the benchmark goes on."""
    started = time.perf_counter()
    try:
        run = trap_shapes.run_trap(name, policy, cli=cli)
        rows, methods, lines = run.rows, [], []
        for method in run.methods:
            missing = rows[f"p_{method}"].null_count()
            if missing:
                lines.append(f"{method}: no score for {missing} of {rows.height} open deals")
            else:
                methods.append(method)
        scored = Scored(name, rows, tuple(methods), run.note)
        table = bootstrap(scored, boots)
    except Exception as error:
        print(f"\n{name}: the benchmark itself failed: {type(error).__name__}: {error}")
        return None
    print(f"\n{name}: {run.note} ({time.perf_counter() - started:.0f} s)")
    print(render(table))
    share = "—" if run.trap_share is None else f"{run.trap_share:.0%}"
    if run.traps:
        named = ", ".join(run.named) or "none"
        print(f"trap columns {', '.join(run.traps)}: {share} of the learned weight; named "
              f"on the card: {named}")  # fmt: skip
    print(f"honest columns the learned model does not use: {', '.join(run.unused) or 'none'}")
    for line in [*lines, *run.crashes]:
        print(f"crash or refusal: {line}" if line in run.crashes else line)
    for line in trap_shapes.verdicts(run, table):
        print(line)
    return table, trap_shapes.summary_row(run, table)


def render(table: pl.DataFrame) -> str:
    lines = ["method | " + " | ".join(FIGURES)]
    for (method,), part in table.group_by("method", maintain_order=True):
        cells = []
        for figure in FIGURES:
            row = part.filter(pl.col("figure") == figure).row(0, named=True)
            value = row["value"]
            if not np.isfinite(value):
                cells.append("—")
                continue
            pct = figure in ("precision", "wins_sacrificed", "effort_saved")
            fmt = (lambda v: f"{v:.1%}") if pct else (lambda v: f"{v:.3f}")
            cells.append(f"{fmt(value)} [{fmt(row['low'])}–{fmt(row['high'])}]")
        lines.append(f"{method} | " + " | ".join(cells))
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", nargs="*", help="data sets by name")
    parser.add_argument("--boot", type=int, default=200, help="bootstrap resamples")
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument(
        "--library", action="store_true", help="trap shapes in this process, not through the CLI"
    )
    args = parser.parse_args()
    run(set(args.only) if args.only else None, args.data, args.boot, cli=not args.library)


if __name__ == "__main__":
    main()
