"""Compute-optimal scaling (Hoffmann et al. 2022, "Chinchilla"): the loss of a language model of N
parameters trained on D tokens is modelled as

    L(N, D) = E + A / N^α + B / D^β                                          (their eq. 2)

E is the loss of a perfect model (the entropy of the text), A / N^α what a finite model cannot
represent, B / D^β what a finite data set cannot teach. Training costs C ≈ 6·N·D FLOPs, so for a
budget C the loss is lowest at (their eq. 4)

    N_opt(C) = G · (C/6)^(β/(α+β)),  D_opt(C) = G⁻¹ · (C/6)^(α/(α+β)),  G = (αA / (βB))^(1/(α+β)).

The fit follows their method ("Approach 3"): minimise the Huber loss (δ = 10⁻³) between log L and
log L̂, with L̂ written as a log-sum-exp of (e, a − α log N, b − β log D), by L-BFGS; it starts from
the best point of a grid over (α, β) instead of their 4,500 starting points. Their published fit
is :data:`CHINCHILLA`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize, nnls
from scipy.special import logsumexp

HUBER_DELTA = 1e-3  # Hoffmann et al.'s δ: robust to the few runs that did not converge
FLOPS_PER_PARAM_TOKEN = 6.0  # forward (2) + backward (4) multiply-adds per parameter per token


@dataclass(frozen=True)
class ScalingLaw:
    E: float  # irreducible loss (nats per token)
    A: float  # model-size term's scale
    B: float  # data term's scale
    alpha: float  # model-size exponent α
    beta: float  # data exponent β

    def loss(self, n_params, n_tokens):
        """L(N, D) = E + A/N^α + B/D^β, element-wise over arrays."""
        n, d = np.asarray(n_params, dtype=float), np.asarray(n_tokens, dtype=float)
        return self.E + self.A / n**self.alpha + self.B / d**self.beta

    def optimal(self, flops) -> tuple[np.ndarray, np.ndarray]:
        """(N_opt, D_opt) for a budget of ``flops`` with C = 6·N·D (eq. 4)."""
        c = np.asarray(flops, dtype=float) / FLOPS_PER_PARAM_TOKEN
        s = self.alpha + self.beta
        g = (self.alpha * self.A / (self.beta * self.B)) ** (1.0 / s)
        return g * c ** (self.beta / s), c ** (self.alpha / s) / g

    def isoflop(self, flops: float, n_params) -> np.ndarray:
        """The loss along one IsoFLOP curve: every N trained on D = C / (6N) tokens."""
        n = np.asarray(n_params, dtype=float)
        return self.loss(n, flops / (FLOPS_PER_PARAM_TOKEN * n))

    def tokens_per_parameter(self, flops) -> np.ndarray:
        n, d = self.optimal(flops)
        return d / n


CHINCHILLA = ScalingLaw(E=1.69, A=406.4, B=410.7, alpha=0.34, beta=0.28)  # Hoffmann et al. 2022, eq. 10
CHINCHILLA_TOKENS_PER_PARAM = 20  # their rule of thumb at the budgets they trained


def _huber(r: np.ndarray, delta: float) -> np.ndarray:
    a = np.abs(r)
    return np.where(a <= delta, 0.5 * r**2, delta * (a - 0.5 * delta))


def _objective(theta: np.ndarray, log_n: np.ndarray, log_d: np.ndarray, log_l: np.ndarray, delta: float) -> float:
    a, b, e, alpha, beta = theta
    pred = logsumexp(np.stack([a - alpha * log_n, b - beta * log_d, np.full_like(log_n, e)]), axis=0)
    return float(_huber(pred - log_l, delta).sum())


def _start(n: np.ndarray, d: np.ndarray, losses: np.ndarray) -> np.ndarray:
    """A starting point: for fixed (α, β) the law is linear in (E, A, B) ≥ 0, so each pair on a grid is
    one small non-negative least-squares problem (relative errors, like the log fit); the best pair wins."""
    best, best_err = None, np.inf
    weight = 1.0 / losses  # relative residuals
    for alpha in np.linspace(0.05, 1.5, 30):
        for beta in np.linspace(0.05, 1.5, 30):
            X = np.stack([np.ones_like(n), n**-alpha, d**-beta], axis=1) * weight[:, None]
            coef, err = nnls(X, losses * weight)
            if err < best_err:
                best, best_err = (coef, alpha, beta), err
    (e, a, b), alpha, beta = best
    return np.array([np.log(max(a, 1e-8)), np.log(max(b, 1e-8)), np.log(max(e, 1e-6)), alpha, beta])


def fit(n_params, n_tokens, losses, *, delta: float = HUBER_DELTA) -> ScalingLaw:
    """The law that fits the runs (N, D, L) best: Hoffmann et al.'s Huber loss on log L (Approach 3), by
    L-BFGS from the best point of a grid over (α, β) (see :func:`_start`) rather than their 4,500 starts."""
    n, d, losses = (np.asarray(v, float) for v in (n_params, n_tokens, losses))
    if not (n.shape == d.shape == losses.shape) or n.size < 5:
        raise ValueError("a fit needs at least 5 runs, each with N, D and a loss")
    if (n <= 0).any() or (d <= 0).any() or (losses <= 0).any():
        raise ValueError("N, D and the losses must be positive")
    result = minimize(_objective, _start(n, d, losses), args=(np.log(n), np.log(d), np.log(losses), delta),
                      method="L-BFGS-B", bounds=[(-20, 40), (-20, 40), (-14, 5), (0.01, 3), (0.01, 3)],
                      options={"ftol": 1e-15, "gtol": 1e-12, "maxiter": 10_000})  # the loss is ~1e-8 near the fit
    a, b, e, alpha, beta = result.x
    return ScalingLaw(E=float(np.exp(e)), A=float(np.exp(a)), B=float(np.exp(b)), alpha=float(alpha), beta=float(beta))
