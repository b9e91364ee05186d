"""The Attention tab's "Scaling laws" sub-tab: how loss falls with model size and data, and the
compute-optimal balance (Hoffmann et al. 2022), from runs of our own small decoders.

The shipped runs come from ``python -m explainer.train attention_scaling``; **Train one more point**
trains one more model here (a few seconds) and adds it to this visitor's fit (``gr.State``, at most
``MAX_LIVE_RUNS``). Moving the budget only redraws; training is a heavy event (it takes its turn on
the cores like the other training loops).
"""

from __future__ import annotations

from dataclasses import asdict

import gradio as gr

from demos.common import AppOptions, Slider, caption, draw_when_opened, handler, heavy, plot, redraw
from demos.server import STATE_TTL
from explainer import validate
from explainer.attention.scaling_runs import MAX_LIVE_TOKENS, SIZES, Run, train_run
from explainer.attention.scaling_views import DEFAULT_BUDGET, MAX_BUDGET, MIN_BUDGET, scaling_view
from explainer.validate import InputError

MAX_LIVE_RUNS = 12  # extra runs one visitor may add (each a few seconds of one core)
LIVE_SIZES = {f"{d}x{n}": (d, n) for d, n in SIZES if d * d * n <= 64 * 64 * 2}  # a few seconds each, not more
INTRO = """
**Scaling laws.** Bigger models and more data both lower the loss, with diminishing returns; for a fixed
compute budget C ≈ 6·N·D you must choose between them. Chinchilla (Hoffmann et al. 2022) fitted
L(N, D) = E + A/N^α + B/D^β to 400 language models and found model size and data should grow about equally,
~20 tokens per parameter. Here the same law is fitted to our decoders (5 sizes × 4 token budgets, trained by
`python -m explainer.train attention_scaling`), and you can add runs of your own.
"""


def _runs(state: list | None) -> list[Run]:
    return [Run(**r) for r in (state or [])]


def _outputs(budget: float, state: list | None) -> tuple:
    view = scaling_view(budget, _runs(state))
    return view.summary, view.by_size, view.isoflop, view.optimal


def _train(size: str, tokens: float, budget: float, state: list | None,
           progress=gr.Progress()) -> tuple:  # noqa: B008 - Gradio fills in a Progress given as a default
    if size not in LIVE_SIZES:
        raise InputError(f"Model must be one of {', '.join(LIVE_SIZES)}, got {validate.shown(size)}.")
    tokens = int(validate.real(tokens, "Tokens for one more run", lo=10_000, hi=MAX_LIVE_TOKENS))
    state = list(state or [])
    if len(state) >= MAX_LIVE_RUNS:
        raise InputError(f"You have added {MAX_LIVE_RUNS} runs, the most one visitor may: press Reset to start over.")
    d_model, layers = LIVE_SIZES[size]
    progress(0.0, desc=f"training d_model {d_model}, {layers} layer(s) on {tokens:,} tokens")
    run = train_run(d_model, layers, tokens, seed=len(state) + 1,
                    progress=lambda f: progress(f, desc=f"training on {tokens:,} tokens"))
    state.append(asdict(run))
    status = (f"Your run: N = {run.params:,} parameters, D = {run.tokens:,} tokens, loss **{run.loss:.3f}** nats/token, "
              f"trained in {run.seconds:.1f} s. It is now part of the fit (ringed in black on the IsoFLOP plot when "
              "it lies near one of its budgets).")
    return (state, status, *_outputs(budget, state))


def render(tab: gr.Tab, options: AppOptions) -> None:
    """The sub-tab's contents; call inside its ``gr.Tab``."""
    del options  # the runs train on the CPU: each is too small for a GPU to help
    gr.Markdown(INTRO)
    with gr.Row():
        budget = Slider(MIN_BUDGET, MAX_BUDGET, value=DEFAULT_BUDGET, step=0.1, label="Compute budget (log10 FLOPs)")
        size = gr.Dropdown([(f"d_model {d}, {n} layer{'s' if n > 1 else ''}", key) for key, (d, n) in LIVE_SIZES.items()],
                           value="32x2", label="Model for one more run")
        tokens = Slider(10_000, MAX_LIVE_TOKENS, value=100_000, step=10_000, label="Tokens for one more run")
        with gr.Column(min_width=160):
            train = gr.Button("Train one more point", variant="primary")
            reset = gr.Button("Reset (forget my runs)", size="sm")
    status = gr.Markdown()
    summary = gr.Markdown()
    by_size, isoflop, optimal = plot("Loss against size"), plot("IsoFLOP"), plot("Compute-optimal")
    caption("Top: every run's held-out loss against its size N; dotted lines are the fitted law at each run's "
            "token budget. Middle: at fixed compute, a bigger model sees fewer tokens; each curve has a best size "
            "(star). Bottom: how the best N and D grow with the budget, ours (solid) and Chinchilla's (dashed); "
            "the dotted line is the budget above.")
    runs = gr.State([], time_to_live=STATE_TTL)
    views = [summary, by_size, isoflop, optimal]
    draw_when_opened([tab.select], lambda: _outputs(DEFAULT_BUDGET, []), views, api_name="scaling_open")
    redraw([budget.input], handler(_outputs), [budget, runs], views, api_name="scaling")
    train.click(handler(_train), [size, tokens, budget, runs], [runs, status, *views], api_name="scaling_train",
                **heavy())
    reset.click(handler(lambda: ([], "", DEFAULT_BUDGET, *_outputs(DEFAULT_BUDGET, []))), None,
                [runs, status, budget, *views], api_name="scaling_reset")
