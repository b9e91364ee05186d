"""Autoencoders and the VAE on 8×8 digits: one module, three kinds, the closed-form KL.

* **linear AE** — x̂ = W_d (W_e x + b_e) + b_d, no nonlinearity, trained on mean squared error.
  Its optimum spans the same subspace as PCA's top components (Baldi & Hornik 1989).
* **AE** — an MLP encoder to a point z and an MLP decoder with a sigmoid output (pixels in
  [0, 1]), trained on the Bernoulli reconstruction loss alone.
* **VAE** (Kingma & Welling 2014) — the encoder gives a Gaussian q(z|x) = N(μ, diag σ²);
  z = μ + σ·ε with ε ~ N(0, I) (the reparameterisation trick), and the loss is

      L = E_q[−log p(x|z)] + β · KL(q(z|x) ‖ N(0, I))          (β = 1: the negative ELBO;
                                                               β ≠ 1: Higgins et al. 2017)

  with the Gaussian KL in closed form (Kingma & Welling, appendix B), per latent dimension:

      KL_j = ½ (μ_j² + σ_j² − log σ_j² − 1).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn
from torch.nn import functional as F

PIXELS = 64  # an 8 × 8 digit, flattened
KINDS = ("linear_ae", "ae", "vae")


@dataclass(frozen=True)
class VAEConfig:
    kind: str = "vae"  # "linear_ae", "ae" or "vae" (see the module docstring)
    latent_dim: int = 2  # size of z (2 so the space can be drawn)
    hidden: int = 128  # width of each hidden layer (ignored by the linear AE)
    beta: float = 1.0  # weight of the KL term (VAE only; β = 1 is the ELBO)
    sigma: float = 0.0  # decoder likelihood p(x|z): 0 = Bernoulli; > 0 = Gaussian N(x̂, σ²) with this σ

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {self.kind!r}")


@dataclass(frozen=True)
class Output:
    """What one forward pass computes (returned, never stored on the module)."""

    recon: torch.Tensor  # (N, 8, 8) decoded images (probabilities for AE / VAE)
    mu: torch.Tensor  # (N, latent) posterior mean, or the code of an AE
    logvar: torch.Tensor | None  # (N, latent) posterior log-variance (VAE only)
    z: torch.Tensor  # (N, latent) the code that was decoded


def gaussian_kl(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL(N(μ, σ²) ‖ N(0, 1)) per dimension: ½(μ² + σ² − log σ² − 1), same shape as μ."""
    return 0.5 * (mu.pow(2) + logvar.exp() - logvar - 1.0)


def bernoulli_nll(recon: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """−log p(x|z) of a Bernoulli decoder, summed over the 64 pixels: (N,) in nats."""
    return F.binary_cross_entropy(recon.flatten(1), x.flatten(1), reduction="none").sum(1)


def gaussian_nll(recon: torch.Tensor, x: torch.Tensor, sigma: float) -> torch.Tensor:
    """−log N(x; x̂, σ² I) summed over the 64 pixels: Σ (x − x̂)² / 2σ² + 64 · log(σ √(2π)); (N,) nats."""
    sq = (recon.flatten(1) - x.flatten(1)).pow(2).sum(1)  # (N,)
    return sq / (2 * sigma**2) + PIXELS * math.log(sigma * math.sqrt(2 * math.pi))


def recon_nll(recon: torch.Tensor, x: torch.Tensor, sigma: float = 0.0) -> torch.Tensor:
    """−log p(x|z) per image (N,) in nats for the decoder likelihood a config names."""
    return gaussian_nll(recon, x, sigma) if sigma > 0 else bernoulli_nll(recon, x)


def _mlp(sizes: list[int]) -> nn.Sequential:
    layers: list[nn.Module] = []
    for a, b in zip(sizes[:-1], sizes[1:]):
        layers += [nn.Linear(a, b), nn.ReLU()]
    return nn.Sequential(*layers[:-1])  # no activation after the last layer


class AutoEncoder(nn.Module):
    """Linear AE, AE or VAE by ``config.kind``; images (N, 8, 8) in [0, 1]."""

    def __init__(self, config: VAEConfig):
        super().__init__()
        self.config = config
        k, h = config.latent_dim, config.hidden
        out = 2 * k if config.kind == "vae" else k  # the VAE encoder outputs μ and log σ²
        with torch.random.fork_rng(devices=[]):  # nn.Linear's default init draws from the global RNG: restore it
            if config.kind == "linear_ae":
                self.encoder, self.decoder = nn.Linear(PIXELS, k), nn.Linear(k, PIXELS)
            else:
                self.encoder, self.decoder = _mlp([PIXELS, h, h, out]), _mlp([k, h, h, PIXELS])

    @property
    def variational(self) -> bool:
        return self.config.kind == "vae"

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        """(μ, log σ²), each (N, latent); log σ² is None for a plain autoencoder."""
        h = self.encoder(x.flatten(1))  # (N, latent) or (N, 2·latent)
        if not self.variational:
            return h, None
        mu, logvar = h.chunk(2, dim=1)  # (N, latent) each
        return mu, logvar.clamp(-12.0, 8.0)  # σ between e^-6 and e^4: keeps exp() finite

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Codes (N, latent) -> images (N, 8, 8); in [0, 1] except the linear AE's raw output."""
        logits = self.decoder(z)  # (N, 64)
        images = logits if self.config.kind == "linear_ae" else torch.sigmoid(logits)
        return images.view(-1, 8, 8)

    def forward(self, x: torch.Tensor, noise: torch.Tensor | None = None) -> Output:
        """Encode, sample z = μ + σ·ε (VAE; ε = ``noise`` if given), decode."""
        mu, logvar = self.encode(x)
        if logvar is None:
            z = mu
        else:
            eps = torch.randn_like(mu) if noise is None else noise  # (N, latent)
            z = mu + torch.exp(0.5 * logvar) * eps  # the reparameterisation trick
        return Output(self.decode(z), mu, logvar, z)

    def losses(self, x: torch.Tensor, noise: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """(reconstruction term, KL) averaged over the batch, in the units this kind trains on.

        linear AE: mean squared error per pixel; AE and VAE: Bernoulli −log p(x|z) in nats per
        image; KL (nats per image) is 0 for the autoencoders.
        """
        out = self(x, noise)
        if self.config.kind == "linear_ae":
            return F.mse_loss(out.recon, x), torch.zeros((), device=x.device)
        recon = recon_nll(out.recon, x, self.config.sigma).mean()
        kl = gaussian_kl(out.mu, out.logvar).sum(1).mean() if out.logvar is not None else torch.zeros((), device=x.device)
        return recon, kl

    def loss(self, x: torch.Tensor, noise: torch.Tensor | None = None) -> torch.Tensor:
        """The training objective: reconstruction + β·KL."""
        recon, kl = self.losses(x, noise)
        return recon + self.config.beta * kl if self.variational else recon


def init_weights(model: nn.Module, generator: torch.Generator) -> None:
    """Seeded He-style initialisation from a local generator (never the global RNG)."""
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("bias"):
                p.zero_()
            else:
                p.copy_(torch.randn(p.shape, generator=generator) * (1.0 / p.shape[1]) ** 0.5)
