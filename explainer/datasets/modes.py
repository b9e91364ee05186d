"""Counting mode collapse: modes covered and high-quality samples (VEEGAN's definitions).

Srivastava et al. 2017 (VEEGAN), section 5.1, on a mixture with centres c_1..c_K and std σ:

* a sample x is **high quality** when it lies within 3σ of its nearest centre,
  ‖x − c_k*‖ ≤ 3σ with k* = argmin_k ‖x − c_k‖;
* a mode k is **covered** when it is the nearest centre of at least one high-quality sample.

``modes_covered`` returns (number of modes covered, fraction of samples that are high
quality); VEEGAN reports both over 2,500 generated samples.
"""

from __future__ import annotations

import numpy as np
import torch

from explainer.validate import InputError


def _as_points(samples: object, name: str) -> np.ndarray:
    if isinstance(samples, torch.Tensor):
        samples = samples.detach().to("cpu").numpy()
    array = np.asarray(samples, dtype=np.float64)
    if array.ndim != 2 or array.shape[1] != 2:
        raise InputError(f"{name} must be an (N, 2) array of points, got shape {array.shape}.")
    return array


def nearest_center(samples: object, centers: object) -> tuple[np.ndarray, np.ndarray]:
    """For each sample, the index of its nearest centre and the squared distance to it."""
    x = _as_points(samples, "samples")  # (N, 2)
    c = _as_points(centers, "centers")  # (K, 2)
    if len(c) == 0:
        raise InputError("centers is empty: give at least one mode centre.")
    d2 = ((x[:, None, :] - c[None, :, :]) ** 2).sum(axis=2)  # (N, K) squared distances
    k = d2.argmin(axis=1)  # (N,) nearest centre
    return k, d2[np.arange(len(x)), k]  # (N,), (N,)


def high_quality(samples: object, centers: object, std: float, n_std: float = 3.0) -> np.ndarray:
    """(N,) bool: the sample lies within ``n_std``·σ of its nearest centre (boundary included)."""
    _, d2 = nearest_center(samples, centers)
    return d2 <= (n_std * float(std)) ** 2  # compare squares: no sqrt rounding at the boundary


def covered_mask(samples: object, centers: object, std: float, n_std: float = 3.0) -> np.ndarray:
    """(K,) bool: mode k is the nearest centre of at least one high-quality sample."""
    k, d2 = nearest_center(samples, centers)
    n_modes = len(np.asarray(centers))
    good = d2 <= (n_std * float(std)) ** 2  # (N,)
    return np.bincount(k[good], minlength=n_modes) > 0  # (K,)


def modes_covered(samples: object, centers: object, std: float) -> tuple[int, float]:
    """(modes covered, high-quality fraction in [0, 1]) with VEEGAN's 3σ definitions."""
    k, d2 = nearest_center(samples, centers)
    if len(k) == 0:
        return 0, 0.0
    good = d2 <= (3.0 * float(std)) ** 2  # (N,)
    return int(np.unique(k[good]).size), float(good.mean())
