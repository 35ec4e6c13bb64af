"""The arithmetic of a backtest: how good a score was, and what walking away would have done.

Everything here reads **deal-cut rows**: one row per deal open at a cut, with

- ``cut``, ``deal_id``, ``amount``;
- ``outcome`` (how the deal finally ended: ``won``, ``lost``, or ``open`` when it is
  still open at the end of the history) and ``closed_at``;
- ``touches_after`` and ``hours_after``: outbound touches and logged hours dated from the
  cut to the close (the effort the deal took after the cut);
- per method, a score ``p_<method>`` (higher = more likely won) and a walk-away flag
  ``walk_<method>``.

Deals still open at the end have no outcome: they count among the open deals (and the
share flagged) and nowhere else.

**Per cut**, each cut is its own replay. **Pooled**, the policy runs at every cut and a
deal is walked away from at the first cut that flags it (:func:`replay`): the effort
saved is what it took after that cut, the lead time runs from that cut, and the effort
that could have been saved on a lost deal is what it took after the first cut that saw
it open. AUC, Brier score and the calibration table pool every deal-cut row.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

import numpy as np
import polars as pl
from sklearn.metrics import brier_score_loss, roc_auc_score

from walkaway.signals.snapshot import days_between

WON, LOST, OPEN = "won", "lost", "open"
CALIBRATION_BINS = 10
CURVE_POINTS = 40


@dataclass(frozen=True)
class Metrics:
    """One method's results at one cut (``cut`` set) or pooled over all cuts (``cut`` None).

    Ratios are None where their denominator is zero (no flagged deal with a known
    outcome, no wins, no effort on lost deals). ``effort_saved_share`` is the hours
    share when hours were logged on the lost deals, else the touches share.
    """

    method: str
    cut: datetime | None
    open_deals: int
    evaluated: int  # open deals whose outcome is known
    still_open: int  # open at the end of the history: left out of outcome metrics
    won: int
    lost: int
    auc: float | None
    brier: float | None
    flagged: int
    share_flagged: float | None
    flagged_lost: int
    precision: float | None
    wins_sacrificed: int
    wins_sacrificed_value: float
    wins_sacrificed_share: float | None
    touches_saved: int
    touches_on_lost: int
    touches_saved_share: float | None
    hours_saved: float
    hours_on_lost: float
    hours_saved_share: float | None
    effort_saved_share: float | None
    lead_time_days: float | None  # median days from the walk-away to the actual loss

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["cut"] = self.cut.isoformat() if self.cut else None
        return data


def _ratio(part: float, whole: float) -> float | None:
    return float(part) / float(whole) if whole else None


def score_quality(rows: pl.DataFrame, score: str, *, is_probability: bool) -> dict[str, Any]:
    """AUC (scikit-learn's ``roc_auc_score``) and Brier score of ``score`` against won,
    on the rows with a known outcome. None when undefined (one class only; a score that
    is not a probability has no Brier score)."""
    known = rows.filter(pl.col("outcome") != OPEN)
    if known.height == 0:
        return {"auc": None, "brier": None}
    won = (known["outcome"] == WON).to_numpy().astype(int)
    predicted = known[score].cast(pl.Float64).to_numpy()
    auc = float(roc_auc_score(won, predicted)) if 0 < won.sum() < len(won) else None
    brier = float(brier_score_loss(won, np.clip(predicted, 0, 1))) if is_probability else None
    return {"auc": auc, "brier": brier}


def decisions_at_cut(rows: pl.DataFrame, flag: str) -> pl.DataFrame:
    """One cut's rows as decisions: flagged now, effort after this cut."""
    return rows.select(
        "deal_id",
        "outcome",
        "closed_at",
        "amount",
        pl.col(flag).fill_null(False).alias("flagged"),
        pl.col("cut").alias("flag_cut"),
        pl.col("touches_after").alias("touches_total"),
        pl.col("hours_after").alias("hours_total"),
        pl.col("touches_after").alias("touches_saved"),
        pl.col("hours_after").alias("hours_saved"),
    )


def replay(rows: pl.DataFrame, flag: str) -> pl.DataFrame:
    """The policy run at every cut: one decision per deal, walked away from at the first
    cut that flags it; the effort it could have saved counts from the first cut that saw
    it open."""
    flagged = pl.col(flag).fill_null(False)
    ordered = rows.sort("deal_id", "cut")
    return ordered.group_by("deal_id", maintain_order=True).agg(
        pl.col("outcome").first(),
        pl.col("closed_at").first(),
        pl.col("amount").first(),
        flagged.any().alias("flagged"),
        pl.col("cut").filter(flagged).first().alias("flag_cut"),
        pl.col("touches_after").first().alias("touches_total"),
        pl.col("hours_after").first().alias("hours_total"),
        pl.col("touches_after").filter(flagged).first().fill_null(0).alias("touches_saved"),
        pl.col("hours_after").filter(flagged).first().fill_null(0.0).alias("hours_saved"),
    )


def walk_away_quality(decisions: pl.DataFrame) -> dict[str, Any]:
    """Share flagged, precision, wins sacrificed, effort saved and lead time."""
    flagged, outcome = pl.col("flagged"), pl.col("outcome")
    lost, won = outcome == LOST, outcome == WON
    lead = days_between(pl.col("closed_at"), pl.col("flag_cut"))
    sums = decisions.select(
        pl.len().alias("open_deals"),
        (outcome != OPEN).sum().alias("evaluated"),
        won.sum().alias("won"),
        lost.sum().alias("lost"),
        flagged.sum().alias("flagged"),
        (flagged & (outcome != OPEN)).sum().alias("flagged_known"),
        (flagged & lost).sum().alias("flagged_lost"),
        (flagged & won).sum().alias("wins_sacrificed"),
        pl.col("amount").filter(flagged & won).sum().alias("wins_sacrificed_value"),
        pl.col("touches_saved").filter(flagged & lost).sum().alias("touches_saved"),
        pl.col("touches_total").filter(lost).sum().alias("touches_on_lost"),
        pl.col("hours_saved").filter(flagged & lost).sum().alias("hours_saved"),
        pl.col("hours_total").filter(lost).sum().alias("hours_on_lost"),
        lead.filter(flagged & lost).median().alias("lead_time_days"),
    ).row(0, named=True)
    return _with_ratios(sums)


def _with_ratios(sums: dict[str, Any]) -> dict[str, Any]:
    hours_share = _ratio(sums["hours_saved"] or 0.0, sums["hours_on_lost"] or 0.0)
    touches_share = _ratio(sums["touches_saved"] or 0, sums["touches_on_lost"] or 0)
    lead = sums["lead_time_days"]
    return {
        "open_deals": int(sums["open_deals"]),
        "evaluated": int(sums["evaluated"]),
        "still_open": int(sums["open_deals"] - sums["evaluated"]),
        "won": int(sums["won"]),
        "lost": int(sums["lost"]),
        "flagged": int(sums["flagged"]),
        "share_flagged": _ratio(sums["flagged"], sums["open_deals"]),
        "flagged_lost": int(sums["flagged_lost"]),
        "precision": _ratio(sums["flagged_lost"], sums["flagged_known"]),
        "wins_sacrificed": int(sums["wins_sacrificed"]),
        "wins_sacrificed_value": float(sums["wins_sacrificed_value"] or 0.0),
        "wins_sacrificed_share": _ratio(sums["wins_sacrificed"], sums["won"]),
        "touches_saved": int(sums["touches_saved"] or 0),
        "touches_on_lost": int(sums["touches_on_lost"] or 0),
        "touches_saved_share": touches_share,
        "hours_saved": float(sums["hours_saved"] or 0.0),
        "hours_on_lost": float(sums["hours_on_lost"] or 0.0),
        "hours_saved_share": hours_share,
        "effort_saved_share": hours_share if sums["hours_on_lost"] else touches_share,
        "lead_time_days": None if lead is None else float(lead),
    }


def cut_metrics(rows: pl.DataFrame, method: str, cut: datetime, *, is_probability: bool) -> Metrics:
    """``method`` at one cut (``rows`` holds that cut only)."""
    quality = score_quality(rows, f"p_{method}", is_probability=is_probability)
    walk = walk_away_quality(decisions_at_cut(rows, f"walk_{method}"))
    return Metrics(method=method, cut=cut, **quality, **walk)


def pooled_metrics(rows: pl.DataFrame, method: str, *, is_probability: bool) -> Metrics:
    """``method`` over every cut: scores on all deal-cut rows, walk-aways replayed."""
    quality = score_quality(rows, f"p_{method}", is_probability=is_probability)
    walk = walk_away_quality(replay(rows, f"walk_{method}"))
    return Metrics(method=method, cut=None, **quality, **walk)


def calibration_table(
    rows: pl.DataFrame, method: str, bins: int = CALIBRATION_BINS
) -> pl.DataFrame:
    """Predicted against observed, in ``bins`` equal-width bins of the probability:
    ``method, bin, lower, upper, deals, mean_predicted, observed_win_rate`` (bins with
    no deal are left out)."""
    p = pl.col(f"p_{method}").cast(pl.Float64).clip(0.0, 1.0)
    index = (p * bins).floor().cast(pl.Int64).clip(0, bins - 1)
    return (
        rows.filter(pl.col("outcome") != OPEN)
        .with_columns(index.alias("bin"), p.alias("p"))
        .group_by("bin")
        .agg(
            pl.len().alias("deals"),
            pl.col("p").mean().alias("mean_predicted"),
            (pl.col("outcome") == WON).mean().alias("observed_win_rate"),
        )
        .sort("bin")
        .select(
            pl.lit(method).alias("method"),
            "bin",
            (pl.col("bin") / bins).alias("lower"),
            ((pl.col("bin") + 1) / bins).alias("upper"),
            pl.col("deals").cast(pl.Int64),
            "mean_predicted",
            "observed_win_rate",
        )
    )


CURVE_SCHEMA: dict[str, pl.DataType] = {
    "method": pl.String(),
    "threshold": pl.Float64(),
    "flagged": pl.Int64(),
    "precision": pl.Float64(),
    "effort_saved_share": pl.Float64(),
    "wins_sacrificed_share": pl.Float64(),
    "lost_share_flagged": pl.Float64(),
}


def precision_effort_curve(
    rows: pl.DataFrame, method: str, points: int = CURVE_POINTS
) -> pl.DataFrame:
    """Walk away when ``p_<method>`` is below a threshold, for thresholds at ``points``
    quantiles of the score: precision, effort saved and wins sacrificed (pooled, as
    :func:`replay`). Thresholds that flag nothing are left out."""
    score = rows[f"p_{method}"].cast(pl.Float64).drop_nulls()
    if score.len() == 0:
        return pl.DataFrame(schema=CURVE_SCHEMA)
    levels = np.unique(np.quantile(score.to_numpy(), np.linspace(0, 1, points + 1)))
    # A threshold just above each level flags every deal scored at or below it.
    thresholds = np.nextafter(levels, np.inf)
    records = []
    for threshold in thresholds:
        flag = (pl.col(f"p_{method}") < float(threshold)).alias("walk_curve")
        quality = walk_away_quality(replay(rows.with_columns(flag), "walk_curve"))
        if quality["flagged"]:
            records.append(
                {
                    "method": method,
                    "threshold": float(threshold),
                    "flagged": quality["flagged"],
                    "precision": quality["precision"],
                    "effort_saved_share": quality["effort_saved_share"],
                    "wins_sacrificed_share": quality["wins_sacrificed_share"],
                    "lost_share_flagged": _ratio(quality["flagged_lost"], quality["lost"]),
                }
            )
    return pl.DataFrame(records, schema=CURVE_SCHEMA)
