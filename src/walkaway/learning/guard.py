"""Which columns become features, and the guards against the ones that give the outcome away.

**Attributes** (the extra columns of the source, as JSON on each deal):

- a key named like a probability (``crm_probability``, ``Probability (%)``) is never
  used: a CRM sets it to 100% or 0% when a deal closes, and ``manual_probability`` is the
  rep's own number;
- a key the user names (``walkaway train --exclude-attribute NAME``) is left out;
- a key filled in on fewer than :data:`MIN_FILLED` of the closed deals is left out;
- **identifiers are left out**, however they are dressed, judged on the name and on how
  unique the values are (never on how they relate to the outcome: a running number
  follows time, and time follows the win rate): a key named like one (``id``, ``no``,
  ``number``, ``code``, ``ref``, ...) with more than :data:`ID_NAMED_VALUES` values; text
  with a value of its own on more than :data:`ID_SHARE` of the closed deals (a client
  column with one client per deal, or free text); whole numbers that are nearly all
  different (:data:`RUNNING_SHARE`) and packed densely over their range (a running
  number). A measurement keeps its place: a count of seconds repeats its values;
- numbers (at least :data:`NUMERIC_SHARE` of the filled values read as one) are numeric
  features; other text is a category of up to
  :data:`~walkaway.learning.features.MAX_LEVELS` values, each seen on
  :data:`~walkaway.learning.features.MIN_CATEGORY_ROWS` closed deals or more (rarer
  values count as unknown). The scorers shrink every level towards the others (L2 on the
  logistic's one-hot columns, LightGBM's smoothing of categories), so a column of 278 bid
  managers is a shrunk effect per manager, not 278 guesses.

The rep (``owner``) is a category too, shrunk the same way.

**Leak guards** on the fields recorded once per deal (attributes, the rep, the amount,
margin, discount, the qualification fields), which the export gives as they stood at the
export, often at the close:

- **by availability**: the field is compared between the closed deals learned from and
  the open deals the model will score. Filled on the closed deals but (nearly) never on
  the open ones, or distributed so differently that it alone tells a closed deal from an
  open one (AUC at least :data:`AVAILABILITY_AUC`), it was set at the close or later:
  left out, and the card names it with the figures. Skipped with fewer than
  :data:`MIN_OPEN_DEALS` open deals (a closed-only export);
- **by separation**: a field that alone tells won from lost almost perfectly (AUC at
  least :data:`SEPARATION_AUC`; a category scored by its smoothed win rate out of fold,
  so that a column of many small levels is not mistaken for one) is left out as
  "recorded after the outcome?": sales data has no honest field that good.
  ``walkaway train --keep-attribute NAME`` keeps such a field on purpose.

``days_past_close`` is never learned from: the expected close date moves during a
deal's life and the source keeps only its last value (for a won deal, about the day it
was won). Features with a single value in the training looks are dropped as constant.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Sequence

import numpy as np
import polars as pl
from sklearn.metrics import roc_auc_score

from walkaway.learning.features import (
    ATTRIBUTE,
    CATEGORICAL,
    NUMERIC,
    STATIC_SIGNALS,
    Exclusion,
    Feature,
    attribute_name,
    attribute_text,
    frequent_levels,
)

SEPARATION_AUC = 0.90
AVAILABILITY_AUC = 0.85
MIN_OPEN_DEALS = 20
CLOSE_ONLY_FILLED = 0.25  # filled on at least this share of the closed deals ...
CLOSE_ONLY_OPEN = 0.1  # ... and on less than this fraction of that share of the open ones
MIN_FILLED = 0.05
NUMERIC_SHARE = 0.95
ID_SHARE = 0.5
ID_MIN_VALUES = 10
ID_NAMED_VALUES = 10
RUNNING_SHARE = 0.9
DENSE_SPAN = 3.0
OUT_OF_FOLD = 5
ID_NAME = re.compile(
    r"(^|[^a-z])(id|ids|no|nr|num|number|code|key|ref|reference|uuid|guid)$", re.IGNORECASE
)
SMOOTHING = 10.0  # deals' worth of the overall rate mixed into a category's rate
PROBABILITY_KEY = re.compile(r"probab", re.IGNORECASE)

USER = "excluded by the user (--exclude-attribute)"
PROBABILITY = "a probability set by the CRM or a person (100% or 0% once closed): never used"


def attribute_keys(attributes: pl.Series) -> list[str]:
    """Every key found in the JSON attributes, sorted."""
    keys: set[str] = set()
    for text in attributes.drop_nulls().unique().to_list():
        try:
            value = json.loads(text)
        except ValueError:
            continue
        if isinstance(value, dict):
            keys.update(str(k) for k in value)
    return sorted(keys)


def attribute_features(
    deals: pl.DataFrame, exclude: Collection[str]
) -> tuple[list[Feature], list[Exclusion]]:
    """Attribute features from one row per closed deal (``attributes``)."""
    excluded = {e.strip().lower() for e in exclude}
    features: list[Feature] = []
    exclusions: list[Exclusion] = []
    for key in attribute_keys(deals["attributes"]):
        if key.lower() in excluded:
            exclusions.append(Exclusion(key, USER))
        elif PROBABILITY_KEY.search(key):
            exclusions.append(Exclusion(key, PROBABILITY))
        else:
            found = _classified(key, deals, [f.name for f in features])
            if isinstance(found, Feature):
                features.append(found)
            else:
                exclusions.append(found)
    return features, exclusions


def _classified(key: str, deals: pl.DataFrame, taken: Sequence[str]) -> Feature | Exclusion:
    text = deals.select(attribute_text(key).alias("v"))["v"]
    filled = text.drop_nulls()
    name = attribute_name(key, taken)
    if filled.len() < MIN_FILLED * max(deals.height, 1):
        return Exclusion(key, f"filled in on {filled.len()} of {deals.height} closed deals")
    identifier = _identifier(key, filled)
    if identifier:
        return Exclusion(key, identifier)
    numbers = filled.cast(pl.Float64, strict=False)
    if numbers.drop_nulls().len() >= NUMERIC_SHARE * filled.len():
        return Feature(name, ATTRIBUTE, key, NUMERIC, _label(key))
    return Feature(name, ATTRIBUTE, key, CATEGORICAL, _label(key), frequent_levels(filled))


def _identifier(key: str, filled: pl.Series) -> str | None:
    """Why the column is an identifier in disguise (module docstring), or None."""
    distinct = filled.n_unique()
    if ID_NAME.search(key.strip()) and distinct > ID_NAMED_VALUES:
        return f"named like an identifier, {distinct} distinct values: left out"
    numbers = filled.cast(pl.Float64, strict=False).drop_nulls()
    is_number = numbers.len() >= NUMERIC_SHARE * filled.len()
    if not is_number and distinct > ID_MIN_VALUES and distinct > ID_SHARE * filled.len():
        return (
            f"an identifier or free text: {distinct} distinct values over {filled.len()} "
            "closed deals (nearly one each): left out"
        )
    whole = numbers.len() == filled.len() and bool((numbers == numbers.round(0)).all())
    if whole and distinct > ID_MIN_VALUES and distinct >= RUNNING_SHARE * filled.len():
        span = float(numbers.max() - numbers.min()) + 1.0  # type: ignore[operator,arg-type]
        if span < DENSE_SPAN * distinct:
            return (
                f"a running number: {distinct} whole numbers, nearly one per deal, packed "
                f"over {span:,.0f} (an identifier in disguise): left out"
            )
    return None


def _label(key: str) -> str:
    words = key.replace("_", " ").strip()
    return words[:1].upper() + words[1:]


# -- how well one column tells two groups apart ------------------------------------------


def raw_values(frame: pl.DataFrame, feature: Feature) -> pl.Series:
    """The feature's values on a deals frame as the source gave them: numbers as Float64,
    categories as text (null: not filled)."""
    expr = attribute_text(feature.column) if feature.source == ATTRIBUTE else pl.col(feature.column)
    if feature.kind == NUMERIC:
        expr = expr.cast(pl.String).cast(pl.Float64, strict=False)
    else:
        expr = expr.cast(pl.String)
    return frame.select(expr.alias("value"))["value"]


def telling_auc(values: pl.Series, label: np.ndarray) -> float:
    """How well one column alone tells ``label`` 1 from 0 (0.5: not at all, 1: perfectly).

    Numbers rank by value, unknown below every known one; text ranks by its level's
    smoothed share of 1s, each row's share learned on the other folds of the rows
    (:data:`OUT_OF_FOLD`), so that rare levels tell nothing by being rare."""
    if np.unique(label).size < 2:
        return 0.5
    if values.dtype == pl.Float64:
        numbers = values.to_numpy().astype(np.float64)
        finite = numbers[np.isfinite(numbers)]
        low = float(finite.min()) - 1.0 if finite.size else 0.0
        score = np.where(np.isfinite(numbers), numbers, low)
    else:
        score = out_of_fold_rates(values, label)
    auc = float(roc_auc_score(label, score))
    return max(auc, 1.0 - auc)


def out_of_fold_rates(values: pl.Series, label: np.ndarray) -> np.ndarray:
    """Each row's level's share of 1s, smoothed towards the overall share by
    :data:`SMOOTHING` rows and counted without the row's own fold (unknown is a level)."""
    overall = float(label.mean())
    frame = pl.DataFrame(
        {
            "level": values.cast(pl.String).fill_null("\x00unknown"),
            "y": label.astype(np.float64),
            "fold": np.arange(label.size) % OUT_OF_FOLD,
        }
    )
    level = frame.group_by("level").agg(pl.len().alias("n"), pl.col("y").sum().alias("s"))
    own = frame.group_by("level", "fold").agg(
        pl.len().alias("n_own"), pl.col("y").sum().alias("s_own")
    )
    rates = (
        frame.join(level, on="level", how="left", maintain_order="left")
        .join(own, on=["level", "fold"], how="left", maintain_order="left")
        .select(
            (pl.col("s") - pl.col("s_own") + SMOOTHING * overall)
            / (pl.col("n") - pl.col("n_own") + SMOOTHING)
        )
    )
    result: np.ndarray = rates.to_series().to_numpy()
    return result


def static_features(features: Sequence[Feature]) -> list[Feature]:
    """The features read from a field recorded once per deal (what the guards check)."""
    return [f for f in features if f.source == ATTRIBUTE or f.column in STATIC_SIGNALS]


def leak_guard(
    closed: pl.DataFrame,
    open_deals: pl.DataFrame,
    features: Sequence[Feature],
    keep: Collection[str] = (),
) -> tuple[list[Feature], list[Exclusion]]:
    """The features without the static ones that leak (module docstring): ``closed`` is
    one row per closed deal learned from, with ``won``; ``open_deals`` the deals the model
    will score; ``keep`` names fields kept whatever the guards say."""
    kept_on_purpose = {k.strip().lower() for k in keep}
    won = closed["won"].to_numpy().astype(np.int64)
    compare = open_deals.height >= MIN_OPEN_DEALS
    leaking: dict[str, Exclusion] = {}
    for feature in static_features(features):
        shown = _shown(feature)
        if shown.lower() in kept_on_purpose:
            continue
        values = raw_values(closed, feature)
        why = _set_at_close(values, raw_values(open_deals, feature)) if compare else None
        if why is None:
            auc = telling_auc(values, won)
            if auc >= SEPARATION_AUC:
                why = (
                    f"recorded after the outcome? alone it tells won from lost (AUC {auc:.2f}); "
                    f"`walkaway train --keep-attribute {shown}` keeps it"
                )
        if why is not None:
            leaking[feature.name] = Exclusion(shown, why)
    kept = [f for f in features if f.name not in leaking]
    return kept, list(leaking.values())


def _set_at_close(closed: pl.Series, open_values: pl.Series) -> str | None:
    """Why a field looks set at the close, compared on the open deals, or None."""
    filled_closed = 1.0 - closed.null_count() / max(closed.len(), 1)
    filled_open = 1.0 - open_values.null_count() / max(open_values.len(), 1)
    if filled_closed >= CLOSE_ONLY_FILLED and filled_open < CLOSE_ONLY_OPEN * filled_closed:
        return (
            f"filled on {filled_closed:.0%} of the closed deals, {filled_open:.0%} of the open "
            "ones: set at the close?"
        )
    both = pl.concat([closed, open_values])
    group = np.concatenate([np.zeros(closed.len()), np.ones(open_values.len())])
    auc = telling_auc(both, group.astype(np.int64))
    if auc >= AVAILABILITY_AUC:
        return (
            f"its values on the open deals differ from the closed ones' (AUC {auc:.2f} "
            "between them): recorded later?"
        )
    return None


def _shown(feature: Feature) -> str:
    return feature.column if feature.source == ATTRIBUTE else feature.name


def moving_fields() -> list[Exclusion]:
    """Signals left out because the source keeps only their last value."""
    return [
        Exclusion(
            "days_past_close",
            "a closed deal's expected close date is its last value, moved after the "
            "looks: not known at the time",
        )
    ]


def constant_guard(
    matrix: np.ndarray, features: Sequence[Feature]
) -> tuple[list[Feature], list[Exclusion]]:
    """Drop features with at most one distinct value (missing counts as a value)."""
    kept: list[Feature] = []
    dropped: list[Exclusion] = []
    for i, feature in enumerate(features):
        column = np.nan_to_num(matrix[:, i], nan=-1e300)
        if matrix.shape[0] and np.unique(column).size > 1:
            kept.append(feature)
        else:
            dropped.append(Exclusion(_shown(feature), "the same on every training look"))
    return kept, dropped
