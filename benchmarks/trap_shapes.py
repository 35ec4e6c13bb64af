"""The trap shapes of issue 26, run as a user would, beside plain models without the traps.

Used by ``generalization.py`` (``--only close-time-columns close-time-40 bids lead-funnel
mql-funnel``). Each shape (:mod:`walkaway.sample.traps`) is split in time (what closed
before the cut is the history; what was open at it is scored against what became of it;
``close-time-40`` keeps only the last 40 closes) and run:

- **through the CLI** (the default), as the issue measured: the split written as a CRM
  export (``walkaway.sample.shapes.write_export``), ``walkaway import``, ``walkaway review
  --as-of CUT --format json`` (the prior, nothing trained), ``walkaway train --until
  CUT``, ``walkaway review --as-of CUT`` again (the trained model), each a process of its
  own on a temporary SQLite store; the model in force is then read back from the store
  for its card and weights. Or **in this process** (``--library``): ``train_win_model``
  on the history, ``with_line``, ``assess_frame`` as of the cut.
- ``by_hand`` (shapes with traps): trained again with each trap column excluded by
  hand (``walkaway train --exclude-attribute NAME``), and reviewed: what a user who knew
  the traps would get.
- ``cold``: the prior with every deal open (a first import, nothing closed), in process.
- ``lightgbm`` and ``logistic``: plain models on the history's honest columns (every
  extra column but the traps, the owner, the amount: ``plain_models.py``);
- ``truth``: each deal's true win chance (what its honest columns give): the ceiling.

Besides the figures: the share of the learned model's weight (gain) on the trap
columns, which trap columns its card names as left out (all must be, but a mild leak,
which nothing can tell from an honest column), which honest columns it does
not use, and what crashed (one line each; the benchmark carries on). :func:`verdicts`
turns them into the issue's criteria, PASS or FAIL.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
from plain_models import attribute_table, plain_scores

from walkaway.models import Pipeline
from walkaway.policy import Policy
from walkaway.sample import leads, traps
from walkaway.sample.edges import EDGES, edge_shape
from walkaway.sample.shapes import MILD_LEAK, Shape, Split, split_history, write_export

PLAIN = ("lightgbm", "logistic")
AUC_MARGIN = 0.03
MAX_WINS_GIVEN_UP, NEVER_ABOVE = 0.05, 0.10
MAX_TRAP_SHARE = 0.20
JOBS: Mapping[str, tuple[Callable[[], Shape], dict[str, int]]] = {
    "close-time-columns": (traps.close_time_columns, {}),
    "close-time-40": (traps.close_time_columns, {"history": 40}),
    "bids": (traps.bids, {}),
    "lead-funnel": (leads.lead_funnel, {}),
    "mql-funnel": (leads.mql_funnel, {}),
}


@dataclass(frozen=True)
class TrapRun:
    """One trap shape's scored open deals and what the trained model made of it."""

    name: str
    rows: pl.DataFrame  # deal_id, cut, won, effort, p_<method>, walk_<method>
    methods: tuple[str, ...]
    note: str
    traps: tuple[str, ...]  # the shape's trap columns
    to_name: tuple[str, ...]  # those the card must name (all but a mild leak)
    trap_share: float | None  # their share of the learned model's weight; None: no learned part
    named: tuple[str, ...]  # trap columns the card names as left out
    unused: tuple[str, ...]  # honest columns the learned model does not use
    crashes: tuple[str, ...]  # one line per step that crashed


def run_trap(name: str, policy: Policy, *, cli: bool = True) -> TrapRun:
    """The shape ``name`` of :data:`JOBS`, split, run and scored (module docstring)."""
    make, how = JOBS[name]
    shape = make()
    split = split_history(shape, **how)
    crashes: list[str] = []
    walked = (_through_cli if cli else _in_process)(split, tuple(shape.traps), crashes, policy)
    model, card = walked.model, walked.card
    rows = split.open_outcomes.select(
        "deal_id", pl.lit(split.as_of).alias("cut"), "won", pl.lit(1.0).alias("effort")
    )
    methods = []
    for method, frame in (("cold", _cold(split, policy, crashes)), ("prior", walked.prior),
                          ("trained", walked.trained), ("by_hand", walked.by_hand)):  # fmt: skip
        if frame is not None:
            rows = rows.join(_calls(frame, method), on="deal_id", how="left")
            methods.append(method)
    for method, scores in plain_scores(split, tuple(shape.traps), crashes).items():
        rows = rows.join(scores, on="deal_id", how="left")
        methods.append(method)
    truth = shape.truth.select("deal_id", pl.col("p").alias("p_truth"))
    rows, methods = rows.join(truth, on="deal_id", how="left"), [*methods, "truth"]
    history = split.pipeline.deals.filter(pl.col("outcome") != "open").height
    kind = "—" if card is None else str(getattr(card, "kind", "?"))
    note = (
        f"{history} closed as history, {split.open_outcomes.height} open at "
        f"{split.as_of:%Y-%m-%d}; {'CLI' if cli else 'in process'}; model: {kind}"
    )
    honest = _honest(split.pipeline.deals, shape.traps)
    note += _described(card)
    return TrapRun(
        name,
        rows,
        tuple(methods),
        note,
        tuple(shape.traps),
        tuple(k for k, kind in shape.traps.items() if kind != MILD_LEAK),
        _trap_share(model, shape.traps, crashes),
        _named(card, shape.traps),
        _unused(card, honest),
        tuple(crashes),
    )


def run_edges(policy: Policy, *, cli: bool = True) -> list[str]:
    """Each edge shape (:mod:`walkaway.sample.edges`) split, trained and reviewed: one
    line each, PASS when nothing crashed (a refusal, exit 2 with one line, is allowed)."""
    lines = []
    for name in EDGES:
        crashes: list[str] = []
        split = split_history(edge_shape(name))
        walked = (_through_cli if cli else _in_process)(split, (), crashes, policy)
        trained, card = walked.trained, walked.card
        crashed = [c for c in crashes if "traceback" in c]
        kind = "—" if card is None else str(getattr(card, "kind", "?"))
        closed = split.pipeline.deals.filter(pl.col("outcome") != "open").height
        reviewed = "not reviewed" if trained is None else f"{trained.height} reviewed"
        said = "; ".join(crashes) or "nothing said"
        lines.append(
            f"{'FAIL' if crashed else 'PASS'}  {name}: {closed} closed, {reviewed}, "
            f"model {kind}; {said}"
        )
    return lines


# -- running Walkaway ----------------------------------------------------------------


@dataclass
class Walked:
    """What Walkaway said about the open deals, and the model that said it."""

    prior: pl.DataFrame | None = None  # the review before any training
    trained: pl.DataFrame | None = None  # after training as a user would
    by_hand: pl.DataFrame | None = None  # after training with the traps excluded by hand
    model: Any = None  # the trained model in force (None: the prior)
    card: Any = None  # its card


def _through_cli(
    split: Split, traps: tuple[str, ...], crashes: list[str], policy: Policy
) -> Walked:
    """Through the CLI (module docstring); the store keeps the default ``policy``."""
    from walkaway.service.models import active_model, model_card
    from walkaway.store import open_store

    walked = Walked()
    folder = Path(tempfile.mkdtemp(prefix="walkaway-traps-"))
    deals_csv, activities_csv = write_export(split.pipeline, folder / "export")
    db = f"sqlite:///{folder / 'walkaway.db'}"
    cut = f"{split.as_of:%Y-%m-%d}"
    files = [str(deals_csv)]
    if split.pipeline.activities.height:
        files += ["--activities", str(activities_csv)]
    if _walkaway(crashes, "import", *files, "--format", "generic", "--db", db) is None:
        return walked
    walked.prior = _review(crashes, cut, db)
    _walkaway(crashes, "train", "--until", cut, "--db", db)
    walked.trained = _review(crashes, cut, db)
    store = open_store(db)
    try:
        found = active_model(store)
        walked.model, walked.card = None if found is None else found[0], model_card(store)
    except Exception as error:  # the stored model must load: a crash of its own
        crashes.append(f"loading the stored model: {_line(error)}")
    if traps:
        hand = [f"--exclude-attribute={t}" for t in traps]
        by_hand: list[str] = []
        _walkaway(by_hand, "train", "--until", cut, *hand, "--db", db)
        walked.by_hand = _review(by_hand, cut, db)
        crashes += [f"{c} (traps excluded by hand)" for c in by_hand]
    return walked


def _walkaway(crashes: list[str], *args: str) -> str | None:
    """Run ``walkaway ARGS``; its output, or None (and the crash noted) when it fails.
    Exit 2 with one line is a refusal, as the issue allows; anything else is a crash."""
    done = subprocess.run(
        [sys.executable, "-m", "walkaway", *args], capture_output=True, text=True, check=False
    )
    if done.returncode == 0:
        return done.stdout
    lines = [line for line in done.stderr.strip().splitlines() if line.strip()]
    last = lines[-1].strip() if lines else "(nothing on stderr)"
    if done.returncode != 2 or "Traceback" in done.stderr:
        crashes.append(f"walkaway {args[0]}: exit {done.returncode}, traceback: {last}")
    else:
        crashes.append(f"walkaway {args[0]}: refused (exit 2): {last}")
    return None


def _review(crashes: list[str], cut: str, db: str) -> pl.DataFrame | None:
    text = _walkaway(crashes, "review", "--as-of", cut, "--format", "json", "--db", db)
    if text is None:
        return None
    deals = json.loads(text)["deals"]
    return pl.DataFrame(
        [(d["deal_id"], d["win_probability"], d["recommendation"]) for d in deals],
        schema={"deal_id": pl.String, "win_probability": pl.Float64, "recommendation": pl.String},
        orient="row",
    )


def _in_process(split: Split, traps: tuple[str, ...], crashes: list[str], policy: Policy) -> Walked:
    from walkaway.backtest.line import with_line
    from walkaway.decision import assess_frame
    from walkaway.learning import train_win_model

    deals = split.pipeline.deals
    walked = Walked()
    walked.prior = _guarded(
        crashes, "the prior", lambda: assess_frame(split.pipeline, split.as_of, policy)
    )

    def trained(exclude: tuple[str, ...]) -> Any:
        model = train_win_model(split.pipeline, split.as_of, policy, exclude_attributes=exclude)
        return with_line(model, policy)

    def review(model: Any) -> pl.DataFrame:
        return assess_frame(split.pipeline, split.as_of, policy, model.attach(deals))

    model = _guarded(crashes, "train", lambda: trained(()))
    if model is not None:
        walked.trained = _guarded(crashes, "review", lambda: review(model))
        walked.model = model if getattr(model, "learned_", None) is not None else None
        walked.card = model.card_
    if traps:
        hand = _guarded(crashes, "train (traps excluded by hand)", lambda: trained(traps))
        if hand is not None:
            walked.by_hand = _guarded(
                crashes, "review (traps excluded by hand)", lambda: review(hand)
            )
    return walked


def _cold(split: Split, policy: Policy, crashes: list[str]) -> pl.DataFrame | None:
    from walkaway.decision import assess_frame

    everything_open = split.pipeline.deals.with_columns(
        pl.lit("open").alias("outcome"), pl.lit(None, dtype=pl.Datetime("us")).alias("closed_at")
    )
    pipeline = Pipeline(everything_open, split.pipeline.activities)
    frame: pl.DataFrame | None = _guarded(
        crashes, "cold", lambda: assess_frame(pipeline, split.as_of, policy)
    )
    return frame


def _guarded(crashes: list[str], step: str, work: Callable[[], Any]) -> Any:
    try:
        return work()
    except Exception as error:
        crashes.append(f"{step}: traceback: {_line(error)}")
        return None


def _line(error: BaseException) -> str:
    """``Type: message (module.py:line)``, at the deepest line of Walkaway's own code."""
    frames = traceback.extract_tb(error.__traceback__)
    ours = [f for f in frames if "/walkaway/" in f.filename] or frames
    where = ours[-1] if ours else None
    at = f" ({Path(where.filename).name}:{where.lineno})" if where else ""
    first = str(error).strip().splitlines()[0] if str(error).strip() else ""
    return f"{type(error).__name__}: {first}{at}"


def _calls(frame: pl.DataFrame, method: str) -> pl.DataFrame:
    return frame.select(
        "deal_id",
        pl.col("win_probability").alias(f"p_{method}"),
        (pl.col("recommendation") == "walk_away").alias(f"walk_{method}"),
    )


def _described(card: Any) -> str:
    """The learned part's weight and the walk-away line, as the card gives them."""
    if card is None:
        return ""
    weight = getattr(card, "learned_share", None)
    line = getattr(card, "line", None)
    floor = getattr(line, "floor", None)
    said = f", learned weight {weight:.2f}" if isinstance(weight, float) else ""
    return said + (f", walk away only below {floor:.1%}" if isinstance(floor, float) else "")


# -- what the model learned from ------------------------------------------------------


def _key(name: str) -> str:
    """A column's name as compared: lower case, runs of other characters as one _,
    an attribute feature's ``attr_`` taken off."""
    plain = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")
    return plain.removeprefix("attr_")


def _trap_share(model: Any, trap_columns: Mapping[str, str], crashes: list[str]) -> float | None:
    """The gain share of the learned model's features read from trap columns; None
    without a learned part in force (the model then learned nothing from them)."""
    learned = getattr(model, "learned_", None)
    if learned is None:
        return None
    try:
        summary = learned.summary()
    except Exception as error:
        crashes.append(f"the model's summary: {_line(error)}")
        return None
    if "gain_share" not in summary.columns:
        return None
    wanted = {_key(k) for k in trap_columns}
    hits = summary.filter(pl.col("feature").map_elements(_key, pl.String).is_in(list(wanted)))
    total = float(summary["gain_share"].sum())
    return float(hits["gain_share"].sum()) / total if total > 0 else 0.0


def _named(card: Any, trap_columns: Mapping[str, str]) -> tuple[str, ...]:
    excluded = {_key(str(e.name)) for e in getattr(card, "excluded", ())}
    return tuple(k for k in trap_columns if _key(k) in excluded)


def _honest(deals: pl.DataFrame, trap_columns: Mapping[str, str]) -> tuple[str, ...]:
    """The owner and the extra columns but the traps, on at least 1% of the closed deals
    other than their commonest value (an empty cell counts): nearly constant ones can
    tell nothing."""
    closed = deals.filter(pl.col("outcome") != "open")
    table = pl.concat([closed.select("owner"), attribute_table(closed)], how="horizontal")

    def varies(column: pl.Series) -> bool:
        commonest = int(column.value_counts(sort=True)["count"][0]) if column.len() else 0
        return column.len() - commonest >= 0.01 * column.len() > 0

    return tuple(c for c in table.columns if c not in trap_columns and varies(table[c]))


def _unused(card: Any, honest: tuple[str, ...]) -> tuple[str, ...]:
    """Honest columns among none of the learned model's features (a feature uses a
    column when its name is the column's, or the owner's is named for the owner or rep)."""
    features = getattr(card, "features", None)
    if card is None or not features:
        return honest
    used = {_key(str(f)) for f in features}

    def uses(column: str) -> bool:
        key = _key(column)
        if key == "owner":
            return any(k.startswith(("owner", "rep")) for k in used)
        return key in used

    return tuple(c for c in honest if not uses(c))


# -- the criteria -------------------------------------------------------------


def verdicts(run: TrapRun, table: pl.DataFrame) -> list[str]:
    """PASS or FAIL per criterion of issue 26 for one shape, from its figures (``table``:
    ``method, figure, value, low, high`` as ``generalization.bootstrap`` gives)."""

    def figure(method: str, name: str) -> tuple[float, float, float]:
        row = table.filter((pl.col("method") == method) & (pl.col("figure") == name))
        if row.is_empty():
            return float("nan"), float("nan"), float("nan")
        value, low, high = row.select("value", "low", "high").row(0)
        return float(value), float(low), float(high)

    lines = []
    auc = figure("trained", "auc")[0]
    plain = {m: figure(m, "auc") for m in PLAIN if m in run.methods}
    best = max(plain, key=lambda m: plain[m][0] if np.isfinite(plain[m][0]) else -1.0, default=None)
    if best is None or not np.isfinite(auc):
        scored = ", ".join(m for m in ("trained", *PLAIN) if m in run.methods) or "none"
        lines.append(_verdict(False, "AUC", f"nothing to compare; scored: {scored}"))
    else:
        value, low, _ = plain[best]
        cannot_tell = not np.isfinite(low) or low <= 0.5
        bar = min(value - AUC_MARGIN, 0.5) if cannot_tell else value - AUC_MARGIN
        why = (
            " (the plain model's interval reaches 0.5: the data cannot tell)" if cannot_tell else ""
        )
        lines.append(
            _verdict(
                auc >= bar,
                "AUC",
                f"trained {auc:.3f} against plain {best} {value:.3f}: needs >= {bar:.3f}{why}",
            )
        )
    given_up = figure("trained", "wins_sacrificed")[0]
    if np.isfinite(given_up):
        ceiling = " (above the 10% never-more bound)" if given_up > NEVER_ABOVE else ""
        lines.append(
            _verdict(
                given_up <= MAX_WINS_GIVEN_UP,
                "wins given up",
                f"{given_up:.1%} of the won deals walked away from (<= 5%){ceiling}",
            )
        )
    else:
        lines.append(_verdict(False, "wins given up", "no trained calls to count"))
    if run.traps:
        share = run.trap_share or 0.0
        missing = [t for t in run.to_name if t not in run.named]
        mild = [t for t in run.traps if t not in run.to_name]
        lines.append(
            _verdict(
                share < MAX_TRAP_SHARE and not missing,
                "trap columns",
                f"{share:.0%} of the learned weight (< 20%); named on the card: "
                f"{_named_count(run)}"
                + (f" (not: {', '.join(missing)})" if missing else "")
                + (f"; a mild leak need not be: {', '.join(mild)}" if mild else ""),
            )
        )
    crashed = [c for c in run.crashes if "traceback" in c]
    lines.append(_verdict(not crashed, "no traceback", "; ".join(crashed) if crashed else "none"))
    return lines


SUMMARY = ("shape", "trained", "lightgbm", "logistic", "cold", "prior", "by_hand", "truth",
           "wins given up", "trap weight", "traps named", "crash")  # fmt: skip


def summary_row(run: TrapRun, table: pl.DataFrame) -> list[str]:
    """One shape's line of the summary table (columns: :data:`SUMMARY`)."""

    def value(method: str, figure: str) -> float:
        row = table.filter((pl.col("method") == method) & (pl.col("figure") == figure))
        return float(row["value"][0]) if row.height else float("nan")

    aucs = [value(m, "auc") for m in SUMMARY[1:8]]
    given_up = value("trained", "wins_sacrificed")
    share = "—" if not run.traps else f"{run.trap_share or 0.0:.0%}"
    named = "—" if not run.traps else _named_count(run)
    crashed = "yes" if any("traceback" in c for c in run.crashes) else "no"
    cells = [f"{a:.3f}" if np.isfinite(a) else "—" for a in aucs]
    shown = f"{given_up:.1%}" if np.isfinite(given_up) else "—"
    return [run.name, *cells, shown, share, named, crashed]


def _named_count(run: TrapRun) -> str:
    return f"{sum(t in run.named for t in run.to_name)} of {len(run.to_name)}"


def _verdict(passed: bool, criterion: str, detail: str) -> str:
    return f"{'PASS' if passed else 'FAIL'}  {criterion}: {detail}"
