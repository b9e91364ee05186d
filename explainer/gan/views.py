"""What the GAN tab draws for one person's run: a frozen view of figures and a status line.

:func:`session_view` is a pure function of a :class:`~explainer.gan.session.GANSession` and the
display switches: the data plane of each run (real and generated points, D's verdict, G's push,
covered modes), the training curves (both runs overlaid when comparing) and one status line.
"""

from __future__ import annotations

from dataclasses import dataclass

import plotly.graph_objects as go

from explainer.device import describe
from explainer.gan.figures import build_curves, build_plane
from explainer.gan.frames import PlaneFrame, plane_frame, trainer_curves
from explainer.gan.session import FRAME, Display, GANSession
from explainer.guarded import guarded


@dataclass(frozen=True)
class GANView:
    plane: go.Figure  # left (or only) run
    compare: go.Figure | None  # right run, when comparing
    curves: go.Figure | None  # losses, modes covered, % high quality over steps (None when not asked for)
    status: str  # one Markdown line: step, speed, device, metrics


def _metrics(frame: PlaneFrame) -> str:
    if frame.modes is None:
        return "no modes to count on this data set"
    return f"**{frame.modes} / {len(frame.centers)} modes** covered, **{100 * frame.high_quality:.1f}%** high quality"


def _progress(session: GANSession) -> str:
    """Step count, D updates and speed: a single D update shows here even though no step completes."""
    main = session.main
    d_updates = f"{main.d_updates:,} D update{'s' if main.d_updates != 1 else ''}"
    if session.seconds > 0:
        speed = f"{session.trained / session.seconds:,.0f} steps/s"
    elif main.step_count or main.d_updates:
        speed = "single updates only"
    else:
        speed = "not trained yet"
    return f"Step {main.step_count:,} · {d_updates} · {speed} on {describe(main.device)}"


@guarded
def session_view(session: GANSession, display: Display = Display(), *, curves: bool = True) -> GANView:
    """Figures and the status line for the session as it is now.

    ``curves=False`` skips the training curves (``GANView.curves`` is None): a live view sends
    them only every few seconds, and building them every frame would cost it time.
    """
    planes, metrics = [], []
    for trainer, label in zip(session.trainers, session.labels):
        frame = plane_frame(trainer, manifold=display.manifold, **FRAME)
        title = f"{label}: step {trainer.step_count:,} of {trainer.config.steps:,}"
        planes.append(build_plane(frame, show_heatmap=display.heatmap, show_arrows=display.arrows,
                                  show_manifold=display.manifold, show_real=display.real,
                                  show_fake=display.fake, title=title))
        metrics.append(f"{label}: {_metrics(frame)}")
    drawn = None
    if curves and session.compare is None:
        drawn = build_curves(trainer_curves(session.main), title=f"{session.labels[0]}: training curves")
    elif curves:  # both runs overlaid on the same axes
        left, right = session.labels
        drawn = build_curves([(label, trainer_curves(t)) for t, label in zip(session.trainers, session.labels)],
                             title=f"training curves: {left} (solid) vs {right} (dashed)")
    status = _progress(session) + " · " + " · ".join(metrics)
    return GANView(planes[0], planes[1] if len(planes) > 1 else None, drawn, status)
