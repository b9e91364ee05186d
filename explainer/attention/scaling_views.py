"""The Scaling laws view: our runs, the law fitted to them, and Chinchilla's beside it.

``scaling_view(budget_log10, extra)`` fits L(N, D) = E + A/N^α + B/D^β to the shipped runs plus the
ones the person trained live (``extra``) and draws three figures: loss against N (one colour per
token budget D, the fitted law as lines), IsoFLOP curves (loss against N at fixed compute
C = 6ND, the fitted law, its minimum marked, the runs near each C), and the compute-optimal N and
D against C, ours and Chinchilla's, with the budget the person picked. Figures are pure builders.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go

from explainer import validate
from explainer.figstyle import OKABE_ITO, QUALITATIVE, axis, figure

from .scaling_law import CHINCHILLA, CHINCHILLA_TOKENS_PER_PARAM, ScalingLaw, fit
from .scaling_runs import Run, shipped_runs

MIN_BUDGET, MAX_BUDGET = 8.0, 16.0  # log10 of the compute budget the person may pick (FLOPs)
DEFAULT_BUDGET = 11.0
ISOFLOPS = (1e9, 1e10, 1e11, 1e12)  # the IsoFLOP curves drawn: our grid spans ~5·10⁸ … 2·10¹² FLOPs
LOG = {"type": "log"}


@dataclass(frozen=True)
class ScalingView:
    by_size: go.Figure  # loss against N, one colour per token budget, with the fitted law
    isoflop: go.Figure  # loss against N at fixed compute, fitted, minimum marked
    optimal: go.Figure  # compute-optimal N and D against C: ours and Chinchilla's
    summary: str  # Markdown: the fitted constants beside Chinchilla's, and the optimum at the budget


def _by_size(runs: Sequence[Run], law: ScalingLaw) -> go.Figure:
    traces = []
    n_line = np.geomspace(min(r.params for r in runs) / 1.5, max(r.params for r in runs) * 1.5, 60)
    budgets = sorted({round(r.tokens, -3) for r in runs})
    for i, d in enumerate(budgets):
        colour = QUALITATIVE[i % len(QUALITATIVE)]
        group = [r for r in runs if round(r.tokens, -3) == d]
        tokens = float(np.mean([r.tokens for r in group]))
        traces.append({"type": "scatter", "mode": "markers", "x": [r.params for r in group], "y": [r.loss for r in group],
                       "name": f"D ≈ {tokens:,.0f} tokens", "legendgroup": str(d), "marker": {"color": colour, "size": 9},
                       "hovertemplate": "N %{x:,} parameters<br>loss %{y:.3f} nats/token<extra></extra>"})
        traces.append({"type": "scatter", "mode": "lines", "x": n_line, "y": law.loss(n_line, tokens),
                       "legendgroup": str(d), "showlegend": False, "line": {"color": colour, "dash": "dot"},
                       "hoverinfo": "skip"})
    return figure(traces, title="Loss against model size: dots are runs, dotted lines the fitted law",
                  xaxis=axis("N: parameters outside the embeddings (log)", **LOG),
                  yaxis=axis("held-out loss (nats per token)"), height=400)


def _isoflop(runs: Sequence[Run], law: ScalingLaw) -> go.Figure:
    traces = []
    for i, c in enumerate(ISOFLOPS):
        colour = QUALITATIVE[i % len(QUALITATIVE)]
        n = np.geomspace(c / (6 * 5e6), c / (6 * 5e3), 80)  # from 5 M tokens per run down to 5 k
        n_opt, d_opt = law.optimal(c)
        traces.append({"type": "scatter", "mode": "lines", "x": n, "y": law.isoflop(c, n), "line": {"color": colour},
                       "name": f"C = 10^{np.log10(c):.0f} FLOPs", "legendgroup": str(c),
                       "hovertemplate": "N %{x:,.0f}<br>fitted loss %{y:.3f}<extra></extra>"})
        traces.append({"type": "scatter", "mode": "markers", "x": [float(n_opt)], "y": [float(law.loss(n_opt, d_opt))],
                       "marker": {"color": colour, "size": 13, "symbol": "star"}, "legendgroup": str(c),
                       "showlegend": False, "hovertemplate": f"fitted optimum at C = {c:.0e}: N %{{x:,.0f}}, "
                                                            f"D {float(d_opt):,.0f}<extra></extra>"})
        near = [r for r in runs if abs(np.log10(r.flops / c)) < 0.25]  # runs within a factor 1.8 of C
        if near:
            traces.append({"type": "scatter", "mode": "markers", "x": [r.params for r in near], "y": [r.loss for r in near],
                           "marker": {"color": colour, "size": 8, "line": {"color": "black", "width": 1}},
                           "legendgroup": str(c), "showlegend": False,
                           "hovertemplate": "a run: N %{x:,}<br>loss %{y:.3f}<extra>within ×1.8 of this C</extra>"})
    return figure(traces, title="IsoFLOP curves: the same compute spent on a bigger model or on more data",
                  xaxis=axis("N: parameters outside the embeddings (log)", **LOG),
                  yaxis=axis("loss (nats per token)"), height=400)


def _optimal(law: ScalingLaw, budget: float) -> go.Figure:
    c = np.geomspace(10**MIN_BUDGET, 10**MAX_BUDGET, 60)
    ours_n, ours_d = law.optimal(c)
    chin_n, chin_d = CHINCHILLA.optimal(c)
    blue, orange = OKABE_ITO["blue"], OKABE_ITO["vermillion"]
    traces = [
        {"type": "scatter", "x": c, "y": ours_n, "name": "N_opt, our fit", "line": {"color": blue}},
        {"type": "scatter", "x": c, "y": ours_d, "name": "D_opt, our fit", "line": {"color": orange}},
        {"type": "scatter", "x": c, "y": chin_n, "name": "N_opt, Chinchilla", "line": {"color": blue, "dash": "dash"}},
        {"type": "scatter", "x": c, "y": chin_d, "name": "D_opt, Chinchilla", "line": {"color": orange, "dash": "dash"}},
    ]
    shapes = [{"type": "line", "x0": 10**budget, "x1": 10**budget, "yref": "paper", "y0": 0, "y1": 1,
               "line": {"color": "grey", "dash": "dot"}}]
    return figure(traces, title="Compute-optimal model size and data, C = 6·N·D", shapes=shapes,
                  xaxis=axis("compute budget C (FLOPs, log)", **LOG), yaxis=axis("parameters N or tokens D (log)", **LOG),
                  height=400)


def _summary(law: ScalingLaw, budget: float, n_runs: int, n_live: int) -> str:
    c = 10**budget
    n, d = (float(v) for v in law.optimal(c))
    cn, cd = (float(v) for v in CHINCHILLA.optimal(c))
    live = f" + {n_live} trained here" if n_live else ""
    agree = abs(law.alpha - law.beta) < 0.1
    verdict = ("Like Chinchilla, our exponents α and β are close, so model size and data should grow at similar "
               "rates with compute." if agree else
               f"Unlike Chinchilla (α ≈ β), our α and β differ by {abs(law.alpha - law.beta):.2f}: at our scale the "
               f"optimum shifts {'towards more data' if law.alpha > law.beta else 'towards bigger models'} as "
               "compute grows.")
    return (
        f"| | E | A | B | α | β |\n|---|---|---|---|---|---|\n"
        f"| our fit ({n_runs} runs{live}) | {law.E:.3f} | {law.A:,.1f} | {law.B:,.1f} | {law.alpha:.3f} | {law.beta:.3f} |\n"
        f"| Chinchilla (Hoffmann et al. 2022) | {CHINCHILLA.E} | {CHINCHILLA.A} | {CHINCHILLA.B} | "
        f"{CHINCHILLA.alpha} | {CHINCHILLA.beta} |\n\n"
        f"At **C = 10^{budget:.1f} FLOPs** our fit puts the optimum at **N ≈ {n:,.0f}** parameters on "
        f"**D ≈ {d:,.0f}** tokens, {d / n:,.1f} tokens per parameter; Chinchilla's law gives N ≈ {cn:,.0f}, "
        f"D ≈ {cd:,.0f} ({cd / cn:,.1f} per parameter; their rule of thumb is ~{CHINCHILLA_TOKENS_PER_PARAM}). "
        f"{verdict} Our E is the entropy of a small generated language in nats per word, theirs of web text per "
        "subword token, so the constants are not comparable; the exponents and the balance are. Our smallest "
        "budgets are only ~30 optimizer steps at one learning rate for every size, so there D also counts steps "
        "a model did not get to take. Budgets far outside our runs (about 5·10⁸ to 2·10¹² FLOPs) are extrapolation."
    )


def scaling_view(budget_log10: float, extra: Sequence[Run] = ()) -> ScalingView:
    """Everything the Scaling laws sub-tab shows for a compute budget of 10^budget_log10 FLOPs."""
    budget = validate.real(budget_log10, "Compute budget (log10 FLOPs)", lo=MIN_BUDGET, hi=MAX_BUDGET)
    runs = [*shipped_runs(), *extra]
    law = fit([r.params for r in runs], [r.tokens for r in runs], [r.loss for r in runs])
    return ScalingView(_by_size(runs, law), _isoflop(runs, law), _optimal(law, budget),
                       _summary(law, budget, len(runs) - len(extra), len(extra)))
