"""Gradient boosting on the looks, validated on time, then refitted on everything.

The closed deals are put in order of their close date and cut into :data:`BLOCKS`
equal blocks (the oldest first); a deal's looks stay in its block. Then:

1. **Out-of-time scores.** Each block k = 2..5 is scored by a model trained only on
   the blocks before it. Never a random split: a model never learns from deals that
   closed after the ones it is scored on.
2. **How many trees.** The models for blocks 2-4 grow while their block improves (at
   most :data:`MAX_ROUNDS` trees, stopping after :data:`PATIENCE` without progress);
   the number of trees with the least log loss summed over those blocks is used
   everywhere (block 5 plays no part in it).
3. **Validation.** A calibrator fitted on the scores of blocks 2-4 turns block 5's
   scores into probabilities; those are what the model card reports (AUC, Brier, log
   loss, calibration table): the latest fifth of the history, never seen in training.
4. **Final model.** The booster is refitted on every block with the same number of
   trees; its calibrator is fitted on the out-of-time scores of blocks 2-5.

LightGBM is small and regularised (15 leaves, L2, row and feature subsampling, 63
bins) and deterministic: fixed seed, ``deterministic=True``, ``num_threads=2``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import lightgbm as lgb
import numpy as np

from walkaway.errors import InputError
from walkaway.learning.calibration import (
    Calibrator,
    Scores,
    fit_calibrator,
    log_odds_slope,
    validate,
)
from walkaway.learning.features import CATEGORICAL, Feature

SEED = 20_240_601
BLOCKS = 5
MAX_ROUNDS = 400
PATIENCE = 40
MIN_ROUNDS = 10
THREADS = 1


def booster_params(rows: int) -> dict[str, Any]:
    """LightGBM settings; leaves need more looks as the data grows."""
    return {
        "objective": "binary",
        "learning_rate": 0.05,
        "num_leaves": 15,
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
        "force_col_wise": True,
        "num_threads": THREADS,
        "verbose": -1,
    }


@dataclass(frozen=True)
class Looks:
    """The training looks as arrays: features, outcome, weight and time block."""

    x: np.ndarray
    won: np.ndarray
    weight: np.ndarray
    block: np.ndarray

    def take(self, mask: np.ndarray) -> Looks:
        return Looks(self.x[mask], self.won[mask], self.weight[mask], self.block[mask])


@dataclass(frozen=True)
class Fitted:
    """The outcome of training: final booster and calibrator, and the validation."""

    booster: lgb.Booster
    calibrator: Calibrator
    rounds: int
    validation: Scores | None  # None when the latest block holds one outcome only
    validation_looks: int
    effect_scale: float  # calibrated log-odds per unit of score (0: the scores tell nothing)


def time_blocks(close_rank: np.ndarray, deals: int) -> np.ndarray:
    """Block 0..BLOCKS-1 of each look from its deal's rank by close date (0 = oldest)."""
    blocks: np.ndarray = np.minimum(close_rank * BLOCKS // max(deals, 1), BLOCKS - 1)
    return blocks


def _dataset(
    looks: Looks, features: Sequence[Feature], reference: lgb.Dataset | None = None
) -> lgb.Dataset:
    return lgb.Dataset(
        looks.x,
        label=looks.won,
        weight=looks.weight,
        feature_name=[f.name for f in features],
        categorical_feature=[i for i, f in enumerate(features) if f.kind == CATEGORICAL],
        params={"max_bin": 63, "verbose": -1, "min_data_in_bin": 3},
        reference=reference,
        free_raw_data=True,
    )


def _train(looks: Looks, features: Sequence[Feature], rounds: int) -> lgb.Booster | None:
    """A booster, or None when the looks hold a single outcome (nothing to learn)."""
    if looks.x.shape[0] == 0 or np.unique(looks.won).size < 2:
        return None
    return lgb.train(booster_params(looks.x.shape[0]), _dataset(looks, features), rounds)


def _grown(
    looks: Looks, features: Sequence[Feature], k: int
) -> tuple[lgb.Booster | None, np.ndarray]:
    """A booster on the blocks before ``k``, grown while block ``k`` improves, and block
    ``k``'s log loss after each tree (empty when either side has one outcome only)."""
    train, valid = looks.take(looks.block < k), looks.take(looks.block == k)
    if np.unique(train.won).size < 2 or np.unique(valid.won).size < 2:
        return _train(train, features, MIN_ROUNDS), np.zeros(0)
    train_set = _dataset(train, features)
    evaluations: dict[str, Any] = {}
    model = lgb.train(
        booster_params(train.x.shape[0]),
        train_set,
        num_boost_round=MAX_ROUNDS,
        valid_sets=[_dataset(valid, features, reference=train_set)],
        callbacks=[
            lgb.early_stopping(PATIENCE, verbose=False),
            lgb.record_evaluation(evaluations),
        ],
    )
    return model, np.asarray(evaluations["valid_0"]["binary_logloss"]) * valid.weight.sum()


def _best_rounds(curves: Sequence[np.ndarray]) -> int:
    """The number of trees with the least log loss summed over the blocks (a block that
    stopped early keeps its last figure)."""
    curves = [c for c in curves if c.size]
    if not curves:
        return MIN_ROUNDS
    length = max(c.size for c in curves)
    total = sum(np.pad(c, (0, length - c.size), mode="edge") for c in curves)
    return max(MIN_ROUNDS, int(np.argmin(total)) + 1)


def _raw(booster: lgb.Booster | None, looks: Looks, fallback: Looks, rounds: int) -> np.ndarray:
    """Scores (log-odds); without a booster, the log-odds of the fallback's win rate."""
    if booster is not None:
        used = min(rounds, booster.current_iteration())
        return np.asarray(booster.predict(looks.x, raw_score=True, num_iteration=used))
    rate = (fallback.weight @ fallback.won + 1) / (fallback.weight.sum() + 2)
    return np.full(looks.x.shape[0], math.log(rate / (1 - rate)))


def fit_booster(looks: Looks, features: Sequence[Feature], method: str) -> Fitted:
    """Steps 1-4 of the module docstring."""
    if np.unique(looks.won).size < 2:
        raise InputError("every closed deal ended the same way; there is nothing to learn yet")
    grown = {k: _grown(looks, features, k) for k in range(1, BLOCKS - 1)}
    rounds = _best_rounds([curve for _, curve in grown.values()])
    out_of_time = np.full(looks.x.shape[0], np.nan)
    for k in range(1, BLOCKS):
        before, block = looks.block < k, looks.block == k
        model = grown[k][0] if k in grown else _train(looks.take(before), features, rounds)
        out_of_time[block] = _raw(model, looks.take(block), looks.take(before), rounds)
    validation, last = _validation(looks, out_of_time, method)
    final = _train(looks, features, rounds)
    assert final is not None
    scored = looks.block >= 1
    calibrator = fit_calibrator(
        out_of_time[scored], looks.won[scored], looks.weight[scored], method
    )
    scale = log_odds_slope(calibrator, out_of_time[scored])
    return Fitted(final, calibrator, rounds, validation, int(last.sum()), scale)


def _validation(
    looks: Looks, out_of_time: np.ndarray, method: str
) -> tuple[Scores | None, np.ndarray]:
    last = looks.block == BLOCKS - 1
    middle = (looks.block >= 1) & ~last
    if not last.any() or np.unique(looks.won[last]).size < 2 or not middle.any():
        return None, last
    calibrator = fit_calibrator(
        out_of_time[middle], looks.won[middle], looks.weight[middle], method
    )
    before = ~last
    reference = float(looks.weight[before] @ looks.won[before] / looks.weight[before].sum())
    p = calibrator.apply(out_of_time[last])
    return validate(p, looks.won[last], looks.weight[last], reference), last


def contributions(booster: lgb.Booster, x: np.ndarray) -> np.ndarray:
    """Per-feature contributions to each score (log-odds); the last column is the bias."""
    if x.shape[0] == 0:
        return np.zeros((0, x.shape[1] + 1))
    return np.asarray(booster.predict(x, pred_contrib=True))


def raw_scores(booster: lgb.Booster, x: np.ndarray) -> np.ndarray:
    if x.shape[0] == 0:
        return np.zeros(0)
    return np.asarray(booster.predict(x, raw_score=True))


def gain_shares(booster: lgb.Booster) -> dict[str, float]:
    """Each feature's share of the total split gain (how much the model leans on it)."""
    gains = booster.feature_importance(importance_type="gain")
    total = float(gains.sum()) or 1.0
    return {name: float(g) / total for name, g in zip(booster.feature_name(), gains, strict=True)}
