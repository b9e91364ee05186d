"""The visitor mix: what a stranger does on the page, as data.

A visitor opens the page (``page load``), then until its stay is over repeats: think, pick one
entry of :data:`MIX` by weight, do it. A light entry moves one slider of a view (one of
``moves``, to a value on the slider's grid, every other parameter at its default) and waits for
the figure. A streamed entry starts a live view (after ``first``, e.g. New run before Train),
reads frames for a while and then closes the connection, as a person closing the tab does: the
visit ends there and a new visitor takes the slot.

Parameter names are those of ``GET /gradio_api/info``; ranges and defaults come from the app
(:mod:`explainer.loadtest.shape`), so this table holds only the choices a person makes.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from explainer.loadtest.shape import AppShape


@dataclass(frozen=True)
class Entry:
    api_name: str  # the event, as /gradio_api/info names it
    weight: float  # relative frequency among a visitor's actions
    moves: tuple[str, ...] = ()  # parameters a slider move may change (one per action)
    first: str | None = None  # an event run to completion first, in the same session (New run)
    frames: int | None = None  # streamed: frames read before the visitor leaves (None: no frame cap)
    seconds: tuple[float, float] | None = None  # streamed: seconds read, drawn from this range

    @property
    def streamed(self) -> bool:
        return self.frames is not None or self.seconds is not None


@dataclass(frozen=True)
class Visit:
    """How long strangers stay and think; the ramp spreads the first arrivals (a room opening the link)."""

    stay: tuple[float, float] = (60.0, 180.0)  # seconds a visitor stays, uniform
    think: tuple[float, float] = (1.0, 4.0)  # seconds between two actions, uniform
    ramp: float = 10.0  # first arrivals spread uniformly over this many seconds


MIX: tuple[Entry, ...] = (
    # Attention: the layer and head sliders over the default sentence
    Entry("attention", 14, moves=("layer", "head")),
    # Positional: sinusoidal table size, RoPE pair / positions, ALiBi heads and length
    Entry("sinusoidal", 10, moves=("n_positions", "d_model")),
    Entry("rope", 6, moves=("pair", "n_steps", "m1", "m2", "max_offset")),
    Entry("alibi", 6, moves=("n_heads", "seq_len")),
    # Diffusion forward process: the step slider, on 2-D data and on digits
    Entry("diffusion_forward", 14, moves=("t",)),
    Entry("diffusion_schedules", 6, moves=("t", "index")),
    # VAE latent views: a point of the latent map, interpolation, reparameterisation draws
    Entry("vae_map", 12, moves=("z1", "z2")),
    Entry("vae_interpolate", 6, moves=("index_a", "index_b", "steps")),
    Entry("vae_reparam", 6, moves=("index", "n_eps")),
    # Heavy: a GAN run trained for a few seconds and abandoned; a diffusion sampling watched for a few frames
    Entry("gan_train", 5, first="gan_new_run", seconds=(3.0, 8.0)),
    Entry("diffusion_sample", 5, frames=5),
)

VISIT = Visit()


def check(mix: tuple[Entry, ...], shape: AppShape) -> None:
    """Fail loudly (``AppChanged``) if an api_name or a moved parameter of the mix is gone from the app."""
    for entry in mix:
        endpoint = shape.endpoint(entry.api_name)
        for name in entry.moves:
            endpoint.param(name)
        if entry.first is not None:
            shape.endpoint(entry.first)


def pick(mix: tuple[Entry, ...], rng: random.Random) -> Entry:
    return rng.choices(mix, weights=[e.weight for e in mix])[0]


def arguments(entry: Entry, api_name: str, shape: AppShape, rng: random.Random) -> list:
    """The data of one call: the app's defaults, with one of the entry's sliders moved (if it has any)."""
    endpoint = shape.endpoint(api_name)
    data = endpoint.defaults()
    if api_name == entry.api_name and entry.moves:
        name = rng.choice(entry.moves)
        index = [p.name for p in endpoint.params].index(name)
        data[index] = endpoint.params[index].moved(rng)
    return data
