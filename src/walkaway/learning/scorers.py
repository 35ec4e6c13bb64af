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
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, Self

import numpy as np

from walkaway.learning.features import CATEGORICAL, Feature

LINEAR, BOOSTER = "logistic", "boosting"


class Scorer(Protocol):
    kind: str

    def raw(self, x: np.ndarray) -> np.ndarray: ...

    def contributions(self, x: np.ndarray) -> np.ndarray: ...

    def importance(self) -> dict[str, float]: ...

    def to_state(self) -> dict[str, Any]: ...


@dataclass(frozen=True)
class Encoding:
    """How one feature becomes columns of the linear model."""

    kind: str
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
        from sklearn.linear_model import LogisticRegression

        self.encodings_ = [_encoding(f, x[:, i]) for i, f in enumerate(self.features)]
        encoded = self._encoded(x)
        model = LogisticRegression(C=self.strength, max_iter=1000)
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
        scorer.encodings_ = [Encoding(**e) for e in state["encodings"]]
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
        "numeric", centre=float(squashed.mean()), scale=scale, missing_column=bool((~known).any())
    )


class BoosterScorer:
    """A fitted LightGBM booster as a scorer (see :mod:`walkaway.learning.booster`)."""

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
        import lightgbm as lgb

        return cls(lgb.Booster(model_str=state["booster"]), int(state["leaves"]))


def scorer_from_state(features: Sequence[Feature], state: Mapping[str, Any]) -> Scorer:
    """A fitted scorer back from its ``to_state``."""
    if state["kind"] == LINEAR:
        return LinearScorer.from_state(features, state)
    return BoosterScorer.from_state(state)
