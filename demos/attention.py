"""The Attention tab: which words attend to which, in every layer and head, and why.

Thin wiring only: every figure comes from an ``explainer.attention.views`` function, one
event (with an ``api_name``) per group of outputs. Picking a model or a preset, pressing
Enter or Run, and Reset "apply" the text: they update the pickers that depend on it and bump
a per-session counter (``gr.State``) whose change redraws every view with consistent inputs.
Nothing per user is stored outside the widgets and that state.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import gradio as gr

from demos.common import AppOptions, Number, Slider, caption, handler, plot, view_handler
from explainer.attention import language
from explainer.attention import views as V

VENDOR = Path(__file__).resolve().parent.parent / "assets" / "static" / "vendor"  # d3, jQuery, require stand-in
SCRIPT_BASE = "gradio_api/file=" + quote(str(VENDOR)) + "/"  # relative: resolves against the app's own URL
S = V.S


@dataclass(frozen=True)
class Preset:
    name: str
    text: str
    off: tuple[str, ...] = ()  # heads to switch off that change this prediction (found by trying each)


PRESETS = {
    "masked": (
        Preset("agreement across a relative clause", "the dogs that the girl sees [MASK] .", ("L0H1",)),
        Preset("agreement, singular subject", "the dog that the girls see [MASK] .", ("L0H2",)),
        Preset("agreement past a prepositional phrase", "the king near the foxes [MASK] .", ("L0H3",)),
        Preset("repeated name", "when alice meets bob in the park , [MASK] smiles .", ("L1H1",)),
        Preset("brackets", "bob says ( the cats run [MASK] .", ("L0H0",)),
    ),
    "next_token": (
        Preset("repeated name", "when alice meets bob in the park ,", ("L0H3",)),
        Preset("agreement across a relative clause", "the dogs that the girl sees", ("L1H2", "L1H3")),
        Preset("brackets", "bob says [ the cats run", ("L0H3",)),
    ),
    "reverse": (
        Preset("digits of π", "31415926", ("L0H0", "L0H1")),
        Preset("counting up", "12345678", ("L0H0", "L0H1")),
        Preset("one digit differs", "77777707", ("L0H0", "L0H1")),
    ),
    "hf": (
        Preset("agreement across a relative clause", "The dogs that the girl sees run."),
        Preset("repeated name", "When Alice meets Bob in the park, Alice smiles."),
        Preset("brackets", "Bob says (the cats run)."),
    ),
}

INTRO = """
A transformer reads all words at once; in every layer each **head** lets every token (the *query*)
gather information from the others (the *keys*), weighted by how well they match. Pick a model and a
sentence — the presets show the long-range links each model learned — and see where every head looks,
how one head computes its weights step by step, and what the model predicts when heads are switched off.
"""

SOFTMAX1 = """
**Why let a head attend to nothing?** The softmax forces every row of weights to sum to 1, so a head with
nothing useful to find must still put its attention somewhere; trained models park it on `[BOS]`, full
stops, commas or whitespace. To make those "no-op" weights large the model grows a few huge activations
on such tokens — the *outlier features* that make transformers hard to quantise: squeezing weights and
activations into 8 or 4 bits wastes the range on the outliers (Bondarenko et al. 2023). Miller's
**softmax1** (2023, "Attention Is Off By One") adds 1 to the denominator, exp(xᵢ) / (1 + Σⱼ exp(xⱼ)): a
head can now hand out less than its whole budget — even nothing — when all its scores are low.
"""


def _vocabulary() -> str:
    def words(pairs):
        return ", ".join(w for pair in pairs for w in pair)

    groups = [
        ("People and animals (singular, plural)", words(language.ANIMATE)),
        ("Things", words(language.THINGS)),
        ("Verbs without an object (singular, plural)", words(language.INTRANSITIVE)),
        ("Verbs with an object (singular, plural)", words(language.TRANSITIVE)),
        ("Names", ", ".join(language.NAMES)), ("Adjectives", ", ".join(language.ADJECTIVES)),
        ("Places", ", ".join(language.PLACES)), ("Prepositions", ", ".join(language.PREPOSITIONS)),
        ("Other words and punctuation", " ".join(f"`{w}`" for w in language.FUNCTION_WORDS)),
        ("Brackets and quotes", " ".join(f"`{b[0]} {b[1]}`" for b in language.BRACKETS)),
        ("Special tokens", "`[MASK]` (a word to fill in), `[UNK]` (unknown), `[BOS]` / `[EOS]` (start / end)"),
    ]
    lines = [f"**{name}:** {items}" for name, items in groups]
    lines.append("**Reversal model:** the digits 0–9; type exactly 8 of them.")
    return "The encoder and decoder read lower-case words of a small generated language:\n\n" + "\n\n".join(lines)


def render(app: gr.Blocks, options: AppOptions) -> None:
    device = options.device
    catalog = V.Catalog(options.hf_model_dirs, device)  # fixed now: requests name a model, never a path
    if not gr.utils.is_static_file(VENDOR / "d3.v5.min.js"):  # once per process (the list is global)
        gr.set_static_paths([VENDOR])  # serves only the vendored JS, at /gradio_api/file=<VENDOR>/…
    first = catalog.labels[0]
    layers, heads = V.shipped_shape(first)
    preset0 = PRESETS["masked"][0]
    wire = functools.partial(gr.on, concurrency_limit=4, concurrency_id="light", trigger_mode="always_last")

    with gr.Tab("Attention", id="attention"):
        gr.Markdown(INTRO)
        with gr.Row():
            model = gr.Dropdown(list(catalog.labels), value=first, label="Model")
            preset = gr.Dropdown([p.name for p in PRESETS["masked"]], value=preset0.name, label="Preset",
                                 allow_custom_value=True)
            reset = gr.Button("Reset", scale=0)
        with gr.Row():
            text = gr.Textbox(preset0.text, label="Text (press Enter or Run)", scale=4)
            run = gr.Button("Run", variant="primary", scale=0)
        tokens = gr.Markdown()
        with gr.Accordion("Vocabulary: the words the models know", open=False):
            gr.Markdown(_vocabulary())
        with gr.Row():
            layer = Slider(0, layers - 1, value=0, step=1, label="Layer")
            head = Slider(0, heads - 1, value=0, step=1, label="Head")
            query = gr.Dropdown([], value=None, label="Query token (step-through, softmax1)", allow_custom_value=True)
            top_k = Slider(1, S.max_top_k, value=S.top_k, step=1, label="Words shown in predictions (top-k)")
        applied = gr.State(0)  # bumped whenever model or text is applied: redraws every view

        with gr.Tabs():
            with gr.Tab("Heatmaps", id="attention_heatmaps"):
                heat = plot("Heatmap")
                caption("The chosen head: row i shows how query token i (left) spreads its attention over the key "
                        "tokens (bottom); each row sums to 1. Hover a cell for the query word, the key word and the "
                        "weight. The title carries the head's label measured on held-out sentences.")
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
                        "to on the right, one colour per head; pick a layer, click a colour square to show or hide a "
                        "head, hover a word to see only its lines.")
                model_view = gr.HTML()
                caption("bertviz model view: a thumbnail of every head (rows: layers, columns: heads); click one to "
                        "see it full size. Drawn in your browser from files served by this app, with no network.")
            with gr.Tab("softmax vs softmax1", id="attention_softmax1"):
                gr.Markdown(SOFTMAX1)
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
                _language_models(app, wire, catalog)
            with gr.Tab("What each head does", id="attention_heads"):
                table = gr.Dataframe(headers=["head", "what it does (measured)", "attention mass on it",
                                              "mass if spread evenly"], interactive=False, wrap=True)
                table_note = gr.Markdown()

    # --- applying a model / preset / text: update the pickers, then bump `applied` ------------------------
    def reading(model_label, text_value):
        r = V.read_text(catalog, model_label, text_value)
        return gr.update(choices=r.queries, value=r.query)

    @handler
    def on_model(model_label, count):
        info = V.model_info(catalog, model_label)
        p = PRESETS[info.task][0]
        return (gr.update(choices=[x.name for x in PRESETS[info.task]], value=p.name), p.text,
                _index_slider(info.n_layers), _index_slider(info.n_heads),
                gr.update(choices=list(info.heads) if info.ablation else [], value=list(p.off),
                          interactive=info.ablation),
                reading(model_label, p.text), count + 1)

    @handler
    def on_preset(model_label, name, count):
        task = V.model_info(catalog, model_label).task
        p = next((x for x in PRESETS[task] if x.name == name), None)
        if p is None:
            raise gr.Error(f"Unknown preset {str(name)[:60]!r} for this model: pick one from the list.")
        return p.text, list(p.off), reading(model_label, p.text), count + 1

    @handler
    def on_apply(model_label, text_value, count):
        return reading(model_label, text_value), count + 1

    @handler
    def on_reset(count):
        return (first, gr.update(choices=[p.name for p in PRESETS["masked"]], value=preset0.name), preset0.text,
                _index_slider(layers), _index_slider(heads), S.top_k, S.tau,
                gr.update(choices=list(V.head_names(layers, heads)), value=list(preset0.off), interactive=True),
                reading(first, preset0.text), count + 1)

    model.input(on_model, [model, applied], [preset, text, layer, head, off, query, applied],
                api_name="attention_model")
    preset.input(on_preset, [model, preset, applied], [text, off, query, applied], api_name="attention_preset")
    gr.on([app.load, text.submit, run.click], on_apply, [model, text, applied], [query, applied],
          api_name="attention_apply")
    reset.click(on_reset, [applied], [model, preset, text, layer, head, top_k, tau, off, query, applied],
                api_name="attention_reset")

    # --- the views -------------------------------------------------------------------------------------
    redraw = [applied.change, layer.change, head.change]
    wire(redraw, view_handler(functools.partial(V.attention_view, catalog)), [model, text, layer, head],
         [tokens, heat, grid], api_name="attention")
    wire(redraw + [query.input], view_handler(functools.partial(V.steps_view, catalog)),
         [model, text, layer, head, query], [steps_text, steps, mix], api_name="attention_steps")
    wire(redraw + [query.input], view_handler(functools.partial(V.softmax1_view, catalog)),
         [model, text, layer, head, query], [softmax_plot, softmax_text], api_name="attention_softmax1")
    wire(redraw + [tau.change, top_k.change], view_handler(functools.partial(V.temperature_view, catalog)),
         [model, text, layer, head, tau, top_k], [patterns, temp_plot, temp_text], api_name="attention_temperature")
    wire([applied.change, off.input, top_k.change], view_handler(functools.partial(V.ablation_view, catalog)),
         [model, text, off, top_k], [ablation_plot, ablation_text], api_name="attention_ablation")

    def bertviz(model_label, text_value):
        return V.bertviz_view(catalog, model_label, text_value, SCRIPT_BASE)

    wire([applied.change], view_handler(bertviz), [model, text], [head_view, model_view], api_name="attention_bertviz")
    wire([applied.change], view_handler(functools.partial(V.heads_view, catalog)), [model], [table, table_note],
         api_name="attention_heads")


def _index_slider(n: int) -> dict:
    """A 0 … n−1 slider reset to 0; with one choice it is fixed (a slider needs minimum < maximum)."""
    return gr.update(maximum=max(n - 1, 1), value=0, interactive=n > 1)


def _language_models(app: gr.Blocks, wire, catalog: V.Catalog) -> None:
    """Fill in [MASK] with the encoder; continue a prompt with the decoder."""
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
                reset = gr.Button("Reset")
            generated = gr.Markdown()
            gen_plot = plot("Generation")
            caption("The probability each new word had when it was drawn. Same seed and settings, same text; "
                    "raise the temperature or top-p for more surprising words.")
    wire([app.load, fill_text.submit, fill_k.change], view_handler(functools.partial(V.fill_view, catalog)),
         [fill_text, fill_k], [fill_plot, fill_tokens], api_name="fill_mask")
    controls = [prompt, new, temperature, k, p, seed]
    wire([app.load, prompt.submit, go.click, new.change, temperature.change, k.change, p.change, seed.change],
         view_handler(functools.partial(V.generate_view, catalog)), controls, [generated, gen_plot],
         api_name="generate")
    reset.click(lambda: ("when alice meets bob", S.new_tokens, S.gen_temperature, S.gen_top_k, S.gen_top_p, S.seed),
                outputs=controls, api_name="generate_reset")
