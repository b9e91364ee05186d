"""The Positional Encodings tab: why order needs encoding, and four ways to do it.

Thin wiring only: each group of controls drives one ``explainer.positional.views`` function.
Two events per view (see :func:`_wire`): the page's, fired when its tab is opened and whenever the person
moves a control, which turns a refused value into a lasting notice under the controls and
frames saying why in place of the figures; and the API's (``api_name`` = the view's name),
which refuses with an error, as scripts expect.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
from collections.abc import Callable
from typing import Any

import gradio as gr
import torch

from demos.common import LIGHT, AppOptions, Number, Slider, caption, draw_when_opened, handler, plot, view_handler
from explainer.positional.figures import refused
from explainer.attention.learned_views import LearnedSettings, learned_view
from explainer.positional.catalog import AlibiSettings, RopeSettings, SinusoidalSettings
from explainer.positional.views import alibi_view, rope_view, sinusoidal_view
from explainer.validate import InputError

log = logging.getLogger("explainer")

INTRO = """
Attention has no idea *where* a token is: shuffle the words and each gets the same output, only shuffled
(*permutation-equivariance*), so "dog bites man" looks like "man bites dog". A positional encoding puts order
back in: three schemes computed live from their formulas, and **Learned**, the table a trained model learned.
"""

SIN, ROPE, ALIBI, LEARNED = SinusoidalSettings(), RopeSettings(), AlibiSettings(), LearnedSettings()


def notice() -> gr.Markdown:
    """Where a refused value, or what was adjusted to fit, is said until the next change."""
    return gr.Markdown(elem_classes=["notice"])


def page_view(view_fn: Callable[..., Any], outputs: list) -> Callable[..., tuple]:
    """The page's event function for a view: its figures and the text for its notice.

    A refused input (``InputError``) is not raised: the notice says what to change, for as
    long as the input stays refused, and every figure is replaced by a frame saying it is not
    drawn, so no figure stays up that belongs to other values. Raising would leave the old
    figures under a toast that fades in seconds, and Gradio drops a change queued behind a
    failed event (the page would not settle on the last value). A view's own ``notice`` field
    (e.g. dimensions left out) goes to the notice too.
    """

    @handler
    @functools.wraps(view_fn)
    def run(*args: Any) -> tuple:
        try:
            view = view_fn(*args)
        except InputError as exc:
            message = str(exc)[:400]
            log.info("refused in %s: %s", view_fn.__name__, message[:200])
            frame = refused("Not drawn: the values above were refused", "Change the control named in the red note")
            blanks = [frame if isinstance(c, gr.Plot) else "" for c in outputs]
            return (*blanks, f"**Not drawn.** {message}")
        values = {f.name: getattr(view, f.name) for f in dataclasses.fields(view)}
        note = values.pop("notice", "")
        return (*values.values(), f"Note: {note}" if note else "")

    return run


def _wire(opened: list, controls: list, defaults: tuple, view_fn, outputs: list, note: gr.Markdown, api_name: str, *,
          triggers: list | None = None, api_note: bool = False) -> Callable[..., tuple]:
    """The page's event and the API's for one view; returns the page's function (for Reset).

    The page listens to ``.input`` (the person moved the control), not ``.change`` (which also
    fires when an event sets the value), with exactly one event per trigger and
    ``trigger_mode="always_last"``: with several events on one trigger, Gradio 6.31 re-sends
    the whole trigger whenever one of them finishes with a change queued, and two such events
    re-trigger each other for ever. ``preprocess=False`` lets the view check raw values
    itself, so an emptied number box gets a notice rather than an error.
    """
    page = page_view(view_fn, outputs)
    draw_when_opened(opened, lambda: page(*defaults), [*outputs, note], api_name=f"{api_name}_open")
    gr.on(triggers or [c.input for c in controls], page, controls, [*outputs, note], api_name=f"{api_name}_page", api_visibility="undocumented",
          trigger_mode="always_last", preprocess=False, **LIGHT)
    api_outputs = [*outputs, note] if api_note else outputs  # api_note: the view has a notice field
    gr.on([], view_handler(view_fn), controls, api_outputs, api_name=api_name, **LIGHT)  # API only: no trigger
    return page


def _reset(button: gr.Button, controls: list, defaults: tuple, page, outputs: list, note, api_name: str) -> None:
    """Reset restores the defaults (its API returns just them), then the page redraws once."""
    button.click(lambda: defaults, outputs=controls, api_name=api_name).then(
        lambda: page(*defaults), outputs=[*outputs, note], api_name=f"{api_name}_redraw",
        api_visibility="undocumented", **LIGHT)


def _sinusoidal(opened: list) -> None:
    gr.Markdown(
        "**Sinusoidal** (Vaswani et al. 2017): every position gets a fixed vector added to its token "
        "embedding, PE[p, 2i] = sin(p / base^(2i/d)) and PE[p, 2i+1] = cos(p / base^(2i/d)). "
        "Each pair of dimensions is a clock hand turning at its own speed."
    )
    with gr.Row():
        n = Slider(1, SIN.max_positions, value=SIN.n_positions, step=1, label="Number of positions")
        d = Slider(2, SIN.max_d_model, value=SIN.d_model, step=2, label="d_model (even)")
        base = Number(value=SIN.base, label="Base", minimum=SIN.min_base, maximum=SIN.max_base)
        dims = gr.Textbox(value=SIN.dims, label=f"Dimensions to draw as waves (up to {SIN.max_waves})")
        reset = gr.Button("Reset", scale=0, min_width=90)
    note = notice()
    heat, waves, lengths, sim, offsets = (
        plot(x, render=False) for x in ("PE matrix", "Waves", "Wavelengths", "Similarity", "Offsets")
    )
    with gr.Row():
        with gr.Column():
            heat.render()
            caption("Rows are positions, columns dimensions. Left columns flicker fast, right ones barely move: "
                    "a position is spelled out by many clocks at once, like digits of a number.")
        with gr.Column():
            waves.render()
            caption("The chosen columns as curves: dimension 2i is a sine and 2i+1 the cosine of the same angle.")
    with gr.Row():
        with gr.Column():
            lengths.render()
            caption("Wavelength of each pair, 2π·base^(2i/d) positions. Pairs above the dashed line never complete "
                    "a cycle within the sequence, so they tell far-apart positions apart.")
        with gr.Column():
            sim.render()
            caption("PE[p]·PE[q] for every pair of positions. Stripes run parallel to the diagonal: "
                    "the similarity depends on the distance q − p, not on where the pair sits.")
    offsets.render()
    caption("The same dot product against the offset k, starting from two different positions: the curves lie "
            "on top of each other, since PE[p]·PE[p+k] = Σᵢ cos(k·ωᵢ) has no p in it.")
    controls, outputs = [n, d, base, dims], [heat, waves, lengths, sim, offsets]
    defaults = (SIN.n_positions, SIN.d_model, SIN.base, SIN.dims)
    page = _wire(opened, controls, defaults, sinusoidal_view, outputs, note, "sinusoidal", api_note=True)
    _reset(reset, controls, defaults, page, outputs, note, "sinusoidal_reset")


def _rope(opened: list) -> None:
    gr.Markdown(
        "**RoPE** (Su et al. 2021): instead of adding a vector, rotate each consecutive pair (x[2i], x[2i+1]) "
        "of a query or key by the angle position × θᵢ, θᵢ = base^(−2i/d). A query at m and a key at n then "
        "score ⟨R(m)q, R(n)k⟩ = ⟨q, R(n−m)k⟩: only the offset n − m is left."
    )
    with gr.Row():
        d = Slider(2, ROPE.max_head_dim, value=ROPE.head_dim, step=2, label="Head dim d (even)")
        base = Number(value=ROPE.base, label="Base", minimum=SIN.min_base, maximum=SIN.max_base)
        pair = Slider(0, ROPE.max_head_dim // 2 - 1, value=ROPE.pair, step=1, label="Pair i to watch")
        steps = Slider(2, ROPE.max_steps, value=ROPE.n_steps, step=1, label="Positions shown")
        reset = gr.Button("Reset", scale=0, min_width=90)
    with gr.Row():
        m1 = Slider(0, 4096, value=ROPE.m1, step=1, label="Query at m₁")
        m2 = Slider(0, 4096, value=ROPE.m2, step=1, label="Query at m₂")
        k_max = Slider(1, ROPE.max_offset_cap, value=ROPE.max_offset, step=1, label="Largest offset")
        key = gr.Radio(list(ROPE.key_choices), value=ROPE.key, label="Key vector", scale=2)
        seed = Number(value=ROPE.seed, label="Seed (draws q, k)", precision=0, minimum=0, maximum=2**31 - 1)
    note = notice()
    with gr.Row():
        with gr.Column():
            rotation = plot("Rotation")
            caption("One pair of a random query vector, rotated to positions 0, 1, 2, …: the point walks round "
                    "a circle, θᵢ radians a step. Early pairs spin fast; late pairs crawl.")
        with gr.Column():
            scores = plot("Scores")
            caption("The attention score of the query against the key placed at each offset, computed twice with "
                    "the query at m₁ and at m₂. The two curves coincide: RoPE scores see relative position only. "
                    "With key = query the score peaks at offset 0 and tends to fall with distance.")
    inputs, outputs = [d, base, pair, steps, m1, m2, k_max, key, seed], [rotation, scores]
    defaults = (ROPE.head_dim, ROPE.base, ROPE.pair, ROPE.n_steps, ROPE.m1, ROPE.m2, ROPE.max_offset, ROPE.key,
                ROPE.seed)
    page = _wire(opened, inputs, defaults, rope_view, outputs, note, "rope")
    _reset(reset, inputs, defaults, page, outputs, note, "rope_reset")


def _alibi(opened: list) -> None:
    gr.Markdown(
        "**ALiBi** (Press et al. 2022): no position vector at all. Each head h subtracts m_h × distance from "
        "its attention scores, so far-away tokens are penalised, some heads steeply, some gently. The slopes "
        "m_h form a geometric sequence, 2^(−8/n), 2^(−16/n), … for n heads."
    )
    with gr.Row():
        heads = Slider(1, ALIBI.max_heads, value=ALIBI.n_heads, step=1, label="Number of heads")
        length = Slider(2, ALIBI.max_seq_len, value=ALIBI.seq_len, step=1, label="Sequence length")
        causal = gr.Checkbox(value=ALIBI.causal, label="Causal (decoder: mask the future)")
        reset = gr.Button("Reset", scale=0, min_width=90)
    note = notice()
    slopes = plot("Slopes")
    caption("One slope per head (log scale). Steep heads look only at their neighbours; gentle heads see far.")
    biases = plot("Biases")
    caption("What each head adds to its scores before the softmax, one tile per head (query i down, key j "
            "across): 0 on the diagonal, falling by m per step of distance. Softmax turns a bias of −b into a "
            "factor e^(−b) on the weight.")
    controls, outputs = [heads, length, causal], [slopes, biases]
    defaults = (ALIBI.n_heads, ALIBI.seq_len, ALIBI.causal)
    page = _wire(opened, controls, defaults, alibi_view, outputs, note, "alibi")
    _reset(reset, controls, defaults, page, outputs, note, "alibi_reset")


def _learned(opened: list, device: torch.device) -> None:
    gr.Markdown(
        "**Learned** (BERT, GPT-2): a table P with one trainable row per position, added to the token embedding "
        "and trained with everything else. Nothing tells it to be smooth or periodic; whatever structure it has, "
        "the task put there."
    )
    with gr.Row():
        table = gr.Radio([label for label, _ in LEARNED.tables], value=LEARNED.table, label="Learned table of")
        digits = gr.Textbox(LEARNED.digits, label="8 digits to shuffle (press Enter)")
        seed = Number(value=LEARNED.seed, label="Seed (draws the shuffle)", precision=0, minimum=0, maximum=2**31 - 1)
        reset = gr.Button("Reset", scale=0, min_width=90)
    note = notice()
    with gr.Row():
        with gr.Column():
            heat = plot("Learned table")
            caption("The trained model's position table: rows are positions, columns embedding dimensions. "
                    "Hover for a value.")
        with gr.Column():
            sim = plot("Position similarity")
            caption("Cosine similarity between the rows of the learned table (left) and of a sinusoidal table "
                    "of the same size (right): both make neighbouring positions alike, the learned one only "
                    "as far as training needed it.")
    comparison = gr.Markdown()
    equivariance = gr.Markdown()
    controls, outputs = [table, digits, seed], [heat, sim, comparison, equivariance]

    @functools.wraps(learned_view)  # its name in the logs, its parameters for Gradio (which passes s's default)
    def on_device(table_value, digits_value, seed_value, s: LearnedSettings = LEARNED):
        return learned_view(table_value, digits_value, seed_value, s, device=device)  # trained models: app's device

    defaults = (LEARNED.table, LEARNED.digits, LEARNED.seed)
    page = _wire(opened, controls, defaults, on_device, outputs, note, "learned",
                 triggers=[table.input, digits.submit, seed.input])
    reset.click(lambda: (*defaults, *page(*defaults)), outputs=[*controls, *outputs, note], api_name="learned_reset")


def render(app: gr.Blocks, options: AppOptions) -> None:
    # Sinusoidal, RoPE and ALiBi are formulas computed in NumPy: no device. Learned runs three tiny trained
    # attention models, on the app's device (options.device: cuda → mps → cpu, or --device).
    # Nothing is drawn on page load (a room of visitors would queue four events each): each view
    # draws when its tab is opened; Sinusoidal, the first, also when the Positional tab is.
    del app
    with gr.Tab("Positional encodings", id="positional") as tab:
        gr.Markdown(INTRO)
        with gr.Tabs():
            with gr.Tab("Sinusoidal", id="sinusoidal") as sinusoidal:
                _sinusoidal([tab.select, sinusoidal.select])
            with gr.Tab("RoPE", id="rope") as rope:
                _rope([rope.select])
            with gr.Tab("ALiBi", id="alibi") as alibi:
                _alibi([alibi.select])
            with gr.Tab("Learned", id="learned") as learned:
                _learned([learned.select], options.device)
