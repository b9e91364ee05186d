"""The Attention tab's layout: the controls above the sub-tabs, then one function per sub-view.

Each function builds one sub-view's components with the caption under each figure and returns the
components the events write to, in the order that view's dataclass lists its fields
(``explainer.attention.views``). ``demos.attention.render`` composes them and wires the events.
"""

from __future__ import annotations

from types import SimpleNamespace

import gradio as gr

from demos.common import Slider, caption, plot
from explainer.attention import views as V
from explainer.attention.presets import PRESETS
from explainer.attention.softmax import WHY_SOFTMAX1

S = V.S
Page = SimpleNamespace  # the tab's components, by name: what the sub-view and event functions share


def controls(catalog: V.Catalog) -> Page:
    """The controls above the sub-tabs, in a fresh Page (render adds τ, the heads switched off, the outputs)."""
    first, preset0 = catalog.labels[0], PRESETS["masked"][0]
    layers, heads = V.shipped_shape(first)
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
    return Page(catalog=catalog, model=model, preset=preset, text=text, run=run, reset=reset, notice=notice,
                tokens=tokens, layer=layer, head=head, query=query, top_k=top_k, shown=shown)


def heatmaps(tokens: gr.Markdown) -> list:
    heat = plot("Heatmap")
    caption("The chosen head: row i shows how query token i (left) spreads its attention over the key "
            "tokens (bottom); each row sums to 1. Hover a cell for the query word, the key word and the "
            "weight. The title says what the head was measured to do on held-out sentences.")
    grid = plot("All heads")
    caption("The same picture for every head of every layer at once: look for heads that follow the "
            "diagonal (the previous or next token) and heads that jump back to one far-away word.")
    return [tokens, heat, grid]


def steps() -> list:
    steps_text = gr.Markdown()
    steps = plot("Steps")
    caption("For the query token you picked, in this layer and head: (1) the dot product of its query "
            "vector with every key, (2) divided by √d_k, (3) masked — a decoder gives future keys −∞, "
            "shown as grey 'masked' bars, never as a number — and (4) the softmax, the weights.")
    mix = plot("Weighted sum")
    caption("(5) Each key's value vector multiplied by its weight (one row per key), and their sum at "
            "the bottom: the head's output for this query, which goes on to the next layer.")
    return [steps_text, steps, mix]


def bertviz() -> list:
    head_view = gr.HTML()
    caption("bertviz head view (Vig 2019): lines from each token on the left to the tokens it attends "
            "to on the right, one colour per head. It opens on the Layer and Head chosen above; its own "
            "Layer menu and colour squares then show other layers and heads; hover a word to see only "
            "its lines.")
    model_view = gr.HTML()
    caption("bertviz model view: a thumbnail of every head (rows: layers, columns: heads); click one to "
            "see it full size. Drawn in your browser from files served by this app, with no network.")
    return [head_view, model_view]


def softmax1() -> list:
    gr.Markdown(WHY_SOFTMAX1)
    softmax_plot = plot("softmax vs softmax1")
    caption("Left: the query's weights under softmax (grey) and softmax1 (red) from the same scores of "
            "this head. Right: each query's row sum — always 1 for softmax, less for softmax1; the "
            "difference is the attention paid to nothing.")
    return [softmax_plot, gr.Markdown()]


def temperature() -> tuple[gr.Slider, list]:
    tau = Slider(S.min_tau, S.max_tau, value=S.tau, step=0.05,
                 label="Attention temperature τ (logits ÷ τ in every head: < 1 sharper, > 1 flatter)")
    patterns = plot("Patterns")
    caption("The chosen head as trained (τ = 1, left) and with its attention logits divided by τ "
            "(right). Small τ pushes each row towards its single largest score; large τ spreads it "
            "evenly. The same τ is applied to every head of the model.")
    temp_plot = plot("Prediction with temperature")
    caption("What the model predicts as trained (grey) and with every head at temperature τ (red).")
    return tau, [patterns, temp_plot, gr.Markdown()]


def ablation(catalog: V.Catalog) -> tuple[gr.CheckboxGroup, list]:
    layers, heads = V.shipped_shape(catalog.labels[0])
    off = gr.CheckboxGroup(list(V.head_names(layers, heads)), value=list(PRESETS["masked"][0].off),
                           label="Heads to switch off (their output is replaced by zeros)")
    ablation_plot = plot("Ablation")
    caption("The prediction with every head (grey) and with the ticked heads switched off (red): the "
            "encoder's words for the first [MASK], the decoder's next word, or, for reversal, the "
            "probability of the right digit at each position. The presets tick heads that matter.")
    return off, [ablation_plot, gr.Markdown()]


def heads() -> list:
    return [gr.Dataframe(headers=["head", "what it does (measured)", "attention mass on it", "mass if spread evenly"],
                         interactive=False, wrap=True), gr.Markdown()]
