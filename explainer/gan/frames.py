"""What one frame of the GAN view shows, computed as plain arrays (no plotting here).

For the trainer's current state:

* real samples and generated samples G(z) (the generated ones are the same 2,500 z the
  metrics use, so what is drawn is what is measured);
* D over a grid of the plane — σ(D(x)), D's probability that x is real, for the GAN losses;
  the raw score for least squares; the critic value for WGAN-GP;
* G's gradient at generated points: −∂L_G/∂x, the direction the generator's loss pushes
  each sample in data space (the chain rule then carries it back into G's weights);
* G's manifold: the image of lines of the (z₁, z₂) latent plane, other latent dims at 0;
* the VEEGAN metrics and which modes are covered.

Computing a frame never changes the trainer (local seeds, no updates, no power iteration).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from explainer import validate
from explainer.gan import losses
from explainer.datasets.modes import covered_mask, modes_covered
from explainer.gan.training import EVAL_SAMPLES, EVAL_SEED, GANTrainer, History

MAX_CURVE_POINTS = 1000  # loss curves are averaged into at most this many points

D_LABELS = {
    "non-saturating": "D(x): probability real",
    "minimax": "D(x): probability real",
    "least-squares": "D(x): LSGAN score (1 = real, 0 = fake)",
    "wgan-gp": "critic value D(x)",
}


@dataclass(frozen=True)
class PlaneFrame:
    """Arrays for the data-plane view (all float32, coordinates in data units)."""

    step: int  # training steps done
    dataset: str  # data set name
    extent: float  # the plot shows [-extent, extent]²
    real: np.ndarray  # (N, 2) samples of the data
    fake: np.ndarray  # (M, 2) generated samples G(z)
    grid: np.ndarray  # (G,) coordinates of the heatmap grid, on both axes
    d_values: np.ndarray  # (G, G) D over the plane; row i is x₂ = grid[i], column j is x₁ = grid[j]
    d_label: str  # what d_values means
    d_range: tuple[float, float] | None  # colour range: (0, 1) for probabilities, None = data range
    arrow_start: np.ndarray  # (A, 2) generated points the arrows start from
    arrow_vector: np.ndarray  # (A, 2) −∂L_G/∂x at those points (unscaled)
    manifold: np.ndarray | None  # (L, P, 2) images of latent lines, or None
    manifold_label: str  # what the manifold lines are
    centers: np.ndarray | None  # (K, 2) mode centres, or None
    covered: np.ndarray | None  # (K,) bool, mode k covered
    modes: int | None  # modes covered (VEEGAN, on the generated samples)
    high_quality: float | None  # fraction of generated samples within 3σ of a centre


@dataclass(frozen=True)
class CurveArrays:
    """Arrays for the training curves."""

    steps: np.ndarray  # (S,) step of each loss point (bin centre when averaged)
    d_loss: np.ndarray  # (S,) L_D (mean over the bin)
    g_loss: np.ndarray  # (S,) L_G
    eval_steps: np.ndarray  # (E,) steps of the evaluations
    modes: np.ndarray  # (E,) modes covered
    high_quality: np.ndarray  # (E,) fraction high quality
    n_modes: int | None  # modes in the data (the curve's ceiling), None without modes
    loss_name: str  # the loss, for the legend


def _d_on_grid(trainer: GANTrainer, points: torch.Tensor, reference: torch.Tensor) -> torch.Tensor:
    """D at each point; a packed D sees the point m times, (x, x, ..., x)."""
    m = trainer.config.pack
    packed = points.repeat_interleave(m, dim=0)  # (G²·m, 2): each point m times in a row
    return trainer.d_net(packed, reference=reference if trainer.config.minibatch_std else None)  # (G²,)


def _g_gradient(trainer: GANTrainer, fake: torch.Tensor, reference: torch.Tensor) -> torch.Tensor:
    """−∂L_G/∂x for each generated point x: (A, 2)."""
    x = fake.detach().clone().requires_grad_(True)  # (A, 2)
    ref = reference if trainer.config.minibatch_std else None
    per_sample = losses.g_loss_per_sample(trainer.config.loss, trainer.d_net(x, reference=ref))  # (A/m,)
    (grad,) = torch.autograd.grad(per_sample.sum(), x)  # (A, 2) each sample's own loss gradient
    return -grad


def _manifold(trainer: GANTrainer, n_lines: int, n_points: int) -> np.ndarray:
    """G along lines z₁ = const and z₂ = const in [-2.5, 2.5]; other latent dims 0: (L, P, 2)."""
    latent, device = trainer.config.latent_dim, trainer.device
    t = torch.linspace(-2.5, 2.5, n_points, device=device)  # (P,)
    levels = torch.linspace(-2.0, 2.0, n_lines, device=device)  # (n_lines,)
    z = torch.zeros(2 * n_lines if latent >= 2 else 1, n_points, latent, device=device)
    if latent >= 2:
        z[:n_lines, :, 0] = t  # vary z₁ ...
        z[:n_lines, :, 1] = levels[:, None]  # ... at fixed z₂
        z[n_lines:, :, 1] = t
        z[n_lines:, :, 0] = levels[:, None]
    else:
        z[0, :, 0] = t
    with torch.no_grad():
        return trainer.g_net(z.reshape(-1, latent)).reshape(z.shape[0], n_points, 2).float().cpu().numpy()


def plane_frame(
    trainer: GANTrainer,
    *,
    n_real: int = 1000,
    n_fake: int = 1000,
    grid_size: int = 60,
    n_arrows: int = 160,
    manifold: bool = True,
    seed: int = 0,
) -> PlaneFrame:
    """Everything the plane view needs for the trainer's current state."""
    n_real = validate.integer(n_real, "real samples", lo=1, hi=EVAL_SAMPLES)
    n_fake = validate.integer(n_fake, "generated samples", lo=8, hi=EVAL_SAMPLES)
    grid_size = validate.integer(grid_size, "heatmap grid size", lo=2, hi=200)
    m = trainer.config.pack
    n_arrows = validate.integer(n_arrows, "arrows", lo=0, hi=n_fake) // m * m
    data, device, extent = trainer.data, trainer.device, float(trainer.data.extent)

    with torch.no_grad():
        z = trainer.latent(EVAL_SAMPLES, EVAL_SEED)  # the z the metrics use
        fake_all = trainer.g_net(z)  # (2500, 2)
        reference = fake_all[: n_fake // m * m]  # minibatch-std statistic from generated points
        axis = torch.linspace(-extent, extent, grid_size, device=device)  # (G,)
        x2, x1 = torch.meshgrid(axis, axis, indexing="ij")  # (G, G) each
        points = torch.stack([x1.reshape(-1), x2.reshape(-1)], dim=1)  # (G², 2)
        scores = _d_on_grid(trainer, points, reference).reshape(grid_size, grid_size)  # (G, G)
        probability = trainer.config.loss in ("non-saturating", "minimax")
        d_values = torch.sigmoid(scores) if probability else scores  # σ(d) = P(real)
    with torch.enable_grad():
        arrows = _g_gradient(trainer, fake_all[:n_arrows], reference) if n_arrows else fake_all[:0]

    fake_np = fake_all.float().cpu().numpy()  # (2500, 2)
    centers = data.centers
    if centers is not None:
        modes, quality = modes_covered(fake_np, centers, data.std)
        covered = covered_mask(fake_np, centers, data.std)
    else:
        modes, quality, covered = None, None, None
    f32 = lambda a: np.asarray(a, dtype=np.float32)  # noqa: E731
    return PlaneFrame(
        step=trainer.step_count,
        dataset=data.name,
        extent=extent,
        real=f32(data.sample_numpy(n_real, seed=seed)),
        fake=f32(fake_np[:n_fake]),
        grid=f32(axis.cpu().numpy()),
        d_values=f32(d_values.float().cpu().numpy()),
        d_label=D_LABELS[trainer.config.loss],
        d_range=(0.0, 1.0) if probability else None,
        arrow_start=f32(fake_np[:n_arrows]),
        arrow_vector=f32(arrows.float().cpu().numpy()),
        manifold=_manifold(trainer, 11, 80) if manifold else None,
        manifold_label="G(z) along lines of the (z₁, z₂) plane, other latent dims = 0"
        if trainer.config.latent_dim >= 2 else "G(z₁) for z₁ in [-2.5, 2.5]",
        centers=None if centers is None else f32(centers),
        covered=covered,
        modes=modes,
        high_quality=quality,
    )


def _bin_mean(values: np.ndarray, n_bins: int) -> np.ndarray:
    """Average consecutive entries into ``n_bins`` bins, ignoring NaN (a G-only step has no L_D)."""
    if len(values) <= n_bins:
        return values
    edges = np.linspace(0, len(values), n_bins + 1).astype(int)[:-1]
    finite = np.isfinite(values)
    sums = np.add.reduceat(np.where(finite, values, 0.0), edges)
    counts = np.add.reduceat(finite.astype(np.float64), edges)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)


def curve_arrays(history: History, *, n_modes: int | None = None, loss_name: str = "") -> CurveArrays:
    """The history as arrays, losses averaged into at most MAX_CURVE_POINTS bins."""
    steps = np.asarray(history.steps, dtype=np.float64)
    d = np.asarray(history.d_loss, dtype=np.float64)
    g = np.asarray(history.g_loss, dtype=np.float64)
    return CurveArrays(
        steps=_bin_mean(steps, MAX_CURVE_POINTS).astype(np.float32),
        d_loss=_bin_mean(d, MAX_CURVE_POINTS).astype(np.float32),
        g_loss=_bin_mean(g, MAX_CURVE_POINTS).astype(np.float32),
        eval_steps=np.asarray(history.eval_steps, dtype=np.int64),
        modes=np.asarray(history.modes, dtype=np.int64),
        high_quality=np.asarray(history.high_quality, dtype=np.float32),
        n_modes=n_modes,
        loss_name=loss_name,
    )


def trainer_curves(trainer: GANTrainer) -> CurveArrays:
    """:func:`curve_arrays` for a trainer (its data set's mode count, its loss name)."""
    centers = trainer.data.centers
    return curve_arrays(
        trainer.history, n_modes=None if centers is None else len(centers), loss_name=trainer.config.loss
    )
