"""The Attention tab's computations: validated choices in, figures, HTML and text out.

Each ``*_view`` function is what one group of controls drives. It checks what a person
typed (raising :class:`~explainer.validate.InputError` with what to change), runs the model
with :mod:`explainer.attention.run`, and builds figures with :mod:`.figures`. Nothing is
kept between calls: the only module-level state is the cache of read-only loaded models.

The models a person may pick form a :class:`Catalog`, fixed when the app is built: the
shipped encoder, decoder and reversal model, plus Hugging Face folders named on the command
line. A request names a model by its label only, so no path ever comes from a request.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

import numpy as np
import plotly.graph_objects as go
import torch

from explainer import checkpoint, validate
from explainer.figstyle import thin, thinning_note
from explainer.validate import InputError

from . import bertviz_offline, figures
from .figures import markdown_tokens, outcome_summary
from .generate import generate
from .heads import HeadLabel
from .hf import HFModel, load_hf_model, run_hf
from .language import MASK
from .run import AttentionRun, LoadedModel, heads_off, load_model, predict_masked, predict_next, run_text
from .softmax import softmax1
from .training import DECODER, ENCODER, REVERSAL


@dataclass(frozen=True)
class AttentionSettings:
    top_k: int = 5  # words shown in a prediction
    max_top_k: int = 20  # cap on top_k
    tau: float = 0.5  # attention temperature compared with τ = 1 (< 1 sharpens)
    min_tau: float = 0.05  # τ → 0 is argmax attention; below this the logits overflow nothing useful
    max_tau: float = 20.0  # τ → ∞ is uniform attention
    max_chars: int = 600  # refuse longer text before tokenizing (the models read ≤ 32 tokens)
    max_masks_drawn: int = 4  # [MASK] panels in the fill-in figure
    grid_cells: int = 60_000  # most heatmap cells in the all-heads grid (tokens thinned beyond)
    bertviz_numbers: int = 200_000  # most attention numbers sent to one bertviz view (fewer layers beyond)
    new_tokens: int = 12  # generation defaults
    gen_temperature: float = 0.8
    gen_top_k: int = 20
    gen_top_p: float = 0.95
    seed: int = 0


S = AttentionSettings()
SHIPPED = MappingProxyType({
    "encoder · fills in [MASK]": ENCODER,
    "decoder · predicts the next word": DECODER,
    "reversal · reverses 8 digits": REVERSAL,
})
HF_PREFIX = "your model · "


@functools.cache
def shipped(name: str, device: str = "cpu") -> LoadedModel:
    """A shipped model, loaded once per process and never modified (safe to share)."""
    return load_model(name, device=device)


def shipped_shape(label: str) -> tuple[int, int]:
    """(layers, heads) of a shipped model, read from its JSON config without loading the weights."""
    config = json.loads(checkpoint.paths(SHIPPED[label])[1].read_text())["config"]
    return config["n_layers"], config["n_heads"]


@functools.lru_cache(maxsize=4)
def _hf(path: str, device: str) -> HFModel:
    return load_hf_model(path, device=device)


class Catalog:
    """The models on offer, fixed at start-up: label → shipped checkpoint or local HF folder."""

    def __init__(self, hf_dirs: Sequence[str | Path] = (), device: torch.device | str = "cpu"):
        self.device = str(torch.device(device))
        folders: dict[str, Path] = {}
        for d in hf_dirs:
            path = Path(d).expanduser().resolve()
            if not (path / "config.json").is_file():
                raise InputError(f"--hf-model {d}: not a model folder (it needs a config.json from save_pretrained).")
            label, n = HF_PREFIX + path.name, 2
            while label in folders:
                label, n = f"{HF_PREFIX}{path.name} ({n})", n + 1
            folders[label] = path
        self._hf = MappingProxyType(folders)

    @property
    def labels(self) -> tuple[str, ...]:
        return (*SHIPPED, *self._hf)

    def get(self, label: object) -> LoadedModel | HFModel:
        if isinstance(label, str) and label in SHIPPED:
            return shipped(SHIPPED[label], self.device)
        if isinstance(label, str) and label in self._hf:
            return _hf(str(self._hf[label]), self.device)
        raise InputError(f"Unknown model {str(label)[:80]!r}: pick one of {', '.join(self.labels)}.")


def _task(model: LoadedModel | HFModel) -> str:
    return "hf" if isinstance(model, HFModel) else model.task


def _shape(model: LoadedModel | HFModel) -> tuple[int, int]:
    return (model.n_layers, model.n_heads) if isinstance(model, HFModel) else (model.cfg.n_layers, model.cfg.n_heads)


def _text(text: object, s: AttentionSettings = S) -> str:
    if not isinstance(text, str):
        raise InputError(f"The text must be a string, got {type(text).__name__}.")
    if not text.strip():
        raise InputError("The text is empty: type a sentence or pick a preset.")
    if len(text) > s.max_chars:
        raise InputError(f"The text has {len(text)} characters; give at most {s.max_chars} "
                         "(the models read 32 tokens).")
    return text


def _run(catalog: Catalog, model: str, text: object, **options) -> tuple[LoadedModel | HFModel, AttentionRun]:
    loaded, text = catalog.get(model), _text(text)
    if isinstance(loaded, HFModel):
        return loaded, run_hf(loaded, text)
    return loaded, run_text(loaded, text, **options)


def _layer_head(loaded, layer, head) -> tuple[int, int]:
    L, H = _shape(loaded)
    return (validate.integer(layer, "Layer", lo=0, hi=L - 1), validate.integer(head, "Head", lo=0, hi=H - 1))


def default_query(tokens: Sequence[str], task: str) -> int:
    """The most telling query: the [MASK], the last token (decoder), or the first digit."""
    if MASK in tokens:
        return tokens.index(MASK)
    if task == "reverse":
        return 1
    return len(tokens) - 1 - (task in ("masked", "hf") and len(tokens) > 2)  # skip [EOS]/[SEP]


def _query(query, tokens, task) -> int:
    if query is None or query == "":
        return default_query(tokens, task)
    return validate.integer(query, "Query token", lo=0, hi=len(tokens) - 1)


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
    L, H = _shape(loaded)
    return ModelInfo(L, H, _task(loaded), head_names(L, H), not isinstance(loaded, HFModel))


@dataclass(frozen=True)
class Reading:
    tokens: tuple[str, ...]
    queries: list[tuple[str, int]]  # (label, position) for a query-token picker
    query: int  # the default query position


def read_text(catalog: Catalog, model: str, text: str) -> Reading:
    """Tokenize (and check) the text for this model; what a query-token picker offers."""
    loaded, run = _run(catalog, model, text)
    queries = [(f"{i}: {t}", i) for i, t in enumerate(run.tokens)]
    return Reading(run.tokens, queries, default_query(run.tokens, _task(loaded)))


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
    loaded, run = _run(catalog, model, text)
    layer, head = _layer_head(loaded, layer, head)
    label = _labels(loaded).get((layer, head))
    title = f"Layer {layer}, head {head}" + (f": {label.text}" if label else "")
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
    loaded, run = _run(catalog, model, text)
    layer, head = _layer_head(loaded, layer, head)
    if run.scores is None:
        message = _needs_scores("The step-through")
        return StepsView(message, figures.unavailable("Steps unavailable", message),
                         figures.unavailable("Weighted sum unavailable", message))
    q = _query(query, run.tokens, loaded.task)
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
    loaded, run = _run(catalog, model, text)
    layer, head = _layer_head(loaded, layer, head)
    if run.scores is None:
        message = _needs_scores("Comparing softmax with softmax1")
        return Softmax1View(figures.unavailable("softmax vs softmax1 unavailable", message), message)
    q = _query(query, run.tokens, loaded.task)
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


# --- predictions before and after a change (temperature, heads switched off) -----------------------------


def _top_k(top_k, s: AttentionSettings = S) -> int:
    return validate.integer(top_k, "top-k", lo=1, hi=s.max_top_k)


def _compare(loaded: LoadedModel, text: str, top_k: int, change: dict, name: str) -> tuple[go.Figure, str]:
    """What the model predicts with and without ``change`` (head_mask= / temperature=)."""
    if loaded.task == "reverse":
        runs = [run_text(loaded, text, **kw) for kw in ({}, change)]
        target = tuple(reversed(runs[0].tokens))
        probs = [torch.softmax(torch.from_numpy(r.logits).double(), -1).numpy() for r in runs]  # (T, V)
        ids = loaded.vocab.ids(target)
        before, after = ([float(p[i, j]) for i, j in enumerate(ids)] for p in probs)
        outputs = [tuple(loaded.vocab.decode(r.logits.argmax(-1))) for r in runs]
        fig = figures.build_before_after([f"{i}: {t}" for i, t in enumerate(target)], before, after,
                                         title=f"Probability of the right output at each position, {name}",
                                         y_title="p(right token)", names=("as trained", name))
        wrong = [sum(a != b for a, b in zip(o, target)) for o in outputs]
        return fig, (f"Output as trained: {' '.join(outputs[0])} ({wrong[0]} wrong); {name}: "
                     f"{' '.join(outputs[1])} ({wrong[1]} wrong).")
    predict = predict_masked if loaded.task == "masked" else predict_next
    words = [w for w in loaded.vocab.words if not w.startswith("[")]
    dists = [predict(loaded, text, top_k=top_k, candidates=words, **kw).guesses[0] for kw in ({}, change)]
    shown = list(dict.fromkeys([w for w, _ in dists[0].top] + [w for w, _ in dists[1].top]))
    before, after = ([d.candidates[w] for w in shown] for d in dists)
    if figures.is_verb(dists[0].top[0][0]):  # agreement: the number matters more than the verb
        (sg0, pl0), (sg1, pl1) = (figures.verb_number(d.candidates).values() for d in dists)
        shown = [*shown, "all singular verbs", "all plural verbs"]
        before, after = [*before, sg0, pl0], [*after, sg1, pl1]
    where = "the first [MASK]" if loaded.task == "masked" else "the next word"
    fig = figures.build_before_after(shown, before, after, title=f"Prediction for {where}, {name}",
                                     y_title="probability", names=("as trained", name))
    return fig, outcome_summary(dists[0].candidates, dists[1].candidates, name)


def _prediction_or_note(loaded, text, top_k, change, name, title) -> tuple[go.Figure, str]:
    if isinstance(loaded, HFModel):
        message = "This needs one of the shipped models (your model's heads cannot be switched or rescaled here)."
        return figures.unavailable(title, message), message
    if loaded.task == "masked" and MASK not in text.upper():
        message = "Put [MASK] in the text to see what the encoder predicts, e.g. 'the dogs that the girl sees [MASK] .'"
        return figures.unavailable(title, message), message
    return _compare(loaded, text, top_k, change, name)


@dataclass(frozen=True)
class TemperatureView:
    patterns: go.Figure  # the chosen head at τ = 1 and at τ
    prediction: go.Figure  # the model's prediction at τ = 1 and at τ
    summary: str


def temperature_view(catalog: Catalog, model: str, text: str, layer, head, tau, top_k,
                     s: AttentionSettings = S) -> TemperatureView:
    tau = validate.real(tau, "Attention temperature τ", lo=s.min_tau, hi=s.max_tau)
    top_k = _top_k(top_k)
    loaded, run = _run(catalog, model, text)
    layer, head = _layer_head(loaded, layer, head)
    if isinstance(loaded, HFModel):
        fig, summary = _prediction_or_note(loaded, text, top_k, {}, "", "Temperature unavailable")
        return TemperatureView(fig, figures.unavailable("Prediction unavailable", summary), summary)
    hot = run_text(loaded, text, temperature=tau)
    name = f"τ = {tau:g}"
    patterns = figures.build_pattern_pair(
        run.tokens, run.attention[layer, head], hot.attention[layer, head], names=("τ = 1 (as trained)", name),
        title=f"Layer {layer}, head {head}: logits ÷ τ before the softmax ({'sharper' if tau < 1 else 'flatter'})")
    fig, summary = _prediction_or_note(loaded, text, top_k, {"temperature": tau}, name, "Prediction")
    return TemperatureView(patterns, fig, summary)


@dataclass(frozen=True)
class AblationView:
    prediction: go.Figure  # grouped bars: as trained vs with the heads switched off
    summary: str


def ablation_view(catalog: Catalog, model: str, text: str, off, top_k) -> AblationView:
    top_k = _top_k(top_k)
    loaded, _ = _run(catalog, model, text)
    if isinstance(loaded, HFModel):
        fig, summary = _prediction_or_note(loaded, text, top_k, {}, "", "Switching heads off unavailable")
        return AblationView(fig, summary)
    pairs = parse_heads(off, *_shape(loaded))
    if not pairs:
        message = "Tick one or more heads to switch off."
        return AblationView(figures.unavailable("No head switched off", message), message)
    name = "without " + ", ".join(f"L{layer}H{head}" for layer, head in pairs)
    fig, summary = _prediction_or_note(loaded, text, top_k, {"head_mask": heads_off(loaded, pairs)}, name, "Prediction")
    return AblationView(fig, summary)


# --- masked LM vs next token -----------------------------------------------------------------------------


@dataclass(frozen=True)
class FillView:
    figure: go.Figure  # top-k words for each [MASK]
    tokens: str


def fill_view(catalog: Catalog, text: str, top_k, s: AttentionSettings = S) -> FillView:
    top_k = _top_k(top_k)
    encoder = shipped(ENCODER, catalog.device)
    pred = predict_masked(encoder, _text(text), top_k=top_k)
    panels = [(f"[MASK] at position {g.position}", [w for w, _ in g.top], [p for _, p in g.top])
              for g in pred.guesses[: s.max_masks_drawn]]
    more = len(pred.guesses) - len(panels)
    title = "The encoder fills in each [MASK], reading both sides" + (f" (first {len(panels)} shown)" * (more > 0))
    return FillView(figures.build_top_k(panels, title=title), markdown_tokens(pred.run.tokens, pred.run.unknown))


@dataclass(frozen=True)
class GenerateView:
    text: str  # Markdown: the prompt, then the generated words in bold
    figure: go.Figure  # probability of each generated word when drawn


def generate_view(catalog: Catalog, prompt: str, max_new_tokens, temperature, top_k, top_p, seed) -> GenerateView:
    decoder = shipped(DECODER, catalog.device)
    g = generate(decoder, _text(prompt), max_new_tokens=max_new_tokens, temperature=temperature, top_k=top_k,
                 top_p=top_p, seed=seed)
    prompt_words = " ".join(t for t in g.prompt if not t.startswith("[BOS"))
    new = " ".join(g.new_tokens)
    flagged = f"\n\nNot in the vocabulary (read as [UNK]): {', '.join(g.unknown)}" if g.unknown else ""
    return GenerateView(f"{prompt_words} **{new}**{flagged}", figures.build_generation(g.new_tokens, g.probabilities))


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
    rows = [[f"L{k[0]}H{k[1]}", h.text, h.mass, h.baseline] for k, h in sorted(labels.items())]
    return HeadsView(rows, f"Measured on held-out sentences when {loaded.name} was trained: each head's average "
                           "attention on the token pairs of each pattern; the best pattern names the head.")


@dataclass(frozen=True)
class BertvizView:
    head_view: str  # HTML: an <iframe> with bertviz's head view
    model_view: str  # HTML: an <iframe> with bertviz's model view


def bertviz_view(catalog: Catalog, model: str, text: str, script_base: str, s: AttentionSettings = S) -> BertvizView:
    _, run = _run(catalog, model, text)
    L, H, T, _ = run.attention.shape
    layers = list(range(max(1, min(L, s.bertviz_numbers // (H * T * T)))))
    tokens = [t.replace("\u0120", " ") for t in run.tokens]
    head = bertviz_offline.head_view(run.attention, tokens, script_base=script_base, layers=layers)
    whole = bertviz_offline.model_view(run.attention, tokens, script_base=script_base, layers=layers)
    return BertvizView(bertviz_offline.iframe(head, title="bertviz head view"),
                       bertviz_offline.iframe(whole, title="bertviz model view"))


# --- small text helpers ------------------------------------------------------------------------------------


def head_names(n_layers: int, n_heads: int) -> tuple[str, ...]:
    """"L0H0", "L0H1", … for every head (the names the switch-off checkboxes use)."""
    return tuple(f"L{layer}H{head}" for layer in range(n_layers) for head in range(n_heads))


_HEAD = re.compile(r"L(\d+)H(\d+)")


def parse_heads(off: object, n_layers: int, n_heads: int) -> list[tuple[int, int]]:
    """["L0H1", "L1H3"] (or "L0H1, L1H3") → [(0, 1), (1, 3)], each checked against the model."""
    items = off.replace(",", " ").split() if isinstance(off, str) else off
    if items is None:
        return []
    if not isinstance(items, (list, tuple)):
        raise InputError("Heads to switch off must be a list like ['L0H1', 'L1H2'].")
    pairs = []
    for item in items:
        match = _HEAD.fullmatch(str(item).strip().upper())
        if not match:
            raise InputError(f"Heads to switch off look like 'L0H1' (layer 0, head 1); got {str(item)[:20]!r}.")
        layer = validate.integer(match[1], "Layer of a head to switch off", lo=0, hi=n_layers - 1)
        head = validate.integer(match[2], "Head to switch off", lo=0, hi=n_heads - 1)
        pairs.append((layer, head))
    return list(dict.fromkeys(pairs))
