"""How scores become probabilities, how prior and learned model are stacked, how good it is.

**Platt calibration.** The learned scorer's scores (log-odds) become probabilities by
``p = 1 / (1 + exp(-(slope * score + intercept)))``, fitted on its out-of-sample scores
with Platt's smoothed targets: two numbers, hard to overfit. (On generated deals whose
true win chance is known, this was closer to the truth than a monotone step function
from 1,500 up to 10,000 deals.) Probabilities stay within [0.001, 0.999].

**The stack.** On the looks scored out of sample, the one logistic fit
(:func:`walkaway.logistic.map_logistic`) combines the prior's log-odds ``z`` (as of each
look) and the learned scorer's score ``s``:

    p = 1 / (1 + exp(-(a z + b s + c)))

(stacking, which is also the calibration). Neither input may weigh against its own
direction (a coefficient below 0 drops that input). Whether the learned part earns any
weight is decided on looks the stack was not fitted on (the latest time block, or each
fold in turn): it keeps ``b`` only if the stack's log loss there beats the prior's own,
recalibrated (``a z + c``) by at least :data:`MIN_GAIN`, and its own scores rank the
looks better than chance (AUC above :data:`MIN_AUC`). Otherwise ``b = 0``: the prior,
calibrated on the team's history. A model that validates at AUC 0.5 gets no weight.

**How good.** :func:`validate` scores probabilities against outcomes with
scikit-learn's metrics: AUC, Brier score (and that of always saying the base rate), log
loss, and a calibration table of 10 equal-width bins (mean predicted vs observed share
won, looks in the bin). Looks carry weights (see :mod:`walkaway.learning.rows`); every
figure is weighted by them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from sklearn.metrics import brier_score_loss, log_loss, roc_auc_score

from walkaway.logistic import clip_probability, expit, map_logistic
from walkaway.probability import CEILING, FLOOR

# The rows of the card's validation table that are not a learned candidate.
PRIOR_ALONE_LABEL = "the prior alone, calibrated"
STACKED_LABEL = "prior + learned model, stacked"
MIN_GAIN = 0.002  # log loss per look
MIN_AUC = 0.55
STACK_PRECISION = 1e-4  # nearly flat: two inputs and thousands of looks
BINS = 10


@dataclass(frozen=True)
class Calibrator:
    """Learned score (log-odds) -> probability, by Platt's sigmoid."""

    slope: float = 1.0
    intercept: float = 0.0

    def apply(self, raw: np.ndarray) -> np.ndarray:
        return clip_probability(expit(self.slope * raw + self.intercept))

    def to_dict(self) -> dict[str, Any]:
        return {"method": "sigmoid", **asdict(self)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Calibrator:
        return cls(slope=float(data["slope"]), intercept=float(data["intercept"]))


def fit_calibrator(raw: np.ndarray, won: np.ndarray, weight: np.ndarray) -> Calibrator:
    """Fit the calibrator on out-of-sample scores ``raw`` and outcomes ``won``."""
    slope, intercept = _platt(raw, won, weight)
    return Calibrator(slope=slope, intercept=intercept)


def _platt(raw: np.ndarray, won: np.ndarray, weight: np.ndarray) -> tuple[float, float]:
    """Platt scaling: the one logistic fit on the score, with Platt's smoothed targets
    and a touch of L2 on the slope."""
    positives = float(weight[won == 1].sum())
    negatives = float(weight[won == 0].sum())
    target = np.where(won == 1, (positives + 1) / (positives + 2), 1 / (negatives + 2))
    design = np.column_stack([raw, np.ones_like(raw)])
    slope, intercept = map_logistic(
        design, weight, weight * target, precision=np.array([1e-3, 0.0])
    )
    return float(slope), float(intercept)


def log_odds_slope(calibrator: Calibrator, raw: np.ndarray) -> float:
    """How much calibrated log-odds move per unit of booster score, between the 10th
    and 90th percentile of ``raw`` (0 when the calibrator is flat: the scores tell
    nothing, so no feature is a reason)."""
    if raw.size == 0:
        return 0.0
    low, high = np.percentile(raw, [10, 90])
    if high - low < 1e-9:
        return max(0.0, calibrator.slope)
    p_low, p_high = calibrator.apply(np.array([low, high]))
    rise = np.log(p_high / (1 - p_high)) - np.log(p_low / (1 - p_low))
    return max(0.0, float(rise / (high - low)))


@dataclass(frozen=True)
class CalibrationBin:
    """Looks whose probability fell in [low, high): mean predicted vs observed share won."""

    low: float
    high: float
    mean_predicted: float | None
    observed: float | None
    count: int


@dataclass(frozen=True)
class Scores:
    """How probabilities did against what happened."""

    auc: float | None  # None when only one outcome occurred
    brier: float
    brier_base_rate: float  # Brier score of always saying the base rate
    log_loss: float
    base_rate: float  # weighted share of looks won
    calibration: tuple[CalibrationBin, ...]
    spread: tuple[float, float, float]  # 10th, 50th and 90th percentile of the predictions


def validate(p: np.ndarray, won: np.ndarray, weight: np.ndarray, reference: float) -> Scores:
    """Score probabilities ``p``; ``reference`` is the base rate learned in training."""
    y = won.astype(np.float64)
    auc = float(roc_auc_score(y, p, sample_weight=weight)) if np.unique(y).size == 2 else None
    return Scores(
        auc=auc,
        brier=float(brier_score_loss(y, p, sample_weight=weight)),
        brier_base_rate=float(
            brier_score_loss(y, np.full(y.size, reference), sample_weight=weight)
        ),
        log_loss=weighted_log_loss(p, y, weight),
        base_rate=float(np.average(y, weights=weight)),
        calibration=calibration_table(p, y, weight),
        spread=_spread(p),
    )


def calibration_table(
    p: np.ndarray, y: np.ndarray, weight: np.ndarray
) -> tuple[CalibrationBin, ...]:
    """10 equal-width bins of the predicted probability."""
    index = np.minimum((p * BINS).astype(np.int64), BINS - 1)
    bins = []
    for b in range(BINS):
        mask = index == b
        total = float(weight[mask].sum())
        bins.append(
            CalibrationBin(
                low=b / BINS,
                high=(b + 1) / BINS,
                mean_predicted=float(np.sum(weight[mask] * p[mask]) / total) if total else None,
                observed=float(np.sum(weight[mask] * y[mask]) / total) if total else None,
                count=int(mask.sum()),
            )
        )
    return tuple(bins)


def _spread(p: np.ndarray) -> tuple[float, float, float]:
    if p.size == 0:
        return (float("nan"),) * 3
    low, mid, high = np.percentile(p, [10, 50, 90])
    return float(low), float(mid), float(high)


def calibration_error(table: tuple[CalibrationBin, ...]) -> float:
    """Mean gap between predicted and observed, weighted by looks per bin."""
    counted = [b for b in table if b.count and b.mean_predicted is not None]
    total = sum(b.count for b in counted)
    if not total:
        return 0.0
    gaps = (abs((b.mean_predicted or 0.0) - (b.observed or 0.0)) * b.count for b in counted)
    return float(sum(gaps) / total)


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
        out: np.ndarray = clip_probability(expit(self.logit(z, s)))
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
    stack_log_loss: float
    learned_auc: float | None
    earned: bool


def _fit(inputs: np.ndarray, y: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Coefficients (inputs..., intercept), refitted without any input that comes out
    below 0; with none left, the intercept alone (the base rate's log-odds)."""
    keep = list(range(inputs.shape[1]))
    trials = weight / weight.mean()
    while keep and np.unique(y).size == 2:
        design = np.column_stack([inputs[:, keep], np.ones(y.size)])
        precision = np.array([STACK_PRECISION] * len(keep) + [0.0])
        found = map_logistic(design, trials, trials * y, precision=precision)
        coef = dict(zip(keep, (float(c) for c in found[:-1]), strict=True))
        negative = [i for i, c in coef.items() if c < 0]
        if not negative:
            full = [coef.get(i, 0.0) for i in range(inputs.shape[1])]
            return np.array([*full, float(found[-1])])
        keep = [i for i in keep if i not in negative]
    rate = float(clip_probability(np.array(weight @ y / weight.sum())))
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
    stack_p: np.ndarray

    @property
    def tested(self) -> np.ndarray:
        """The held-out probabilities of the kind in force."""
        return self.stack_p if self.stack.learned > 0 else self.prior_p


def judge(
    z: np.ndarray,
    s: np.ndarray,
    y: np.ndarray,
    weight: np.ndarray,
    splits: Sequence[tuple[np.ndarray, np.ndarray]],
) -> Judgement:
    """The stack in force (fitted on every given look), its skill, and each look's
    held-out probability from the prior alone and from the stack (NaN where none)."""
    prior_p, stack_p = held_out(z, y, weight, splits), np.full(z.size, np.nan)
    for train, test in splits:
        if train.any() and test.any():
            stacked = fit_stack(z[train], s[train], y[train], weight[train])
            stack_p[test] = stacked.predict(z[test], s[test])
    tested = np.isfinite(stack_p)
    if not tested.any():
        return Judgement(
            fit_prior_only(z, y, weight), Skill(np.nan, np.nan, None, False), prior_p, stack_p
        )
    yt, wt = y[tested], weight[tested]
    auc = float(roc_auc_score(yt, s[tested], sample_weight=wt)) if np.unique(yt).size == 2 else None
    prior_loss = weighted_log_loss(prior_p[tested], yt, wt)
    stack_loss = weighted_log_loss(stack_p[tested], yt, wt)
    earned = auc is not None and auc > MIN_AUC and stack_loss < prior_loss - MIN_GAIN
    if earned:
        stacked = fit_stack(z, s, y, weight)
        if stacked.learned > 0:
            return Judgement(stacked, Skill(prior_loss, stack_loss, auc, True), prior_p, stack_p)
    skill = Skill(prior_loss, stack_loss, auc, False)
    return Judgement(fit_prior_only(z, y, weight), skill, prior_p, stack_p)


def held_out_trials(
    judged: Judgement,
    candidates: Mapping[str, np.ndarray],
    scored: np.ndarray,
    y: np.ndarray,
    w: np.ndarray,
    splits: list[tuple[np.ndarray, np.ndarray]],
) -> list[Trial]:
    """Every model on the same held-out looks: the prior alone (calibrated), each learned
    candidate (its out-of-sample ``scores`` over every look, Platt-calibrated on the same
    splits as the stack) and the stack, last, labelled as the card shows them."""
    held = [(PRIOR_ALONE_LABEL, judged.prior_p)]
    for label, scores in candidates.items():
        held.append((label, held_out(scores[scored], y, w, splits)))
    held.append((STACKED_LABEL, judged.stack_p))
    tested = np.isfinite(judged.stack_p)
    two = np.unique(y[tested]).size == 2
    return [
        Trial(
            label,
            weighted_log_loss(p[tested], y[tested], w[tested]),
            float(roc_auc_score(y[tested], p[tested], sample_weight=w[tested])) if two else None,
        )
        for label, p in held
    ]
