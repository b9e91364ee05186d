"""The 2-D data sets against the numbers in the spec (VEEGAN's ring and grid)."""

import numpy as np
import pytest
import torch

from explainer.datasets import toy2d as gdata
from explainer.gan import drawn, get_dataset, grid, ink_mask, moons, ring, spiral
from explainer.validate import InputError


def _per_mode(samples, centers):
    k = np.argmin(((samples[:, None] - centers[None]) ** 2).sum(-1), axis=1)
    return [samples[k == i] for i in range(len(centers))]


def test_ring_centres_radius_2_and_std_0_02():
    data = ring()
    assert data.centers.shape == (8, 2) and data.std == 0.02
    np.testing.assert_allclose(np.linalg.norm(data.centers, axis=1), 2.0)
    angles = np.sort(np.mod(np.arctan2(data.centers[:, 1], data.centers[:, 0]), 2 * np.pi))
    np.testing.assert_allclose(np.diff(angles), 2 * np.pi / 8, atol=1e-12)


def test_grid_centres_are_the_5x5_lattice_minus4_to_4():
    data = grid()
    assert data.centers.shape == (25, 2) and data.std == 0.05
    expected = {(x, y) for x in (-4, -2, 0, 2, 4) for y in (-4, -2, 0, 2, 4)}
    assert {tuple(map(float, c)) for c in data.centers} == expected


@pytest.mark.parametrize("make", [ring, grid])
def test_mixture_sample_statistics_per_mode(make):
    data = make()
    samples = data.sample(40_000, seed=0).numpy().astype(np.float64)
    groups = _per_mode(samples, data.centers)
    counts = np.array([len(g) for g in groups])
    k = len(data.centers)
    assert np.all(np.abs(counts / len(samples) - 1 / k) < 4 * np.sqrt((1 / k) / len(samples)))  # equal weights
    for centre, points in zip(data.centers, groups):
        np.testing.assert_allclose(points.mean(axis=0), centre, atol=5 * data.std / np.sqrt(len(points)))
        np.testing.assert_allclose(points.std(axis=0), data.std, rtol=0.12)


def test_sampling_is_seeded_and_uses_a_given_generator():
    data = ring()
    assert torch.equal(data.sample(50, seed=3), data.sample(50, seed=3))
    assert not torch.equal(data.sample(50, seed=3), data.sample(50, seed=4))
    g1, g2 = torch.Generator().manual_seed(7), torch.Generator().manual_seed(7)
    assert torch.equal(data.sample(20, generator=g1), data.sample(20, generator=g2))
    state = torch.random.get_rng_state()
    data.sample(10, seed=1)
    assert torch.equal(state, torch.random.get_rng_state())  # the global RNG is untouched
    assert data.sample(10, seed=1).dtype == torch.float32


@pytest.mark.parametrize("make", [moons, spiral])
def test_shapes_without_modes(make):
    data = make()
    assert data.centers is None and data.std is None
    points = data.sample_numpy(2000, seed=0)
    assert points.shape == (2000, 2) and points.dtype == np.float32
    assert np.abs(points).max() < data.extent


def test_moons_are_two_half_circles():
    points = moons().sample_numpy(4000, seed=0).astype(np.float64) / 2 + [0.5, 0.25]  # undo the scaling
    upper = np.abs(np.hypot(points[:, 0], points[:, 1]) - 1) < 0.3
    lower = np.abs(np.hypot(points[:, 0] - 1, points[:, 1] - 0.5) - 1) < 0.3
    assert np.mean(upper | lower) > 0.97


def test_drawn_maps_ink_to_the_plane():
    mask = np.zeros((100, 100), dtype=np.uint8)
    mask[0:10, 90:100] = 255  # top-right corner of the image
    data = drawn(mask)
    points = data.sample_numpy(500, seed=0)
    assert data.centers is None and data.name == "drawn"
    assert points[:, 0].min() >= 0.8 * gdata.PLANE - 1e-6 and points[:, 0].max() <= gdata.PLANE + 1e-6  # right
    assert points[:, 1].min() >= 0.8 * gdata.PLANE - 1e-6 and points[:, 1].max() <= gdata.PLANE + 1e-6  # top


def test_drawn_keeps_the_aspect_ratio_and_accepts_bool_and_rgba():
    mask = np.ones((50, 100), dtype=bool)  # wide: x spans the plane, y half of it
    points = drawn(mask).sample_numpy(2000, seed=1)
    assert np.abs(points[:, 0]).max() > 0.95 * gdata.PLANE
    assert np.abs(points[:, 1]).max() <= 0.5 * gdata.PLANE + 1e-6
    rgba = np.zeros((20, 20, 4), dtype=np.uint8)
    rgba[5:7, 5:15, 3] = 255  # transparent canvas, opaque stroke
    assert ink_mask(rgba).sum() == 20
    rgb = np.full((20, 20, 3), 255, dtype=np.uint8)
    rgb[2, 3] = 0  # one dark pixel on white
    assert ink_mask(rgb).sum() == 1


@pytest.mark.parametrize("bad", [np.zeros((30, 30)), np.zeros((30, 30), dtype=bool), None])
def test_empty_drawing_says_draw_something_first(bad):
    with pytest.raises(InputError, match="draw something first"):
        drawn(bad)


def test_bad_drawings_are_refused():
    with pytest.raises(InputError, match="2-D"):
        drawn(np.ones((3, 3, 3, 3)))
    with pytest.raises(InputError, match="pixels"):
        drawn(np.ones((1, 5)))
    with pytest.raises(InputError, match="numbers"):
        drawn(np.array([["a", "b"], ["c", "d"]]))


def test_unknown_dataset_name():
    with pytest.raises(InputError, match="ring"):
        get_dataset("circle")
