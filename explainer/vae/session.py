"""One person's live VAE training: their trainer, its curves, and the view the tab streams.

A :class:`VAESession` holds a :class:`~explainer.vae.training.Trainer` built from the β,
latent size and seed the person chose. It lives in that person's ``gr.State``; nothing here
is shared between sessions. :func:`session_view` is a pure function of the session: the
latent map of the test digits at their current μ(x) (the first two dimensions when the
latent is larger), the reconstruction and KL curves, and a status line.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go
import torch

from explainer import validate
from explainer.budget import FRAME_SECONDS, train_timed
from explainer.device import describe
from explainer.guarded import Guarded, guarded
from explainer.validate import InputError
from explainer.vae import catalog, figures
from explainer.vae.model import VAEConfig
from explainer.vae.training import TrainConfig, Trainer


@dataclass(frozen=True)
class LiveSettings:
    beta: float = 1.0  # default β
    min_beta: float = 0.01  # smallest β a person may pick
    max_beta: float = 16.0  # largest β
    latent_dim: int = 2  # default latent size
    max_latent: int = 8  # largest latent size
    total_steps: int = 2000  # a run stops after this many steps
    steps_per_frame: int = 40  # steps between two streamed frames (default)
    max_steps_per_frame: int = 200  # cap: one frame's work stays well under a second
    curve_points: int = 300  # at most this many points per curve are sent
    curves_every: int = 5  # the tab sends the curves with every 5th frame (and the last) only
    hidden: int = 128  # width of the live model's hidden layers


L = LiveSettings()
LIVE_TRAINING = TrainConfig(steps=L.total_steps, warmup_kl=200, fused_adam=True)


@dataclass
class VAESession(Guarded):
    trainer: Trainer
    seconds: float = 0.0  # wall time spent training

    @property
    def finished(self) -> bool:
        return self.trainer.step_count >= L.total_steps

    def advance(self, n_steps: object, seconds: float = FRAME_SECONDS) -> int:
        """Train up to n more steps (never past the run's length, never past ``seconds``); returns the steps done."""
        n = validate.integer(n_steps, "Steps per frame", lo=1, hi=L.max_steps_per_frame)
        with self.lock:
            done, spent = train_timed(self.trainer.train, n, L.total_steps - self.trainer.step_count, seconds)
            self.seconds += spent
        return done


def live_beta(value: object) -> float:
    beta = validate.real(value, "β", lo=-1e9, hi=1e9)
    if not L.min_beta <= beta <= L.max_beta:
        raise InputError(f"β must be between {L.min_beta:g} and {L.max_beta:g} (it weighs the KL term), got {beta:g}.")
    return beta


def new_session(beta: object, latent_dim: object, seed: object, device: torch.device | str = "cpu") -> VAESession:
    """A fresh, untrained VAE for one person (seeded: the same choices give the same run)."""
    config = VAEConfig(kind="vae", latent_dim=validate.integer(latent_dim, "Latent size", lo=2, hi=L.max_latent),
                       hidden=L.hidden, beta=live_beta(beta))
    seed = validate.integer(seed, "Seed", lo=0, hi=catalog.S.max_seed)
    return VAESession(Trainer(config, LIVE_TRAINING, seed=seed, device=device))


@dataclass(frozen=True)
class LiveView:
    map: go.Figure  # test digits at the current μ(x)
    curves: go.Figure | None  # reconstruction and KL per step (None when skipped)
    status: str  # step, speed, current losses


def _thin(values: list, n: int) -> np.ndarray:
    idx = np.unique(np.linspace(0, len(values) - 1, min(n, len(values))).astype(int)) if values else np.array([], int)
    return np.asarray(values)[idx]


@guarded
@torch.no_grad()
def session_view(session: VAESession, *, curves: bool = True) -> LiveView:
    """The figures and status line of a session as it is now (``curves=False`` skips the curves)."""
    t = session.trainer
    t.model.eval()
    test = catalog.test_set()
    mu, _ = t.model.encode(torch.as_tensor(test.images, device=t.device))
    mu = mu[:, :2].cpu().numpy()  # (N, 2): the first two latent dimensions
    c = t.config
    dims = "" if c.latent_dim == 2 else f" (first 2 of {c.latent_dim} dims)"
    fig = figures.build_latent_map(mu, test.labels, title=f"Your VAE, β = {c.beta:g}, step {t.step_count:,}{dims}",
                                   height=420, ranges=((-4, 4), (-4, 4)))  # fixed axes: the cloud visibly organises
    h = t.history
    curve_fig = None
    if curves:
        curve_fig = figures.build_curves(_thin(h.steps, L.curve_points).tolist(), _thin(h.recon, L.curve_points),
                                         _thin(h.kl, L.curve_points), title="Training curves (batch averages)")
    if h.steps:
        speed = f"{t.step_count / session.seconds:,.0f} steps/s" if session.seconds > 0 else ""
        status = (f"Step {t.step_count:,} of {L.total_steps:,} · reconstruction {h.recon[-1]:.2f} nats · "
                  f"KL {h.kl[-1]:.2f} nats · {speed} on {describe(t.device)}")
    else:
        status = f"Step 0 of {L.total_steps:,} · not trained yet · β = {c.beta:g}, latent size {c.latent_dim}"
    return LiveView(fig, curve_fig, status)
