"""Positional encodings: how a transformer learns where each token is.

Self-attention is permutation-equivariant: shuffle the tokens and the outputs shuffle the
same way, so "dog bites man" and "man bites dog" look alike. Three ways of adding order:

* **Sinusoidal** (Vaswani et al. 2017, "Attention Is All You Need", §3.5): add a fixed
  vector to each token embedding,
  PE[p, 2i] = sin(p / base^(2i/d)),  PE[p, 2i+1] = cos(p / base^(2i/d)).
  Pair i is a point turning on a circle at angular frequency ω_i = base^(-2i/d), so
  PE[p]·PE[p+k] = Σ_i cos(k ω_i) depends on the offset k only.
* **RoPE** (Su et al. 2021, "RoFormer"): rotate each consecutive pair (x[2i], x[2i+1]) of a
  query or key by the angle p·θ_i with θ_i = base^(-2i/d). Rotations compose, so
  ⟨R(m)q, R(n)k⟩ = ⟨q, R(n−m)k⟩: the score depends on the offset n − m alone.
* **ALiBi** (Press et al. 2022, "Train Short, Test Long"): no vector at all; each head h adds
  −m_h·(i − j) to the score of query i on key j, with slopes m_h geometric in h.

Functions here are pure NumPy (``rope`` also accepts torch tensors) so a notebook, the
figures and the models all share one implementation. They live a floor below the topics
(the Positional tab draws them, the attention models compute with them);
:mod:`explainer.positional` re-exports them as its public API.
"""

from __future__ import annotations

import math

import numpy as np


def inverse_frequencies(d_model: int, base: float = 10000.0) -> np.ndarray:
    """ω_i = base^(−2i/d) for i = 0 … d/2 − 1, in radians per position. Shape (d/2,)."""
    if d_model <= 0 or d_model % 2:
        raise ValueError(f"d_model must be a positive even number, got {d_model}")
    return base ** (-np.arange(0, d_model, 2, dtype=np.float64) / d_model)


def wavelengths(d_model: int, base: float = 10000.0) -> np.ndarray:
    """Wavelength of pair i in positions: λ_i = 2π / ω_i = 2π · base^(2i/d). Shape (d/2,)."""
    return 2.0 * np.pi / inverse_frequencies(d_model, base)


def sinusoidal_at(positions, d_model: int, base: float = 10000.0, dims=None) -> np.ndarray:
    """Rows of the sinusoidal table for the given positions (and only columns ``dims``, if given).

    Shape (len(positions), d_model), or (len(positions), len(dims)). Column 2i is
    sin(p·ω_i) and column 2i+1 is cos(p·ω_i), ω_i = base^(−2i/d).
    """
    omega = inverse_frequencies(d_model, base)  # (d/2,)
    positions = np.asarray(positions, dtype=np.float64)
    if dims is None:
        angles = positions[:, None] * omega  # (P, d/2)
        pe = np.empty((len(positions), d_model))
        pe[:, 0::2] = np.sin(angles)  # PE[p, 2i]
        pe[:, 1::2] = np.cos(angles)  # PE[p, 2i+1]
        return pe
    dims = np.asarray(dims, dtype=np.int64)
    angles = positions[:, None] * omega[dims // 2]  # (P, D)
    return np.where(dims % 2 == 0, np.sin(angles), np.cos(angles))


def sinusoidal(n_positions: int, d_model: int, base: float = 10000.0) -> np.ndarray:
    """The (n_positions, d_model) sinusoidal table, sin and cos interleaved (not concatenated)."""
    if n_positions <= 0:
        raise ValueError(f"n_positions must be positive, got {n_positions}")
    return sinusoidal_at(np.arange(n_positions), d_model, base)


def rope(x, positions, base: float = 10000.0):
    """Rotate consecutive pairs of ``x`` (..., T, d) by position · base^(−2i/d).

    ``positions`` has shape (T,). Works on NumPy arrays and on torch tensors (returned as
    the same type, dtype and device), so models and figures use the same rotation:
        y[2i]   = x[2i] cos(p θ_i) − x[2i+1] sin(p θ_i)
        y[2i+1] = x[2i] sin(p θ_i) + x[2i+1] cos(p θ_i)
    """
    d = x.shape[-1]
    if d % 2:
        raise ValueError(f"the last dimension of x must be even, got {d}")
    if hasattr(x, "detach"):  # torch.Tensor, imported lazily so NumPy users need no torch
        import torch

        theta = torch.as_tensor(inverse_frequencies(d, base), dtype=torch.float64, device=x.device)
        pos = torch.as_tensor(positions, dtype=torch.float64, device=x.device)
        angles = pos[:, None] * theta  # (T, d/2)
        cos, sin = angles.cos().to(x.dtype), angles.sin().to(x.dtype)
        even, odd = x[..., 0::2], x[..., 1::2]  # (..., T, d/2) each
        out = torch.empty_like(x)
        out[..., 0::2] = even * cos - odd * sin
        out[..., 1::2] = even * sin + odd * cos
        return out
    x = np.asarray(x)
    angles = np.asarray(positions, dtype=np.float64)[:, None] * inverse_frequencies(d, base)  # (T, d/2)
    cos, sin = np.cos(angles), np.sin(angles)
    even, odd = x[..., 0::2], x[..., 1::2]
    out = np.empty(x.shape, dtype=np.result_type(x.dtype, np.float64))
    out[..., 0::2] = even * cos - odd * sin
    out[..., 1::2] = even * sin + odd * cos
    return out


def alibi_slopes(n_heads: int) -> np.ndarray:
    """ALiBi head slopes (Press et al.): 2^(−8/n), 2^(−16/n), … for n a power of two.

    For other n, the reference implementation takes the slopes of the closest power of two
    below n and adds every other slope of the next power of two. Shape (n_heads,).
    """
    if n_heads <= 0:
        raise ValueError(f"n_heads must be positive, got {n_heads}")

    def power_of_two(n: int) -> list[float]:
        start = 2.0 ** (-8.0 / n)
        return [start ** (h + 1) for h in range(n)]

    if math.log2(n_heads).is_integer():
        return np.array(power_of_two(n_heads))
    closest = 2 ** math.floor(math.log2(n_heads))
    extra = power_of_two(2 * closest)[0::2][: n_heads - closest]
    return np.array(power_of_two(closest) + extra)


def alibi_bias(n_heads: int, seq_len: int, causal: bool = True) -> np.ndarray:
    """Bias added to attention scores: B[h, i, j] = −m_h · |i − j|. Shape (H, T, T).

    With ``causal`` the future (j > i) is −inf, as in a decoder's mask.
    """
    offsets = np.arange(seq_len)[:, None] - np.arange(seq_len)[None, :]  # (T, T): i − j
    bias = -alibi_slopes(n_heads)[:, None, None] * np.abs(offsets)[None]  # (H, T, T)
    if causal:
        bias = np.where(offsets[None] < 0, -np.inf, bias)
    return bias
