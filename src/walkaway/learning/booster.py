"""Gradient boosting on the looks: out-of-sample scores for each split, then one final fit.

For every split of :mod:`walkaway.learning.folds` a booster is grown on the split's
training looks while its test looks improve (at most :data:`MAX_ROUNDS` trees, stopping
after :data:`PATIENCE` without progress); the number of trees with the least log loss
summed over the splits is used everywhere: for each split's out-of-sample scores and for
the final booster, refitted on every look.

LightGBM is regularised (L2, row and feature subsampling, 63 bins, a minimum of looks per
leaf that grows with the data) and deterministic: fixed seed, ``deterministic=True``,
one thread. Two sizes are tried (:mod:`walkaway.learning.choose`): 15 leaves, and 4 for
small data.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import lightgbm as lgb
import numpy as np

from walkaway.learning.features import CATEGORICAL, Feature

SEED = 20_240_601
MAX_ROUNDS = 400
PATIENCE = 40
MIN_ROUNDS = 10
THREADS = 1


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


def _grown(
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


def out_of_sample(
    x: np.ndarray,
    y: np.ndarray,
    weight: np.ndarray,
    features: Sequence[Feature],
    splits: Sequence[tuple[np.ndarray, np.ndarray]],
    leaves: int,
) -> tuple[np.ndarray, int]:
    """Each look's score from the split that tests it (NaN where none does), and the
    number of trees: the steps of the module docstring."""
    grown = [_grown(x, y, weight, features, split, leaves) for split in splits]
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
