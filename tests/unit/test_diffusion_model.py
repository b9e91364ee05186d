"""The ε-networks: the time embedding is the transformer's sinusoid, weights come from a seed,
one shared step equals per-row steps, and guidance mixes the two predictions as published."""

from __future__ import annotations

import numpy as np
import torch

from explainer import checkpoint
from explainer.denoising.model import NULL_LABEL, EpsMLP, EpsMLPConfig, build, guided_eps, guided_eps_vector, time_embedding

try:  # the public maths function (it may move a floor down, to explainer.maths)
    from explainer.positional import sinusoidal
except ImportError:  # pragma: no cover
    from explainer.maths.positions import sinusoidal

DIGIT = EpsMLPConfig(dim=64, width=32, depth=2, emb_dim=16, n_classes=10)
VECTOR = EpsMLPConfig(dim=64, width=32, depth=2, emb_dim=16, cond_dim=8)  # conditioned on an 8-number vector


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


# --- vector conditioning (the text-to-image tab's prior and decoder) --------------------------
def test_vector_guidance_is_one_plus_w_cond_minus_w_zero_vector():
    net = build(VECTOR, gen(6))
    x = torch.randn(4, 64, generator=gen(7))
    c = torch.randn(4, 8, generator=gen(8))
    cond, uncond = net(x, 70, vectors=c), net(x, 70, vectors=torch.zeros(4, 8))
    assert not torch.allclose(cond, uncond)  # the vector reaches the output
    # by hand, row by row: ε̃ = (1 + w) ε(x, c) − w ε(x, 0) with w = 1.5
    expected = torch.stack([2.5 * net(x[i:i + 1], 70, vectors=c[i:i + 1])[0]
                            - 1.5 * net(x[i:i + 1], 70, vectors=torch.zeros(1, 8))[0] for i in range(4)])
    torch.testing.assert_close(guided_eps_vector(net, x, 70, c, 1.5), expected, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(guided_eps_vector(net, x, 70, c, 0.0), cond)
    torch.testing.assert_close(guided_eps_vector(net, x, 70, None, 1.5), uncond)  # no vector: the zero vector's
    torch.testing.assert_close(net(x, 70), uncond)


def test_the_vector_shift_is_one_linear_map_of_the_vector():
    net = build(VECTOR, gen(9))
    t, c = torch.tensor([5]), torch.randn(3, 8, generator=gen(10))
    shifts = net.conditioning(t, vectors=c) - net.conditioning(t)  # (3, depth+1, width): W c (the bias cancels)
    manual = (c @ net.vector.weight.T).reshape(3, VECTOR.depth + 1, VECTOR.width)
    torch.testing.assert_close(shifts, manual, rtol=1e-5, atol=1e-5)
    x = torch.randn(3, 64, generator=gen(11))
    torch.testing.assert_close(net(x, 5, vectors=c), net(x, torch.full((3,), 5), vectors=c))  # shared t = per row


def test_zero_cond_dim_adds_no_weights_and_shipped_checkpoints_still_load():
    assert EpsMLPConfig().cond_dim == 0
    plain = build(DIGIT, gen(12))
    assert plain.vector is None
    assert not any(k.startswith("vector") for k in plain.state_dict())
    for name in ("diffusion_digits", "diffusion_ring"):  # written before the field existed
        ckpt = checkpoint.load(name)
        model = ckpt.config["train"]["model"]
        assert "cond_dim" not in model
        net = EpsMLP(EpsMLPConfig(**model))
        weights = {k[len("model."):]: v for k, v in ckpt.tensors.items() if k.startswith("model.")}
        assert set(net.state_dict()) == set(weights), name
        net.load_state_dict(weights, strict=True)
