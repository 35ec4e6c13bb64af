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
from sklearn.metrics import log_loss, roc_auc_score

MIN_GAIN = 0.002  # log loss per look
MIN_AUC = 0.55
FLOOR, CEILING = 0.001, 0.999


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
        out: np.ndarray = np.clip(expit(self.logit(z, s)), FLOOR, CEILING)
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
    rate = float(np.clip(weight @ y / weight.sum(), FLOOR, CEILING))
    return np.array([0.0] * inputs.shape[1] + [np.log(rate / (1 - rate))])


def fit_stack(z: np.ndarray, s: np.ndarray, y: np.ndarray, weight: np.ndarray) -> Stack:
    a, b, c = _fit(np.column_stack([z, s]), y, weight)
    return Stack(float(a), float(b), float(c))


def fit_prior_only(z: np.ndarray, y: np.ndarray, weight: np.ndarray) -> Stack:
    a, c = _fit(z[:, None], y, weight)
    return Stack(float(a), 0.0, float(c))


def weighted_log_loss(p: np.ndarray, y: np.ndarray, weight: np.ndarray) -> float:
    """Log loss per look, weighted (probabilities within [0.001, 0.999])."""
    return float(log_loss(y, np.clip(p, FLOOR, CEILING), sample_weight=weight, labels=[0, 1]))


def held_out(
    x: np.ndarray,
    y: np.ndarray,
    weight: np.ndarray,
    splits: Sequence[tuple[np.ndarray, np.ndarray]],
) -> np.ndarray:
    """Each split's test looks' probabilities from a logistic on the one input ``x``
    fitted on its training looks (a Platt calibration; NaN where no split tests)."""
    p = np.full(x.size, np.nan)
    for train, test in splits:
        if train.any() and test.any():
            p[test] = fit_prior_only(x[train], y[train], weight[train]).predict(x[test], x[test])
    return p


@dataclass(frozen=True)
class Trial:
    """A model's figures on the held-out looks: weighted log loss and AUC."""

    label: str
    log_loss: float
    auc: float | None


@dataclass(frozen=True)
class Judgement:
    """The stack in force, its skill, and the held-out probabilities of the prior alone
    (calibrated) and of the stack, on the looks the splits test (NaN elsewhere)."""

    stack: Stack
    skill: Skill
    prior_p: np.ndarray
    blend_p: np.ndarray

    @property
    def tested(self) -> np.ndarray:
        """The held-out probabilities of the kind in force."""
        return self.blend_p if self.stack.learned > 0 else self.prior_p


def judge(
    z: np.ndarray,
    s: np.ndarray,
    y: np.ndarray,
    weight: np.ndarray,
    splits: Sequence[tuple[np.ndarray, np.ndarray]],
) -> Judgement:
    """The stack in force (fitted on every given look), its skill, and each look's
    held-out probability from the prior alone and from the stack (NaN where none)."""
    prior_p, blend_p = held_out(z, y, weight, splits), np.full(z.size, np.nan)
    for train, test in splits:
        if train.any() and test.any():
            stacked = fit_stack(z[train], s[train], y[train], weight[train])
            blend_p[test] = stacked.predict(z[test], s[test])
    tested = np.isfinite(blend_p)
    if not tested.any():
        return Judgement(
            fit_prior_only(z, y, weight), Skill(np.nan, np.nan, None, False), prior_p, blend_p
        )
    yt, wt = y[tested], weight[tested]
    auc = float(roc_auc_score(yt, s[tested], sample_weight=wt)) if np.unique(yt).size == 2 else None
    prior_loss = weighted_log_loss(prior_p[tested], yt, wt)
    blend_loss = weighted_log_loss(blend_p[tested], yt, wt)
    earned = auc is not None and auc > MIN_AUC and blend_loss < prior_loss - MIN_GAIN
    if earned:
        stacked = fit_stack(z, s, y, weight)
        if stacked.learned > 0:
            return Judgement(stacked, Skill(prior_loss, blend_loss, auc, True), prior_p, blend_p)
    skill = Skill(prior_loss, blend_loss, auc, False)
    return Judgement(fit_prior_only(z, y, weight), skill, prior_p, blend_p)
