"""Figures made of 8×8 digits: sheets of samples, the manifold grid, strips, one digit.

Every figure here draws images as one greyscale heatmap per panel: the digits are tiled
into a single array with one blank (NaN) pixel between them, so a 20 × 20 manifold grid is
one 179 × 179 heatmap — a few kilobytes of JSON and one trace for the browser to paint.
Ink is dark on white paper, as in the data set. Builders are pure (arrays in, figure out).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from explainer import figstyle
from explainer.figstyle import TILE_GAP as GAP, tile  # noqa: F401 - tile is part of this module's API

INK = [[0.0, "#ffffff"], [1.0, "#111111"]]  # 0 = white paper, 1 = full ink


def sheet(images: np.ndarray, cols: int) -> np.ndarray:
    """Images (N, h, w) -> (ceil(N / cols), cols, h, w), blank tiles filling the last row."""
    n, h, w = images.shape
    rows = -(-n // cols)
    padded = np.full((rows * cols, h, w), np.nan, np.float32)
    padded[:n] = images
    return padded.reshape(rows, cols, h, w)


def _heatmap(values: np.ndarray, xref: str = "x", yref: str = "y", hover: str = "ink %{z:.2f}") -> dict:
    return {"type": "heatmap", "z": figstyle.compact(values, 3), "zmin": 0, "zmax": 1, "colorscale": INK,
            "showscale": False, "xaxis": xref, "yaxis": yref, "hovertemplate": hover + "<extra></extra>",
            "hoverongaps": False}


def _image_axes(axes: dict, ref: str, title: str = "") -> None:
    suffix = ref[1:]
    x, y = axes.setdefault("xaxis" + suffix, {}), axes.setdefault("yaxis" + suffix, {})
    x.update({"showgrid": False, "zeroline": False, "showticklabels": False, "title": {"text": title},
              "constrain": "domain"})
    y.update({"showgrid": False, "zeroline": False, "showticklabels": False, "autorange": "reversed",
              "scaleanchor": "x" + suffix, "constrain": "domain"})


def build_panels(panels: Sequence[tuple[str, np.ndarray]], *, title: str, cols: int | None = None,
                 height: int = 380, notes: Sequence[str] = ()) -> go.Figure:
    """Side-by-side panels, each (panel title, images (R, C, 8, 8)) tiled as one heatmap.

    ``notes`` (one per panel, optional) are written under each panel (e.g. a measured share).
    """
    cols = cols or len(panels)
    axes, refs = figstyle.subplot_grid(len(panels), cols, hgap=0.05, vgap=0.12)
    data, annotations = [], []
    for k, ((name, images), (xref, yref)) in enumerate(zip(panels, refs)):
        data.append(_heatmap(tile(images), xref, yref))
        _image_axes(axes, xref, notes[k] if k < len(notes) else "")
        annotations.append(figstyle.panel_title(name, xref, yref, axes))
    return figstyle.figure(data, title=title, height=height, annotations=annotations,
                           margin={"l": 20, "r": 20, "t": 80, "b": 40}, **axes)


def build_strips(rows: Sequence[tuple[str, np.ndarray]], *, title: str, height: int = 330) -> go.Figure:
    """One strip of images per row, labelled on the left: rows of (label, images (C, 8, 8))."""
    labels = [name for name, _ in rows]
    stacked = np.stack([np.asarray(images, np.float32) for _, images in rows])  # (R, C, 8, 8)
    z = tile(stacked)
    axes: dict = {}
    _image_axes(axes, "x", "← first digit · straight line in latent space · second digit →")
    step = 8 + GAP
    axes["yaxis"].update({"showticklabels": True, "tickmode": "array",
                          "tickvals": [r * step + 3.5 for r in range(len(labels))], "ticktext": labels})
    return figstyle.figure([_heatmap(z)], title=title, height=height, margin={"l": 110, "r": 20, "t": 60, "b": 50},
                           **axes)


def build_digit_pair(left: tuple[str, np.ndarray], right: tuple[str, np.ndarray], *, title: str,
                     height: int = 300) -> go.Figure:
    """Two single digits side by side (e.g. the input and its reconstruction)."""
    return build_panels([(left[0], left[1][None, None]), (right[0], right[1][None, None])], title=title,
                        height=height)


def build_digit(image: np.ndarray, *, title: str, height: int = 300) -> go.Figure:
    """One 8×8 digit, large."""
    return build_panels([("", np.asarray(image)[None, None])], title=title, height=height)
