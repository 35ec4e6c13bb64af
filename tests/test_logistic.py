"""The one logistic fit: it finds what scikit-learn finds, and its prior pulls as a prior should."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.linear_model import LogisticRegression

from walkaway.logistic import expit, map_logistic


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10_000), st.floats(-2, 2), st.floats(-1.5, 1.5))
def test_a_flat_prior_finds_the_maximum_likelihood(
    seed: int, slope: float, intercept: float
) -> None:
    rng = np.random.default_rng(seed)
    x = rng.normal(0, 1, 400)
    y = (rng.random(400) < expit(slope * x + intercept)).astype(float)
    if np.unique(y).size < 2:
        return
    found = map_logistic(np.column_stack([x, np.ones(400)]), np.ones(400), y)
    reference = LogisticRegression(C=1e9, max_iter=10_000, tol=1e-10).fit(x[:, None], y)
    assert found[0] == pytest.approx(reference.coef_[0][0], abs=1e-3)
    assert found[1] == pytest.approx(reference.intercept_[0], abs=1e-3)


def test_binomial_rows_are_the_same_as_their_deals() -> None:
    rng = np.random.default_rng(2)
    x = rng.integers(0, 2, (300, 2)).astype(float)
    y = (rng.random(300) < expit(x @ np.array([1.0, -0.5]))).astype(float)
    design = np.column_stack([x, np.ones(300)])
    each = map_logistic(design, np.ones(300), y)
    patterns, inverse = np.unique(design, axis=0, return_inverse=True)
    trials = np.bincount(inverse.ravel()).astype(float)
    wins = np.bincount(inverse.ravel(), weights=y)
    grouped = map_logistic(patterns, trials, wins)
    assert grouped == pytest.approx(each, abs=1e-8)


def test_a_strong_prior_holds_the_weights_at_its_mean() -> None:
    x = np.column_stack([np.array([0.0, 1.0] * 50), np.ones(100)])
    y = np.array([0.0, 1.0] * 50)  # separable: the likelihood alone runs away
    held = map_logistic(
        x, np.ones(100), y, mean=np.array([0.3, 0.0]), precision=np.array([1e6, 1.0])
    )
    assert held[0] == pytest.approx(0.3, abs=1e-3)
    loose = map_logistic(x, np.ones(100), y, precision=np.array([1e-2, 1e-2]))
    assert loose[0] > 5  # finite, and large
