"""Figure builders for the Attention tab: arrays in, Plotly figures out.

Pure functions: no globals, no files, no model calls. Matrices are drawn with the query
token on the y axis (top to bottom, like the matrix rows) and the key token on the x axis.
Tokens repeat ("the … the"), and Plotly merges repeated category names into one, so each
repeat gets an invisible zero-width space appended (:func:`token_labels`): the axis and the
hover text show the words, and every position keeps its own column.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from explainer.figstyle import DIVERGING, SEQUENTIAL, axis, compact, figure, panel_title, subplot_grid

from .language import INTRANSITIVE, TRANSITIVE

WEIGHT_BAR = {"title": {"text": "attention weight (0–1)"}}
MASKED = "#bbbbbb"  # bars standing for masked keys
BEFORE, AFTER = "#9e9e9e", "#d62728"  # before / after a change, in every comparison


def token_labels(tokens: Sequence[str]) -> np.ndarray:
    """Category names that look like the tokens but stay distinct: the n-th repeat gets n zero-width spaces.

    A NumPy string array, not a list: Plotly deep-copies lists item by item, arrays in one go.
    """
    seen: dict[str, int] = {}
    out = []
    for t in tokens:
        n = seen.get(t, 0)
        seen[t] = n + 1
        out.append(str(t) + "\u200b" * n)
    return np.asarray(out, dtype=str)


def _heatmap(z: np.ndarray, labels: np.ndarray, **extra) -> dict:
    return {
        "type": "heatmap", "z": compact(z, 3), "x": labels, "y": labels, "zmin": 0, "zmax": 1,
        "colorscale": SEQUENTIAL, "colorbar": WEIGHT_BAR,
        "hovertemplate": "query %{y} → key %{x}<br>weight %{z:.3f}<extra></extra>", **extra,
    }


def build_attention_heatmap(weights: np.ndarray, tokens: Sequence[str], *, title: str) -> go.Figure:
    """One head's (T, T) attention: row i is how query token i spreads its attention over the keys."""
    labels = token_labels(tokens)
    T = len(labels)
    return figure(
        [_heatmap(weights, labels)], title=title, height=max(380, 160 + 22 * T),
        xaxis=axis("key token (attended to)", tickangle=-45, type="category"),
        yaxis=axis("query token (attending)", autorange="reversed", type="category"),
    )


def build_head_grid(attention: np.ndarray, tokens: Sequence[str], *, keep: np.ndarray | None = None,
                    note: str = "") -> go.Figure:
    """Every head of every layer, one small heatmap each (rows: layers, columns: heads).

    ``keep`` selects the token positions drawn (thinned for long inputs; the note says so).
    """
    L, H, T, _ = attention.shape
    keep = np.arange(T) if keep is None else keep
    labels = token_labels(tokens)[keep]
    layout, refs = subplot_grid(L * H, cols=H, hgap=0.02, vgap=0.06 if L > 1 else 0.0)
    traces, titles = [], []
    for n, (xref, yref) in enumerate(refs):
        layer, head = divmod(n, H)
        z = attention[layer, head][np.ix_(keep, keep)]
        traces.append({**_heatmap(z, labels, xaxis=xref, yaxis=yref, coloraxis="coloraxis"),
                       "hovertemplate": f"L{layer} H{head}<br>query %{{y}} → key %{{x}}<br>"
                                        "weight %{z:.3f}<extra></extra>"})
        for key in ("zmin", "zmax", "colorscale", "colorbar"):
            traces[-1].pop(key)
        titles.append(panel_title(f"L{layer} H{head}", xref, yref, layout))
        layout["xaxis" + xref[1:]].update(showticklabels=False, type="category")
        layout["yaxis" + yref[1:]].update(showticklabels=False, autorange="reversed", type="category")
    return figure(
        traces, title=f"Every head: rows are layers, columns heads (hover for the words){note}",
        height=90 + 190 * L, annotations=titles,
        coloraxis={"colorscale": SEQUENTIAL, "cmin": 0, "cmax": 1, "colorbar": WEIGHT_BAR}, **layout,
    )


def signed(value: float, digits: int = 2) -> str:
    """A bar label with a real minus sign (U+2212): a hyphen is thin enough to vanish on an axis line."""
    return f"{value:.{digits}f}".replace("-", "\u2212")


def label_room(values: np.ndarray, share: float = 0.22) -> list[float]:
    """A y range with room beyond the bars' ends for labels outside them (above positive bars,
    below negative ones), so no label crosses the axis line or reaches the panel title above."""
    finite = values[np.isfinite(values)]
    lo, hi = (min(0.0, float(finite.min())), max(0.0, float(finite.max()))) if finite.size else (0.0, 1.0)
    pad = share * ((hi - lo) or 1.0)
    return [lo - pad if lo < 0 else 0.0, hi + pad if hi > 0 else pad * 0.2]


def _bars(labels, values, texts, colors, xref, yref, name) -> dict:
    return {"type": "bar", "x": labels, "y": values, "text": np.asarray(texts, dtype=str), "textposition": "outside",
            "name": name, "marker": {"color": colors}, "xaxis": xref, "yaxis": yref, "cliponaxis": False,
            "hovertemplate": f"key %{{x}}<br>{name}: %{{text}}<extra></extra>"}


def build_steps(tokens: Sequence[str], query: int, raw: np.ndarray, scaled: np.ndarray, logits: np.ndarray,
                weights: np.ndarray, *, d_k: int, mask_note: str) -> go.Figure:
    """The four steps for one query row, one bar chart each: QKᵀ, ÷√d_k, + mask (and bias), softmax.

    ``logits`` may hold −inf for masked keys: those bars are drawn empty and labelled "masked".
    """
    labels = token_labels(tokens)
    masked = ~np.isfinite(logits)
    layout, refs = subplot_grid(4, cols=2, hgap=0.08, vgap=0.24)
    steps = [  # (title, values, bar labels, grey out masked keys?)
        ("1. scores q·k (QKᵀ)", raw, [signed(v) for v in raw], False),
        (f"2. scaled: ÷ √d_k = ÷ {math.sqrt(d_k):.2f}", scaled, [signed(v) for v in scaled], False),
        (f"3. + mask{mask_note}", np.where(masked, 0.0, logits),
         ["masked" if m else signed(v) for m, v in zip(masked, logits)], True),
        ("4. softmax → attention weights", weights, [f"{v:.3f}" for v in weights], True),
    ]
    traces, titles = [], []
    for (name, values, texts, grey), (xref, yref) in zip(steps, refs):
        colors = np.where(grey & masked, MASKED, "#1f77b4")
        traces.append(_bars(labels, compact(values), texts, colors, xref, yref, name.split(" ", 1)[1]))
        titles.append(panel_title(name, xref, yref, layout))
        layout["xaxis" + xref[1:]].update(type="category", tickangle=-45)
        layout["yaxis" + yref[1:]]["range"] = label_room(np.asarray(values, dtype=float))
    layout["yaxis3"]["title"] = {"text": "score"}
    layout["yaxis4"].update(range=[0, 1.25], title={"text": "weight"})
    return figure(traces, title=f"One head, one query: the steps for “{tokens[query]}” (position {query})",
                  height=640, showlegend=False, annotations=titles, **layout)


def build_mix(tokens: Sequence[str], query: int, weights: np.ndarray, values: np.ndarray,
              mixed: np.ndarray) -> go.Figure:
    """Step 5: each key's value vector times its weight (rows), and their sum, the head's output."""
    labels = token_labels(tokens)
    contrib = weights[:, None] * values  # (T, d_k): w_j · v_j
    lim = float(max(np.abs(contrib).max(), np.abs(mixed).max(), 1e-6))
    dims = np.arange(values.shape[1])
    common = {"type": "heatmap", "x": dims, "zmin": -lim, "zmax": lim, "colorscale": DIVERGING}
    top = {**common, "z": compact(contrib), "y": labels, "xaxis": "x", "yaxis": "y",
           "colorbar": {"title": {"text": "value (unitless)"}},
           "customdata": compact(np.repeat(weights[:, None], len(dims), axis=1), 3),
           "hovertemplate": "key %{y}, dim %{x}<br>w = %{customdata:.3f}<br>w·v = %{z:.3f}<extra></extra>"}
    bottom = {**common, "z": compact(mixed[None, :]), "y": ["output Σ w·v"], "xaxis": "x2", "yaxis": "y2",
              "showscale": False, "hovertemplate": "dim %{x}<br>output = %{z:.3f}<extra></extra>"}
    return figure(
        [top, bottom], title=f"5. weighted sum of the values: output of the head for “{tokens[query]}”",
        height=max(360, 150 + 20 * len(labels)),
        xaxis=axis("", domain=[0, 1], anchor="y", showticklabels=False),
        yaxis=axis("key token: w_j · v_j", domain=[0.22, 1], autorange="reversed", type="category"),
        xaxis2=axis("dimension of the head (d_k)", domain=[0, 1], anchor="y2"),
        yaxis2=axis("", domain=[0, 0.12], type="category"),
    )


def build_softmax_compare(tokens: Sequence[str], query: int, soft: np.ndarray, soft1: np.ndarray,
                          soft_sums: np.ndarray, soft1_sums: np.ndarray) -> go.Figure:
    """Left: one query's weights under softmax and softmax1. Right: every query's row sum."""
    labels = token_labels(tokens)
    layout, _ = subplot_grid(2, cols=2, hgap=0.1)
    traces = []
    for (name, row, sums, color) in (("softmax", soft, soft_sums, BEFORE), ("softmax1", soft1, soft1_sums, AFTER)):
        traces.append({"type": "bar", "x": labels, "y": compact(row), "name": name, "marker": {"color": color},
                       "xaxis": "x", "yaxis": "y", "legendgroup": name,
                       "hovertemplate": f"key %{{x}}<br>{name} weight %{{y:.4f}}<extra></extra>"})
        traces.append({"type": "scatter", "mode": "lines+markers", "x": labels, "y": compact(sums), "name": name,
                       "line": {"color": color}, "xaxis": "x2", "yaxis": "y2", "legendgroup": name,
                       "showlegend": False,
                       "hovertemplate": f"query %{{x}}<br>{name} row sum %{{y:.4f}}<extra></extra>"})
    for ref in ("xaxis", "xaxis2"):
        layout[ref].update(type="category", tickangle=-45)
    layout["yaxis"]["title"] = {"text": f"weight of each key for “{tokens[query]}”"}
    layout["yaxis2"].update(title={"text": "row sum Σ_j w_ij"}, range=[0, 1.1])
    shape = {"type": "line", "xref": "x2 domain", "yref": "y2", "x0": 0, "x1": 1, "y0": 1, "y1": 1,
             "line": {"dash": "dash", "color": "grey", "width": 1}}
    return figure(traces, title="softmax vs softmax1 on the same scores (right: the mass each query hands out)",
                  height=440, barmode="group", shapes=[shape], legend={"orientation": "h", "y": 1.12, "x": 0.6},
                  **layout)


def build_pattern_pair(tokens: Sequence[str], before: np.ndarray, after: np.ndarray, *, names: tuple[str, str],
                       title: str) -> go.Figure:
    """The same head's attention twice, side by side (e.g. τ = 1 and τ = 0.5)."""
    labels = token_labels(tokens)
    layout, refs = subplot_grid(2, cols=2, hgap=0.06)
    traces, titles = [], []
    for z, name, (xref, yref) in zip((before, after), names, refs):
        trace = _heatmap(z, labels, xaxis=xref, yaxis=yref, coloraxis="coloraxis")
        for key in ("zmin", "zmax", "colorscale", "colorbar"):
            trace.pop(key)
        traces.append(trace)
        titles.append(panel_title(name, xref, yref, layout))
        layout["xaxis" + xref[1:]].update(type="category", tickangle=-45, title={"text": "key token"})
        layout["yaxis" + yref[1:]].update(type="category", autorange="reversed")
    layout["yaxis"]["title"] = {"text": "query token"}
    return figure(traces, title=title, height=max(380, 170 + 20 * len(labels)), annotations=titles,
                  coloraxis={"colorscale": SEQUENTIAL, "cmin": 0, "cmax": 1, "colorbar": WEIGHT_BAR}, **layout)


def build_before_after(labels: Sequence[str], before: Sequence[float], after: Sequence[float], *, title: str,
                       y_title: str, names: tuple[str, str] = ("before", "after")) -> go.Figure:
    """Grouped bars: a probability for each label, before and after a change."""
    traces = [
        {"type": "bar", "x": np.asarray(labels, dtype=str), "y": compact(np.asarray(v, dtype=float)), "name": name,
         "marker": {"color": color}, "texttemplate": "%{y:.2f}", "textposition": "outside", "cliponaxis": False,
         "hovertemplate": f"%{{x}}<br>{name}: %{{y:.4f}}<extra></extra>"}
        for v, name, color in ((before, names[0], BEFORE), (after, names[1], AFTER))
    ]
    return figure(traces, title=title, barmode="group", height=400,
                  xaxis=axis("", type="category", tickangle=-30), yaxis=axis(y_title, range=[0, 1.12]),
                  legend={"orientation": "h", "y": 1.1, "x": 0.6})


def build_top_k(panels: Sequence[tuple[str, Sequence[str], Sequence[float]]], *, title: str) -> go.Figure:
    """One horizontal bar chart per question (e.g. per [MASK]): the k most probable words."""
    layout, refs = subplot_grid(len(panels), cols=len(panels), hgap=0.12)
    traces, titles = [], []
    for (name, words, probs), (xref, yref) in zip(panels, refs):
        traces.append({"type": "bar", "orientation": "h", "y": np.asarray(words, dtype=str),
                       "x": compact(np.asarray(probs)),
                       "xaxis": xref, "yaxis": yref, "texttemplate": "%{x:.3f}", "textposition": "outside",
                       "cliponaxis": False, "marker": {"color": "#1f77b4"},
                       "hovertemplate": "%{y}: p = %{x:.4f}<extra></extra>"})
        titles.append(panel_title(name, xref, yref, layout))
        layout["xaxis" + xref[1:]].update(range=[0, 1.15], title={"text": "probability"})
        layout["yaxis" + yref[1:]].update(autorange="reversed", type="category")
    return figure(traces, title=title, height=max(320, 140 + 28 * max(len(p[1]) for p in panels)),
                  showlegend=False, annotations=titles, **layout)


def build_generation(words: Sequence[str], probabilities: Sequence[float]) -> go.Figure:
    """The probability each generated word had when it was drawn."""
    trace = {"type": "bar", "x": token_labels(words), "y": compact(np.asarray(probabilities, dtype=float)),
             "texttemplate": "%{y:.2f}", "textposition": "outside", "cliponaxis": False,
             "marker": {"color": "#1f77b4"}, "hovertemplate": "%{x}: p = %{y:.4f} when drawn<extra></extra>"}
    return figure([trace], title="How likely each generated word was when it was drawn", height=360,
                  showlegend=False, xaxis=axis("generated word, in order", type="category", tickangle=-45),
                  yaxis=axis("probability", range=[0, 1.12]))


def build_position_table(table: np.ndarray, *, title: str) -> go.Figure:
    """A learned position table P (positions × dimensions): row p is added to the token at p."""
    lim = float(max(np.abs(table).max(), 1e-6))
    trace = {"type": "heatmap", "z": compact(table), "zmin": -lim, "zmax": lim, "colorscale": DIVERGING,
             "x": np.arange(table.shape[1]), "y": np.arange(table.shape[0]),
             "colorbar": {"title": {"text": "value (unitless)"}},
             "hovertemplate": "position %{y}<br>dimension %{x}<br>P = %{z:.3f}<extra></extra>"}
    margin = {"margin": {"l": 60, "r": 20, "t": 84, "b": 50}} if "<br>" in title else {}  # a two-line title
    return figure([trace], title=title, height=400, xaxis=axis("dimension of the embedding"),
                  yaxis=axis("position p", autorange="reversed"), **margin)


def build_similarity_pair(learned: np.ndarray, sinusoidal: np.ndarray) -> go.Figure:
    """Cosine similarity between every pair of positions: learned table beside the sinusoidal one."""
    layout, refs = subplot_grid(2, cols=2, hgap=0.08)
    P = np.arange(learned.shape[0])
    traces, titles = [], []
    for z, name, (xref, yref) in zip((learned, sinusoidal), ("learned", "sinusoidal (same size)"), refs):
        traces.append({"type": "heatmap", "z": compact(z, 3), "x": P, "y": P, "xaxis": xref, "yaxis": yref,
                       "coloraxis": "coloraxis",
                       "hovertemplate": f"{name}<br>positions %{{y}} and %{{x}}<br>cos = %{{z:.3f}}<extra></extra>"})
        titles.append(panel_title(name, xref, yref, layout))
        layout["xaxis" + xref[1:]].update(title={"text": "position"})
        layout["yaxis" + yref[1:]].update(autorange="reversed")
    layout["yaxis"]["title"] = {"text": "position"}
    return figure(traces, title="Cosine similarity between positions<br><span style='font-size:13px'>neighbours "
                  "look alike</span>", height=440, margin={"l": 60, "r": 20, "t": 84, "b": 50},
                  annotations=titles, coloraxis={"colorscale": DIVERGING, "cmin": -1, "cmax": 1,
                                                 "colorbar": {"title": {"text": "cosine (−1 to 1)"}}}, **layout)


def unavailable(title: str, message: str) -> go.Figure:
    """An empty figure that says why there is nothing to draw."""
    note = {"text": message, "xref": "paper", "yref": "paper", "x": 0.5, "y": 0.5, "showarrow": False,
            "font": {"size": 16, "color": "#555"}}
    hidden = {"visible": False}
    return figure([], title=title, height=200, annotations=[note], xaxis=hidden, yaxis=hidden)


# --- text shown beside the figures ---------------------------------------------------------------------


def _code(token: str) -> str:
    return "`" + token.replace("`", "ˋ") + "`"


def markdown_tokens(tokens: Sequence[str], unknown: Sequence[str]) -> str:
    """The tokens the model reads, and the words it did not know (shown, never dropped)."""
    line = f"**The model reads {len(tokens)} tokens:** " + " ".join(_code(t) for t in tokens)
    if unknown:
        words = ", ".join(_code(w) for w in dict.fromkeys(unknown))
        line += (f"\n\n**Not in the vocabulary**, read as `[UNK]`: {words}. "
                 "Open *Vocabulary* below for the words the model knows.")
    return line


_SINGULAR = frozenset(v[0] for v in INTRANSITIVE + TRANSITIVE)
_PLURAL = frozenset(v[1] for v in INTRANSITIVE + TRANSITIVE)


def is_verb(word: str) -> bool:
    return word in _SINGULAR or word in _PLURAL


def verb_number(distribution: dict) -> dict[str, float]:
    """Total probability of the singular and of the plural verb forms: the agreement, in two numbers."""
    return {"all singular verbs": sum(distribution.get(w, 0.0) for w in _SINGULAR),
            "all plural verbs": sum(distribution.get(w, 0.0) for w in _PLURAL)}


def outcome_summary(before: dict, after: dict, name: str) -> str:
    """One sentence on how the top word (and, for verbs, the number agreement) moved."""
    top = [max(d, key=d.get) for d in (before, after)]
    text = (f"Top word as trained: **{top[0]}** (p = {before[top[0]]:.3f}); {name}: **{top[1]}** "
            f"(p = {after[top[1]]:.3f}; p({top[0]}) = {after[top[0]]:.3f}).")
    if is_verb(top[0]):
        (sg0, pl0), (sg1, pl1) = (verb_number(d).values() for d in (before, after))
        text += f" All singular verb forms together: {sg0:.2f} → {sg1:.2f}; all plural forms: {pl0:.2f} → {pl1:.2f}."
    return text
