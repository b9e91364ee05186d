"""Plotly figures of the CLIP tab: pure functions from arrays to figures, through figstyle.

* the batch similarity matrix (images × captions), its diagonal (the true pairs) marked, the
  digits drawn beside their rows and the captions written under their columns;
* the shared space: image and caption embeddings projected together to 2-D;
* zero-shot results: the confusion matrix, and per-digit accuracy beside the classifier's;
* retrieval: the best images for a caption, the best captions for an image, with their cosines;
* captions under their digits, the attribute measurements with their cut points, the live loss curve.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from explainer import figstyle
from explainer.figstyle import axis, compact, figure, tile

INK = [[0.0, "#ffffff"], [1.0, "#111111"]]  # 0 = white paper, 1 = full ink
# digit k -> colour k: Paul Tol's "muted" scheme and black (the legend and hover name each digit too)
COLOURS = ("#332288", "#88CCEE", "#44AA99", "#117733", "#999933",
           "#DDCC77", "#CC6677", "#882255", "#AA4499", "#000000")
DIAGONAL = figstyle.OKABE_ITO["orange"]
STRIP = 0.12  # share of the width the column of digits takes beside a matrix


def _digits_heatmap(images: np.ndarray, rows: int, cols: int, xref: str = "x", yref: str = "y") -> dict:
    """Images (rows·cols, 8, 8) tiled row-major into one greyscale heatmap."""
    grid = np.full((rows * cols, 8, 8), np.nan, np.float32)
    grid[: len(images)] = images
    return {"type": "heatmap", "z": compact(tile(grid.reshape(rows, cols, 8, 8)), 3), "zmin": 0, "zmax": 1,
            "colorscale": INK, "showscale": False, "xaxis": xref, "yaxis": yref, "hoverongaps": False,
            "hovertemplate": "ink %{z:.2f}<extra></extra>"}


def _image_axis(**kwargs) -> dict:
    return {"showgrid": False, "zeroline": False, "showticklabels": False, "showline": False, **kwargs}


def build_similarity(sims: np.ndarray, images: np.ndarray, texts: Sequence[str], *, title: str,
                     height: int | None = None) -> go.Figure:
    """Cosine similarity of each image (row) with each caption (column), the diagonal marked.

    ``sims`` (B, B): row i is image i, column j caption j, and caption i belongs to image i.
    The digits are drawn in a column at the left, one per row.
    """
    b = len(sims)
    height = height or 340 + 16 * b  # rows stay tall enough to read as the batch grows
    rows = np.arange(b)
    data = [
        _digits_heatmap(images, b, 1, "x2", "y2"),
        {"type": "heatmap", "z": compact(sims, 3), "x": rows.tolist(), "y": rows.tolist(), "zmin": -1, "zmax": 1,
         "colorscale": figstyle.DIVERGING, "colorbar": {"title": {"text": "cosine"}, "thickness": 14},
         "customdata": [[texts[j] for j in range(b)] for _ in range(b)],
         "hovertemplate": "image %{y} × “%{customdata}”<br>cosine %{z:.3f}<extra></extra>"},
        {"type": "scatter", "mode": "markers", "x": rows.tolist(), "y": rows.tolist(), "name": "true pairs",
         "marker": {"symbol": "square-open", "size": max(8, int(300 / b)), "color": DIAGONAL, "line": {"width": 3}},
         "hoverinfo": "skip", "showlegend": True},
    ]
    best = np.argmax(sims, axis=1)
    data.append({"type": "scatter", "mode": "markers", "x": best.tolist(), "y": rows.tolist(),
                 "name": "best caption of each image", "marker": {"symbol": "circle", "size": 6, "color": "black"},
                 "hoverinfo": "skip"})
    ticks = {"tickmode": "array", "tickvals": rows.tolist(), "showgrid": False, "zeroline": False}
    return figure(data, title=title, height=height,
                  xaxis={**axis("caption"), **ticks, "ticktext": list(texts), "tickangle": -45,
                         "domain": [STRIP + 0.03, 1]},
                  yaxis={**axis(""), **ticks, "ticktext": [str(i) for i in rows], "range": [b - 0.5, -0.5]},
                  # the digits' column: tile r spans rows 9r … 9r + 7 of the strip; a range of 9 per digit
                  # makes each tile as tall as a matrix row, so digit r sits beside row r
                  xaxis2=_image_axis(domain=[0, STRIP], anchor="y2", scaleanchor="y2", constrain="domain"),
                  yaxis2=_image_axis(range=[9 * b - 0.5, -0.5], anchor="x2"),
                  legend={"orientation": "h", "y": 1.02, "x": 1, "xanchor": "right", "yanchor": "bottom"},
                  margin={"l": 10, "r": 20, "t": 70, "b": 170})


def build_space(image_xy: np.ndarray, labels: np.ndarray, text_xy: np.ndarray, texts: Sequence[str], *,
                title: str, named: dict[int, str] | None = None, pairs: Sequence[tuple[int, int]] = (),
                axis_prefix: str = "PC", height: int = 540) -> go.Figure:
    """Image embeddings (N, 2 or 3) coloured by digit, caption embeddings (C, 2 or 3) as diamonds.

    ``named`` maps caption indices to a short label written beside their (orange) markers;
    ``pairs`` (image i, caption j) are joined by a thin line (an image and its own caption).
    Three columns make a 3-D scatter the reader can turn.
    """
    dims = image_xy.shape[1]
    kind = "scatter3d" if dims == 3 else "scatter"
    keys = ("x", "y", "z")[:dims]

    def coords(points: np.ndarray) -> dict:
        c = compact(points, 3)
        return {key: c[:, d] for d, key in enumerate(keys)}

    data: list[dict] = []
    if len(pairs):
        gap = np.full(dims, np.nan)  # a break between two segments of the one line trace
        joined = np.concatenate([np.stack([image_xy[i], text_xy[j], gap]) for i, j in pairs])  # (3P, dims)
        data.append({"type": kind, "mode": "lines", **coords(joined), "name": "image — its caption",
                     "line": {"color": "#999", "width": 2}, "hoverinfo": "skip", "connectgaps": False})
    marker_size = 3 if dims == 3 else 6
    for k in range(10):
        sel = labels == k
        if sel.any():
            data.append({"type": kind, "mode": "markers", **coords(image_xy[sel]), "name": f"image of a {k}",
                         "marker": {"color": COLOURS[k], "size": marker_size, "opacity": 0.75},
                         "hovertemplate": f"image of a {k}<extra></extra>"})
    data.append({"type": kind, "mode": "markers", **coords(text_xy), "name": "caption", "text": list(texts),
                 "marker": {"symbol": "diamond", "size": marker_size + 2, "color": "white",
                            "line": {"color": "#444", "width": 1.5}},
                 "hovertemplate": "“%{text}”<extra></extra>"})
    if named:
        idx = list(named)
        data.append({"type": kind, "mode": "markers+text", **coords(text_xy[idx]), "text": list(named.values()),
                     "customdata": [texts[j] for j in idx], "textposition": "top center", "name": "zero-shot prompts",
                     "marker": {"symbol": "diamond", "size": marker_size + 6, "color": DIAGONAL,
                                "line": {"color": "#222", "width": 1}},
                     "textfont": {"size": 13}, "hovertemplate": "“%{customdata}”<extra></extra>"})
    names = [f"{axis_prefix} {d + 1}" for d in range(dims)]
    legend = {"title": {"text": "points"}}
    if dims == 3:
        scene = {f"{key}axis": {"title": {"text": n}, "backgroundcolor": "white", "gridcolor": figstyle.GRID}
                 for key, n in zip(keys, names)}
        return figure(data, title=title, height=height, scene={**scene, "aspectmode": "cube"}, legend=legend,
                      margin={"l": 10, "r": 10, "t": 60, "b": 10})
    return figure(data, title=title, height=height, xaxis=axis(names[0], zeroline=False),
                  yaxis=axis(names[1], scaleanchor="x", zeroline=False), legend=legend)


def build_confusion(counts: np.ndarray, *, title: str, height: int = 420) -> go.Figure:
    """counts (10, 10): row = true digit, column = the digit whose prompt was nearest."""
    k = np.arange(counts.shape[0]).tolist()
    return figure([{"type": "heatmap", "z": counts.tolist(), "x": k, "y": k, "colorscale": figstyle.SEQUENTIAL,
                    "colorbar": {"title": {"text": "digits"}, "thickness": 14}, "text": counts.tolist(),
                    "texttemplate": "%{text}", "hovertemplate": "true %{y}, read as %{x}: %{z}<extra></extra>"}],
                  title=title, height=height,
                  xaxis=axis("predicted digit (nearest prompt)", tickmode="linear", dtick=1, zeroline=False,
                             constrain="domain"),
                  yaxis=axis("true digit", autorange="reversed", tickmode="linear", dtick=1, scaleanchor="x",
                             zeroline=False, constrain="domain"))


def build_accuracy_bars(series: dict[str, Sequence[float]], *, chance: float, title: str,
                        height: int = 360) -> go.Figure:
    """Per-digit accuracy of each method (name -> 10 values in [0, 1]), chance as a dashed line."""
    colours = [figstyle.OKABE_ITO["blue"], figstyle.OKABE_ITO["vermillion"], figstyle.OKABE_ITO["green"]]
    data = [{"type": "bar", "x": list(range(10)), "y": compact(np.asarray(v), 4), "name": name,
             "marker": {"color": colours[i % len(colours)]}, "hovertemplate": f"{name}<br>digit %{{x}}: %{{y:.0%}}<extra></extra>"}
            for i, (name, v) in enumerate(series.items())]
    shape, note = figstyle.hline(chance, f"chance {chance:.0%}")
    return figure(data, title=title, height=height, barmode="group", shapes=[shape], annotations=[note],
                  xaxis=axis("digit", tickmode="linear", dtick=1, zeroline=False), yaxis=axis("accuracy", range=[0, 1.08], tickformat=".0%"),
                  legend={"orientation": "h", "y": 1.02, "x": 1, "xanchor": "right", "yanchor": "bottom"})


def wrap(text: str, width: int = 14) -> str:
    """A caption broken into lines of about ``width`` characters (<br> between them) for a tick label."""
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return "<br>".join(lines)


def build_gallery(images: np.ndarray, notes: Sequence[str], *, title: str, height: int = 280) -> go.Figure:
    """A row of digits (K, 8, 8), each with a note underneath (rank, cosine, its caption; <br> breaks lines)."""
    k = len(images)
    data = [_digits_heatmap(images, 1, k)]
    step = 8 + figstyle.TILE_GAP
    return figure(data, title=title, height=height,
                  xaxis=_image_axis(showticklabels=True, tickmode="array", tickvals=[i * step + 3.5 for i in range(k)],
                                    ticktext=list(notes), constrain="domain"),
                  yaxis=_image_axis(autorange="reversed", scaleanchor="x", constrain="domain"),
                  margin={"l": 20, "r": 20, "t": 60, "b": 100})


def build_caption_bars(texts: Sequence[str], cosines: Sequence[float], image: np.ndarray, *, title: str,
                       truth: str | None = None, height: int = 320) -> go.Figure:
    """The digit (left) and its best captions as horizontal bars of cosine (best at the top); ``truth`` in orange."""
    colours = [DIAGONAL if t == truth else figstyle.OKABE_ITO["blue"] for t in texts]
    data = [_digits_heatmap(np.asarray(image)[None], 1, 1, "x2", "y2"),
            {"type": "bar", "orientation": "h", "x": compact(np.asarray(cosines), 4), "y": list(texts),
             "marker": {"color": colours}, "text": [f"{c:.3f}" for c in cosines], "textposition": "auto",
             "hovertemplate": "“%{y}”: cosine %{x:.3f}<extra></extra>"}]
    return figure(data, title=title, height=height, showlegend=False,
                  xaxis=axis("cosine similarity", domain=[0.42, 1], range=[min(0.0, float(np.min(cosines))), 1]),
                  yaxis=axis("", autorange="reversed", type="category"),
                  xaxis2=_image_axis(domain=[0, 0.14], anchor="y2", constrain="domain"),
                  yaxis2=_image_axis(autorange="reversed", anchor="x2", scaleanchor="x2", constrain="domain"),
                  margin={"l": 20, "r": 20, "t": 60, "b": 50})


def build_attributes(values: dict[str, np.ndarray], cuts: dict[str, tuple[float, float]],
                     words: dict[str, tuple[str, str]], units: dict[str, str], *, marked: dict[str, np.ndarray],
                     title: str, height: int = 320) -> go.Figure:
    """One histogram per attribute (train split) with its two cut points and the shown digits marked."""
    axes, refs = figstyle.subplot_grid(len(values), len(values), hgap=0.06)
    data, shapes, notes = [], [], []
    for (name, v), (xref, yref) in zip(values.items(), refs):
        data.append({"type": "histogram", "x": compact(v, 3), "nbinsx": 30, "marker": {"color": "#bbb"},
                     "xaxis": xref, "yaxis": yref, "showlegend": False, "name": name,
                     "hovertemplate": f"{name} %{{x}}: %{{y}} digits<extra></extra>"})
        m = compact(marked[name], 3)
        data.append({"type": "scatter", "mode": "markers", "x": m, "y": [0] * len(m), "xaxis": xref, "yaxis": yref,
                     "marker": {"symbol": "triangle-up", "size": 10, "color": DIAGONAL}, "showlegend": False,
                     "name": "shown digits", "hovertemplate": f"a shown digit: {name} %{{x}}<extra></extra>"})
        lo, hi = cuts[name]
        for cut, text, anchor in ((lo, f"← {words[name][0]}", "right"), (hi, f"{words[name][1]} →", "left")):
            shapes.append({"type": "line", "xref": xref, "yref": yref + " domain", "x0": cut,
                           "x1": cut, "y0": 0, "y1": 1, "line": {"dash": "dash", "color": "#444", "width": 1}})
            notes.append({"xref": xref, "yref": yref + " domain", "x": cut, "y": 1, "text": text, "showarrow": False,
                          "xanchor": anchor, "yanchor": "bottom", "font": {"size": 11}})
        axes["xaxis" + xref[1:]]["title"] = {"text": f"{name} ({units[name]})"}
    return figure(data, title=title, height=height, shapes=shapes, annotations=notes,
                  margin={"l": 50, "r": 20, "t": 70, "b": 60}, **axes)


def build_loss_curve(steps: Sequence[int], loss: Sequence[float], scale: Sequence[float], *, chance: float,
                     title: str, height: int = 320) -> go.Figure:
    """Contrastive loss per step (left axis; log B, a random guess, dashed) and logit_scale (right axis)."""
    shape, note = figstyle.hline(chance, "log B: guessing")
    data = [{"type": "scatter", "mode": "lines", "x": list(steps), "y": compact(np.asarray(loss), 4),
             "name": "contrastive loss", "line": {"color": figstyle.OKABE_ITO["blue"]}},
            {"type": "scatter", "mode": "lines", "x": list(steps), "y": compact(np.asarray(scale), 3), "yaxis": "y2",
             "name": "logit scale exp(t)", "line": {"color": figstyle.OKABE_ITO["vermillion"], "dash": "dot"}}]
    return figure(data, title=title, height=height, shapes=[shape], annotations=[note],
                  xaxis=axis("training step"), yaxis=axis("loss (nats)", rangemode="tozero"),
                  yaxis2={**axis("logit scale"), "overlaying": "y", "side": "right", "rangemode": "tozero"},
                  legend={"orientation": "h", "y": 1.02, "x": 1, "xanchor": "right", "yanchor": "bottom"})
