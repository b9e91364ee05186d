"""The VAE tab's views that compare models: prior sampling, interpolation, β, autoencoder ≈ PCA.

* :func:`prior_view` — z ~ N(0, I) through the VAE's decoder and through the AE's, and z from
  a Gaussian fitted to the AE's codes, with the share of samples the digit classifier reads
  with confidence ≥ 0.9;
* :func:`interpolation_view` — a straight line between two test digits' codes in PCA, AE and
  VAE space, decoded;
* :func:`beta_view` — rate (KL) against distortion (MSE) over the β sweep, the map and
  samples at one β, and the per-dimension KL of the 8-D VAE (collapsed dimensions ≈ 0);
* :func:`pca_view` — the linear AE's space beside PCA's, their principal angles, and the
  test reconstruction error of PCA, linear AE, AE and VAE.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go
import torch

from explainer import validate
from explainer.datasets import digit_classifier
from explainer.validate import InputError
from explainer.vae import catalog, figures, images
from explainer.vae.catalog import MAIN_VAE, S
from explainer.vae.evaluate import N_PRIOR, linear_ae_angles
from explainer.vae.training import BETAS
from explainer.vae.views import test_index


@functools.cache
def _ae_fit(name: str) -> tuple[np.ndarray, np.ndarray]:
    """(train codes' mean, Cholesky factor of their covariance) of an AE: the fitted Gaussian."""
    from explainer.datasets import digits

    codes = torch.as_tensor(catalog.load(name).encode(digits.load("train").images)[0], dtype=torch.float64)
    mean, chol = codes.mean(0), torch.linalg.cholesky(torch.cov(codes.T) + 1e-6 * torch.eye(codes.shape[1]))
    return mean.numpy(), chol.numpy()


def _share(decoded: np.ndarray) -> float:
    return float((digit_classifier.classify(decoded).max(axis=1) >= S.confident).mean())


@dataclass(frozen=True)
class PriorView:
    samples: go.Figure  # three 8 × 8 sheets side by side
    shares: go.Figure  # bars: share read with confidence ≥ 0.9
    note: str


PRIOR_PAIRS = {2: (MAIN_VAE, catalog.MAIN_AE), 8: (catalog.LATENT8, catalog.AE8)}  # latent size -> (VAE, AE)


def prior_view(seed: object, latent: object = 2) -> PriorView:
    """Samples from the VAE's prior and from the AE's decoder, judged by the classifier.

    The sheets show ``S.n_prior`` fresh samples per seed (the classifier reads those at request
    time); the bars show the shares measured on ``N_PRIOR`` samples when the models were
    trained (:func:`explainer.vae.evaluate.prior_quality`), so a request stays light.
    """
    seed = validate.integer(seed, "Seed", lo=0, hi=S.max_seed)
    k = validate.integer(latent, "Latent size", lo=2, hi=8)
    if k not in PRIOR_PAIRS:
        raise InputError(f"Latent size must be 2 or 8 (the sizes trained), got {k}.")
    vae_name, ae_name = PRIOR_PAIRS[k]
    vae, ae = catalog.load(vae_name), catalog.load(ae_name)
    rng = np.random.default_rng(seed)
    n = S.n_prior
    z = rng.standard_normal((n, k)).astype(np.float32)  # z ~ N(0, I), shared by both decoders
    mean, chol = _ae_fit(ae_name)
    z_fit = (mean + rng.standard_normal((n, k)) @ chol.T).astype(np.float32)  # z ~ N(m, C) fitted to AE codes
    decoded = {"VAE · z ~ N(0, I)": vae.decode(z), "AE decoder · the same z": ae.decode(z),
               "AE decoder · Gaussian fitted to its codes": ae.decode(z_fit)}
    read = {key: int(round(n * _share(v))) for key, v in decoded.items()}
    panels = [(key, images.sheet(v, 8)) for key, v in decoded.items()]
    notes = [f"{read[key]} of {n} read as a digit" for key in decoded]
    fig = images.build_panels(panels, title=f"{k}-D latent: {n} samples from each (seed {seed})", notes=notes,
                              height=400)
    vae_m, ae_m = catalog.metrics(vae_name), catalog.metrics(ae_name)
    measured = {"VAE · z ~ N(0, I)": vae_m["prior_confident_share"],
                "AE decoder · the same z": ae_m["prior_confident_share"],
                "AE decoder · Gaussian fitted to its codes": ae_m["fitted_gaussian_confident_share"]}
    bars = figures.build_bars(list(measured), [100 * v for v in measured.values()], decimals=1,
                              x_title="samples from", y_title="% read with confidence ≥ 90 %",
                              colours=["#2ca02c", "#d62728", "#ff7f0e"],
                              title=f"{k}-D latent: share of {N_PRIOR:,} samples read confidently (measured)")
    note = (f"For comparison, the classifier reads {100 * vae_m['recon_confident_share']:.0f} % of the VAE's "
            "*reconstructions* of test digits confidently. The VAE was trained so that its codes look like N(0, I): "
            "where the prior goes, its decoder has learned digits. The autoencoder was never told where its codes "
            "should lie: the same z lands partly off its codes (in 8-D almost always), and a Gaussian fitted to its "
            "codes still puts samples in the gaps between them.")
    return PriorView(fig, bars, note)


def _path(a: np.ndarray, b: np.ndarray, steps: int) -> np.ndarray:
    t = np.linspace(0.0, 1.0, steps, dtype=np.float32)[:, None]
    return (1 - t) * a + t * b  # (steps, latent): z(t) = (1 − t) z_a + t z_b


@dataclass(frozen=True)
class InterpolationView:
    strips: go.Figure  # one strip per model


def interpolation_view(index_a: object, index_b: object, steps: object = S.interp_steps) -> InterpolationView:
    a, b = test_index(index_a, "First test digit"), test_index(index_b, "Second test digit")
    n = validate.integer(steps, "Images per strip", lo=3, hi=S.max_interp_steps)
    x = catalog.test_set().images[[a, b]]  # (2, 8, 8)
    rows = []
    for label in ("PCA", "AE", "VAE (β = 1)"):
        model = catalog.by_label(label)
        codes = model.encode(x)[0]  # (2, 2): posterior means for the VAE
        rows.append((label, model.decode(_path(codes[0], codes[1], n))))
    labels = catalog.test_set().labels
    return InterpolationView(images.build_strips(
        rows, title=f"From test digit #{a} (a {labels[a]}) to #{b} (a {labels[b]}): {n} steps on a straight line"))


@dataclass(frozen=True)
class BetaView:
    curve: go.Figure  # rate–distortion over the sweep, selected β ringed
    map: go.Figure  # latent map at the selected β
    samples: go.Figure  # prior samples at the selected β
    kl_bars: go.Figure  # per-dimension KL of the 8-D VAE
    note: str


def beta_value(beta: object) -> float:
    value = validate.real(beta, "β", lo=-1e9, hi=1e9)
    if value <= 0:
        raise InputError(f"β must be positive (it weighs the KL term); choose one of {', '.join(f'{b:g}' for b in BETAS)}.")
    match = [b for b in BETAS if abs(b - value) < 1e-9]
    if not match:
        raise InputError(f"β = {value:g} was not trained; choose one of {', '.join(f'{b:g}' for b in BETAS)}.")
    return match[0]


def beta_view(beta: object) -> BetaView:
    value = beta_value(beta)
    name = catalog.BETA_MODELS[value]
    stats = [catalog.metrics(catalog.BETA_MODELS[b]) for b in BETAS]
    curve = figures.build_rate_distortion(BETAS, [m["test_kl_nats"] for m in stats], [m["test_mse"] for m in stats],
                                          selected=value, title="Rate–distortion over the β sweep (test digits)")
    mu, logvar = catalog.test_codes(name)
    fig = figures.build_latent_map(mu, catalog.test_set().labels, sigma=np.exp(0.5 * logvar),
                                   title=f"β = {value:g}: test digits at μ(x), 1σ ellipses", height=420)
    z = np.random.default_rng(0).standard_normal((S.n_prior, 2)).astype(np.float32)
    samples = images.build_panels([(f"β = {value:g}: decode(z), z ~ N(0, I)", images.sheet(catalog.load(name).decode(z), 8))],
                                  title="Samples from the prior", height=400)
    kl = catalog.metrics(catalog.LATENT8)["test_kl_per_dim"]
    bars = figures.build_bars([f"z{j + 1}" for j in range(len(kl))], kl, x_title="latent dimension",
                              y_title="KL (nats / image)", title="8-D VAE (β = 1): KL per latent dimension")
    m = catalog.metrics(name)
    note = (f"β = {value:g}: KL **{m['test_kl_nats']:.2f} nats**, test MSE **{m['test_mse']:.4f}**, "
            f"{100 * m['prior_confident_share']:.0f} % of prior samples read as a digit. "
            f"In the 8-D VAE, {sum(v < 0.1 for v in kl)} of {len(kl)} dimensions carry < 0.1 nats: collapsed "
            "to the prior, unused by the decoder.")
    return BetaView(curve, fig, samples, bars, note)


@dataclass(frozen=True)
class PCAView:
    spaces: go.Figure  # linear AE codes beside PCA codes
    errors: go.Figure  # test MSE per model
    note: str


def pca_view() -> PCAView:
    lin, pca = catalog.test_codes("vae_linear_ae")[0], catalog.test_codes("pca")[0]
    labels = catalog.test_set().labels
    spaces = figures.build_side_by_side([("PCA: first two components", pca), ("linear autoencoder's code", lin)],
                                        labels, title="The same 2-D subspace, in different coordinates")
    angles = linear_ae_angles(catalog.load("vae_linear_ae").model)
    names = ["PCA", "linear AE", "AE", "VAE (β = 1)"]
    mse = [catalog.metrics(catalog.MODELS[n])["test_mse"] if n != "PCA" else _pca_mse() for n in names]
    errors = figures.build_bars(names, mse, x_title="model (2-D latent)", y_title="test MSE (per pixel)", decimals=4,
                                title="Reconstruction error on the test digits",
                                colours=["#7f7f7f", "#9467bd", "#1f77b4", "#2ca02c"])
    note = (f"Principal angles between the two spans: **{angles[0]:.2f}°** and **{angles[1]:.2f}°** "
            "(0° = the same plane). A linear autoencoder trained on squared error finds PCA's subspace "
            "(Baldi & Hornik 1989) but not its axes: its code is PCA's rotated and stretched.")
    return PCAView(spaces, errors, note)


@functools.cache
def _pca_mse() -> float:
    from explainer.vae.evaluate import pca_metrics

    return pca_metrics()["test_mse"]
