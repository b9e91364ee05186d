"""One person's GAN run: the trainer(s) they drive and the view of them, as the GAN tab shows it.

A :class:`GANSession` holds one trainer, or two trained in lock-step for the side-by-side
comparison (the vanilla "Mode collapse" preset against a remedy, same data and seed). It
lives in that person's ``gr.State``; nothing here is shared between sessions. Everything the
tab draws for a session comes from :func:`explainer.gan.views.session_view`, a pure function of it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch

from explainer import validate
from explainer.datasets.toy2d import Dataset2D, drawn
from explainer.budget import FRAME_SECONDS, train_timed
from explainer.gan.catalog import CORE_GFLOPS, DEFAULT_PRESET, get_preset, preset_config, step_gflop
from explainer.gan.training import GANTrainer
from explainer.guarded import Guarded

MAX_STEPS_PER_FRAME = 500  # the speed slider's cap: one frame's work stays well under a second
# One streamed frame, sized so a browser redraws it well within the time between frames (every
# SVG marker costs redraw time: 300 real and 400 generated points show the shape; metrics use 2,500).
FRAME = {"n_real": 300, "n_fake": 400, "grid_size": 40, "n_arrows": 80}
# Advanced settings a person may change: widget name -> the GANConfig fields it sets.
OVERRIDES = {
    "width": ("g_width", "d_width"),
    "depth": ("g_depth", "d_depth"),
    "latent_dim": ("latent_dim",),
    "g_lr": ("g_lr",),
    "d_lr": ("d_lr",),
    "d_steps": ("d_steps",),
    "batch_size": ("batch_size",),
    "loss": ("loss",),
}


@dataclass(frozen=True)
class Display:
    """What the plane view draws (the tab's checkboxes)."""

    heatmap: bool = True  # D's output over the plane
    arrows: bool = True  # −∂L_G/∂x on a subset of generated points
    manifold: bool = False  # G's image of a grid of latent lines
    real: bool = True  # samples of the data
    fake: bool = True  # generated samples


@dataclass
class GANSession(Guarded):
    main: GANTrainer  # the run on the left (the only one unless comparing)
    compare: GANTrainer | None = None  # the remedy on the right, same data and seed
    seconds: float = 0.0  # wall time spent training, for steps/s
    trained: int = 0  # steps of `main` that `seconds` covers
    labels: tuple[str, str] = field(default=("", ""))  # titles of the two planes

    @property
    def trainers(self) -> list[GANTrainer]:
        return [self.main] if self.compare is None else [self.main, self.compare]

    @property
    def finished(self) -> bool:
        return all(t.step_count >= t.config.steps for t in self.trainers)

    def advance(self, n_steps: int, seconds: float = FRAME_SECONDS) -> int:
        """Train every trainer up to n steps (never past the preset's length, never past ``seconds``,
        checked every ~0.1 s of estimated work); returns steps done."""
        n = validate.integer(n_steps, "Steps per frame", lo=1, hi=MAX_STEPS_PER_FRAME)

        def train(k: int) -> None:
            for trainer in self.trainers:
                trainer.train(min(k, max(0, trainer.config.steps - trainer.step_count)))

        work = sum(step_gflop(t.config) for t in self.trainers)  # GFLOP a step, all trainers
        chunk = max(1, min(50, int(0.1 * CORE_GFLOPS / max(work, 1e-9))))
        remaining = max(t.config.steps - t.step_count for t in self.trainers)
        with self.lock:
            done, spent = train_timed(train, n, remaining, seconds, chunk=chunk)
            self.seconds += spent
            self.trained += done
        return done

    def single(self, which: str) -> None:
        """One D update, one G update, or one full step ("d", "g", "both"), on every trainer."""
        if which not in ("d", "g", "both"):
            raise validate.InputError(f"Step must be 'd', 'g' or 'both', got {which!r}.")
        with self.lock:
            for trainer in self.trainers:
                {"d": trainer.d_step, "g": trainer.g_step, "both": trainer.step}[which]()


def new_session(
    preset: str,
    dataset: str,
    seed: object,
    device: torch.device,
    *,
    overrides: dict[str, object] | None = None,
    compare_with: str | None = None,
    drawing: object = None,
) -> GANSession:
    """Fresh trainer(s) from a preset, a data set, a seed and the advanced overrides.

    With ``compare_with`` (a remedy preset), the left run is the vanilla preset and the right
    one the remedy, both with the presets' own settings (overrides are checked but not applied,
    so the comparison is the published one).
    """
    seed = validate.integer(seed, "Seed", lo=0, hi=2**31 - 1)
    if dataset == "drawn" and drawing is None:
        raise validate.InputError("The 'drawn' data set needs a drawing: draw something on the canvas under "
                                  "'Draw your own distribution', then press New run.")
    data: Dataset2D | None = drawn(drawing) if dataset == "drawn" else None
    config = preset_config(preset, dataset, drawn=data is not None)
    # A widget still showing the preset's value changes nothing: "Depth" shows G's depth,
    # and applying it unchanged would also set D's (a different number in the presets).
    changes = {name: value for key, value in (overrides or {}).items()
               if value != getattr(config, OVERRIDES[key][0]) for name in OVERRIDES[key]}
    config = config.replace(**changes) if changes else config  # checked even when comparing
    if compare_with is not None:
        get_preset(compare_with)
        if compare_with == DEFAULT_PRESET:
            raise validate.InputError(f"Compare '{DEFAULT_PRESET}' with a remedy: choose another preset to compare.")
        runs = [(DEFAULT_PRESET, preset_config(DEFAULT_PRESET, dataset, drawn=data is not None)),
                (compare_with, preset_config(compare_with, dataset, drawn=data is not None))]
    else:
        runs = [(preset, config)]
    trainers = [GANTrainer(config, seed, device, data=data) for _, config in runs]
    for trainer in trainers:
        trainer.evaluate(record=True)  # the curves start at step 0
    return GANSession(
        main=trainers[0],
        compare=trainers[1] if len(trainers) > 1 else None,
        labels=tuple(name for name, _ in runs) + ("",) * (2 - len(runs)),
    )
