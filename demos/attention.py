"""The Attention tab: which words attend to which, in every layer and head, and why.

Thin wiring: every figure comes from an ``explainer.attention.views`` function; one short function per sub-view.
* Model, Preset, Enter / Run and Reset *apply* the text: one event checks it, updates the pickers, keeps the
  applied (model, text) in a ``gr.State`` and draws every view in one reply. A refused text leaves a lasting
  red note under the Text box and a "not drawn" frame for every figure.
* Every other control fires its ``.input`` event (moved by the person, not set by a reply) and redraws only the
  views that use it, for the applied text: one event per trigger, "always_last" (see
  :func:`demos.positional._wire` for why Gradio 6.31 needs that).
* ``/attention``, ``/attention_steps``, … take model and text as arguments for scripts: events with no trigger
  on the page, which refuse bad input with an error. The sub-views' components are built in
  :mod:`demos.attention_layout`; "Masked LM vs next token" has its own inputs and events (:func:`_language_models`).
"""

from __future__ import annotations

import dataclasses
import functools
import logging
from dataclasses import dataclass
from typing import Any

import gradio as gr

from demos import attention_layout as L
from demos import attention_scaling
from demos.attention_layout import Page
from demos.common import LIGHT, AppOptions, Number, Slider, caption, draw_when_opened, handler, plot, view_handler
from explainer.attention import figures
from explainer.attention import views as V
from explainer.attention.presets import PRESETS, vocabulary_markdown
from explainer.validate import InputError

log = logging.getLogger("explainer")
FILL_TEXT = "the [MASK] that the girls see [MASK] ."  # the masked-LM box's default
PAGE = {"trigger_mode": "always_last", **LIGHT}  # the page's own events

SCRIPT_BASE = "explainer/vendor/"  # relative to the page; served by demos.figure_tools.ScriptFiles (no server path)
S = V.S


INTRO = """
In every layer each **head** lets every token (the *query*) gather information from the others (the *keys*),
weighted by how well they match. Pick a model and a sentence — the presets show long-range links the models
learned — and see where each head looks, how it computes its weights, and what happens when heads are off.
"""

LM_NOTE = ("**This sub-tab has its own inputs.** It always uses the shipped encoder (left) and decoder (right) "
           "with the text boxes below; the Model, Text, Layer and Head controls above do not apply here.")


@dataclass(frozen=True)
class Controls:
    """The values of the controls under the text, as one request read them."""
    layer: Any
    head: Any
    query: Any  # a token position, or None for the default query of the text
    tau: Any
    top_k: Any
    off: Any  # heads to switch off, e.g. ["L0H1"]


def _not_drawn(components: list, message: str) -> dict:
    """What replaces a view's outputs when its input was refused: frames saying why, no old picture."""
    return {c: figures.unavailable("Not drawn", message) if isinstance(c, gr.Plot)
            else "" if isinstance(c, (gr.Markdown, gr.HTML)) else None for c in components}


def _refusal(message: str) -> str:
    return f"**Not drawn.** {message}"


VIEWS = {  # view -> how it is drawn from the catalog, the applied (model, text) and the Controls
    "heatmaps": lambda cat, m, t, c: V.attention_view(cat, m, t, c.layer, c.head),
    "steps": lambda cat, m, t, c: V.steps_view(cat, m, t, c.layer, c.head, c.query),
    "softmax1": lambda cat, m, t, c: V.softmax1_view(cat, m, t, c.layer, c.head, c.query),
    "temperature": lambda cat, m, t, c: V.temperature_view(cat, m, t, c.layer, c.head, c.tau, c.top_k),
    "ablation": lambda cat, m, t, c: V.ablation_view(cat, m, t, c.off, c.top_k),
    "bertviz": lambda cat, m, t, c: V.bertviz_view(cat, m, t, SCRIPT_BASE, c.layer, c.head),
    "heads": lambda cat, m, t, c: V.heads_view(cat, m),
}


def render(app: gr.Blocks, options: AppOptions) -> None:
    del app  # nothing on page load: the tab draws when it is opened
    catalog = V.Catalog(options.hf_model_dirs, options.device)  # fixed now: requests name a model, never a path
    with gr.Tab("Attention", id="attention") as tab:
        gr.Markdown(INTRO)
        page = L.controls(catalog)
        with gr.Tabs():
            with gr.Tab("Heatmaps", id="attention_heatmaps"):
                heatmaps = L.heatmaps(page.tokens)
            with gr.Tab("Step through a head", id="attention_steps"):
                steps = L.steps()
            with gr.Tab("bertviz", id="attention_bertviz"):
                bertviz = L.bertviz()
            with gr.Tab("softmax vs softmax1", id="attention_softmax1"):
                softmax1 = L.softmax1()
            with gr.Tab("Temperature", id="attention_temperature"):
                page.tau, temperature = L.temperature()
            with gr.Tab("Switch heads off", id="attention_ablation"):
                page.off, ablation = L.ablation(catalog)
            with gr.Tab("Masked LM vs next token", id="attention_lm") as lm:
                _language_models(lm, catalog)
            with gr.Tab("What each head does", id="attention_heads"):
                heads = L.heads()
            with gr.Tab("Scaling laws", id="attention_scaling") as scaling:
                attention_scaling.render(scaling, options)
        with gr.Accordion("Vocabulary: the words the models know", open=False):
            gr.Markdown(vocabulary_markdown())
        page.out = {"heatmaps": heatmaps, "steps": steps, "softmax1": softmax1, "temperature": temperature,
                    "ablation": ablation, "bertviz": bertviz, "heads": heads}  # in the order each view lists them
        page.every_output = [c for name in VIEWS for c in page.out[name]]
        _apply_events(tab, page)  # inside the tab: the events' gr.State must not land among the app's tabs
        _control_events(page)
        _api_events(page)


# --- the events --------------------------------------------------------------------------------------
def _draw(p: Page, names, m: str, t: str, c: Controls) -> dict:
    """The outputs of the named views; a view that refuses its controls says so in the notice."""
    result: dict = {}
    for name in names:
        try:
            view = VIEWS[name](p.catalog, m, t, c)
        except InputError as exc:
            log.info("refused in attention %s: %s", name, str(exc)[:200])
            result.update(_not_drawn(p.out[name], str(exc)[:400]))
            result[p.notice] = _refusal(str(exc)[:400])
            continue
        result.update(zip(p.out[name], (getattr(view, f.name) for f in dataclasses.fields(view))))
    return result


def _apply(p: Page, m: str, t: str, c: Controls) -> dict:
    """Check the text, then draw every view for it; a refused text clears them all."""
    try:
        reading = V.read_text(p.catalog, m, t)
    except InputError as exc:
        log.info("refused in attention text: %s", str(exc)[:200])
        blank = _not_drawn(p.every_output, "The text was refused: see the red note under the Text box.")
        return {**blank, p.query: gr.update(choices=[], value=None), p.shown: None, p.notice: _refusal(str(exc)[:400])}
    c = dataclasses.replace(c, query=reading.query)
    return {p.notice: "", **_draw(p, VIEWS, m, t, c), p.query: gr.update(choices=reading.queries, value=reading.query),
            p.shown: (m, t)}


def _picked(p: Page, model_label):
    """A model's first preset, and the updates that fit the pickers to the model."""
    info = V.model_info(p.catalog, model_label)
    first = PRESETS[info.task][0]
    return info, first, {p.preset: gr.update(choices=[x.name for x in PRESETS[info.task]], value=first.name),
                         p.text: first.text, p.layer: _index_slider(info.n_layers), p.head: _index_slider(info.n_heads),
                         p.off: gr.update(choices=list(info.heads) if info.ablation else [],
                                          value=list(first.off) if info.ablation else [], interactive=info.ablation)}


def _apply_events(tab: gr.Tab, p: Page) -> None:
    """Model, Preset, Enter / Run and Reset apply the text: one event each, one reply with everything."""
    first, preset0 = p.catalog.labels[0], PRESETS["masked"][0]

    @handler
    def on_model(model_label, tau_value, k):
        info, chosen, updates = _picked(p, model_label)
        return {**updates, **_apply(p, model_label, chosen.text, Controls(0, 0, None, tau_value, k,
                                                                          list(chosen.off) if info.ablation else []))}

    @handler
    def on_preset(model_label, name, layer_value, head_value, tau_value, k):
        chosen = next((x for x in PRESETS[V.model_info(p.catalog, model_label).task] if x.name == name), None)
        if chosen is None:
            return {p.notice: _refusal(f"Unknown preset {str(name)[:60]!r} for this model: pick one from the list.")}
        controls = Controls(layer_value, head_value, None, tau_value, k, list(chosen.off))
        return {p.text: chosen.text, p.off: list(chosen.off), **_apply(p, model_label, chosen.text, controls)}

    @handler
    def on_apply(model_label, text_value, layer_value, head_value, tau_value, k, off_value):
        return _apply(p, model_label, text_value, Controls(layer_value, head_value, None, tau_value, k, off_value))

    @handler
    def on_reset():
        return {**_picked(p, first)[2], p.model: first, p.top_k: S.top_k, p.tau: S.tau,
                **_apply(p, first, preset0.text, Controls(0, 0, None, S.tau, S.top_k, list(preset0.off)))}

    applied, pickers = [p.query, p.shown, p.notice, *p.every_output], [p.preset, p.text, p.layer, p.head, p.off]
    gr.on([p.model.input], on_model, [p.model, p.tau, p.top_k], [*pickers, *applied],
          api_name="attention_model_page", **PAGE)
    gr.on([p.preset.input], on_preset, [p.model, p.preset, p.layer, p.head, p.tau, p.top_k], [p.text, p.off, *applied],
          api_name="attention_preset_page", **PAGE)
    gr.on([p.text.submit, p.run.click], on_apply, [p.model, p.text, p.layer, p.head, p.tau, p.top_k, p.off],
          applied, api_name="attention_apply", **PAGE)
    draw_when_opened([tab.select], lambda: _apply(p, first, preset0.text, Controls(0, 0, None, S.tau, S.top_k,
                                                                                     list(preset0.off))),
                     applied, api_name="attention_open")
    reset = [p.model, p.preset, p.text, p.layer, p.head, p.top_k, p.tau, p.off]
    gr.on([p.reset.click], on_reset, None, [*reset, *applied], api_name="attention_reset", **PAGE)
    # Typing in the text box: the preset no longer names it, and the figures are for the applied text.
    p.text.input(None, None, [p.preset, p.notice], js="() => [null, 'Edited: press Enter or Run to draw the figures "
                                                      "for this text.']")


def _control_events(p: Page) -> None:
    """Each other control redraws only the views that use it, for the applied text."""
    def redraw(names, outputs):
        @handler
        def fn(applied_now, layer_value, head_value, query_value, tau_value, k, off_value):
            if applied_now is None:  # the text was refused: the frames already say so
                return {o: gr.skip() for o in outputs}
            m, t = applied_now
            drawn = _draw(p, names, m, t, Controls(layer_value, head_value, query_value, tau_value, k, off_value))
            return {o: v for o, v in drawn.items() if o in outputs}

        return fn

    controls = [p.shown, p.layer, p.head, p.query, p.tau, p.top_k, p.off]
    (tokens, _, grid), model_view, patterns = p.out["heatmaps"], p.out["bertviz"][1], p.out["temperature"][0]
    for triggers, names, skip, api_name in (
        ([p.layer.input, p.head.input], ("heatmaps", "steps", "softmax1", "temperature", "bertviz"),
         (tokens, grid, model_view), "attention_head_page"),
        ([p.query.input], ("steps", "softmax1"), (), "attention_query_page"),
        ([p.tau.input], ("temperature",), (), "attention_tau_page"),
        ([p.top_k.input], ("temperature", "ablation"), (patterns,), "attention_top_k_page"),
        ([p.off.input], ("ablation",), (), "attention_off_page"),
    ):
        outputs = [o for name in names for o in p.out[name] if o not in skip] + [p.notice]
        gr.on(triggers, redraw(names, outputs), controls, outputs, api_name=api_name, **PAGE)


def _api_events(p: Page) -> None:
    """Each view with model and text as arguments, for scripts: no trigger on the page, errors raised."""
    catalog = p.catalog

    def bertviz(model_label, text_value, layer_value, head_value):
        return V.bertviz_view(catalog, model_label, text_value, SCRIPT_BASE, layer_value, head_value)

    @handler
    def on_model_api(model_label):
        _, chosen, updates = _picked(p, model_label)
        reading = V.read_text(catalog, model_label, chosen.text)
        return (*updates.values(), gr.update(choices=reading.queries, value=reading.query))

    @handler
    def on_preset_api(model_label, name):
        chosen = next((x for x in PRESETS[V.model_info(catalog, model_label).task] if x.name == name), None)
        if chosen is None:
            raise InputError(f"Unknown preset {str(name)[:60]!r} for this model: pick one from the list.")
        reading = V.read_text(catalog, model_label, chosen.text)
        return chosen.text, list(chosen.off), gr.update(choices=reading.queries, value=reading.query)

    model, text, layer, head, query, tau, top_k, off = p.model, p.text, p.layer, p.head, p.query, p.tau, p.top_k, p.off
    for fn, inputs, name, api_name in (
        (V.attention_view, [model, text, layer, head], "heatmaps", "attention"),
        (V.steps_view, [model, text, layer, head, query], "steps", "attention_steps"),
        (V.softmax1_view, [model, text, layer, head, query], "softmax1", "attention_softmax1"),
        (V.temperature_view, [model, text, layer, head, tau, top_k], "temperature", "attention_temperature"),
        (V.ablation_view, [model, text, off, top_k], "ablation", "attention_ablation"),
        (V.heads_view, [model], "heads", "attention_heads"),
    ):
        gr.on([], view_handler(functools.partial(fn, catalog)), inputs, p.out[name], api_name=api_name, **LIGHT)
    gr.on([], view_handler(bertviz), [model, text, layer, head], p.out["bertviz"], api_name="attention_bertviz",
          **LIGHT)
    gr.on([], on_model_api, [model], [p.preset, text, layer, head, off, query], api_name="attention_model", **LIGHT)
    gr.on([], on_preset_api, [model, p.preset], [text, off, query], api_name="attention_preset", **LIGHT)


def _index_slider(n: int) -> dict:
    """A 0 … n−1 slider reset to 0; with one choice it is fixed (a slider needs minimum < maximum)."""
    return gr.update(maximum=max(n - 1, 1), value=0, interactive=n > 1)


def _language_models(tab: gr.Tab, catalog: V.Catalog) -> None:
    """Fill in [MASK] with the encoder; continue a prompt with the decoder (both drawn when the sub-tab opens)."""
    gr.Markdown(LM_NOTE, elem_classes=["lm-note"])
    with gr.Row():
        with gr.Column():
            gr.Markdown("**Encoder (masked LM, like BERT):** reads the whole sentence, both sides of each `[MASK]`.")
            fill_text = gr.Textbox(FILL_TEXT, label="Text with [MASK] (press Enter)")
            fill_k = Slider(1, S.max_top_k, value=S.top_k, step=1, label="Words shown (top-k)")
            fill_plot = plot("Fill in")
            caption("The k most probable words for each [MASK], with their probabilities.")
            fill_tokens = gr.Markdown()
        with gr.Column():
            gr.Markdown("**Decoder (next token, like GPT):** sees only the words before; generates one word at a time.")
            prompt = gr.Textbox("when alice meets bob", label="Prompt (press Enter)")
            with gr.Row():
                new = Slider(1, 30, value=S.new_tokens, step=1, label="Words to generate")
                temperature = Slider(0, 2, value=S.gen_temperature, step=0.05, label="Temperature (0 = greedy)")
            with gr.Row():
                k = Slider(0, 50, value=S.gen_top_k, step=1, label="top-k (0 = off)")
                p = Slider(0.05, 1, value=S.gen_top_p, step=0.05, label="top-p (nucleus)")
                seed = Number(value=S.seed, label="Seed", precision=0, minimum=0, maximum=2**31 - 1)
            with gr.Row():
                go = gr.Button("Generate", variant="primary")
                reset = gr.Button("Reset the generation settings")
            generated = gr.Markdown()
            gen_plot = plot("Generation")
            caption("The probability each new word had when it was drawn. Same seed and settings, same text; "
                    "raise the temperature or top-p for more surprising words.")
    wire = functools.partial(gr.on, trigger_mode="always_last", **LIGHT)
    fill = view_handler(functools.partial(V.fill_view, catalog))
    wire([fill_text.submit, fill_k.input], fill, [fill_text, fill_k], [fill_plot, fill_tokens], api_name="fill_mask")
    controls = [prompt, new, temperature, k, p, seed]
    generate = view_handler(functools.partial(V.generate_view, catalog))
    wire([prompt.submit, go.click, new.input, temperature.input, k.input, p.input, seed.input],
         generate, controls, [generated, gen_plot], api_name="generate")
    defaults = ("when alice meets bob", S.new_tokens, S.gen_temperature, S.gen_top_k, S.gen_top_p, S.seed)
    draw_when_opened([tab.select], lambda: (*fill(FILL_TEXT, S.top_k), *generate(*defaults)),
                     [fill_plot, fill_tokens, generated, gen_plot], api_name="language_models_open")
    reset.click(lambda: defaults, outputs=controls, api_name="generate_reset").then(
        lambda: generate(*defaults), outputs=[generated, gen_plot], api_name="generate_reset_redraw", **LIGHT)
