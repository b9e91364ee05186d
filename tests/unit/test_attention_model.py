"""The transformer's attention, checked against recomputations that do not use its code."""

import numpy as np
import pytest
import torch

from explainer import positional
from explainer.attention import POSITIONAL_SCHEMES, RunOptions, Transformer, TransformerConfig

V, T = 30, 9


def tiny(positional_scheme="learned", causal=False, seed=0, n_layers=2, n_heads=4):
    cfg = TransformerConfig(vocab_size=V, n_positions=16, d_model=32, n_heads=n_heads, n_layers=n_layers,
                            d_ff=64, causal=causal, positional=positional_scheme)
    model = Transformer(cfg, generator=torch.Generator().manual_seed(seed)).eval()
    # Larger weights than the N(0, 0.02) init, so that attention is far from uniform.
    with torch.no_grad():
        for p in model.parameters():
            if p.dim() >= 2:
                p.mul_(10.0)
            else:
                p.add_(0.1 * torch.randn(p.shape, generator=torch.Generator().manual_seed(seed + 1)))
    return model


def ids(seed=0, B=3):
    return torch.randint(0, V, (B, T), generator=torch.Generator().manual_seed(seed))


@pytest.mark.parametrize("scheme", POSITIONAL_SCHEMES)
@pytest.mark.parametrize("causal", [False, True])
def test_rows_sum_to_one_and_softmax1_rows_at_most_one(scheme, causal):
    model = tiny(scheme, causal)
    with torch.no_grad():
        a = model(ids()).attention  # (B, L, H, T, T)
        a1 = model(ids(), options=RunOptions(softmax="softmax1")).attention
    assert a.shape == (3, 2, 4, T, T)
    torch.testing.assert_close(a.sum(-1), torch.ones(a.shape[:-1]))
    assert (a1.sum(-1) <= 1 + 1e-6).all() and (a1.sum(-1) < a.sum(-1)).any()


@pytest.mark.parametrize("scheme", POSITIONAL_SCHEMES)
def test_causal_mask_zeroes_the_future(scheme):
    with torch.no_grad():
        a = tiny(scheme, causal=True)(ids()).attention
    future = torch.triu(torch.ones(T, T, dtype=torch.bool), diagonal=1)
    assert (a[..., future] == 0).all()
    assert (a[..., ~future] > 0).all()


def reference_layer0(model, x_ids, pad_mask=None):
    """Recompute layer-0 attention in float64 NumPy from the weights (no model code)."""
    cfg = model.cfg
    sd = {k: v.double().numpy() for k, v in model.state_dict().items()}
    x = sd["embed.weight"][x_ids.numpy()]  # (B, T, d)
    Tn = x.shape[1]
    if cfg.positional == "learned":
        x = x + sd["pos"][:Tn]
    if cfg.positional == "sinusoidal":
        x = x + positional.sinusoidal(cfg.n_positions, cfg.d_model)[:Tn]
    mu, var = x.mean(-1, keepdims=True), x.var(-1, keepdims=True)
    h = (x - mu) / np.sqrt(var + 1e-5) * sd["blocks.0.ln1.weight"] + sd["blocks.0.ln1.bias"]
    qkv = h @ sd["blocks.0.attn.qkv.weight"].T + sd["blocks.0.attn.qkv.bias"]  # (B, T, 3d)
    B, H, dk = x.shape[0], cfg.n_heads, cfg.d_k
    q, k, _ = qkv.reshape(B, Tn, 3, H, dk).transpose(2, 0, 3, 1, 4)
    if cfg.positional == "rope":
        q, k = positional.rope(q, np.arange(Tn)), positional.rope(k, np.arange(Tn))  # NumPy path
    s = q @ k.swapaxes(-1, -2) / np.sqrt(dk)  # (B, H, T, T)
    if cfg.positional == "alibi":
        s = s + positional.alibi_bias(H, Tn, causal=False)
    if cfg.causal:
        s = np.where(np.tril(np.ones((Tn, Tn), bool)), s, -np.inf)
    if pad_mask is not None:
        s = np.where(pad_mask.numpy()[:, None, None, :], s, -np.inf)
    s = s - s.max(-1, keepdims=True)
    e = np.exp(s)
    return e / e.sum(-1, keepdims=True)


@pytest.mark.parametrize("scheme", POSITIONAL_SCHEMES)
@pytest.mark.parametrize("causal", [False, True])
def test_attention_equals_independent_recomputation(scheme, causal):
    model = tiny(scheme, causal)
    x = ids(1)
    pad = torch.ones_like(x, dtype=torch.bool)
    pad[0, -3:] = False  # some padding in the first row
    with torch.no_grad():
        out = model(x, pad_mask=pad, trace=True)
    expected = reference_layer0(model, x, pad)
    np.testing.assert_allclose(out.attention[:, 0].numpy(), expected, atol=2e-5)
    assert np.abs(expected - 1.0 / T).max() > 0.2  # the check is not vacuous: attention is peaked


@pytest.mark.parametrize("scheme", ["learned", "alibi", "rope"])
def test_trace_stages_are_consistent(scheme):
    model = tiny(scheme, causal=True)
    with torch.no_grad():
        out = model(ids(2), options=RunOptions(temperature=0.5), trace=True)
    for layer, tr in enumerate(out.traces):
        torch.testing.assert_close(tr.raw, tr.q @ tr.k.transpose(-1, -2))
        torch.testing.assert_close(tr.scaled, tr.raw / np.sqrt(model.cfg.d_k))
        bias = torch.tensor(positional.alibi_bias(4, T, causal=True) if scheme == "alibi" else
                            np.where(np.tril(np.ones((T, T))), 0.0, -np.inf), dtype=torch.float32)
        torch.testing.assert_close(tr.logits, (tr.scaled + bias) / 0.5)
        torch.testing.assert_close(tr.weights, torch.softmax(tr.logits, -1))
        torch.testing.assert_close(tr.mixed, tr.weights @ tr.v)
        torch.testing.assert_close(tr.weights, out.attention[:, layer])


def test_temperature_divides_the_logits():
    model = tiny("learned")
    with torch.no_grad():
        cold = model(ids(), options=RunOptions(temperature=0.25)).attention
        hot = model(ids(), options=RunOptions(temperature=4.0)).attention
    entropy = lambda a: -(a * a.clamp_min(1e-12).log()).sum(-1).mean()  # noqa: E731
    assert entropy(cold) < entropy(hot)


@pytest.mark.parametrize("layer, head", [(0, 1), (1, 3)])
def test_head_mask_removes_exactly_that_heads_contribution(layer, head):
    model = tiny("learned")
    x = ids(3)
    mask = torch.ones(2, 4)
    mask[layer, head] = 0
    with torch.no_grad():
        full = model(x, trace=True)
        ablated = model(x, options=RunOptions(head_mask=mask), trace=True)
        # The layer's attention output differs by exactly head h's slice of the output projection.
        attn = model.blocks[layer].attn
        d_k = model.cfg.d_k
        tr_full, tr_abl = full.traces[layer], ablated.traces[layer]
        # Same inputs reach this layer (earlier layers untouched) → same attention for all heads.
        torch.testing.assert_close(tr_abl.weights, tr_full.weights)

        def layer_output(trace, keep):
            mixed = trace.mixed * keep.view(1, -1, 1, 1)
            return attn.proj(mixed.transpose(1, 2).reshape(x.shape[0], T, -1))

        contribution = tr_full.mixed[:, head] @ attn.proj.weight[:, head * d_k : (head + 1) * d_k].T  # (B, T, d)
        diff = layer_output(tr_full, torch.ones(4)) - layer_output(tr_abl, mask[layer])
        torch.testing.assert_close(diff, contribution, atol=1e-5, rtol=1e-4)
    # Layers before are unchanged, the ablated layer's other heads' attention is unchanged,
    # and the final output does change.
    for earlier in range(layer):
        torch.testing.assert_close(ablated.attention[:, earlier], full.attention[:, earlier])
    assert not torch.allclose(ablated.logits, full.logits)


def test_permutation_equivariance_without_positions():
    model = tiny("none", causal=False)
    x = ids(4, B=1)
    perm = torch.randperm(T, generator=torch.Generator().manual_seed(5))
    with torch.no_grad():
        a, b = model(x), model(x[:, perm])
    torch.testing.assert_close(b.hidden, a.hidden[:, perm], atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(b.attention, a.attention[..., perm, :][..., perm], atol=1e-6, rtol=1e-5)
    # With positions the same shuffle changes the outputs beyond reordering.
    learned = tiny("learned")
    with torch.no_grad():
        assert not torch.allclose(learned(x[:, perm]).hidden, learned(x).hidden[:, perm], atol=1e-3)


def test_init_is_seeded_locally():
    state = torch.random.get_rng_state()
    a, b = tiny(seed=7), tiny(seed=7)
    assert torch.equal(torch.random.get_rng_state(), state)  # the global RNG was not used
    for (na, pa), (_, pb) in zip(a.state_dict().items(), b.state_dict().items()):
        assert torch.equal(pa, pb), na


def test_bad_config_and_inputs_are_rejected():
    with pytest.raises(ValueError):
        TransformerConfig(vocab_size=10, positional="absolute")
    with pytest.raises(ValueError):
        TransformerConfig(vocab_size=10, d_model=30, n_heads=4)
    with pytest.raises(ValueError):
        tiny()(torch.zeros(1, 17, dtype=torch.long))
    with pytest.raises(ValueError):
        tiny()(ids(), options=RunOptions(head_mask=torch.ones(3, 4)))
