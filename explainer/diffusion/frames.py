"""The reverse process as a person watches and scrubs it: sampled in chunks, then indexed per frame.

:class:`ReverseSampling` walks a shipped model's reverse process a chunk at a time (the tab
streams it: the first frame is on screen after one network call) and keeps a thin copy small
enough for the person's ``gr.State``: at most ``max_frames`` frames and ``shown_points`` points (x_t and ε̂;
x̂_0 is recomputed from them per frame, as the walk computed it), plus the predicted-noise field on a grid of
the plane at each kept frame. :func:`reverse_run`
does the whole walk at once. :func:`reverse_frame` draws one frame — pure indexing and
plotting, no model call, so scrubbing stays fast.

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
from explainer.denoising.sample import Walk
from explainer.denoising.schedule import NoiseSchedule
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
    eps: np.ndarray  # (F, P, D) the predicted noise ε̂ (x̂_0 follows from x_t and ε̂: :meth:`x0_hat`)
    field_at: np.ndarray  # (G, 2) grid points of the ε̂ field (2-D), else (0, 2)
    field: np.ndarray  # (F, G, 2) ε̂ on the grid at each frame (2-D), else empty
    extent: float  # the plane shows [−extent, extent]²
    summary: str  # the finished samples measured (modes covered, …); "" while sampling
    total: int  # frames of the finished run (more than len while it is still being sampled)
    schedule: NoiseSchedule  # the model's (shared with it, not a copy)

    def __len__(self) -> int:
        return len(self.t)

    def x0_hat(self, f: int) -> np.ndarray:
        """(P, D) the network's guess x̂_0 at frame ``f``: (x_t − √(1 − ᾱ_t) ε̂) / √ᾱ_t, by the same function and
        dtype the walk used (the same numbers it computed), x itself for the finished sample. Recomputed,
        not kept: 1.11 → 0.78 MB per visitor who sampled a plane model."""
        t = int(self.t[f]) - 1  # the library's 0-indexed step; −1 = done
        if t < 0:
            return self.x[f]
        return self.schedule.predict_x0(torch.from_numpy(self.eps[f]), t, torch.from_numpy(self.x[f])).numpy()

    @property
    def complete(self) -> bool:
        return len(self.t) == self.total


def _field(net, run_t: np.ndarray, grid: np.ndarray, device) -> np.ndarray:
    """ε̂ of the network on the grid points (G, 2) at each step of ``run_t`` (0-indexed, −1 = done)."""
    g = torch.as_tensor(grid, device=device)
    with torch.inference_mode():
        field = [net(g, int(t)).cpu().numpy() if t >= 0 else np.zeros_like(grid) for t in run_t]
    return np.stack(field).astype(np.float32).reshape(len(run_t), len(grid), 2)  # (F, G, 2)


class ReverseSampling:
    """A reverse process from a shipped model, sampled a chunk at a time, seen as a :class:`ReverseRun`.

    The settings are checked when it is made (before any work). :meth:`advance` takes steps,
    :meth:`run` is what has been sampled so far, thinned for the person's state; the finished
    run is the same however the walk was chunked.
    """

    def __init__(self, model: object, seed: object, sampler: object, n_steps: object, eta: object,
                 digit: object = None, w: object = 0.0, *, n: int | None = None,
                 device: torch.device | str = "cpu", s: Settings = SETTINGS) -> None:
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
        self.loaded, self.n, self.device = loaded, n, device
        self.walk = Walk(loaded.eps_fn(label, weight), loaded.schedule, (n, loaded.dim), seed=seed, sampler=sampler,
                         n_steps=steps, eta=eta, device=device, keep=s.max_frames, clip=loaded.clip)
        self.shown = n if loaded.is_digits else min(n, s.shown_points)
        self.label = f"{sampler.upper()}, {steps} steps" + (f", η = {eta:g}" if sampler == "ddim" else "") + what
        if loaded.is_digits:
            self.extent, self.grid = 1.0, np.zeros((0, 2), np.float32)
        else:
            self.extent = get_dataset(loaded.config.data).extent
            side = np.linspace(-0.85 * self.extent, 0.85 * self.extent, FIELD_SIDE, dtype=np.float32)
            self.grid = np.stack(np.meshgrid(side, side), axis=-1).reshape(-1, 2)  # (G, 2)
        self.field = np.zeros((0, len(self.grid), 2), np.float32)  # (F so far, G, 2), grown per chunk

    @property
    def done(self) -> bool:
        return self.walk.done

    @property
    def steps_taken(self) -> int:
        return self.walk.k

    def advance(self, n: int | None = None, seconds: float | None = None) -> int:
        """Sample up to ``n`` more steps (all by default), stopping after ``seconds``; the steps taken."""
        return self.walk.advance(n, seconds)

    def run(self) -> ReverseRun:
        """The frames sampled so far (all of them once :attr:`done`), thinned for the person's state."""
        trajectory = self.walk.trajectory()
        if len(self.grid) and len(self.field) < len(trajectory):  # the ε̂ field of the new frames only
            new = _field(self.loaded.net, trajectory.t[len(self.field):], self.grid, self.device)
            self.field = np.concatenate([self.field, new])
        summary = ""
        if self.done and self.loaded.is_digits:
            summary = f"{self.n} digits"
        elif self.done:
            q = quality(trajectory.samples, self.loaded.config.data)
            summary = (f"{q['modes']} / {q['n_modes']} modes covered, {100 * q['high_quality']:.1f}% high quality "
                       f"(within 3σ of a centre) over {self.n:,} samples" if "modes" in q else
                       f"mean distance to the data {q['data_distance']:.3f} over {self.n:,} samples")
        def shown(a: np.ndarray) -> np.ndarray:  # a copy of the shown points: a view would keep every point alive
            return np.ascontiguousarray(a[:, : self.shown])

        field = self.field[: len(trajectory)] if len(self.grid) else np.zeros((len(trajectory), 0, 2), np.float32)
        return ReverseRun(self.loaded.name, self.loaded.is_digits, self.label, trajectory.t + 1,  # T … 1, 0 = done
                          shown(trajectory.x), shown(trajectory.eps), self.grid, field,
                          float(self.extent), summary, len(self.walk.frames), self.loaded.schedule)


def reverse_run(model: object, seed: object, sampler: object, n_steps: object, eta: object,
                digit: object = None, w: object = 0.0, *, n: int | None = None, device: torch.device | str = "cpu",
                s: Settings = SETTINGS) -> ReverseRun:
    """Sample from a shipped model in one go and keep a thinned trajectory for scrubbing."""
    sampling = ReverseSampling(model, seed, sampler, n_steps, eta, digit, w, n=n, device=device, s=s)
    sampling.advance()
    return sampling.run()


@dataclass(frozen=True)
class ReverseView:
    figure: go.Figure  # x_t and x̂_0 (and ε̂) at the frame
    status: str  # which step, what it shows


def validate_frame(run_: ReverseRun | None, frame: object) -> int:
    """A frame index of a run that has been sampled up to it."""
    if run_ is None:
        raise validate.InputError("Nothing sampled yet: press Sample first.")
    f = validate.integer(frame, "Frame", lo=0, hi=run_.total - 1)
    if f >= len(run_):
        raise validate.InputError(f"Frame {f} is not sampled yet: sampling stopped at frame {len(run_) - 1}. "
                                  "Press Sample to run the reverse process to the end.")
    return f


def reverse_frame(run_: ReverseRun | None, frame: object, *, n_tracks: int = SETTINGS.n_tracks) -> ReverseView:
    """Frame ``frame`` (0 … len − 1) of a computed run: pure indexing, no model call."""
    f = validate_frame(run_, frame)
    t = int(run_.t[f])
    title = f"{run_.label} · frame {f} of {run_.total - 1} · t = {t}"
    if run_.is_digits:
        rows = np.stack([from_model(run_.x[f]), from_model(run_.x0_hat(f))])  # (2, N, 8, 8)
        eps = np.clip(run_.eps[f].reshape(-1, 8, 8) / 3 * 0.5 + 0.5, 0, 1)[None]  # ε̂ scaled: ±3 → 0 … 1
        fig = figs.build_digits(np.concatenate([rows, eps]), row_labels=["x_t", "x̂₀ (guess)", "ε̂ (noise)"],
                                title=title)
    else:
        e = run_.extent
        x, guess = run_.x[f], run_.x0_hat(f)
        left = [figs.scatter(x, "x_t (samples now)", figs.DATA_COLOUR)]
        if t > 0:
            left.append(figs.arrows(run_.field_at, -run_.field[f], "−ε̂ field (where a step moves x)",
                                    figs.NOISE_COLOUR, length=0.12 * e))
        paths = np.transpose(run_.x[: f + 1, :n_tracks], (1, 0, 2))  # (K, f+1, 2)
        left.append(figs.tracks(paths, "trajectories so far"))
        right = [figs.scatter(guess, "x̂₀ (the network's guess)", figs.GUESS_COLOUR)]
        fig = figs.build_planes([("x_t and the predicted noise", left), ("x̂₀: the guess of the clean sample", right)],
                                extent=e, title=title)
    status = (f"**t = {t}** (frame {f} of {run_.total - 1}). " +
              ("The finished samples: " + run_.summary + "." if t == 0 else
               "Left: the samples now; right: where the network thinks each is heading.") +
              ("" if run_.complete else f" *Sampling… {len(run_)} of {run_.total} frames so far.*"))
    return ReverseView(fig, status)


def paused_status(run_: ReverseRun | None, frame: object = None) -> str:
    """What the status line says after Pause stopped sampling (or playing) at ``frame``."""
    if run_ is None:
        return "Paused before the first frame: press **Sample** to start."
    if run_.complete:
        f = validate.integer(frame if frame is not None else run_.total - 1, "Frame", lo=0, hi=run_.total - 1)
        return f"**Paused** at frame {f} of {run_.total - 1} (t = {int(run_.t[f])}): scrub, or press **Play** to go on."
    return (f"**Paused** after {len(run_)} of {run_.total} frames (t = {int(run_.t[-1])}): scrub the frames so far, "
            "or press **Sample** to sample again from the start.")
