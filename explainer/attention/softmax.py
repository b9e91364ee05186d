"""Softmax and softmax1: how attention scores become weights.

Scaled dot-product attention (Vaswani et al. 2017, "Attention Is All You Need", eq. 1)
turns each query's row of scores into weights with the softmax,

    softmax(x)_i = exp(x_i) / Σ_j exp(x_j),

so every row sums to exactly 1: a head *must* put its whole mass somewhere, even when
nothing in the context is relevant (heads then park it on the first token or a full stop).

Evan Miller (2023, "Attention Is Off By One") proposed adding 1 to the denominator,

    softmax1(x)_i = exp(x_i) / (1 + Σ_j exp(x_j)),

which is the ordinary softmax over the scores plus one extra, always-zero logit that is
thrown away: rows now sum to *at most* 1, and a head can abstain by making all its scores
very negative. Both are computed stably by subtracting the row maximum first; for
softmax1 the maximum also includes the implicit 0 logit, so exp never overflows.
"""

from __future__ import annotations

import torch

SOFTMAX_KINDS = ("softmax", "softmax1")


def softmax1(x: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """exp(x_i) / (1 + Σ_j exp(x_j)) along ``dim``, stable for large or −inf scores.

    With m = max(0, max_j x_j):  exp(x_i − m) / (exp(−m) + Σ_j exp(x_j − m)).
    A row that is entirely −inf (fully masked) gives zeros, not NaN.
    """
    m = x.amax(dim=dim, keepdim=True).clamp(min=0.0)  # includes the implicit zero logit
    m = torch.nan_to_num(m, nan=0.0, posinf=torch.finfo(x.dtype).max)
    e = torch.exp(x - m)
    return e / (torch.exp(-m) + e.sum(dim=dim, keepdim=True))


def attention_softmax(x: torch.Tensor, kind: str = "softmax", dim: int = -1) -> torch.Tensor:
    """The switch the models use: ``"softmax"`` (rows sum to 1) or ``"softmax1"`` (≤ 1)."""
    if kind == "softmax":
        return torch.softmax(x, dim=dim)
    if kind == "softmax1":
        return softmax1(x, dim=dim)
    raise ValueError(f"softmax kind must be one of {SOFTMAX_KINDS}, got {kind!r}")


# What the Attention tab says about softmax1 above its figure (Markdown).
WHY_SOFTMAX1 = """
**Why let a head attend to nothing?** The softmax forces every row of weights to sum to 1, so a head with
nothing useful to find must still put its attention somewhere; trained models park it on `[BOS]`, full
stops, commas or whitespace. To make those "no-op" weights large the model grows a few huge activations
on such tokens — the *outlier features* that make transformers hard to quantise: squeezing weights and
activations into 8 or 4 bits wastes the range on the outliers (Bondarenko et al. 2023). Miller's
**softmax1** (2023, "Attention Is Off By One") adds 1 to the denominator, exp(xᵢ) / (1 + Σⱼ exp(xⱼ)): a
head can now hand out less than its whole budget — even nothing — when all its scores are low.
"""
