"""Real handwritten digits: scikit-learn's bundled ``load_digits`` (no download).

1,797 images of 8 × 8 pixels from the UCI "Optical Recognition of Handwritten Digits" set
(Alpaydin & Kaynak 1998): 32 × 32 bitmaps of people's handwriting, each 4 × 4 block counted
into one pixel, so a pixel holds 0–16 ink dots. Here pixels are divided by 16, giving
images in [0, 1] of shape (N, 8, 8) (row 0 at the top) and integer labels 0–9.

The train/test split is fixed (a seeded, class-stratified permutation) so every model of
every topic is trained and measured on the same held-out digits.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import torch

SIDE = 8  # images are SIDE × SIDE pixels
INK_LEVELS = 16  # a raw pixel counts 0..16 ink dots of the 4 × 4 block it summarises
TEST_FRACTION = 0.2  # share of each class held out for testing
SPLIT_SEED = 0  # the split never changes: it is part of every reported number
N_CLASSES = 10


@dataclass(frozen=True, eq=False)
class Digits:
    """One split: images (N, 8, 8) float32 in [0, 1] and labels (N,) int64."""

    images: np.ndarray  # (N, 8, 8) float32, 0 = white paper, 1 = full ink
    labels: np.ndarray  # (N,) int64 in 0..9

    def __len__(self) -> int:
        return len(self.labels)

    def tensors(self, device: torch.device | str = "cpu") -> tuple[torch.Tensor, torch.Tensor]:
        """(images (N, 8, 8) float32, labels (N,) int64) as tensors on ``device``."""
        return (torch.as_tensor(self.images, device=device), torch.as_tensor(self.labels, device=device))


@functools.lru_cache(maxsize=1)
def _all() -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits  # ships inside scikit-learn's wheel

    bunch = load_digits()
    images = (bunch.images / INK_LEVELS).astype(np.float32)  # (1797, 8, 8) in [0, 1]
    labels = bunch.target.astype(np.int64)  # (1797,)
    images.setflags(write=False)
    labels.setflags(write=False)
    return images, labels


@functools.lru_cache(maxsize=1)
def _split_indices() -> tuple[np.ndarray, np.ndarray]:
    _, labels = _all()
    rng = np.random.default_rng(SPLIT_SEED)
    train, test = [], []
    for k in range(N_CLASSES):
        idx = rng.permutation(np.flatnonzero(labels == k))
        n_test = int(round(TEST_FRACTION * len(idx)))
        test.append(idx[:n_test])
        train.append(idx[n_test:])
    return np.sort(np.concatenate(train)), np.sort(np.concatenate(test))


def load(split: str = "train") -> Digits:
    """The "train" (1,438 images), "test" (359) or "all" (1,797) digits; read-only arrays."""
    images, labels = _all()
    if split == "all":
        return Digits(images, labels)
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train', 'test' or 'all', got {split!r}")
    idx = _split_indices()[0 if split == "train" else 1]
    return Digits(images[idx], labels[idx])


def to_digit_pixels(image: np.ndarray) -> np.ndarray:
    """Reduce a larger grey image (H, W) in [0, 1] (1 = ink) to 8 × 8 the way the set was made.

    The original bitmaps were 32 × 32 and each 4 × 4 block was counted into one pixel; here
    the ink is cropped to its bounding box, padded to a square (as the UCI preprocessing
    centred the digit), resampled to 32 × 32 by area, and each 4 × 4 block averaged.
    Returns (8, 8) float32 in [0, 1].
    """
    image = np.asarray(image, dtype=np.float32)
    if image.ndim != 2 or image.size == 0:
        raise ValueError(f"expected a 2-D grey image, got shape {image.shape}")
    ink = image > 0.05
    if not ink.any():
        return np.zeros((SIDE, SIDE), np.float32)
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    crop = image[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
    side = max(crop.shape)
    square = np.zeros((side, side), np.float32)
    r0, c0 = (side - crop.shape[0]) // 2, (side - crop.shape[1]) // 2
    square[r0:r0 + crop.shape[0], c0:c0 + crop.shape[1]] = crop
    t = torch.as_tensor(square)[None, None]  # (1, 1, side, side)
    big = torch.nn.functional.interpolate(t, size=(32, 32), mode="area")  # (1, 1, 32, 32)
    small = torch.nn.functional.avg_pool2d(big, 4)[0, 0]  # (8, 8): one pixel per 4 × 4 block
    return small.clamp(0, 1).numpy().astype(np.float32)
