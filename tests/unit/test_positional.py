"""explainer.positional against independent references: pure-Python loops, complex numbers,
the values quoted in the issue, and the reference ALiBi implementation's closed form."""

from __future__ import annotations

import cmath
import math

import numpy as np
import pytest
import torch

from explainer import positional


def test_sinusoidal_matches_the_paper_at_d512_pos1():
    pe = positional.sinusoidal(2, 512)
    np.testing.assert_allclose(pe[1, :4], [0.841471, 0.540302, 0.821856, 0.569695], atol=1e-6)
    np.testing.assert_allclose(pe[0], np.tile([0.0, 1.0], 256))  # position 0: sin 0, cos 0


def test_sinusoidal_equals_a_pure_python_loop_and_interleaves():
    n, d, base = 7, 10, 500.0
    pe = positional.sinusoidal(n, d, base)
    for p in range(n):
        for i in range(d // 2):
            angle = p / base ** (2 * i / d)
            assert pe[p, 2 * i] == pytest.approx(math.sin(angle), abs=1e-12)
            assert pe[p, 2 * i + 1] == pytest.approx(math.cos(angle), abs=1e-12)


def test_sinusoidal_at_selected_rows_and_columns_equals_the_full_table():
    full = positional.sinusoidal(300, 64, 1000.0)
    rows = np.array([0, 5, 299])
    np.testing.assert_array_equal(positional.sinusoidal_at(rows, 64, 1000.0), full[rows])
    np.testing.assert_allclose(positional.sinusoidal_at(np.arange(300), 64, 1000.0, dims=[3, 10, 63]), full[:, [3, 10, 63]])


def test_wavelengths_run_from_2pi_to_nearly_2pi_base():
    lam = positional.wavelengths(512)
    assert lam[0] == pytest.approx(2 * math.pi)
    assert lam[-1] == pytest.approx(2 * math.pi * 10000 ** (510 / 512))
    assert np.all(np.diff(lam) > 0)


def test_sinusoidal_dot_product_depends_only_on_offset():
    pe = positional.sinusoidal(200, 64)
    for k in (1, 7, 40):
        dots = np.einsum("pd,pd->p", pe[:-k], pe[k:])
        np.testing.assert_allclose(dots, dots[0], atol=1e-9)
        # closed form: Σ_i cos(k ω_i)
        assert dots[0] == pytest.approx(np.cos(k * positional.inverse_frequencies(64)).sum())


@pytest.mark.parametrize("bad", [0, -2, 7])
def test_odd_or_nonpositive_d_model_is_refused(bad):
    with pytest.raises(ValueError):
        positional.sinusoidal(4, bad)


def _rope_reference(x: np.ndarray, positions: np.ndarray, base: float) -> np.ndarray:
    """Each pair (x[2i], x[2i+1]) as the complex number x[2i] + j·x[2i+1], times e^{j·p·θ_i}."""
    t_len, d = x.shape
    out = np.empty_like(x)
    for t in range(t_len):
        for i in range(d // 2):
            z = complex(x[t, 2 * i], x[t, 2 * i + 1]) * cmath.exp(1j * positions[t] * base ** (-2 * i / d))
            out[t, 2 * i], out[t, 2 * i + 1] = z.real, z.imag
    return out


def test_rope_equals_complex_rotation():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((6, 8))
    positions = np.array([0, 1, 2, 5, 11, 100])
    np.testing.assert_allclose(positional.rope(x, positions, 500.0), _rope_reference(x, positions, 500.0), atol=1e-12)


def test_rope_keeps_norms_and_position_zero_is_identity():
    x = np.random.default_rng(1).standard_normal((2, 3, 5, 16))
    y = positional.rope(x, np.arange(5))
    np.testing.assert_allclose(np.linalg.norm(y, axis=-1), np.linalg.norm(x, axis=-1))
    np.testing.assert_allclose(y[..., 0, :], x[..., 0, :])


def test_rope_scores_are_equal_for_equal_offsets():
    rng = np.random.default_rng(2)
    q, k = rng.standard_normal(64), rng.standard_normal(64)
    for offset in (0, 3, 17, -9):
        scores = []
        for m in (0, 5, 123, 4000):
            qm = positional.rope(q[None], np.array([m]))[0]
            kn = positional.rope(k[None], np.array([m + offset]))[0]
            scores.append(qm @ kn)
        np.testing.assert_allclose(scores, scores[0], atol=1e-5)


def test_rope_on_torch_matches_numpy_and_keeps_dtype():
    x = np.random.default_rng(3).standard_normal((2, 4, 8)).astype(np.float32)
    out = positional.rope(torch.from_numpy(x), torch.arange(4))
    assert isinstance(out, torch.Tensor) and out.dtype == torch.float32
    np.testing.assert_allclose(out.numpy(), positional.rope(x, np.arange(4)), atol=1e-6)


def test_alibi_slopes_power_of_two_is_geometric():
    np.testing.assert_allclose(positional.alibi_slopes(8), [2.0 ** -(h + 1) for h in range(8)])
    np.testing.assert_allclose(positional.alibi_slopes(16), [2.0 ** (-0.5 * (h + 1)) for h in range(16)])


def test_alibi_slopes_other_counts_follow_the_reference_implementation():
    # Press et al.'s get_slopes(12): the 8 slopes of n=8, then slopes 1, 3, 5, 7 (0-based 0, 2, 4, 6) of n=16.
    expected = [2.0 ** -(h + 1) for h in range(8)] + [2.0 ** (-0.5 * (h + 1)) for h in (0, 2, 4, 6)]
    np.testing.assert_allclose(positional.alibi_slopes(12), expected)
    assert len(positional.alibi_slopes(1)) == 1 and positional.alibi_slopes(1)[0] == pytest.approx(2.0**-8)


def test_alibi_bias_is_minus_slope_times_distance_with_masked_future():
    bias = positional.alibi_bias(4, 5, causal=True)
    slopes = positional.alibi_slopes(4)
    assert bias.shape == (4, 5, 5)
    assert bias[2, 4, 1] == pytest.approx(-slopes[2] * 3)
    assert np.isneginf(bias[0, 1, 3]) and np.all(np.diag(bias[1]) == 0)
    symmetric = positional.alibi_bias(4, 5, causal=False)
    np.testing.assert_allclose(symmetric, np.swapaxes(symmetric, 1, 2))
