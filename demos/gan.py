"""The GAN tab: train a GAN live, watch it collapse onto a few modes, and fix it.

Each visitor's run lives in their own ``gr.State`` (an ``explainer.gan.session.GANSession``).
Training streams a frame about every 250 ms (600 ms side by side) from a generator event; Pause
cancels that event and keeps the models, so Train resumes where it stopped. One Train press runs
at most ``MAX_REQUEST_SECONDS`` so a stranger cannot hold a worker for ever.

The drawing canvas is a plain <canvas> whose value is the ink mask, bit-packed (a few kB). It
replaced ``gr.Sketchpad``: on each progress update of any event, Gradio 6.31's page asks every
component that has been an input or output of an event so far for its value, and a Sketchpad
holding a drawing answers by exporting its layers as PNGs and uploading them — 48 to 400 uploads
while a run trained on a drawing, and the page fell 10-16 s behind. A refused setting is reported twice: as Gradio's toast, and in the status
line beside the buttons, where it stays.
"""

from __future__ import annotations

import functools
import math
import time

import gradio as gr

from demos.common import AppOptions, Number, Slider, caption, handler, plot
from explainer import validate
from explainer.device import available_cores
from explainer.gan import DEFAULT_PRESET, get_preset, preset_config, preset_names
from explainer.gan.config import DATASET_NAMES, LIMITS, LOSSES
from explainer.gan.session import MAX_STEPS_PER_FRAME, OVERRIDES, Display, GANSession, decode_drawing, new_session
from explainer.gan.views import session_view
from explainer.validate import InputError

FRAME_SECONDS = {1: 0.25, 2: 0.6}  # seconds between frames, by the number of runs shown (see the note in run())
CURVES_EVERY = 5  # the curves are sent with every 5th frame and the last: less for the browser to redraw
MAX_REQUEST_SECONDS = 120  # one Train press trains at most this long, then pauses by itself
STATE_TTL = 3600  # a run left alone for an hour is dropped from the server's memory
CANVAS = 320  # the drawing canvas, in CSS pixels
INK_GRID = 160  # the canvas is sent as a 160 × 160 ink mask (3.2 kB before base64)
DISPLAY = {  # checkbox label -> Display field
    "D's opinion (heatmap)": "heatmap",
    "G's push (arrows)": "arrows",
    "G's manifold": "manifold",
    "real samples": "real",
    "generated samples": "fake",
}
DEFAULT_DISPLAY = ["D's opinion (heatmap)", "G's push (arrows)", "real samples", "generated samples"]

INTRO = """
A **generator** G turns random noise into points; a **discriminator** D learns to tell them from real
data, and G learns from D's gradient how to fool it (Goodfellow et al. 2014). On a ring of 8 Gaussians a
plain GAN **collapses** onto a few modes; the remedies change what D can see. Pick a preset, press **Train**.
"""
PLANE_CAPTION = (
    "Blue dots: real data. Red dots: G's samples. Background: D's verdict over the plane "
    "(blue = 'real', red = 'fake'; for WGAN-GP the critic's score). "
    "Arrows: the direction G's loss pushes each sample (−∂L_G/∂x). Green circles mark the mode centres: "
    "**filled = covered** (the nearest centre of at least one sample within 3σ, VEEGAN's definition), "
    "**hollow = missed**. PacGAN's D judges m points at once, so its heatmap shows D(x, …, x): each point packed "
    "with copies of itself. With minibatch std, D's spread feature is taken from G's current samples."
)
CURVES_CAPTION = (
    "D and G losses per step; modes covered and the share of high-quality samples (within 3σ of a mode "
    "centre), measured on 2,500 samples every few hundred steps. A collapsed run covers few modes. "
    "Side by side, both runs are drawn: 'Mode collapse' solid, the remedy dashed."
)

# The drawing canvas: strokes in black; on each pen-up the ink (alpha > 25%) is sampled on an
# INK_GRID² grid and sent as "WxH:<base64 of np.packbits order bits>" (decode_drawing reads it).
CANVAS_HTML = (f'<div class="gan-canvas"><canvas width="{CANVAS}" height="{CANVAS}" aria-label="drawing canvas">'
               '</canvas><button type="button">Clear the drawing</button></div>')
CANVAS_CSS = (f"canvas {{ width: {CANVAS}px; height: {CANVAS}px; border: 1px solid #888; background: white; "
              "touch-action: none; cursor: crosshair; display: block; } button { margin-top: 6px; }")
CANVAS_JS = """
const canvas = element.querySelector('canvas');
const pen = canvas.getContext('2d');
pen.lineCap = 'round'; pen.lineJoin = 'round'; pen.lineWidth = 10; pen.strokeStyle = '#000'; pen.fillStyle = '#000';
let down = false, last = null;
const at = e => { const r = canvas.getBoundingClientRect();
  return [(e.clientX - r.left) * canvas.width / r.width, (e.clientY - r.top) * canvas.height / r.height]; };
function encode() {
  const n = GRID, small = document.createElement('canvas');
  small.width = n; small.height = n;
  const s = small.getContext('2d');
  s.drawImage(canvas, 0, 0, n, n);
  const alpha = s.getImageData(0, 0, n, n).data, bytes = new Uint8Array(n * n / 8);
  let ink = 0;
  for (let i = 0; i < n * n; i++) if (alpha[4 * i + 3] > 64) { bytes[i >> 3] |= 128 >> (i & 7); ink++; }
  let text = '';
  bytes.forEach(b => { text += String.fromCharCode(b); });
  return ink ? n + 'x' + n + ':' + btoa(text) : '';
}
canvas.addEventListener('pointerdown', e => {
  down = true; canvas.setPointerCapture(e.pointerId); last = at(e);
  pen.beginPath(); pen.arc(last[0], last[1], pen.lineWidth / 2, 0, 2 * Math.PI); pen.fill();
});
canvas.addEventListener('pointermove', e => {
  if (!down) return;
  const p = at(e);
  pen.beginPath(); pen.moveTo(last[0], last[1]); pen.lineTo(p[0], p[1]); pen.stroke(); last = p;
});
const finish = () => { if (down) { down = false; props.value = encode(); } };
canvas.addEventListener('pointerup', finish);
canvas.addEventListener('pointercancel', finish);
element.querySelector('button').addEventListener('click', () => {
  pen.clearRect(0, 0, canvas.width, canvas.height); props.value = '';
});
""".replace("GRID", str(INK_GRID))


class RangeSlider(Slider):
    """A slider showing a range from ``LIMITS``, checked by ``validate_config`` rather than by Gradio.

    Gradio's own range check refuses before the event runs, with a toast only; leaving the range
    to the one validator lets the refusal also stay in the status line.
    """

    is_template = True

    def preprocess(self, payload: object) -> float:
        return _finite(payload, self.label)


class RangeNumber(Number):
    """A number box with a range from ``LIMITS``, checked by ``validate_config`` (see RangeSlider)."""

    is_template = True

    def preprocess(self, payload: object) -> float:
        if payload is None:
            raise gr.Error(f"{self.label or 'This field'} is empty: enter a number.")
        return _finite(payload, self.label)


def _finite(payload: object, label: str | None) -> float:
    try:
        return validate.real(payload, label or "This value", lo=-math.inf, hi=math.inf)
    except InputError as exc:
        raise gr.Error(str(exc)) from None


def _display(choices: list[str]) -> Display:
    unknown = set(choices or []) - set(DISPLAY)
    if unknown:
        raise InputError(f"Unknown display option(s): {', '.join(sorted(unknown))}.")
    return Display(**{field: label in (choices or []) for label, field in DISPLAY.items()})


def _outputs(session: GANSession, choices: list[str]) -> tuple:
    view = session_view(session, _display(choices))
    compare = gr.update(value=view.compare, visible=True) if view.compare is not None else gr.update(visible=False)
    return session, view.plane, compare, view.curves, view.status


def _refusal(message: str, run_kept: bool) -> tuple:
    """Outputs after a refusal: the message stays in the status line; figures match what is loaded."""
    if run_kept:  # the run is untouched: its figures still match it
        return gr.skip(), gr.skip(), gr.skip(), gr.skip(), f"**Refused:** {message}  \nNothing changed in your run."
    return (None, None, gr.update(value=None, visible=False), None,
            f"**Refused:** {message}  \nNo run is loaded: change the setting, then press **New run**.")


def _reporting(fn, *, session_first: bool):
    """An event that, when refused, first writes the refusal into the status line, then refuses (toast)."""

    @handler
    @functools.wraps(fn)
    def event(*args):
        try:
            result = fn(*args)
            if hasattr(result, "__next__"):
                yield from result
            else:
                yield result
        except (InputError, gr.Error) as exc:
            yield _refusal(str(getattr(exc, "message", exc))[:400], run_kept=session_first and args[0] is not None)
            raise

    return event


def _session(device, preset, dataset, seed, compare, drawing, *advanced) -> GANSession:
    overrides = dict(zip(OVERRIDES, advanced))
    return new_session(preset, dataset, seed, device, overrides=overrides,
                       compare_with=preset if compare else None, drawing=decode_drawing(drawing))


def _preset_values(preset: str, dataset: str) -> tuple:
    """The hint and the advanced settings of a preset (shown so the person can start from them)."""
    p = get_preset(preset)
    c = preset_config(preset, dataset if dataset != "drawn" else None)
    return (f"**{p.name}** — {p.hint} *({p.paper})*  \nRuns {c.steps:,} steps.",
            c.g_width, c.g_depth, c.latent_dim, c.g_lr, c.d_lr, c.d_steps, c.batch_size, c.loss)


def _limited(name: str, value: float, label: str) -> RangeSlider:
    limit = LIMITS[name]
    return RangeSlider(int(limit.lo), int(limit.hi), value=value, step=1, label=label)


def render(app: gr.Blocks, options: AppOptions) -> None:
    device = options.device
    del app  # no page-load event: the tab draws when it is opened
    initial = _preset_values(DEFAULT_PRESET, "ring")  # hint and advanced settings of the default
    lr = LIMITS["lr"]
    with gr.Tab("GAN", id="gan") as tab:
        gr.Markdown(INTRO)
        state = gr.State(None, time_to_live=STATE_TTL)
        with gr.Row(equal_height=False):
            with gr.Column(scale=2, min_width=320):  # the controls, beside the plane
                preset = gr.Dropdown(preset_names(), value=DEFAULT_PRESET, label="Preset")
                dataset = gr.Radio(list(DATASET_NAMES), value="ring", label="Data set")
                with gr.Row():
                    seed = RangeNumber(value=0, precision=0, minimum=0, maximum=2**31 - 1, label="Seed", min_width=80)
                    speed = Slider(1, MAX_STEPS_PER_FRAME, value=25, step=1, label="Speed: steps per frame",
                                   min_width=160)
                with gr.Row():
                    new_run = gr.Button("New run", variant="secondary", min_width=90)
                    train = gr.Button("Train / resume", variant="primary", min_width=150, scale=2)
                    pause = gr.Button("Pause", min_width=80)
                with gr.Row():
                    step_d = gr.Button("Step D", size="sm", min_width=80)
                    step_g = gr.Button("Step G", size="sm", min_width=80)
                    step_both = gr.Button("One step (D then G)", size="sm", min_width=140)
                status = gr.Markdown("Press **Train** to start.", elem_id="gan-status")
                hint = gr.Markdown(initial[0])
            with gr.Column(scale=3, min_width=420):
                with gr.Row():
                    plane = plot("Data plane")
                    plane_right = gr.Plot(label="Remedy", show_label=False, visible=False)
                show = gr.CheckboxGroup(list(DISPLAY), value=DEFAULT_DISPLAY, label="Show", container=False)
                caption(PLANE_CAPTION)
        compare = gr.Checkbox(False, label="Side by side: 'Mode collapse' (left) vs the chosen preset (right), "
                                           "same data and seed, each with its preset's own settings")
        with gr.Accordion("Advanced settings (take effect on New run)", open=False):
            with gr.Row():
                width = _limited("width", initial[1], "Width (hidden units, G and D)")
                depth = _limited("depth", initial[2], "Depth (hidden layers, G and D)")
                latent = _limited("latent_dim", initial[3], "Latent size (z)")
                batch = _limited("batch_size", initial[7], "Batch size")
            with gr.Row():
                g_lr = RangeNumber(value=initial[4], label="G learning rate", minimum=lr.lo, maximum=lr.hi)
                d_lr = RangeNumber(value=initial[5], label="D learning rate", minimum=lr.lo, maximum=lr.hi)
                d_steps = _limited("d_steps", initial[6], "D steps per G step")
                loss = gr.Dropdown(list(LOSSES), value=initial[8], label="Loss")
        with gr.Accordion("Draw your own distribution (choose data set 'drawn', then New run)", open=False):
            gr.Markdown("Draw dark strokes; G learns to put its points on them.")
            drawing = gr.HTML("", html_template=CANVAS_HTML, css_template=CANVAS_CSS, js_on_load=CANVAS_JS,
                              elem_id="gan-drawing", padding=False)
        curves = plot("Curves")
        caption(CURVES_CAPTION)

        advanced = [width, depth, latent, g_lr, d_lr, d_steps, batch, loss]
        settings = [preset, dataset, seed, compare, *advanced]  # everything but the drawing
        outputs = [state, plane, plane_right, curves, status]

        def fresh(preset_, dataset_, seed_, compare_, drawing_, *rest):
            return _outputs(_session(device, preset_, dataset_, seed_, compare_, drawing_, *rest[:-1]), rest[-1])

        def ensure(session, *values):
            return _outputs(session or _session(device, *values[:4], None, *values[4:-1]), values[-1])

        def run(session, steps_per_frame, choices, *values):
            session = session or _session(device, *values[:4], None, *values[4:])
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
                curves_fig = view.curves if last or frame % CURVES_EVERY == 0 else gr.skip()
                yield session, view.plane, compare_fig, curves_fig, view.status
                time.sleep(max(0.0, frame_seconds - (time.monotonic() - start)))

        def stepper(which: str):
            def one(session, choices, *values):
                session = session or _session(device, *values[:4], None, *values[4:])
                session.single(which)
                return _outputs(session, choices)

            one.__name__ = f"step_{which}"
            return one

        # Spinners and error badges go on the plane only: on the status line a badge hid the refusal.
        light = {"concurrency_id": "gan_light", "show_progress_on": [plane]}
        view_inputs = [state, *settings, show]
        gr.on([preset.change, dataset.change], handler(_preset_values), [preset, dataset],
              [hint, *advanced], api_name="gan_preset")
        new_run.click(_reporting(fresh, session_first=False), [preset, dataset, seed, compare, drawing, *advanced, show],
                      outputs, api_name="gan_new_run", **light)
        opened = _reporting(ensure, session_first=True)
        tab.select(opened, view_inputs, outputs, api_name="gan_open", **light)
        training = train.click(_reporting(run, session_first=True), [state, speed, show, *settings], outputs,
                               api_name="gan_train", concurrency_id="gan_train",
                               concurrency_limit=max(1, available_cores()), show_progress_on=[plane])
        pause.click(None, None, None, cancels=[training], api_name="gan_pause").then(
            opened, view_inputs, outputs, api_name="gan_paused", **light)  # all figures at the paused step
        for button, which, name in ((step_d, "d", "gan_step_d"), (step_g, "g", "gan_step_g"),
                                    (step_both, "both", "gan_step")):
            button.click(_reporting(stepper(which), session_first=True), [state, show, *settings], outputs,
                         api_name=name, **light)
        show.change(opened, view_inputs, outputs, api_name="gan_view", **light)
