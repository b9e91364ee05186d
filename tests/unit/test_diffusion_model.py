"""The ε-networks: the time embedding is the transformer's sinusoid, weights come from a seed,
one shared step equals per-row steps, and guidance mixes the two predictions as published."""

from __future__ import annotations

import numpy as np
import torch

from explainer.denoising.model import NULL_LABEL, EpsMLPConfig, build, guided_eps, time_embedding

try:  # the public maths function (it may move a floor down, to explainer.maths)
    from explainer.positional import sinusoidal
except ImportError:  # pragma: no cover
    from explainer.maths.positions import sinusoidal

DIGIT = EpsMLPConfig(dim=64, width=32, depth=2, emb_dim=16, n_classes=10)


def gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def test_time_embedding_is_the_positional_sinusoid():
    table = sinusoidal(1000, 32)  # (1000, 32), Vaswani et al., interleaved
    ts = torch.tensor([0, 1, 7, 500, 999])
    np.testing.assert_allclose(time_embedding(ts, 32).numpy(), table[ts.numpy()], atol=2e-4)


def test_weights_come_from_the_seed_and_leave_the_global_rng_alone():
    state = torch.random.get_rng_state()
    a, b, c = build(EpsMLPConfig(), gen(0)), build(EpsMLPConfig(), gen(0)), build(EpsMLPConfig(), gen(1))
    assert torch.equal(torch.random.get_rng_state(), state)
    for (name, pa), pb, pc in zip(a.named_parameters(), b.parameters(), c.parameters()):
        assert torch.equal(pa, pb), name
        assert not torch.equal(pa, pc), name
    bound = 1 / np.sqrt(a.input.in_features)  # PyTorch's default Linear init: U(−1/√fan_in, 1/√fan_in)
    assert a.input.weight.abs().max() <= bound and a.input.weight.abs().max() > 0.8 * bound


def test_one_shared_step_equals_a_step_per_row():
    net = build(EpsMLPConfig(fourier=3), gen(2))
    x = torch.randn(7, 2, generator=gen(3))
    torch.testing.assert_close(net(x, 123), net(x, torch.full((7,), 123)))
    assert not torch.allclose(net(x, 123), net(x, 124))  # the step matters


def test_guidance_is_one_plus_w_cond_minus_w_uncond():
    net = build(DIGIT, gen(4))
    x = torch.randn(5, 64, generator=gen(5))
    labels = torch.tensor([0, 3, 3, 9, 1])
    cond = net(x, 40, labels)
    uncond = net(x, 40, torch.full((5,), NULL_LABEL))
    torch.testing.assert_close(guided_eps(net, x, 40, labels, 0.0), cond)
    torch.testing.assert_close(guided_eps(net, x, 40, labels, 2.5), 3.5 * cond - 2.5 * uncond, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(guided_eps(net, x, 40, None, 2.5), net(x, 40))  # no label: unconditional
    assert not torch.allclose(cond, uncond)  # the label reaches the output
