"""VEEGAN's mode metrics on hand-made samples whose answers are known in advance."""

import numpy as np
import pytest
import torch

from explainer.gan import covered_mask, grid, high_quality, modes_covered, ring
from explainer.validate import InputError

RING = ring()


def test_every_mode_hit_exactly_covers_all_with_full_quality():
    samples = np.repeat(RING.centers, 10, axis=0)  # 10 points on each centre
    assert modes_covered(samples, RING.centers, RING.std) == (8, 1.0)
    assert covered_mask(samples, RING.centers, RING.std).all()


def test_one_mode_only():
    samples = RING.centers[3] + 0.01 * np.random.default_rng(0).standard_normal((100, 2))
    modes, quality = modes_covered(samples, RING.centers, RING.std)
    assert modes == 1
    assert quality == pytest.approx(np.mean(np.linalg.norm(samples - RING.centers[3], axis=1) <= 0.06))
    mask = covered_mask(samples, RING.centers, RING.std)
    assert mask.tolist() == [k == 3 for k in range(8)]


def test_far_away_points_cover_nothing():
    samples = np.array([[0.0, 0.0], [10.0, 10.0], [2.5, 0.0]])  # centre of the ring, far, between
    assert modes_covered(samples, RING.centers, RING.std) == (0, 0.0)
    assert not covered_mask(samples, RING.centers, RING.std).any()


def test_mixed_quality_fraction_is_counted_per_sample():
    # 3 good samples on modes 0 and 1, 1 bad sample 0.5 away from mode 2.
    samples = np.array([RING.centers[0], RING.centers[0] + [0.05, 0.0], RING.centers[1], RING.centers[2] + [0.5, 0]])
    assert modes_covered(samples, RING.centers, RING.std) == (2, 0.75)


def test_exactly_three_std_is_high_quality_and_just_beyond_is_not():
    centers = np.array([[0.0, 0.0], [10.0, 0.0]])
    std = 0.5  # 3σ = 1.5, exactly representable
    on_boundary = np.array([[1.5, 0.0], [0.0, -1.5]])
    assert modes_covered(on_boundary, centers, std) == (1, 1.0)
    beyond = np.array([[1.5 + 1e-9, 0.0]])
    assert modes_covered(beyond, centers, std) == (0, 0.0)
    assert high_quality(np.array([[10.0, 1.5], [10.0, 1.6]]), centers, std).tolist() == [True, False]


def test_nearest_centre_decides_the_mode():
    # A point within 3σ of mode 1 is credited to mode 1, not to mode 0 further away.
    centers = np.array([[0.0, 0.0], [1.0, 0.0]])
    samples = np.array([[0.9, 0.0]])
    assert covered_mask(samples, centers, std=0.4).tolist() == [False, True]


def test_grid_samples_from_the_data_cover_all_25_modes():
    data = grid()
    samples = data.sample(2500, seed=1)  # a torch tensor is accepted too
    modes, quality = modes_covered(samples, data.centers, data.std)
    assert modes == 25
    assert quality == pytest.approx(1 - np.exp(-4.5), abs=0.01)  # P(‖ε‖ ≤ 3) for 2-D N(0, I)


def test_bad_shapes_are_refused():
    with pytest.raises(InputError, match=r"\(N, 2\)"):
        modes_covered(np.zeros((5, 3)), RING.centers, RING.std)
    with pytest.raises(InputError):
        modes_covered(torch.zeros(4), RING.centers, RING.std)
