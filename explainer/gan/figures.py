"""Plotly figures of a GAN frame: pure functions from arrays to ``go.Figure``.

``build_plane`` draws the data plane (x₁, x₂): D as a heatmap underneath, real and generated
samples, G's gradient −∂L_G/∂x as arrows, the generator's manifold, and the mode centres
(filled when covered). ``build_curves`` draws the training curves: losses, modes covered and
% high-quality samples over steps. No globals, no file or network access; data are float32
and rounded so a frame's JSON stays small.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from explainer.gan.frames import CurveArrays, PlaneFrame

REAL_COLOUR = "#1f77b4"
FAKE_COLOUR = "#d62728"
ARROW_COLOUR = "#2a2a2a"
MANIFOLD_COLOUR = "rgba(120, 60, 160, 0.55)"


def _r(values: np.ndarray, decimals: int = 3) -> np.ndarray:
    return np.round(np.asarray(values, dtype=np.float32), decimals)


def _arrow_traces(frame: PlaneFrame, length: float, direction_only: bool) -> list[go.Scatter]:
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
        go.Scatter(x=_r(xs), y=_r(ys), mode="lines", line=dict(color=ARROW_COLOUR, width=1),
                   name="−∂L_G/∂x (G's push)", hoverinfo="skip", legendgroup="arrows"),
        go.Scatter(x=_r(end[:, 0]), y=_r(end[:, 1]), mode="markers", showlegend=False,
                   marker=dict(symbol="arrow", size=7, angle=_r(angle, 1), color=ARROW_COLOUR),
                   hoverinfo="skip", legendgroup="arrows"),
    ]


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
    traces: list[go.BaseTraceType] = []
    if show_heatmap:
        low, high = frame.d_range if frame.d_range is not None else (None, None)
        traces.append(go.Heatmap(
            x=_r(frame.grid), y=_r(frame.grid), z=_r(frame.d_values), zmin=low, zmax=high,
            colorscale="RdBu", opacity=0.55, name=frame.d_label,
            colorbar=dict(title=dict(text=frame.d_label, side="right"), thickness=12),
            hovertemplate="x₁ %{x}<br>x₂ %{y}<br>" + frame.d_label + " %{z}<extra></extra>",
        ))
    if show_manifold and frame.manifold is not None:
        lines = frame.manifold  # (L, P, 2)
        gap = np.full((len(lines), 1, 2), np.nan, dtype=np.float32)
        joined = np.concatenate([lines, gap], axis=1).reshape(-1, 2)  # lines separated by gaps
        traces.append(go.Scatter(x=_r(joined[:, 0]), y=_r(joined[:, 1]), mode="lines",
                                 line=dict(color=MANIFOLD_COLOUR, width=1), name=frame.manifold_label,
                                 hoverinfo="skip"))
    if show_real:
        traces.append(go.Scatter(x=_r(frame.real[:, 0]), y=_r(frame.real[:, 1]), mode="markers",
                                 marker=dict(size=3, color=REAL_COLOUR), name="real data x"))
    if show_fake:
        traces.append(go.Scatter(x=_r(frame.fake[:, 0]), y=_r(frame.fake[:, 1]), mode="markers",
                                 marker=dict(size=3, color=FAKE_COLOUR), name="generated G(z)"))
    if show_arrows:
        span = 2 * frame.extent
        traces.extend(_arrow_traces(frame, 0.06 * span, arrows_direction_only))
    if show_modes and frame.centers is not None:
        covered = frame.covered if frame.covered is not None else np.zeros(len(frame.centers), bool)
        for mask, label, symbol in ((covered, "mode covered", "circle"), (~covered, "mode missed", "circle-open")):
            traces.append(go.Scatter(
                x=_r(frame.centers[mask, 0]), y=_r(frame.centers[mask, 1]), mode="markers", name=label,
                marker=dict(symbol=symbol, size=11, color="#2ca02c", line=dict(width=2, color="#2ca02c")),
            ))
    if title is None:
        title = f"step {frame.step}"
        if frame.modes is not None:
            title += f" · modes covered {frame.modes}/{len(frame.centers)} · high quality {100 * frame.high_quality:.1f}%"
    e = frame.extent
    layout = dict(  # one nested dict: far faster than update_layout / update_xaxes calls
        title=dict(text=title, x=0.5), height=height, margin=dict(l=50, r=20, t=50, b=45),
        legend=dict(orientation="h", y=-0.12), plot_bgcolor="white", uirevision="plane",
        xaxis=dict(title=dict(text="x₁"), range=[-e, e], constrain="domain", zeroline=False),
        yaxis=dict(title=dict(text="x₂"), range=[-e, e], scaleanchor="x", scaleratio=1, zeroline=False),
    )
    return go.Figure(data=traces, layout=layout)


def build_curves(curves: CurveArrays, *, title: str | None = None, height: int = 520) -> go.Figure:
    """Training curves over steps: D and G losses; modes covered; % high-quality samples."""
    with_modes = curves.n_modes is not None
    steps = _r(curves.steps, 1)
    traces = [
        go.Scatter(x=steps, y=_r(curves.d_loss, 4), mode="lines", name="L_D (discriminator)",
                   line=dict(color=REAL_COLOUR), xaxis="x", yaxis="y"),
        go.Scatter(x=steps, y=_r(curves.g_loss, 4), mode="lines", name="L_G (generator)",
                   line=dict(color=FAKE_COLOUR), xaxis="x", yaxis="y"),
    ]
    loss_title = f"loss ({curves.loss_name})" if curves.loss_name else "loss"
    # Stacked panels share one x axis; each panel is a y axis with its own slice of the height.
    domains = [(0.68, 1.0), (0.36, 0.62), (0.0, 0.30)] if with_modes else [(0.0, 1.0)]
    layout = dict(
        title=dict(text=title or "training curves", x=0.5), height=height,
        margin=dict(l=55, r=20, t=50, b=45), legend=dict(orientation="h", y=-0.12), uirevision="curves",
        xaxis=dict(title=dict(text="training step"), anchor="y3" if with_modes else "y"),
        yaxis=dict(title=dict(text=loss_title), domain=domains[0]),
    )
    if with_modes:
        traces += [
            go.Scatter(x=curves.eval_steps, y=curves.modes, mode="lines+markers", name="modes covered",
                       line=dict(color="#2ca02c"), marker=dict(size=4), xaxis="x", yaxis="y2"),
            go.Scatter(x=curves.eval_steps, y=_r(100 * curves.high_quality, 1), mode="lines+markers",
                       name="% high quality (within 3σ of a centre)", line=dict(color="#9467bd"),
                       marker=dict(size=4), xaxis="x", yaxis="y3"),
        ]
        layout["yaxis2"] = dict(title=dict(text=f"modes (of {curves.n_modes})"), domain=domains[1],
                                range=[0, curves.n_modes + 0.5], anchor="x")
        layout["yaxis3"] = dict(title=dict(text="% high quality"), domain=domains[2], range=[0, 100], anchor="x")
    return go.Figure(data=traces, layout=layout)
