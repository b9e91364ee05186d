"""A 2-D GAN, live: data sets, mode-collapse metrics, models, presets, training, frames, figures.

Typical use (a notebook or a Gradio tab)::

    from explainer import gan
    trainer = gan.GANTrainer.from_preset("Mode collapse", seed=0)
    trainer.train(500)
    frame = gan.plane_frame(trainer)
    fig = gan.build_plane(frame)
    curves = gan.build_curves(gan.trainer_curves(trainer))
"""

from explainer.datasets.toy2d import Dataset2D, drawn, get_dataset, grid, ink_mask, moons, ring, spiral
from explainer.gan.figures import build_curves, build_plane
from explainer.gan.frames import CurveArrays, PlaneFrame, curve_arrays, plane_frame, trainer_curves
from explainer.datasets.modes import covered_mask, high_quality, modes_covered, nearest_center
from explainer.gan.model import Discriminator, Generator, build_models
from explainer.gan.catalog import (DEFAULT_PRESET, PRESETS, GANConfig, Preset, get_preset, preset_config, preset_names,
                                   validate_config)
from explainer.gan.training import GANTrainer, History, steps_per_second

__all__ = [
    "CurveArrays",
    "DEFAULT_PRESET",
    "Dataset2D",
    "Discriminator",
    "GANConfig",
    "GANTrainer",
    "Generator",
    "History",
    "PRESETS",
    "PlaneFrame",
    "Preset",
    "build_curves",
    "build_models",
    "build_plane",
    "covered_mask",
    "curve_arrays",
    "drawn",
    "get_dataset",
    "get_preset",
    "grid",
    "high_quality",
    "ink_mask",
    "modes_covered",
    "moons",
    "nearest_center",
    "plane_frame",
    "preset_config",
    "preset_names",
    "ring",
    "spiral",
    "steps_per_second",
    "trainer_curves",
    "validate_config",
]
