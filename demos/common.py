"""Widgets and error handling shared by every tab.

* :class:`Slider` / :class:`Number` reject what the API can send that the browser never
  would (a string, NaN, infinity) with a ``gr.Error`` naming the control, before Gradio's
  own bounds check trips over it with a bare TypeError.
* :func:`handler` wraps an event function so that an ``InputError`` from ``explainer/``
  reaches the person as a ``gr.Error`` with its message, a GPU out-of-memory is cleaned up
  and explained, and any other failure gives a short message instead of a stack trace.
  Either way the server keeps serving and no other session is touched.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import inspect
import logging
import math
import threading
from collections.abc import Callable, Iterator
from numbers import Real
from pathlib import Path
from typing import Any

import gradio as gr
import plotly.graph_objects as go
import torch
from gradio.components.plot import PlotData

from explainer import figstyle
from explainer.validate import InputError, shown

log = logging.getLogger("explainer")


@dataclasses.dataclass(frozen=True)
class AppOptions:
    """What every tab's ``render(app, options)`` is told when the app is built."""

    device: torch.device  # where the tab's models compute
    hf_model_dirs: tuple[Path, ...] = ()  # local Hugging Face folders offered in the Attention tab


def finite(value: Any) -> bool:
    """A real number (not a bool) that is neither NaN nor infinite, nor too large for a float."""
    try:
        return not isinstance(value, bool) and isinstance(value, Real) and math.isfinite(value)
    except OverflowError:  # an integer too large for a float (10**400 through the API)
        return False


def _finite_number(payload: Any, label: str | None) -> None:
    if not finite(payload):
        raise gr.Error(f"{label or 'This value'} must be a finite number, got {shown(payload)}.", print_exception=False)


class Slider(gr.Slider):
    """gr.Slider that refuses non-numbers and NaN/inf with a message naming the slider."""

    is_template = True  # rendered by the ordinary slider front end

    def get_config(self) -> dict[str, Any]:
        # No ↺ button: it sets the value without an .input event, so the figures would not follow
        # (every tab has its own Reset button, which redraws). Not an __init__ override: Gradio
        # builds the config from __init__'s signature, and *args would drop value, minimum, ….
        return {**super().get_config(), "buttons": []}

    def preprocess(self, payload: Any) -> Any:
        _finite_number(payload, self.label)
        return super().preprocess(payload)


class Number(gr.Number):
    """gr.Number that refuses non-numbers and NaN/inf with a message naming the field."""

    is_template = True

    def preprocess(self, payload: Any) -> Any:
        if payload is None:
            raise gr.Error(f"{self.label or 'This field'} is empty: enter a number.", print_exception=False)
        _finite_number(payload, self.label)
        return super().preprocess(payload)


@contextlib.contextmanager
def _user_errors(name: str):
    """Library exceptions become messages for the person who caused them."""
    try:
        yield
    except gr.Error:
        raise
    except InputError as exc:
        log.info("refused in %s: %s", name, str(exc)[:200])  # one line, no traceback: an expected refusal
        raise gr.Error(str(exc)[:400], print_exception=False) from None
    except torch.OutOfMemoryError:
        if torch.cuda.is_available():
            torch.cuda.empty_cache()
        raise gr.Error("The GPU ran out of memory for this request: try smaller settings.", print_exception=False) from None
    except Exception:
        log.exception("handler %s failed", name)
        raise gr.Error("Something went wrong computing this view; the error is logged. Try other settings.",
                       print_exception=False) from None  # logged above, once


def handler(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap an event function (plain or generator) so failures reach the person as gr.Error."""
    if inspect.isgeneratorfunction(fn):

        @functools.wraps(fn)
        def streamed(*args: Any, **kwargs: Any) -> Iterator[Any]:
            with _user_errors(fn.__name__):
                yield from fn(*args, **kwargs)

        return streamed

    @functools.wraps(fn)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        with _user_errors(fn.__name__):
            return fn(*args, **kwargs)

    return wrapped


def caption(text: str) -> gr.Markdown:
    """The sentence or two under a figure that says what the person is looking at."""
    return gr.Markdown(text, elem_classes=["caption"])


class Plot(gr.Plot):
    """``gr.Plot`` that writes a Plotly figure's JSON with :func:`explainer.figstyle.to_json`: the same
    text as Gradio's ``fig.to_json()``, without plotly.py's deep copy of every array (a light view's
    figures are serialised on every change; Sinusoidal's five 4.5 → 2.8 ms)."""

    def postprocess(self, value: Any) -> PlotData | None:
        if isinstance(value, go.Figure):
            return PlotData(type="plotly", plot=figstyle.to_json(value))
        return super().postprocess(value)


def plot(label: str, *, render: bool = True) -> Plot:
    return Plot(label=label, show_label=False, render=render)


def view_handler(view_fn: Callable[..., Any]) -> Callable[..., tuple]:
    """An event function returning every figure of a view dataclass, in field order."""

    @handler
    @functools.wraps(view_fn)
    def run(*args: Any) -> tuple:
        view = view_fn(*args)
        return tuple(getattr(view, f.name) for f in dataclasses.fields(view))

    return run


# --- One way to wire events (every tab) -------------------------------------------------------
# Light events (a slider, a dropdown, a click that recomputes one view) share one concurrency
# group across the app; heavy events (training, sampling loops) share another, sized to the
# cores, so a long job never makes a slider wait and two trainings never fight for one core.
# A light event answers in about a tenth of a second (its handler is ≤ 100 ms, `explainer.bench`), so
# it shows no progress overlay: laying one over each output and taking it off again cost the page
# ~30 ms a change (Sinusoidal, 5 figures: click → painted p50 ~200 → ~155 ms in headless Chromium) for a
# spinner that would only flicker. Long work (the heavy events) keeps its progress.
LIGHT = {"concurrency_id": "light", "concurrency_limit": 4, "show_progress": "hidden"}
HEAVY = {"concurrency_id": "heavy", "concurrency_limit": None}  # set from the cores in heavy()


HEAVY_PER_CORE = 16  # live loops at once per core. A stream holds its slot while it sleeps between frames
# and while it waits for HEAVY_WORK, so slots are cheap: with 4 per core, 60 visitors' trainings queued
# 35 s for a slot (load test); the CPU is shared by HEAVY_WORK below, frame by frame.


def heavy() -> dict[str, Any]:
    """Concurrency for training / sampling loops: HEAVY_PER_CORE per core, shared by every visitor."""
    from explainer.device import available_cores

    return {**HEAVY, "concurrency_limit": HEAVY_PER_CORE * max(1, available_cores())}


def _work_slots() -> int:
    from explainer.device import available_cores

    return max(1, available_cores() - 1)


# The heavy work itself (a frame's training or sampling, a multi-second view) runs in at most
# cores − 1 threads at a time: live views of every visitor take turns frame by frame, and one
# core stays free for the light views (the load test: light p95 went from 0.7 s to 2.6 s when
# eight live loops computed at once on 2 cores).
HEAVY_WORK = threading.BoundedSemaphore(_work_slots())


def heavy_work(fn: Callable[..., Any]) -> Callable[..., Any]:
    """A plain (not streamed) heavy event function, run while holding a HEAVY_WORK slot."""

    @functools.wraps(fn)
    def run(*args: Any, **kwargs: Any) -> Any:
        with HEAVY_WORK:
            return fn(*args, **kwargs)

    return run


def on_gpu(fn: Callable[..., Any], seconds: int = 120) -> Callable[..., Any]:
    """Hugging Face ZeroGPU: a GPU is attached to the process only while a ``spaces.GPU`` call runs.

    Heavy events (training, sampling loops) are wrapped when the ``spaces`` package is installed
    (it is on Spaces, not in our requirements); anywhere else this returns ``fn`` unchanged.
    ``seconds`` is the most one call may hold the GPU (our streams end by then).
    """
    try:
        import spaces
    except ImportError:
        return fn
    return spaces.GPU(duration=seconds)(fn)


def redraw(triggers: list, fn: Callable[..., Any], inputs: list, outputs: list, *, api_name: str,
           **kwargs: Any) -> Any:
    """Wire a pure view: every trigger recomputes it; only the last of a burst of events runs.

    ``trigger_mode="always_last"``: while one computation runs, further changes are not
    queued one by one; only the latest value runs after it. That settles on the last value
    only when each trigger starts this one event: Gradio re-sends the whole trigger, so two
    views on one trigger re-run each other. Prefer ``.input`` triggers for controls (``.change``
    also fires when a reply sets the value), as the Attention and Positional tabs do.
    """
    return gr.on(triggers, fn, inputs, outputs, api_name=api_name, trigger_mode="always_last",
                 **{**LIGHT, **kwargs})


def draw_when_opened(triggers: list, draw: Callable[[], Any], outputs: list, *, api_name: str) -> None:
    """Draw a view the first time its tab is opened, from its controls' defaults.

    Not on page load: a room of visitors opening the page at once would queue one event per
    view each. The controls cannot have moved before their tab was first seen, so the server
    draws their defaults; the event sends no values, and later visits redraw nothing.
    ``draw()`` returns the outputs in order, or a dict keyed by output component. Call it inside
    the tab (its ``gr.State`` is placed where it is called: among a ``gr.Tabs``' children it
    would shift every tab after it).
    """
    drawn = gr.State(False)

    @handler
    def first(already: bool) -> tuple:
        if already:
            return (*(gr.skip() for _ in outputs), True)
        result = draw()
        if isinstance(result, dict):
            result = [result.get(c, gr.skip()) for c in outputs]
        return (*result, True)

    gr.on(triggers, first, [drawn], [*outputs, drawn], api_name=api_name, api_visibility="undocumented",
          trigger_mode="always_last", **LIGHT)


class _LiveViews:
    """At most one live view (training or denoising stream) per visitor: starting one stops the other.

    A visitor is a Gradio session (``session_hash``). The registry holds one token per visitor while
    a stream runs; a newer stream marks the older token stopped, and the older loop ends at its next
    frame (within ``frame_seconds`` plus one frame's work). Not state of a person's run, only which
    loop may go on, so this lock-guarded dict is the server's, like :data:`HEAVY_WORK`.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running: dict[str, threading.Event] = {}

    @contextlib.contextmanager
    def hold(self, visitor: str | None) -> Iterator[threading.Event]:
        stop = threading.Event()
        if visitor is None:  # called outside a request (a script, a test): nothing to share
            yield stop
            return
        with self._lock:
            older = self._running.get(visitor)
            if older is not None:
                older.set()
            self._running[visitor] = stop
        try:
            yield stop
        finally:
            with self._lock:
                if self._running.get(visitor) is stop:
                    del self._running[visitor]

    def running(self) -> int:
        with self._lock:
            return len(self._running)


LIVE_VIEWS = _LiveViews()


def _visitor() -> str | None:
    """The session of the request being served (Gradio sets it for the event's thread), else None."""
    from gradio.context import LocalContext

    request = LocalContext.request.get(None)
    return getattr(request, "session_hash", None) if request is not None else None


FRAMES_PER_CORE = 10  # frames per second the server builds and sends, all live views together, per core


def _frame_period(frame_seconds: float) -> float:
    """Seconds between two frames of one live view: its own pace when it runs alone, slower when many run.

    Building and sending a frame costs the server 5-20 ms. A live view running alone keeps its own pace
    (20-25 frames a second: a presenter); with several running they share FRAMES_PER_CORE × cores frames
    a second, so the light views keep a core (the 60-visitor load test: light p95 went from 0.6 s to 1.5 s
    when every live view sent 20 frames a second; from 0.47-0.65 s to 0.40-0.57 s when the budget went
    from 15 to 10). Alone, the budget's 20 a second on 2 cores had capped the GAN plane at ~19.5.
    """
    from explainer.device import available_cores

    running = LIVE_VIEWS.running()
    if running <= 1:
        return frame_seconds
    return max(frame_seconds, running / (FRAMES_PER_CORE * max(1, available_cores())))


def stream(
    advance: Callable[[], Any],
    frame: Callable[[bool], tuple],
    *,
    finished: Callable[[], bool],
    frame_seconds: float,
    max_seconds: float,
) -> Iterator[tuple]:
    """The frame loop of every live view (GAN training, diffusion denoising, VAE training).

    Calls ``advance()`` (one chunk of work), then yields ``frame(last)`` (the outputs to
    send; ``last`` is True on the final frame so a view can send what it skips in between),
    pacing frames at least ``frame_seconds`` apart so the browser can paint each one, until
    ``finished()`` or ``max_seconds`` have passed. Pause is a Gradio ``cancels=[...]`` on the
    event: cancelling closes this generator between frames. ``advance()`` runs holding a
    :data:`HEAVY_WORK` slot, so every visitor's live views take turns on the cores; a visitor runs
    one live view at a time (:data:`LIVE_VIEWS`): starting another, in any tab, ends this one.
    """
    import time

    deadline = time.monotonic() + max_seconds
    with LIVE_VIEWS.hold(_visitor()) as stopped:
        sent_last = True  # nothing sent yet: nothing to close
        while not finished() and time.monotonic() < deadline and not stopped.is_set():
            start = time.monotonic()
            with HEAVY_WORK:  # the work only: figures, sending and pacing run outside the slot
                advance()
            last = finished() or time.monotonic() >= deadline or stopped.is_set()
            yield frame(last)
            sent_last = last
            if not last:  # pace the frames; a newer live view of this visitor wakes it at once
                stopped.wait(max(0.0, _frame_period(frame_seconds) - (time.monotonic() - start)))
        if not sent_last:  # ended between frames (the clock, or another live view): a last frame
            yield frame(True)
