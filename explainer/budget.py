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


def train_timed(train: Callable[[int], object], n_steps: int, remaining: int,
                seconds: float = FRAME_SECONDS, chunk: int = CHUNK_STEPS) -> tuple[int, float]:
    """:func:`train_for` a live run's frame: at most ``n_steps``, never past the ``remaining`` steps of
    the run, stopping at ``seconds``. Returns (steps taken, wall seconds spent) for the run's steps/s."""
    n = min(n_steps, remaining)
    if n <= 0:
        return 0, 0.0
    start = time.perf_counter()
    done = train_for(train, n, seconds, chunk=chunk)
    return done, time.perf_counter() - start


class StepPace:
    """How many training steps fit in one frame of a live view, at the rate this stream measured.

    A live view sends a frame every few tens of milliseconds and trains only ``budget`` seconds of
    it. The first frame trains ``probe`` steps to measure the rate; later frames train as many steps
    as the rate (an exponential average, 0.7 old + 0.3 new) says fit in ``budget``, at least one and
    at most ``cap`` (the person's Speed setting).
    """

    def __init__(self, cap: int, budget: float, probe: int = 3) -> None:
        self.cap, self.budget, self.probe = cap, budget, probe
        self.rate: float | None = None  # steps per second, measured in this stream

    def steps(self) -> int:
        if self.rate is None:
            return min(self.cap, self.probe)
        return max(1, min(self.cap, int(self.rate * self.budget)))

    def advance(self, train: Callable[[int], object], count: Callable[[], int]) -> None:
        """``train(n)`` for this frame's steps; ``count()`` reads the steps done so far (to measure the rate)."""
        start, before = time.perf_counter(), count()
        train(self.steps())
        rate = (count() - before) / max(time.perf_counter() - start, 1e-6)
        self.rate = rate if self.rate is None else 0.7 * self.rate + 0.3 * rate


class Every:
    """A clock for a stream's slower outputs (curves, a status line): ``due(force)`` is True at most
    once per ``seconds``, or when forced (the last frame); ``first_due`` makes the first call due."""

    def __init__(self, seconds: float, *, first_due: bool = False) -> None:
        self.seconds = seconds
        self.sent = time.monotonic() - (seconds if first_due else 0.0)

    def due(self, force: bool = False) -> bool:
        if force or time.monotonic() - self.sent >= self.seconds:
            self.sent = time.monotonic()
            return True
        return False
