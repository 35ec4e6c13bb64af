"""Reasons for and against, from the learned model's own per-feature contributions.

LightGBM splits every score (log-odds) into one contribution per feature plus a bias
(``pred_contrib``). A feature that pushes a deal's score up is a reason **for**, one
that pushes it down a reason **against**; each side lists at most :data:`MAX_REASONS`,
the largest push first, and leaves out pushes that move the *calibrated* log-odds by
less than :data:`MIN_EFFECT` (a flat calibrator, as on data without signal, leaves no
learned reason at all). Each becomes a
sentence with the deal's own number and, where there is one, what won deals looked
like: the team's norms from the signals (reply time, days in the stage) or else the
median of the won training looks in the same stage (the whole team when a stage has
fewer than :data:`MIN_REFERENCE_LOOKS` of them).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import polars as pl

from walkaway.learning.features import ATTRIBUTE, CATEGORICAL, FLAGS, NUMERIC, Feature
from walkaway.learning.wording import FOR, sentence

MAX_REASONS = 4
MIN_EFFECT = 0.02
MIN_REFERENCE_LOOKS = 30
ALL_STAGES = "*"
AGAINST = "against"
EMPTY = pl.lit([], dtype=pl.List(pl.String))

References = Mapping[str, Mapping[str, float]]
EXPLAINED: dict[str, pl.DataType] = {
    "row": pl.Int64(),
    "deal_id": pl.String(),
    "name": pl.String(),
    "contribution": pl.Float64(),
    "side": pl.String(),
    "rank": pl.Int64(),
    "sentence": pl.String(),
}


def won_references(
    rows: pl.DataFrame, design: pl.DataFrame, features: Sequence[Feature]
) -> dict[str, dict[str, float]]:
    """Median of each numeric feature over the won looks: per stage and for all."""
    numeric = [f.name for f in features if f.kind == NUMERIC]
    if not numeric or rows.height == 0:
        return {name: {} for name in numeric}
    won = (
        design.select(numeric)
        .with_columns(rows["stage_key"].fill_null(ALL_STAGES).alias("__stage"))
        .filter(rows["won"] == 1)
    )
    result: dict[str, dict[str, float]] = {name: {} for name in numeric}
    overall = won.select(pl.col(numeric).median())
    per_stage = won.group_by("__stage").agg(pl.len().alias("__n"), pl.col(numeric).median())
    per_stage = per_stage.filter(pl.col("__n") >= MIN_REFERENCE_LOOKS)
    for name in numeric:
        value = overall[name][0] if overall.height else None
        if value is not None:
            result[name][ALL_STAGES] = float(value)
        for stage, median in per_stage.select("__stage", name).iter_rows():
            if median is not None and stage != ALL_STAGES:
                result[name][stage] = float(median)
    return result


def top_contributions(contrib: np.ndarray, scale: float) -> pl.DataFrame:
    """``row, feature, contribution, side, rank`` of the strongest pushes per row; a push
    counts when its effect on the calibrated log-odds (``scale`` x contribution) is at
    least :data:`MIN_EFFECT`."""
    effects = contrib[:, :-1]
    parts = []
    for side, sign in ((FOR, 1.0), (AGAINST, -1.0)):
        order = np.argsort(-sign * effects, axis=1, kind="stable")[:, :MAX_REASONS]
        picked = np.take_along_axis(effects, order, axis=1)
        rows = np.repeat(np.arange(effects.shape[0]), order.shape[1])
        ranks = np.tile(np.arange(order.shape[1]), effects.shape[0])
        frame = pl.DataFrame(
            {
                "row": rows.astype(np.int64),
                "feature": order.ravel().astype(np.int64),
                "contribution": picked.ravel(),
                "side": side,
                "rank": ranks.astype(np.int64),
            }
        )
        parts.append(frame.filter(pl.col("contribution") * sign * scale >= MIN_EFFECT))
    return pl.concat(parts)


def explain(
    contrib: np.ndarray,
    values: np.ndarray,
    context: pl.DataFrame,
    flags: pl.DataFrame,
    features: Sequence[Feature],
    references: References,
    scale: float,
) -> pl.DataFrame:
    """``deal_id, feature, contribution, side, rank, sentence`` for the strongest pushes.

    ``values`` is the design matrix, ``context`` the signals of the same rows, ``scale``
    the calibrator's log-odds per unit of score."""
    top = top_contributions(contrib, scale)
    if top.height == 0:
        return pl.DataFrame(schema=EXPLAINED)
    picked = values[top["row"].to_numpy(), top["feature"].to_numpy()]
    top = top.with_columns(pl.Series("value", picked).fill_nan(None))
    ctx = context.select(
        pl.int_range(pl.len(), dtype=pl.Int64).alias("row"),
        "deal_id",
        "stage",
        pl.col("stage_key").fill_null(ALL_STAGES),
        "currency",
        "team_reply_gap",
        "stage_norm_median",
    )
    top = top.join(_meta(features), on="feature").join(ctx, on="row")
    top = top.join(_categories(features), on=["feature", "value"], how="left")
    top = _with_reference(top, references)
    evidence = flags.select("deal_id", pl.col("code").alias("flag_code"), "evidence").unique(
        ["deal_id", "flag_code"], keep="first"
    )
    top = top.join(evidence, on=["deal_id", "flag_code"], how="left")
    return top.sort("row", "side", "rank", descending=[False, True, False]).select(
        "row", "deal_id", "name", "contribution", "side", "rank", sentence().alias("sentence")
    )


def reason_lists(explained: pl.DataFrame, deal_ids: pl.Series) -> pl.DataFrame:
    """``deal_id, reasons_for, reasons_against`` in the order of ``deal_ids``."""
    sides = explained.group_by("row", maintain_order=True).agg(
        pl.col("sentence").filter(pl.col("side") == FOR).alias("reasons_for"),
        pl.col("sentence").filter(pl.col("side") == AGAINST).alias("reasons_against"),
    )
    base = deal_ids.to_frame("deal_id").with_columns(
        pl.int_range(pl.len(), dtype=pl.Int64).alias("row")
    )
    return (
        base.join(sides, on="row", how="left", maintain_order="left")
        .with_columns(pl.col("reasons_for", "reasons_against").fill_null(EMPTY))
        .drop("row")
    )


def _meta(features: Sequence[Feature]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "feature": list(range(len(features))),
            "name": [f.name for f in features],
            "template": [_template(f) for f in features],
            "label": [f.label for f in features],
            "flag_code": [f.column if _template(f) == "flag" else None for f in features],
        },
        schema={
            "feature": pl.Int64,
            "name": pl.String,
            "template": pl.String,
            "label": pl.String,
            "flag_code": pl.String,
        },
    )


def _template(feature: Feature) -> str:
    if feature.source == ATTRIBUTE:
        return "attribute_category" if feature.kind == CATEGORICAL else "attribute_number"
    if feature.source == FLAGS:
        return "flag_count" if feature.column.startswith("flags_") else "flag"
    if feature.kind == CATEGORICAL:
        return feature.name if feature.name in ("stage", "owner") else "category"
    return feature.name


def _categories(features: Sequence[Feature]) -> pl.DataFrame:
    rows = [
        (i, float(code), value.replace("_", " "))
        for i, f in enumerate(features)
        if f.kind == CATEGORICAL
        for code, value in enumerate(f.categories)
    ]
    return pl.DataFrame(
        rows, schema={"feature": pl.Int64, "value": pl.Float64, "category": pl.String}, orient="row"
    )


def _with_reference(top: pl.DataFrame, references: References) -> pl.DataFrame:
    table = pl.DataFrame(
        [(name, stage, value) for name, by in references.items() for stage, value in by.items()],
        schema={"name": pl.String, "stage_key": pl.String, "ref": pl.Float64},
        orient="row",
    )
    overall = table.filter(pl.col("stage_key") == ALL_STAGES).drop("stage_key")
    return (
        top.join(table, on=["name", "stage_key"], how="left")
        .join(overall.rename({"ref": "ref_all"}), on="name", how="left")
        .with_columns(pl.coalesce("ref", "ref_all").alias("ref"))
        .drop("ref_all")
    )
