"""The Positional Encodings tab: why order needs encoding, and four ways to do it.

Thin wiring only: each group of controls drives one ``explainer.positional_views`` function
through one event (with an ``api_name``), fired on page load and on every change.
"""

from __future__ import annotations

import gradio as gr

from demos.common import AppOptions, Number, Slider, caption, plot, view_handler
from explainer.positional_views import (
    AlibiSettings,
    LearnedSettings,
    RopeSettings,
    SinusoidalSettings,
    alibi_view,
    learned_view,
    rope_view,
    sinusoidal_view,
)

INTRO = """
Attention compares every token with every other, but it has no idea *where* a token is:
shuffle the words and each one gets exactly the same attention output, only shuffled
(attention is *permutation-equivariant*). "Dog bites man" and "man bites dog" would look
alike. A positional encoding puts order back in. The first three sub-tabs show schemes computed
live from their formulas; **Learned** shows the position table a trained model learned for itself,
how the five schemes compare on a task that needs order, and the shuffle that a model without
positions cannot notice.
"""

SIN, ROPE, ALIBI, LEARNED = SinusoidalSettings(), RopeSettings(), AlibiSettings(), LearnedSettings()


def _redraw_on(app: gr.Blocks, controls: list, fn, outputs: list, api_name: str) -> None:
    """One event per view: page load and any control change redraw every figure of it."""
    gr.on(
        triggers=[app.load] + [c.change for c in controls],
        fn=fn,
        inputs=controls,
        outputs=outputs,
        api_name=api_name,
        trigger_mode="always_last",
        concurrency_limit=4,
        concurrency_id="light",
    )


def _sinusoidal(app: gr.Blocks) -> None:
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
        reset = gr.Button("Reset", scale=0)
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
    _redraw_on(app, [n, d, base, dims], view_handler(sinusoidal_view),
               [heat, waves, lengths, sim, offsets], "sinusoidal")
    reset.click(lambda: (SIN.n_positions, SIN.d_model, SIN.base, SIN.dims), outputs=[n, d, base, dims],
                api_name="sinusoidal_reset")


def _rope(app: gr.Blocks) -> None:
    gr.Markdown(
        "**RoPE** (Su et al. 2021): instead of adding a vector, rotate each consecutive pair (x[2i], x[2i+1]) "
        "of a query or key by the angle position × θᵢ, θᵢ = base^(−2i/d). A query at m and a key at n then "
        "score ⟨R(m)q, R(n)k⟩ = ⟨q, R(n−m)k⟩: only the offset n − m is left."
    )
    with gr.Row():
        d = Slider(2, ROPE.max_head_dim, value=ROPE.head_dim, step=2, label="Head dimension d (even)")
        base = Number(value=ROPE.base, label="Base", minimum=SIN.min_base, maximum=SIN.max_base)
        pair = Slider(0, ROPE.max_head_dim // 2 - 1, value=ROPE.pair, step=1, label="Pair i to watch")
        steps = Slider(2, ROPE.max_steps, value=ROPE.n_steps, step=1, label="Positions shown")
    with gr.Row():
        m1 = Slider(0, 4096, value=ROPE.m1, step=1, label="Query position m₁")
        m2 = Slider(0, 4096, value=ROPE.m2, step=1, label="Query position m₂")
        k_max = Slider(1, ROPE.max_offset_cap, value=ROPE.max_offset, step=1, label="Largest offset shown")
        key = gr.Radio(list(ROPE.key_choices), value=ROPE.key, label="Key vector")
        seed = Number(value=ROPE.seed, label="Seed (draws q and k)", precision=0, minimum=0, maximum=2**31 - 1)
        reset = gr.Button("Reset", scale=0)
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
    inputs = [d, base, pair, steps, m1, m2, k_max, key, seed]
    _redraw_on(app, inputs, view_handler(rope_view), [rotation, scores], "rope")
    reset.click(lambda: (ROPE.head_dim, ROPE.base, ROPE.pair, ROPE.n_steps, ROPE.m1, ROPE.m2, ROPE.max_offset,
                         ROPE.key, ROPE.seed), outputs=inputs, api_name="rope_reset")


def _alibi(app: gr.Blocks) -> None:
    gr.Markdown(
        "**ALiBi** (Press et al. 2022): no position vector at all. Each head h subtracts m_h × distance from "
        "its attention scores, so far-away tokens are penalised, some heads steeply, some gently. The slopes "
        "m_h form a geometric sequence, 2^(−8/n), 2^(−16/n), … for n heads."
    )
    with gr.Row():
        heads = Slider(1, ALIBI.max_heads, value=ALIBI.n_heads, step=1, label="Number of heads")
        length = Slider(2, ALIBI.max_seq_len, value=ALIBI.seq_len, step=1, label="Sequence length")
        causal = gr.Checkbox(value=ALIBI.causal, label="Causal (decoder: mask the future)")
        reset = gr.Button("Reset", scale=0)
    slopes = plot("Slopes")
    caption("One slope per head (log scale). Steep heads look only at their neighbours; gentle heads see far.")
    biases = plot("Biases")
    caption("What each head adds to its scores before the softmax: 0 on the diagonal, falling by m per step "
            "of distance. Softmax turns a bias of −b into a factor e^(−b) on the weight.")
    _redraw_on(app, [heads, length, causal], view_handler(alibi_view),
               [slopes, biases], "alibi")
    reset.click(lambda: (ALIBI.n_heads, ALIBI.seq_len, ALIBI.causal), outputs=[heads, length, causal],
                api_name="alibi_reset")


def _learned(app: gr.Blocks) -> None:
    gr.Markdown(
        "**Learned** (BERT, GPT-2): a table P with one trainable row per position, added to the token embedding "
        "and trained with everything else. Nothing tells it to be smooth or periodic; whatever structure it has, "
        "the task put there."
    )
    with gr.Row():
        table = gr.Radio([label for label, _ in LEARNED.tables], value=LEARNED.table, label="Learned table of")
        digits = gr.Textbox(LEARNED.digits, label="8 digits to shuffle (press Enter)")
        seed = Number(value=LEARNED.seed, label="Seed (draws the shuffle)", precision=0, minimum=0, maximum=2**31 - 1)
        reset = gr.Button("Reset", scale=0)
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
    outputs = [heat, sim, comparison, equivariance]
    redraw = view_handler(learned_view)
    gr.on(
        triggers=[app.load, table.change, digits.submit, seed.change], fn=redraw, inputs=[table, digits, seed],
        outputs=outputs, api_name="learned", trigger_mode="always_last", concurrency_limit=4, concurrency_id="light",
    )
    defaults = (LEARNED.table, LEARNED.digits, LEARNED.seed)
    reset.click(lambda: (*defaults, *redraw(*defaults)), outputs=[table, digits, seed, *outputs],
                api_name="learned_reset")


def render(app: gr.Blocks, options: AppOptions) -> None:
    del options  # formulas in NumPy, and tiny trained models read on the CPU
    with gr.Tab("Positional encodings", id="positional"):
        gr.Markdown(INTRO)
        with gr.Tabs():
            with gr.Tab("Sinusoidal", id="sinusoidal"):
                _sinusoidal(app)
            with gr.Tab("RoPE", id="rope"):
                _rope(app)
            with gr.Tab("ALiBi", id="alibi"):
                _alibi(app)
            with gr.Tab("Learned", id="learned"):
                _learned(app)
