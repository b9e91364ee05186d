"""Why transformers need positions: equivariance, learned tables, and a five-way comparison.

Self-attention alone is **permutation-equivariant** (Vaswani et al. 2017, §3.5): for any
permutation matrix P, Attention(PX) = P·Attention(X) — shuffle the input tokens and the
outputs are shuffled the same way, nothing else changes. Without a position scheme (and
without a causal mask) the model therefore cannot tell "1 2 3" from "3 2 1", and can never
learn to reverse a sequence. :func:`permutation_equivariance` shows it numerically.

The comparison models are one 2-layer encoder trained on the same reversal task with each
scheme — none, sinusoidal (Vaswani et al.), learned (BERT/GPT-2), RoPE (Su et al. 2021),
ALiBi (Press et al. 2022) — and :func:`positional_comparison` reads back their held-out
accuracies. :func:`learned_positions` exposes a learned position table to plot.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from explainer import checkpoint, validate

from .model import POSITIONAL_SCHEMES
from .run import LoadedModel, encode_text
from .training import POSITIONAL_NAMES


@dataclass(frozen=True)
class EquivarianceCheck:
    tokens: tuple[str, ...]  # the input tokens, in their original order
    permutation: tuple[int, ...]  # position i of the shuffled input holds original token perm[i]
    output_error: float  # max |f(shuffled x) − shuffled f(x)| over the final hidden states
    attention_error: float  # max |A(shuffled x) − P A(x) Pᵀ| over every layer and head
    equivariant: bool  # both errors below the tolerance


def learned_positions(loaded: LoadedModel) -> np.ndarray:
    """The learned position-embedding table P (n_positions, d_model): row p is added at position p."""
    if loaded.cfg.positional != "learned":
        raise ValueError(f"{loaded.name} uses {loaded.cfg.positional!r} positions, not a learned table")
    return loaded.model.pos.detach().float().cpu().numpy()


def cosine_similarity(table: np.ndarray) -> np.ndarray:
    """(P, P) cosine similarity between the rows of a position table: nearby positions look alike."""
    unit = table / np.maximum(np.linalg.norm(table, axis=1, keepdims=True), 1e-12)
    return unit @ unit.T


@torch.no_grad()
def permutation_equivariance(
    loaded: LoadedModel, text: str, *, seed: int = 0, tolerance: float = 1e-4
) -> EquivarianceCheck:
    """Shuffle the tokens of ``text`` and check whether the outputs shuffle the same way.

    True (to float precision) for a bidirectional model without positions; false as soon as
    a position scheme or a causal mask is present — the point of the demonstration.
    """
    seed = validate.integer(seed, "seed", lo=0, hi=2**63 - 1)
    encoded = encode_text(loaded, text)
    model = loaded.model
    ids = torch.tensor([encoded.ids], device=model.device)  # (1, T)
    T = ids.shape[1]
    perm = torch.randperm(T, generator=torch.Generator().manual_seed(seed))  # (T,)
    base = model(ids)
    shuffled = model(ids[:, perm.to(model.device)])
    p = perm.to(model.device)
    output_error = (shuffled.hidden[0] - base.hidden[0][p]).abs().max()  # f(Px) vs P f(x)
    expected = base.attention[0][:, :, p][:, :, :, p]  # (L, H, T, T): P A Pᵀ
    attention_error = (shuffled.attention[0] - expected).abs().max()
    errors = float(output_error), float(attention_error)
    return EquivarianceCheck(
        encoded.tokens, tuple(perm.tolist()), errors[0], errors[1], max(errors) < tolerance
    )


def positional_comparison(directory: Path | None = None) -> dict[str, dict]:
    """Held-out reversal accuracy of the model trained with each position scheme.

    Returns {scheme: {"exact_sequence_accuracy", "token_accuracy", "anti_diagonal_mass", ...}}
    read from the checkpoints' JSON (what the training run measured).
    """
    out = {}
    for scheme in POSITIONAL_SCHEMES:
        ckpt = checkpoint.load(POSITIONAL_NAMES[scheme], directory=directory)
        keep = ("exact_sequence_accuracy", "token_accuracy", "anti_diagonal_mass", "anti_diagonal_head", "n_test")
        out[scheme] = {k: ckpt.metrics[k] for k in keep if k in ckpt.metrics}
    return out
