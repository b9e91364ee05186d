"""The unrolled / CUDA-graphed DDPM sampler gives the eager sampler's trajectory for the same seed."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from explainer.diffusion.catalog import load
from explainer.diffusion.graphed import UnrolledDDPM
from explainer.denoising.model import EpsMLPConfig, build
from explainer.denoising.sample import run
from explainer.denoising.schedule import NoiseSchedule


def _assert_same(a, b, atol: float) -> None:
    np.testing.assert_array_equal(a.t, b.t)
    for name in ("x", "x0_hat", "eps"):
        np.testing.assert_allclose(getattr(a, name), getattr(b, name), atol=atol, rtol=0, err_msg=name)


def test_unrolled_matches_the_eager_walk_on_cpu(one_thread):
    ring = load("diffusion_ring", "cpu")
    unrolled = UnrolledDDPM(ring.net, ring.schedule, 50)
    assert unrolled.graph is None  # no CUDA here: the same loop, eagerly
    eager = run(ring.eps_fn(), ring.schedule, (50, 2), seed=7, sampler="ddpm")
    got = unrolled.sample(7)
    assert got.x.shape == eager.x.shape == (1001, 50, 2)
    # x̂_0 divides by √ᾱ_t ≈ 0.006 at t = 999: float32 rounding of ε̂ grows ×150 there
    _assert_same(got, eager, atol=1e-3)
    np.testing.assert_allclose(got.samples, eager.samples, atol=1e-4)
    assert not np.allclose(unrolled.sample(8).samples, got.samples)  # the seed matters


def test_unrolled_refuses_a_conditional_model():
    net = build(EpsMLPConfig(dim=64, n_classes=10), torch.Generator().manual_seed(0))
    with pytest.raises(ValueError, match="unconditional"):
        UnrolledDDPM(net, NoiseSchedule.linear(T=10), 4)


@pytest.mark.gpu
def test_cuda_graph_agrees_with_eager_on_the_shipped_ring():
    device = torch.device("cuda")
    ring = load("diffusion_ring", device)
    graphed = UnrolledDDPM(ring.net, ring.schedule, 2000)
    assert graphed.graph is not None
    eager = run(ring.eps_fn(), ring.schedule, (2000, 2), seed=0, sampler="ddpm", device=device)
    first = graphed.sample(0)
    _assert_same(first, eager, atol=1e-3)  # 1,000 steps of TF32/float32 rounding, still the same points
    _assert_same(graphed.sample(0), first, atol=0)  # a replay is deterministic
