"""The blend of prior and learned model, weighted by validated skill, not by deal counts.

On the looks scored out of sample, a logistic regression combines the prior's log-odds
``z`` (as of each look) and the learned scorer's score ``s``:

    p = 1 / (1 + exp(-(a z + b s + c)))

(stacking, which is also the calibration). Neither input may weigh against its own
direction (a coefficient below 0 drops that input). Whether the learned part earns any
weight is decided on looks the stack was not fitted on (the latest time block, or each
fold in turn): it keeps ``b`` only if the stack's log loss there beats the prior's own,
recalibrated (``a z + c``) by at least :data:`MIN_GAIN`, and its own scores rank the
looks better than chance (AUC above :data:`MIN_AUC`). Otherwise ``b = 0``: the prior,
calibrated on the team's history. A model that validates at AUC 0.5 gets no weight.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.special import expit
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

MIN_GAIN = 0.002  # log loss per look
MIN_AUC = 0.55


@dataclass(frozen=True)
class Stack:
    """``p = sigmoid(prior * z + learned * s + intercept)``."""

    prior: float
    learned: float
    intercept: float

    def logit(self, z: np.ndarray, s: np.ndarray) -> np.ndarray:
        out: np.ndarray = self.prior * z + self.learned * np.nan_to_num(s) + self.intercept
        return out

    def predict(self, z: np.ndarray, s: np.ndarray) -> np.ndarray:
        out: np.ndarray = np.clip(expit(self.logit(z, s)), 0.001, 0.999)
        return out

    def learned_share(self, z: np.ndarray, s: np.ndarray) -> float:
        """The learned part's share of how much the log-odds vary from look to look."""
        if self.learned == 0.0 or z.size == 0:
            return 0.0
        own = self.learned * float(np.std(s))
        return own / (own + self.prior * float(np.std(z)) or 1.0)


@dataclass(frozen=True)
class Skill:
    """Log loss per look, on looks the stack was not fitted on: prior alone, and with the
    learned part; the learned scores' own AUC there."""

    prior_log_loss: float
    blend_log_loss: float
    learned_auc: float | None
    earned: bool


def _fit(inputs: np.ndarray, y: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Coefficients (inputs..., intercept), refitted without any input that comes out
    below 0; with none left, the intercept alone (the base rate's log-odds)."""
    keep = list(range(inputs.shape[1]))
    while keep and np.unique(y).size == 2:
        model = LogisticRegression(C=1e4, max_iter=1000)
        model.fit(inputs[:, keep], y, sample_weight=weight / weight.mean())
        coef = dict(zip(keep, (float(c) for c in model.coef_[0]), strict=True))
        negative = [i for i, c in coef.items() if c < 0]
        if not negative:
            full = [coef.get(i, 0.0) for i in range(inputs.shape[1])]
            return np.array([*full, float(model.intercept_[0])])
        keep = [i for i in keep if i not in negative]
    rate = float(np.clip(weight @ y / weight.sum(), 0.001, 0.999))
    return np.array([0.0] * inputs.shape[1] + [np.log(rate / (1 - rate))])


def fit_stack(z: np.ndarray, s: np.ndarray, y: np.ndarray, weight: np.ndarray) -> Stack:
    a, b, c = _fit(np.column_stack([z, s]), y, weight)
    return Stack(float(a), float(b), float(c))


def fit_prior_only(z: np.ndarray, y: np.ndarray, weight: np.ndarray) -> Stack:
    a, c = _fit(z[:, None], y, weight)
    return Stack(float(a), 0.0, float(c))


def _log_loss(p: np.ndarray, y: np.ndarray, weight: np.ndarray) -> float:
    w = weight / weight.sum()
    return float(-np.sum(w * (y * np.log(p) + (1 - y) * np.log(1 - p))))


def cross_fitted(
    z: np.ndarray,
    s: np.ndarray,
    y: np.ndarray,
    weight: np.ndarray,
    splits: Sequence[tuple[np.ndarray, np.ndarray]],
) -> tuple[np.ndarray, np.ndarray]:
    """Prior-only and stacked probabilities of each split's test looks from stacks
    fitted on its training looks (NaN elsewhere)."""
    prior_p, blend_p = np.full(z.size, np.nan), np.full(z.size, np.nan)
    for train, test in splits:
        if not train.any() or not test.any():
            continue
        prior_p[test] = fit_prior_only(z[train], y[train], weight[train]).predict(z[test], s[test])
        stacked = fit_stack(z[train], s[train], y[train], weight[train])
        blend_p[test] = stacked.predict(z[test], s[test])
    return prior_p, blend_p


def judge(
    z: np.ndarray,
    s: np.ndarray,
    y: np.ndarray,
    weight: np.ndarray,
    splits: Sequence[tuple[np.ndarray, np.ndarray]],
) -> tuple[Stack, Skill, np.ndarray]:
    """The stack in force (fitted on every given look), its skill, and each look's
    out-of-sample probability from the stack in force's kind (NaN where none)."""
    prior_p, blend_p = cross_fitted(z, s, y, weight, splits)
    tested = np.isfinite(blend_p)
    if not tested.any():
        return fit_prior_only(z, y, weight), Skill(np.nan, np.nan, None, False), prior_p
    yt, wt = y[tested], weight[tested]
    auc = float(roc_auc_score(yt, s[tested], sample_weight=wt)) if np.unique(yt).size == 2 else None
    prior_loss, blend_loss = _log_loss(prior_p[tested], yt, wt), _log_loss(blend_p[tested], yt, wt)
    earned = auc is not None and auc > MIN_AUC and blend_loss < prior_loss - MIN_GAIN
    skill = Skill(prior_loss, blend_loss, auc, bool(earned))
    if earned:
        stacked = fit_stack(z, s, y, weight)
        if stacked.learned > 0:
            return stacked, skill, blend_p
    return fit_prior_only(z, y, weight), Skill(prior_loss, blend_loss, auc, False), prior_p
