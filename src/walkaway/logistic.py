"""The one logistic fit the core needs, and the bounds every probability keeps.

:func:`map_logistic` is a maximum-a-posteriori binomial logistic regression by damped
Newton steps: the qualification facts' weights (a normal prior around the evidence),
the Platt calibration of a learned score and the stack of prior and learned model are
all this one fit with other inputs. Rows are binomial (``successes`` of ``trials``), so
weighted looks, smoothed targets and a few patterns of facts standing for many deals
are the same call.
"""

from __future__ import annotations

import numpy as np

from walkaway.probability import CEILING, FLOOR

__all__ = ["CEILING", "FLOOR", "clip_probability", "expit", "logit", "map_logistic"]
MAX_STEPS = 100
TOLERANCE = 1e-10
MIN_PRECISION = 1e-8  # keeps a flat prior solvable on separable data


def expit(eta: np.ndarray) -> np.ndarray:
    """The logistic function, without overflow at any ``eta``."""
    out: np.ndarray = 0.5 * (1.0 + np.tanh(0.5 * eta))
    return out


def clip_probability(p: np.ndarray) -> np.ndarray:
    """``p`` within [:data:`FLOOR`, :data:`CEILING`]."""
    clipped: np.ndarray = np.clip(p, FLOOR, CEILING)
    return clipped


def logit(p: np.ndarray) -> np.ndarray:
    """Log-odds of ``p``, kept finite (``p`` clipped to [1e-6, 1 - 1e-6])."""
    clipped = np.clip(p, 1e-6, 1 - 1e-6)
    out: np.ndarray = np.log(clipped / (1 - clipped))
    return out


def map_logistic(
    x: np.ndarray,
    trials: np.ndarray,
    successes: np.ndarray,
    *,
    mean: np.ndarray | None = None,
    precision: np.ndarray | None = None,
) -> np.ndarray:
    """Coefficients ``b`` maximising the binomial log-likelihood of ``successes`` out of
    ``trials`` with ``p = expit(x @ b)``, plus a normal prior N(``mean``, 1/``precision``)
    on each coefficient (default: 0 and nearly flat). ``x`` carries its own intercept
    column when one is wanted."""
    k = x.shape[1]
    centre = np.zeros(k) if mean is None else np.asarray(mean, dtype=np.float64)
    tau = np.maximum(np.zeros(k) if precision is None else precision, MIN_PRECISION)

    def loss(beta: np.ndarray) -> float:
        eta = x @ beta
        log_lik = float(successes @ eta - trials @ np.logaddexp(0.0, eta))
        return 0.5 * float(tau @ (beta - centre) ** 2) - log_lik

    beta = centre.copy()
    current = loss(beta)
    for _ in range(MAX_STEPS):
        p = expit(x @ beta)
        gradient = x.T @ (trials * p - successes) + tau * (beta - centre)
        hessian = (x * (trials * p * (1 - p))[:, None]).T @ x + np.diag(tau)
        step = np.linalg.solve(hessian, gradient)
        scale = 1.0
        while scale > 1e-6:  # damped: never a step that makes the fit worse
            trial = beta - scale * step
            value = loss(trial)
            if value <= current + 1e-12:
                break
            scale /= 2
        else:
            break
        beta, previous, current = trial, current, value
        if np.abs(scale * step).max() < TOLERANCE or previous - current < TOLERANCE:
            break
    return beta
