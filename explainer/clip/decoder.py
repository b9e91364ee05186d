"""The unCLIP decoder: from a CLIP image embedding back to pixels, by diffusion.

Ramesh et al. 2022 §2.1: the decoder is a diffusion model on images conditioned on the CLIP
image embedding z_i (GLIDE's network, z_i projected and added to the timestep embedding),
trained with z_i zeroed 10% of the time so classifier-free guidance can sharpen it. Ours is
the digit ε-network of the Diffusion tab (:class:`explainer.denoising.model.EpsMLP`, 8 × 8
digits as 64 numbers in [−1, 1]) with the label swapped for the vector z_i: one Linear maps
z_i to a shift per layer, and ε̃ = (1 + w) ε(x, z_i) − w ε(x, 0) guides it.

An embedding does not say everything about its image (CLIP only kept what tells captions
apart), so decoding one embedding with different seeds gives different digits that share
what the embedding holds: the digit, the stroke weight, the slant … (DALL·E 2's "variations").
The measure of a decoder here: decode the true embeddings of held-out digits and ask the
shipped digit classifier whether it reads the source image's label.

Also here: :func:`clip_pairs`, the data both the prior and the decoder learn from (each
digit, its caption, and both through CLIP).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from explainer.clip.prior import EVAL_SEED, FitConfig, VectorDiffusion, clip_fingerprint, fit, load_model, save
from explainer.datasets import digits as digit_data
from explainer.denoising.model import EpsMLPConfig
from explainer.denoising.schedule import NoiseSchedule

DECODER_NAME = "clip_decoder"
AGREEMENT_SCALES = (0.0, 1.0, 2.0, 3.0, 5.0)  # guidance scales measured when the decoder is trained
EVAL_STEPS = 50  # DDIM steps of the measurements


def decoder_config(embed_dim: int) -> FitConfig:
    """The shipped decoder's recipe, for CLIP embeddings of ``embed_dim`` numbers."""
    # Measured on the real CLIP embeddings (classifier agreement, test digits, w = 2): width 192, 2,500 steps:
    # 87%; width 256, 5,000 steps of 128: 94% in ~50 s on 1 thread (batches of 256 took 60–70 s for no gain).
    return FitConfig(EpsMLPConfig(dim=64, width=256, depth=3, emb_dim=32, cond_dim=embed_dim),
                     schedule="cosine", steps=5000, batch_size=128, lr=2e-3, cond_dropout=0.15)


def to_model(images) -> torch.Tensor:
    """Digits (N, 8, 8) in [0, 1] -> model space (N, 64) in [−1, 1] (as the Diffusion tab's model)."""
    x = torch.as_tensor(np.asarray(images, np.float32) if not torch.is_tensor(images) else images, dtype=torch.float32)
    return x.reshape(len(x), -1) * 2 - 1  # (N, 64)


def from_model(x) -> np.ndarray:
    """Model space (..., 64) -> digits (..., 8, 8) in [0, 1]."""
    x = np.asarray(x.detach().cpu() if torch.is_tensor(x) else x, dtype=np.float32)
    return np.clip((x.reshape(*x.shape[:-1], 8, 8) + 1) / 2, 0, 1)


def train_decoder_on(images, vectors, *, seed: int = 0, device: torch.device | str = "cpu",
                     config: FitConfig | None = None) -> VectorDiffusion:
    """Learn P(digit | z) from digits (N, 8, 8) in [0, 1] and their unit conditioning vectors (N, C)."""
    vectors = torch.as_tensor(vectors, dtype=torch.float32)
    config = config or decoder_config(vectors.shape[1])
    net, losses = fit(to_model(images), vectors, config, seed=seed, device=device)
    return VectorDiffusion(net, NoiseSchedule.named(config.schedule, config.T), config,
                           {"final_loss": round(float(np.mean(losses[-300:])), 4), "steps": config.steps}, clip=1.0)


def decode(decoder: VectorDiffusion, vectors, *, seed: int, w: float = 3.0, steps: int = EVAL_STEPS) -> np.ndarray:
    """Digits (N, 8, 8) in [0, 1], one per unit embedding (N, C); DDIM, x̂_0 clipped to [−1, 1]."""
    return from_model(decoder.sample(vectors, seed=seed, w=w, steps=steps).samples)


def agreement_table(decoder: VectorDiffusion, vectors, labels, *, scales=AGREEMENT_SCALES,
                    steps: int = EVAL_STEPS) -> list[dict]:
    """Per w: the share of decoded digits the shipped classifier reads as their source's label."""
    from explainer.datasets.digit_classifier import classify

    labels = np.asarray(labels)
    rows = []
    for w in scales:
        images = decode(decoder, vectors, seed=EVAL_SEED, w=w, steps=steps)
        probs = classify(images)
        rows.append({"w": w, "agreement": round(float((probs.argmax(1) == labels).mean()), 4),
                     "confident": round(float((probs.max(1) >= 0.9).mean()), 4)})
    return rows


# --- the data both models learn from ------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class Pairs:
    """One split of digits with their captions, and both through CLIP."""

    images: np.ndarray  # (N, 8, 8) float32 in [0, 1]
    labels: np.ndarray  # (N,) int64
    captions: list[str]  # (N,) the honest captions (explainer.datasets.captions.describe)
    text_emb: torch.Tensor  # (N, D) unit: CLIP's embedding of each caption
    image_emb: torch.Tensor  # (N, D) unit: CLIP's embedding of each image


def clip_pairs(split: str, device: torch.device | str | None = None) -> Pairs:
    return _pairs(split, str(torch.device(device or "cpu")))


@functools.lru_cache(maxsize=4)
@torch.no_grad()
def _pairs(split: str, device: str) -> Pairs:
    from explainer.clip.catalog import load_clip
    from explainer.datasets.captions import describe

    data = digit_data.load(split)
    clip = load_clip(device)
    captions = describe(data.images, data.labels)
    text = clip.encode_text(list(captions)).float().cpu()
    image = clip.encode_images(data.images).float().cpu()
    return Pairs(data.images, data.labels, list(captions), text, image)


def load_decoder(device: torch.device | str | None = None) -> VectorDiffusion:
    return load_model(DECODER_NAME, device)


def train_decoder(*, device: torch.device, seed: int = 0, directory: Path | None = None) -> dict:
    """Train the shipped decoder on every training digit and its CLIP image embedding."""
    fingerprint = clip_fingerprint()  # before CLIP is read: the weights these embeddings come from
    train, test = clip_pairs("train", device), clip_pairs("test", device)
    decoder = train_decoder_on(train.images, train.image_emb, seed=seed, device=device)
    decoder.metrics["agreement"] = agreement_table(decoder, test.image_emb, test.labels)
    save(DECODER_NAME, decoder, seed=seed, clip=fingerprint, directory=directory)
    return decoder.metrics
