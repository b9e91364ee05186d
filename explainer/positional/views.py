"""The Positional Encodings tab's computations: validated settings in, figures out.

Each ``*_view`` function is what one group of controls drives: it checks its inputs
(raising :class:`~explainer.validate.InputError` with what to change), computes with
:mod:`explainer.maths.positions`, and builds the figures with :mod:`explainer.positional.figures`.
Defaults and caps live in the frozen ``*Settings`` dataclasses of :mod:`explainer.positional.catalog`
so the UI's sliders and the checks agree. (The Learned sub-tab shows trained attention models:
its view lives with them, in :mod:`explainer.attention.learned_views`.)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go

from explainer import validate
from explainer.maths import positions as positional
from explainer.positional import figures as figs
from explainer.positional.catalog import AlibiSettings, RopeSettings, SinusoidalSettings
from explainer.figstyle import thin, thinning_note


@dataclass(frozen=True)
class SinusoidalView:
    heatmap: go.Figure
    waves: go.Figure
    wavelengths: go.Figure
    similarity: go.Figure
    offsets: go.Figure
    notice: str = ""  # Markdown: what was adjusted to fit (dimensions past d_model left out), else ""


def dims_to_draw(dims, d: int, s: SinusoidalSettings) -> tuple[list[int], str]:
    """The wave dimensions that exist for this d_model, and a note naming those left out.

    The list is checked against the largest d_model the slider offers, then clipped to
    0 … d − 1: a default like "0, 1, 6, 7, 32" stays valid when d_model is moved to 16.
    """
    asked = validate.int_list(dims, "Dimensions to draw", lo=0, hi=s.max_d_model - 1, max_items=s.max_waves)
    kept = [k for k in asked if k < d]
    dropped = [k for k in asked if k >= d]
    if not dropped:
        return kept, ""
    if not kept:
        kept = [0, 1]
    listed = ", ".join(map(str, dropped))
    return kept, (f"Dimension{'s' * (len(dropped) > 1)} {listed} left out of the waves: with d_model = {d} the "
                  f"dimensions are 0 … {d - 1}." + (" Drawing 0 and 1 instead." if kept == [0, 1] and 0 not in asked else ""))


def sinusoidal_view(n_positions, d_model, base, dims, s: SinusoidalSettings = SinusoidalSettings()) -> SinusoidalView:
    n = validate.integer(n_positions, "Number of positions", lo=1, hi=s.max_positions)
    d = validate.integer(d_model, "d_model", lo=2, hi=s.max_d_model, even=True)
    b = validate.real(base, "Base", lo=s.min_base, hi=s.max_base)
    chosen, notice = dims_to_draw(dims, d, s)

    # Only the rows each figure shows are computed: the full table can be 2048 × 1024.
    rows, cols = thin(n), thin(d)
    shown = positional.sinusoidal_at(rows, d, b)  # (P', d): the heatmap's and similarity's rows
    lambdas = positional.wavelengths(d, b)  # (d/2,)
    heatmap = figs.build_pe_heatmap(shown[:, cols], rows, cols, note=thinning_note((n, "position"), (d, "dimension")))
    waves = figs.build_waves(np.arange(n), positional.sinusoidal_at(np.arange(n), d, b, dims=chosen), chosen, lambdas)
    sim = shown @ shown.T  # (P', P'): PE[p]·PE[q] on the shown positions
    offsets = thin(max(1, n // 2), s.max_offset_points)  # k = 0 … n/2 − 1, thinned
    starts = sorted({0, n // 2 - 1} if n > 2 else {0})
    profiles = {
        p: positional.sinusoidal_at(p + offsets, d, b) @ positional.sinusoidal_at([p], d, b)[0]  # PE[p+k]·PE[p]
        for p in starts
    }
    return SinusoidalView(
        heatmap=heatmap,
        waves=waves,
        wavelengths=figs.build_wavelengths(lambdas, n),
        similarity=figs.build_similarity(sim, rows, note=thinning_note((n, "position"))),
        offsets=figs.build_offset_profiles(offsets, profiles, note=thinning_note((n // 2, "offset"), limit=s.max_offset_points)),
        notice=notice,
    )


@dataclass(frozen=True)
class RopeView:
    rotation: go.Figure
    scores: go.Figure


def rope_view(head_dim, base, pair, n_steps, m1, m2, max_offset, key, seed, s: RopeSettings = RopeSettings()) -> RopeView:
    d = validate.integer(head_dim, "Head dimension d", lo=2, hi=s.max_head_dim, even=True)
    b = validate.real(base, "Base", lo=SinusoidalSettings.min_base, hi=SinusoidalSettings.max_base)
    asked = validate.integer(pair, "Pair i", lo=0, hi=s.max_head_dim // 2 - 1)
    i = min(asked, d // 2 - 1)  # the slider offers every pair of the largest d: clip to this d's last pair
    steps = validate.integer(n_steps, "Positions shown", lo=2, hi=s.max_steps)
    start1 = validate.integer(m1, "Query position m₁", lo=0, hi=s.max_position)
    start2 = validate.integer(m2, "Query position m₂", lo=0, hi=s.max_position)
    k_max = validate.integer(max_offset, "Largest offset", lo=1, hi=s.max_offset_cap)
    if key not in s.key_choices:
        raise validate.InputError(f"Key vector must be one of {', '.join(s.key_choices)}; got {key!r}.")
    rng = np.random.default_rng(validate.integer(seed, "Seed", lo=0, hi=2**31 - 1))

    q = rng.standard_normal(d)  # (d,)
    k = q.copy() if key == s.key_choices[0] else rng.standard_normal(d)  # (d,)
    positions = np.arange(steps)
    rotated = positional.rope(np.broadcast_to(q, (steps, d)), positions, b)  # (P, d)
    theta = float(positional.inverse_frequencies(d, b)[i])
    rotation = figs.build_rope_rotation(rotated[:, 2 * i : 2 * i + 2], positions, i, theta)
    if i != asked:  # say so on the figure: the person asked for a pair this d does not have
        title = (rotation.layout.title.text or "").split("<br>")[0]
        rotation.layout.title.text = (f"{title}<br><span style='font-size:13px'>pair {asked} does not exist at d = {d} "
                                      f"(pairs 0–{d // 2 - 1}): showing pair {i}</span>")

    offsets = np.arange(-k_max, k_max + 1)
    scores = {}
    for m in dict.fromkeys((start1, start2)):  # keeps order, drops a repeated position
        key_positions = m + offsets  # n = m + offset (negative positions rotate backwards; still a rotation)
        q_rot = positional.rope(q[None, :], np.array([m]), b)[0]  # (d,)
        k_rot = positional.rope(np.broadcast_to(k, (len(offsets), d)), key_positions, b)  # (2K+1, d)
        scores[m] = k_rot @ q_rot  # ⟨R(m)q, R(n)k⟩ for each n
    return RopeView(rotation, figs.build_rope_scores(offsets, scores, float(q @ k)))


@dataclass(frozen=True)
class AlibiView:
    slopes: go.Figure
    biases: go.Figure


def alibi_view(n_heads, seq_len, causal, s: AlibiSettings = AlibiSettings()) -> AlibiView:
    h = validate.integer(n_heads, "Number of heads", lo=1, hi=s.max_heads)
    t = validate.integer(seq_len, "Sequence length", lo=2, hi=s.max_seq_len)
    if not isinstance(causal, bool):
        raise validate.InputError(f"Causal must be true or false, got {causal!r}.")
    slopes = positional.alibi_slopes(h)  # (H,)
    bias = positional.alibi_bias(h, t, causal=causal)  # (H, T, T)
    return AlibiView(figs.build_alibi_slopes(slopes), figs.build_alibi_biases(bias, slopes, causal=causal))
