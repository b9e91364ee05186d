"""Plots of latent spaces and of what was measured: the latent map, curves, β, PCA vs linear AE.

Pure builders: arrays in, a Plotly figure (through :mod:`explainer.figstyle`) out. The latent
map draws every test digit at its posterior mean μ(x), coloured by the digit it shows, with
optional 1σ ellipses of q(z|x) = N(μ, diag σ²) — axis-aligned, as the posterior's covariance
is diagonal.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from explainer import figstyle

# digit k -> colour k: Paul Tol's "muted" scheme (designed to stay distinct for colour-blind readers) and black;
# ten classes cannot all differ in hue for every reader, so the legend and hover name each digit too.
COLOURS = ("#332288", "#88CCEE", "#44AA99", "#117733", "#999933",
           "#DDCC77", "#CC6677", "#882255", "#AA4499", "#000000")
ELLIPSE_POINTS = 20  # vertices per σ ellipse


def ellipses(mu: np.ndarray, sigma: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """x, y of closed ellipses μ ± σ (per point), joined by NaN breaks into one line trace."""
    t = np.linspace(0, 2 * np.pi, ELLIPSE_POINTS)
    xs = mu[:, :1] + sigma[:, :1] * np.cos(t)  # (N, P)
    ys = mu[:, 1:2] + sigma[:, 1:2] * np.sin(t)
    gap = np.full((len(mu), 1), np.nan)
    return np.hstack([xs, gap]).ravel(), np.hstack([ys, gap]).ravel()


def latent_traces(mu: np.ndarray, labels: np.ndarray, *, sigma: np.ndarray | None = None, xref: str = "x",
                  yref: str = "y", legend: bool = True, size: int = 7) -> list[dict]:
    """Scatter traces (one per digit class) of codes (N, 2), and their σ ellipses if given."""
    data = []
    for k in range(10):
        sel = labels == k
        if not sel.any():
            continue
        c = figstyle.compact(mu[sel], 3)
        if sigma is not None:
            ex, ey = ellipses(mu[sel], sigma[sel])
            data.append({"type": "scatter", "mode": "lines", "x": figstyle.compact(ex, 3), "y": figstyle.compact(ey, 3),
                         "line": {"color": COLOURS[k], "width": 1}, "opacity": 0.35, "hoverinfo": "skip",
                         "showlegend": False, "xaxis": xref, "yaxis": yref, "legendgroup": str(k)})
        data.append({"type": "scatter", "mode": "markers", "x": c[:, 0], "y": c[:, 1], "name": str(k),
                     "marker": {"color": COLOURS[k], "size": size, "opacity": 0.8}, "legendgroup": str(k),
                     "showlegend": legend, "xaxis": xref, "yaxis": yref,
                     "hovertemplate": f"digit {k}<br>z = (%{{x:.2f}}, %{{y:.2f}})<extra></extra>"})
    return data


def marker(point: Sequence[float], name: str, *, colour: str = "black", symbol: str = "x",
           xref: str = "x", yref: str = "y") -> dict:
    """One large marker (the picked point, a drawn digit) on a latent map."""
    return {"type": "scatter", "mode": "markers+text", "x": [float(point[0])], "y": [float(point[1])],
            "text": [name], "textposition": "top center", "name": name, "showlegend": False,
            "marker": {"color": colour, "size": 16, "symbol": symbol, "line": {"width": 2, "color": "white"}},
            "xaxis": xref, "yaxis": yref, "hovertemplate": name + " (%{x:.2f}, %{y:.2f})<extra></extra>"}


def build_latent_map(mu: np.ndarray, labels: np.ndarray, *, title: str, sigma: np.ndarray | None = None,
                     extra: Sequence[dict] = (), axis_names: tuple[str, str] = ("z₁", "z₂"),
                     height: int = 460, ranges: tuple[tuple[float, float], tuple[float, float]] | None = None
                     ) -> go.Figure:
    """Test digits at their codes, coloured by label, plus ``extra`` traces (markers, paths).

    ``ranges`` fixes the (z₁, z₂) axis ranges (live training: the cloud moves, the axes stay).
    """
    data = latent_traces(mu, labels, sigma=sigma) + list(extra)
    fixed = [{"range": list(r)} for r in ranges] if ranges is not None else [{}, {}]
    return figstyle.figure(data, title=title, height=height,
                           xaxis=figstyle.axis(f"{axis_names[0]} (latent units)", **fixed[0]),
                           yaxis=figstyle.axis(f"{axis_names[1]} (latent units)", scaleanchor="x", **fixed[1]),
                           legend={"title": {"text": "digit"}})


def build_side_by_side(maps: Sequence[tuple[str, np.ndarray]], labels: np.ndarray, *, title: str,
                       height: int = 420) -> go.Figure:
    """Several 2-D latent maps of the same digits in a row: (panel title, codes (N, 2))."""
    axes, refs = figstyle.subplot_grid(len(maps), len(maps), hgap=0.08)
    data, notes = [], []
    for k, ((name, codes), (xref, yref)) in enumerate(zip(maps, refs)):
        data += latent_traces(codes, labels, xref=xref, yref=yref, legend=k == 0, size=5)
        axes["xaxis" + xref[1:]]["title"] = {"text": "code 1"}
        axes["yaxis" + yref[1:]]["title"] = {"text": "code 2"}
        notes.append(figstyle.panel_title(name, xref, yref, axes))
    return figstyle.figure(data, title=title, height=height, annotations=notes, legend={"title": {"text": "digit"}},
                           margin={"l": 60, "r": 20, "t": 80, "b": 50}, **axes)


def build_curves(steps: Sequence[int], recon: Sequence[float], kl: Sequence[float], *, title: str,
                 recon_unit: str = "nats / image") -> go.Figure:
    """Live-training curves: reconstruction term (left axis) and KL (right axis) per step."""
    data = [
        {"type": "scatter", "mode": "lines", "x": list(steps), "y": figstyle.compact(recon, 3), "name": "reconstruction",
         "line": {"color": "#1f77b4"}},
        {"type": "scatter", "mode": "lines", "x": list(steps), "y": figstyle.compact(kl, 3), "name": "KL",
         "line": {"color": "#d62728"}, "yaxis": "y2"},
    ]
    return figstyle.figure(data, title=title, height=320, xaxis=figstyle.axis("training step"),
                           yaxis=figstyle.axis(f"reconstruction ({recon_unit})"),
                           yaxis2={**figstyle.axis("KL (nats / image)"), "overlaying": "y", "side": "right",
                                   "rangemode": "tozero"},
                           legend={"orientation": "h", "y": 1.12, "x": 1, "xanchor": "right"})


def build_rate_distortion(betas: Sequence[float], rates: Sequence[float], distortions: Sequence[float],
                          *, selected: float, title: str) -> go.Figure:
    """Rate (KL, nats) against distortion (test MSE) for each β, the selected β ringed."""
    text = [f"β = {b:g}" for b in betas]
    data = [{"type": "scatter", "mode": "lines+markers+text", "x": list(rates), "y": list(distortions), "text": text,
             "textposition": "top right", "marker": {"size": 9, "color": "#1f77b4"}, "name": "β sweep",
             "hovertemplate": "%{text}<br>KL %{x:.2f} nats<br>MSE %{y:.4f}<extra></extra>"}]
    k = int(np.argmin(np.abs(np.asarray(betas) - selected)))
    data.append({"type": "scatter", "mode": "markers", "x": [rates[k]], "y": [distortions[k]], "name": f"β = {betas[k]:g}",
                 "marker": {"size": 20, "color": "rgba(0,0,0,0)", "line": {"color": "#d62728", "width": 3}}})
    return figstyle.figure(data, title=title, height=380, showlegend=False,
                           xaxis=figstyle.axis("rate: KL(q(z|x) ‖ p(z)) (nats / image)",
                                               range=[-0.3, 1.2 * max(max(rates), 1.0)]),
                           yaxis=figstyle.axis("distortion: test MSE (per pixel)"))


def build_bars(names: Sequence[str], values: Sequence[float], *, title: str, y_title: str, x_title: str,
               colours: Sequence[str] | None = None, decimals: int = 3, height: int = 320) -> go.Figure:
    """A labelled bar chart (per-dimension KL, reconstruction error per model)."""
    data = [{"type": "bar", "x": list(names), "y": [round(float(v), 6) for v in values],
             "text": [f"{v:.{decimals}f}" for v in values], "textposition": "outside",
             "marker": {"color": list(colours) if colours else "#1f77b4"}, "hovertemplate": "%{x}: %{y}<extra></extra>"}]
    top = max([float(v) for v in values] + [1e-6])
    return figstyle.figure(data, title=title, height=height, xaxis=figstyle.axis(x_title, type="category"),
                           yaxis=figstyle.axis(y_title, range=[0, 1.2 * top]))
