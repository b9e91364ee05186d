"""The shipped tiny CLIP, its cached read-only loader, what it measured, and the settings of the tab.

``load_clip()`` returns the :class:`~explainer.clip.model.TinyClip` of ``assets/checkpoints/
clip_tiny.safetensors`` in eval mode, loaded once per process and device and never modified,
so every visitor may share it. Its two calls map into one EMBED_DIM space:

* ``encode_images(images)`` — (N, 8, 8) or (N, 64) in [0, 1] -> (N, EMBED_DIM), unit length;
* ``encode_text(texts)`` — a list of captions -> (N, EMBED_DIM), unit length (an unknown word or
  an empty text raises :class:`~explainer.validate.InputError` listing the vocabulary);
* ``logit_scale`` — the learned temperature's inverse exp(t), a float.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from explainer import checkpoint
from explainer.clip.model import EMBED_DIM, ClipConfig, TinyClip
from explainer.clip.training import KIND, NAME, ZERO_SHOT_TEMPLATE
from explainer.datasets import captions, digits

__all__ = ["EMBED_DIM", "NAME", "S", "Settings", "load_clip", "metrics", "test_set", "test_captions",
           "test_embeddings", "caption_embeddings"]


@dataclass(frozen=True)
class Settings:
    """Defaults and caps shared by the controls and the checks (a request never exceeds a cap)."""

    batch: int = 12  # digits (and captions) in the similarity matrix
    max_batch: int = 24  # cap: a larger matrix cannot show its captions as ticks
    top_k: int = 5  # best images / captions a retrieval shows
    max_query_chars: int = captions.MAX_CHARS  # a typed query longer than this is refused
    max_query_words: int = captions.MAX_WORDS  # the text encoder's positions
    template: str = ZERO_SHOT_TEMPLATE  # the zero-shot prompt the view opens with; {digit} is the slot
    query: str = "a thick slanted seven"  # the retrieval query the view opens with
    image_index: int = 0  # the test digit whose captions the retrieval view opens with
    max_seed: int = 2**31 - 1
    live_steps: int = 20  # live training: steps per frame (default)
    max_live_steps: int = 100  # cap on steps per frame
    live_total: int = 800  # a live run stops after this many steps (the shipped run's length)
    live_batch: int = 64  # live training's batch (its matrix is this batch, not the shown one)


S = Settings()


@functools.cache
def _load(device: str) -> TinyClip:
    ckpt = checkpoint.load(NAME, kind=KIND)
    fields = {k: v for k, v in ckpt.config.items() if k in ClipConfig.__dataclass_fields__}
    model = TinyClip(ClipConfig(**fields))
    model.load_state_dict(ckpt.tensors)
    model.eval().requires_grad_(False)
    return model.to(device)


def load_clip(device: str | torch.device | None = None) -> TinyClip:
    """The shipped tiny CLIP (checkpoint "clip_tiny"), loaded once per device, eval mode, read-only."""
    return _load(str(torch.device("cpu") if device is None else torch.device(device)))


@functools.cache
def metrics() -> dict[str, Any]:
    """What training measured for the shipped model (read from its JSON sidecar)."""
    return dict(json.loads(checkpoint.paths(NAME)[1].read_text()).get("metrics", {}))


@functools.cache
def test_set() -> digits.Digits:
    """The held-out digits every view draws (read-only arrays)."""
    return digits.load("test")


@functools.cache
def test_captions() -> tuple[str, ...]:
    """The caption of every test digit."""
    test = test_set()
    return tuple(captions.describe(test.images, test.labels))


@functools.cache
def test_embeddings() -> np.ndarray:
    """Every test digit's image embedding under the shipped model (359, EMBED_DIM), computed once (read-only)."""
    with torch.no_grad():
        emb = load_clip().encode_images(test_set().images).numpy()
    emb.setflags(write=False)
    return emb


@functools.cache
def caption_embeddings() -> tuple[tuple[str, ...], np.ndarray]:
    """(the distinct test captions, sorted; their text embeddings (C, EMBED_DIM)), computed once (read-only)."""
    distinct = tuple(sorted(set(test_captions())))
    with torch.no_grad():
        emb = load_clip().encode_text(list(distinct)).numpy()
    emb.setflags(write=False)
    return distinct, emb
