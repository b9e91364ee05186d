"""The VAE tab's views of one latent space: raw control values in, a frozen view of figures out.

* :func:`latent_view` — the latent map (test digits at μ(x), σ ellipses on request) and the
  decoding of the point the person picks with two sliders;
* :func:`manifold_view` — the decoded lattice; for the VAE over the prior's quantiles
  z = Φ⁻¹(u), u evenly spaced in (0, 1) (Kingma & Welling 2014, fig. 4);
* :func:`reparam_view` — z = μ + σ·ε for one test digit, ε redrawn by a seed;
* :func:`sketch_view` — a drawing reduced to 8×8, encoded, marked on the map, reconstructed.

Every function checks what it is given and raises :class:`~explainer.validate.InputError`
saying what to change. Views comparing models live in :mod:`explainer.vae.compare`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go
from scipy.special import ndtri

from explainer import validate
from explainer.datasets import digits
from explainer.datasets.toy2d import ink_mask
from explainer.validate import InputError
from explainer.vae import catalog, figures, images
from explainer.vae.catalog import S

MAX_CANVAS = 2048  # a drawing larger than this on either side is refused before any work


def _model(label: object):
    model = catalog.by_label(label)
    return model, catalog.MODELS[label]


def point(z1: object, z2: object) -> np.ndarray:
    """A latent point (1, 2) from two slider values, each within ±z_limit."""
    lim = S.z_limit
    return np.array([[validate.real(z1, "z₁", lo=-lim, hi=lim), validate.real(z2, "z₂", lo=-lim, hi=lim)]],
                    np.float32)


def test_index(value: object, name: str = "Test digit") -> int:
    return validate.integer(value, name, lo=0, hi=len(catalog.test_set()) - 1)


@dataclass(frozen=True)
class LatentView:
    map: go.Figure  # test digits at their codes, the picked point marked
    decoded: go.Figure  # the picked point's decoding, large
    note: str  # Markdown: the point and what the model is


def latent_view(label: object, z1: object, z2: object, ellipses: object = False) -> LatentView:
    """The latent map of one model with the picked point (z₁, z₂) and its decoding."""
    model, name = _model(label)
    z = point(z1, z2)
    mu, logvar = catalog.test_codes(name)
    sigma = np.exp(0.5 * logvar) if (ellipses is True and logvar is not None) else None
    extra = [figures.marker(z[0], "picked", symbol="x")]
    fig = figures.build_latent_map(mu, catalog.test_set().labels, sigma=sigma, extra=extra,
                                   title=f"{label}: {len(mu)} test digits at their codes")
    image = model.decode(z)[0]
    note = f"Picked **z = ({z[0, 0]:.2f}, {z[0, 1]:.2f})**, decoded by **{label}**."
    if ellipses is True and logvar is None:
        note += " σ ellipses: only the VAE has a posterior variance; PCA and the autoencoders map a digit to a point."
    return LatentView(fig, images.build_digit(image, title=f"decode(z), {label}"), note)


def lattice(model, name: str, size: int) -> np.ndarray:
    """The (size, size, 2) grid of codes the manifold view decodes (row 0 = largest z₂)."""
    if getattr(model, "variational", False):  # Kingma & Welling: the prior's quantiles
        u = np.linspace(S.quantile_margin, 1 - S.quantile_margin, size)
        axis = ndtri(u)  # Φ⁻¹(u)
        xs, ys = axis, axis
    else:  # no prior: span the test codes (2nd to 98th percentile)
        mu = catalog.test_codes(name)[0]
        lo, hi = np.percentile(mu, [2, 98], axis=0)
        xs, ys = np.linspace(lo[0], hi[0], size), np.linspace(lo[1], hi[1], size)
    gx, gy = np.meshgrid(xs, ys[::-1])
    return np.stack([gx, gy], axis=-1).astype(np.float32)  # (size, size, 2)


@dataclass(frozen=True)
class ManifoldView:
    grid: go.Figure  # size × size decoded digits


def manifold_view(label: object, size: object) -> ManifoldView:
    model, name = _model(label)
    side = validate.integer(size, "Grid size", lo=min(S.grid_sizes), hi=max(S.grid_sizes))
    if side not in S.grid_sizes:
        raise InputError(f"Grid size must be one of {', '.join(map(str, S.grid_sizes))}, got {side}.")
    z = lattice(model, name, side)
    decoded = model.decode(z.reshape(-1, 2)).reshape(side, side, 8, 8)
    span = "the prior's quantiles 5 %…95 % on each axis" if getattr(model, "variational", False) \
        else "the test codes' 2nd…98th percentile on each axis"
    return ManifoldView(images.build_panels([(f"{label}, {side} × {side}", decoded)],
                                            title=f"Decoded latent grid over {span}", height=560))


@dataclass(frozen=True)
class ReparamView:
    map: go.Figure  # μ, the 1σ ellipse and the drawn z around the digit
    decodings: go.Figure  # the digit, decode(μ), and decode(z) for every ε
    equation: str  # Markdown with the numbers of the first draw


def reparam_view(index: object, seed: object, n_eps: object = S.n_eps) -> ReparamView:
    """z = μ + σ·ε for test digit ``index`` under the VAE, with ``n_eps`` draws of ε ~ N(0, I)."""
    i = test_index(index)
    seed = validate.integer(seed, "Seed", lo=0, hi=S.max_seed)
    n = validate.integer(n_eps, "Draws of ε", lo=1, hi=S.max_eps)
    vae = catalog.load(catalog.MAIN_VAE)
    mu_all, logvar_all = catalog.test_codes(catalog.MAIN_VAE)
    mu, sigma = mu_all[i], np.exp(0.5 * logvar_all[i])  # (2,) each
    eps = np.random.default_rng(seed).standard_normal((n, 2)).astype(np.float32)  # ε ~ N(0, I)
    z = mu + sigma * eps  # (n, 2): the reparameterisation trick
    label = int(catalog.test_set().labels[i])
    extra = [{"type": "scatter", "mode": "markers", "x": z[:, 0].tolist(), "y": z[:, 1].tolist(), "name": "z = μ + σ·ε",
              "marker": {"color": "black", "size": 7, "symbol": "circle-open"}, "showlegend": False},
             figures.marker(mu, "μ", symbol="star", colour="#d62728")]
    fig = figures.build_latent_map(mu_all, catalog.test_set().labels, sigma=None, extra=extra,
                                   title=f"q(z|x) for test digit #{i} (a {label}): μ, and {n} draws of z")
    ring = figures.ellipses(mu[None], sigma[None])
    fig.add_scatter(x=ring[0], y=ring[1], mode="lines", line={"color": "#d62728", "width": 2}, name="1σ",
                    showlegend=False, hoverinfo="skip")
    decoded = vae.decode(z)  # (n, 8, 8)
    panels = [("the digit x", catalog.test_set().images[i][None, None]), ("decode(μ)", vae.decode(mu[None])[None]),
              (f"decode(z), {n} draws of ε", images.sheet(decoded, min(8, n)))]
    e, zz = eps[0], z[0]
    equation = (f"z = μ + σ ⊙ ε = ({mu[0]:.2f}, {mu[1]:.2f}) + ({sigma[0]:.2f}, {sigma[1]:.2f}) ⊙ "
                f"({e[0]:.2f}, {e[1]:.2f}) = **({zz[0]:.2f}, {zz[1]:.2f})** (first draw). "
                "ε carries the randomness, so the gradient flows through μ and σ to the encoder.")
    return ReparamView(fig, images.build_panels(panels, title="The digit, its mean decoding, and sampled decodings",
                                                height=340), equation)


def sketch_pixels(drawing: object) -> np.ndarray:
    """A sketchpad value (RGB/RGBA array, or Gradio's dict with 'composite') as an 8×8 digit in [0, 1]."""
    image = drawing.get("composite") if isinstance(drawing, dict) else drawing
    if image is None:
        raise InputError("The sketch is empty: draw a digit on the sketchpad first.")
    array = np.asarray(image) if not isinstance(image, (str, bytes)) else None
    if array is None or array.ndim < 2:
        raise InputError("The sketch must be an image (height × width), drawn on the sketchpad.")
    if max(array.shape[:2]) > MAX_CANVAS:
        raise InputError(f"The sketch is {array.shape[1]}×{array.shape[0]} pixels; draw on at most "
                         f"{MAX_CANVAS}×{MAX_CANVAS}.")
    mask = ink_mask(array)
    if mask.sum() < 4:
        raise InputError("The sketch is empty: draw a digit (dark strokes) on the sketchpad first.")
    return digits.to_digit_pixels(mask.astype(np.float32))


@dataclass(frozen=True)
class SketchView:
    map: go.Figure  # the latent map with the drawing marked
    pair: go.Figure  # the drawing as 8×8 and its reconstruction
    note: str  # where it landed, what the classifier reads


def sketch_view(drawing: object, label: object) -> SketchView:
    from explainer.datasets import digit_classifier

    model, name = _model(label)
    x = sketch_pixels(drawing)[None]  # (1, 8, 8)
    mu, _ = model.encode(x)
    recon = model.decode(mu)[0]
    test_mu, test_logvar = catalog.test_codes(name)
    fig = figures.build_latent_map(test_mu, catalog.test_set().labels,
                                   extra=[figures.marker(mu[0], "your digit", symbol="star", colour="black")],
                                   title=f"{label}: your digit among the test digits")
    probs = digit_classifier.classify(np.stack([x[0], recon]))
    note = (f"Your digit is encoded at **z = ({mu[0, 0]:.2f}, {mu[0, 1]:.2f})**. The classifier reads your 8×8 "
            f"drawing as **{probs[0].argmax()}** ({probs[0].max():.0%}) and the reconstruction as "
            f"**{probs[1].argmax()}** ({probs[1].max():.0%}).")
    return SketchView(fig, images.build_digit_pair(("your drawing, 8×8", x[0]), ("reconstruction", recon),
                                                   title=f"Reduced to 8×8 and reconstructed by {label}"), note)
