"""One person's live CLIP training: a fresh model, trained a few steps a frame, its similarity matrix watched.

A :class:`ClipSession` holds a :class:`~explainer.clip.training.Trainer` started from random
weights with the seed the person chose, and a fixed batch of test digits whose captions all
differ. It lives in that person's ``gr.State``; nothing here is shared between sessions.
:func:`session_view` is a pure function of the session: the similarity matrix of the fixed
batch under the current weights — at first noise, then the diagonal emerges as the contrastive
loss pulls each digit towards its own caption — the loss curve, and a status line.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go
import torch

from explainer import validate
from explainer.budget import FRAME_SECONDS, train_timed
from explainer.clip import catalog, figures
from explainer.clip.catalog import S
from explainer.clip.model import ClipConfig
from explainer.clip.training import TrainConfig, Trainer
from explainer.clip.views import distinct_batch, similarity
from explainer.device import describe
from explainer.guarded import Guarded, guarded

CURVE_POINTS = 300  # at most this many points per curve are sent
LIVE_TRAINING = TrainConfig(steps=S.live_total, batch_size=S.live_batch)


@dataclass
class ClipSession(Guarded):
    trainer: Trainer
    batch: np.ndarray  # indices of the fixed test digits whose matrix is shown
    seconds: float = 0.0  # wall time spent training

    @property
    def finished(self) -> bool:
        return self.trainer.step_count >= S.live_total

    def train(self, steps: object, seconds: float = FRAME_SECONDS) -> int:
        """Train up to ``steps`` more (never past the run's length, never past ``seconds``); returns the steps done."""
        n = validate.integer(steps, "Steps per frame", lo=1, hi=S.max_live_steps)
        with self.lock:
            done, spent = train_timed(self.trainer.train, n, S.live_total - self.trainer.step_count, seconds)
            self.seconds += spent
        return done


def new_session(seed: object = 0, device: torch.device | str = "cpu") -> ClipSession:
    """A fresh, untrained tiny CLIP for one person (seeded: the same seed gives the same run and batch)."""
    seed = validate.integer(seed, "Seed", lo=0, hi=S.max_seed)
    trainer = Trainer(ClipConfig(), LIVE_TRAINING, seed=seed, device=device)
    return ClipSession(trainer, distinct_batch(seed, S.batch))


@dataclass(frozen=True)
class LiveView:
    matrix: go.Figure  # the fixed batch's similarity matrix under the current weights
    curve: go.Figure  # contrastive loss and logit scale per step
    status: str  # step, images nearest their own caption, loss, speed


def _thin(values: list, n: int) -> np.ndarray:
    idx = np.unique(np.linspace(0, len(values) - 1, min(n, len(values))).astype(int)) if values else np.array([], int)
    return np.asarray(values)[idx]


@guarded
def batch_similarity(session: ClipSession) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """(cosines (B, B), images (B, 8, 8), captions) of the session's fixed batch under its current weights."""
    model = session.trainer.model
    model.eval()
    images = catalog.test_set().images[session.batch]
    texts = [catalog.test_captions()[i] for i in session.batch]
    return similarity(model, images, texts), images, texts


def diagonal_share(session: ClipSession) -> float:
    """Share of the batch's images whose nearest caption (in the batch) is their own."""
    sims, _, _ = batch_similarity(session)
    return float((sims.argmax(1) == np.arange(len(sims))).mean())


@guarded
def session_view(session: ClipSession) -> LiveView:
    """The figures and status line of a session as it is now."""
    t = session.trainer
    sims, images, texts = batch_similarity(session)
    b = len(sims)
    hits = int((sims.argmax(1) == np.arange(b)).sum())
    matrix = figures.build_similarity(sims, images, texts,
                                      title=f"Your CLIP at step {t.step_count:,}: {b} test digits × their captions")
    h = t.history
    curve = figures.build_loss_curve(_thin(h.steps, CURVE_POINTS).tolist(), _thin(h.loss, CURVE_POINTS),
                                     _thin(h.scale, CURVE_POINTS), chance=float(np.log(t.train_config.batch_size)),
                                     title=f"Training: contrastive loss over batches of {t.train_config.batch_size}")
    if h.steps:
        speed = f" · {t.step_count / session.seconds:,.0f} steps/s" if session.seconds > 0 else ""
        status = (f"Step {t.step_count:,} of {S.live_total:,} · **{hits} of {b}** digits nearest their own caption · "
                  f"loss {h.loss[-1]:.3f} (guessing: {np.log(t.train_config.batch_size):.2f}) · "
                  f"logit scale {h.scale[-1]:.1f}{speed} on {describe(t.device)}")
    else:
        status = (f"Step 0 of {S.live_total:,} · random weights: {hits} of {b} digits nearest their own caption, "
                  "by chance · press Train to watch the diagonal emerge")
    return LiveView(matrix, curve, status)
