"""The 2-D data sets the GAN and diffusion tabs learn: Gaussian mixtures with known modes, and shapes without.

The two mixtures are the benchmarks of VEEGAN (Srivastava et al. 2017) and PacGAN (Lin et
al. 2018), built so that mode collapse can be *counted*:

* ``ring`` — 8 Gaussians, centres on a circle of radius 2, std 0.02;
* ``grid`` — 25 Gaussians on a 5 × 5 grid with spacing 2 (coordinates −4, −2, 0, 2, 4), std 0.05.

Each component is picked with equal probability: x = c_k + σ ε, k ~ U{1..K}, ε ~ N(0, I₂).
``moons``, ``spiral`` and a person's drawing (:func:`drawn`; :func:`decode_drawing` reads the
drawing canvas's bit-packed value) have no modes to count (``centers`` and ``std`` are None).
Every data set samples from a ``torch.Generator`` it is given (or a seed), never from the
global RNG.
"""

from __future__ import annotations

import base64
import binascii
import math
from dataclasses import dataclass, field

import numpy as np
import torch

from explainer.validate import InputError

PLANE = 4.5  # a drawing is mapped onto the square [-PLANE, PLANE]² of the data plane
MAX_MASK_SIDE = 2048  # larger drawings are refused (bounded work per request)
MAX_INK_POINTS = 200_000  # ink pixels kept (a random subset beyond this)
MAX_DRAWING_SIDE = 512  # the drawing canvas (demos/canvas.py) sends at most this many pixels a side


def _rng(generator: torch.Generator | None, seed: int | None, device: torch.device) -> torch.Generator:
    if generator is not None:
        return generator
    rng = torch.Generator(device=device)
    rng.manual_seed(0 if seed is None else int(seed))
    return rng


@dataclass(frozen=True, eq=False)
class Dataset2D:
    """A distribution on the plane: ``sample(n)`` gives an (n, 2) float32 tensor."""

    name: str  # "ring", "grid", "moons", "spiral" or "drawn"
    extent: float  # half-width of the square a plot of this set should show
    centers: np.ndarray | None = None  # (K, 2) mode centres, or None when there are no modes
    std: float | None = None  # per-mode standard deviation, or None
    points: np.ndarray | None = None  # (P, 2) anchor points (drawn: ink pixel centres)
    jitter: float = 0.0  # uniform jitter added around each anchor point (drawn: half a pixel)
    # per-instance cache of the arrays above as device tensors (never shared between instances)
    _device_copies: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    def sample(
        self,
        n: int,
        *,
        generator: torch.Generator | None = None,
        seed: int | None = None,
        device: torch.device | str | None = None,
    ) -> torch.Tensor:
        """n points, (n, 2) float32, on ``device`` (the generator's device when one is given)."""
        device = torch.device(device) if device is not None else (
            generator.device if generator is not None else torch.device("cpu"))
        g = _rng(generator, seed, device)
        if self.name in ("ring", "grid"):
            centers = self._on(device, "centers")  # (K, 2)
            k = torch.randint(len(centers), (n,), generator=g, device=device)  # (n,)
            eps = torch.randn(n, 2, generator=g, device=device)  # (n, 2)
            return centers[k] + self.std * eps  # x = c_k + σ ε
        if self.name == "moons":
            return _moons(n, g, device)
        if self.name == "spiral":
            return _spiral(n, g, device)
        points = self._on(device, "points")  # (P, 2)
        k = torch.randint(len(points), (n,), generator=g, device=device)  # (n,)
        u = torch.rand(n, 2, generator=g, device=device) * 2 - 1  # (n, 2) in [-1, 1)
        return points[k] + self.jitter * u

    def _on(self, device: torch.device, name: str) -> torch.Tensor:
        """``centers`` or ``points`` as a float32 tensor on ``device``, copied there once."""
        key = (name, str(device))
        if key not in self._device_copies:
            self._device_copies[key] = torch.as_tensor(getattr(self, name), dtype=torch.float32, device=device)
        return self._device_copies[key]

    def sample_numpy(self, n: int, seed: int = 0) -> np.ndarray:
        """n points as an (n, 2) float32 numpy array, from a local seed (for plots)."""
        return self.sample(n, seed=seed).numpy()


def _moons(n: int, g: torch.Generator, device: torch.device) -> torch.Tensor:
    """Two interleaved half circles (as scikit-learn's make_moons), scaled ×2 and centred."""
    upper = torch.rand(n, generator=g, device=device) < 0.5  # (n,) which moon
    t = math.pi * torch.rand(n, generator=g, device=device)  # (n,) angle along the moon
    x = torch.where(upper, torch.cos(t), 1 - torch.cos(t))
    y = torch.where(upper, torch.sin(t), 0.5 - torch.sin(t))
    xy = torch.stack([x - 0.5, y - 0.25], dim=1) * 2.0  # (n, 2), in about [-3, 3] × [-1.5, 2]
    return xy + 0.1 * torch.randn(n, 2, generator=g, device=device)


def _spiral(n: int, g: torch.Generator, device: torch.device) -> torch.Tensor:
    """One arm of an Archimedean spiral r ∝ θ, 1.5 turns, radius up to 3.5, noise 0.05."""
    u = torch.rand(n, generator=g, device=device)  # (n,)
    theta = 3 * math.pi * torch.sqrt(0.05 + 0.95 * u)  # sqrt: about uniform along the arm
    r = 3.5 * theta / (3 * math.pi)
    xy = torch.stack([r * torch.cos(theta), r * torch.sin(theta)], dim=1)  # (n, 2)
    return xy + 0.05 * torch.randn(n, 2, generator=g, device=device)


def ring(n_modes: int = 8, radius: float = 2.0, std: float = 0.02) -> Dataset2D:
    """Gaussians at angles 2πk/K on a circle: c_k = r (cos 2πk/K, sin 2πk/K)."""
    angles = 2 * np.pi * np.arange(n_modes) / n_modes
    centers = radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)  # (K, 2)
    return Dataset2D("ring", extent=radius + 1.0, centers=centers, std=float(std))


def grid(side: int = 5, spacing: float = 2.0, std: float = 0.05) -> Dataset2D:
    """Gaussians on a side × side lattice centred on 0 (−4, −2, 0, 2, 4 for the default)."""
    coords = spacing * (np.arange(side) - (side - 1) / 2)  # (side,)
    xx, yy = np.meshgrid(coords, coords, indexing="xy")
    centers = np.stack([xx.ravel(), yy.ravel()], axis=1)  # (side², 2)
    return Dataset2D("grid", extent=float(coords.max()) + 1.0, centers=centers, std=float(std))


def moons() -> Dataset2D:
    return Dataset2D("moons", extent=4.0)


def spiral() -> Dataset2D:
    return Dataset2D("spiral", extent=4.5)


def ink_mask(image: object) -> np.ndarray:
    """A drawing as a boolean (H, W) ink mask.

    2-D arrays: nonzero is ink (bool, uint8 or float masks). (H, W, 4) RGBA images: ink is
    where alpha > 0, unless alpha is opaque everywhere; then, as for (H, W, 3) RGB images,
    ink is where the pixel is darker than mid-grey (dark strokes on a light canvas).
    """
    if image is None:
        raise InputError("The drawing is empty: draw something first.")
    try:
        array = np.asarray(image)
    except Exception:  # noqa: BLE001 - anything that is not array-like
        raise InputError("The drawing must be an image array (height × width).") from None
    if array.dtype == object or not (np.issubdtype(array.dtype, np.number) or array.dtype == bool):
        raise InputError("The drawing must be an image array of numbers (height × width).")
    if array.ndim == 3 and array.shape[2] in (3, 4):
        if array.shape[2] == 4 and np.any(array[..., 3] < array[..., 3].max()):
            return array[..., 3] > 0
        rgb = array[..., :3].astype(np.float32)
        scale = 255.0 if array.dtype == np.uint8 or rgb.max() > 1.0 else 1.0
        return rgb.mean(axis=2) < 0.5 * scale
    if array.ndim != 2:
        raise InputError(f"The drawing must be a 2-D mask (height × width), got shape {array.shape}.")
    return np.nan_to_num(array.astype(np.float32)) != 0


def decode_drawing(text: object) -> np.ndarray | None:
    """A drawing canvas's value (the GAN and Diffusion tabs) as a boolean (H, W) ink mask; None if blank.

    The canvas sends ``"<W>x<H>:<base64>"``: the ink mask, one bit a pixel, row by row, the
    first pixel in the highest bit (numpy's ``packbits`` order). A few kilobytes, however
    much is drawn; anything else is refused with what to do.
    """
    if text is None or text == "":
        return None
    refused = InputError("The drawing could not be read: clear the canvas and draw again.")
    limit = len(f"{MAX_DRAWING_SIDE}x{MAX_DRAWING_SIDE}:") + 4 * (MAX_DRAWING_SIDE**2 // 8 + 2) // 3 + 4
    if not isinstance(text, str) or len(text) > limit:
        raise refused
    head, _, body = text.partition(":")
    size = head.split("x")
    if len(size) != 2 or not all(part.isdigit() for part in size):
        raise refused
    width, height = (int(part) for part in size)
    if not (2 <= width <= MAX_DRAWING_SIDE and 2 <= height <= MAX_DRAWING_SIDE):
        raise refused
    try:
        packed = np.frombuffer(base64.b64decode(body, validate=True), dtype=np.uint8)
    except (binascii.Error, ValueError):
        raise refused from None
    if len(packed) != -(-width * height // 8):  # ceil(W·H / 8) bytes
        raise refused
    return np.unpackbits(packed)[: width * height].reshape(height, width).astype(bool)  # (H, W)


def drawn(mask: object) -> Dataset2D:
    """The distribution a person draws: uniform over the ink, on the same plane as the rest.

    The longer side of the (H, W) mask spans [-PLANE, PLANE]; the aspect ratio is kept and
    the drawing centred. Row 0 is the top of the image, so it maps to the largest x₂.
    """
    ink = ink_mask(mask)
    h, w = ink.shape
    if h < 2 or w < 2 or h > MAX_MASK_SIDE or w > MAX_MASK_SIDE:
        raise InputError(f"The drawing must be between 2 and {MAX_MASK_SIDE} pixels on each side, got {h} × {w}.")
    rows, cols = np.nonzero(ink)
    if rows.size == 0:
        raise InputError("The drawing is empty: draw something first.")
    pixel = 2 * PLANE / max(h, w)  # side of one pixel in plane units
    x1 = (cols + 0.5 - w / 2) * pixel  # (P,)
    x2 = (h / 2 - rows - 0.5) * pixel  # (P,) image rows grow downwards, x₂ grows upwards
    points = np.stack([x1, x2], axis=1).astype(np.float32)  # (P, 2)
    if len(points) > MAX_INK_POINTS:  # a fixed, seeded subset keeps memory bounded
        keep = np.random.default_rng(0).choice(len(points), MAX_INK_POINTS, replace=False)
        points = points[np.sort(keep)]
    return Dataset2D("drawn", extent=PLANE + 0.5, points=points, jitter=pixel / 2)


DATASETS = {"ring": ring, "grid": grid, "moons": moons, "spiral": spiral}


def get_dataset(name: str) -> Dataset2D:
    """A named data set ("ring", "grid", "moons", "spiral"); drawings come from :func:`drawn`."""
    if name not in DATASETS:
        raise InputError(f"Unknown data set {name!r}: choose one of {', '.join(DATASETS)}, or draw one.")
    return DATASETS[name]()
