"""One person's live diffusion training: a small ε-network learning a 2-D set in their session.

A :class:`TrainSession` lives in that person's ``gr.State`` (nothing here is shared). The tab
streams it: :meth:`TrainSession.advance` trains a chunk of steps, :func:`session_view` draws
what the network makes of noise so far (a quick DDIM-20 sample from the EMA weights, always
from the same starting noise, so the cloud visibly sharpens) and the loss curve.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go
import torch

from explainer import validate
from explainer.budget import FRAME_SECONDS, train_timed
from explainer.datasets.toy2d import Dataset2D, drawn, get_dataset
from explainer.device import describe
from explainer.diffusion import figures as figs
from explainer.diffusion.evaluate import quality
from explainer.denoising.model import EpsMLPConfig
from explainer.denoising.sample import run
from explainer.diffusion.training import Trainer, TrainConfig
from explainer.guarded import Guarded, guarded

LIVE_DATA = ("ring", "grid", "moons", "spiral", "drawn")
LIVE = TrainConfig("ring", EpsMLPConfig(dim=2, width=64, depth=3), steps=4000, batch_size=256, low_t=0.3,
                   n_train=2000)  # smaller than the shipped models: it trains while a person watches
MAX_STEPS_PER_FRAME = 200  # one frame's work stays well under a second on one core
PREVIEW_POINTS = 500  # samples drawn per frame
SHOWN_TRAINING = 250  # training points drawn under them (the same every frame: context, not news)
PREVIEW_STEPS = 20  # DDIM steps per preview
MAX_CURVE_POINTS = 400  # the loss curve is averaged into at most this many points


@dataclass
class TrainSession(Guarded):
    trainer: Trainer
    seconds: float = 0.0  # wall time spent training (for steps/s)

    @property
    def finished(self) -> bool:
        return self.trainer.step_count >= self.trainer.config.steps

    def advance(self, n_steps: object, seconds: float = FRAME_SECONDS) -> int:
        """Train up to n steps (never past the run's length, never past ``seconds``); returns the steps done."""
        n = validate.integer(n_steps, "Steps per frame", lo=1, hi=MAX_STEPS_PER_FRAME)
        with self.lock:
            done, spent = train_timed(self.trainer.train, n, self.trainer.config.steps - self.trainer.step_count,
                                      seconds)
            self.seconds += spent
        return done


def new_session(data: object, seed: object, device: torch.device | str = "cpu", drawing: object = None,
                steps: int | None = None) -> TrainSession:
    """A fresh network (weights from the seed) for a named set or a person's drawing."""
    if data not in LIVE_DATA:
        raise validate.InputError(f"Unknown data set {validate.shown(data)}: choose one of {', '.join(LIVE_DATA)}.")
    seed = validate.integer(seed, "Seed", lo=0, hi=2**31 - 1)
    dataset: Dataset2D = drawn(drawing) if data == "drawn" else get_dataset(str(data))
    config = LIVE.replace(data=str(data), steps=steps or LIVE.steps)
    return TrainSession(Trainer(config, seed, torch.device(device), dataset=dataset))


@dataclass(frozen=True)
class SessionView:
    samples: go.Figure  # what the network samples now, over the training set (one plane: a cheap frame)
    loss: go.Figure | None  # the ε-loss over steps (None when not asked for: a live frame that does not send it)
    status: str  # step, speed, quality


def _curve(losses: list[float]) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(losses, dtype=np.float64)
    if len(y) == 0:
        return np.zeros(0), np.zeros(0)
    k = max(1, int(np.ceil(len(y) / MAX_CURVE_POINTS)))
    n = len(y) // k * k
    steps = np.arange(n).reshape(-1, k).mean(1) + 1
    return (steps, y[:n].reshape(-1, k).mean(1)) if n else (np.arange(1, len(y) + 1), y)


@guarded
def session_view(session: TrainSession, *, curves: bool = True) -> SessionView:
    """The samples plane, the status and (``curves``) the loss curve of a session now."""
    tr = session.trainer
    with torch.inference_mode():
        x = run(lambda x, t: tr.ema(x, t), tr.schedule, (PREVIEW_POINTS, 2), seed=0, sampler="ddim",
                n_steps=PREVIEW_STEPS, device=tr.device, keep=2).samples
    train = tr.points[:SHOWN_TRAINING].cpu().numpy()
    e = tr.dataset.extent
    title = f"{tr.config.data}: step {tr.step_count:,} of {tr.config.steps:,}"
    # One plane, the samples over the data: a streamed frame the browser redraws twice, so each
    # subplot and point counts (two panels of 500 + 500 kept a 2-core page too busy to click Pause).
    samples = figs.build_planes([("network's samples (DDIM-20) over the training data",
                                  [figs.scatter(train, "training data", figs.GREY, size=3, opacity=0.5),
                                   figs.scatter(x, "network's samples", figs.NOISE_COLOUR)])], extent=e, title=title)
    loss_fig = None
    if curves:  # a live frame sends the curve only every few seconds: building it is ~15 % of a frame
        steps, loss = _curve(tr.losses)
        loss_fig = figs.build_lines(steps, {"‖ε − ε̂‖² (mean over the batch)": loss}, title="training loss",
                                    x_title="training step", y_title="loss", markers=False)
    speed = f"{tr.step_count / session.seconds:,.0f} steps/s" if session.seconds > 0 else "not trained yet"
    text = f"Step {tr.step_count:,} · {speed} on {describe(tr.device)}"
    if tr.config.data in ("ring", "grid"):
        q = quality(x, tr.config.data)
        text += f" · {q['modes']} / {q['n_modes']} modes, {100 * q['high_quality']:.0f}% high quality (DDIM-20)"
    return SessionView(samples, loss_fig, text)
