"""A small digit classifier: the judge of generated 8×8 digits (VAE and diffusion samples).

A two-layer conv net (LeCun et al. 1998, scaled down to 8×8) trained on the fixed train
split of :mod:`explainer.datasets.digits`. It is used to *measure* samples: "what share of
the samples does the classifier read with confidence ≥ 0.9?" (the spirit of Salimans et
al.'s Inception Score, with a classifier of our own). For that, confidence must mean
something off the data, so training adds

* light augmentation: ±1 pixel shifts, ink-level scaling and a random blur (handwriting
  varies, and a decoder's output is the *mean* image, softer than any one scan);
* mixup between digits of different classes (Zhang et al. 2018): a half-and-half blend of a
  3 and an 8 gets soft targets, so blurry in-between samples are not read confidently;
* outlier exposure (Hendrycks et al. 2019): random blobs and noise get the uniform target,
  so smudges that are no digit at all get low confidence.

Typical use::

    from explainer.datasets import digit_classifier, digits
    probs = digit_classifier.classify(digits.load("test").images)  # (359, 10), rows sum to 1
    readable = (probs.max(axis=1) >= 0.9).mean()
"""

from __future__ import annotations

import functools
import time
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from explainer import checkpoint
from explainer.datasets import digits

NAME = "digits_classifier"  # checkpoint name
KIND = "datasets.DigitClassifier"
CONFIDENT = 0.9  # a sample "reads as a digit" when the top probability is at least this


@dataclass(frozen=True)
class ClassifierConfig:
    channels: int = 32  # feature maps of each conv layer
    hidden: int = 64  # width of the fully connected layer
    epochs: int = 40  # passes over the 1,438 training digits
    batch_size: int = 64  # digits per optimizer step
    lr: float = 3e-3  # Adam learning rate (cosine-decayed to 0)
    weight_decay: float = 1e-4  # AdamW decoupled weight decay
    mix_fraction: float = 0.25  # share of each batch replaced by cross-class blends (mixup)
    outlier_fraction: float = 0.15  # share of extra non-digit images with a uniform target


class DigitClassifier(nn.Module):
    def __init__(self, cfg: ClassifierConfig = ClassifierConfig()):
        super().__init__()
        self.cfg = cfg
        c = cfg.channels
        with torch.random.fork_rng(devices=[]):  # default init draws from the global RNG: restore it (seeds are local)
            self.conv1 = nn.Conv2d(1, c, 3, padding=1)
            self.conv2 = nn.Conv2d(c, c, 3, padding=1)
            self.fc1 = nn.Linear(c * 16, cfg.hidden)
            self.fc2 = nn.Linear(cfg.hidden, digits.N_CLASSES)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Images (N, 8, 8) in [0, 1] -> logits (N, 10)."""
        h = F.relu(self.conv1(x[:, None]))  # (N, C, 8, 8)
        h = F.max_pool2d(F.relu(self.conv2(h)), 2)  # (N, C, 4, 4)
        h = F.relu(self.fc1(h.flatten(1)))  # (N, hidden)
        return self.fc2(h)  # (N, 10)


def _blur(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Each image blended with its 3×3 box blur by a random weight in [0, 0.6]: softer strokes."""
    soft = F.avg_pool2d(F.pad(x[:, None], (1, 1, 1, 1)), 3, stride=1)[:, 0]  # (N, 8, 8)
    w = 0.6 * torch.rand(len(x), 1, 1, generator=gen)
    return (1 - w) * x + w * soft * 1.5  # × 1.5: a box blur of a thin stroke loses about a third of its ink


def _augment(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """±1 pixel shifts (zero-padded), ink scaling in [0.8, 1.2] and a random blur, clipped to [0, 1]."""
    n = x.shape[0]
    padded = F.pad(x, (1, 1, 1, 1))  # (N, 10, 10)
    dy = torch.randint(0, 3, (n,), generator=gen)
    dx = torch.randint(0, 3, (n,), generator=gen)
    rows = (dy[:, None] + torch.arange(8))[:, :, None]  # (N, 8, 1)
    cols = (dx[:, None] + torch.arange(8))[:, None, :]  # (N, 1, 8)
    shifted = padded[torch.arange(n)[:, None, None], rows, cols]  # (N, 8, 8)
    scale = 0.8 + 0.4 * torch.rand(n, 1, 1, generator=gen)
    return _blur(shifted * scale, gen).clamp(0, 1)


def _outliers(n: int, gen: torch.Generator) -> torch.Tensor:
    """Non-digits: smoothed noise blobs of random density (N, 8, 8) in [0, 1]."""
    noise = torch.rand(n, 1, 8, 8, generator=gen)
    blur = F.avg_pool2d(F.pad(noise, (1, 1, 1, 1), mode="replicate"), 3, stride=1)[:, 0]  # (N, 8, 8)
    level = torch.rand(n, 1, 1, generator=gen)
    return ((blur - level) * 4).clamp(0, 1)


def _batch(x, y, idx, cfg: ClassifierConfig, gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """One training batch: augmented digits, cross-class blends and outliers, with soft targets."""
    xb = _augment(x[idx], gen)  # (B, 8, 8)
    tb = F.one_hot(y[idx], digits.N_CLASSES).float()  # (B, 10)
    n_mix = int(cfg.mix_fraction * len(idx))
    if n_mix:
        other = torch.randint(0, len(x), (n_mix,), generator=gen)
        lam = 0.3 + 0.4 * torch.rand(n_mix, 1, generator=gen)  # blends that are neither digit
        xo = _augment(x[other], gen)
        xb[:n_mix] = lam[:, :, None] * xb[:n_mix] + (1 - lam[:, :, None]) * xo
        tb[:n_mix] = lam * tb[:n_mix] + (1 - lam) * F.one_hot(y[other], digits.N_CLASSES).float()
    n_out = int(cfg.outlier_fraction * len(idx))
    xo = _outliers(n_out, gen)
    to = torch.full((n_out, digits.N_CLASSES), 1.0 / digits.N_CLASSES)
    return torch.cat([xb, xo]), torch.cat([tb, to])


def fit(cfg: ClassifierConfig = ClassifierConfig(), *, seed: int = 0, device="cpu") -> DigitClassifier:
    """Train a classifier on the train split; deterministic for a given seed on one device."""
    gen = torch.Generator().manual_seed(seed)
    x, y = digits.load("train").tensors()
    model = DigitClassifier(cfg)
    with torch.no_grad():  # seeded init, independent of the global RNG
        for p in model.parameters():
            p.copy_(torch.randn(p.shape, generator=gen) * (0.0 if p.dim() == 1 else (2.0 / p[0].numel()) ** 0.5))
    model.to(device)
    steps = cfg.epochs * ((len(x) + cfg.batch_size - 1) // cfg.batch_size)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, steps)
    model.train()
    for _ in range(cfg.epochs):
        for idx in torch.randperm(len(x), generator=gen).split(cfg.batch_size):
            xb, tb = _batch(x, y, idx, cfg, gen)
            logits = model(xb.to(device))  # (B', 10)
            loss = -(tb.to(device) * F.log_softmax(logits, -1)).sum(-1).mean()  # soft-target cross-entropy
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
    model.eval()
    return model


@torch.no_grad()
def accuracy(model: DigitClassifier, split: str = "test") -> float:
    data = digits.load(split)
    device = next(model.parameters()).device
    pred = model(torch.as_tensor(data.images, device=device)).argmax(-1).cpu().numpy()
    return float((pred == data.labels).mean())


def train_classifier(*, device, seed: int = 0, directory=None) -> dict[str, Any]:
    """Entry point of ``python -m explainer.train digits_classifier``."""
    start = time.perf_counter()
    cfg = ClassifierConfig()
    model = fit(cfg, seed=seed, device=device)
    with torch.no_grad():
        test = torch.as_tensor(digits.load("test").images, device=device)
        conf = F.softmax(model(test), -1).max(-1).values
        noise = _outliers(500, torch.Generator().manual_seed(seed + 1)).to(device)
        noise_conf = F.softmax(model(noise), -1).max(-1).values
    metrics = {
        "test_accuracy": round(accuracy(model, "test"), 4),
        "train_accuracy": round(accuracy(model, "train"), 4),
        "test_confident_share": round(float((conf >= CONFIDENT).float().mean()), 4),
        "noise_confident_share": round(float((noise_conf >= CONFIDENT).float().mean()), 4),
        "train_seconds": round(time.perf_counter() - start, 1),
    }
    checkpoint.save(NAME, model.state_dict(), kind=KIND, config=asdict(cfg), metrics=metrics, directory=directory)
    return metrics


@functools.cache
def load_classifier(device: str | torch.device | None = None) -> DigitClassifier:
    """The shipped classifier, loaded once per process per device, in eval mode (read-only)."""
    ckpt = checkpoint.load(NAME, kind=KIND)
    model = DigitClassifier(ClassifierConfig(**ckpt.config))
    model.load_state_dict(ckpt.tensors)
    model.eval().requires_grad_(False)
    return model.to(torch.device("cpu") if device is None else torch.device(device))


@torch.no_grad()
def classify(images, device: str | torch.device | None = None) -> np.ndarray:
    """Class probabilities (N, 10) float32 for images (N, 8, 8) in [0, 1] (array or tensor)."""
    x = torch.as_tensor(np.asarray(images.detach().cpu() if torch.is_tensor(images) else images, np.float32))
    if x.ndim != 3 or tuple(x.shape[1:]) != (digits.SIDE, digits.SIDE):
        raise ValueError(f"expected images of shape (N, 8, 8), got {tuple(x.shape)}")
    model = load_classifier(device)
    logits = model(x.to(next(model.parameters()).device))  # (N, 10)
    return F.softmax(logits.float(), -1).cpu().numpy()


def confident_share(images, threshold: float = CONFIDENT) -> float:
    """Share of images whose top class probability is at least ``threshold``."""
    probs = classify(images)
    return float((probs.max(axis=1) >= threshold).mean()) if len(probs) else 0.0
