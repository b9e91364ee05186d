"""NoiseSchedule against independent references: hand values, closed forms, and a known answer.

The references here are written out with Python floats from the papers' formulas, in a
different form from the implementation where there is one (the posterior mean of Ho et al.
eq. 7 against the ε-form of eq. 11; DDPM against DDIM with η = 1 on the full schedule).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from explainer.diffusion.exact import GaussianMixture, exact_eps_fn
from explainer.denoising.sample import run
from explainer.denoising.schedule import NoiseSchedule, timesteps
from explainer.validate import InputError

LIN = NoiseSchedule.linear()
COS = NoiseSchedule.cosine()


def py_linear_betas(T=1000, start=1e-4, end=0.02):
    return [start + (end - start) * i / (T - 1) for i in range(T)]


def py_cumprod(betas):
    out, p = [], 1.0
    for b in betas:
        p *= 1 - b
        out.append(p)
    return out


def test_linear_betas_and_cumprod_match_hand_values():
    betas = py_linear_betas()
    assert LIN.betas.shape == LIN.alphas.shape == LIN.alphas_cumprod.shape == (1000,)
    assert LIN.betas[0].item() == pytest.approx(1e-4, abs=1e-15)
    assert LIN.betas[-1].item() == pytest.approx(0.02, abs=1e-15)
    assert LIN.betas[1].item() == pytest.approx(1e-4 + 0.0199 / 999, rel=1e-12)
    np.testing.assert_allclose(LIN.alphas_cumprod.numpy(), py_cumprod(betas), rtol=1e-10)
    # Ho et al.'s schedule leaves almost nothing of x_0 at T: ᾱ_T ≈ 4.0e-5
    assert LIN.alphas_cumprod[-1].item() == pytest.approx(4.04e-5, rel=0.01)


def test_cosine_schedule_is_nichol_dhariwal_eq_17_with_beta_clipped():
    T, s = 1000, 0.008

    def f(u):
        return math.cos((u / T + s) / (1 + s) * math.pi / 2) ** 2

    betas = [min(1 - f(i + 1) / f(i), 0.999) for i in range(T)]
    np.testing.assert_allclose(COS.betas.numpy(), betas, rtol=1e-9)
    assert COS.betas.max().item() == pytest.approx(0.999)  # the last step is clipped
    # before any clipping, ᾱ_t is the closed form f(t+1)/f(0)
    for t in (0, 10, 499, 900):
        assert COS.alphas_cumprod[t].item() == pytest.approx(f(t + 1) / f(0), rel=1e-9)


def test_half_signal_crossings():
    assert LIN.crossing(0.5) == int(np.argmax(np.array(py_cumprod(py_linear_betas())) <= 0.5))
    assert COS.crossing(0.5) > LIN.crossing(0.5)  # the cosine schedule keeps the signal longer


def test_q_sample_int_and_tensor_t():
    x0 = torch.tensor([[1.0, -2.0], [0.5, 0.25], [3.0, 0.0]], dtype=torch.float64)
    noise = torch.tensor([[0.3, 0.1], [-1.0, 2.0], [0.0, -0.5]], dtype=torch.float64)
    abar = py_cumprod(py_linear_betas())
    out = LIN.q_sample(x0, 10, noise)
    want = math.sqrt(abar[10]) * x0 + math.sqrt(1 - abar[10]) * noise
    torch.testing.assert_close(out, want)
    ts = torch.tensor([0, 500, 999])
    out = LIN.q_sample(x0, ts, noise)
    for i, t in enumerate(ts.tolist()):
        torch.testing.assert_close(out[i], math.sqrt(abar[t]) * x0[i] + math.sqrt(1 - abar[t]) * noise[i])


@pytest.mark.parametrize("t", [-1, 1000, 10**6])
def test_q_sample_refuses_t_out_of_range(t):
    with pytest.raises(InputError, match="between 0 and 999"):
        LIN.q_sample(torch.zeros(2, 2), t, torch.zeros(2, 2))


def posterior_mean_eq7(sched, eps, t, x_t):
    """μ̃_t(x_t, x̂_0) = √ᾱ_{t−1} β_t/(1−ᾱ_t) x̂_0 + √α_t (1−ᾱ_{t−1})/(1−ᾱ_t) x_t (Ho et al. eq. 7)."""
    abar = sched.alphas_cumprod.tolist()
    a, b = 1 - sched.betas[t].item(), sched.betas[t].item()
    ab, ab_prev = abar[t], abar[t - 1] if t > 0 else 1.0
    x0 = (x_t - math.sqrt(1 - ab) * eps) / math.sqrt(ab)
    return math.sqrt(ab_prev) * b / (1 - ab) * x0 + math.sqrt(a) * (1 - ab_prev) / (1 - ab) * x_t, \
        (1 - ab_prev) / (1 - ab) * b


@pytest.mark.parametrize("sched", [LIN, COS], ids=["linear", "cosine"])
@pytest.mark.parametrize("t", [0, 1, 37, 500, 998, 999])
def test_step_is_the_ddpm_posterior(sched, t):
    g = torch.Generator().manual_seed(t)
    x_t, eps, z = (torch.randn(6, 2, generator=g, dtype=torch.float64) for _ in range(3))
    mean, var = posterior_mean_eq7(sched, eps, t, x_t)
    torch.testing.assert_close(sched.step(eps, t, x_t, noise=torch.zeros_like(z)) if t else sched.step(eps, t, x_t),
                               mean, rtol=1e-9, atol=1e-9)
    want = mean + (math.sqrt(var) * z if t > 0 else 0.0)  # no noise on the last step
    torch.testing.assert_close(sched.step(eps, t, x_t, noise=z), want, rtol=1e-9, atol=1e-9)


def test_ddim_eta_0_by_hand_and_final_step_returns_x0_hat():
    g = torch.Generator().manual_seed(1)
    x_t, eps = torch.randn(4, 2, generator=g, dtype=torch.float64), torch.randn(4, 2, generator=g, dtype=torch.float64)
    abar = py_cumprod(py_linear_betas())
    t, tp = 600, 400
    x0 = (x_t - math.sqrt(1 - abar[t]) * eps) / math.sqrt(abar[t])
    torch.testing.assert_close(LIN.ddim_step(eps, t, tp, x_t), math.sqrt(abar[tp]) * x0 + math.sqrt(1 - abar[tp]) * eps)
    torch.testing.assert_close(LIN.ddim_step(eps, 20, -1, x_t), (x_t - math.sqrt(1 - abar[20]) * eps) / math.sqrt(abar[20]))


@pytest.mark.parametrize("t", [1, 250, 999])
def test_ddim_with_eta_1_on_every_step_is_ddpm(t):
    g = torch.Generator().manual_seed(2)
    x_t, eps, z = (torch.randn(5, 2, generator=g, dtype=torch.float64) for _ in range(3))
    torch.testing.assert_close(COS.ddim_step(eps, t, t - 1, x_t, eta=1.0, noise=z), COS.step(eps, t, x_t, noise=z))


@pytest.mark.parametrize("eta", [float("nan"), -0.1, 1.5])
def test_ddim_refuses_bad_eta(eta):
    with pytest.raises(InputError, match="η"):
        LIN.ddim_step(torch.zeros(1, 2), 10, 5, torch.zeros(1, 2), eta=eta)


def test_timesteps():
    assert timesteps(1000, 1000) == list(range(999, -1, -1))
    assert timesteps(1000, 1) == [999]
    assert timesteps(1000, 4) == [999, 666, 333, 0]
    for bad in (0, 1001):
        with pytest.raises(InputError, match="between 1 and 1000"):
            timesteps(1000, bad)


def test_ddpm_with_the_exact_eps_recovers_a_gaussian():
    """Data N(c, 0.5² I): with the exact ε* the DDPM reverse process must give back that Gaussian."""
    c = np.array([[1.5, -1.0]])
    fn = exact_eps_fn(GaussianMixture.of(c, 0.5), LIN)
    x = run(fn, LIN, (4000, 2), seed=0, sampler="ddpm", keep=2).samples
    np.testing.assert_allclose(x.mean(0), c[0], atol=0.04)
    np.testing.assert_allclose(x.std(0), [0.5, 0.5], atol=0.02)


def test_ddim_with_the_exact_eps_shrinks_a_gaussian_by_the_predicted_factor():
    """For data N(0, σ²), one DDIM step (η = 0) with the exact ε* maps x to k·x, where by hand
    ε* = √(1−ᾱ) x / s², s² = ᾱσ² + 1 − ᾱ, and k = (√(ᾱ ᾱ') σ² + √((1−ᾱ)(1−ᾱ'))) / s² ≤ s'/s
    (Cauchy–Schwarz): few large steps shrink the spread. The samples must follow the product of the k."""
    sigma, steps = 0.5, 20
    fn = exact_eps_fn(GaussianMixture.of(np.zeros((1, 2)), sigma), LIN)
    x = run(fn, LIN, (8000, 2), seed=0, sampler="ddim", n_steps=steps, keep=2).samples
    abar = py_cumprod(py_linear_betas())
    ts = timesteps(1000, steps) + [-1]
    std = 1.0  # x_T ~ N(0, I)
    for t, tp in zip(ts[:-1], ts[1:]):
        a, ap = abar[t], (abar[tp] if tp >= 0 else 1.0)
        std *= (math.sqrt(a * ap) * sigma**2 + math.sqrt((1 - a) * (1 - ap))) / (a * sigma**2 + 1 - a)
    assert std < 0.49  # a visible shrink, so the check below can tell
    np.testing.assert_allclose(x.std(0), [std, std], atol=0.012)
    np.testing.assert_allclose(x.mean(0), [0, 0], atol=0.02)
