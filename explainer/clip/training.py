"""Seeded training of the tiny CLIP, and the measurements its checkpoint records.

:class:`Trainer` owns one :class:`~explainer.clip.model.TinyClip`, its optimizer and a local
``torch.Generator`` (batch order and the phrasing of each caption come from it), so a seed fixes
the whole run. The shipped checkpoint (``python -m explainer.train clip_tiny``) and a person's
live session (:mod:`explainer.clip.session`) both train through it.

A batch is B train digits and one caption each, phrased one of three ways (``captions.PHRASINGS``:
"a thick seven", "a photo of a thick seven", "the thick digit seven"); the loss is the symmetric
contrastive loss of :func:`~explainer.clip.model.clip_loss`.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import torch
from torch.nn import functional as F

from explainer import checkpoint
from explainer.clip.model import ClipConfig, TinyClip, init_weights, token_ids
from explainer.datasets import captions, digits

NAME = "clip_tiny"  # checkpoint name
KIND = "clip.TinyClip"
ZERO_SHOT_TEMPLATE = "a photo of the digit {digit}"  # the prompt whose accuracy the README reports
RECALL_K = 5  # retrieval is measured as recall@5


@dataclass(frozen=True)
class TrainConfig:
    steps: int = 800  # optimizer steps (zero-shot accuracy peaks near here; later steps overfit the captions)
    batch_size: int = 128  # pairs per step: the similarity matrix is batch × batch
    lr: float = 2e-3  # AdamW learning rate, cosine-decayed to lr_floor · lr after a short warm-up
    lr_floor: float = 0.05  # final learning rate as a share of lr
    warmup: int = 50  # steps of linear warm-up
    weight_decay: float = 1e-4  # AdamW decoupled weight decay (not on the temperature)
    shift: bool = True  # augment: shift each digit by −1, 0 or +1 column (no attribute changes; rows are full)
    # AdamW as one fused kernel over all parameters instead of a Python loop of small ops per tensor: a step
    # of batch 64 took 9 instead of 13 ms of one CPU thread. Deterministic on a given machine.
    fused_adam: bool = True


@dataclass
class History:
    steps: list[int] = field(default_factory=list)  # step of each record
    loss: list[float] = field(default_factory=list)  # contrastive loss of the batch
    scale: list[float] = field(default_factory=list)  # logit_scale = exp(t) after the step


def _shift_columns(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Each digit (B, 8, 8) moved by −1, 0 or +1 column, zero-padded; a column pushed out must be blank."""
    padded = F.pad(x, (1, 1))  # (B, 8, 10)
    dx = torch.randint(0, 3, (len(x),), generator=gen)
    cols = (dx[:, None] + torch.arange(8))[:, None, :].expand(-1, 8, -1)  # (B, 8, 8)
    shifted = torch.gather(padded, 2, cols.to(x.device))
    lost = padded.sum((1, 2)) - shifted.sum((1, 2)) > 1e-6  # ink fell off the edge: keep the original
    return torch.where(lost[:, None, None], x, shifted)


class Trainer:
    """One TinyClip trained on (train digit, its caption) pairs, a few steps at a time."""

    def __init__(self, config: ClipConfig | None = None, train: TrainConfig | None = None, *, seed: int = 0,
                 device: torch.device | str = "cpu", record_every: int = 1):
        config, train = config or ClipConfig(), train or TrainConfig()
        self.config, self.train_config, self.seed = config, train, seed
        self.device = torch.device(device)
        self.generator = torch.Generator().manual_seed(seed)
        self.model = TinyClip(config)
        init_weights(self.model, self.generator)
        self.model.to(self.device)
        data = digits.load("train")
        self.x = torch.as_tensor(data.images, device=self.device)  # (1438, 8, 8)
        found = captions.words(data.images)
        n_phrasings = len(captions.PHRASINGS)
        texts = [captions.phrase(int(k), w, p) for k, w in zip(data.labels, found) for p in range(n_phrasings)]
        self.ids = token_ids(texts, config.max_words).view(len(data), n_phrasings, -1).to(self.device)  # (N, P, T)
        decay = [p for n, p in self.model.named_parameters() if n != "t"]
        self.optimizer = torch.optim.AdamW([{"params": decay, "weight_decay": train.weight_decay},
                                            {"params": [self.model.t], "weight_decay": 0.0}], lr=train.lr,
                                           fused=train.fused_adam or None)
        self.step_count = 0
        self.history = History()
        self.record_every = record_every
        self._order = torch.empty(0, dtype=torch.long)

    def _batch(self) -> tuple[torch.Tensor, torch.Tensor]:
        b = self.train_config.batch_size
        if len(self._order) < b:  # a new epoch: reshuffle
            self._order = torch.randperm(len(self.x), generator=self.generator)
        idx, self._order = self._order[:b], self._order[b:]
        phrasing = torch.randint(0, self.ids.shape[1], (b,), generator=self.generator)
        x = self.x[idx.to(self.device)]  # (B, 8, 8)
        if self.train_config.shift:
            x = _shift_columns(x, self.generator)
        return x, self.ids[idx.to(self.device), phrasing.to(self.device)]  # (B, 8, 8), (B, T)

    def _lr(self) -> float:
        t = self.train_config
        if self.step_count < t.warmup:
            return t.lr * (self.step_count + 1) / t.warmup
        progress = min(1.0, self.step_count / max(1, t.steps))
        return t.lr * (t.lr_floor + (1 - t.lr_floor) * 0.5 * (1 + math.cos(progress * math.pi)))

    def step(self) -> float:
        """One optimizer step on a fresh batch; returns the batch's contrastive loss."""
        self.model.train()
        x, ids = self._batch()
        loss = self.model(x, ids).loss
        for group in self.optimizer.param_groups:
            group["lr"] = self._lr()
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()
        with torch.no_grad():  # the paper clips the temperature so the logits are never scaled by more than 100
            self.model.t.clamp_(max=math.log(100.0))
        self.step_count += 1
        value = float(loss.detach())
        if self.step_count % self.record_every == 0:
            self.history.steps.append(self.step_count)
            self.history.loss.append(value)
            self.history.scale.append(self.model.logit_scale)
        return value

    def train(self, n_steps: int) -> None:
        for _ in range(n_steps):
            self.step()
        self.model.eval()


# --------------------------------------------------------------------------------------
# Measurements (on the held-out test digits)
# --------------------------------------------------------------------------------------
@torch.no_grad()
def zero_shot_predictions(model: TinyClip, images, template: str = ZERO_SHOT_TEMPLATE) -> np.ndarray:
    """The digit whose prompt (template with {digit} filled by its name) is nearest each image: (N,) int."""
    prompts = [template.replace("{digit}", name) for name in captions.DIGIT_NAMES]
    sims = model.encode_images(images) @ model.encode_text(prompts).T  # (N, 10) cosines
    return sims.argmax(-1).cpu().numpy()


@torch.no_grad()
def retrieval_recall(model: TinyClip, images, texts: list[str], k: int = RECALL_K) -> tuple[float, float]:
    """(caption → image, image → caption) recall@k over a set of images and their captions.

    caption → image: for each image's caption, a hit when one of the k images most similar to it
    has exactly that caption (captions repeat: many digits are "a seven"). image → caption: among
    all distinct captions, a hit when the image's own caption is one of the k most similar.
    """
    distinct = sorted(set(texts))
    image_emb = model.encode_images(images)  # (N, D)
    text_emb = model.encode_text(distinct)  # (C, D)
    sims = (image_emb @ text_emb.T).cpu().numpy()  # (N, C)
    own = np.array([distinct.index(t) for t in texts])  # (N,) column of each image's caption
    top_images = np.argsort(-sims[:, own].T, axis=1)[:, :k]  # (N, k) best images for image i's caption
    text_hit = (own[top_images] == own[:, None]).any(1)
    top_texts = np.argsort(-sims, axis=1)[:, :k]  # (N, k) best captions of image i
    image_hit = (top_texts == own[:, None]).any(1)
    return float(text_hit.mean()), float(image_hit.mean())


def measure(model: TinyClip) -> dict[str, Any]:
    """Zero-shot accuracy (and the label-trained classifier's on the same digits), recall@5 both ways."""
    from explainer.datasets import digit_classifier

    model.eval()
    test = digits.load("test")
    zero_shot = float((zero_shot_predictions(model, test.images) == test.labels).mean())
    classifier = float((digit_classifier.classify(test.images).argmax(1) == test.labels).mean())
    text_to_image, image_to_text = retrieval_recall(model, test.images, captions.describe(test.images, test.labels))
    return {
        "zero_shot_accuracy": round(zero_shot, 4),
        "zero_shot_template": ZERO_SHOT_TEMPLATE,
        "classifier_accuracy": round(classifier, 4),
        "recall_at_5_caption_to_image": round(text_to_image, 4),
        "recall_at_5_image_to_caption": round(image_to_text, 4),
        "n_test": len(test),
        "n_test_captions": len(set(captions.describe(test.images, test.labels))),
        "logit_scale": round(model.logit_scale, 3),
    }


def fit(config: ClipConfig | None = None, train: TrainConfig | None = None, *, seed: int = 0,
        device="cpu") -> TinyClip:
    """Train a TinyClip from scratch (seeded) and return it in eval mode."""
    config, train = config or ClipConfig(), train or TrainConfig()
    trainer = Trainer(config, train, seed=seed, device=device, record_every=train.steps + 1)
    trainer.train(train.steps)
    return trainer.model


def train_clip(*, device, seed: int = 0, directory=None) -> dict[str, Any]:
    """Entry point of ``python -m explainer.train clip_tiny``: train, measure on the test split, save."""
    start = time.perf_counter()
    config, train = ClipConfig(), TrainConfig()
    model = fit(config, train, seed=seed, device=device)
    seconds = time.perf_counter() - start
    metrics = {**measure(model), "train_seconds": round(seconds, 1), "steps": train.steps}
    checkpoint.save(NAME, model.state_dict(), kind=KIND, config={**asdict(config), "training": asdict(train)},
                    metrics=metrics, directory=directory)
    return metrics
