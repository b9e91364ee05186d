"""softmax1 (Miller 2023) against a direct float64 formula, and the row-sum properties."""

import math

import numpy as np
import pytest
import torch

from explainer.attention import attention_softmax, softmax1


def reference_softmax1(x: np.ndarray) -> np.ndarray:
    """exp(x_i) / (1 + Σ_j exp(x_j)), written out directly in float64 (no tricks)."""
    e = np.exp(x.astype(np.float64))
    return e / (1.0 + e.sum(axis=-1, keepdims=True))


def test_softmax1_matches_direct_formula():
    x = torch.randn(6, 5, 9, generator=torch.Generator().manual_seed(0), dtype=torch.float64) * 4
    np.testing.assert_allclose(softmax1(x).numpy(), reference_softmax1(x.numpy()), rtol=1e-12, atol=1e-15)


def test_softmax1_is_softmax_with_an_extra_zero_logit():
    x = torch.randn(4, 7, generator=torch.Generator().manual_seed(1))
    padded = torch.cat([x, torch.zeros(4, 1)], dim=-1)
    torch.testing.assert_close(softmax1(x), torch.softmax(padded, dim=-1)[:, :-1])


def test_softmax1_is_stable_for_huge_and_masked_scores():
    x = torch.tensor([[1000.0, 999.0, -math.inf], [-math.inf, -math.inf, -math.inf], [-1000.0, -1000.0, -1000.0]])
    y = softmax1(x)
    assert torch.isfinite(y).all()
    # Row 0: exp(1000) dominates the 1, so it behaves like softmax over the two finite scores.
    torch.testing.assert_close(y[0, :2], torch.softmax(torch.tensor([1000.0, 999.0]), dim=0))
    assert y[1].sum() == 0  # fully masked: attend to nothing
    assert y[2].sum() < 1e-300 or y[2].sum() == 0  # all very negative: (almost) nothing


def test_rows_sum_to_one_for_softmax_and_at_most_one_for_softmax1():
    x = torch.randn(3, 4, 8, 8, generator=torch.Generator().manual_seed(2)) * 3
    torch.testing.assert_close(attention_softmax(x, "softmax").sum(-1), torch.ones(3, 4, 8))
    sums = attention_softmax(x, "softmax1").sum(-1)
    assert (sums <= 1.0).all() and (sums > 0).all()
    # Strictly less than 1 by exactly 1 / (1 + Σ exp x).
    expected = 1.0 - 1.0 / (1.0 + torch.exp(x.double()).sum(-1))
    torch.testing.assert_close(sums.double(), expected, rtol=1e-5, atol=1e-6)


def test_softmax1_along_other_dims():
    x = torch.randn(5, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(3))
    np.testing.assert_allclose(softmax1(x, dim=0).numpy(), reference_softmax1(x.numpy().T).T, rtol=1e-12)


def test_unknown_softmax_kind_is_rejected():
    with pytest.raises(ValueError):
        attention_softmax(torch.zeros(2), "sparsemax")
