"""The GAN tab: train a GAN live, watch it collapse onto a few modes, and fix it.

Each visitor's run lives in their own ``gr.State`` (an ``explainer.gan.session.GANSession``).
Training streams a frame about every 250 ms (600 ms side by side) from a generator event; Pause cancels that event
and keeps the models, so Train resumes where it stopped. One Train press runs at most
``MAX_REQUEST_SECONDS`` so a stranger cannot hold a worker for ever.
"""

from __future__ import annotations

import time

import gradio as gr

from demos.common import AppOptions, Number, Slider, caption, handler, plot
from explainer.device import available_cores
from explainer.gan import DEFAULT_PRESET, get_preset, preset_config, preset_names
from explainer.gan.config import DATASET_NAMES, LOSSES, MAX_BATCH, MAX_D_STEPS, MAX_DEPTH, MAX_LATENT, MAX_WIDTH
from explainer.gan.session import MAX_STEPS_PER_FRAME, OVERRIDES, Display, GANSession, new_session, session_view

FRAME_SECONDS = {1: 0.25, 2: 0.6}  # seconds between frames, by the number of runs shown (see the note in run())
CURVES_EVERY = 5  # the curves are sent with every 5th frame and the last: less for the browser to redraw
MAX_REQUEST_SECONDS = 120  # one Train press trains at most this long, then pauses by itself
STATE_TTL = 3600  # a run left alone for an hour is dropped from the server's memory
DISPLAY = {  # checkbox label -> Display field
    "D's opinion (heatmap)": "heatmap",
    "G's push (arrows)": "arrows",
    "G's manifold": "manifold",
    "real samples": "real",
    "generated samples": "fake",
}
DEFAULT_DISPLAY = ["D's opinion (heatmap)", "G's push (arrows)", "real samples", "generated samples"]

INTRO = """
A **generator** G turns random noise into points; a **discriminator** D learns to tell them
from real data, and G learns from D's gradient how to fool it (Goodfellow et al. 2014).
On a ring of 8 Gaussians a plain GAN tends to **collapse**: G puts all its points on one
or a few modes, and D chases them from mode to mode. The remedies change what D can see so
that a collapsed batch is easy to catch. Pick a preset and press **Train**.
"""


def _display(choices: list[str]) -> Display:
    unknown = set(choices or []) - set(DISPLAY)
    if unknown:
        raise gr.Error(f"Unknown display option(s): {', '.join(sorted(unknown))}.")
    return Display(**{field: label in (choices or []) for label, field in DISPLAY.items()})


def _outputs(session: GANSession, choices: list[str]) -> tuple:
    view = session_view(session, _display(choices))
    compare = gr.update(value=view.compare, visible=True) if view.compare is not None else gr.update(visible=False)
    return session, view.plane, compare, view.curves, view.status


def _session(device, preset, dataset, seed, compare, drawing, *advanced) -> GANSession:
    overrides = dict(zip(OVERRIDES, advanced))
    return new_session(preset, dataset, seed, device, overrides=overrides,
                       compare_with=preset if compare else None,
                       drawing=(drawing or {}).get("composite") if isinstance(drawing, dict) else drawing)


def _preset_values(preset: str, dataset: str) -> tuple:
    """The hint and the advanced settings of a preset (shown so the person can start from them)."""
    p = get_preset(preset)
    c = preset_config(preset, dataset if dataset != "drawn" else None)
    return (f"**{p.name}** — {p.hint} *({p.paper})*  \nRuns {c.steps:,} steps.",
            c.g_width, c.g_depth, c.latent_dim, c.g_lr, c.d_lr, c.d_steps, c.batch_size, c.loss)


def render(app: gr.Blocks, options: AppOptions) -> None:
    device = options.device
    del app  # no page-load event: the tab draws when it is opened
    with gr.Tab("GAN", id="gan") as tab:
        gr.Markdown(INTRO)
        state = gr.State(None, time_to_live=STATE_TTL)
        with gr.Row():
            preset = gr.Dropdown(preset_names(), value=DEFAULT_PRESET, label="Preset")
            dataset = gr.Radio(list(DATASET_NAMES), value="ring", label="Data set")
            seed = Number(value=0, precision=0, minimum=0, maximum=2**31 - 1, label="Seed")
            speed = Slider(1, MAX_STEPS_PER_FRAME, value=25, step=1, label="Speed: steps per frame")
        initial = _preset_values(DEFAULT_PRESET, "ring")  # hint and advanced settings of the default
        hint = gr.Markdown(initial[0])
        compare = gr.Checkbox(False, label="Side by side: 'Mode collapse' (left) vs the chosen preset (right), "
                                           "same data and seed, each with its preset's own settings")
        with gr.Accordion("Advanced settings (take effect on New run)", open=False):
            with gr.Row():
                width = Slider(4, MAX_WIDTH, value=initial[1], step=1, label="Width (hidden units, G and D)")
                depth = Slider(1, MAX_DEPTH, value=initial[2], step=1, label="Depth (hidden layers, G and D)")
                latent = Slider(1, MAX_LATENT, value=initial[3], step=1, label="Latent size (z)")
                batch = Slider(1, MAX_BATCH, value=initial[7], step=1, label="Batch size")
            with gr.Row():
                g_lr = Number(value=initial[4], label="G learning rate", minimum=1e-6, maximum=1.0)
                d_lr = Number(value=initial[5], label="D learning rate", minimum=1e-6, maximum=1.0)
                d_steps = Slider(1, MAX_D_STEPS, value=initial[6], step=1, label="D steps per G step")
                loss = gr.Dropdown(list(LOSSES), value=initial[8], label="Loss")
        with gr.Accordion("Draw your own distribution (choose data set 'drawn', then New run)", open=False):
            drawing = gr.Sketchpad(label="Draw dark strokes; G learns to put its points on them",
                                   type="numpy", height=320, width=320)
        with gr.Row():
            new_run = gr.Button("New run", variant="secondary")
            train = gr.Button("▶ Train / resume", variant="primary")
            pause = gr.Button("⏸ Pause")
            step_d = gr.Button("Step D (one D update)")
            step_g = gr.Button("Step G (one G update)")
            step_both = gr.Button("One step (D then G)")
        show = gr.CheckboxGroup(list(DISPLAY), value=DEFAULT_DISPLAY, label="Show")
        status = gr.Markdown("Press **Train** to start.")
        with gr.Row():
            plane = plot("Data plane")
            plane_right = gr.Plot(label="Remedy", show_label=False, visible=False)
        caption("Blue dots: real data. Red dots: G's samples. Background: D's verdict over the plane "
                "(blue = 'real', red = 'fake'; for WGAN-GP the critic's score). "
                "Arrows: the direction G's loss pushes each sample (−∂L_G/∂x). Circled modes are covered: "
                "the nearest centre of at least one sample within 3σ (VEEGAN's definition). "
                "PacGAN's D judges m points at once, so its heatmap shows D(x, …, x): each point packed with "
                "copies of itself. With minibatch std, D's spread feature is taken from G's current samples.")
        curves = plot("Curves")
        caption("D and G losses per step; modes covered and the share of high-quality samples (within 3σ of a "
                "mode centre), measured on 2,500 samples every few hundred steps. A collapsed run covers few modes.")

        advanced = [width, depth, latent, g_lr, d_lr, d_steps, batch, loss]
        settings = [preset, dataset, seed, compare, drawing, *advanced]
        outputs = [state, plane, plane_right, curves, status]

        @handler
        def fresh(*values):
            return _outputs(_session(device, *values[:-1]), values[-1])

        @handler
        def ensure(session, *values):
            return _outputs(session or _session(device, *values[:-1]), values[-1])

        @handler
        def run(session, steps_per_frame, choices, *values):
            session = session or _session(device, *values)
            display = _display(choices)
            if session.finished:
                gr.Info("This run is complete: press New run to start again.")
            deadline = time.monotonic() + MAX_REQUEST_SECONDS
            # A browser redraws every figure it is sent (Gradio 6 draws each plot twice per update, ~85 ms
            # a time in headless Chromium on our 2-core machine). At 10 frames/s it fell behind, queued
            # frames and stopped answering clicks for 5-20 s, Pause included; at these rates it answers
            # within 0.4 s. The curves go with every 5th frame only.
            frame_seconds = FRAME_SECONDS[len(session.trainers)]
            yield _outputs(session, choices)
            frame = 0
            while not session.finished and time.monotonic() < deadline:
                start = time.monotonic()
                session.advance(steps_per_frame)
                frame += 1
                view = session_view(session, display)
                compare_fig = view.compare if view.compare is not None else gr.skip()  # shown by the first yield
                last = session.finished or time.monotonic() >= deadline
                curves = view.curves if last or frame % CURVES_EVERY == 0 else gr.skip()
                yield session, view.plane, compare_fig, curves, view.status
                time.sleep(max(0.0, frame_seconds - (time.monotonic() - start)))

        def stepper(which: str):
            @handler
            def one(session, choices, *values):
                session = session or _session(device, *values)
                session.single(which)
                return _outputs(session, choices)

            return one

        preset_outputs = [hint, *advanced]
        gr.on([preset.change, dataset.change], handler(_preset_values), [preset, dataset], preset_outputs,
              api_name="gan_preset")
        new_run.click(fresh, [*settings, show], outputs, api_name="gan_new_run", concurrency_id="gan_light")
        tab.select(ensure, [state, *settings, show], outputs, api_name="gan_open", concurrency_id="gan_light")
        training = train.click(run, [state, speed, show, *settings], outputs, api_name="gan_train",
                               concurrency_id="gan_train", concurrency_limit=max(1, available_cores()))
        pause.click(None, None, None, cancels=[training], api_name="gan_pause").then(
            ensure, [state, *settings, show], outputs, api_name="gan_paused", concurrency_id="gan_light")  # all figures at the paused step
        for button, which, name in ((step_d, "d", "gan_step_d"), (step_g, "g", "gan_step_g"),
                                    (step_both, "both", "gan_step")):
            button.click(stepper(which), [state, show, *settings], outputs, api_name=name,
                         concurrency_id="gan_light")
        show.change(ensure, [state, *settings, show], outputs, api_name="gan_view", concurrency_id="gan_light")
