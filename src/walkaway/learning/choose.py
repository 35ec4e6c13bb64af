"""Which learned scorer suits this team's data: chosen by out-of-sample scores.

The candidates depend on how many deals were looked at (:func:`candidates`): a few
hundred get regularised logistic regressions and a shallow booster (4 leaves); from
:data:`MANY_DEALS` on, the 15-leaf booster is tried too; from :data:`LINEAR_MAX_DEALS`
on only boosters (a linear model adds little there and costs most of the training time);
from :data:`FEW_LEAVES_MAX_DEALS` on only the 15-leaf one (the 4-leaf booster, at most
400 trees, under-fits that much data and cost half of the training time: on the 100,000-deal
bench it tied, log loss 0.6382 against 0.6381, and the 54,493-deal ibm export chose 15).
Each candidate scores every look out of sample on the splits of
:mod:`walkaway.learning.folds`; the one whose scores, Platt-calibrated, have the least
weighted log loss is refitted on every look. The card lists every candidate and its
figures; the choice and the validation use the same splits, so the validation is a touch
optimistic (by the best of one to four).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.metrics import roc_auc_score

from walkaway.learning.calibration import fit_calibrator, weighted_log_loss
from walkaway.learning.features import Feature
from walkaway.learning.folds import Folds
from walkaway.learning.scorers import (
    BOOSTER,
    LINEAR,
    BoosterScorer,
    LinearScorer,
    Scorer,
    ScorerKind,
    booster_out_of_sample,
    train_booster,
)

MANY_DEALS = 1_000
LINEAR_MAX_DEALS = 20_000
FEW_LEAVES_MAX_DEALS = 50_000


@dataclass(frozen=True)
class Candidate:
    kind: ScorerKind
    setting: float  # logistic: C (smaller: more regularised); boosting: leaves

    @property
    def label(self) -> str:
        if self.kind == LINEAR:
            return f"logistic regression, L2 (C = {self.setting:g})"
        return f"gradient boosting, {self.setting:g} leaves"


@dataclass(frozen=True)
class Tried:
    """A candidate's out-of-sample figures."""

    label: str
    log_loss: float
    auc: float | None


@dataclass(frozen=True)
class Looks:
    """The training looks as arrays: features, outcome, weight."""

    x: np.ndarray
    won: np.ndarray
    weight: np.ndarray


@dataclass(frozen=True)
class Chosen:
    """The refitted scorer, its out-of-sample scores (NaN where none), what was tried."""

    scorer: Scorer
    label: str
    oof: np.ndarray
    tried: tuple[Tried, ...]
    trees: int | None
    scores: dict[str, np.ndarray]  # every candidate's out-of-sample scores, by label


def candidates(deals: int) -> list[Candidate]:
    found = []
    if deals < LINEAR_MAX_DEALS:
        found += [Candidate(LINEAR, 0.05), Candidate(LINEAR, 0.5)]
    if deals < FEW_LEAVES_MAX_DEALS:
        found.append(Candidate(BOOSTER, 4))
    if deals >= MANY_DEALS:
        found.append(Candidate(BOOSTER, 15))
    return found


def choose_scorer(looks: Looks, features: Sequence[Feature], folds: Folds, deals: int) -> Chosen:
    """Score each candidate out of sample, keep the best, refit it on every look."""
    scored = folds.scored()
    results = []
    for candidate in candidates(deals):
        oof, rounds = _out_of_sample(candidate, looks, features, folds)
        results.append((candidate, oof, rounds, _tried(candidate, oof, looks, scored)))
    best = min(results, key=lambda r: (r[3].log_loss, r[0].kind != LINEAR))
    candidate, oof, rounds, _ = best
    if candidate.kind == LINEAR:
        scorer: Scorer = LinearScorer(features, candidate.setting).fit(
            looks.x, looks.won, looks.weight
        )
        trees = None
    else:
        booster = train_booster(
            looks.x, looks.won, looks.weight, features, rounds, int(candidate.setting)
        )
        scorer, trees = BoosterScorer(booster, int(candidate.setting)), rounds
    scores = {r[0].label: r[1] for r in results}
    return Chosen(scorer, candidate.label, oof, tuple(r[3] for r in results), trees, scores)


def _out_of_sample(
    candidate: Candidate, looks: Looks, features: Sequence[Feature], folds: Folds
) -> tuple[np.ndarray, int]:
    splits = folds.splits()
    if candidate.kind == BOOSTER:
        return booster_out_of_sample(
            looks.x, looks.won, looks.weight, features, splits, int(candidate.setting)
        )
    scores = np.full(looks.x.shape[0], np.nan)
    for train, test in splits:
        if np.unique(looks.won[train]).size < 2 or not test.any():
            rate = (looks.weight[train] @ looks.won[train] + 1) / (looks.weight[train].sum() + 2)
            scores[test] = np.log(rate / (1 - rate))
            continue
        model = LinearScorer(features, candidate.setting)
        model.fit(looks.x[train], looks.won[train], looks.weight[train])
        scores[test] = model.raw(looks.x[test])
    return scores, 0


def _tried(candidate: Candidate, oof: np.ndarray, looks: Looks, scored: np.ndarray) -> Tried:
    raw, won, weight = oof[scored], looks.won[scored], looks.weight[scored]
    p = fit_calibrator(raw, won, weight).apply(raw)
    log_loss = weighted_log_loss(p, won, weight)
    auc = float(roc_auc_score(won, raw, sample_weight=weight)) if np.unique(won).size == 2 else None
    return Tried(candidate.label, log_loss, auc)
