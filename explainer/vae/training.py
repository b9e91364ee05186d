"""Seeded training of the shipped autoencoders and VAEs, and the step-by-step trainer behind live training.

:class:`Trainer` owns one model, its optimizer and a local ``torch.Generator`` (minibatch
order and the VAE's ε both come from it), so a seed fixes the whole run and two trainers
never share randomness. ``python -m explainer.train vae_…`` calls the ``train_*`` entry
points below; each trains one model on the train split and saves it with its test metrics.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field
from typing import Any

import torch

from explainer import checkpoint
from explainer.datasets import digits
from explainer.vae.model import AutoEncoder, VAEConfig, init_weights

KIND = "vae.AutoEncoder"  # checkpoint kind of every model in this topic


@dataclass(frozen=True)
class TrainConfig:
    steps: int = 3000  # optimizer steps
    batch_size: int = 128  # digits per step
    lr: float = 2e-3  # Adam learning rate, cosine-decayed to lr_floor · lr
    lr_floor: float = 0.05  # final learning rate as a share of lr
    warmup_kl: int = 0  # steps over which β ramps from 0 to its value (0: no ramp)
    # Adam as one fused kernel over all parameters instead of a Python loop of small ops per tensor:
    # 40 live-training steps took 63 instead of 75 ms of CPU on our 2-core machine. It rounds differently (weights
    # differ by ~1e-7 after 300 steps), so the shipped checkpoints keep the plain loop and stay
    # bit-for-bit reproducible; live training, which ships nothing, uses the fused kernel.
    fused_adam: bool = False


@dataclass
class History:
    steps: list[int] = field(default_factory=list)  # step of each record
    recon: list[float] = field(default_factory=list)  # reconstruction term (batch mean)
    kl: list[float] = field(default_factory=list)  # KL term, nats per image (batch mean)


class Trainer:
    """One model trained on the digits' train split, a few steps at a time."""

    def __init__(self, config: VAEConfig, train: TrainConfig = TrainConfig(), *, seed: int = 0,
                 device: torch.device | str = "cpu", record_every: int = 1):
        self.config, self.train_config, self.seed = config, train, seed
        self.generator = torch.Generator().manual_seed(seed)
        self.model = AutoEncoder(config)
        init_weights(self.model, self.generator)
        self.model.to(device)
        self.device = torch.device(device)
        self.x = digits.load("train").tensors(self.device)[0]  # (1438, 8, 8)
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=train.lr, fused=train.fused_adam or None)
        self.step_count = 0
        self.history = History()
        self.record_every = record_every
        self._order = torch.empty(0, dtype=torch.long)

    def _batch(self) -> torch.Tensor:
        if len(self._order) < self.train_config.batch_size:  # a new epoch: reshuffle
            self._order = torch.randperm(len(self.x), generator=self.generator)
        idx, self._order = self._order[: self.train_config.batch_size], self._order[self.train_config.batch_size:]
        return self.x[idx.to(self.device)]  # (B, 8, 8)

    def _lr(self) -> float:
        """Cosine decay from lr to lr · lr_floor over the configured steps."""
        t = self.train_config
        progress = min(1.0, self.step_count / max(1, t.steps))
        return t.lr * (t.lr_floor + (1 - t.lr_floor) * 0.5 * (1 + math.cos(progress * math.pi)))

    def step(self) -> tuple[float, float]:
        """One optimizer step; returns (reconstruction term, KL) of the batch."""
        self.model.train()
        x = self._batch()
        noise = torch.randn(len(x), self.config.latent_dim, generator=self.generator).to(self.device)  # ε (B, latent)
        recon, kl = self.model.losses(x, noise)
        ramp = min(1.0, self.step_count / self.train_config.warmup_kl) if self.train_config.warmup_kl else 1.0
        loss = recon + ramp * self.config.beta * kl if self.model.variational else recon
        for group in self.optimizer.param_groups:
            group["lr"] = self._lr()
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()
        self.step_count += 1
        values = float(recon.detach()), float(kl.detach())
        if self.step_count % self.record_every == 0:
            self.history.steps.append(self.step_count)
            self.history.recon.append(values[0])
            self.history.kl.append(values[1])
        return values

    def train(self, n_steps: int) -> None:
        for _ in range(n_steps):
            self.step()
        self.model.eval()


def fit(config: VAEConfig, train: TrainConfig = TrainConfig(), *, seed: int = 0, device="cpu") -> AutoEncoder:
    """Train a model from scratch (seeded) and return it in eval mode."""
    trainer = Trainer(config, train, seed=seed, device=device, record_every=train.steps + 1)
    trainer.train(train.steps)
    return trainer.model


# --------------------------------------------------------------------------------------
# The shipped models: name -> (model config, training config).
# --------------------------------------------------------------------------------------
BETAS = (0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0)  # the β sweep (Higgins et al. 2017)


def beta_name(beta: float) -> str:
    """Checkpoint name of the 2-D VAE trained with ``beta`` (0.25 -> 'vae_beta_0p25')."""
    return "vae_beta_" + f"{beta:g}".replace(".", "p")


# The 2-D AE and VAE the tab shows are wider and trained longer (sharper samples); the β sweep
# and the 8-D pair are smaller so that retraining everything stays within a couple of minutes.
MAIN = (VAEConfig(kind="vae", hidden=256), TrainConfig(steps=4000, warmup_kl=500))
SWEEP_TRAINING = TrainConfig(steps=2000, warmup_kl=400)
SHIPPED: dict[str, tuple[VAEConfig, TrainConfig]] = {
    "vae_linear_ae": (VAEConfig(kind="linear_ae"), TrainConfig(steps=3000, batch_size=256, lr=1e-2, lr_floor=0.01)),
    "vae_ae": (VAEConfig(kind="ae", hidden=256), TrainConfig(steps=4000)),
    "vae_vae": MAIN,
    **{beta_name(b): (VAEConfig(kind="vae", beta=b), SWEEP_TRAINING) for b in BETAS},
    "vae_ae8": (VAEConfig(kind="ae", latent_dim=8), TrainConfig(steps=2000)),
    "vae_latent8": (VAEConfig(kind="vae", latent_dim=8), SWEEP_TRAINING),
}


def train_shipped(name: str, *, device, seed: int = 0, directory=None) -> dict[str, Any]:
    """Train the shipped model ``name``, measure it on the test split, save it; returns the metrics."""
    from explainer.vae.evaluate import measure  # evaluate imports this module

    start = time.perf_counter()
    config, train = SHIPPED[name]
    model = fit(config, train, seed=seed, device=device)
    seconds = time.perf_counter() - start
    metrics = {**measure(model, seed=seed), "train_seconds": round(seconds, 1)}
    checkpoint.save(name, model.state_dict(), kind=KIND, config={**asdict(config), "training": asdict(train)},
                    metrics=metrics, directory=directory)
    return metrics


def _entry(name: str):
    def train_fn(*, device, seed: int = 0, directory=None) -> dict[str, Any]:
        return train_shipped(name, device=device, seed=seed, directory=directory)

    train_fn.__name__ = "train_" + name.removeprefix("vae_")
    train_fn.__doc__ = f"Entry point of ``python -m explainer.train {name}``."
    return train_fn


# One function per checkpoint, as explainer.train's TRAINERS registry names them.
train_linear_ae = _entry("vae_linear_ae")
train_ae = _entry("vae_ae")
train_vae = _entry("vae_vae")
train_ae8 = _entry("vae_ae8")
train_beta_0p1 = _entry("vae_beta_0p1")
train_beta_0p25 = _entry("vae_beta_0p25")
train_beta_0p5 = _entry("vae_beta_0p5")
train_beta_1 = _entry("vae_beta_1")
train_beta_2 = _entry("vae_beta_2")
train_beta_4 = _entry("vae_beta_4")
train_beta_8 = _entry("vae_beta_8")
train_latent8 = _entry("vae_latent8")
