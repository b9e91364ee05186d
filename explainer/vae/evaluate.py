"""What the VAE topic measures: ``python -m explainer.vae.evaluate`` prints every number.

Per model, on the held-out test digits: reconstruction MSE per pixel (decoding the posterior
mean), the Bernoulli reconstruction term −E_q log p(x|z) and KL in nats per image, and the
ELBO = E_q[log p(x|z)] − KL (Kingma & Welling 2014, eq. 3; a Monte-Carlo estimate over ε).
Across models: principal angles between the linear AE's decoder span and PCA's; the share of
prior samples the digit classifier reads with confidence ≥ 0.9 — z ~ N(0, I) through the VAE,
the same z through the AE's decoder, and z from a Gaussian fitted to the AE's training codes.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import numpy as np
import torch

from explainer.datasets import digit_classifier, digits
from explainer.vae.model import AutoEncoder, gaussian_kl, recon_nll
from explainer.vae.pca import digits_pca, principal_angles

N_PRIOR = 1000  # prior samples judged by the classifier
N_EPS = 16  # ε draws per test digit in the ELBO estimate
SAMPLE_SEED = 1234  # offset of the evaluation's own generator from the training seed


@torch.no_grad()
def measure(model: AutoEncoder, *, seed: int = 0) -> dict[str, Any]:
    """Test metrics of one trained model (see the module docstring), as a JSON-ready dict."""
    device = next(model.parameters()).device
    gen = torch.Generator().manual_seed(seed + SAMPLE_SEED)
    x = digits.load("test").tensors(device)[0]  # (359, 8, 8)
    mu, logvar = model.encode(x)
    recon = model.decode(mu)  # (359, 8, 8)
    out: dict[str, Any] = {"test_mse": round(float((recon.clamp(0, 1) - x).pow(2).mean()), 5),
                           "recon_confident_share": round(digit_classifier.confident_share(recon.clamp(0, 1).cpu()), 4)}
    if model.config.kind == "linear_ae":
        out["pca_angles_deg"] = [round(float(a), 3) for a in linear_ae_angles(model)]
        return out
    if logvar is None:
        out["test_recon_nats"] = round(float(recon_nll(recon, x, model.config.sigma).mean()), 3)
    else:
        nll = torch.stack([
            recon_nll(model.decode(mu + torch.exp(0.5 * logvar) * torch.randn(mu.shape, generator=gen).to(device)), x,
                      model.config.sigma)
            for _ in range(N_EPS)
        ]).mean(0)  # (359,) −E_q log p(x|z)
        kl_dims = gaussian_kl(mu, logvar).mean(0)  # (latent,) nats per dimension
        out["test_recon_nats"] = round(float(nll.mean()), 3)
        out["test_kl_nats"] = round(float(kl_dims.sum()), 3)
        out["test_kl_per_dim"] = [round(float(v), 4) for v in kl_dims]
        out["test_elbo_nats"] = round(-float(nll.mean() + kl_dims.sum()), 3)
    out.update(prior_quality(model, seed=seed))
    return out


def linear_ae_angles(model: AutoEncoder) -> np.ndarray:
    """Principal angles (degrees) between the linear AE's decoder columns and PCA's 2 directions."""
    w = model.decoder.weight.detach().cpu().numpy()  # (64, latent): x̂ = W z + b
    return principal_angles(w, digits_pca(model.config.latent_dim).components.T)


@torch.no_grad()
def prior_quality(model: AutoEncoder, *, seed: int = 0, n: int = N_PRIOR) -> dict[str, float]:
    """Share of decoded prior samples read with confidence ≥ 0.9 (and, for an AE, of a fitted Gaussian)."""
    device = next(model.parameters()).device
    gen = torch.Generator().manual_seed(seed + SAMPLE_SEED + 1)
    z = torch.randn(n, model.config.latent_dim, generator=gen)  # (n, latent) ~ N(0, I)
    out = {"prior_confident_share": digit_classifier.confident_share(model.decode(z.to(device)).cpu())}
    if not model.variational:
        codes = model.encode(digits.load("train").tensors(device)[0])[0].cpu().double()  # (1438, latent)
        z_fit = fitted_gaussian_samples(codes, n, gen)
        out["fitted_gaussian_confident_share"] = digit_classifier.confident_share(model.decode(z_fit.to(device)).cpu())
    return {k: round(v, 4) for k, v in out.items()}


def fitted_gaussian_samples(codes: torch.Tensor, n: int, gen: torch.Generator) -> torch.Tensor:
    """n samples (n, k) of N(mean, cov) fitted to codes (M, k) by maximum likelihood."""
    mean = codes.mean(0)
    cov = torch.cov(codes.T).reshape(codes.shape[1], codes.shape[1]) + 1e-6 * torch.eye(codes.shape[1], dtype=codes.dtype)
    chol = torch.linalg.cholesky(cov)
    eps = torch.randn(n, codes.shape[1], generator=gen, dtype=codes.dtype)
    return (mean + eps @ chol.T).float()  # (n, k)


def pca_metrics() -> dict[str, Any]:
    pca = digits_pca(2)
    x = digits.load("test").images
    recon = pca.decode(pca.encode(x)[0])
    return {"test_mse": round(float(((recon - x) ** 2).mean()), 5),
            "explained_variance": [round(float(v), 4) for v in pca.explained()]}


def report() -> dict[str, Any]:
    """Every shipped model's stored metrics plus PCA and the classifier, as one dict."""
    from explainer.vae import catalog

    result: dict[str, Any] = {"pca": pca_metrics()}
    for name in catalog.CHECKPOINTS:
        result[name] = catalog.metrics(name)
    result[digit_classifier.NAME] = dict(digit_classifier.checkpoint.load(digit_classifier.NAME).metrics)
    return result


if __name__ == "__main__":
    torch.set_num_threads(1)
    json.dump(report(), sys.stdout, indent=1)
    print()
