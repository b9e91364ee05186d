"""The noise schedule of a denoising diffusion model, and the three formulas that use it.

Ho et al. 2020, "Denoising Diffusion Probabilistic Models" (DDPM), with 0-indexed t = 0 … T−1:

* **Forward marginal** (eq. 4): q(x_t | x_0) = N(√ᾱ_t x_0, (1 − ᾱ_t) I), so
  x_t = √ᾱ_t x_0 + √(1 − ᾱ_t) ε with ε ~ N(0, I) — :meth:`NoiseSchedule.q_sample`.
  α_t = 1 − β_t and ᾱ_t = ∏_{s ≤ t} α_s.
* **Reverse step** (eq. 11 with σ_t² = β̃_t, eqs. 6–7):
  x_{t−1} = 1/√α_t · (x_t − β_t / √(1 − ᾱ_t) · ε_θ(x_t, t)) + √β̃_t z,
  β̃_t = (1 − ᾱ_{t−1}) / (1 − ᾱ_t) · β_t, no noise at the last step — :meth:`NoiseSchedule.step`.
* **DDIM step** (Song et al. 2021, "Denoising Diffusion Implicit Models", eq. 12):
  x_{t'} = √ᾱ_{t'} x̂_0 + √(1 − ᾱ_{t'} − σ²) ε_θ + σ z, x̂_0 = (x_t − √(1 − ᾱ_t) ε_θ) / √ᾱ_t,
  σ = η √((1 − ᾱ_{t'}) / (1 − ᾱ_t)) √(1 − ᾱ_t / ᾱ_{t'}) — :meth:`NoiseSchedule.ddim_step`.
  t' = −1 is the end of sampling, where ᾱ = 1 (x_{−1} = x̂_0 when η = 0).

Two schedules: **linear** β (Ho et al.: 1e-4 … 0.02 over T = 1000) and **cosine**
(Nichol & Dhariwal 2021, "Improved DDPM", eq. 17: ᾱ_t = f(t)/f(0), f(t) = cos²((t/T + s)/(1 + s) · π/2),
β clipped at 0.999). These steps clip nothing (diffusers' ``clip_sample=False``); the image sampler clips x̂_0
itself (``sample.run(clip=...)``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import torch

from explainer.validate import InputError, shown


def _index(t: int | torch.Tensor, T: int, name: str = "t", lo: int = 0) -> torch.Tensor:
    """t as a long tensor (0-d for an int, (N,) for a tensor), checked to lie in [lo, T)."""
    tt = torch.as_tensor(t, dtype=torch.long)
    if tt.numel() and (int(tt.min()) < lo or int(tt.max()) >= T):
        raise InputError(f"{name} must be between {lo} and {T - 1}, got {tt.tolist() if tt.numel() < 8 else '…'}.")
    return tt


def _per_sample(values: torch.Tensor, t: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """values[t] shaped to broadcast against ``like`` (N, ...) — one value per row for a (N,) t."""
    v = values.to(like.device)[t.to(like.device)]  # () or (N,)
    return v.reshape(v.shape + (1,) * (like.dim() - v.dim())) if v.dim() else v


@dataclass(frozen=True, eq=False)
class NoiseSchedule:
    """β_t for t = 0 … T−1 and the quantities derived from it (1-D float64 tensors of length T)."""

    betas: torch.Tensor  # (T,) β_t: variance of the noise added at step t
    name: str = "custom"  # "linear", "cosine" or "custom"

    def __post_init__(self) -> None:
        b = self.betas
        if b.dim() != 1 or len(b) < 1 or not bool(((b > 0) & (b < 1)).all()):
            raise InputError("betas must be a non-empty 1-D tensor with every value in (0, 1).")

    # --- constructors -------------------------------------------------------------------------
    @classmethod
    def linear(cls, T: int = 1000, beta_start: float = 1e-4, beta_end: float = 0.02) -> NoiseSchedule:
        """β evenly spaced from beta_start to beta_end (Ho et al. 2020, §4)."""
        return cls(torch.linspace(beta_start, beta_end, T, dtype=torch.float64), "linear")

    @classmethod
    def cosine(cls, T: int = 1000, s: float = 0.008) -> NoiseSchedule:
        """ᾱ_t = f(t+1)/f(0), f(u) = cos²((u/T + s)/(1+s) · π/2); β_t = 1 − ᾱ_t/ᾱ_{t−1} ≤ 0.999 (Nichol & Dhariwal)."""
        u = torch.arange(T + 1, dtype=torch.float64)  # (T+1,) step boundaries 0 … T
        f = torch.cos((u / T + s) / (1 + s) * math.pi / 2) ** 2  # (T+1,)
        betas = (1 - f[1:] / f[:-1]).clamp(max=0.999)  # (T,)
        return cls(betas, "cosine")

    @classmethod
    def named(cls, name: str, T: int = 1000) -> NoiseSchedule:
        if name not in ("linear", "cosine"):
            raise InputError(f"Unknown schedule {shown(name)}: choose 'linear' or 'cosine'.")
        return cls.linear(T) if name == "linear" else cls.cosine(T)

    # --- derived quantities -------------------------------------------------------------------
    @property
    def T(self) -> int:
        return len(self.betas)

    @cached_property
    def alphas(self) -> torch.Tensor:
        return 1.0 - self.betas  # (T,) α_t

    @cached_property
    def alphas_cumprod(self) -> torch.Tensor:
        return torch.cumprod(self.alphas, dim=0)  # (T,) ᾱ_t = ∏_{s≤t} α_s

    def alpha_bar(self, t: int | torch.Tensor) -> torch.Tensor:
        """ᾱ_t, with ᾱ_{−1} = 1 (before any noise)."""
        tt = _index(t, self.T, lo=-1)
        padded = torch.cat([torch.ones(1, dtype=torch.float64), self.alphas_cumprod])  # (T+1,)
        return padded[tt + 1]

    @cached_property
    def posterior_variance(self) -> torch.Tensor:
        """β̃_t = (1 − ᾱ_{t−1}) / (1 − ᾱ_t) · β_t (Ho et al. eq. 7); β̃_0 = 0."""
        abar = self.alphas_cumprod
        prev = torch.cat([torch.ones(1, dtype=torch.float64), abar[:-1]])  # (T,) ᾱ_{t−1}
        return (1 - prev) / (1 - abar) * self.betas

    def snr(self) -> np.ndarray:
        """Signal-to-noise ratio ᾱ_t / (1 − ᾱ_t) for every t, as a float64 numpy array."""
        abar = self.alphas_cumprod
        return (abar / (1 - abar)).numpy()

    def crossing(self, level: float = 0.5) -> int:
        """The first t at which ᾱ_t falls to ``level`` or below (T if it never does)."""
        below = torch.nonzero(self.alphas_cumprod <= level)
        return int(below[0]) if len(below) else self.T

    # --- the three formulas -------------------------------------------------------------------
    def q_sample(self, x0: torch.Tensor, t: int | torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
        """x_t = √ᾱ_t x_0 + √(1 − ᾱ_t) ε (Ho et al. eq. 4); t an int or an (N,) tensor."""
        tt = _index(t, self.T)
        abar = _per_sample(self.alphas_cumprod, tt, x0).to(x0.dtype)  # () or (N, 1, ...)
        return abar.sqrt() * x0 + (1 - abar).sqrt() * noise

    def predict_x0(self, eps: torch.Tensor, t: int | torch.Tensor, x_t: torch.Tensor) -> torch.Tensor:
        """The network's guess of the clean sample: x̂_0 = (x_t − √(1 − ᾱ_t) ε) / √ᾱ_t."""
        tt = _index(t, self.T)
        abar = _per_sample(self.alphas_cumprod, tt, x_t).to(x_t.dtype)
        return (x_t - (1 - abar).sqrt() * eps) / abar.sqrt()

    def step(self, eps: torch.Tensor, t: int, x_t: torch.Tensor, noise: torch.Tensor | None = None,
             generator: torch.Generator | None = None) -> torch.Tensor:
        """x_{t−1} from x_t by the DDPM posterior (Ho et al. eq. 11, σ_t² = β̃_t; no noise at t = 0)."""
        t = int(_index(t, self.T))
        beta, alpha, abar = (float(v[t]) for v in (self.betas, self.alphas, self.alphas_cumprod))
        mean = (x_t - beta / math.sqrt(1 - abar) * eps) / math.sqrt(alpha)  # μ_θ(x_t, t)
        if t == 0:
            return mean
        if noise is None:
            noise = torch.randn(x_t.shape, generator=generator, device=x_t.device, dtype=x_t.dtype)
        return mean + math.sqrt(float(self.posterior_variance[t])) * noise

    def ddim_sigma(self, t: int, t_prev: int, eta: float) -> float:
        """σ = η √((1 − ᾱ_{t'})/(1 − ᾱ_t)) √(1 − ᾱ_t/ᾱ_{t'}) (Song et al. eq. 16)."""
        abar, abar_prev = float(self.alpha_bar(t)), float(self.alpha_bar(t_prev))
        return eta * math.sqrt((1 - abar_prev) / (1 - abar)) * math.sqrt(max(0.0, 1 - abar / abar_prev))

    def ddim_step(self, eps: torch.Tensor, t: int, t_prev: int, x_t: torch.Tensor, eta: float = 0.0,
                  noise: torch.Tensor | None = None, generator: torch.Generator | None = None) -> torch.Tensor:
        """x_{t'} from x_t (Song et al. eq. 12); t_prev = −1 is the final step (ᾱ = 1)."""
        t, t_prev = int(_index(t, self.T)), int(_index(t_prev, self.T, "t_prev", lo=-1))
        if t_prev >= t:
            raise InputError(f"t_prev must be below t, got t = {t}, t_prev = {t_prev}.")
        if not (math.isfinite(eta) and 0.0 <= eta <= 1.0):
            raise InputError(f"η must be between 0 and 1, got {eta}.")
        abar, abar_prev = float(self.alpha_bar(t)), float(self.alpha_bar(t_prev))
        x0 = (x_t - math.sqrt(1 - abar) * eps) / math.sqrt(abar)  # x̂_0 ("predicted x_0")
        sigma = self.ddim_sigma(t, t_prev, eta)
        direction = math.sqrt(max(0.0, 1 - abar_prev - sigma**2)) * eps  # "direction pointing to x_t"
        x_prev = math.sqrt(abar_prev) * x0 + direction
        if sigma > 0:
            if noise is None:
                noise = torch.randn(x_t.shape, generator=generator, device=x_t.device, dtype=x_t.dtype)
            x_prev = x_prev + sigma * noise
        return x_prev


def timesteps(T: int, n_steps: int) -> list[int]:
    """The t visited by an n-step sampler: evenly spaced from T−1 down to 0 ("trailing"/linspace).

    n_steps = T gives every step T−1, …, 0 (DDPM); fewer skips evenly (DDIM §4.2).
    """
    if not 1 <= n_steps <= T:
        raise InputError(f"Number of steps must be between 1 and {T}, got {n_steps}.")
    ts = np.round(np.linspace(T - 1, 0, n_steps)).astype(int)
    return [int(t) for t in ts]
