"""The reverse process as a person scrubs it: computed once per request, then indexed per frame.

:func:`reverse_run` samples from a shipped model (whole trajectory, every step), then keeps a
thin copy small enough for the person's ``gr.State``: at most ``max_frames`` frames and
``shown_points`` points, plus the predicted-noise field on a grid of the plane at each kept
frame. :func:`reverse_frame` draws one frame of it — pure indexing and plotting, no model call,
so scrubbing stays fast.

Step numbers are shown as in Ho et al. (t = T … 1, and t = 0 for the finished sample), one
more than the 0-indexed t of the library.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go
import torch

from explainer import validate
from explainer.datasets.toy2d import get_dataset
from explainer.diffusion import figures as figs
from explainer.diffusion.catalog import SETTINGS, Settings, load
from explainer.diffusion.evaluate import quality
from explainer.diffusion.sample import run
from explainer.diffusion.training import from_model

FIELD_SIDE = 13  # arrows per side of the predicted-noise field


@dataclass(frozen=True)
class ReverseRun:
    """A thinned trajectory (what a person's state keeps) and how it was made."""

    model: str  # checkpoint name
    is_digits: bool
    label: str  # how the run is described in titles
    t: np.ndarray  # (F,) shown step of each kept frame, T … 0
    x: np.ndarray  # (F, P, D) x_t of the shown points
    x0_hat: np.ndarray  # (F, P, D) the network's guess x̂_0
    eps: np.ndarray  # (F, P, D) the predicted noise ε̂
    field_at: np.ndarray  # (G, 2) grid points of the ε̂ field (2-D), else (0, 2)
    field: np.ndarray  # (F, G, 2) ε̂ on the grid at each frame (2-D), else empty
    extent: float  # the plane shows [−extent, extent]²
    summary: str  # the finished samples measured (modes covered, …)

    def __len__(self) -> int:
        return len(self.t)


def _field(loaded, run_t: np.ndarray, extent: float, device) -> tuple[np.ndarray, np.ndarray]:
    side = np.linspace(-0.85 * extent, 0.85 * extent, FIELD_SIDE, dtype=np.float32)
    grid = np.stack(np.meshgrid(side, side), axis=-1).reshape(-1, 2)  # (G, 2)
    g = torch.as_tensor(grid, device=device)
    with torch.inference_mode():
        field = [loaded.net(g, max(int(t), 0)).cpu().numpy() if t >= 0 else np.zeros_like(grid) for t in run_t]
    return grid, np.stack(field).astype(np.float32)  # (F, G, 2)


def reverse_run(model: object, seed: object, sampler: object, n_steps: object, eta: object,
                digit: object = None, w: object = 0.0, *, n: int | None = None, device: torch.device | str = "cpu",
                s: Settings = SETTINGS) -> ReverseRun:
    """Sample from a shipped model and keep a thinned trajectory for scrubbing."""
    loaded = load(model, device)
    seed = validate.integer(seed, "Seed", lo=0, hi=2**31 - 1)
    steps = validate.integer(n_steps, "Number of steps", lo=1, hi=loaded.schedule.T)
    eta = validate.real(eta, "η (eta)", lo=0.0, hi=1.0)
    if sampler not in ("ddpm", "ddim"):
        raise validate.InputError(f"Unknown sampler {sampler!r}: choose 'ddpm' or 'ddim'.")
    label, weight, what = None, 0.0, ""
    if loaded.is_digits:
        n = s.n_digits if n is None else validate.integer(n, "Number of digits", lo=1, hi=s.max_digits)
        if digit not in (None, "", "any"):
            label = validate.integer(digit, "Digit class", lo=0, hi=9)
            weight = validate.real(w, "Guidance scale w", lo=0.0, hi=s.max_guidance)
            what = f", class {label}, w = {weight:g}"
    else:
        n = s.n_points if n is None else validate.integer(n, "Number of points", lo=1, hi=s.max_points)
    trajectory = run(loaded.eps_fn(label, weight), loaded.schedule, (n, loaded.dim), seed=seed, sampler=sampler,
                     n_steps=steps, eta=eta, device=device, keep=s.max_frames, clip=loaded.clip)
    shown = slice(0, n if loaded.is_digits else min(n, s.shown_points))
    t = trajectory.t + 1  # Ho et al.'s numbering: T … 1, then 0 = the sample
    if loaded.is_digits:
        extent, grid, field = 1.0, np.zeros((0, 2), np.float32), np.zeros((len(t), 0, 2), np.float32)
        summary = f"{n} digits"
    else:
        extent = get_dataset(loaded.config.data).extent
        grid, field = _field(loaded, trajectory.t, extent, device)
        q = quality(trajectory.samples, loaded.config.data)
        summary = (f"{q['modes']} / {q['n_modes']} modes covered, {100 * q['high_quality']:.1f}% high quality "
                   f"(within 3σ of a centre) over {n:,} samples" if "modes" in q else
                   f"mean distance to the data {q['data_distance']:.3f} over {n:,} samples")
    name = f"{sampler.upper()}, {steps} steps" + (f", η = {eta:g}" if sampler == "ddim" else "") + what
    return ReverseRun(model, loaded.is_digits, name, t, trajectory.x[:, shown], trajectory.x0_hat[:, shown],
                      trajectory.eps[:, shown], grid, field, float(extent), summary)


@dataclass(frozen=True)
class ReverseView:
    figure: go.Figure  # x_t and x̂_0 (and ε̂) at the frame
    status: str  # which step, what it shows


def reverse_frame(run_: ReverseRun | None, frame: object, *, n_tracks: int = SETTINGS.n_tracks) -> ReverseView:
    """Frame ``frame`` (0 … len − 1) of a computed run: pure indexing, no model call."""
    if run_ is None:
        raise validate.InputError("Nothing sampled yet: press Sample first.")
    f = validate.integer(frame, "Frame", lo=0, hi=len(run_) - 1)
    t = int(run_.t[f])
    title = f"{run_.label} · frame {f} of {len(run_) - 1} · t = {t}"
    if run_.is_digits:
        rows = np.stack([from_model(run_.x[f]), from_model(run_.x0_hat[f])])  # (2, N, 8, 8)
        eps = np.clip(run_.eps[f].reshape(-1, 8, 8) / 3 * 0.5 + 0.5, 0, 1)[None]  # ε̂ scaled: ±3 → 0 … 1
        fig = figs.build_digits(np.concatenate([rows, eps]), row_labels=["x_t", "x̂₀ (guess)", "ε̂ (noise)"],
                                title=title)
    else:
        e = run_.extent
        x, guess = run_.x[f], run_.x0_hat[f]
        left = [figs.scatter(x, "x_t (samples now)", figs.DATA_COLOUR)]
        if t > 0:
            left.append(figs.arrows(run_.field_at, -run_.field[f], "−ε̂ field (where a step moves x)",
                                    figs.NOISE_COLOUR, length=0.12 * e))
        paths = np.transpose(run_.x[: f + 1, :n_tracks], (1, 0, 2))  # (K, f+1, 2)
        left.append(figs.tracks(paths, "trajectories so far"))
        right = [figs.scatter(guess, "x̂₀ (the network's guess)", figs.GUESS_COLOUR)]
        fig = figs.build_planes([("x_t and the predicted noise", left), ("x̂₀: the guess of the clean sample", right)],
                                extent=e, title=title)
    status = (f"**t = {t}** (frame {f} of {len(run_) - 1}). " +
              ("The finished samples: " + run_.summary + "." if t == 0 else
               "Left: the samples now; right: where the network thinks each is heading."))
    return ReverseView(fig, status)
