"""A live Plotly figure that moves smoothly: one Plotly div, each new frame applied in place.

Why not ``gr.Plot``: Gradio 6.31's plot component draws every new value into a *fresh* ``<div>``
and then resizes it (two full Plotly draws, ~85 ms each in headless Chromium on a 2-core machine),
so a live view could not go faster than ~4 frames/s without the browser falling behind, queueing
frames and no longer answering clicks. :class:`LivePlot` is a ``gr.HTML`` whose JavaScript keeps
ONE Plotly div and hands each frame to ``Plotly.react``, which redraws only what changed.

What travels per frame is compact (:class:`FrameEncoder`): the first frame of a run is a
*keyframe*, the whole figure as Plotly JSON; every later frame is a *delta* naming its keyframe
and carrying only the trace attributes and layout entries whose JSON changed (the moving points,
the heatmap, the title), not the axes, legend, colour scale or real data. A keyframe is re-sent
every ``keyframe_every`` frames, so a page that missed one catches up within a few seconds.
The browser draws at most one frame per animation frame and skips stale ones: when it is
busy, it shows the newest frame next instead of working through a queue, so clicks stay quick.
Between two whole redraws (``Plotly.react``, at most every ``FULL_REDRAW_MS``, and for each new
keyframe) a frame is drawn *in place*, in the SVG Plotly drew, without Plotly: points and arrow
heads moved, line segments re-pathed, heatmap cells recoloured, the title's text replaced (a few
ms instead of 35-90 ms; ``window.__liveMoves`` counts these frames). A change it cannot draw so (a
new style, an empty trace, another layout entry) waits at most a quarter of a second for a whole redraw;
when frames stop, the last one is drawn whole.

Usage (any tab)::

    plane = LivePlot(label="Data plane", elem_id="gan-plane")   # in the layout
    return fig                           # from a plain event: a keyframe of the figure
    frames = FrameEncoder()              # in a streamed event, one per stream and plot ...
    yield frames.encode(fig)             # ... keyframe first, deltas after

Each frame the page paints increments ``window.__livePaints`` (the browser tests count it).
Plotly is the one Gradio's front end already loaded for ``gr.Plot``; if none appears, the copy
shipped in the plotly package is loaded from this server (offline, no CDN).
"""

from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import Any

import gradio as gr
import plotly.graph_objects as go

from explainer import figstyle

SCRIPT = Path(__file__).resolve().parent.parent / "assets" / "static" / "liveplot.js"
PLOTLY_SRC = "explainer/plotly.min.js"  # relative to the page; served by demos.figure_tools.ScriptFiles
KEYFRAME_EVERY = 80  # frames between two keyframes (4 s at 20 frames/s)
FULL_REDRAW_MS = 2000  # the browser redraws the whole figure at most this often; between, frames are drawn in place


# --- The payload: pure Python, no gradio ------------------------------------------------------------
def _figure_dict(fig: go.Figure | dict) -> dict:
    """The figure as Plotly sends it to the browser (numpy arrays as base64 typed arrays)."""
    return json.loads(figstyle.to_json(fig)) if isinstance(fig, go.Figure) else json.loads(json.dumps(fig))


def _dumps(payload: dict) -> str:
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False)


def keyframe(fig: go.Figure | dict) -> str:
    """A payload holding the whole figure (what a plain, non-streamed event sends)."""
    return FrameEncoder().encode(fig)


class FrameEncoder:
    """Turns the successive figures of one live view into compact payloads (JSON text).

    A keyframe is ``{"key": id, "data": [...], "layout": {...}}``; a delta is
    ``{"base": id, "data": [{changed attributes} per trace], "layout": {changed entries}}``.
    A figure whose traces differ in number or type from the keyframe's, or that drops an
    attribute, becomes a new keyframe. One encoder per stream and per plot (never shared
    between visitors: it remembers what it sent).
    """

    def __init__(self, keyframe_every: int = KEYFRAME_EVERY) -> None:
        self.keyframe_every = keyframe_every
        self._key: dict | None = None  # the last keyframe sent (figure dict with its id)
        self._since = 0  # deltas sent since that keyframe

    def encode(self, fig: go.Figure | dict) -> str:
        new = _figure_dict(fig)
        delta = self._delta(new) if self._key is not None and self._since < self.keyframe_every else None
        if delta is None:  # a new keyframe
            self._key, self._since = {**new, "key": secrets.token_hex(4)}, 0
            return _dumps({"key": self._key["key"], "data": new.get("data", []), "layout": new.get("layout", {})})
        self._since += 1
        return _dumps(delta)

    def _delta(self, new: dict) -> dict | None:
        old_data, new_data = self._key.get("data", []), new.get("data", [])
        if [t.get("type") for t in old_data] != [t.get("type") for t in new_data]:
            return None
        traces = []
        for old, trace in zip(old_data, new_data):
            if set(old) - set(trace):  # an attribute left: a merge could not remove it
                return None
            traces.append({k: v for k, v in trace.items() if old.get(k) != v})
        old_layout, layout = self._key.get("layout", {}), new.get("layout", {})
        if set(old_layout) - set(layout):
            return None
        return {"base": self._key["key"], "data": traces,
                "layout": {k: v for k, v in layout.items() if old_layout.get(k) != v}}


def decode(payload: str | None, key: dict | None = None) -> dict | None:
    """The full figure dict a payload stands for (what the browser draws), for tests and API readers.

    ``key`` is the decoded keyframe a delta refers to; a keyframe needs none. A delta whose
    keyframe is not ``key`` raises ValueError.
    """
    if payload is None:
        return None
    p = json.loads(payload)
    if "key" in p:
        return {"data": p["data"], "layout": p["layout"], "key": p["key"]}
    if key is None or key.get("key") != p["base"]:
        raise ValueError(f"a delta of keyframe {p['base']!r} without that keyframe")
    data = [{**trace, **change} for trace, change in zip(key["data"], p["data"])]
    return {"data": data, "layout": {**key["layout"], **p["layout"]}, "key": key["key"]}


# --- The component --------------------------------------------------------------------------------
TEMPLATE = '<div class="liveplot-figure"></div>'  # never mentions ${value}: the div is never re-rendered
CSS = ".liveplot-figure { width: 100%; min-height: 120px; }"

# Runs once when the component mounts (assets/static/liveplot.js).
JS = SCRIPT.read_text(encoding="utf-8")


class LivePlot(gr.HTML):
    """A Plotly figure updated in place. Takes a ``go.Figure`` (sent as a keyframe), a payload
    from :class:`FrameEncoder` (sent as it is), or None (an empty plot)."""

    def __init__(self, value: Any = None, *, label: str | None = None, elem_id: str | None = None,
                 visible: bool = True, render: bool = True, **kwargs: Any) -> None:
        super().__init__(value, label=label, html_template=TEMPLATE, css_template=CSS, js_on_load=JS,
                         elem_id=elem_id, visible=visible, render=render, padding=False,
                         plotly_src=PLOTLY_SRC, full_redraw_ms=FULL_REDRAW_MS, **kwargs)

    def postprocess(self, value: Any) -> str | None:
        if value is None or isinstance(value, str):
            return value
        return keyframe(value)
