"""The exact ε* of a Gaussian mixture against a finite-difference score of its density.

The reference density is built here from scipy's multivariate normal, independently of
``GaussianMixture``: q(x_t) = Σ_k π_k N(x_t; √ᾱ c_k, (ᾱσ² + 1 − ᾱ) I), and
ε* = −√(1 − ᾱ) ∇ log q(x_t) with the gradient taken by central differences.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy.stats import multivariate_normal

from explainer.datasets.modes import modes_covered
from explainer.datasets.toy2d import get_dataset
from explainer.diffusion.exact import GaussianMixture, exact_eps_fn, nearest_distance
from explainer.denoising.sample import run
from explainer.denoising.schedule import NoiseSchedule

LIN = NoiseSchedule.linear()


def log_q(x: np.ndarray, centers: np.ndarray, std: float, abar: float) -> float:
    var = abar * std**2 + 1 - abar
    dens = sum(multivariate_normal(mean=np.sqrt(abar) * c, cov=var * np.eye(2)).pdf(x) for c in centers)
    return float(np.log(dens / len(centers)))


@pytest.mark.parametrize("data", ["ring", "grid"])
@pytest.mark.parametrize("t", [0, 30, 200, 999])
def test_exact_eps_is_minus_sqrt_one_minus_abar_times_the_fd_score(data, t):
    ds = get_dataset(data)
    mix = GaussianMixture.of(ds.centers, ds.std)
    abar = float(LIN.alphas_cumprod[t])
    rng = np.random.default_rng(t)
    # points where q is not vanishingly small: noised data
    x0 = ds.sample_numpy(6, seed=t)
    xt = np.sqrt(abar) * x0 + np.sqrt(1 - abar) * rng.standard_normal(x0.shape)
    h = 1e-4 * np.sqrt(abar * ds.std**2 + 1 - abar)  # a step small against the mixture's width at t
    fd = np.zeros_like(xt)
    for i, x in enumerate(xt):
        for d in range(2):
            e = np.zeros(2)
            e[d] = h
            fd[i, d] = (log_q(x + e, ds.centers, ds.std, abar) - log_q(x - e, ds.centers, ds.std, abar)) / (2 * h)
    want = -np.sqrt(1 - abar) * fd
    got = mix.eps(torch.as_tensor(xt), abar).numpy()
    np.testing.assert_allclose(got, want, rtol=2e-3, atol=2e-4 * max(1.0, np.abs(want).max()))


def test_log_density_matches_scipy():
    ds = get_dataset("ring")
    mix = GaussianMixture.of(ds.centers, ds.std)
    x = np.array([[2.0, 0.05], [1.37, 1.44], [-1.4, 1.43]])  # near modes: scipy's density must not underflow
    for abar in (0.999, 0.5, 0.01):
        want = [log_q(p, ds.centers, ds.std, abar) for p in x]
        np.testing.assert_allclose(mix.log_density(torch.as_tensor(x), abar).numpy(), want, rtol=1e-9)


def test_exact_sampler_covers_every_grid_mode():
    ds = get_dataset("grid")
    fn = exact_eps_fn(GaussianMixture.of(ds.centers, ds.std), LIN)
    x = run(fn, LIN, (2500, 2), seed=0, sampler="ddim", n_steps=50, keep=2).samples
    modes, hq = modes_covered(x, ds.centers, ds.std)
    assert modes == 25 and hq > 0.95


def test_exact_denoiser_of_points_only_reproduces_them():
    """Memorisation: the exact denoiser of a finite set gives back (almost) exactly its points."""
    points = get_dataset("moons").sample_numpy(200, seed=3)
    fn = exact_eps_fn(GaussianMixture.of(points), LIN)
    x = run(fn, LIN, (300, 2), seed=1, sampler="ddim", n_steps=100, keep=2).samples
    d = nearest_distance(x, points)
    assert np.median(d) < 1e-3
    fresh = get_dataset("moons").sample_numpy(300, seed=4)  # new data lies between the training points
    assert np.median(nearest_distance(fresh, points)) > 20 * np.median(d)


def test_nearest_distance_by_hand():
    d = nearest_distance(np.array([[0.0, 0.0], [3.0, 4.0]]), np.array([[0.0, 1.0], [3.0, 0.0]]))
    np.testing.assert_allclose(d, [1.0, 4.0])
