"""Denoising diffusion, live: schedules, the forward and reverse processes, samplers, exact answers.

Ho et al. 2020 (DDPM) bury data in Gaussian noise over T steps and train a network ε_θ to
predict the noise; sampling runs the process backwards from pure noise. DDIM (Song et al.
2021) takes fewer, optionally deterministic steps; classifier-free guidance (Ho & Salimans
2022) steers a class-conditional model. On 2-D Gaussian mixtures the perfect network is known
in closed form (:mod:`explainer.diffusion.exact`), so the learned one can be checked.

Typical use (a notebook or a Gradio tab)::

    import torch
    from explainer import diffusion

    s = diffusion.NoiseSchedule.linear(T=1000)            # betas, alphas, alphas_cumprod: (1000,)
    x0 = torch.randn(5, 2)
    xt = s.q_sample(x0, 500, torch.randn(5, 2))          # √ᾱ x_0 + √(1−ᾱ) ε

    traj = diffusion.sample_model("diffusion_ring", seed=0, sampler="ddim", n_steps=50, eta=0.0, n=2000)
    traj.x.shape, traj.x0_hat.shape                      # (51, 2000, 2) each: x_t and x̂_0 at every step
    traj.samples                                         # (2000, 2): the finished points

    digits = diffusion.sample_model("diffusion_digits", seed=0, sampler="ddim", n_steps=50, n=16,
                                    digit=3, w=3.0)      # guided towards "3"
    images = diffusion.from_model(digits.samples)         # (16, 8, 8) in [0, 1]

    ring = diffusion.load("diffusion_ring", "cuda")       # on a GPU: the 1,000 steps as one CUDA graph
    graphed = diffusion.UnrolledDDPM(ring.net, ring.schedule, n_points=2000)
    graphed.sample(seed=0).samples                        # (2000, 2), the eager DDPM-1000 points
"""

from __future__ import annotations

import torch

from explainer.diffusion.catalog import DIGITS, MODELS, SETTINGS, TOY_MODELS, Loaded, Settings, load
from explainer.diffusion.exact import GaussianMixture, exact_eps_fn, nearest_distance
from explainer.diffusion.graphed import UnrolledDDPM
from explainer.denoising.model import EpsMLP, EpsMLPConfig, guided_eps, time_embedding
from explainer.denoising.sample import SAMPLERS, Trajectory, run
from explainer.denoising.schedule import NoiseSchedule, timesteps
from explainer.diffusion.training import CONFIGS, TrainConfig, Trainer, from_model, to_model
from explainer.validate import InputError, integer


def sample_model(name: str, *, seed: int, sampler: str = "ddpm", n_steps: int | None = None, eta: float = 0.0,
                 n: int = 1000, digit: int | None = None, w: float = 0.0, keep: int | None = None,
                 device: torch.device | str = "cpu") -> Trajectory:
    """The whole trajectory (x_t, x̂_0, ε̂ at every step) of ``n`` samples from a shipped model.

    ``digit`` and ``w`` guide the digit model (classifier-free guidance); ``keep`` thins the
    frames kept (None: every step). Digits come back in model space: see :func:`from_model`.
    """
    loaded = load(name, device)
    n = integer(n, "Number of samples", lo=1, hi=100_000)
    if digit is not None and not loaded.is_digits:
        raise InputError("Only the digit model takes a class: leave digit as None for 2-D models.")
    return run(loaded.eps_fn(digit, w), loaded.schedule, (n, loaded.dim), seed=seed, sampler=sampler,
               n_steps=n_steps, eta=eta, device=device, keep=keep, clip=loaded.clip)


__all__ = [
    "CONFIGS", "DIGITS", "EpsMLP", "EpsMLPConfig", "GaussianMixture", "Loaded", "MODELS", "NoiseSchedule",
    "SAMPLERS", "SETTINGS", "Settings", "TOY_MODELS", "TrainConfig", "Trainer", "Trajectory", "UnrolledDDPM",
    "exact_eps_fn",
    "from_model", "guided_eps", "load", "nearest_distance", "run", "sample_model", "time_embedding", "timesteps",
    "to_model",
]
