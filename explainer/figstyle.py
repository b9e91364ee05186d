"""Shared look of every figure: readable on a projector, compact to send, quick to build.

Figures are built by pure functions in each topic's ``*_figures`` module as plain Plotly
dicts and wrapped by :func:`figure`. Plotly's per-property validation costs 10–40 ms a
figure (more with subplots), too slow for a slider, so it is skipped at run time; the
tests pass every figure through Plotly's full validator instead (``validated``).
This module also holds the rule for thinning large matrices so a heatmap never sends more
cells than a screen can show.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import plotly.graph_objects as go
from _plotly_utils.utils import is_homogeneous_array, is_skipped_key, to_typed_array_spec
from plotly.colors import get_colorscale
from plotly.io.json import to_json_plotly

FONT_SIZE = 14  # large enough to read from the back of a workshop room
# Colour scales as explicit [position, colour] lists: names like "RdBu_r" are a plotly.py
# feature that plotly.js does not know, and figures here skip plotly.py's validation.
# All are safe for colour-blind readers (about 1 man in 12 sees red and green alike):
# - DIVERGING is ColorBrewer's RdBu, marked colour-blind safe by its authors: its two arms
#   differ in lightness and along the blue–yellow axis every form of colour blindness keeps
#   (red reads as dark ochre, blue stays blue). Red–green scales (RdYlGn, PiYG) are not used.
# - SEQUENTIAL is viridis (van der Walt & Smith): lightness rises steadily, so it reads in
#   grey-scale print and under every colour-vision deficiency.
# - NEGATIVE is a single hue (blue) whose lightness carries the value.
DIVERGING = get_colorscale("RdBu_r")  # signed values: blue < 0 < red, white at 0
SEQUENTIAL = get_colorscale("Viridis")  # non-negative values (weights, probabilities)
NEGATIVE = get_colorscale("Blues_r")  # values ≤ 0: dark blue most negative, white at 0
# Qualitative colours for traces: Okabe & Ito's palette (2008), told apart under every common
# colour-vision deficiency. Ordered like Plotly's and D3's defaults (blue, orange, green, red,
# purple, …) so "the blue line" and "the orange line" stay true; the pale yellow comes last,
# as it is faint on white. Plotly's own default colourway puts red (#EF553B) next to green
# (#00CC96), a pair red–green colour-blind readers cannot tell apart.
OKABE_ITO = {
    "blue": "#0072B2", "orange": "#E69F00", "green": "#009E73", "vermillion": "#D55E00",
    "purple": "#CC79A7", "sky blue": "#56B4E9", "black": "#000000", "yellow": "#F0E442",
}
QUALITATIVE = list(OKABE_ITO.values())  # layout.colorway of every figure: traces without a colour take these in turn
GRID = "#e5e5e5"  # light grid lines on white
ZERO = "#999"  # zero lines and axis lines
MAX_CELLS_PER_AXIS = 256  # a heatmap shows at most this many rows and columns

# "ticklabeloverflow": "allow": Plotly's default for numeric axes ("hide past div") measures every tick
# label on every draw to hide those that would cross the figure's edge, which automargin already
# prevents; skipping it made the Sinusoidal tab's five figures draw ~20 % faster in Chromium.
AXIS_STYLE = {"gridcolor": GRID, "zerolinecolor": ZERO, "linecolor": ZERO, "automargin": True, "ticklabeloverflow": "allow"}


def axis(title: str, **kwargs: Any) -> dict[str, Any]:
    """An axis dict in the house style with a title (say the unit in it)."""
    return {**AXIS_STYLE, "title": {"text": title}, **kwargs}


def figure(data: list[dict[str, Any]], *, title: str, height: int = 380, **layout: Any) -> go.Figure:
    """Wrap trace dicts and layout entries into a figure in the house style."""
    base = {
        "title": {"text": title, "x": 0.01, "xanchor": "left"},
        "height": height,
        "font": {"size": FONT_SIZE, "color": "#222"},
        "colorway": QUALITATIVE,
        "plot_bgcolor": "white",
        "paper_bgcolor": "white",
        "margin": {"l": 60, "r": 20, "t": 60, "b": 50},
        "xaxis": dict(AXIS_STYLE),
        "yaxis": dict(AXIS_STYLE),
    }
    return go.Figure({"data": data, "layout": {**base, **layout}}, _validate=False)


def _typed(value: Any, key: str | None = None) -> Any:
    """``value`` with each numpy array as Plotly's base64 typed array (``convert_to_base64``'s rule), the
    containers copied and the arrays left as they are."""
    if isinstance(value, dict):
        return {k: _typed(v, k) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_typed(v) for v in value]
    if not (key and is_skipped_key(key)) and is_homogeneous_array(value):
        return to_typed_array_spec(value)
    return value



def to_json(fig: go.Figure) -> str:
    """The figure as Plotly JSON: the same text as ``fig.to_json()`` (a test compares them), without the
    deep copy of every array plotly.py makes first (~40 % of its time for the Sinusoidal tab's five
    figures; every figure a handler returns is serialised once per change)."""
    if fig._frame_objs:  # animation frames: none here, but plotly.py knows how
        return fig.to_json()
    data = [{k: v for k, v in trace.items() if k != "uid"} for trace in fig._data]  # to_json drops uids
    return to_json_plotly({"data": _typed(data), "layout": _typed(fig._layout)})


def validated(fig: go.Figure) -> go.Figure:
    """Rebuild ``fig`` through Plotly's validator; raises ValueError on any bad property."""
    return go.Figure(fig.to_dict())


def hline(y: float, text: str, *, position: str = "right", log: bool = False) -> tuple[dict[str, Any], dict[str, Any]]:
    """A dashed horizontal reference line across the plot, and its label (shape, annotation).

    On a log axis plotly.js places annotations by log10 of the value (shapes by the value
    itself, as the browser test's screenshots showed): pass ``log``.
    """
    shape = {"type": "line", "xref": "paper", "x0": 0, "x1": 1, "y0": y, "y1": y,
             "line": {"dash": "dash", "color": "grey", "width": 1}}
    note = {"xref": "paper", "x": 1 if position == "right" else 0, "xanchor": position, "y": math.log10(y) if log else y,
            "yanchor": "bottom", "text": text, "showarrow": False, "font": {"color": "grey"}}
    return shape, note


def subplot_grid(n: int, cols: int, *, hgap: float = 0.04, vgap: float = 0.08) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """Layout axes for ``n`` panels in a grid (row-major) and each panel's (xref, yref).

    A hand-made ``make_subplots``: that helper costs ~60 ms a call.
    """
    rows = math.ceil(n / cols)
    width = (1 - hgap * (cols - 1)) / cols
    height = (1 - vgap * (rows - 1)) / rows
    axes: dict[str, Any] = {}
    refs = []
    for k in range(n):
        r, c = divmod(k, cols)
        suffix = "" if k == 0 else str(k + 1)
        x0, y1 = c * (width + hgap), 1 - r * (height + vgap)
        xd = [round(max(0.0, x0), 6), round(min(1.0, x0 + width), 6)]
        yd = [round(max(0.0, y1 - height), 6), round(min(1.0, y1), 6)]
        axes[f"xaxis{suffix}"] = {**AXIS_STYLE, "domain": xd, "anchor": f"y{suffix}"}
        axes[f"yaxis{suffix}"] = {**AXIS_STYLE, "domain": yd, "anchor": f"x{suffix}"}
        refs.append((f"x{suffix}", f"y{suffix}"))
    return axes, refs


def panel_title(text: str, xref: str, yref: str, layout: dict[str, Any]) -> dict[str, Any]:
    """An annotation centred above a grid panel, like make_subplots' subplot titles."""
    xd = layout["xaxis" + xref[1:]]["domain"]
    yd = layout["yaxis" + yref[1:]]["domain"]
    return {"text": text, "xref": "paper", "yref": "paper", "x": (xd[0] + xd[1]) / 2, "y": yd[1],
            "xanchor": "center", "yanchor": "bottom", "showarrow": False}


def stride_for(n: int, limit: int = MAX_CELLS_PER_AXIS) -> int:
    """Step k such that taking every k-th of n items leaves at most ``limit``."""
    return max(1, math.ceil(n / limit))


def thin(n: int, limit: int = MAX_CELLS_PER_AXIS) -> np.ndarray:
    """Indices 0, k, 2k, … of n items, at most ``limit`` of them."""
    return np.arange(0, n, stride_for(n, limit))


def _ordinal(k: int) -> str:
    suffix = "th" if k % 100 in (11, 12, 13) else {1: "st", 2: "nd", 3: "rd"}.get(k % 10, "th")
    return f"{k}{suffix}"


def thinning_note(*axes: tuple[int, str], limit: int = MAX_CELLS_PER_AXIS) -> str:
    """'' when nothing is dropped, else e.g. ' (every 8th position and every 4th dimension shown)'.

    Each axis is ``(n, what)``: the full count along it and the name of one item.
    """
    parts = [f"every {_ordinal(stride_for(n, limit))} {what}" for n, what in axes if stride_for(n, limit) > 1]
    return f" ({' and '.join(parts)} shown)" if parts else ""


def compact(values: np.ndarray, decimals: int = 4) -> np.ndarray:
    """float32, rounded: what a figure needs, half the bytes of float64 on the wire."""
    return np.round(np.asarray(values, dtype=np.float64), decimals).astype(np.float32)


TILE_GAP = 1  # blank (NaN) pixels between tiles of an image grid


def tile(images: np.ndarray, gap: int = TILE_GAP) -> np.ndarray:
    """Images (R, C, h, w) -> one array (R·h + (R−1)·gap, C·w + (C−1)·gap) with NaN gaps (row 0 at the top).

    One heatmap of the whole grid is far cheaper to send and draw than R × C small ones.
    """
    images = np.asarray(images, np.float32)
    rows, cols, h, w = images.shape
    out = np.full((rows * (h + gap) - gap, cols * (w + gap) - gap), np.nan, np.float32)
    for r in range(rows):
        for c in range(cols):
            out[r * (h + gap): r * (h + gap) + h, c * (w + gap): c * (w + gap) + w] = images[r, c]
    return out
