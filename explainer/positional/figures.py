"""Figure builders for the Positional Encodings tab: arrays in, Plotly figures out.

Pure functions: no globals, no files, no model calls. Every axis names its quantity and
unit; "unitless" is said where an encoding value has none.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from explainer.figstyle import DIVERGING, NEGATIVE, SEQUENTIAL, axis, compact, figure, hline

TWO_LINE_MARGIN = {"l": 60, "r": 20, "t": 84, "b": 50}  # room for a title and its second line


def titled(main: str, detail: str = "") -> dict:
    """Title (and margin) for a figure in a half-width column: at 1024 px such a plot is ~450 px
    wide, so a long title is cut off. The detail goes on a second, smaller line."""
    detail = detail.strip().removeprefix("(").removesuffix(")")
    if not detail:
        return {"title": main}
    return {"title": f"{main}<br><span style='font-size:13px'>{detail}</span>", "margin": TWO_LINE_MARGIN}


def build_pe_heatmap(pe: np.ndarray, positions: np.ndarray, dims: np.ndarray, *, note: str = "") -> go.Figure:
    """Heatmap of PE[positions][:, dims] (rows: positions, columns: dimensions)."""
    trace = {
        "type": "heatmap", "z": compact(pe), "x": dims, "y": positions, "zmin": -1, "zmax": 1,
        "colorscale": DIVERGING, "colorbar": {"title": {"text": "PE value<br>(unitless)"}},
        "hovertemplate": "position %{y}<br>dimension %{x}<br>PE = %{z:.3f}<extra></extra>",
    }
    return figure(
        [trace], **titled("Sinusoidal PE matrix", note), height=420,
        xaxis=axis("dimension (even = sin, odd = cos)"),
        yaxis=axis("position p", autorange="reversed"),
    )


def build_waves(positions: np.ndarray, columns: np.ndarray, dims: list[int], wavelengths: np.ndarray) -> go.Figure:
    """One line per chosen dimension: PE[p, dim] against p. ``columns`` is (P, len(dims))."""
    traces = []
    for j, dim in enumerate(dims):
        kind = "sin" if dim % 2 == 0 else "cos"
        traces.append({
            "type": "scatter", "mode": "lines", "x": positions, "y": compact(columns[:, j]),
            "name": f"dim {dim} ({kind}, λ = {wavelengths[dim // 2]:.4g})",
            "hovertemplate": f"dim {dim}<br>position %{{x}}<br>PE = %{{y:.3f}}<extra></extra>",
        })
    return figure(
        traces, **titled("Each dimension is a wave", "higher pairs oscillate more slowly"),
        xaxis=axis("position p"), yaxis=axis("PE[p, dim] (unitless)", range=[-1.1, 1.1]),
        legend={"orientation": "h", "y": -0.25},
    )


def build_wavelengths(wavelengths: np.ndarray, n_positions: int) -> go.Figure:
    """λ_i = 2π·base^(2i/d) per pair i (log scale), with the sequence length marked."""
    pairs = np.arange(len(wavelengths))
    trace = {
        "type": "scatter", "mode": "lines+markers", "marker": {"size": 4}, "x": pairs, "y": compact(wavelengths, 3),
        "customdata": [f"{2 * i}, {2 * i + 1}" for i in pairs],
        "hovertemplate": "pair %{x} (dims %{customdata})<br>λ = %{y:.4g} positions<extra></extra>",
    }
    shape, note = hline(n_positions, f"sequence length {n_positions}", log=True)
    return figure(
        [trace], **titled("Wavelength of each pair", "from 2π up to 2π·base positions"), showlegend=False,
        xaxis=axis("dimension pair i (dims 2i, 2i+1)"), yaxis=axis("wavelength λ_i (positions, log scale)", type="log"),
        shapes=[shape], annotations=[note],
    )


def build_similarity(sim: np.ndarray, positions: np.ndarray, *, note: str = "") -> go.Figure:
    """PE[p]·PE[q] between the shown positions: constant along every diagonal."""
    trace = {
        "type": "heatmap", "z": compact(sim, 3), "x": positions, "y": positions, "colorscale": DIVERGING, "zmid": 0,
        "colorbar": {"title": {"text": "dot product<br>(unitless)"}},
        "hovertemplate": "p = %{y}, q = %{x}<br>PE[p]·PE[q] = %{z:.2f}<extra></extra>",
    }
    return figure(
        [trace], **titled("Dot product between positions", note), height=420,
        xaxis=axis("position q"), yaxis=axis("position p", autorange="reversed"),
    )


def build_offset_profiles(offsets: np.ndarray, profiles: dict[int, np.ndarray], *, note: str = "") -> go.Figure:
    """PE[p]·PE[p+k] against the offset k, from several starting positions p."""
    first = min(profiles)
    traces = [
        {
            "type": "scatter", "mode": "lines", "x": offsets, "y": compact(profile, 3), "name": f"from p = {start}",
            "line": {"dash": "solid" if start == first else "dash", "width": 5 if start == first else 2.5},
            "hovertemplate": f"p = {start}<br>offset k = %{{x}}<br>dot = %{{y:.3f}}<extra></extra>",
        }
        for start, profile in profiles.items()
    ]
    return figure(
        traces, title=f"Same offset, same similarity, wherever you start{note}",
        xaxis=axis("offset k (positions)"), yaxis=axis("PE[p]·PE[p+k] (unitless)"),
        legend={"orientation": "h", "y": -0.25},
    )


def build_rope_rotation(points: np.ndarray, positions: np.ndarray, pair: int, theta: float) -> go.Figure:
    """The 2-D pair (x[2i], x[2i+1]) of a query after rotation to each position. ``points`` is (P, 2)."""
    radius = float(np.hypot(points[0, 0], points[0, 1])) or 1.0
    circle = np.linspace(0, 2 * np.pi, 121)
    traces = [
        {"type": "scatter", "mode": "lines", "x": compact(radius * np.cos(circle)), "y": compact(radius * np.sin(circle)),
         "line": {"color": "lightgrey"}, "hoverinfo": "skip", "showlegend": False},
        {"type": "scatter", "mode": "markers+text", "x": compact(points[:, 0]), "y": compact(points[:, 1]),
         "text": [str(p) if p < 8 else "" for p in positions], "textposition": "top center",
         "marker": {"color": positions, "colorscale": SEQUENTIAL, "size": 9, "colorbar": {"title": {"text": "position"}}},
         "hovertemplate": "position %{marker.color}<br>x[2i] = %{x:.3f}<br>x[2i+1] = %{y:.3f}<extra></extra>",
         "showlegend": False},
    ]
    arrows = [  # from the origin to the first few positions
        {"x": float(points[p, 0]), "y": float(points[p, 1]), "ax": 0, "ay": 0, "xref": "x", "yref": "y", "axref": "x",
         "ayref": "y", "showarrow": True, "arrowhead": 2, "arrowwidth": 2, "arrowcolor": "#636efa", "text": ""}
        for p in positions[:4]
    ]
    turn = 2 * np.pi / theta
    return figure(
        traces, height=440, annotations=arrows,
        **titled(f"Pair {pair} turns θ = {theta:.4g} rad per position", f"a full turn every {turn:.4g} positions"),
        xaxis=axis(f"component x[{2 * pair}] (unitless)", scaleanchor="y"),
        yaxis=axis(f"component x[{2 * pair + 1}] (unitless)"),
    )


def build_rope_scores(offsets: np.ndarray, scores: dict[int, np.ndarray], unrotated: float) -> go.Figure:
    """q·k after RoPE against the offset n − m, once per query position m."""
    first = min(scores)
    traces = [
        {"type": "scatter", "mode": "lines", "x": offsets, "y": compact(s), "name": f"query at m = {m}",
         "line": {"width": 4 if m == first else 2, "dash": "solid" if m == first else "dash"},
         "hovertemplate": f"m = {m}<br>offset n−m = %{{x}}<br>score = %{{y:.4f}}<extra></extra>"}
        for m, s in scores.items()
    ]
    values = list(scores.values())
    gap = float(np.max(np.abs(values[0] - values[-1])))
    shape, note = hline(unrotated, "q·k without RoPE", position="left")
    return figure(
        traces, height=400, shapes=[shape], annotations=[note], legend={"orientation": "h", "y": -0.25},
        **titled("Same offset, same score", f"largest gap between the two curves: {gap:.1e}"),
        xaxis=axis("offset n − m (key position − query position)"), yaxis=axis("score ⟨R(m)q, R(n)k⟩ (unitless)"),
    )


def build_alibi_slopes(slopes: np.ndarray) -> go.Figure:
    trace = {
        "type": "bar", "x": np.arange(len(slopes)), "y": slopes,
        "text": [f"{s:.3g}" for s in slopes] if len(slopes) <= 16 else None,  # 32 labels would be unreadable
        "textposition": "outside", "cliponaxis": False,
        "hovertemplate": "head %{x}<br>slope m = %{y:.4g}<extra></extra>",
    }
    return figure(
        [trace], height=360, title="ALiBi slopes: a geometric sequence, one per head",
        xaxis=axis("head h", dtick=1 if len(slopes) <= 16 else None),
        yaxis=axis("slope m_h (score per position, log)", type="log"),
    )


ALIBI_GAP = 0.2  # blank space between two heads' tiles, as a fraction of a tile's side
MASKED = "#cfcfcf"  # the background: cells with no value, the future a causal head cannot see


def alibi_tiles(n_heads: int, seq_len: int) -> tuple[int, int, int]:
    """(columns, rows, gap in cells) of the ALiBi grid: up to 8 heads 4 to a row, more 8 to a row (32 in
    four rows, one screen, instead of a wall of eight)."""
    cols = min(4 if n_heads <= 8 else 8, n_heads)
    return cols, -(-n_heads // cols), max(1, round(ALIBI_GAP * seq_len))


def build_alibi_biases(bias: np.ndarray, slopes: np.ndarray, *, causal: bool) -> go.Figure:
    """Every head's (T, T) bias matrix as one tile of a single heatmap, on one shared colour scale.

    One heatmap for the whole grid, not one per head: 32 heatmaps on 64 axes took ~3.5x as long for
    the browser to draw (~77 ms against ~22 ms) and this view redraws on every change of a slider.
    Each tile reads like the others: query i down, key j across, numbered on the tiles' edges; the
    hover gives the bias. Cells with no value (the masked future, −inf) show the grey background;
    white bands cover the gaps between tiles and the empty places after the last head.
    """
    n_heads, t, _ = bias.shape
    cols, rows, gap = alibi_tiles(n_heads, t)
    step = t + gap
    finite = np.where(np.isfinite(bias), bias, np.nan)  # (H, T, T)
    z = np.full((rows * step - gap, cols * step - gap), np.nan, np.float32)  # the tiles, row 0 at the top
    titles = []
    small = {"font": {"size": 11}} if cols > 4 else {}
    for h in range(n_heads):
        r, c = divmod(h, cols)
        z[r * step: r * step + t, c * step: c * step + t] = finite[h]
        label = f"head {h}, m = {slopes[h]:.3g}" if cols <= 4 else f"h{h}: m={slopes[h]:.2g}"
        titles.append({"text": label, "x": c * step + (t - 1) / 2, "y": r * step - 0.5, "xref": "x", "yref": "y",
                       "xanchor": "center", "yanchor": "bottom", "showarrow": False, **small})
    width, height = z.shape[1] - 0.5, z.shape[0] - 0.5  # the grid's far edges, in cell coordinates
    blank = {"type": "rect", "fillcolor": "white", "line": {"width": 0}, "layer": "above", "xref": "x", "yref": "y"}
    bands = [{**blank, "x0": k * step - gap - 0.5, "x1": k * step - 0.5, "y0": -0.5, "y1": height} for k in range(1, cols)]
    bands += [{**blank, "x0": -0.5, "x1": width, "y0": k * step - gap - 0.5, "y1": k * step - 0.5} for k in range(1, rows)]
    if n_heads % cols:  # the empty places after the last head
        bands.append({**blank, "x0": (n_heads % cols) * step - gap - 0.5, "x1": width, "y0": (rows - 1) * step - gap - 0.5, "y1": height})
    traces = [{"type": "heatmap", "z": compact(z, 3), "coloraxis": "coloraxis",
               "hovertemplate": "bias −m·|i − j| = %{z:.3f}<extra></extra>"}]
    ends = [0, t - 1]

    def edge_ticks(count: int) -> dict:  # each tile's first and last index, on every tile
        return {"tickvals": [k * step + e for k in range(count) for e in ends], "ticktext": [str(e) for _ in range(count) for e in ends],
                "showgrid": False, "zeroline": False, "showline": False, "ticks": ""}

    tick_size = {"tickfont": {"size": 10}} if cols > 4 else {}
    masked_note = " (grey: the future, masked)" if causal else ""
    return figure(
        traces, height=max(340, (200 if cols <= 4 else 150) * rows + 80), annotations=titles,
        coloraxis={"colorscale": NEGATIVE, "cmin": float(np.nanmin(finite)), "cmax": 0,
                   "colorbar": {"title": {"text": "bias added<br>to the score"}}},
        xaxis=axis("key j (in each tile)", **edge_ticks(cols), **tick_size),
        yaxis=axis("query i (in each tile)", autorange="reversed", **edge_ticks(rows), **tick_size),
        title=f"Bias −m·|i − j| added to each head's scores{masked_note}", shapes=bands, plot_bgcolor=MASKED,
    )


def refused(title: str, message: str) -> go.Figure:
    """What replaces a figure whose inputs were refused: an empty frame saying why, never the old picture."""
    note = {"text": message, "xref": "paper", "yref": "paper", "x": 0.5, "y": 0.5, "showarrow": False,
            "font": {"size": 15, "color": "#a01010"}}
    hidden = {"visible": False}
    return figure([], title=title, height=220, annotations=[note], xaxis=hidden, yaxis=hidden)
