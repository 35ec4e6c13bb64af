"""The two kinds of learned scorer, behind one interface: regularised logistic, boosting.

A scorer turns a design matrix (:func:`walkaway.learning.features.design_matrix`: one
column per feature, NaN for unknown, categories as codes) into a score on the log-odds
scale, splits every score into one contribution per feature plus a bias (the reasons are
made from them), and stores itself as plain data.

- :class:`LinearScorer`: L2-regularised logistic regression (scikit-learn). Categories
  become one column per category; numbers are squashed (``sign(x) log(1 + |x|)``: days
  and counts have long tails), standardised and, where unknown, set to the mean with a
  column saying so. A feature's contribution is its columns' share of the score against
  the average look. Suits a few hundred deals.
- :class:`BoosterScorer`: LightGBM (deterministic, 1 thread). Its contributions are
  LightGBM's own ``pred_contrib``. Suits thousands.

LightGBM (:class:`BoosterScorer`) is grown per validation split while the split's test
looks improve (at most :data:`MAX_ROUNDS` trees, stopping after :data:`PATIENCE` without
progress); the number of trees with the least log loss summed over the splits is used
everywhere: for each split's out-of-sample scores and for the final booster, refitted on
every look. It is regularised (L2, row and feature subsampling, 63 bins, a minimum of
looks per leaf that grows with the data, smoothed categories) and deterministic: fixed
seed, ``deterministic=True``, one thread.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Protocol, Self

import lightgbm as lgb
import numpy as np

from walkaway import lazy
from walkaway.learning.features import CATEGORICAL, NUMERIC, Feature, FeatureKind
from walkaway.learning.folds import SEED

if TYPE_CHECKING:
    from sklearn import linear_model
else:
    linear_model = lazy.module("sklearn.linear_model")

MAX_ROUNDS = 400
PATIENCE = 40
MIN_ROUNDS = 10
THREADS = 1


class ScorerKind(StrEnum):
    """The two kinds of learned scorer."""

    LINEAR = "logistic"
    BOOSTER = "boosting"


LINEAR, BOOSTER = ScorerKind.LINEAR, ScorerKind.BOOSTER


class Scorer(Protocol):
    kind: ScorerKind

    def raw(self, x: np.ndarray) -> np.ndarray: ...

    def contributions(self, x: np.ndarray) -> np.ndarray: ...

    def importance(self) -> dict[str, float]: ...

    def to_state(self) -> dict[str, Any]: ...


@dataclass(frozen=True)
class Encoding:
    """How one feature becomes columns of the linear model."""

    kind: FeatureKind
    categories: int = 0  # categorical: codes 0..categories-1
    centre: float = 0.0  # numeric: mean of the squashed values
    scale: float = 1.0
    missing_column: bool = False


def _squash(x: np.ndarray) -> np.ndarray:
    out: np.ndarray = np.sign(x) * np.log1p(np.abs(x))
    return out


class LinearScorer:
    """L2-regularised logistic regression on encoded features (module docstring)."""

    kind = LINEAR

    def __init__(self, features: Sequence[Feature], strength: float) -> None:
        self.features = tuple(features)
        self.strength = strength  # scikit-learn's C: smaller is more regularised

    def fit(self, x: np.ndarray, y: np.ndarray, weight: np.ndarray) -> Self:
        self.encodings_ = [_encoding(f, x[:, i]) for i, f in enumerate(self.features)]
        encoded = self._encoded(x)
        model = linear_model.LogisticRegression(C=self.strength, max_iter=1000)
        model.fit(encoded, y, sample_weight=weight / weight.mean())
        self.coef_ = np.asarray(model.coef_[0], dtype=np.float64)
        self.intercept_ = float(model.intercept_[0])
        return self

    def _blocks(self, x: np.ndarray) -> list[np.ndarray]:
        blocks = []
        for i, e in enumerate(self.encodings_):
            column = x[:, i]
            if e.kind == CATEGORICAL:
                codes = np.where(np.isfinite(column), column, -1).astype(np.int64)
                blocks.append((codes[:, None] == np.arange(e.categories)[None, :]).astype(float))
                continue
            known = np.isfinite(column)
            value = np.where(known, (_squash(np.where(known, column, 0.0)) - e.centre) / e.scale, 0)
            parts = [np.clip(value, -5.0, 5.0)[:, None]]
            if e.missing_column:
                parts.append((~known).astype(float)[:, None])
            blocks.append(np.hstack(parts))
        return blocks

    def _encoded(self, x: np.ndarray) -> np.ndarray:
        blocks = self._blocks(x)
        return np.hstack(blocks) if blocks else np.zeros((x.shape[0], 0))

    def raw(self, x: np.ndarray) -> np.ndarray:
        if x.shape[0] == 0:
            return np.zeros(0)
        result: np.ndarray = self._encoded(x) @ self.coef_ + self.intercept_
        return result

    def contributions(self, x: np.ndarray) -> np.ndarray:
        """Per feature (its columns' coefficients times values) and, last, the bias."""
        out = np.zeros((x.shape[0], len(self.features) + 1))
        start = 0
        for i, block in enumerate(self._blocks(x)):
            width = block.shape[1]
            out[:, i] = block @ self.coef_[start : start + width]
            start += width
        out[:, -1] = self.intercept_
        return out

    def importance(self) -> dict[str, float]:
        """Each feature's share of the coefficients' total size (a linear model's gain)."""
        sizes, start = [], 0
        for e in self.encodings_:
            width = e.categories if e.kind == CATEGORICAL else 1 + int(e.missing_column)
            sizes.append(float(np.abs(self.coef_[start : start + width]).sum()))
            start += width
        total = sum(sizes) or 1.0
        return {f.name: s / total for f, s in zip(self.features, sizes, strict=True)}

    def to_state(self) -> dict[str, Any]:
        return {
            "kind": LINEAR,
            "strength": self.strength,
            "encodings": [e.__dict__ for e in self.encodings_],
            "coef": self.coef_.tolist(),
            "intercept": self.intercept_,
        }

    @classmethod
    def from_state(cls, features: Sequence[Feature], state: Mapping[str, Any]) -> LinearScorer:
        scorer = cls(features, float(state["strength"]))
        scorer.encodings_ = [
            Encoding(**{**e, "kind": FeatureKind(e["kind"])}) for e in state["encodings"]
        ]
        scorer.coef_ = np.asarray(state["coef"], dtype=np.float64)
        scorer.intercept_ = float(state["intercept"])
        return scorer


def _encoding(feature: Feature, column: np.ndarray) -> Encoding:
    if feature.kind == CATEGORICAL:
        return Encoding(CATEGORICAL, categories=len(feature.categories))
    known = np.isfinite(column)
    squashed = _squash(column[known]) if known.any() else np.zeros(1)
    scale = float(squashed.std()) or 1.0
    return Encoding(
        NUMERIC, centre=float(squashed.mean()), scale=scale, missing_column=bool((~known).any())
    )


class BoosterScorer:
    """A fitted LightGBM booster as a scorer (grown by :func:`train_booster`)."""

    kind = BOOSTER

    def __init__(self, booster: Any, leaves: int) -> None:
        self.booster = booster
        self.leaves = leaves

    @property
    def trees(self) -> int:
        return int(self.booster.current_iteration())

    def raw(self, x: np.ndarray) -> np.ndarray:
        if x.shape[0] == 0:
            return np.zeros(0)
        return np.asarray(self.booster.predict(x, raw_score=True))

    def contributions(self, x: np.ndarray) -> np.ndarray:
        if x.shape[0] == 0:
            return np.zeros((0, len(self.booster.feature_name()) + 1))
        return np.asarray(self.booster.predict(x, pred_contrib=True))

    def importance(self) -> dict[str, float]:
        gains = self.booster.feature_importance(importance_type="gain")
        total = float(gains.sum()) or 1.0
        names = self.booster.feature_name()
        return {name: float(g) / total for name, g in zip(names, gains, strict=True)}

    def to_state(self) -> dict[str, Any]:
        return {"kind": BOOSTER, "leaves": self.leaves, "booster": self.booster.model_to_string()}

    @classmethod
    def from_state(cls, state: Mapping[str, Any]) -> BoosterScorer:
        return cls(lgb.Booster(model_str=state["booster"]), int(state["leaves"]))


def booster_params(rows: int, leaves: int) -> dict[str, Any]:
    """LightGBM settings; leaves need more looks as the data grows."""
    return {
        "objective": "binary",
        "learning_rate": 0.05,
        "num_leaves": leaves,
        "min_data_in_leaf": int(max(10, min(100, rows // 200))),
        "lambda_l2": 5.0,
        "feature_fraction": 0.9,
        "bagging_fraction": 0.8,
        "bagging_freq": 1,
        "max_bin": 63,
        "min_data_per_group": 10,
        "cat_smooth": 10.0,
        "seed": SEED,
        "deterministic": True,
        "force_row_wise": True,  # same trees as col-wise; faster on these few, dense features
        "num_threads": THREADS,
        "verbose": -1,
    }


def _dataset(
    x: np.ndarray,
    y: np.ndarray,
    weight: np.ndarray,
    features: Sequence[Feature],
    reference: lgb.Dataset | None = None,
) -> lgb.Dataset:
    return lgb.Dataset(
        x,
        label=y,
        weight=weight,
        feature_name=[f.name for f in features],
        categorical_feature=[i for i, f in enumerate(features) if f.kind == CATEGORICAL],
        params={"max_bin": 63, "verbose": -1, "min_data_in_bin": 3},
        reference=reference,
        free_raw_data=True,
    )


def train_booster(
    x: np.ndarray,
    y: np.ndarray,
    weight: np.ndarray,
    features: Sequence[Feature],
    rounds: int,
    leaves: int,
) -> lgb.Booster:
    """A booster of ``rounds`` trees on every given look."""
    return lgb.train(
        booster_params(x.shape[0], leaves), _dataset(x, y, weight, features), num_boost_round=rounds
    )


def _grow_on_split(
    x: np.ndarray,
    y: np.ndarray,
    weight: np.ndarray,
    features: Sequence[Feature],
    split: tuple[np.ndarray, np.ndarray],
    leaves: int,
) -> tuple[lgb.Booster | None, np.ndarray]:
    """A booster grown on the split's training looks while its test looks improve, and
    the test looks' log loss after each tree (empty when either side has one outcome)."""
    train, test = split
    if np.unique(y[train]).size < 2:
        return None, np.zeros(0)
    train_set = _dataset(x[train], y[train], weight[train], features)
    if np.unique(y[test]).size < 2:
        return lgb.train(booster_params(int(train.sum()), leaves), train_set, MIN_ROUNDS), np.zeros(
            0
        )
    evaluations: dict[str, Any] = {}
    model = lgb.train(
        booster_params(int(train.sum()), leaves),
        train_set,
        num_boost_round=MAX_ROUNDS,
        valid_sets=[_dataset(x[test], y[test], weight[test], features, reference=train_set)],
        callbacks=[
            lgb.early_stopping(PATIENCE, verbose=False),
            lgb.record_evaluation(evaluations),
        ],
    )
    curve = np.asarray(evaluations["valid_0"]["binary_logloss"]) * weight[test].sum()
    return model, curve


def best_rounds(curves: Sequence[np.ndarray]) -> int:
    """The number of trees with the least log loss summed over the splits (a split that
    stopped early keeps its last figure)."""
    curves = [c for c in curves if c.size]
    if not curves:
        return MIN_ROUNDS
    length = max(c.size for c in curves)
    total = sum(np.pad(c, (0, length - c.size), mode="edge") for c in curves)
    return max(MIN_ROUNDS, int(np.argmin(total)) + 1)


def booster_out_of_sample(
    x: np.ndarray,
    y: np.ndarray,
    weight: np.ndarray,
    features: Sequence[Feature],
    splits: Sequence[tuple[np.ndarray, np.ndarray]],
    leaves: int,
) -> tuple[np.ndarray, int]:
    """Each look's score from the split that tests it (NaN where none does), and the
    number of trees: the steps of the module docstring."""
    grown = [_grow_on_split(x, y, weight, features, split, leaves) for split in splits]
    rounds = best_rounds([curve for _, curve in grown])
    scores = np.full(x.shape[0], np.nan)
    for (model, _), (train, test) in zip(grown, splits, strict=True):
        if model is None:
            rate = (weight[train] @ y[train] + 1) / (weight[train].sum() + 2)
            scores[test] = np.log(rate / (1 - rate))
        else:
            used = min(rounds, model.current_iteration())
            scores[test] = model.predict(x[test], raw_score=True, num_iteration=used)
    return scores, rounds


def scorer_from_state(features: Sequence[Feature], state: Mapping[str, Any]) -> Scorer:
    """A fitted scorer back from its ``to_state``."""
    if state["kind"] == LINEAR:
        return LinearScorer.from_state(features, state)
    return BoosterScorer.from_state(state)
