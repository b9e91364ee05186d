"""Every VAE view: valid Plotly figures for good input, an InputError saying what to change for bad input."""

from __future__ import annotations

import dataclasses
from statistics import NormalDist

import numpy as np
import plotly.graph_objects as go
import pytest

from explainer import figstyle
from explainer.datasets import digit_classifier
from explainer.validate import InputError
from explainer.vae import catalog, compare, images, views

VAE, AE = "VAE (β = 1)", "AE"


def figures_of(view) -> list[go.Figure]:
    figs = [getattr(view, f.name) for f in dataclasses.fields(view)]
    for fig in figs:
        if isinstance(fig, go.Figure):
            figstyle.validated(fig)  # plotly's full validator: raises on any bad property
            assert fig.layout.title.text
    return [f for f in figs if isinstance(f, go.Figure)]


def canvas_with_one() -> np.ndarray:
    canvas = np.full((200, 200, 3), 255, np.uint8)
    canvas[30:170, 90:110] = 0  # a vertical bar: a "1"
    return canvas


@pytest.mark.parametrize("label", list(catalog.MODELS))
def test_latent_view_marks_the_point_and_decodes_it(label):
    view = views.latent_view(label, 1.5, -0.5, True)
    fig_map, digit = figures_of(view)
    picked = [t for t in fig_map.data if t.name == "picked"][0]
    assert (picked.x[0], picked.y[0]) == (1.5, -0.5)
    expected = catalog.by_label(label).decode(np.array([[1.5, -0.5]], np.float32))[0]
    np.testing.assert_allclose(np.asarray(digit.data[0].z, float), expected, atol=1e-3)
    has_ellipses = any(t.mode == "lines" for t in fig_map.data)
    assert has_ellipses == (label == VAE)
    assert sum(t.mode == "markers" for t in fig_map.data) == 10  # one trace per digit class


def test_vae_manifold_spans_the_prior_quantiles():
    model = catalog.load(catalog.MAIN_VAE)
    z = views.lattice(model, catalog.MAIN_VAE, 15)
    expected = [NormalDist().inv_cdf(u) for u in np.linspace(0.05, 0.95, 15)]
    np.testing.assert_allclose(z[0, :, 0], expected, atol=1e-5)  # columns: z₁ ascending
    np.testing.assert_allclose(z[:, 0, 1], expected[::-1], atol=1e-5)  # rows: z₂ descending (top = largest)
    (grid,) = figures_of(views.manifold_view(VAE, 20))
    assert np.asarray(grid.data[0].z).shape == (20 * 9 - 1, 20 * 9 - 1)


def test_reparameterisation_draws_z_from_mu_sigma_eps():
    view = views.reparam_view(3, 7, 5)
    fig_map, decodings = figures_of(view)
    mu, logvar = catalog.test_codes(catalog.MAIN_VAE)
    eps = np.random.default_rng(7).standard_normal((5, 2))
    z = mu[3] + np.exp(0.5 * logvar[3]) * eps
    drawn = [t for t in fig_map.data if t.name == "z = μ + σ·ε"][0]
    np.testing.assert_allclose(np.c_[drawn.x, drawn.y], z, atol=1e-4)
    assert f"{z[0, 0]:.2f}, {z[0, 1]:.2f}" in view.equation
    assert views.reparam_view(3, 8, 5).equation != view.equation  # a new seed redraws ε


def test_prior_view_shows_the_measured_shares():
    view = compare.prior_view(0)
    figures_of(view)
    shares = dict(zip(view.shares.data[0].x, view.shares.data[0].y))
    assert shares["VAE · z ~ N(0, I)"] == pytest.approx(100 * catalog.metrics("vae_vae")["prior_confident_share"])
    notes = [a.title.text for a in (view.samples.layout.xaxis, view.samples.layout.xaxis2, view.samples.layout.xaxis3)]
    assert all(n.endswith("of 64 read as a digit") for n in notes)
    assert "8-D" in compare.prior_view(0, 8).samples.layout.title.text


def test_interpolation_strips_start_and_end_near_the_digits():
    (fig,) = figures_of(compare.interpolation_view(0, 10, 6))
    z = np.asarray(fig.data[0].z, float)
    assert z.shape == (3 * 9 - 1, 6 * 9 - 1)  # PCA, AE, VAE rows of 6 images
    first_vae = z[18:26, 0:8]
    vae = catalog.by_label(VAE)
    np.testing.assert_allclose(first_vae, vae.decode(vae.encode(catalog.test_set().images[[0]])[0])[0], atol=1e-3)


def test_beta_view_marks_the_selected_beta_and_shows_eight_kl_bars():
    view = compare.beta_view(4)
    curve, fig_map, samples, bars = figures_of(view)
    assert curve.data[1].name == "β = 4" and len(bars.data[0].x) == 8
    assert "β = 4" in view.note


def test_pca_view_reports_small_principal_angles():
    view = compare.pca_view()
    figures_of(view)
    assert "°" in view.note and len(view.errors.data[0].x) == 4


def test_sketch_view_reads_a_drawn_one():
    view = views.sketch_view(canvas_with_one(), VAE)
    figures_of(view)
    pixels = views.sketch_pixels({"composite": canvas_with_one()})
    assert pixels.shape == (8, 8) and pixels.max() > 0.5
    assert digit_classifier.classify(pixels[None]).argmax() == 1


@pytest.mark.parametrize("call, message", [
    (lambda: views.latent_view(VAE, 1e9, 0), "z₁ must be in"),
    (lambda: views.latent_view(VAE, 0, float("nan")), "finite"),
    (lambda: views.latent_view("GAN", 0, 0), "Model must be one of"),
    (lambda: views.manifold_view(VAE, 17), "Grid size must be one of"),
    (lambda: views.reparam_view(10_000, 0), "Test digit must be between"),
    (lambda: views.reparam_view(0, 0, 0), "Draws of ε"),
    (lambda: views.sketch_view(None, VAE), "sketch is empty"),
    (lambda: views.sketch_view(np.full((50, 50, 3), 255, np.uint8), VAE), "sketch is empty"),
    (lambda: views.sketch_view({"composite": "/etc/passwd"}, VAE), "must be an image"),
    (lambda: views.sketch_view(np.zeros((5000, 10, 3), np.uint8), VAE), "at most"),
    (lambda: compare.beta_view(-1), "β must be positive"),
    (lambda: compare.beta_view(3), "was not trained"),
    (lambda: compare.interpolation_view(0, 1, 100), "Images per strip"),
    (lambda: compare.prior_view(-5), "Seed"),
])
def test_bad_input_is_refused_with_what_to_change(call, message):
    with pytest.raises(InputError, match=message):
        call()


def test_tile_puts_blank_gaps_between_images():
    tiles = images.tile(np.ones((2, 3, 8, 8)))
    assert tiles.shape == (17, 26) and np.isnan(tiles[8]).all() and np.isnan(tiles[:, 8]).all()
