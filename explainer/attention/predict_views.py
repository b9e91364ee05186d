"""The Attention views that read or change the model's prediction.

Temperature (logits ÷ τ before the softmax) and switched-off heads are each shown as the
prediction before and after the change; the encoder fills in every [MASK]; the decoder
generates text with temperature, top-k, top-p and a seed. Each ``*_view`` function is what
one group of controls drives: it checks its inputs with :mod:`.catalog`, runs the model
with :mod:`explainer.attention.run`, and builds figures with :mod:`.figures`.
"""

from __future__ import annotations

from dataclasses import dataclass

import plotly.graph_objects as go
import torch

from explainer import validate

from . import figures
from .catalog import (
    AttentionSettings,
    Catalog,
    S,
    check_text,
    layer_head,
    parse_heads,
    run_model,
    shape_of,
    shipped,
    top_k_value,
)
from .figures import markdown_tokens, outcome_summary
from .generate import generate
from .hf import HFModel
from .language import MASK
from .run import NEVER_GUESSED, LoadedModel, heads_off, predict_masked, predict_next, run_text
from .training import DECODER, ENCODER

# --- predictions before and after a change (temperature, heads switched off) -----------------------------


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
    words = [w for w in loaded.vocab.words if w not in NEVER_GUESSED]  # every word the top-k may name, [EOS] too
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
    top_k = top_k_value(top_k)
    loaded, run = run_model(catalog, model, text)
    layer, head = layer_head(loaded, layer, head)
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
    top_k = top_k_value(top_k)
    loaded, _ = run_model(catalog, model, text)
    if isinstance(loaded, HFModel):
        fig, summary = _prediction_or_note(loaded, text, top_k, {}, "", "Switching heads off unavailable")
        return AblationView(fig, summary)
    pairs = parse_heads(off, *shape_of(loaded))
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
    top_k = top_k_value(top_k)
    encoder = shipped(ENCODER, catalog.device)
    pred = predict_masked(encoder, check_text(text), top_k=top_k)
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
    g = generate(decoder, check_text(prompt), max_new_tokens=max_new_tokens, temperature=temperature, top_k=top_k,
                 top_p=top_p, seed=seed)
    prompt_words = " ".join(t for t in g.prompt if not t.startswith("[BOS"))
    new = " ".join(g.new_tokens)
    flagged = f"\n\nNot in the vocabulary (read as [UNK]): {', '.join(g.unknown)}" if g.unknown else ""
    return GenerateView(f"{prompt_words} **{new}**{flagged}", figures.build_generation(g.new_tokens, g.probabilities))
