"""The VAE topic's shipped models by name, a cached read-only loader, and the settings of the tab.

Every model here maps 8×8 digits to a latent code and back with the same two calls:
``encode(images) -> (mu, logvar)`` (``logvar`` is None for PCA and the autoencoders) and
``decode(z) -> images`` in [0, 1] of shape (N, 8, 8). Both take NumPy arrays or tensors and
return NumPy arrays. A request names a model by label only (``MODELS``); the checkpoints load
once per process and are never modified, so every session may share them.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import numpy as np
import torch

from explainer import checkpoint
from explainer.datasets import digits
from explainer.validate import InputError
from explainer.vae.model import AutoEncoder, VAEConfig
from explainer.vae.pca import PCA, digits_pca
from explainer.vae.training import BETAS, KIND, SHIPPED, beta_name

CHECKPOINTS = tuple(SHIPPED)  # every checkpoint this topic ships (python -m explainer.train NAME)
MAIN_VAE = "vae_vae"  # "the VAE": the 2-D VAE trained on the plain ELBO (β = 1), as wide as the AE
MAIN_AE = "vae_ae"  # the 2-D autoencoder it is compared with
LATENT8 = "vae_latent8"  # the 8-D VAE (per-dimension KL, posterior collapse)
AE8 = "vae_ae8"  # the 8-D autoencoder it is compared with
# Label a person sees -> model name.
MODELS = MappingProxyType({
    "PCA": "pca",
    "linear AE": "vae_linear_ae",
    "AE": MAIN_AE,
    "VAE (β = 1)": MAIN_VAE,
})
BETA_MODELS = MappingProxyType({b: beta_name(b) for b in BETAS})


@dataclass(frozen=True)
class VAESettings:
    """Defaults and caps of every view (a request never exceeds a cap)."""

    model: str = "VAE (β = 1)"  # model shown on the latent map first
    z_limit: float = 12.0  # a picked point lies within [-z_limit, z_limit] on each axis
    grid_sizes: tuple[int, ...] = (15, 20)  # manifold grid sides on offer
    n_prior: int = 64  # prior samples drawn per model (an 8 × 8 sheet)
    n_eps: int = 16  # ε draws in the reparameterisation view (default)
    max_eps: int = 64  # cap on ε draws
    interp_steps: int = 10  # images per interpolation strip (default)
    max_interp_steps: int = 16  # cap on images per strip
    quantile_margin: float = 0.05  # the VAE grid spans the prior's quantiles [m, 1 − m]
    max_seed: int = 2**31 - 1
    confident: float = 0.9  # a sample "reads as a digit" at this classifier confidence


S = VAESettings()


@dataclass(frozen=True, eq=False)
class Codec:
    """A trained autoencoder / VAE wrapped for NumPy: encode, decode, and what it is."""

    name: str
    model: AutoEncoder

    @property
    def latent_dim(self) -> int:
        return self.model.config.latent_dim

    @property
    def variational(self) -> bool:
        return self.model.variational

    @property
    def device(self) -> torch.device:
        return next(self.model.parameters()).device

    @torch.no_grad()
    def encode(self, images) -> tuple[np.ndarray, np.ndarray | None]:
        x = torch.as_tensor(np.array(images, np.float32), device=self.device)  # (N, 8, 8), a copy (inputs may be read-only)
        mu, logvar = self.model.encode(x)  # (N, latent) each
        return mu.cpu().numpy(), None if logvar is None else logvar.cpu().numpy()

    @torch.no_grad()
    def decode(self, z) -> np.ndarray:
        z = torch.as_tensor(np.array(z, np.float32), device=self.device)  # (N, latent), a copy
        return self.model.decode(z).clamp(0, 1).cpu().numpy()  # (N, 8, 8) in [0, 1]


def _as_numpy(images) -> np.ndarray:
    return images.detach().cpu().numpy() if torch.is_tensor(images) else np.asarray(images, np.float32)


@functools.cache
def _codec(name: str, device: str) -> Codec:
    ckpt = checkpoint.load(name, kind=KIND)
    fields = {k: v for k, v in ckpt.config.items() if k in VAEConfig.__dataclass_fields__}
    model = AutoEncoder(VAEConfig(**fields))
    model.load_state_dict(ckpt.tensors)
    model.eval().requires_grad_(False)
    return Codec(name, model.to(device))


def load(name: str = MAIN_VAE, device: str | torch.device | None = None) -> Codec | PCA:
    """A shipped model by name ('pca', 'vae_ae', 'vae_beta_1', …), loaded once, read-only."""
    if name == "pca":
        return digits_pca(2)
    if name not in SHIPPED:
        raise InputError(f"Unknown model {name!r}: choose one of pca, {', '.join(CHECKPOINTS)}.")
    return _codec(name, str(torch.device("cpu") if device is None else torch.device(device)))


def by_label(label: object, device: str | torch.device | None = None) -> Codec | PCA:
    """The model a person picked by its label; InputError naming the choices otherwise."""
    if not isinstance(label, str) or label not in MODELS:
        raise InputError(f"Model must be one of {', '.join(MODELS)}; got {str(label)[:40]!r}.")
    return load(MODELS[label], device)


def encode(images, name: str = MAIN_VAE) -> tuple[np.ndarray, np.ndarray | None]:
    """(mu, logvar) of images (N, 8, 8) in [0, 1] under a shipped model."""
    return load(name).encode(_as_numpy(images))


def decode(z, name: str = MAIN_VAE) -> np.ndarray:
    """Images (N, 8, 8) in [0, 1] decoded from codes (N, latent) by a shipped model."""
    return load(name).decode(_as_numpy(z))


@functools.cache
def metrics(name: str) -> dict[str, Any]:
    """What training measured for a shipped model (read from its JSON sidecar)."""
    return dict(json.loads(checkpoint.paths(name)[1].read_text()).get("metrics", {}))


@functools.cache
def test_set() -> digits.Digits:
    """The held-out digits every view draws (read-only arrays)."""
    return digits.load("test")


@functools.cache
def test_codes(name: str, device: str = "cpu") -> tuple[np.ndarray, np.ndarray | None]:
    """(mu, logvar) of every test digit under a shipped model, computed once (read-only)."""
    mu, logvar = load(name, device).encode(test_set().images)
    for a in (mu, logvar):
        if a is not None:
            a.setflags(write=False)
    return mu, logvar
