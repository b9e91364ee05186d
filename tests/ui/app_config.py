"""Walking a built Gradio app generically: its tabs, its named events, their Slider inputs, and
calling one event exactly as the server would (preprocess → function → postprocess).

Nothing here names a tab or a control: whatever tabs ``app.build_app`` composes are covered,
so a new tab is tested as soon as it is registered in app.py.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import base64
import dataclasses
import json
import math
import re
from typing import Any

import gradio as gr
from gradio.state_holder import SessionState

GENERIC = "Something went wrong"  # the catch-all message of demos.common._user_errors: never acceptable
DATA_KEYS = ("x", "y", "z", "values", "r", "theta", "lat", "lon", "u", "v", "a", "b", "open", "close")
SMALL_RANGE = 8  # a slider with at most this many positions is tried at every one of them (else a sample)


@dataclasses.dataclass(frozen=True)
class ControlInput:
    """One control (a Slider, a Textbox, …) feeding one named event."""

    event: Any  # gradio.blocks.BlockFunction
    position: int  # index of the control among the event's inputs
    control: Any  # the gr component

    @property
    def where(self) -> str:
        kind = type(self.control).__name__.lower()  # slider, textbox, …
        return f"{tab_path(self.control)} · event {self.event.api_name!r} · {kind} {self.control.label!r}"


def tab_path(block: Any) -> str:
    """'Positional encodings › Sinusoidal' for a component inside those tabs ('(no tab)' outside any)."""
    labels = []
    node = block
    while node is not None:
        if isinstance(node, gr.Tab):
            labels.append(str(node.label))
        node = getattr(node, "parent", None)
    return " › ".join(reversed(labels)) or "(no tab)"


def named_events(app: gr.Blocks) -> list:
    """Every event the server computes (has a Python function) and exposes by api_name."""
    return [bf for bf in app.fns.values() if bf.fn is not None and bf.api_name]


def control_inputs(app: gr.Blocks, kind: type = gr.Slider) -> list[ControlInput]:
    """Every (event, control of this kind) pair: a slider feeding three events is tried against all
    three, but events running the same function on the same inputs (one handler, several triggers) once."""
    pairs, seen = [], set()
    for bf in named_events(app):
        key = (bf.fn, tuple(c._id for c in bf.inputs), tuple(c._id for c in bf.outputs))
        if key in seen:
            continue
        seen.add(key)
        for i, component in enumerate(bf.inputs):
            if isinstance(component, kind) and component.interactive is not False:
                pairs.append(ControlInput(bf, i, component))
    return pairs


def _clean(value: float, integral: bool) -> float | int:
    return int(round(value)) if integral else round(value, 10)


def slider_values(slider: gr.Slider, small: int = SMALL_RANGE) -> list[float | int]:
    """Values the widget offers: every one for a short range, else both ends, their neighbours,
    the quartiles and the default. Positions are min + k·step (the range input's grid) and max."""
    lo, hi, step = float(slider.minimum), float(slider.maximum), float(slider.step or 1)
    integral = all(float(v).is_integer() for v in (lo, hi, step))
    n = int(math.floor((hi - lo) / step + 1e-9))  # grid positions above the minimum
    if n + 1 <= small:
        ks = set(range(n + 1))
    else:
        ks = {0, 1, n // 4, n // 2, (3 * n) // 4, n - 1, n}
    values = {_clean(lo + k * step, integral) for k in ks} | {_clean(hi, integral)}
    if isinstance(slider.value, (int, float)) and not isinstance(slider.value, bool) and lo <= slider.value <= hi:
        values.add(_clean(float(slider.value), integral))
    return sorted(values)


def text_values(box: gr.Textbox) -> list[str]:
    """Texts a person can type: empty, blank, far too long, emoji and accents, the default three
    times over, and only the special tokens the box mentions (e.g. '[MASK]' five times)."""
    default = str(box.value or "")
    special = sorted(set(re.findall(r"\[[A-Z]+\]", f"{default} {box.label or ''}")))
    values = ["", "   ", "x" * 3000, "😀 héllo ünïcode", " ".join([default] * 3)]
    values += [" ".join([token] * 5) for token in special]
    return values


def slider_ends(slider: gr.Slider) -> list[float | int]:
    """Both ends of the range: where most range bugs live (d_model = 2 with a default that needs 33)."""
    values = slider_values(slider)
    return sorted({values[0], values[-1]})


def slider_inside(slider: gr.Slider) -> list[float | int]:
    """The interior of :func:`slider_values`: the ends' neighbours, the middle and the default (every
    interior position of a range of up to 5; a fuller sample made this sweep the suite's slowest test)."""
    ends = set(slider_ends(slider))
    inside = [v for v in slider_values(slider) if v not in ends]
    if len(inside) <= 3:
        return inside
    keep = {inside[0], inside[len(inside) // 2], inside[-1]}
    if isinstance(slider.value, (int, float)) and slider.value in inside:
        keep.add(slider.value)
    return sorted(keep)


def defaults(bf: Any) -> list:
    """The event's inputs at the values their components start with (State: filled in by the server)."""
    return [None if getattr(c, "stateful", False) else c.value for c in bf.inputs]


async def call_event(app: gr.Blocks, bf: Any, inputs: list, max_frames: int = 2) -> list[list]:
    """Run ``bf`` as the queue would, in a fresh session; a generator gives at most ``max_frames``
    frames (then it is closed, as a Pause would). Returns each frame's postprocessed outputs.
    A gr.Error (or anything else) raised by preprocess, the function or postprocess propagates."""
    state = SessionState(app)
    frames = []
    out = await app.process_api(bf, list(inputs), state=state)
    frames.append(out["data"])
    iterator = out.get("iterator")
    try:
        while out.get("is_generating") and iterator is not None and len(frames) < max_frames:
            out = await app.process_api(bf, list(inputs), state=state, iterator=iterator)
            if not out.get("is_generating") and all(v is None for v in out["data"]):
                break  # the generator ended: Gradio sends an empty end-of-stream frame
            frames.append(out["data"])
    finally:
        if iterator is not None and hasattr(iterator, "aclose"):
            await iterator.aclose()
    return frames


def run(coro):
    """Run a coroutine to completion, also when this thread already has a running event loop
    (Playwright's sync API leaves one behind once a browser test has run in the same session)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


def _has_data(value: Any) -> bool:
    if value is None:
        return False
    if isinstance(value, dict) and "bdata" in value:
        return len(base64.b64decode(value["bdata"])) > 0
    if isinstance(value, (list, tuple)):
        return len(value) > 0
    return True


def _figure_text(fig: dict) -> str:
    layout = fig.get("layout") or {}
    title = layout.get("title")
    title = title.get("text", "") if isinstance(title, dict) else str(title or "")
    notes = " ".join(str(a.get("text", "")) for a in layout.get("annotations") or [])
    return f"{title} {notes}".strip()


def judge_plot(component: Any, value: Any) -> tuple[str, str]:
    """How a postprocessed gr.Plot output would look: ("data", title) when it draws traces with
    data; ("frame", its text) when it is an empty frame with words on it (a refused view's
    placeholder); ("blank", why) when the box would be empty; ("skip", "") when there is nothing to
    judge (not a Plotly plot, hidden at build time or by this update, or an update without a value)."""
    if not isinstance(component, gr.Plot):
        return "skip", ""
    visible = component.visible is not False
    if isinstance(value, dict) and value.get("__type__") == "update":
        visible = value.get("visible", visible) is not False
        if "value" not in value:
            return "skip", ""
        value = value["value"]
    if not visible:
        return "skip", ""
    if value is None:
        return "blank", "a visible plot was sent no figure (blank box)"
    if not isinstance(value, dict) or value.get("type") != "plotly":
        return "skip", ""  # matplotlib / altair / bokeh: not judged here
    fig = json.loads(value["plot"])
    traces = fig.get("data") or []
    text = _figure_text(fig)
    if any(_has_data(trace.get(key)) for trace in traces for key in DATA_KEYS):
        return "data", text
    if text:
        return "frame", text
    return "blank", "figure has no trace with data and no text" if traces else "figure has no trace and no text"


def texts(components: list, values: list) -> list[str]:
    """The text an event sends to its Markdown / HTML / Textbox outputs (updates included)."""
    found = []
    for component, value in zip(components, values):
        if isinstance(value, dict) and value.get("__type__") == "update":
            value = value.get("value")
        if isinstance(component, (gr.Markdown, gr.HTML, gr.Textbox)) and isinstance(value, str) and value.strip():
            found.append(value)
    return found
