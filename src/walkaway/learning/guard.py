"""Which extra columns become features, and the guard against columns that leak the outcome.

**Attributes** (the extra columns of the source, as JSON on each deal):

- a key named like a probability (``crm_probability``, ``Probability (%)``) is never
  used: a CRM sets it to 100% or 0% when a deal closes, and ``manual_probability`` is the
  rep's own number;
- a key the user names (``walkaway train --exclude-attribute NAME``) is left out;
- a key filled in on fewer than :data:`MIN_FILLED` of the closed deals is left out;
- **identifiers are left out**, however they are dressed: a key named like one (``id``,
  ``no``, ``number``, ``code``, ``ref``, ...) with more than :data:`ID_NAMED_VALUES`
  values; text nearly unique per deal (more than :data:`ID_SHARE` of the closed deals
  have a value of their own, beyond :data:`ID_MIN_VALUES` values) — a client column with
  one client per deal; whole numbers packed densely over their range (a running number:
  the range spans less than :data:`DENSE_SPAN` times the distinct values, beyond
  :data:`MAX_CATEGORIES` of them). Each model learned from such a column finds patterns
  that no new deal will repeat;
- numbers (at least :data:`NUMERIC_SHARE` of the filled values read as one) are numeric
  features; other text is a category when it has at most :data:`MAX_CATEGORIES` distinct
  values, each seen on :data:`~walkaway.learning.features.MIN_CATEGORY_ROWS` closed deals
  or more (rarer values count as unknown), and is left out otherwise (free text).

**Leak guard.** A field recorded once per deal (an attribute, the amount, margin,
discount, the qualification fields) is what the export says, often as it was at the
close. One that separates won from lost deals almost perfectly on its own (AUC above
:data:`LEAK_AUC` over the closed deals, a category scored by its smoothed win rate) is
dropped and named on the model card: no honest field predicts so well.
``days_past_close`` is never learned from: the expected close date moves during a
deal's life and the source keeps only its last value (for a won deal, about the day
it was won). Features with a single value in the training looks are dropped as
constant.
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
    MIN_CATEGORY_ROWS,
    NUMERIC,
    STATIC_SIGNALS,
    Exclusion,
    Feature,
    attribute_name,
    attribute_text,
    design_matrix,
)

LEAK_AUC = 0.98
MIN_FILLED = 0.05
NUMERIC_SHARE = 0.95
MAX_CATEGORIES = 30
ID_SHARE = 0.5
ID_MIN_VALUES = 10
ID_NAMED_VALUES = 10
DENSE_SPAN = 3.0
ID_NAME = re.compile(
    r"(^|[^a-z])(id|ids|no|nr|num|number|code|key|ref|reference|uuid|guid)$", re.IGNORECASE
)
SMOOTHING = 10.0  # deals' worth of the overall win rate mixed into a category's rate
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
    distinct = filled.n_unique()
    if distinct > MAX_CATEGORIES:
        return Exclusion(key, f"text with {distinct} distinct values (free text)")
    counts = filled.value_counts(sort=True)
    kept = counts.filter(pl.col("count") >= MIN_CATEGORY_ROWS)["v"].to_list()
    return Feature(name, ATTRIBUTE, key, CATEGORICAL, _label(key), tuple(kept))


def _identifier(key: str, filled: pl.Series) -> str | None:
    """Why the column is an identifier in disguise (module docstring), or None."""
    distinct = filled.n_unique()
    if ID_NAME.search(key.strip()) and distinct > ID_NAMED_VALUES:
        return f"named like an identifier, {distinct} distinct values: left out"
    numbers = filled.cast(pl.Float64, strict=False).drop_nulls()
    is_number = numbers.len() >= NUMERIC_SHARE * filled.len()
    if not is_number and distinct > ID_MIN_VALUES and distinct > ID_SHARE * filled.len():
        return (
            f"an identifier in disguise: {distinct} distinct values over {filled.len()} "
            "closed deals (nearly one each): left out"
        )
    whole = numbers.len() == filled.len() and bool((numbers == numbers.round(0)).all())
    if whole and distinct > MAX_CATEGORIES:
        span = float(numbers.max() - numbers.min()) + 1.0  # type: ignore[operator,arg-type]
        if span < DENSE_SPAN * distinct:
            return (
                f"a running number: {distinct} whole numbers packed over {span:,.0f} "
                "(an identifier in disguise): left out"
            )
    return None


def _label(key: str) -> str:
    words = key.replace("_", " ").strip()
    return words[:1].upper() + words[1:]


def separation_auc(values: np.ndarray, won: np.ndarray, categorical: bool) -> float:
    """How well one field alone tells won from lost (0.5: not at all, 1: perfectly)."""
    if len(np.unique(won)) < 2:
        return 0.5
    if categorical:
        score = _smoothed_rates(values, won)
    else:
        finite = values[np.isfinite(values)]
        low = float(finite.min()) - 1.0 if finite.size else 0.0
        score = np.where(np.isfinite(values), values, low)
    auc = float(roc_auc_score(won, score))
    return max(auc, 1.0 - auc)


def _smoothed_rates(values: np.ndarray, won: np.ndarray) -> np.ndarray:
    codes = np.where(np.isfinite(values), values, -1.0)
    overall = float(won.mean())
    score = np.empty_like(codes)
    for code in np.unique(codes):
        mask = codes == code
        score[mask] = (won[mask].sum() + SMOOTHING * overall) / (mask.sum() + SMOOTHING)
    return score


def leak_guard(
    deals: pl.DataFrame, features: Sequence[Feature]
) -> tuple[list[Feature], list[Exclusion]]:
    """Drop static fields that separate won from lost on their own (AUC > LEAK_AUC);
    ``deals`` is one look per closed deal, with ``won``."""
    static = [f for f in features if f.source == ATTRIBUTE or f.column in STATIC_SIGNALS]
    won = deals["won"].to_numpy().astype(np.int64)
    matrix = design_matrix(deals, static)
    leaking: dict[str, Exclusion] = {}
    for i, feature in enumerate(static):
        auc = separation_auc(matrix[:, i], won, feature.kind == CATEGORICAL)
        if auc > LEAK_AUC:
            reason = f"leak guard: tells won from lost on its own (AUC {auc:.3f})"
            leaking[feature.name] = Exclusion(_shown(feature), reason)
    kept = [f for f in features if f.name not in leaking]
    return kept, list(leaking.values())


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
