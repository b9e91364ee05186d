"""The Attention tab: which words attend to which, in every layer and head, and why.

Thin wiring: every figure comes from an ``explainer.attention.views`` function.
* Model, Preset, Enter / Run and Reset *apply* the text: one event checks it, updates the pickers,
  keeps the applied (model, text) in a ``gr.State`` and draws every view in one reply. A refused
  text leaves a lasting red note under the Text box and a "not drawn" frame for every figure.
* Every other control fires its ``.input`` event (moved by the person, not set by a reply) and
  redraws only the views that use it, for the applied text: one event per trigger, "always_last"
  (see :func:`demos.positional._wire` for why Gradio 6.31 needs that).
* ``/attention``, ``/attention_steps``, … take model and text as arguments for scripts: events with
  no trigger on the page, which refuse bad input with an error.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import gradio as gr

from demos.common import LIGHT, AppOptions, Number, Slider, caption, handler, plot, view_handler
from demos.start import plot_cleanup
from explainer.attention import figures
from explainer.attention import views as V
from explainer.attention.presets import PRESETS, vocabulary_markdown
from explainer.attention.softmax import WHY_SOFTMAX1
from explainer.validate import InputError

log = logging.getLogger("explainer")
PAGE = {"trigger_mode": "always_last", **LIGHT}  # the page's own events

VENDOR = Path(__file__).resolve().parent.parent / "assets" / "static" / "vendor"  # d3, jQuery, require stand-in
SCRIPT_BASE = "gradio_api/file=" + quote(str(VENDOR)) + "/"  # relative: resolves against the app's own URL
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


def render(app: gr.Blocks, options: AppOptions) -> None:
    catalog = V.Catalog(options.hf_model_dirs, options.device)  # fixed now: requests name a model, never a path
    if not gr.utils.is_static_file(VENDOR / "d3.v5.min.js"):  # once per process (the list is global)
        gr.set_static_paths([VENDOR])  # serves only the vendored JS, at /gradio_api/file=<VENDOR>/…
    first = catalog.labels[0]
    layers, heads = V.shipped_shape(first)
    preset0 = PRESETS["masked"][0]

    with gr.Tab("Attention", id="attention"):
        plot_cleanup()
        gr.Markdown(INTRO)
        with gr.Row(equal_height=True):
            model = gr.Dropdown(list(catalog.labels), value=first, label="Model", scale=2)
            preset = gr.Dropdown([p.name for p in PRESETS["masked"]], value=preset0.name, label="Preset",
                                 allow_custom_value=True, scale=2)
            text = gr.Textbox(preset0.text, label="Text (press Enter or Run)", scale=4)
            with gr.Column(scale=0, min_width=170):
                run = gr.Button("Run", variant="primary")
                reset = gr.Button("Reset model, text, controls", size="sm")
        notice = gr.Markdown(elem_classes=["notice"])  # refusals of the text, or "edited: press Enter"
        tokens = gr.Markdown()
        with gr.Row():
            layer = Slider(0, layers - 1, value=0, step=1, label="Layer")
            head = Slider(0, heads - 1, value=0, step=1, label="Head")
            query = gr.Dropdown([], value=None, label="Query token (step-through, softmax1)", allow_custom_value=True)
            top_k = Slider(1, S.max_top_k, value=S.top_k, step=1, label="Words shown in predictions (top-k)")
        shown = gr.State(None)  # (model, text) the figures were drawn for; None after a refused text

        with gr.Tabs():
            with gr.Tab("Heatmaps", id="attention_heatmaps"):
                heat = plot("Heatmap")
                caption("The chosen head: row i shows how query token i (left) spreads its attention over the key "
                        "tokens (bottom); each row sums to 1. Hover a cell for the query word, the key word and the "
                        "weight. The title says what the head was measured to do on held-out sentences.")
                grid = plot("All heads")
                caption("The same picture for every head of every layer at once: look for heads that follow the "
                        "diagonal (the previous or next token) and heads that jump back to one far-away word.")
            with gr.Tab("Step through a head", id="attention_steps"):
                steps_text = gr.Markdown()
                steps = plot("Steps")
                caption("For the query token you picked, in this layer and head: (1) the dot product of its query "
                        "vector with every key, (2) divided by √d_k, (3) masked — a decoder gives future keys −∞, "
                        "shown as grey 'masked' bars, never as a number — and (4) the softmax, the weights.")
                mix = plot("Weighted sum")
                caption("(5) Each key's value vector multiplied by its weight (one row per key), and their sum at "
                        "the bottom: the head's output for this query, which goes on to the next layer.")
            with gr.Tab("bertviz", id="attention_bertviz"):
                head_view = gr.HTML()
                caption("bertviz head view (Vig 2019): lines from each token on the left to the tokens it attends "
                        "to on the right, one colour per head. It opens on the Layer and Head chosen above; its own "
                        "Layer menu and colour squares then show other layers and heads; hover a word to see only "
                        "its lines.")
                model_view = gr.HTML()
                caption("bertviz model view: a thumbnail of every head (rows: layers, columns: heads); click one to "
                        "see it full size. Drawn in your browser from files served by this app, with no network.")
            with gr.Tab("softmax vs softmax1", id="attention_softmax1"):
                gr.Markdown(WHY_SOFTMAX1)
                softmax_plot = plot("softmax vs softmax1")
                caption("Left: the query's weights under softmax (grey) and softmax1 (red) from the same scores of "
                        "this head. Right: each query's row sum — always 1 for softmax, less for softmax1; the "
                        "difference is the attention paid to nothing.")
                softmax_text = gr.Markdown()
            with gr.Tab("Temperature", id="attention_temperature"):
                tau = Slider(S.min_tau, S.max_tau, value=S.tau, step=0.05,
                             label="Attention temperature τ (logits ÷ τ in every head: < 1 sharper, > 1 flatter)")
                patterns = plot("Patterns")
                caption("The chosen head as trained (τ = 1, left) and with its attention logits divided by τ "
                        "(right). Small τ pushes each row towards its single largest score; large τ spreads it "
                        "evenly. The same τ is applied to every head of the model.")
                temp_plot = plot("Prediction with temperature")
                caption("What the model predicts as trained (grey) and with every head at temperature τ (red).")
                temp_text = gr.Markdown()
            with gr.Tab("Switch heads off", id="attention_ablation"):
                off = gr.CheckboxGroup(list(V.head_names(layers, heads)), value=list(preset0.off),
                                       label="Heads to switch off (their output is replaced by zeros)")
                ablation_plot = plot("Ablation")
                caption("The prediction with every head (grey) and with the ticked heads switched off (red): the "
                        "encoder's words for the first [MASK], the decoder's next word, or, for reversal, the "
                        "probability of the right digit at each position. The presets tick heads that matter.")
                ablation_text = gr.Markdown()
            with gr.Tab("Masked LM vs next token", id="attention_lm"):
                _language_models(app, catalog)
            with gr.Tab("What each head does", id="attention_heads"):
                table = gr.Dataframe(headers=["head", "what it does (measured)", "attention mass on it",
                                              "mass if spread evenly"], interactive=False, wrap=True)
                table_note = gr.Markdown()
        with gr.Accordion("Vocabulary: the words the models know", open=False):
            gr.Markdown(vocabulary_markdown())

    # --- the views: each draws some outputs from the applied (model, text) and the controls --------------
    out = {  # view -> its output components, in the order its view dataclass lists them
        "heatmaps": [tokens, heat, grid], "steps": [steps_text, steps, mix], "softmax1": [softmax_plot, softmax_text],
        "temperature": [patterns, temp_plot, temp_text], "ablation": [ablation_plot, ablation_text],
        "bertviz": [head_view, model_view], "heads": [table, table_note],
    }
    views = {
        "heatmaps": lambda m, t, c: V.attention_view(catalog, m, t, c.layer, c.head),
        "steps": lambda m, t, c: V.steps_view(catalog, m, t, c.layer, c.head, c.query),
        "softmax1": lambda m, t, c: V.softmax1_view(catalog, m, t, c.layer, c.head, c.query),
        "temperature": lambda m, t, c: V.temperature_view(catalog, m, t, c.layer, c.head, c.tau, c.top_k),
        "ablation": lambda m, t, c: V.ablation_view(catalog, m, t, c.off, c.top_k),
        "bertviz": lambda m, t, c: V.bertviz_view(catalog, m, t, SCRIPT_BASE, c.layer, c.head),
        "heads": lambda m, t, c: V.heads_view(catalog, m),
    }
    every_output = [c for name in views for c in out[name]]

    def draw(names, m: str, t: str, c: Controls) -> dict:
        """The outputs of the named views; a view that refuses its controls says so in the notice."""
        result: dict = {}
        for name in names:
            try:
                view = views[name](m, t, c)
            except InputError as exc:
                log.info("refused in attention %s: %s", name, str(exc)[:200])
                result.update(_not_drawn(out[name], str(exc)[:400]))
                result[notice] = _refusal(str(exc)[:400])
                continue
            result.update(zip(out[name], (getattr(view, f.name) for f in dataclasses.fields(view))))
        return result

    def apply(m: str, t: str, c: Controls) -> dict:
        """Check the text, then draw every view for it; a refused text clears them all."""
        try:
            reading = V.read_text(catalog, m, t)
        except InputError as exc:
            log.info("refused in attention text: %s", str(exc)[:200])
            blank = _not_drawn(every_output, "The text was refused: see the red note under the Text box.")
            return {**blank, query: gr.update(choices=[], value=None), shown: None, notice: _refusal(str(exc)[:400])}
        c = dataclasses.replace(c, query=reading.query)
        return {notice: "", **draw(views, m, t, c), query: gr.update(choices=reading.queries, value=reading.query),
                shown: (m, t)}

    # --- applying a model / preset / text / reset: one event each, one reply with everything ------------
    def picked(model_label):
        info = V.model_info(catalog, model_label)
        p = PRESETS[info.task][0]
        return info, p, {preset: gr.update(choices=[x.name for x in PRESETS[info.task]], value=p.name), text: p.text,
                         layer: _index_slider(info.n_layers), head: _index_slider(info.n_heads),
                         off: gr.update(choices=list(info.heads) if info.ablation else [],
                                        value=list(p.off) if info.ablation else [], interactive=info.ablation)}

    @handler
    def on_model(model_label, tau_value, k):
        info, p, updates = picked(model_label)
        return {**updates, **apply(model_label, p.text, Controls(0, 0, None, tau_value, k,
                                                                  list(p.off) if info.ablation else []))}

    @handler
    def on_preset(model_label, name, layer_value, head_value, tau_value, k):
        task = V.model_info(catalog, model_label).task
        p = next((x for x in PRESETS[task] if x.name == name), None)
        if p is None:
            return {notice: _refusal(f"Unknown preset {str(name)[:60]!r} for this model: pick one from the list.")}
        controls = Controls(layer_value, head_value, None, tau_value, k, list(p.off))
        return {text: p.text, off: list(p.off), **apply(model_label, p.text, controls)}

    @handler
    def on_apply(model_label, text_value, layer_value, head_value, tau_value, k, off_value):
        return apply(model_label, text_value, Controls(layer_value, head_value, None, tau_value, k, off_value))

    @handler
    def on_reset():
        _, _, updates = picked(first)
        return {**updates, model: first, top_k: S.top_k, tau: S.tau,
                **apply(first, preset0.text, Controls(0, 0, None, S.tau, S.top_k, list(preset0.off)))}

    applied = [query, shown, notice, *every_output]
    gr.on([model.input], on_model, [model, tau, top_k], [preset, text, layer, head, off, *applied],
          api_name="attention_model_page", **PAGE)
    gr.on([preset.input], on_preset, [model, preset, layer, head, tau, top_k], [text, off, *applied],
          api_name="attention_preset_page", **PAGE)
    gr.on([app.load, text.submit, run.click], on_apply, [model, text, layer, head, tau, top_k, off], applied,
          api_name="attention_apply", **PAGE)
    gr.on([reset.click], on_reset, None, [model, preset, text, layer, head, top_k, tau, off, *applied],
          api_name="attention_reset", **PAGE)
    # Typing in the text box: the preset no longer names it, and the figures are for the applied text.
    text.input(None, None, [preset, notice], js="() => [null, 'Edited: press Enter or Run to draw the figures "
                                                 "for this text.']")

    # --- each other control redraws only the views that use it ------------------------------------------
    def redraw(names, outputs):
        @handler
        def fn(applied_now, layer_value, head_value, query_value, tau_value, k, off_value):
            if applied_now is None:  # the text was refused: the frames already say so
                return {o: gr.skip() for o in outputs}
            m, t = applied_now
            drawn = draw(names, m, t, Controls(layer_value, head_value, query_value, tau_value, k, off_value))
            return {o: v for o, v in drawn.items() if o in outputs}

        return fn

    controls = [shown, layer, head, query, tau, top_k, off]
    for triggers, names, skip, api_name in (
        ([layer.input, head.input], ("heatmaps", "steps", "softmax1", "temperature", "bertviz"), (tokens, grid, model_view),
         "attention_head_page"),
        ([query.input], ("steps", "softmax1"), (), "attention_query_page"),
        ([tau.input], ("temperature",), (), "attention_tau_page"),
        ([top_k.input], ("temperature", "ablation"), (patterns,), "attention_top_k_page"),
        ([off.input], ("ablation",), (), "attention_off_page"),
    ):
        outputs = [o for name in names for o in out[name] if o not in skip] + [notice]
        gr.on(triggers, redraw(names, outputs), controls, outputs, api_name=api_name, **PAGE)

    # --- the API: each view with model and text as arguments; no trigger on the page ---------------------
    def bertviz(model_label, text_value, layer_value, head_value):
        return V.bertviz_view(catalog, model_label, text_value, SCRIPT_BASE, layer_value, head_value)

    @handler
    def on_model_api(model_label):
        _, p, updates = picked(model_label)
        reading = V.read_text(catalog, model_label, p.text)
        return (*updates.values(), gr.update(choices=reading.queries, value=reading.query))

    @handler
    def on_preset_api(model_label, name):
        p = next((x for x in PRESETS[V.model_info(catalog, model_label).task] if x.name == name), None)
        if p is None:
            raise gr.Error(f"Unknown preset {str(name)[:60]!r} for this model: pick one from the list.")
        reading = V.read_text(catalog, model_label, p.text)
        return p.text, list(p.off), gr.update(choices=reading.queries, value=reading.query)

    for fn, inputs, name, api_name in (  # no trigger: API only
        (V.attention_view, [model, text, layer, head], "heatmaps", "attention"),
        (V.steps_view, [model, text, layer, head, query], "steps", "attention_steps"),
        (V.softmax1_view, [model, text, layer, head, query], "softmax1", "attention_softmax1"),
        (V.temperature_view, [model, text, layer, head, tau, top_k], "temperature", "attention_temperature"),
        (V.ablation_view, [model, text, off, top_k], "ablation", "attention_ablation"),
        (V.heads_view, [model], "heads", "attention_heads"),
    ):
        gr.on([], view_handler(functools.partial(fn, catalog)), inputs, out[name], api_name=api_name, **LIGHT)
    gr.on([], view_handler(bertviz), [model, text, layer, head], out["bertviz"], api_name="attention_bertviz", **LIGHT)
    gr.on([], on_model_api, [model], [preset, text, layer, head, off, query], api_name="attention_model", **LIGHT)
    gr.on([], on_preset_api, [model, preset], [text, off, query], api_name="attention_preset", **LIGHT)


def _index_slider(n: int) -> dict:
    """A 0 … n−1 slider reset to 0; with one choice it is fixed (a slider needs minimum < maximum)."""
    return gr.update(maximum=max(n - 1, 1), value=0, interactive=n > 1)


def _language_models(app: gr.Blocks, catalog: V.Catalog) -> None:
    """Fill in [MASK] with the encoder; continue a prompt with the decoder."""
    gr.Markdown(LM_NOTE, elem_classes=["lm-note"])
    with gr.Row():
        with gr.Column():
            gr.Markdown("**Encoder (masked LM, like BERT):** reads the whole sentence, both sides of each `[MASK]`.")
            fill_text = gr.Textbox("the [MASK] that the girls see [MASK] .", label="Text with [MASK] (press Enter)")
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
    wire([app.load, fill_text.submit, fill_k.input], view_handler(functools.partial(V.fill_view, catalog)),
         [fill_text, fill_k], [fill_plot, fill_tokens], api_name="fill_mask")
    controls = [prompt, new, temperature, k, p, seed]
    generate = view_handler(functools.partial(V.generate_view, catalog))
    wire([app.load, prompt.submit, go.click, new.input, temperature.input, k.input, p.input, seed.input],
         generate, controls, [generated, gen_plot], api_name="generate")
    defaults = ("when alice meets bob", S.new_tokens, S.gen_temperature, S.gen_top_k, S.gen_top_p, S.seed)
    reset.click(lambda: defaults, outputs=controls, api_name="generate_reset").then(
        lambda: generate(*defaults), outputs=[generated, gen_plot], api_name="generate_reset_redraw", **LIGHT)
