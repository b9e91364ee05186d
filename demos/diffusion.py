"""The Diffusion tab: watch noise become data, step by step, on models trained here.

Thin wiring only. Each sub-tab drives one ``explainer.diffusion`` view through one event with
an ``api_name``; a sub-tab draws when it is opened. Sample streams the reverse process: the first
frame after one network call, then one frame per kept step, about 20 a second, while the thinned
trajectory grows in the person's ``gr.State``; afterwards the frame slider only indexes into it and
Play streams the stored frames again. Live training streams like the GAN tab. The streamed figures
are :class:`demos.liveplot.LivePlot` figures: a keyframe, then only what changed, the page skipping stale
frames (so a slow browser is never sent a backlog), and each stream's last frame a keyframe again
(an API reader decodes it alone). Pause cancels the stream between two frames.

No ``gr.Sketchpad`` here (see :mod:`demos.diffusion_widgets`): the drawing canvas and the
in-painting mask are small ``gr.HTML`` widgets whose values are a few hundred bytes.
"""

from __future__ import annotations

import time

import gradio as gr

from demos.common import LIGHT, AppOptions, Number, Slider, caption, handler, heavy, plot, redraw, stream, view_handler
from demos.diffusion_widgets import drawing_canvas, equation, mask_grid
from demos.liveplot import FrameEncoder, LivePlot, keyframe
from demos.server import STATE_TTL  # one lifetime for every tab's per-person state
from explainer import validate
from explainer.budget import FRAME_SECONDS as MAX_FRAME_WORK  # the most one frame's work may run
from explainer.budget import Every, StepPace
from explainer.diffusion import image_views, views
from explainer.validate import InputError
from explainer.diffusion.catalog import MODELS, SETTINGS, TOY_MODELS
from explainer.diffusion.frames import ReverseSampling, paused_status, reverse_frame, validate_frame
from explainer.diffusion.session import LIVE_DATA, MAX_STEPS_PER_FRAME, new_session, session_view
from explainer.datasets.toy2d import decode_drawing  # the drawing canvas's value (demos/canvas.py)

T = views.T
# The streamed figures are LivePlots (one Plotly div each, updated in place, stale frames skipped; gr.Plot drew
# a fresh div twice per frame, ~170 ms, and a 2-core page painted 1-2 frames/s). Frames go out ~25 a second
# (40 ms apart; at 50 ms the page painted 19.3-19.6 a second, now 21-25).
PLAY_SECONDS = 0.04  # between frames of the reverse process (Sample streams one kept frame each, Play too)
PLAYING = {"concurrency_id": "diffusion_play", "concurrency_limit": 8}  # Play holds a slot for a few seconds
MAX_SAMPLE_SECONDS = 60  # one Sample press streams at most this long
MAX_TRAIN_SECONDS = 120  # one Train press trains at most this long, then pauses by itself
TRAIN_FRAME_SECONDS = 0.04  # between live-training frames
TRAIN_SHARE = 0.4  # of a frame's time, at most this much trains (Speed caps the steps too); the preview is the rest
CURVE_SECONDS = 2.0  # the loss curve (a gr.Plot, redrawn whole) is sent this often, and with the last frame
# A status line (Markdown, re-rendered whole) with every frame kept a busy 2-core page from painting: its
# measured frames/s tripled and page.evaluate answered again when the text went twice a second.
STATUS_SECONDS = 0.5
DIGIT_CHOICES = ["any"] + [str(k) for k in range(10)]
TOY_CHOICES = [(MODELS[m], m) for m in TOY_MODELS]

INTRO = """
A **diffusion model** (Ho et al. 2020, DDPM) learns to undo noise. The *forward process* buries data in
Gaussian noise over T = 1000 small steps; a small network ε_θ(x_t, t) learns to predict the noise in x_t;
the *reverse process* starts from pure noise and removes the predicted noise step by step until data
appears. Every model here was trained in this project (2-D point clouds and scikit-learn's 8 × 8 digits).
"""


def _forward(opened: list) -> None:
    with gr.Row():
        data = gr.Radio(list(views.FORWARD_DATA), value="ring", label="Data")
        schedule = gr.Radio(list(views.SCHEDULES), value="linear", label="Schedule")
        t = Slider(0, T, value=100, step=1, label="Step t (0 = data, 1000 = pure noise)")
        seed = Number(value=0, precision=0, minimum=0, maximum=2**31 - 1, label="Seed (data and noise)")
    status = gr.Markdown()
    with gr.Row():
        with gr.Column():
            cloud = plot("Forward samples")
            caption("The data x_0 (grey) and the same points at step t (blue), each with its own fixed noise ε: "
                    "drag t and watch the structure dissolve into a standard Gaussian.")
        with gr.Column():
            curves = plot("Noise levels")
            caption("ᾱ_t (how much of x_0 is left, squared), the signal and noise scales √ᾱ_t and √(1−ᾱ_t), and "
                    "the signal-to-noise ratio, on a log axis; the dotted line is the current t.")
    equation("**Forward marginal** (Ho et al. eq. 4): q(x_t | x_0) = N(√ᾱ_t x_0, (1 − ᾱ_t) I), so "
                "x_t = √ᾱ_t x_0 + √(1 − ᾱ_t) ε with ε ~ N(0, I), α_t = 1 − β_t, ᾱ_t = α_1 ⋯ α_t. No network is "
                "involved: any step can be reached in one jump.")
    redraw([*opened, data.input, schedule.input, t.input, seed.input], view_handler(views.forward_view),
           [data, schedule, t, seed], [cloud, curves, status], api_name="diffusion_forward")


def _schedules(tab: gr.Tab) -> None:
    with gr.Row():
        t = Slider(0, T, value=300, step=1, label="Step t")
        seed = Number(value=0, precision=0, minimum=0, maximum=2**31 - 1, label="Seed (the noise)")
        index = Slider(0, 358, value=0, step=1, label="Test digit")
    status = gr.Markdown()
    curves = plot("Schedules")
    caption("ᾱ_t (solid) and SNR (dashed) of the linear (blue) and cosine (red) schedules on a log axis. "
            "The linear schedule destroys the signal early; the cosine one falls gently, then fast at the end.")
    strip = plot("Same digit")
    caption("One held-out digit noised with the same ε under each schedule at the same steps (▶ marks t).")
    equation("**Linear** (Ho et al.): β_t from 10⁻⁴ to 0.02. **Cosine** (Nichol & Dhariwal 2021, eq. 17): "
                "ᾱ_t = f(t)/f(0), f(t) = cos²((t/T + s)/(1 + s) · π/2), s = 0.008, β clipped at 0.999.")
    redraw([tab.select, t.input, seed.input, index.input], view_handler(views.schedules_view),
           [t, seed, index], [curves, strip, status], api_name="diffusion_schedules")


def _reverse(tab: gr.Tab, device) -> None:
    state = gr.State(None, time_to_live=STATE_TTL)
    with gr.Row():
        model = gr.Dropdown([(label, name) for name, label in MODELS.items()], value=SETTINGS.model, label="Model")
        seed = Number(value=0, precision=0, minimum=0, maximum=2**31 - 1, label="Seed (starting noise)")
        sampler = gr.Radio(["ddpm", "ddim"], value="ddpm", label="Sampler")
        steps = Slider(1, T, value=T, step=1, label="Steps (DDPM with fewer than 1000 = respaced)")
        eta = Slider(0, 1, value=0.0, step=0.05, label="η (DDIM: 0 deterministic … 1 like DDPM)")
    with gr.Row():
        digit = gr.Dropdown(DIGIT_CHOICES, value="any", label="Digit class (digit model)")
        w = Slider(0, SETTINGS.max_guidance, value=SETTINGS.guidance, step=0.5, label="Guidance w (digit model)")
        sample = gr.Button("Sample", variant="primary", elem_id="diffusion-sample")
        play = gr.Button("Play", elem_id="diffusion-play")
        pause = gr.Button("Pause", elem_id="diffusion-reverse-pause")
    frame = Slider(0, SETTINGS.max_frames - 1, value=0, step=1, label="Frame (scrub through the steps)")
    status = gr.Markdown("Press **Sample**, then scrub or play.", elem_id="diffusion-reverse-status")
    figure = LivePlot(label="Reverse process", elem_id="diffusion-reverse-plane", show_label=False)
    caption("Left: the samples x_t at this step, the field of −ε̂ (red arrows: where the network's predicted noise "
            "pushes a point at this step) and a few trajectories so far. Right: the network's current guess of the "
            "clean sample, x̂₀ — sharp long before x_t is. For digits: rows x_t, x̂₀ and ε̂.")
    equation("**Reverse step** (Ho et al. eq. 11): x_{t−1} = (x_t − β_t/√(1−ᾱ_t) · ε_θ(x_t, t)) / √α_t + σ_t z, "
                "σ_t² = β̃_t = (1−ᾱ_{t−1})/(1−ᾱ_t) · β_t. **Guess of the clean sample**: "
                "x̂₀ = (x_t − √(1−ᾱ_t) ε_θ) / √ᾱ_t. **Training loss** (eq. 14): ‖ε − ε_θ(√ᾱ_t x_0 + √(1−ᾱ_t) ε, t)‖².")

    @handler
    def compute(model, seed, sampler, steps, eta, digit, w):
        sampling = ReverseSampling(model, seed, sampler, steps, eta, digit, w, device=device)
        frames, text_due = FrameEncoder(), Every(STATUS_SECONDS, first_due=True).due  # a keyframe, then changes

        def advance():  # frame 0 after one network call, then the steps up to the next kept frame
            upcoming = sampling.walk.frames[sampling.walk.frames >= sampling.steps_taken]
            sampling.advance(1 if sampling.steps_taken == 0 else int(upcoming[0]) - sampling.steps_taken + 1,
                             seconds=MAX_FRAME_WORK)

        def show(last):
            computed = sampling.run()
            f = len(computed) - 1
            view = reverse_frame(computed, f)
            text = paused_status(computed) if last and not computed.complete else view.status  # time limit
            figure = keyframe(view.figure) if last else frames.encode(view.figure)  # the last: readable alone
            return computed, gr.update(value=f, maximum=computed.total - 1), figure, text if text_due(last) else gr.skip()

        yield from stream(advance, show, finished=lambda: sampling.done, frame_seconds=PLAY_SECONDS,
                          max_seconds=MAX_SAMPLE_SECONDS)

    @handler
    def scrub(computed, index):
        view = reverse_frame(computed, index)
        return view.figure, view.status

    @handler
    def play_from(computed, index):  # the stored frames from the slider's on, one every PLAY_SECONDS: no model call
        if computed is None:
            raise InputError("Nothing sampled yet: press Sample first.")  # handler: a message, no traceback
        first, frames, text_due = validate_frame(computed, index), FrameEncoder(), Every(STATUS_SECONDS, first_due=True).due
        for f in range(0 if first >= len(computed) - 1 else first, len(computed)):  # at the end: again from 0
            start, last = time.monotonic(), f == len(computed) - 1
            view = reverse_frame(computed, f)
            yield (f, keyframe(view.figure) if last else frames.encode(view.figure),
                   view.status if text_due(last) else gr.skip())
            time.sleep(0.0 if last else max(0.0, PLAY_SECONDS - (time.monotonic() - start)))

    inputs = [model, seed, sampler, steps, eta, digit, w]
    sampled = sample.click(compute, inputs, [state, frame, figure, status], api_name="diffusion_sample",
                           show_progress_on=[figure], **heavy())
    opened = tab.select(compute, inputs, [state, frame, figure, status], api_name="diffusion_reverse_open",
                        show_progress_on=[figure], **heavy())
    redraw([frame.input], scrub, [state, frame], [figure, status], api_name="diffusion_scrub")
    # Play streams stored frames (cheap: indexing and a figure), in its own group: it holds a slot while it plays.
    played = play.click(play_from, [state, frame], [frame, figure, status], api_name="diffusion_play",
                        show_progress_on=[figure], **PLAYING)
    sample.click(None, None, None, cancels=[played])  # a new run stops playing the old one
    pause.click(None, None, None, cancels=[sampled, opened, played], api_name="diffusion_play_pause").then(
        handler(paused_status), [state, frame], [status], api_name="diffusion_paused",
        concurrency_id="diffusion_light")


def _exact(tab: gr.Tab, device) -> None:
    with gr.Row():
        model = gr.Dropdown(TOY_CHOICES, value="diffusion_ring", label="Model")
        t = Slider(1, T, value=50, step=1, label="Step t")
        seed = Number(value=0, precision=0, minimum=0, maximum=2**31 - 1, label="Seed")
    status = gr.Markdown()
    field = plot("Exact vs learned field")
    caption("Arrows of −ε at step t over the plane: the exact answer (purple, solid) and the trained network "
            "(red, dotted), over samples of q(x_t) (grey). Where they agree, the network has learned the exact score.")
    with gr.Row():
        with gr.Column():
            error = plot("Error against t")
            caption("Mean squared gap between the network and the exact ε* over samples of q(x_t), by step (log axis), "
                    "beside the size of ε* itself. The dotted line is the current t.")
        with gr.Column():
            samples = plot("Exact vs network samples")
            caption("Samples of the exact denoiser (a perfect network) and of the trained network, same noise. "
                    "For moons and spiral the exact denoiser of the training points can only give those points back.")
    equation("**The exact answer** for q(x_0) = Σ_k π_k N(c_k, σ²I): q(x_t) = Σ_k π_k N(√ᾱ_t c_k, s_t² I), "
                "s_t² = ᾱ_t σ² + 1 − ᾱ_t, and ε*(x_t, t) = −√(1 − ᾱ_t) ∇ log q(x_t) = "
                "√(1 − ᾱ_t) Σ_k r_k(x_t) (x_t − √ᾱ_t c_k) / s_t², r_k the posterior weight of mode k.")
    redraw([tab.select, model.input, t.input, seed.input],
           view_handler(lambda m, t_, s: views.exact_view(m, t_, s, device)),
           [model, t, seed], [field, error, samples, status], api_name="diffusion_exact", **heavy())


def _samplers(tab: gr.Tab, device) -> None:
    with gr.Row():
        model = gr.Dropdown(TOY_CHOICES, value="diffusion_ring", label="Model")
        seed = Number(value=0, precision=0, minimum=0, maximum=2**31 - 1, label="Seed (starting noise)")
        steps = Slider(1, T, value=20, step=1, label="DDIM steps")
        eta = Slider(0, 1, value=0.0, step=0.05, label="η (0 deterministic … 1 DDPM-like)")
    status = gr.Markdown()
    paths = plot("Samplers")
    caption("The same 500 starting noises through DDPM (all 1000 steps, fresh noise each step) and DDIM (the steps "
            "and η chosen). Orange: paths of ten points. With η = 0 DDIM's paths are smooth and deterministic; as η "
            "grows they spread like DDPM's.")
    chart = plot("Quality against steps")
    caption("Share of 2,500 samples within 3σ of a mode (moons and spiral: mean distance to the data) against the "
            "number of steps, measured when the model was trained; the dotted line marks the chosen steps.")
    equation("**DDIM step** (Song et al. eq. 12): x_{t'} = √ᾱ_{t'} x̂₀ + √(1 − ᾱ_{t'} − σ²) ε_θ + σ z, "
                "σ = η √((1−ᾱ_{t'})/(1−ᾱ_t)) √(1 − ᾱ_t/ᾱ_{t'}). η = 1 is DDPM's posterior on the skipped schedule.")
    redraw([tab.select, model.input, seed.input, steps.input, eta.input],
           view_handler(lambda m, s, n, e: views.samplers_view(m, s, n, e, device)),
           [model, seed, steps, eta], [paths, chart, status], api_name="diffusion_samplers", **heavy())


def _guidance(tab: gr.Tab, device) -> None:
    with gr.Row():
        digit = gr.Dropdown([str(k) for k in range(10)], value=str(SETTINGS.digit_class), label="Digit class")
        w = Slider(0, SETTINGS.max_guidance, value=SETTINGS.guidance, step=0.5, label="Guidance scale w")
        seed = Number(value=0, precision=0, minimum=0, maximum=2**31 - 1, label="Seed")
    status = gr.Markdown()
    grid = plot("Guidance grid")
    caption("Each column is one starting noise; each row a guidance scale (▶ the chosen w). w = 0 is the plain "
            "conditional model; larger w pushes samples towards what the class looks like on average.")
    tradeoff = plot("Trade-off")
    caption("Measured when the model was trained (20 samples per class and w, DDIM-50): how often the digit "
            "classifier reads the requested class (agreement), and how different the samples of one class are "
            "from each other (diversity), against w.")
    equation("**Classifier-free guidance** (Ho & Salimans 2022): ε̃ = (1 + w) ε_θ(x_t, t, y) − w ε_θ(x_t, t, ∅). "
                "One network gives both terms: during training the label was dropped 15% of the time.")
    redraw([tab.select, digit.input, w.input, seed.input],
           view_handler(lambda d, w_, s: image_views.guidance_view(d, w_, s, device)),
           [digit, w, seed], [grid, tradeoff, status], api_name="diffusion_guidance")


def _inpaint(tab: gr.Tab, device) -> None:
    start = image_views.preset_mask("right half").astype(int).tolist()
    with gr.Row():
        with gr.Column(scale=2):
            index = Slider(0, 358, value=0, step=1, label="Test digit")
            preset = gr.Radio(list(image_views.MASKS), value="right half",
                              label="Start from a preset mask (then paint on the grid)")
            seed = Number(value=0, precision=0, minimum=0, maximum=2**31 - 1, label="Seed")
        with gr.Column(scale=1, min_width=280):
            grid = mask_grid(start, image_views.digit_backdrop(0), elem_id="diffusion-mask")
            caption("The test digit, enlarged. Press and drag over cells to hide them (red) or, starting on a red "
                    "cell, to show them again; the model fills in what is hidden.")
    status = gr.Markdown()
    strip = plot("In-painting")
    caption("Each row fills the hidden pixels from another seed: the original, what the model is given (grey = "
            "hidden), x_t at steps of the reverse process, and the result. 'border' is out-painting.")
    equation("**RePaint** (Lugmayr et al. 2022): at every step the known pixels are replaced by the original noised "
                "to that step, x_t[known] = √ᾱ_t x_0 + √(1−ᾱ_t) ε, so the model only invents the hidden ones.")
    light = {"concurrency_id": "diffusion_light"}
    inpaint = view_handler(lambda i, m, s: image_views.inpaint_view(i, m, s, device))
    # Another digit: its backdrop, then the in-painting (one event per trigger; the backdrop sets a prop, not
    # the grid's value). The grid's value changes on a stroke and on the preset's reply: grid.change redraws.
    index.input(handler(lambda i: gr.update(pixels=image_views.digit_backdrop(i))), [index], [grid],
                api_name="diffusion_mask_backdrop", trigger_mode="always_last", **light).then(
        inpaint, [index, grid, seed], [strip, status], api_name="diffusion_inpaint_digit",
        api_visibility="undocumented", **LIGHT)
    preset.input(handler(lambda name, s: image_views.preset_mask(name, s).astype(int).tolist()), [preset, seed],
                 [grid], api_name="diffusion_mask_preset", **light)  # the grid's change then in-paints
    redraw([tab.select, seed.input, grid.change], inpaint, [index, grid, seed], [strip, status],
           api_name="diffusion_inpaint")


def _train(device) -> None:
    state = gr.State(None, time_to_live=STATE_TTL)
    with gr.Row():
        data = gr.Radio(list(LIVE_DATA), value="moons", label="Data set ('drawn': your drawing below)")
        seed = Number(value=0, precision=0, minimum=0, maximum=2**31 - 1, label="Seed")
        speed = Slider(1, MAX_STEPS_PER_FRAME, value=50, step=1, label="Speed: steps per frame")
    with gr.Accordion("Draw your own data (choose 'drawn', then New run)", open=False):
        gr.Markdown("Draw dark strokes; the network learns to put its samples on them.")
        drawing = drawing_canvas(elem_id="diffusion-drawing")
    with gr.Row():
        new_run = gr.Button("New run", elem_id="diffusion-new-run")
        train = gr.Button("Train / resume", variant="primary", elem_id="diffusion-train")
        pause = gr.Button("Pause", elem_id="diffusion-train-pause")
    status = gr.Markdown("Press **Train** to start.", elem_id="diffusion-train-status")
    samples = LivePlot(label="Live samples", elem_id="diffusion-live-plane", show_label=False)
    caption("Red: what the network makes of the same 500 noise samples so far (DDIM-20); grey: the training data "
            "it learns from.")
    loss = plot("Loss")
    caption("The ε-prediction loss per step (averaged): it falls fast, then slowly; noisy because t is random.")

    def fresh_session(data_, seed_, drawing_):
        return new_session(data_, seed_, device, drawing=decode_drawing(drawing_))

    def outputs(session):
        view = session_view(session)
        return session, view.samples, view.loss, view.status

    @handler
    def fresh(data_, seed_, drawing_):
        return outputs(fresh_session(data_, seed_, drawing_))

    @handler
    def run(session, steps, data_, seed_, drawing_):
        speed = validate.integer(steps, "Steps per frame", lo=1, hi=MAX_STEPS_PER_FRAME)
        session = session or fresh_session(data_, seed_, drawing_)
        if session.finished:
            gr.Info("This run is complete: press New run to start again.")
        plane = FrameEncoder()  # a keyframe of the plane, then only what changed (the red points, the title)
        pace = StepPace(speed, TRAIN_SHARE * TRAIN_FRAME_SECONDS)
        curve_due, text_due = Every(CURVE_SECONDS, first_due=True).due, Every(STATUS_SECONDS, first_due=True).due

        def advance():  # Speed's steps, or what fits in TRAIN_SHARE of a frame at the measured rate
            pace.advance(lambda n: session.advance(n, seconds=pace.budget), lambda: session.trainer.step_count)

        def show(last):
            curve = curve_due(last)
            view = session_view(session, curves=curve)
            figure = keyframe(view.samples) if last else plane.encode(view.samples)  # the last: readable alone
            return session, figure, view.loss if curve else gr.skip(), view.status if text_due(last) else gr.skip()

        yield show(False)  # the figures at once, the loss curve included
        yield from stream(advance, show, finished=lambda: session.finished,
                          frame_seconds=TRAIN_FRAME_SECONDS, max_seconds=MAX_TRAIN_SECONDS)

    settings = [data, seed, drawing]
    new_run.click(fresh, settings, [state, samples, loss, status], api_name="diffusion_new_run",
                  concurrency_id="diffusion_light")
    training = train.click(run, [state, speed, *settings], [state, samples, loss, status],
                           api_name="diffusion_train", show_progress_on=[samples], **heavy())
    @handler
    def paused(session):  # after Pause, every figure at the paused step (the loss curve lags while training)
        return outputs(session)[1:] if session is not None else (gr.skip(),) * 3

    pause.click(None, None, None, cancels=[training], api_name="diffusion_pause").then(
        paused, [state], [samples, loss, status], api_name="diffusion_train_paused", concurrency_id="diffusion_light")


def render(app: gr.Blocks, options: AppOptions) -> None:
    device = options.device
    del app  # no page-load event: each sub-tab draws when it is opened
    with gr.Tab("Diffusion", id="diffusion") as tab:
        gr.Markdown(INTRO)
        with gr.Tabs():
            with gr.Tab("Forward process", id="diffusion_forward") as sub:
                _forward([tab.select, sub.select])  # the first sub-tab draws when the tab opens
            with gr.Tab("Schedules", id="diffusion_schedules") as sub:
                _schedules(sub)
            with gr.Tab("Reverse process", id="diffusion_reverse") as sub:
                _reverse(sub, device)
            with gr.Tab("Exact vs learned", id="diffusion_exact") as sub:
                _exact(sub, device)
            with gr.Tab("Samplers", id="diffusion_samplers") as sub:
                _samplers(sub, device)
            with gr.Tab("Guidance", id="diffusion_guidance") as sub:
                _guidance(sub, device)
            with gr.Tab("In-painting", id="diffusion_inpaint") as sub:
                _inpaint(sub, device)
            with gr.Tab("Train your own", id="diffusion_train"):
                _train(device)
