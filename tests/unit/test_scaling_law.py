"""Scaling laws (issue 12): the fit recovers known parameters from synthetic runs, the
compute-optimal point is the minimum of its IsoFLOP curve, and a real run learns something."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from explainer.attention.scaling_law import (
    CHINCHILLA, FLOPS_PER_PARAM_TOKEN, HUBER_DELTA, ScalingLaw, _objective, fit,
)

TRUE = ScalingLaw(E=0.9, A=60.0, B=300.0, alpha=0.45, beta=0.35)
N = np.repeat([2e4, 5e4, 1e5, 3e5, 1e6], 4)
D = np.tile([1e5, 5e5, 2e6, 1e7], 5)


def test_fit_recovers_known_parameters_exactly_without_noise():
    law = fit(N, D, TRUE.loss(N, D))
    for name in ("E", "A", "B", "alpha", "beta"):
        assert getattr(law, name) == pytest.approx(getattr(TRUE, name), rel=1e-3), name


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_fit_recovers_the_exponents_through_noise(seed):
    losses = TRUE.loss(N, D) * np.exp(np.random.default_rng(seed).normal(0, 0.003, N.size))  # 0.3 % noise
    law = fit(N, D, losses)
    # With noise, E, A and α trade off against each other (seed 2 fits α 0.40, E 0.86 better than the truth
    # does): the exponents are pinned to a band, and the fit must be at least as good as the true law.
    assert law.alpha == pytest.approx(TRUE.alpha, abs=0.08)
    assert law.beta == pytest.approx(TRUE.beta, abs=0.05)
    assert law.E == pytest.approx(TRUE.E, abs=0.06)
    assert np.abs(law.loss(N, D) / TRUE.loss(N, D) - 1).max() < 0.01  # predictions within 1 %
    data = (np.log(N), np.log(D), np.log(losses), HUBER_DELTA)
    as_theta = lambda s: np.array([math.log(s.A), math.log(s.B), math.log(s.E), s.alpha, s.beta])  # noqa: E731
    assert _objective(as_theta(law), *data) <= _objective(as_theta(TRUE), *data) * (1 + 1e-6)


def test_fit_recovers_chinchillas_own_law_at_chinchillas_scale():
    n, d = np.repeat(np.geomspace(7e7, 1.6e10, 6), 5), np.tile(np.geomspace(5e9, 5e11, 5), 6)
    law = fit(n, d, CHINCHILLA.loss(n, d))
    assert (law.alpha, law.beta) == pytest.approx((0.34, 0.28), abs=0.01)


def test_the_optimum_spends_the_budget_and_is_the_isoflop_minimum():
    for flops in (1e9, 1e12, 1e21):
        n_opt, d_opt = TRUE.optimal(flops)
        assert FLOPS_PER_PARAM_TOKEN * n_opt * d_opt == pytest.approx(flops, rel=1e-9)
        n = np.geomspace(n_opt / 100, n_opt * 100, 20001)
        assert n[np.argmin(TRUE.isoflop(flops, n))] == pytest.approx(n_opt, rel=1e-3)


def test_chinchillas_exponents_give_about_equal_growth():
    """a = β/(α+β) ≈ 0.45 and b = α/(α+β) ≈ 0.55 for their fit (Hoffmann et al., Approach 3)."""
    (n1, d1), (n2, d2) = CHINCHILLA.optimal(1e20), CHINCHILLA.optimal(1e22)
    assert math.log10(n2 / n1) / 2 == pytest.approx(0.28 / 0.62, abs=1e-6)
    assert math.log10(d2 / d1) / 2 == pytest.approx(0.34 / 0.62, abs=1e-6)


def test_fit_refuses_too_few_or_non_positive_runs():
    with pytest.raises(ValueError, match="at least 5"):
        fit(N[:4], D[:4], TRUE.loss(N[:4], D[:4]))
    with pytest.raises(ValueError, match="positive"):
        fit(N, D, -TRUE.loss(N, D))


def test_a_real_run_counts_its_parameters_and_tokens_and_learns():
    from explainer.attention.scaling_runs import config, non_embedding_params, train_run
    from explainer.attention.model import Transformer

    torch.set_num_threads(1)
    run = train_run(32, 1, 40_000, seed=3)  # about 50 steps, 2 s
    model = Transformer(config(32, 1))
    by_hand = sum(p.numel() for p in model.blocks.parameters()) + sum(p.numel() for p in model.ln_f.parameters())
    assert run.params == non_embedding_params(model) == by_hand
    assert 40_000 <= run.tokens < 40_000 + 64 * 32  # at most one batch over the budget
    assert run.loss < math.log(config(32, 1).vocab_size) - 1.0  # well below guessing uniformly (ln 245 = 5.5)
