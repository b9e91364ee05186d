"""Frames and figures: the arrays are what D and G compute, and the figures carry those arrays."""

import copy
import json

import numpy as np
import pytest
import torch

from explainer.gan import GANTrainer, build_curves, build_plane, drawn, modes_covered, plane_frame, trainer_curves
from explainer.gan import losses
from explainer.validate import InputError

SMALL = dict(batch_size=64, g_width=32, d_width=32, eval_every=5)


@pytest.fixture(scope="module")
def trainer():
    return GANTrainer.from_preset("Mode collapse", 0, **SMALL).train(12)


@pytest.fixture(scope="module")
def frame(trainer):
    return plane_frame(trainer, n_real=300, n_fake=400, grid_size=21, n_arrows=40)


def test_frame_shapes_and_metrics(trainer, frame):
    assert frame.real.shape == (300, 2) and frame.fake.shape == (400, 2)
    assert frame.d_values.shape == (21, 21) and frame.grid.shape == (21,)
    assert frame.arrow_start.shape == frame.arrow_vector.shape == (40, 2)
    assert frame.manifold.shape == (22, 80, 2)
    assert frame.step == 12 and frame.centers.shape == (8, 2) and frame.covered.shape == (8,)
    assert (frame.modes, frame.high_quality) == trainer.evaluate()  # the same 2,500 samples
    assert frame.covered.sum() == frame.modes
    assert all(a.dtype == np.float32 for a in (frame.real, frame.fake, frame.d_values, frame.arrow_vector))


def test_heatmap_is_d_probability_at_the_grid_points(trainer, frame):
    i, j = 4, 17  # row i is x₂ = grid[i], column j is x₁ = grid[j]
    point = torch.tensor([[frame.grid[j], frame.grid[i]]])
    with torch.no_grad():
        expected = torch.sigmoid(trainer.d_net(point)).item()
    assert frame.d_values[i, j] == pytest.approx(expected, rel=1e-5)
    assert frame.d_range == (0.0, 1.0) and "probability real" in frame.d_label


def test_arrows_are_minus_the_finite_difference_gradient_of_g_loss(trainer, frame):
    d64 = copy.deepcopy(trainer.d_net).double()  # float64 twin: finite differences without rounding noise
    h = 1e-6

    def loss_at(x):
        with torch.no_grad():
            return losses.g_loss_per_sample("non-saturating", d64(torch.tensor(x)[None])).item()

    for k in (0, 7, 33):
        x = frame.arrow_start[k].astype(np.float64)
        numeric = [(loss_at(x + h * e) - loss_at(x - h * e)) / (2 * h) for e in np.eye(2)]
        np.testing.assert_allclose(frame.arrow_vector[k], -np.array(numeric), rtol=1e-3, atol=1e-6)


def test_generated_points_are_g_of_the_evaluation_noise(trainer, frame):
    np.testing.assert_allclose(frame.fake, trainer.sample(400, seed=2500), rtol=0, atol=0)
    modes, quality = modes_covered(trainer.sample(2500, seed=2500), trainer.data.centers, trainer.data.std)
    assert modes == frame.modes and quality == frame.high_quality


def test_frame_does_not_change_the_trainer():
    a = GANTrainer.from_preset("Minibatch std", 1, **SMALL, spectral_norm=True).train(3)
    b = GANTrainer.from_preset("Minibatch std", 1, **SMALL, spectral_norm=True).train(3)
    plane_frame(a)
    a.train(3)
    b.train(3)
    np.testing.assert_array_equal(a.sample(100), b.sample(100))


def test_plane_figure_carries_the_frame_arrays(frame):
    fig = build_plane(frame, show_manifold=True)
    by_name = {t.name: t for t in fig.data}
    np.testing.assert_allclose(by_name["real data x"].x, frame.real[:, 0], atol=5e-4)
    np.testing.assert_allclose(by_name["generated G(z)"].y, frame.fake[:, 1], atol=5e-4)
    heat = by_name[frame.d_label]
    np.testing.assert_allclose(np.asarray(heat.z), frame.d_values, atol=5e-4)
    assert (heat.zmin, heat.zmax) == (0.0, 1.0)
    covered = by_name.get("mode covered")
    n_covered = 0 if covered is None or covered.x is None else len(covered.x)
    assert n_covered == frame.modes
    arrows = by_name["−∂L_G/∂x (G's push)"]
    xs = np.asarray(arrows.x, dtype=float).reshape(-1, 3)
    ys = np.asarray(arrows.y, dtype=float).reshape(-1, 3)
    np.testing.assert_allclose(xs[:, 0], frame.arrow_start[:, 0], atol=5e-4)
    direction = np.stack([xs[:, 1] - xs[:, 0], ys[:, 1] - ys[:, 0]], axis=1)
    cosine = (direction * frame.arrow_vector).sum(1) / (
        np.linalg.norm(direction, axis=1) * np.linalg.norm(frame.arrow_vector, axis=1) + 1e-12)
    assert np.all(cosine[np.linalg.norm(frame.arrow_vector, axis=1) > 1e-6] > 0.99)
    assert fig.layout.xaxis.title.text == "x₁" and fig.layout.yaxis.title.text == "x₂"
    assert len(fig.to_json()) < 300_000


def test_plane_options_hide_layers(frame):
    names = {t.name for t in build_plane(frame, show_heatmap=False, show_arrows=False, show_modes=False).data}
    assert names == {"real data x", "generated G(z)"}


def test_curves_figure_carries_the_history(trainer):
    curves = trainer_curves(trainer)
    fig = build_curves(curves)
    by_name = {t.name: t for t in fig.data}
    np.testing.assert_allclose(by_name["L_G (generator)"].y, trainer.history.g_loss, rtol=1e-3, atol=1e-4)
    assert list(by_name["modes covered"].y) == trainer.history.modes
    assert list(by_name["modes covered"].x) == [5, 10]
    np.testing.assert_allclose(by_name["% high quality (within 3σ of a centre)"].y,
                               100 * np.array(trainer.history.high_quality), atol=0.06)


def test_long_histories_are_averaged_into_bins():
    t = GANTrainer.from_preset("Mode collapse", 0, **SMALL)
    t.history.steps.extend(range(1, 3001))
    t.history.d_loss.extend([1.0] * 3000)
    t.history.g_loss.extend([float(i % 2) for i in range(3000)])
    curves = trainer_curves(t)
    assert len(curves.steps) == 1000 and np.allclose(curves.g_loss, 1 / 3, atol=0.34)
    assert np.allclose(curves.d_loss, 1.0)


def test_frames_for_other_losses_and_data():
    wgan = GANTrainer.from_preset("Mode collapse", 0, **SMALL, loss="wgan-gp", pack=2).train(2)
    f = plane_frame(wgan, n_arrows=31)
    assert f.d_range is None and "critic" in f.d_label and len(f.arrow_start) == 30  # a multiple of pack
    mask = np.zeros((40, 40), dtype=bool)
    mask[10:30, 20] = True
    sketch = GANTrainer.from_preset("Mode collapse", 0, data=drawn(mask), **SMALL).train(2)
    f = plane_frame(sketch)
    assert f.centers is None and f.modes is None and f.dataset == "drawn"
    fig = build_plane(f)
    assert "mode covered" not in {t.name for t in fig.data}
    assert len(build_curves(trainer_curves(sketch)).data) == 2
    json.loads(fig.to_json())


def test_bad_frame_requests():
    t = GANTrainer.from_preset("Mode collapse", 0, **SMALL)
    with pytest.raises(InputError, match="heatmap grid size"):
        plane_frame(t, grid_size=10**5)


def test_figures_are_in_the_house_style(trainer, frame):
    from explainer.figstyle import FONT_SIZE, validated

    for fig in (build_plane(frame, show_manifold=True), build_curves(trainer_curves(trainer))):
        validated(fig)  # every property is one plotly.js knows
        assert fig.layout.font.size == FONT_SIZE and fig.layout.xaxis.gridcolor == "#e5e5e5"
    heat = next(t for t in build_plane(frame).data if t.type == "heatmap")
    (low_at, low), (high_at, high) = heat.colorscale[0], heat.colorscale[-1]
    rgb = lambda colour: [int(v) for v in colour[colour.index("(") + 1:-1].split(",")]  # noqa: E731
    assert (low_at, high_at) == (0, 1)
    assert rgb(high)[2] > rgb(high)[0] and rgb(low)[0] > rgb(low)[2]  # D(x) = 1 ('real') blue, 0 ('fake') red


def test_plane_legend_symbols_match_covered_and_missed(frame):
    fig = build_plane(frame)
    symbols = {t.name: t.marker.symbol for t in fig.data if t.name in ("mode covered", "mode missed")}
    assert symbols == {"mode covered": "circle", "mode missed": "circle-open"}  # filled = covered, hollow = missed


def test_two_runs_overlay_on_one_set_of_curves(trainer):
    other = GANTrainer.from_preset("PacGAN", 0, **SMALL).train(7)
    fig = build_curves([("left", trainer_curves(trainer)), ("right", trainer_curves(other))])
    by_name = {t.name: t for t in fig.data}
    assert len(fig.data) == 8
    np.testing.assert_allclose(by_name["L_D (discriminator) · right"].y, other.history.d_loss, rtol=1e-3, atol=1e-4)
    assert list(by_name["modes covered · left"].y) == trainer.history.modes
    assert by_name["L_G (generator) · left"].line.dash == "solid" and by_name["L_G (generator) · right"].line.dash == "dash"
    with pytest.raises(ValueError):
        build_curves([("a", trainer_curves(trainer))] * 3)


def test_curves_before_any_step_keep_a_placeable_loss_axis():
    fresh = trainer_curves(GANTrainer.from_preset("Mode collapse", 0, **SMALL))
    fig = build_curves(fresh)
    loss = [t for t in fig.data if t.name.startswith("L_")]
    assert [list(t.x) for t in loss] == [[0], [0]] and all(t.y[0] is None for t in loss)  # one blank point each
