"""Timing helpers every topic's ``bench.py`` uses (a floor below the topics and the benchmark).

A topic's ``rows(device, repeats)`` returns :class:`Row` entries; ``python -m explainer.bench``
discovers them and prints one table. Speed is measured here, never by timed tests.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np


@dataclass(frozen=True)
class Row:
    what: str  # the measured figure, as DESIGN.md names it
    value: float  # the measurement
    unit: str  # "s", "ms", "steps/s"
    target: float  # DESIGN.md's target on this kind of device
    higher_is_better: bool = False  # steps/s: yes; times: no
    note: str = ""  # the settings measured

    @property
    def met(self) -> bool:
        return self.value >= self.target if self.higher_is_better else self.value <= self.target


def percentile(samples: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(samples), q))


def time_each(fn: Callable[..., Any], settings: list[tuple], repeats: int) -> list[float]:
    """Seconds per call of ``fn(*s)`` for every setting, ``repeats`` rounds, after one warm-up."""
    fn(*settings[0])
    samples = []
    for _ in range(repeats):
        for s in settings:
            start = time.perf_counter()
            fn(*s)
            samples.append(time.perf_counter() - start)
    return samples


def serialised(view_fn: Callable[..., Any]) -> Callable[..., int]:
    """Compute a view and serialise every figure in it, as the Gradio handler would."""

    def run(*args: Any) -> int:
        view = view_fn(*args)
        return sum(len(v.to_json()) if hasattr(v, "to_json") else len(str(v)) for v in vars(view).values())

    return run
