"""The learned model's features: which ones, how each is encoded, and the design matrix.

A feature reads one of the columns a look (or an open deal) has:

- **signals**: the point-in-time numbers of :mod:`walkaway.signals.frame` (days since the buyer
  last replied, days in stage, touches unanswered, proposals, pushes, discount asked,
  ...), the qualification fields and the stage as categories, and how many exit
  criteria were skipped;
- **flags**: red flags by severity (counts) and, for each rule that fires on at least
  :data:`MIN_FLAG_SHARE` of the training looks, whether it fired;
- **attributes**: the extra columns of the source (``attributes`` JSON), numbers as
  numbers and text with few distinct values as categories (see
  :mod:`walkaway.learning.guard`).

Never features: ``manual_probability`` and ``rep_confidence`` (the rep's own view stays
beside the data's, never inside it), ``hours_invested`` (for a closed deal the field is
its total at the close), ids and names, and the norms (per-stage constants).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any

import numpy as np
import polars as pl

from walkaway.models import QUALIFICATION_VALUES, Severity


class FeatureKind(StrEnum):
    """How a feature is encoded."""

    NUMERIC = "numeric"
    CATEGORICAL = "categorical"


class FeatureSource(StrEnum):
    """Which column of a look a feature reads."""

    SIGNAL = "signal"
    FLAGS = "flags"
    ATTRIBUTE = "attribute"


NUMERIC, CATEGORICAL = FeatureKind.NUMERIC, FeatureKind.CATEGORICAL
SIGNAL, FLAGS, ATTRIBUTE = FeatureSource.SIGNAL, FeatureSource.FLAGS, FeatureSource.ATTRIBUTE
MIN_FLAG_SHARE = 0.01
MIN_CATEGORY_ROWS = 5
MAX_STAGES = 40
MAX_LEVELS = 500

# Numeric signals used as they are, with the words a reason uses for them.
NUMERIC_SIGNALS: Mapping[str, str] = {
    "amount": "deal amount",
    "margin": "margin",
    "days_open": "days open",
    "days_in_stage": "days in stage",
    "days_since_inbound": "days since the buyer replied",
    "days_waiting": "days waiting for a reply",
    "outbound_since_inbound": "touches unanswered",
    "inbound_touches": "replies from the buyer",
    "no_shows": "missed meetings",
    "reschedules": "rescheduled meetings",
    "days_since_last_activity": "days since any activity",
    "proposals_sent": "proposals sent",
    "proposals_unanswered": "proposals unanswered",
    "days_since_proposal": "days since the last proposal",
    "close_date_pushes": "close-date pushes",
    "days_past_close": "days past the expected close",
    "amount_cut": "amount cut",
    "stage_regressions": "moves back a stage",
    "renegotiations": "renegotiations",
    "discount_requested": "discount asked",
    "custom_requests": "custom requests",
    "missing_features": "features the product lacks",
}
CATEGORY_LABELS: Mapping[str, str] = {
    "budget": "Budget",
    "authority": "Authority",
    "champion": "Champion",
    "need": "Need",
    "competitor": "Competitor",
    "stakeholders_aligned": "Stakeholders aligned",
    "fit": "Fit",
    "potential": "Account potential",
}
# Fields recorded once per deal (as they stood at the export): the leak guards check them.
STATIC_SIGNALS = (
    "owner",
    "amount",
    "margin",
    "discount_requested",
    "custom_requests",
    "missing_features",
    *CATEGORY_LABELS,
)


@dataclass(frozen=True)
class Feature:
    """One column of the design matrix: where it comes from and how it is encoded."""

    name: str  # the booster's feature name
    source: FeatureSource
    column: str  # the signal column, flag code or count column, or the attribute key
    kind: FeatureKind
    label: str  # words for the reasons
    categories: tuple[str, ...] = ()  # categorical: code i means categories[i]

    def to_dict(self) -> dict[str, object]:
        return {**asdict(self), "categories": list(self.categories)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Feature:
        return cls(
            name=str(data["name"]),
            source=FeatureSource(data["source"]),
            column=str(data["column"]),
            kind=FeatureKind(data["kind"]),
            label=str(data["label"]),
            categories=tuple(str(c) for c in data.get("categories") or ()),
        )


@dataclass(frozen=True)
class Exclusion:
    """A candidate feature left out, and why (shown on the model card)."""

    name: str
    reason: str


def signal_features(rows: pl.DataFrame) -> list[Feature]:
    """Numeric signals, categorical fields, the stage, the rep, skipped steps and flag
    counts (``rows``: the training looks)."""
    features = [Feature(c, SIGNAL, c, NUMERIC, label) for c, label in NUMERIC_SIGNALS.items()]
    features.append(Feature("skipped_steps", SIGNAL, "skipped_steps", NUMERIC, "skipped steps"))
    features += [
        Feature(c, SIGNAL, c, CATEGORICAL, label, QUALIFICATION_VALUES[c])
        for c, label in CATEGORY_LABELS.items()
    ]
    stages = frequent_levels(rows["stage_key"], MAX_STAGES) if rows.height else ()
    features.append(Feature("stage", SIGNAL, "stage_key", CATEGORICAL, "Stage", stages))
    deals = rows.unique("deal_id", keep="first") if rows.height else rows
    owners = frequent_levels(deals["owner"]) if "owner" in deals.columns else ()
    features.append(Feature("owner", SIGNAL, "owner", CATEGORICAL, "Rep", owners))
    features += [
        Feature(f"flags_{s.value}", FLAGS, f"flags_{s.value}", NUMERIC, f"{s.value} red flags")
        for s in Severity
    ]
    return features


def flag_code_features(rows: pl.DataFrame) -> list[Feature]:
    """One yes/no feature per rule firing on at least :data:`MIN_FLAG_SHARE` of looks."""
    if rows.height == 0:
        return []
    counts = rows.select(pl.col("flag_codes").explode().drop_nulls().value_counts()).unnest(
        "flag_codes"
    )
    least = max(MIN_CATEGORY_ROWS, MIN_FLAG_SHARE * rows.height)
    codes = sorted(counts.filter(pl.col("count") >= least)["flag_codes"].to_list())
    return [Feature(f"flag_{c}", FLAGS, c, NUMERIC, c.replace("_", " ")) for c in codes]


def frequent_levels(values: pl.Series, most: int = MAX_LEVELS) -> tuple[str, ...]:
    """Values seen on at least :data:`MIN_CATEGORY_ROWS` rows, most common first (ties
    by value, so the same data gives the same codes)."""
    filled = values.drop_nulls().cast(pl.String).rename("level")
    if filled.len() == 0:
        return ()
    counts = filled.value_counts(name="n").sort(["n", "level"], descending=[True, False])
    kept = counts.filter(pl.col("n") >= MIN_CATEGORY_ROWS).head(most)
    return tuple(str(v) for v in kept["level"].to_list())


def attribute_name(key: str, taken: Sequence[str] = ()) -> str:
    """A booster-safe feature name for an attribute key (unique among ``taken``)."""
    base = "attr_" + (re.sub(r"[^0-9A-Za-z_]+", "_", key).strip("_") or "x")
    name, i = base, 2
    while name in taken:
        name, i = f"{base}_{i}", i + 1
    return name


def attribute_text(key: str, column: str = "attributes") -> pl.Expr:
    """The attribute's value as text (null when absent), from the JSON column."""
    return pl.col(column).str.json_path_match(f"$[{json.dumps(key)}]")


def _encoded(feature: Feature) -> pl.Expr:
    if feature.source == ATTRIBUTE:
        raw = attribute_text(feature.column)
    elif feature.column == "skipped_steps":
        raw = pl.col("skipped_steps").list.len()
    elif feature.source == FLAGS and not feature.column.startswith("flags_"):
        raw = pl.col("flag_codes").list.contains(feature.column)
    else:
        raw = pl.col(feature.column)
    if feature.kind == CATEGORICAL:
        codes = {value: float(i) for i, value in enumerate(feature.categories)}
        raw = raw.cast(pl.String).replace_strict(codes, default=None, return_dtype=pl.Float64)
    return raw.cast(pl.Float64, strict=False).alias(feature.name)


def design_frame(frame: pl.DataFrame, features: Sequence[Feature]) -> pl.DataFrame:
    """The features of every row of ``frame`` (a look, or a deal's signals with its
    ``flags_*``, ``flag_codes`` and ``attributes``), as Float64 columns (null: unknown)."""
    return frame.select([_encoded(f) for f in features])


def design_matrix(frame: pl.DataFrame, features: Sequence[Feature]) -> np.ndarray:
    """:func:`design_frame` as a float matrix (NaN: unknown), one column per feature."""
    if not features:
        return np.zeros((frame.height, 0))
    return design_frame(frame, features).to_numpy().astype(np.float64)
