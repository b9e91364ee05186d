"""Bounded work: every request's computation has a limit known before it starts, enforced inside it.

A live view trains or samples in frames. A frame's work must end within :data:`FRAME_SECONDS`
however the settings were chosen, so that Pause, Reset, a new run or a closed tab (each of which
stops the stream between two frames) takes effect within about a second, and one visitor's
frame never holds a core for long while others wait. :func:`train_for` enforces it inside the
work: it trains in small chunks and stops at the deadline, not only between frames.
"""

from __future__ import annotations

import time
from collections.abc import Callable

FRAME_SECONDS = 1.0  # the longest one streamed frame's work may run
CHUNK_STEPS = 5  # steps between two looks at the clock (a step of a live model is 1-20 ms)


def train_for(train: Callable[[int], object], n_steps: int, seconds: float = FRAME_SECONDS,
              chunk: int = CHUNK_STEPS) -> int:
    """Call ``train(k)`` in chunks of at most ``chunk`` steps until ``n_steps`` are done or
    ``seconds`` have passed (at least one chunk always runs). Returns the steps taken."""
    deadline = time.perf_counter() + seconds
    done = 0
    while done < n_steps:
        k = min(chunk, n_steps - done)
        train(k)
        done += k
        if time.perf_counter() >= deadline:
            break
    return done
