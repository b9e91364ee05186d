"""The Attention tab's inspection views: validated choices in, figures, HTML and text out.

Each ``*_view`` function is what one group of controls drives. It checks what a person
typed (raising :class:`~explainer.validate.InputError` with what to change), runs the model
with :mod:`explainer.attention.run`, and builds figures with :mod:`.figures`. Nothing is
kept between calls: the only module-level state is the cache of read-only loaded models.

This module holds the views that look inside a model (heatmaps, one head step by step,
softmax vs softmax1, head labels, bertviz). The model catalog and the input checks live in
:mod:`.catalog`; the views that read or change the prediction (temperature, switching heads
off, filling in [MASK], generation) live in :mod:`.predict_views`. Both are re-exported
here, so callers keep using ``from explainer.attention import views as V``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go
import torch

from explainer.figstyle import thin, thinning_note

from . import bertviz_offline, figures
from .catalog import (
    HF_PREFIX,
    SHIPPED,
    AttentionSettings,
    Catalog,
    S,
    default_query,
    head_names,
    layer_head,
    parse_heads,
    query_index,
    run_model,
    shape_of,
    shipped,
    shipped_shape,
    task_of,
)
from .figures import markdown_tokens
from .heads import HeadLabel, plain_words
from .hf import HFModel
from .predict_views import (
    AblationView,
    FillView,
    GenerateView,
    TemperatureView,
    ablation_view,
    fill_view,
    generate_view,
    temperature_view,
)
from .softmax import softmax1

# The views defined here, plus the names callers take from .catalog and .predict_views through this module.
__all__ = [
    "HF_PREFIX",
    "SHIPPED",
    "AblationView",
    "AttentionSettings",
    "AttentionView",
    "BertvizView",
    "Catalog",
    "FillView",
    "GenerateView",
    "HeadsView",
    "ModelInfo",
    "Reading",
    "S",
    "Softmax1View",
    "StepsView",
    "TemperatureView",
    "ablation_view",
    "attention_view",
    "bertviz_view",
    "default_query",
    "fill_view",
    "generate_view",
    "head_names",
    "heads_view",
    "model_info",
    "parse_heads",
    "read_text",
    "shipped",
    "shipped_shape",
    "softmax1_view",
    "steps_view",
    "temperature_view",
]


# --- choosing a model and text -------------------------------------------------------------------------


@dataclass(frozen=True)
class ModelInfo:
    n_layers: int
    n_heads: int
    task: str  # "masked", "next_token", "reverse" or "hf" (your own model)
    heads: tuple[str, ...]  # "L0H0", … every head, for the switch-off checkboxes
    ablation: bool  # can heads be switched off (shipped models only)?


def model_info(catalog: Catalog, model: str) -> ModelInfo:
    loaded = catalog.get(model)
    L, H = shape_of(loaded)
    return ModelInfo(L, H, task_of(loaded), head_names(L, H), not isinstance(loaded, HFModel))


@dataclass(frozen=True)
class Reading:
    tokens: tuple[str, ...]
    queries: list[tuple[str, int]]  # (label, position) for a query-token picker
    query: int  # the default query position


def read_text(catalog: Catalog, model: str, text: str) -> Reading:
    """Tokenize (and check) the text for this model; what a query-token picker offers."""
    loaded, run = run_model(catalog, model, text)
    queries = [(f"{i}: {t}", i) for i, t in enumerate(run.tokens)]
    return Reading(run.tokens, queries, default_query(run.tokens, task_of(loaded)))


# --- heatmaps --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AttentionView:
    tokens: str  # Markdown: the tokens read, unknown words flagged
    heatmap: go.Figure  # the chosen head
    grid: go.Figure  # every head of every layer


def _labels(loaded) -> dict[tuple[int, int], HeadLabel]:
    if isinstance(loaded, HFModel):
        return {}
    return {(h["layer"], h["head"]): HeadLabel(**h) for h in loaded.metrics.get("head_labels", [])}


def attention_view(catalog: Catalog, model: str, text: str, layer, head, s: AttentionSettings = S) -> AttentionView:
    loaded, run = run_model(catalog, model, text)
    layer, head = layer_head(loaded, layer, head)
    label = _labels(loaded).get((layer, head))
    title = f"Layer {layer}, head {head}" + (f": {plain_words(label, loaded.cfg.causal)}" if label else "")
    L, H, T, _ = run.attention.shape
    keep = thin(T, max(2, int((s.grid_cells / (L * H)) ** 0.5)))
    note = thinning_note((T, "token"), limit=len(keep)) if len(keep) < T else ""
    return AttentionView(
        markdown_tokens(run.tokens, run.unknown),
        figures.build_attention_heatmap(run.attention[layer, head], run.tokens, title=title),
        figures.build_head_grid(run.attention, run.tokens, keep=keep, note=note),
    )


# --- one head, step by step ------------------------------------------------------------------------------


@dataclass(frozen=True)
class StepsView:
    explanation: str  # Markdown: the equations with this head's numbers
    steps: go.Figure  # QKᵀ → ÷√d_k → mask → softmax for one query
    mix: go.Figure  # weights · values → the head's output


def _needs_scores(what: str) -> str:
    return f"{what} needs every intermediate of attention, which only the shipped models return: pick one of them."


def steps_view(catalog: Catalog, model: str, text: str, layer, head, query) -> StepsView:
    loaded, run = run_model(catalog, model, text)
    layer, head = layer_head(loaded, layer, head)
    if run.scores is None:
        message = _needs_scores("The step-through")
        return StepsView(message, figures.unavailable("Steps unavailable", message),
                         figures.unavailable("Weighted sum unavailable", message))
    q = query_index(query, run.tokens, loaded.task)
    sc, cfg = run.scores, loaded.cfg
    raw, scaled, logits, weights = (getattr(sc, f)[layer, head, q] for f in ("raw", "scaled", "logits", "weights"))
    note = " (−∞ on later keys)" if cfg.causal else " (encoder: no key masked)"
    if cfg.positional == "alibi":
        note += " + ALiBi bias"
    visible = np.isfinite(logits)
    best = int(np.argmax(weights))
    explanation = (
        f"Query **{run.tokens[q]}** (position {q}), layer {layer}, head {head}; d_k = {cfg.d_k}, so scores are "
        f"divided by √{cfg.d_k} = {np.sqrt(cfg.d_k):.2f}. {int(visible.sum())} of {len(logits)} keys are visible"
        f"{'' if visible.all() else ' (the rest are masked: −∞ before the softmax, weight exactly 0)'}. "
        f"The softmax gives **{run.tokens[best]}** the most weight ({weights[best]:.3f}); the weights sum to "
        f"{weights.sum():.3f}. The head's output is Σⱼ wⱼ·vⱼ, a vector of {cfg.d_k} numbers."
    )
    return StepsView(
        explanation,
        figures.build_steps(run.tokens, q, raw, scaled, logits, weights, d_k=cfg.d_k, mask_note=note),
        figures.build_mix(run.tokens, q, weights, sc.v[layer, head], sc.mixed[layer, head, q]),
    )


# --- softmax vs softmax1 ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Softmax1View:
    comparison: go.Figure
    summary: str


def softmax1_view(catalog: Catalog, model: str, text: str, layer, head, query) -> Softmax1View:
    loaded, run = run_model(catalog, model, text)
    layer, head = layer_head(loaded, layer, head)
    if run.scores is None:
        message = _needs_scores("Comparing softmax with softmax1")
        return Softmax1View(figures.unavailable("softmax vs softmax1 unavailable", message), message)
    q = query_index(query, run.tokens, loaded.task)
    logits = run.scores.logits[layer, head]  # (T, T), −inf where masked
    soft = run.scores.weights[layer, head]  # the model's own softmax
    soft1 = softmax1(torch.from_numpy(np.ascontiguousarray(logits)), dim=-1).numpy()  # same scores, +1 below
    sums1 = soft1.sum(-1)
    low = int(np.argmin(sums1))
    summary = (
        f"Same scores, two normalisations. With softmax every row sums to exactly 1. With softmax1 the rows sum "
        f"to between **{sums1.min():.3f}** (query “{run.tokens[low]}”) and **{sums1.max():.3f}**: the missing "
        f"{1 - sums1.min():.3f} is attention paid to nothing. For “{run.tokens[q]}” softmax1 hands out "
        f"{sums1[q]:.3f} instead of 1. (This model was trained with the ordinary softmax, so its scores were "
        f"never pushed to use the extra option.)"
    )
    return Softmax1View(figures.build_softmax_compare(run.tokens, q, soft[q], soft1[q], soft.sum(-1), sums1), summary)


# --- what each head does, bertviz ------------------------------------------------------------------------


@dataclass(frozen=True)
class HeadsView:
    rows: list[list]  # [head, label, mass on its pattern, mass if attention were spread evenly]
    note: str


def heads_view(catalog: Catalog, model: str) -> HeadsView:
    loaded = catalog.get(model)
    labels = _labels(loaded)
    if not labels:
        return HeadsView([], "No measured labels for this model: they are computed on held-out data when a shipped "
                             "model is trained (`python -m explainer.train`).")
    rows = [[f"L{k[0]}H{k[1]}", plain_words(h, loaded.cfg.causal), h.mass, h.baseline] for k, h in sorted(labels.items())]
    return HeadsView(rows, f"Measured on held-out sentences when {loaded.name} was trained: each head's average "
                           "attention on the token pairs of each pattern; the best pattern names the head.")


@dataclass(frozen=True)
class BertvizView:
    head_view: str  # HTML: an <iframe> with bertviz's head view
    model_view: str  # HTML: an <iframe> with bertviz's model view


def bertviz_view(catalog: Catalog, model: str, text: str, script_base: str, layer=0, head=0,
                 s: AttentionSettings = S) -> BertvizView:
    """bertviz's two views; the head view opens on the app's ``layer`` with ``head`` ticked."""
    loaded, run = run_model(catalog, model, text)
    layer, head = layer_head(loaded, layer, head)
    L, H, T, _ = run.attention.shape
    layers = list(range(max(1, min(L, s.bertviz_numbers // (H * T * T)))))
    if layer not in layers:  # a long text sends only the first layers; the chosen one always goes too
        layers.append(layer)
    tokens = [t.replace("\u0120", " ") for t in run.tokens]
    head = bertviz_offline.head_view(run.attention, tokens, script_base=script_base, layers=layers, layer=layer,
                                     heads=[head])
    whole = bertviz_offline.model_view(run.attention, tokens, script_base=script_base, layers=layers)
    return BertvizView(bertviz_offline.iframe(head, title="bertviz head view"),
                       bertviz_offline.iframe(whole, title="bertviz model view"))
