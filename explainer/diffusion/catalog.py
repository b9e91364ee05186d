"""The shipped diffusion models: names, labels, a cached read-only loader, and the tab's settings.

Each model is ``assets/checkpoints/<name>.safetensors`` + ``.json``, written by
``python -m explainer.train <name>`` (see :mod:`explainer.diffusion.training`). Loaded models
are read-only and shared by every visitor; anything a person changes lives in their session.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import torch

from explainer import checkpoint
from explainer.denoising.model import EpsMLP, guided_eps
from explainer.denoising.schedule import NoiseSchedule
from explainer.diffusion.training import KIND, TrainConfig
from explainer.validate import InputError

MODELS = {  # checkpoint name -> label in the tab
    "diffusion_ring": "ring of 8 Gaussians",
    "diffusion_grid": "grid of 25 Gaussians",
    "diffusion_moons": "two moons",
    "diffusion_spiral": "spiral",
    "diffusion_digits": "handwritten digits (8 × 8)",
}
TOY_MODELS = tuple(n for n in MODELS if n != "diffusion_digits")
DIGITS = "diffusion_digits"


@dataclass(frozen=True)
class Settings:
    """Defaults and caps shared by the sliders and the checks."""

    model: str = "diffusion_ring"  # the model the reverse-process view opens with
    seed: int = 0  # seed of the starting noise
    sampler: str = "ddpm"  # "ddpm" or "ddim"
    n_steps: int = 1000  # sampler steps (T for DDPM)
    eta: float = 0.0  # DDIM's η
    n_points: int = 1000  # 2-D samples drawn in a view
    max_points: int = 2500  # cap on 2-D samples per request
    n_digits: int = 8  # digits drawn in a view
    max_digits: int = 16  # cap on digits per request
    max_frames: int = 101  # frames of a trajectory kept in the person's state (thinned)
    shown_points: int = 400  # points drawn per frame (the rest are computed, not sent): a browser paints it fast
    n_tracks: int = 12  # trajectories traced in the reverse view
    guidance: float = 3.0  # default classifier-free guidance scale w
    max_guidance: float = 10.0
    digit_class: int = 3  # the class the guidance view opens with
    exact_samples: int = 500  # samples from the exact denoiser of training points per request
    exact_steps: int = 100  # its DDIM steps (N × K work per step)


SETTINGS = Settings()


@dataclass(frozen=True, eq=False)
class Loaded:
    """A shipped model, read-only: the EMA network, its schedule, and its training data facts."""

    name: str
    net: EpsMLP
    schedule: NoiseSchedule
    config: TrainConfig
    metrics: dict
    train_points: np.ndarray | None  # (P, 2) the fixed training set (moons, spiral), or None

    @property
    def is_digits(self) -> bool:
        return self.config.data == "digits"

    @property
    def clip(self) -> float | None:
        """Images live in [−1, 1]: their sampler clips x̂_0 there (2-D models: no clipping)."""
        return 1.0 if self.is_digits else None

    @property
    def dim(self) -> int:
        return self.config.model.dim

    def eps_fn(self, label: int | None = None, w: float = 0.0):
        """ε̂(x, t) for the samplers; with a label (digits), classifier-free guided by w."""
        net = self.net

        def eps(x: torch.Tensor, t: int) -> torch.Tensor:
            labels = None if label is None else torch.full((len(x),), int(label), dtype=torch.long, device=x.device)
            return guided_eps(net, x, t, labels, w)

        return eps


def check_name(name: object) -> str:
    if name not in MODELS:
        raise InputError(f"Unknown model {name!r}: choose one of {', '.join(MODELS)}.")
    return str(name)


@functools.lru_cache(maxsize=16)
def _load(name: str, device_str: str) -> Loaded:
    ckpt = checkpoint.load(name, kind=KIND)
    config = TrainConfig.from_dict(ckpt.config["train"])
    net = EpsMLP(config.model)
    net.load_state_dict({k[len("model."):]: v for k, v in ckpt.tensors.items() if k.startswith("model.")})
    net = net.to(device_str).eval().requires_grad_(False)
    points = ckpt.tensors.get("data.train_points")
    return Loaded(name, net, NoiseSchedule.named(config.schedule, config.T), config, ckpt.metrics,
                  None if points is None else points.numpy())


def load(name: str, device: torch.device | str | None = None) -> Loaded:
    """The shipped model ``name`` on ``device`` (CPU by default), loaded once per device."""
    return _load(check_name(name), str(torch.device(device or "cpu")))
