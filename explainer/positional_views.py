"""The Positional Encodings tab's computations: validated settings in, figures out.

Each ``*_view`` function is what one group of controls drives: it checks its inputs
(raising :class:`~explainer.validate.InputError` with what to change), computes with
:mod:`explainer.positional`, and builds the figures with :mod:`explainer.positional_figures`.
Defaults and caps live in the frozen ``*Settings`` dataclasses so the UI's sliders and the
checks agree.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go

from explainer import positional, validate
from explainer import positional_figures as figs
from explainer.figstyle import thin, thinning_note


@dataclass(frozen=True)
class SinusoidalSettings:
    n_positions: int = 128  # rows of the PE table
    d_model: int = 128  # columns; must be even (sin/cos pairs)
    base: float = 10000.0  # 10000 in Vaswani et al.; the longest wavelength is 2π·base
    dims: str = "0, 1, 6, 7, 32"  # dimensions drawn as waves
    max_positions: int = 2048  # cap on n_positions
    max_d_model: int = 1024  # cap on d_model
    min_base: float = 2.0  # base ≤ 1 makes wavelengths shrink or vanish
    max_base: float = 1e7  # Llama 3 uses 5e5, Qwen 1e6
    max_waves: int = 8  # lines in the wave figure
    max_offset_points: int = 256  # points per line in the offset figure


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
class RopeSettings:
    head_dim: int = 64  # d of one query/key vector; must be even
    base: float = 10000.0  # θ_i = base^(−2i/d)
    pair: int = 0  # which pair (x[2i], x[2i+1]) to watch turn
    n_steps: int = 16  # positions drawn on the rotation figure
    m1: int = 0  # first absolute query position
    m2: int = 100  # second absolute query position
    max_offset: int = 64  # offsets −max … +max on the score figure
    key: str = "same as query"  # or "independent random"
    seed: int = 0  # draws q (and k)
    max_head_dim: int = 512
    max_steps: int = 256
    max_position: int = 100_000
    max_offset_cap: int = 1024
    key_choices: tuple[str, ...] = ("same as query", "independent random")


@dataclass(frozen=True)
class RopeView:
    rotation: go.Figure
    scores: go.Figure


def rope_view(head_dim, base, pair, n_steps, m1, m2, max_offset, key, seed, s: RopeSettings = RopeSettings()) -> RopeView:
    d = validate.integer(head_dim, "Head dimension d", lo=2, hi=s.max_head_dim, even=True)
    b = validate.real(base, "Base", lo=SinusoidalSettings.min_base, hi=SinusoidalSettings.max_base)
    i = validate.integer(pair, "Pair i", lo=0, hi=d // 2 - 1)
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

    offsets = np.arange(-k_max, k_max + 1)
    scores = {}
    for m in dict.fromkeys((start1, start2)):  # keeps order, drops a repeated position
        key_positions = m + offsets  # n = m + offset (negative positions rotate backwards; still a rotation)
        q_rot = positional.rope(q[None, :], np.array([m]), b)[0]  # (d,)
        k_rot = positional.rope(np.broadcast_to(k, (len(offsets), d)), key_positions, b)  # (2K+1, d)
        scores[m] = k_rot @ q_rot  # ⟨R(m)q, R(n)k⟩ for each n
    return RopeView(rotation, figs.build_rope_scores(offsets, scores, float(q @ k)))


@dataclass(frozen=True)
class AlibiSettings:
    n_heads: int = 8  # slopes 2^(−8/n)·h for n a power of two
    seq_len: int = 16  # side of each bias matrix
    causal: bool = True  # decoder (mask the future) or encoder (symmetric |i − j|)
    max_heads: int = 32
    max_seq_len: int = 64


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


@dataclass(frozen=True)
class LearnedSettings:
    table: str = "encoder (32 positions)"  # which trained model's learned table to draw
    tables: tuple[tuple[str, str], ...] = (  # (label, checkpoint)
        ("encoder (32 positions)", "attention_encoder"),
        ("decoder (32 positions)", "attention_decoder"),
        ("reversal model (10 positions)", "attention_positions_learned"),
    )
    digits: str = "31415926"  # input of the shuffling demonstration (reversal models read 8 digits)
    seed: int = 0  # draws the shuffle


@dataclass(frozen=True)
class LearnedView:
    table: go.Figure  # the learned position table, positions × dimensions
    similarity: go.Figure  # cosine similarity between positions: learned beside sinusoidal
    comparison: str  # Markdown: the five schemes' measured reversal accuracy
    equivariance: str  # Markdown: shuffle the input of a model without positions


ALIBI_NOTE = (
    "**Why ALiBi fails here.** In a bidirectional model ALiBi's penalty −m·|i − j| is the same for a key three "
    "places to the left and three places to the right: it gives a head the *distance* to a token but not its "
    "*direction*, and nothing about where a token stands in the sequence. Reversal needs exactly that — position i "
    "must fetch the token at n − 1 − i — so ALiBi scores like no positions at all. In a decoder the causal mask "
    "supplies the direction, which is how Press et al. used it."
)


@functools.lru_cache(maxsize=1)
def _comparison() -> str:
    """The five schemes' measured accuracies (read once from the checkpoints' JSON; read-only)."""
    from explainer.attention import positional_comparison

    measured = positional_comparison()
    rows = ["| positions | whole sequence reversed | digits right | attention on the mirror position (best head) |",
            "|---|---|---|---|"]
    for scheme, m in measured.items():
        rows.append(f"| {scheme} | {m['exact_sequence_accuracy']:.0%} | {m['token_accuracy']:.1%} | "
                    f"{m['anti_diagonal_mass']:.2f} |")
    n_test = next(iter(measured.values())).get("n_test", "held-out")
    return (f"The same 2-layer encoder trained to reverse 8 digits with each scheme, measured on {n_test} "
            "held-out sequences:\n\n" + "\n".join(rows) + "\n\n" + ALIBI_NOTE)


def learned_view(table, digits, seed, s: LearnedSettings = LearnedSettings()) -> LearnedView:
    import torch

    from explainer.attention import cosine_similarity, encode_text, learned_positions, permutation_equivariance
    from explainer.attention import figures as attention_figures
    from explainer.attention.catalog import shipped

    names = dict(s.tables)
    if table not in names:
        raise validate.InputError(f"Table must be one of {', '.join(names)}; got {str(table)[:60]!r}.")
    seed = validate.integer(seed, "Seed", lo=0, hi=2**31 - 1)
    if not isinstance(digits, str):
        raise validate.InputError(f"Digits must be a string, got {type(digits).__name__}.")
    learned = learned_positions(shipped(names[table]))  # (P, d)
    P, d = learned.shape
    figure_table = attention_figures.build_position_table(
        learned, title=f"Learned position table of the {table.split(' (')[0]}<br>"
                       "<span style='font-size:13px'>row p is added to the token at position p</span>")
    similarity = attention_figures.build_similarity_pair(cosine_similarity(learned),
                                                         cosine_similarity(positional.sinusoidal(P, d)))

    comparison = _comparison()
    none, with_table = shipped("attention_positions_none"), shipped("attention_positions_learned")
    checks = {"no positions": permutation_equivariance(none, digits, seed=seed),
              "learned positions": permutation_equivariance(with_table, digits, seed=seed)}
    check = checks["no positions"]
    perm = list(check.permutation)
    with torch.no_grad():
        ids = torch.tensor([encode_text(none, digits).ids])  # (1, T)
        answer = none.vocab.decode(none.model(ids).logits[0].argmax(-1))
        shuffled_answer = none.vocab.decode(none.model(ids[:, perm]).logits[0].argmax(-1))
    lines = [
        ("Shuffle the input tokens (the same shuffle for both models) and compare the outputs with the original "
         "outputs shuffled the same way:"),
        "",
        "| model | max \\|f(shuffled x) − shuffled f(x)\\| | max \\|A(shuffled x) − P A Pᵀ\\| | equivariant? |",
        "|---|---|---|---|",
        *(f"| {name} | {c.output_error:.2g} | {c.attention_error:.2g} | {'yes' if c.equivariant else 'no'} |"
          for name, c in checks.items()),
        "",
        f"Input: `{' '.join(check.tokens)}` → shuffled: `{' '.join(check.tokens[i] for i in perm)}`.",
        (f"The model without positions answers `{' '.join(answer)}` for the input and "
         f"`{' '.join(shuffled_answer)}` for the shuffled input: the same answers, shuffled the same way "
         f"({'identical' if [answer[i] for i in perm] == list(shuffled_answer) else 'differs'} after unshuffling). "
         "It cannot see order at all — which is why it fails at reversal."),
    ]
    return LearnedView(figure_table, similarity, comparison, "\n".join(lines))
