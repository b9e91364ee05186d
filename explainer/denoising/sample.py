"""Sampling: run the reverse process from pure noise and keep every step as arrays.

A sampler walks t = T−1 → 0 (DDPM, every step) or a subset of it (DDIM, n evenly spaced steps).
At each visited step it asks ε_θ for the noise, forms the network's current guess of the clean
sample x̂_0 = (x_t − √(1 − ᾱ_t) ε̂) / √ᾱ_t, and moves to the next step:

* ``"ddpm"`` — Ho et al. 2020, Algorithm 2 (``NoiseSchedule.step``). With fewer than T steps it
  is DDPM on the respaced schedule, which is exactly DDIM with η = 1 (Song et al. §4.1).
* ``"ddim"`` — Song et al. 2021, eq. 12 (``NoiseSchedule.ddim_step``), η from 0 (deterministic)
  to 1.

The starting noise x_T is the first draw of the seed's generator, so the same seed gives the
same x_T for every sampler, step count and η: what differs is the path. In-painting follows
RePaint (Lugmayr et al. 2022): after each step the known pixels are put back, noised to the
new step's level, so the model only has to fill in the rest.

The result is a :class:`Trajectory`: x_t, x̂_0 and ε̂ at every kept frame, as numpy arrays.
:class:`Walk` takes the steps a chunk at a time (the tab streams the first frame at once and
the rest as they come); :func:`run` is one uninterrupted walk.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from explainer.denoising.schedule import NoiseSchedule, timesteps
from explainer.validate import InputError

SAMPLERS = ("ddpm", "ddim")
EpsFn = Callable[[torch.Tensor, int], torch.Tensor]  # ε̂(x_t (N, D), t) -> (N, D)


@dataclass(frozen=True)
class Trajectory:
    """The frames of one reverse process (model space: the plane, or digits scaled to [−1, 1]).

    Frame f shows the state before step ``t[f]``: x_t, the prediction made there (ε̂) and its
    x̂_0. The last frame is the finished sample: t = −1, x̂_0 = x, ε̂ = 0.
    """

    t: np.ndarray  # (F,) step of each frame, descending, ending at −1
    x: np.ndarray  # (F, N, D) float32 x_t
    x0_hat: np.ndarray  # (F, N, D) float32 the guess of the clean sample at that step
    eps: np.ndarray  # (F, N, D) float32 the predicted noise at that step
    sampler: str  # "ddpm" or "ddim"
    n_steps: int  # steps the sampler took (frames may be thinned)
    eta: float  # DDIM's η (1 for DDPM)

    @property
    def samples(self) -> np.ndarray:
        return self.x[-1]  # (N, D)

    def __len__(self) -> int:
        return len(self.t)


def kept_frames(n_steps: int, keep: int | None) -> np.ndarray:
    """Which of the n_steps + 1 frames to keep: all, or ``keep`` evenly spaced (first and last included)."""
    total = n_steps + 1
    if keep is None or keep >= total:
        return np.arange(total)
    return np.unique(np.round(np.linspace(0, total - 1, max(2, keep))).astype(int))


def check_sampler(sampler: str, n_steps: int, eta: float, T: int) -> tuple[str, float]:
    if sampler not in SAMPLERS:
        raise InputError(f"Unknown sampler {sampler!r}: choose 'ddpm' or 'ddim'.")
    if not 1 <= n_steps <= T:
        raise InputError(f"Number of steps must be between 1 and {T}, got {n_steps}.")
    if not (isinstance(eta, (int, float)) and math.isfinite(eta) and 0 <= eta <= 1):
        raise InputError(f"η must be a number between 0 and 1, got {eta!r}.")
    return sampler, 1.0 if sampler == "ddpm" else float(eta)


class Walk:
    """One reverse process, advanced in chunks: the tab streams it, :func:`run` takes it in one go.

    The generator, x_t and the kept frames live here, so stopping after any step and going on
    later gives exactly the trajectory of one uninterrupted walk (a test checks it). Frame f is
    filled when step f is taken; the finished sample (the last frame) when the last step is.
    """

    @torch.inference_mode()
    def __init__(self, eps_fn: EpsFn, schedule: NoiseSchedule, shape: tuple[int, int], *, seed: int,
                 sampler: str = "ddpm", n_steps: int | None = None, eta: float = 0.0,
                 device: torch.device | str = "cpu", keep: int | None = None,
                 known: tuple[torch.Tensor, torch.Tensor] | None = None, x_T: torch.Tensor | None = None,
                 clip: float | None = None) -> None:
        n_steps = schedule.T if n_steps is None else n_steps
        self.sampler, self.eta = check_sampler(sampler, n_steps, eta, schedule.T)
        self.eps_fn, self.schedule, self.shape, self.clip, self.n_steps = eps_fn, schedule, shape, clip, n_steps
        self.device = device = torch.device(device)
        self.gen = torch.Generator(device=device).manual_seed(int(seed))
        self.x = (torch.randn(shape, generator=self.gen, device=device) if x_T is None
                  else x_T.to(device, torch.float32))  # (N, D)
        self.ts = timesteps(schedule.T, n_steps)
        self.frames = kept_frames(n_steps, keep)
        self.slot = {int(f): i for i, f in enumerate(self.frames)}
        self.xs = torch.empty((len(self.frames), *shape), device=device)  # (F, N, D)
        self.x0s, self.epss = torch.empty_like(self.xs), torch.zeros_like(self.xs)
        self.known = None if known is None else (known[0].to(device, torch.float32), known[1].to(device))
        self.full_ddpm = self.sampler == "ddpm" and n_steps == schedule.T
        self.k = 0  # steps taken so far

    @property
    def done(self) -> bool:
        return self.k >= self.n_steps

    @torch.inference_mode()
    def advance(self, n: int | None = None, seconds: float | None = None) -> int:
        """Take up to ``n`` steps (all that are left by default), stopping once ``seconds`` have passed."""
        deadline = None if seconds is None else time.perf_counter() + seconds
        schedule, gen, shape, device = self.schedule, self.gen, self.shape, self.device
        stop = self.n_steps if n is None else min(self.n_steps, self.k + max(0, int(n)))
        start = self.k
        while self.k < stop and (deadline is None or self.k == start or time.perf_counter() < deadline):
            k, x = self.k, self.x
            t = self.ts[k]
            t_prev = self.ts[k + 1] if k + 1 < len(self.ts) else -1
            if self.known is not None:  # RePaint: known pixels as q(x_t | x_0) would have them
                noise = torch.randn(shape, generator=gen, device=device)  # (N, D)
                x = torch.where(self.known[1], schedule.q_sample(self.known[0], t, noise), x)
            eps = self.eps_fn(x, t)  # (N, D)
            if self.clip is not None:  # x̂_0 ← clamp(x̂_0); ε̂ ← (x_t − √ᾱ_t x̂_0) / √(1 − ᾱ_t)
                abar = float(schedule.alphas_cumprod[t])
                x0 = schedule.predict_x0(eps, t, x).clamp(-self.clip, self.clip)
                eps = (x - abar**0.5 * x0) / (1 - abar) ** 0.5
            if k in self.slot:
                i = self.slot[k]
                self.xs[i], self.epss[i] = x, eps
                self.x0s[i] = schedule.predict_x0(eps, t, x)
            if self.full_ddpm:
                x = schedule.step(eps, t, x, generator=gen)  # Ho et al. Algorithm 2
            else:
                x = schedule.ddim_step(eps, t, t_prev, x, eta=self.eta, generator=gen)  # Song et al. eq. 12
            self.x, self.k = x, k + 1
        if self.done and start < self.k:  # the finished sample
            if self.known is not None:
                self.x = torch.where(self.known[1], self.known[0], self.x)
            last = self.slot[self.n_steps]
            self.xs[last], self.x0s[last] = self.x, self.x
        return self.k - start

    def trajectory(self) -> Trajectory:
        """The frames filled so far (all of them once :attr:`done`)."""
        filled = int(np.searchsorted(self.frames, self.k, side="right" if self.done else "left"))
        frames = self.frames[:filled]
        return Trajectory(
            t=np.array([self.ts[f] if f < self.n_steps else -1 for f in frames], dtype=np.int64),
            x=self.xs[:filled].cpu().numpy().copy(), x0_hat=self.x0s[:filled].cpu().numpy().copy(),
            eps=self.epss[:filled].cpu().numpy().copy(), sampler=self.sampler, n_steps=self.n_steps, eta=self.eta,
        )


def run(eps_fn: EpsFn, schedule: NoiseSchedule, shape: tuple[int, int], **kwargs) -> Trajectory:
    """Sample ``shape`` = (N, D) points from noise with ``eps_fn``; return the kept frames.

    Keywords as :class:`Walk`: ``seed``, ``sampler``, ``n_steps``, ``eta``, ``device``, ``keep``
    (frames kept, None = every step). ``known`` = (x_0 (N, D), mask (N, D) bool, True = known)
    in-paints (RePaint). ``x_T`` replaces the seed's starting noise (the generator still drives
    the per-step noise). ``clip`` bounds x̂_0 to [−clip, clip] before each step and re-derives ε̂
    from it (Ho et al.'s image sampler; diffusers' ``clip_sample=True``): images live in
    [−1, 1], and guidance can otherwise overshoot.
    """
    walk = Walk(eps_fn, schedule, shape, **kwargs)
    walk.advance()
    return walk.trajectory()


def final_samples(eps_fn: EpsFn, schedule: NoiseSchedule, shape: tuple[int, int], **kwargs) -> np.ndarray:
    """Only the finished samples (N, D): the same walk, keeping the first and last frames."""
    return run(eps_fn, schedule, shape, keep=2, **kwargs).samples
