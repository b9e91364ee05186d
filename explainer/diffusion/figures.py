"""Plotly figures of the diffusion tab: pure functions from arrays to figures, through figstyle.

No globals, no file or network access. Coordinates are float32 and rounded (``compact``)
so a frame's JSON stays small enough to scrub through.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from explainer.figstyle import SEQUENTIAL, axis, compact, figure, panel_title, subplot_grid, tile

DATA_COLOUR = "#1f77b4"
GUESS_COLOUR = "#2ca02c"
NOISE_COLOUR = "#d62728"
EXACT_COLOUR = "#9467bd"
GREY = "#999"
GREYS = [[0.0, "#ffffff"], [1.0, "#111111"]]  # 0 = white paper, 1 = full ink


def _xy(points: np.ndarray) -> dict:
    return {"x": compact(points[:, 0], 3), "y": compact(points[:, 1], 3)}


def scatter(points: np.ndarray, name: str, colour: str, *, size: int = 4, xref: str = "x", yref: str = "y",
            opacity: float = 0.7) -> dict:
    return {"type": "scattergl" if len(points) > 3000 else "scatter", "mode": "markers", "name": name,
            **_xy(points), "marker": {"size": size, "color": colour, "opacity": opacity},
            "xaxis": xref, "yaxis": yref, "hoverinfo": "skip"}


def arrows(starts: np.ndarray, vectors: np.ndarray, name: str, colour: str, *, length: float,
           xref: str = "x", yref: str = "y", dash: str | None = None, reference: float | None = None) -> dict:
    """Segments start → start + vector·scale (one trace): the longest arrow (or a vector of norm
    ``reference``, so two fields share one scale) is drawn ``length`` long."""
    norm = float(np.linalg.norm(vectors, axis=1).max()) if len(vectors) else 0.0
    end = starts + vectors * (length / max(norm if reference is None else reference, 1e-9))  # (A, 2)
    gap = np.full((len(starts), 1), np.nan, np.float32)
    xs = np.concatenate([starts[:, :1], end[:, :1], gap], axis=1).ravel()
    ys = np.concatenate([starts[:, 1:], end[:, 1:], gap], axis=1).ravel()
    line = {"color": colour, "width": 1.5}
    if dash:
        line["dash"] = dash
    heads = np.tile(np.array([0, 7, 0], np.float32), len(starts))  # an arrowhead at each end point only
    return {"type": "scatter", "mode": "lines+markers", "name": name, "x": compact(xs, 3), "y": compact(ys, 3),
            "line": line, "marker": {"symbol": "arrow", "size": heads, "angleref": "previous", "color": colour},
            "xaxis": xref, "yaxis": yref, "hoverinfo": "skip", "connectgaps": False}


def tracks(paths: np.ndarray, name: str, *, xref: str = "x", yref: str = "y") -> dict:
    """Paths (P, F, 2) of a few points through the frames, as one trace with gaps."""
    gap = np.full((len(paths), 1, 2), np.nan, np.float32)
    joined = np.concatenate([paths, gap], axis=1).reshape(-1, 2)
    return {"type": "scatter", "mode": "lines", "name": name, **_xy(joined),
            "line": {"color": "rgba(255, 127, 14, 0.8)", "width": 1.2}, "xaxis": xref, "yaxis": yref,
            "hoverinfo": "skip", "connectgaps": False}


def build_planes(panels: list[tuple[str, list[dict]]], *, extent: float, title: str, height: int = 460) -> go.Figure:
    """Side-by-side square panels of the plane (x₁, x₂), each a title and its traces."""
    layout, refs = subplot_grid(len(panels), len(panels), hgap=0.06)
    data, notes = [], []
    for (panel, traces), (xref, yref) in zip(panels, refs):
        for trace in traces:
            data.append({**trace, "xaxis": xref, "yaxis": yref})
        notes.append(panel_title(panel, xref, yref, layout))
        layout["xaxis" + xref[1:]].update(axis("x₁", range=[-extent, extent], zeroline=False, constrain="domain"))
        layout["yaxis" + yref[1:]].update(axis("x₂", range=[-extent, extent], zeroline=False,
                                               scaleanchor=xref, scaleratio=1))
    seen = set()
    for trace in data:  # one legend entry per name
        trace["showlegend"] = trace["name"] not in seen
        seen.add(trace["name"])
    return figure(data, title=title, height=height, annotations=notes, uirevision="planes",
                  legend={"orientation": "h", "y": -0.15}, **layout)


def build_digits(images: np.ndarray, *, row_labels: list[str], col_labels: list[str] | None = None,
                 title: str, zrange: tuple[float, float] = (0.0, 1.0), signed: bool = False,
                 height: int | None = None) -> go.Figure:
    """A grid of 8 × 8 images (R, C, 8, 8) as one heatmap; rows and columns labelled."""
    r, c = images.shape[:2]
    tiled = tile(images)
    centres_r = [i * 9 + 3.5 for i in range(r)]
    centres_c = [j * 9 + 3.5 for j in range(c)]
    scale = [[0.0, "#2166ac"], [0.5, "#ffffff"], [1.0, "#b2182b"]] if signed else GREYS
    trace = {"type": "heatmap", "z": compact(tiled, 3), "zmin": zrange[0], "zmax": zrange[1], "colorscale": scale,
             "showscale": signed, "hovertemplate": "value %{z}<extra></extra>"}
    layout = {
        "xaxis": axis("", tickvals=centres_c, ticktext=col_labels or [""] * c, showgrid=False, zeroline=False,
                      constrain="domain", side="top"),
        "yaxis": axis("", tickvals=centres_r, ticktext=row_labels, autorange="reversed", showgrid=False,
                      zeroline=False, scaleanchor="x", scaleratio=1),
    }
    return figure([trace], title=title, height=height or max(220, 90 + 70 * r), **layout,
                  margin={"l": 150, "r": 20, "t": 110, "b": 20})


def build_schedule_curves(curves: dict[str, np.ndarray], *, t_mark: int | None, title: str,
                          colours: dict[str, str] | None = None, dashes: dict[str, str] | None = None) -> go.Figure:
    """Curves of t (name -> (T,) values) on a log y axis, with the current t marked."""
    data = []
    for name, values in curves.items():
        t = np.arange(len(values))
        step = max(1, len(values) // 400)  # at most ~400 points a curve
        line = {"width": 2}
        if colours and name in colours:
            line["color"] = colours[name]
        if dashes and name in dashes:
            line["dash"] = dashes[name]
        data.append({"type": "scatter", "mode": "lines", "name": name, "x": t[::step].tolist() + [int(t[-1])],
                     "y": compact(np.r_[values[::step], values[-1]], 6), "line": line})
    shapes = []
    if t_mark is not None:
        shapes.append({"type": "line", "xref": "x", "yref": "paper", "x0": t_mark, "x1": t_mark, "y0": 0, "y1": 1,
                       "line": {"color": GREY, "dash": "dot", "width": 2}})
    return figure(data, title=title, shapes=shapes, legend={"orientation": "h", "y": -0.25},
                  xaxis=axis("diffusion step t"), yaxis=axis("value (log scale)", type="log", exponentformat="power"))


def build_lines(x: np.ndarray, series: dict[str, np.ndarray | tuple[np.ndarray, np.ndarray]], *, title: str, x_title: str, y_title: str,
                log_x: bool = False, log_y: bool = False, x_mark: float | None = None,
                y2: dict[str, np.ndarray] | None = None, y2_title: str = "", markers: bool = True) -> go.Figure:
    """Line chart(s) against x; optional second y axis; optional vertical marker at x_mark."""
    mode = "lines+markers" if markers else "lines"
    data = []
    for k, v in series.items():  # a value is y (against x) or its own (x, y)
        vx, vy = v if isinstance(v, tuple) else (x, v)
        data.append({"type": "scatter", "mode": mode, "name": k, "x": compact(vx, 4), "y": compact(vy, 4)})
    layout = {"xaxis": axis(x_title, type="log" if log_x else "linear"),
              "yaxis": axis(y_title, type="log" if log_y else "linear")}
    if y2:
        data += [{"type": "scatter", "mode": mode, "name": k, "x": compact(x, 4), "y": compact(v, 4), "yaxis": "y2",
                  "line": {"dash": "dash"}} for k, v in y2.items()]
        layout["yaxis2"] = axis(y2_title, overlaying="y", side="right", showgrid=False)
    if x_mark is not None:
        layout["shapes"] = [{"type": "line", "xref": "x", "yref": "paper", "x0": x_mark, "x1": x_mark, "y0": 0,
                             "y1": 1, "line": {"color": GREY, "dash": "dot", "width": 2}}]
    return figure(data, title=title, legend={"orientation": "h", "y": -0.25}, **layout)


def build_image(values: np.ndarray, *, title: str, signed: bool = False) -> go.Figure:
    """One heatmap over the plane grid (e.g. the exact-vs-learned error), colour bar labelled."""
    scale = SEQUENTIAL if not signed else [[0.0, "#2166ac"], [0.5, "#ffffff"], [1.0, "#b2182b"]]
    return figure([{"type": "heatmap", "z": compact(values, 4), "colorscale": scale}], title=title)
