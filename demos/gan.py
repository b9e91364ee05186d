"""The GAN tab: train a GAN live, watch it collapse onto a few modes, and fix it.

Each visitor's run lives in their own ``gr.State`` (an ``explainer.gan.session.GANSession``).
Training streams about 20 frames a second (10 side by side) through ``demos.common.stream`` into
:class:`demos.liveplot.LivePlot` planes, which redraw in place and receive only what changed; Pause
cancels that event and keeps the models, so Train resumes where it stopped. One Train press
runs at most ``MAX_REQUEST_SECONDS`` so a stranger cannot hold a worker for ever.

The drawing canvas (:mod:`demos.canvas`) is an input of New run only. A refused setting is
reported twice: as Gradio's toast, and in the status line beside the buttons, where it stays.
``render`` builds the tab from one short function per part: the controls, the plane, the advanced
settings, the drawing, and the wiring of the runs, the single steps and the views.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import gradio as gr

from demos.canvas import drawing_canvas
from demos.common import LIGHT, AppOptions, Number, Slider, caption, handler, heavy, plot, redraw, stream
from demos.liveplot import FrameEncoder, LivePlot
from demos.server import STATE_TTL  # one lifetime for every tab's per-person state
from explainer import validate
from explainer.budget import Every, StepPace
from explainer.datasets.toy2d import decode_drawing
from explainer.gan import DEFAULT_PRESET, get_preset, preset_config, preset_names
from explainer.gan.catalog import DATASET_NAMES, LIMITS, LOSSES
from explainer.gan.session import MAX_STEPS_PER_FRAME, OVERRIDES, Display, GANSession, new_session
from explainer.gan.views import session_view
from explainer.validate import InputError

# The planes are LivePlots (one Plotly div each, updated in place, stale frames skipped; gr.Plot drew a
# fresh div twice per frame, ~170 ms, and the page fell behind). A frame trains at most TRAIN_SHARE of
# its time (Speed caps the steps too), so frames keep this pace; the rest builds and sends the figures.
FRAME_SECONDS = {1: 0.04, 2: 0.1}  # seconds between frames, by the number of runs shown
TRAIN_SHARE = 0.7  # of a frame's time, at most this much trains (the Speed slider caps the steps too)
CURVES_SECONDS = 2.0  # the curves (a gr.Plot, redrawn whole) are sent this often, and with the last frame
MAX_REQUEST_SECONDS = 120  # one Train press trains at most this long, then pauses by itself
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


# --- What the events compute (device first; bound by the wiring below) ----------------------------
def _fresh(device, preset, dataset, seed, compare, drawing, *rest) -> tuple:
    """New run: a session from the settings and the drawing (``rest``: the advanced settings, the display)."""
    return _outputs(_session(device, preset, dataset, seed, compare, drawing, *rest[:-1]), rest[-1])


def _ensure(device, session, *values) -> tuple:
    """The loaded run's figures, or a new run from the settings shown (``values`` end with the display)."""
    return _outputs(session or _session(device, *values[:4], None, *values[4:-1]), values[-1])


def _single(which: str, device, session, choices, *values) -> tuple:
    """One D update, one G update, or one full step (``which``: "d", "g", "both")."""
    session = session or _session(device, *values[:4], None, *values[4:])
    session.single(which)
    return _outputs(session, choices)


def _train(device, session, steps_per_frame, choices, *values):
    """Train / resume: the current figures at once, then a frame per chunk of steps (demos.common.stream)."""
    session = session or _session(device, *values[:4], None, *values[4:])
    display = _display(choices)
    speed = validate.integer(steps_per_frame, "Steps per frame", lo=1, hi=MAX_STEPS_PER_FRAME)
    if session.finished:
        gr.Info("This run is complete: press New run to start again.")
    yield _outputs(session, choices)  # also shows (or hides) the right-hand plane
    planes = [FrameEncoder() for _ in session.trainers]  # a keyframe of each plane, then only what changed
    period = FRAME_SECONDS[len(session.trainers)]
    pace, curves_due = StepPace(speed, TRAIN_SHARE * period), Every(CURVES_SECONDS)  # curves: sent just above

    def advance() -> None:  # Speed's steps, or what fits in the frame at the measured rate
        pace.advance(session.advance, lambda: session.trained)

    def frame(last: bool) -> tuple:
        curves = curves_due.due(last)
        view = session_view(session, display, curves=curves)
        left, *right = [encoder.encode(fig) for encoder, fig in zip(planes, (view.plane, view.compare))]
        return session, left, right[0] if right else gr.skip(), view.curves if curves else gr.skip(), view.status

    yield from stream(advance, frame, finished=lambda: session.finished, frame_seconds=period,
                      max_seconds=MAX_REQUEST_SECONDS)


def _event(fn, *bound, name: str, session_first: bool = True):
    """``fn`` with its first arguments bound, named for the logs, reporting refusals (see _reporting)."""
    call = functools.partial(fn, *bound)
    call.__name__ = name
    return _reporting(call, session_first=session_first)


# --- The tab, one function per part -----------------------------------------------------------------
@dataclass(frozen=True)
class _Controls:
    """The column beside the plane."""

    preset: gr.Dropdown
    dataset: gr.Radio
    seed: RangeNumber
    speed: Slider
    new_run: gr.Button
    train: gr.Button
    pause: gr.Button
    steps: dict  # "d" / "g" / "both" -> the button for that single step
    status: gr.Markdown
    hint: gr.Markdown


@dataclass(frozen=True)
class _Page:
    """Every component an event reads or writes."""

    tab: gr.Tab
    state: gr.State
    controls: _Controls
    plane: LivePlot  # the run on the left (the only one unless comparing)
    plane_right: LivePlot  # the remedy, side by side
    show: gr.CheckboxGroup
    compare: gr.Checkbox
    advanced: list  # the widgets of OVERRIDES, in its order
    drawing: gr.HTML
    curves: gr.Plot

    @property
    def settings(self) -> list:  # everything but the drawing
        return [self.controls.preset, self.controls.dataset, self.controls.seed, self.compare, *self.advanced]

    @property
    def outputs(self) -> list:
        return [self.state, self.plane, self.plane_right, self.curves, self.controls.status]

    @property
    def light(self) -> dict:  # spinners and error badges on the plane only: on the status line a badge hid the refusal
        return {**LIGHT, "show_progress_on": [self.plane]}


def _controls(hint: str) -> _Controls:
    with gr.Column(scale=2, min_width=320):
        preset = gr.Dropdown(preset_names(), value=DEFAULT_PRESET, label="Preset")
        dataset = gr.Radio(list(DATASET_NAMES), value="ring", label="Data set")
        with gr.Row():
            seed = RangeNumber(value=0, precision=0, minimum=0, maximum=2**31 - 1, label="Seed", min_width=80)
            speed = Slider(1, MAX_STEPS_PER_FRAME, value=25, step=1, label="Speed: steps per frame", min_width=160)
        with gr.Row():
            new_run = gr.Button("New run", variant="secondary", min_width=90)
            train = gr.Button("Train / resume", variant="primary", min_width=150, scale=2)
            pause = gr.Button("Pause", min_width=80)
        with gr.Row():
            steps = {"d": gr.Button("Step D", size="sm", min_width=80),
                     "g": gr.Button("Step G", size="sm", min_width=80),
                     "both": gr.Button("One step (D then G)", size="sm", min_width=140)}
        status = gr.Markdown("Press **Train** to start.", elem_id="gan-status")
        hint_text = gr.Markdown(hint)
    return _Controls(preset, dataset, seed, speed, new_run, train, pause, steps, status, hint_text)


def _plane() -> tuple[LivePlot, LivePlot, gr.CheckboxGroup]:
    with gr.Column(scale=3, min_width=420):
        with gr.Row():
            plane = LivePlot(label="Data plane", elem_id="gan-plane")
            plane_right = LivePlot(label="Remedy", elem_id="gan-plane-right", visible=False)
        show = gr.CheckboxGroup(list(DISPLAY), value=DEFAULT_DISPLAY, label="Show", container=False)
        caption(PLANE_CAPTION)
    return plane, plane_right, show


def _advanced(initial: tuple) -> list:
    """The advanced settings, in the order of OVERRIDES, starting at the default preset's values."""
    lr = LIMITS["lr"]
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
    return [width, depth, latent, g_lr, d_lr, d_steps, batch, loss]


def _drawing() -> gr.HTML:
    with gr.Accordion("Draw your own distribution (choose data set 'drawn', then New run)", open=False):
        gr.Markdown("Draw dark strokes; G learns to put its points on them.")
        return drawing_canvas(elem_id="gan-drawing")


def _wire_runs(page: _Page, device, opened) -> None:
    """New run, Train (streamed, heavy), Pause (cancels Train, then ``opened`` redraws at the paused step)."""
    c = page.controls
    c.new_run.click(_event(_fresh, device, name="fresh", session_first=False),
                    [c.preset, c.dataset, c.seed, page.compare, page.drawing, *page.advanced, page.show],
                    page.outputs, api_name="gan_new_run", **page.light)  # the only event reading the drawing
    training = c.train.click(_event(_train, device, name="train"), [page.state, c.speed, page.show, *page.settings],
                             page.outputs, api_name="gan_train", show_progress_on=[page.plane], **heavy())
    c.pause.click(None, None, None, cancels=[training], api_name="gan_pause").then(
        opened, [page.state, *page.settings, page.show], page.outputs,
        api_name="gan_paused", **page.light)  # all figures at the paused step


def _wire_views(page: _Page, device, opened) -> None:
    """Opening the tab, the display checkboxes (both ``opened``), the single steps, the preset's settings."""
    c, view_inputs = page.controls, [page.state, *page.settings, page.show]
    page.tab.select(opened, view_inputs, page.outputs, api_name="gan_open", **page.light)
    redraw([page.show.input], opened, view_inputs, page.outputs, api_name="gan_view", show_progress_on=[page.plane])
    for which, name in (("d", "gan_step_d"), ("g", "gan_step_g"), ("both", "gan_step")):
        c.steps[which].click(_event(_single, which, device, name=f"step_{which}"),
                             [page.state, page.show, *page.settings], page.outputs, api_name=name, **page.light)
    redraw([c.preset.input, c.dataset.input], handler(_preset_values), [c.preset, c.dataset],
           [c.hint, *page.advanced], api_name="gan_preset")


def render(app: gr.Blocks, options: AppOptions) -> None:
    del app  # no page-load event: the tab draws when it is opened
    initial = _preset_values(DEFAULT_PRESET, "ring")  # hint and advanced settings of the default
    with gr.Tab("GAN", id="gan") as tab:
        gr.Markdown(INTRO)
        state = gr.State(None, time_to_live=STATE_TTL)
        with gr.Row(equal_height=False):
            controls = _controls(initial[0])
            plane, plane_right, show = _plane()
        compare = gr.Checkbox(False, label="Side by side: 'Mode collapse' (left) vs the chosen preset (right), "
                                           "same data and seed, each with its preset's own settings")
        advanced = _advanced(initial)
        drawing = _drawing()
        curves = plot("Curves")
        caption(CURVES_CAPTION)
    page = _Page(tab, state, controls, plane, plane_right, show, compare, advanced, drawing, curves)
    opened = _event(_ensure, options.device, name="opened")  # the figures of the loaded run (or a new one)
    _wire_runs(page, options.device, opened)
    _wire_views(page, options.device, opened)
