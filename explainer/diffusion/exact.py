"""The exact answer a perfect network would give, for data that are a Gaussian mixture.

If q(x_0) = Σ_k π_k N(c_k, σ² I), the forward marginal is a Gaussian mixture too:
q(x_t) = Σ_k π_k N(√ᾱ_t c_k, s_t² I), s_t² = ᾱ_t σ² + 1 − ᾱ_t. Its score is
∇ log q(x_t) = −Σ_k r_k(x_t) (x_t − √ᾱ_t c_k) / s_t², with r_k the posterior responsibility
r_k ∝ π_k exp(−‖x_t − √ᾱ_t c_k‖² / (2 s_t²)). The optimum of the ε-loss is
ε*(x_t, t) = −√(1 − ᾱ_t) ∇ log q(x_t) (Vincent 2011; Song et al. 2021, "Score-based
generative modeling", eq. 3 and Ho et al. §3.2) — a closed form, no network.

The same formula with the *training points* as centres and σ → 0 is the exact denoiser of a
finite data set: it is what a network that drives its training loss to the minimum would
compute, and it can only ever reproduce the training points (memorisation). A network that
generalises lands between them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from explainer.denoising.schedule import NoiseSchedule

MAX_CENTRES = 4096  # the exact denoiser costs N × K per step: bounded work per request


@dataclass(frozen=True, eq=False)
class GaussianMixture:
    """q(x_0) = Σ_k π_k N(c_k, σ² I) with equal weights π_k = 1/K."""

    centers: torch.Tensor  # (K, D) float64
    std: float  # σ; 0 for a set of points (a mixture of deltas)

    @classmethod
    def of(cls, centers: np.ndarray | torch.Tensor, std: float = 0.0) -> GaussianMixture:
        c = torch.as_tensor(np.asarray(centers), dtype=torch.float64)
        if c.dim() != 2 or not 1 <= len(c) <= MAX_CENTRES:
            raise ValueError(f"centres must be (K, D) with 1 ≤ K ≤ {MAX_CENTRES}, got {tuple(c.shape)}")
        return cls(c, float(std))

    def _terms(self, x: torch.Tensor, abar: float) -> tuple[torch.Tensor, torch.Tensor, float]:
        """Differences x − √ᾱ c_k (N, K, D), log-responsibility numerators (N, K), and s_t²."""
        s2 = abar * self.std**2 + (1 - abar)  # s_t²
        diff = x.to(torch.float64)[:, None, :] - abar**0.5 * self.centers.to(x.device)[None]  # (N, K, D)
        logits = -(diff**2).sum(-1) / (2 * s2)  # (N, K); equal π_k cancel
        return diff, logits, s2

    def log_density(self, x: torch.Tensor, abar: float) -> torch.Tensor:
        """log q(x_t) for x (N, D) at the noise level ᾱ (float64)."""
        diff, logits, s2 = self._terms(x, abar)
        d = x.shape[1]
        norm = -0.5 * d * np.log(2 * np.pi * s2) - np.log(len(self.centers))
        return torch.logsumexp(logits, dim=1) + norm  # (N,)

    def score(self, x: torch.Tensor, abar: float) -> torch.Tensor:
        """∇_x log q(x_t) = −Σ_k r_k (x − √ᾱ c_k) / s_t², shape (N, D), float64."""
        diff, logits, s2 = self._terms(x, abar)
        r = torch.softmax(logits, dim=1)  # (N, K) responsibilities
        return -(r[:, :, None] * diff).sum(1) / s2  # (N, D)

    def eps(self, x: torch.Tensor, abar: float) -> torch.Tensor:
        """ε*(x_t) = −√(1 − ᾱ) ∇ log q(x_t): the noise a perfect network predicts, (N, D) float32."""
        return (-((1 - abar) ** 0.5) * self.score(x, abar)).to(torch.float32)


def exact_eps_fn(mixture: GaussianMixture, schedule: NoiseSchedule):
    """ε*(x, t) for the samplers in :mod:`explainer.denoising.sample`."""
    abar = schedule.alphas_cumprod

    def eps(x: torch.Tensor, t: int) -> torch.Tensor:
        return mixture.eps(x, float(abar[t]))

    return eps


def nearest_distance(samples: np.ndarray, points: np.ndarray, chunk: int = 2048) -> np.ndarray:
    """(N,) Euclidean distance from each sample to its nearest point of ``points`` (P, D)."""
    s = np.asarray(samples, dtype=np.float64)
    p = np.asarray(points, dtype=np.float64)
    out = np.empty(len(s))
    for i in range(0, len(s), chunk):
        d2 = ((s[i:i + chunk, None, :] - p[None, :, :]) ** 2).sum(-1)  # (n, P)
        out[i:i + chunk] = np.sqrt(d2.min(axis=1))
    return out
