"""Figures of the unCLIP chain: pure functions from arrays to Plotly figures, through figstyle.

One figure per stage: the embeddings as heat strips (the caption's text embedding, the prior's
image embeddings, the nearest real image embeddings), the same vectors in a 2-D projection of
the real image embeddings, the decoder's frames from noise to digits with the classifier's
reading under each, and the agreement with the caption beside its reference levels.
No globals, no file or network access.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from explainer.figstyle import DIVERGING, OKABE_ITO, axis, compact, figure, tile

GREYS = [[0.0, "#ffffff"], [1.0, "#111111"]]  # 0 = white paper, 1 = full ink
TEXT_COLOUR = OKABE_ITO["vermillion"]
PRIOR_COLOUR = OKABE_ITO["blue"]
NEAREST_COLOUR = OKABE_ITO["orange"]


def build_strips(rows: np.ndarray, labels: list[str], *, title: str) -> go.Figure:
    """Vectors (R, D) as one heat strip per row (blue < 0 < red), labelled rows, shared colour range."""
    rows = np.asarray(rows, np.float32)
    bound = float(np.abs(rows).max()) or 1.0
    trace = {"type": "heatmap", "z": compact(rows, 3), "zmin": -bound, "zmax": bound, "colorscale": DIVERGING,
             "y": list(range(len(rows))), "colorbar": {"title": {"text": "value"}, "thickness": 12},
             "hovertemplate": "dimension %{x}<br>value %{z}<extra></extra>"}
    return figure([trace], title=title, height=max(260, 110 + 22 * len(rows)),
                  xaxis=axis("embedding dimension", showgrid=False, zeroline=False),
                  yaxis=axis("", tickvals=list(range(len(rows))), ticktext=labels, autorange="reversed",
                             showgrid=False, zeroline=False),
                  margin={"l": 230, "r": 20, "t": 60, "b": 50})


def build_projection(real_xy: np.ndarray, real_labels: np.ndarray, text_xy: np.ndarray, prior_xy: np.ndarray,
                     nearest_xy: np.ndarray, *, title: str, axis_titles: tuple[str, str] = ("PC 1", "PC 2")) -> go.Figure:
    """The real image embeddings (grey, each digit's centre numbered), the caption's embedding (star),
    the prior's samples (diamonds) joined to their nearest real image embedding (orange)."""
    real_xy, prior_xy, nearest_xy = (np.asarray(a, np.float32) for a in (real_xy, prior_xy, nearest_xy))
    real_labels = np.asarray(real_labels)
    data = [{"type": "scatter", "mode": "markers", "name": "real image embeddings", "x": compact(real_xy[:, 0], 3),
             "y": compact(real_xy[:, 1], 3), "text": [f"a real {int(k)}" for k in real_labels],
             "marker": {"size": 5, "color": "#bbbbbb"}, "hovertemplate": "%{text}<extra></extra>"}]
    gap = np.full((len(prior_xy), 1), np.nan, np.float32)
    links = np.concatenate([prior_xy[:, None], nearest_xy[:, None], gap[:, None].repeat(2, axis=2)], axis=1)
    links = links.reshape(-1, 2)  # sample, its nearest real image, a gap: one trace of segments
    data.append({"type": "scatter", "mode": "lines+markers", "name": "nearest real image embedding",
                 "x": compact(links[:, 0], 3), "y": compact(links[:, 1], 3), "connectgaps": False,
                 "line": {"color": NEAREST_COLOUR, "width": 1, "dash": "dot"},
                 "marker": {"size": 7, "color": NEAREST_COLOUR, "symbol": "circle-open"}, "hoverinfo": "skip"})
    data.append({"type": "scatter", "mode": "markers", "name": "prior's image embeddings",
                 "x": compact(prior_xy[:, 0], 3), "y": compact(prior_xy[:, 1], 3),
                 "text": [f"prior sample {j + 1}" for j in range(len(prior_xy))],
                 "marker": {"size": 11, "color": PRIOR_COLOUR, "symbol": "diamond"},
                 "hovertemplate": "%{text}<extra></extra>"})
    data.append({"type": "scatter", "mode": "markers", "name": "caption's text embedding",
                 "x": [round(float(text_xy[0]), 3)], "y": [round(float(text_xy[1]), 3)],
                 "marker": {"size": 18, "color": TEXT_COLOUR, "symbol": "star", "line": {"color": "white", "width": 1}},
                 "hovertemplate": "the caption<extra></extra>"})
    notes = []
    for k in np.unique(real_labels):  # each digit's centre, numbered
        cx, cy = real_xy[real_labels == k].mean(0)
        notes.append({"x": round(float(cx), 3), "y": round(float(cy), 3), "text": f"<b>{int(k)}</b>",
                      "showarrow": False, "font": {"size": 18, "color": "#555"}})
    return figure(data, title=title, height=480, annotations=notes, legend={"orientation": "h", "y": -0.18},
                  xaxis=axis(axis_titles[0], zeroline=False, constrain="domain"), yaxis=axis(axis_titles[1], zeroline=False,
                                                                         scaleanchor="x", scaleratio=1))


def build_decoded(frames: np.ndarray, row_labels: list[str], readings: list[str], *, title: str) -> go.Figure:
    """The decoder's frames (F, n, 8, 8) in [0, 1], one row per frame (the last: the digits), and under
    each column the classifier's reading of its finished digit."""
    f, n = frames.shape[:2]
    tiled = tile(frames)
    centres_r = [i * 9 + 3.5 for i in range(f)]
    centres_c = [j * 9 + 3.5 for j in range(n)]
    trace = {"type": "heatmap", "z": compact(tiled, 3), "zmin": 0.0, "zmax": 1.0, "colorscale": GREYS,
             "showscale": False, "hovertemplate": "ink %{z}<extra></extra>"}
    return figure([trace], title=title, height=max(260, 120 + 62 * f),
                  xaxis=axis("the classifier reads (confidence)", tickvals=centres_c, ticktext=readings,
                             showgrid=False, zeroline=False, constrain="domain"),
                  yaxis=axis("", tickvals=centres_r, ticktext=row_labels, autorange="reversed", showgrid=False,
                             zeroline=False, scaleanchor="x", scaleratio=1),
                  margin={"l": 130, "r": 20, "t": 60, "b": 80})


def build_agreement(rows: list[tuple[str, float, float, str]], *, title: str) -> go.Figure:
    """Horizontal bars: per measure (name, value for these digits, its reference, what the reference is).

    The reference says what the value means: chance for a reading, the share among real digits
    for an attribute, the cosine to other digits' captions for CLIP's similarity.
    """
    names = [r[0] for r in rows]
    data = [{"type": "bar", "orientation": "h", "name": "these digits", "y": names,
             "x": [round(float(r[1]), 4) for r in rows], "marker": {"color": PRIOR_COLOUR},
             "text": [f"{r[1]:.2f}" for r in rows], "textposition": "outside", "cliponaxis": False,
             "hovertemplate": "%{y}: %{x}<extra></extra>"},
            {"type": "bar", "orientation": "h", "name": "reference", "y": names,
             "x": [round(float(r[2]), 4) for r in rows], "marker": {"color": "#bbbbbb"},
             "text": [f"{r[3]} {r[2]:.2f}" for r in rows], "textposition": "outside", "cliponaxis": False,
             "hovertemplate": "%{text}<extra></extra>"}]
    low = min(0.0, *(min(r[1], r[2]) for r in rows)) if rows else 0.0
    return figure(data, title=title, height=max(260, 120 + 70 * len(rows)), barmode="group",
                  xaxis=axis("share of the digits, or cosine", range=[low, 1.35]),
                  yaxis=axis("", autorange="reversed", showgrid=False),
                  legend={"orientation": "h", "y": -0.2}, margin={"l": 260, "r": 20, "t": 60, "b": 50})
