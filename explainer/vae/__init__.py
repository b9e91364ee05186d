"""Latent spaces of 8×8 digits: PCA, a linear autoencoder, an autoencoder and VAEs, trained here.

Models (all with a 2-D latent unless named otherwise, trained on the fixed train split of
:mod:`explainer.datasets.digits`; ``python -m explainer.train vae_…`` rebuilds each):
``pca`` (NumPy SVD), ``vae_linear_ae``, ``vae_ae``, ``vae_vae`` (the VAE, β = 1), the β sweep
``vae_beta_0p1`` … ``vae_beta_8``, and the 8-D pair ``vae_ae8`` / ``vae_latent8``. The digit
classifier that judges samples is :mod:`explainer.datasets.digit_classifier`.

Typical use (a notebook or a script)::

    import numpy as np
    from explainer import vae
    from explainer.datasets import digits, digit_classifier

    test = digits.load("test")                      # images (359, 8, 8) in [0, 1], labels (359,)
    mu, logvar = vae.encode(test.images)            # (359, 2) each, under the VAE
    recon = vae.decode(mu)                          # (359, 8, 8) in [0, 1]
    ae = vae.load("vae_ae")                         # the same calls on any model; logvar is None
    z = np.random.default_rng(0).standard_normal((64, 2))
    probs = digit_classifier.classify(vae.decode(z))   # (64, 10)
    view = vae.views.latent_view("VAE (β = 1)", 0.5, -1.0)   # figures the tab shows
"""

from explainer.vae import catalog, compare, views
from explainer.vae.catalog import (
    CHECKPOINTS,
    MAIN_VAE,
    MODELS,
    S,
    Codec,
    VAESettings,
    by_label,
    decode,
    encode,
    load,
    metrics,
)
from explainer.vae.model import AutoEncoder, Output, VAEConfig, gaussian_kl
from explainer.vae.pca import PCA, digits_pca, fit_pca, principal_angles
from explainer.vae.session import VAESession, new_session, session_view
from explainer.vae.training import BETAS, TrainConfig, Trainer, fit

__all__ = [
    "BETAS",
    "CHECKPOINTS",
    "MAIN_VAE",
    "MODELS",
    "PCA",
    "S",
    "AutoEncoder",
    "Codec",
    "Output",
    "TrainConfig",
    "Trainer",
    "VAEConfig",
    "VAESession",
    "VAESettings",
    "by_label",
    "catalog",
    "compare",
    "decode",
    "digits_pca",
    "encode",
    "fit",
    "fit_pca",
    "gaussian_kl",
    "load",
    "metrics",
    "new_session",
    "principal_angles",
    "session_view",
    "views",
]
