"""Plotly figures of a GAN frame: pure functions from arrays to ``go.Figure``, in the house style.

``build_plane`` draws the data plane (x₁, x₂): D as a heatmap underneath, real and generated
samples, G's gradient −∂L_G/∂x as arrows, the generator's manifold, and the mode centres
(a filled circle when covered, a hollow one when missed). ``build_curves`` draws the training
curves: losses, modes covered and % high-quality samples over steps, for one run or for two
runs overlaid (side by side). Every figure goes through :mod:`explainer.figstyle` (font,
axes, margins); no globals, no file or network access; data are float32 and rounded so a
frame's JSON stays small.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go

from explainer.figstyle import DIVERGING, OKABE_ITO, axis, figure
from explainer.gan.frames import CurveArrays, PlaneFrame

# Okabe & Ito's colour-blind-safe colours (figstyle.OKABE_ITO): blue, vermillion and bluish green stay
# apart for readers who see red and green alike (Tableau's red and green did not).
REAL_COLOUR = OKABE_ITO["blue"]  # real data, and L_D (the discriminator's side)
FAKE_COLOUR = OKABE_ITO["vermillion"]  # generated samples, and L_G (the generator's side)
ARROW_COLOUR = "#2a2a2a"
MANIFOLD_COLOUR = "rgba(120, 60, 160, 0.55)"
MODE_COLOUR = OKABE_ITO["green"]
QUALITY_COLOUR = "#9467bd"
# D's verdict: 1 ("real") blue, 0 ("fake") red, like the real and generated points. figstyle's
# diverging scale runs blue → red from low to high, so it is read backwards here.
VERDICT = [[round(1.0 - position, 6), colour] for position, colour in reversed(DIVERGING)]
DASHES = ("solid", "dash")  # first run, second run (side by side)


def _r(values: np.ndarray, decimals: int = 3) -> np.ndarray:
    return np.round(np.asarray(values, dtype=np.float32), decimals)


def _arrow_traces(frame: PlaneFrame, length: float, direction_only: bool) -> list[dict[str, Any]]:
    start, vec = frame.arrow_start, frame.arrow_vector  # (A, 2), (A, 2)
    if len(start) == 0:
        return []
    norm = np.linalg.norm(vec, axis=1, keepdims=True)  # (A, 1)
    if direction_only:  # every arrow the same length: only the direction of the push
        scaled = vec / np.maximum(norm, 1e-12) * length
    else:  # the longest arrow has length `length`; the others in proportion
        scaled = vec / max(float(norm.max()), 1e-12) * length
    end = start + scaled  # (A, 2)
    nan = np.full((len(start), 1), np.nan, dtype=np.float32)
    xs = np.concatenate([start[:, :1], end[:, :1], nan], axis=1).ravel()  # x0, x1, gap per arrow
    ys = np.concatenate([start[:, 1:], end[:, 1:], nan], axis=1).ravel()
    angle = 90.0 - np.degrees(np.arctan2(scaled[:, 1], scaled[:, 0]))  # marker angle: clockwise from up
    return [
        {"type": "scatter", "x": _r(xs), "y": _r(ys), "mode": "lines", "line": {"color": ARROW_COLOUR, "width": 1},
         "name": "−∂L_G/∂x (G's push)", "hoverinfo": "skip", "legendgroup": "arrows"},
        {"type": "scatter", "x": _r(end[:, 0]), "y": _r(end[:, 1]), "mode": "markers", "showlegend": False,
         "marker": {"symbol": "arrow", "size": 7, "angle": _r(angle, 1), "color": ARROW_COLOUR},
         "hoverinfo": "skip", "legendgroup": "arrows"},
    ]


def _points(points: np.ndarray, name: str, colour: str) -> dict[str, Any]:
    return {"type": "scatter", "x": _r(points[:, 0]), "y": _r(points[:, 1]), "mode": "markers",
            "marker": {"size": 3, "color": colour}, "name": name}


def build_plane(
    frame: PlaneFrame,
    *,
    show_heatmap: bool = True,
    show_real: bool = True,
    show_fake: bool = True,
    show_arrows: bool = True,
    show_manifold: bool = False,
    show_modes: bool = True,
    arrows_direction_only: bool = True,
    title: str | None = None,
    height: int = 520,
) -> go.Figure:
    """The data plane: D heatmap, real and generated points, G's gradient, covered modes."""
    traces: list[dict[str, Any]] = []
    if show_heatmap:
        low, high = frame.d_range if frame.d_range is not None else (None, None)
        traces.append({
            "type": "heatmap", "x": _r(frame.grid), "y": _r(frame.grid), "z": _r(frame.d_values),
            "zmin": low, "zmax": high, "colorscale": VERDICT, "opacity": 0.55, "name": frame.d_label,
            # the colour bar sits just right of the square plane, not at the far edge of the figure
            "colorbar": {"title": {"text": frame.d_label, "side": "right"}, "thickness": 12, "x": 1.0, "xpad": 4},
            "hovertemplate": "x₁ %{x}<br>x₂ %{y}<br>" + frame.d_label + " %{z}<extra></extra>",
        })
    if show_manifold and frame.manifold is not None:
        lines = frame.manifold  # (L, P, 2)
        gap = np.full((len(lines), 1, 2), np.nan, dtype=np.float32)
        joined = np.concatenate([lines, gap], axis=1).reshape(-1, 2)  # lines separated by gaps
        traces.append({"type": "scatter", "x": _r(joined[:, 0]), "y": _r(joined[:, 1]), "mode": "lines",
                       "line": {"color": MANIFOLD_COLOUR, "width": 1}, "name": frame.manifold_label,
                       "hoverinfo": "skip"})
    if show_real:
        traces.append(_points(frame.real, "real data x", REAL_COLOUR))
    if show_fake:
        traces.append(_points(frame.fake, "generated G(z)", FAKE_COLOUR))
    if show_arrows:
        traces.extend(_arrow_traces(frame, 0.06 * 2 * frame.extent, arrows_direction_only))
    if show_modes and frame.centers is not None:
        covered = frame.covered if frame.covered is not None else np.zeros(len(frame.centers), bool)
        for mask, label, symbol in ((covered, "mode covered", "circle"), (~covered, "mode missed", "circle-open")):
            traces.append({
                "type": "scatter", "x": _r(frame.centers[mask, 0]), "y": _r(frame.centers[mask, 1]),
                "mode": "markers", "name": label,
                "marker": {"symbol": symbol, "size": 11, "color": MODE_COLOUR, "line": {"width": 2, "color": MODE_COLOUR}},
            })
    if title is None:
        title = f"step {frame.step}"
        if frame.modes is not None:
            title += f" · modes covered {frame.modes}/{len(frame.centers)} · high quality {100 * frame.high_quality:.1f}%"
    e = frame.extent
    return figure(
        traces, title=title, height=height, margin={"l": 50, "r": 10, "t": 50, "b": 45},
        legend={"orientation": "h", "y": -0.12}, uirevision="plane",
        # equal scales on both axes; the wider axis shows more of the plane ("range"), so the
        # plot fills the figure and the colour bar stays next to it
        xaxis=axis("x₁", range=[-e, e], constrain="range", zeroline=False),
        yaxis=axis("x₂", range=[-e, e], scaleanchor="x", scaleratio=1, constrain="range", zeroline=False),
    )


def _runs(curves: CurveArrays | Sequence[tuple[str, CurveArrays]]) -> list[tuple[str, CurveArrays]]:
    return [("", curves)] if isinstance(curves, CurveArrays) else list(curves)


def build_curves(
    curves: CurveArrays | Sequence[tuple[str, CurveArrays]], *, title: str | None = None, height: int = 520
) -> go.Figure:
    """Training curves over steps: D and G losses; modes covered; % high-quality samples.

    ``curves`` is one run's arrays, or up to two ``(label, arrays)`` runs drawn overlaid (the
    first solid, the second dashed, each trace named with its run's label).
    """
    runs = _runs(curves)
    if not 1 <= len(runs) <= len(DASHES):
        raise ValueError(f"build_curves draws 1 or {len(DASHES)} runs, got {len(runs)}")
    with_modes = all(run.n_modes is not None for _, run in runs)
    traces: list[dict[str, Any]] = []
    for (label, run), dash in zip(runs, DASHES):
        tag = f" · {label}" if label else ""
        steps, d_loss, g_loss = _r(run.steps, 1), _r(run.d_loss, 4), _r(run.g_loss, 4)
        if len(steps) == 0:  # no loss yet (step 0): with empty traces plotly.js draws the loss axis at NaN
            steps, d_loss, g_loss = [0], [None], [None]
        traces += [
            {"type": "scatter", "x": steps, "y": d_loss, "mode": "lines", "name": "L_D (discriminator)" + tag,
             "line": {"color": REAL_COLOUR, "dash": dash}, "xaxis": "x", "yaxis": "y"},
            {"type": "scatter", "x": steps, "y": g_loss, "mode": "lines", "name": "L_G (generator)" + tag,
             "line": {"color": FAKE_COLOUR, "dash": dash}, "xaxis": "x", "yaxis": "y"},
        ]
        if with_modes:
            traces += [
                {"type": "scatter", "x": run.eval_steps, "y": run.modes, "mode": "lines+markers",
                 "name": "modes covered" + tag, "line": {"color": MODE_COLOUR, "dash": dash}, "marker": {"size": 4},
                 "xaxis": "x", "yaxis": "y2"},
                {"type": "scatter", "x": run.eval_steps, "y": _r(100 * run.high_quality, 1), "mode": "lines+markers",
                 "name": "% high quality (within 3σ of a centre)" + tag, "line": {"color": QUALITY_COLOUR, "dash": dash},
                 "marker": {"size": 4}, "xaxis": "x", "yaxis": "y3"},
            ]
    loss_names = sorted({run.loss_name for _, run in runs if run.loss_name})
    title = (title or "training curves") + (f" · {', '.join(loss_names)} loss" if loss_names else "")
    # Stacked panels share one x axis; each panel is a y axis with its own slice of the height.
    domains = [(0.68, 1.0), (0.36, 0.62), (0.0, 0.30)] if with_modes else [(0.0, 1.0)]
    layout: dict[str, Any] = {
        "margin": {"l": 55, "r": 20, "t": 50, "b": 45}, "legend": {"orientation": "h", "y": -0.2, "yanchor": "top"},
        "uirevision": "curves",
        "xaxis": axis("training step", anchor="y3" if with_modes else "y"),
        "yaxis": axis("loss", domain=domains[0]),  # short: the stacked panels are ~140 px tall
    }
    if with_modes:
        n_modes = max(run.n_modes for _, run in runs)
        layout["yaxis2"] = axis(f"modes (of {n_modes})", domain=domains[1], range=[0, n_modes + 0.5], anchor="x")
        layout["yaxis3"] = axis("% high quality", domain=domains[2], range=[0, 100], anchor="x")
    return figure(traces, title=title, height=height, **layout)

