"""The VAE tab: PCA, an autoencoder and a VAE compress a digit to a point; only the VAE's space samples.

Sub-tabs, one view each (``explainer.vae.views`` / ``.compare``), wired through the shared
``redraw`` helper; live training streams through ``stream``, 20–25 frames a second, into a
:class:`demos.liveplot.LivePlot` map that moves in place and receives only what changed (the
curves, a ``gr.Plot`` redrawn whole, every 2 s). Each visitor's live run lives in their own
``gr.State`` (an ``explainer.vae.session.VAESession``): Pause cancels the streaming event and
keeps the model, Train resumes it (or starts afresh when β, latent size or seed changed), Reset
starts over. The sketchpad is an input of its Encode button only, so a drawing
is uploaded once per press.
The latent map's point is picked by a click on the map (``demos.vae_picker``) or by two sliders.
Controls trigger on ``.input`` (the person moved them), one server event per trigger; ``.change`` only
where a reply or JS sets the value: the hidden "opened" flag, the map's picker and the two seeds.
"""

from __future__ import annotations

import functools
import math

import gradio as gr
import numpy as np

from demos.common import AppOptions, Plot, Slider, caption, handler, heavy, plot, redraw, stream, view_handler
from demos.liveplot import FrameEncoder, LivePlot
from demos.server import STATE_TTL  # one lifetime for every tab's per-person state
from demos.vae_picker import point_picker, wire
from explainer import validate
from explainer.budget import Every, StepPace
from explainer.validate import InputError
from explainer.vae import catalog, compare, views
from explainer.vae.catalog import BETAS, MODELS, S
from explainer.vae.session import L, VAESession, new_session, session_view

# Live training: the map is a LivePlot (one Plotly div, moved in place; gr.Plot drew a fresh div twice per
# frame and managed ~2 frames/s). A frame trains at most TRAIN_SHARE of its time ("Steps per frame" caps
# the steps too), so frames keep this pace; the rest builds and sends the map and the status line.
FRAME_SECONDS = 0.04  # 25 frames a second
TRAIN_SHARE = 0.55  # of a frame's time, at most this much trains (at 0.05 s and 0.7 the frames' work took
# ~80 ms and the page painted 12.6 frames/s; now ~21, training as fast: ~245 steps/s in the page)
CURVES_SECONDS = 2.0  # the curves (a gr.Plot, redrawn whole) are sent this often, and with the last frame
MAX_REQUEST_SECONDS = 60  # one Train press trains at most this long
CANVAS = 280  # sketchpad side, pixels

MAP_ID, Z_IDS = "vae-latent-map", ("vae-z1", "vae-z2")  # elem_ids the click picker looks up
Z_STEP = 0.05  # slider step of z₁, z₂ (a click snaps to it)

INTRO = """
An **autoencoder** squeezes each 8×8 digit through a 2-number code and back; **PCA** does the same
with a straight projection. A **VAE** (Kingma & Welling 2014) encodes a digit to a *distribution*
q(z|x) = N(μ, σ²) and is pushed, by a KL term, to make its codes look like N(0, I) — so a random
z ~ N(0, I) decodes to a digit. All models here were trained on scikit-learn's 1,797 real handwritten
digits (test digits held out).
"""
LOSS = """
**The loss.** For each digit x: **L = E_q[−log p(x|z)] + β · KL(q(z|x) ‖ N(0, I))** — a
reconstruction term (Bernoulli: −Σ x log x̂ + (1 − x) log(1 − x̂) over the 64 pixels) plus β times
the KL, in closed form for diagonal Gaussians: **KL = ½ Σⱼ (μⱼ² + σⱼ² − log σⱼ² − 1)**. At β = 1,
−L is the ELBO, a lower bound on log p(x); β > 1 (Higgins et al. 2017) trades sharp reconstructions
for an orderly space. The plain autoencoder keeps the first term only (the linear one uses squared error).
"""


class FreeSlider(Slider):
    """A slider whose range is checked by the view (with a message saying what to change), not by Gradio."""

    is_template = True

    def preprocess(self, payload: object) -> float:
        try:
            return validate.real(payload, self.label or "This value", lo=-math.inf, hi=math.inf)
        except InputError as exc:
            raise gr.Error(str(exc), print_exception=False) from None  # an expected refusal: no traceback


def single(view_fn):
    """An event function for a view with one figure (Gradio wants the value, not a 1-tuple)."""
    run = view_handler(view_fn)

    @functools.wraps(view_fn)
    def first(*args):
        return run(*args)[0]

    return first


def _range(label: str) -> dict:
    """Slider bounds covering a model's test codes (PCA's and the AE's are not near N(0, I))."""
    if label not in MODELS:
        raise InputError(f"Model must be one of {', '.join(MODELS)}.")
    mu = catalog.test_codes(MODELS[label])[0]
    lim = float(min(S.z_limit, max(3.0, np.ceil(np.abs(mu).max() + 0.5))))
    return {"minimum": -lim, "maximum": lim}


def _latent_map(opened: gr.Markdown) -> None:
    with gr.Row():
        model = gr.Radio(list(MODELS), value=S.model, label="Model")
        ellipses = gr.Checkbox(False, label="σ ellipses (VAE: 1σ of q(z|x))")
    bounds = _range(S.model)
    with gr.Row():
        z1 = FreeSlider(bounds["minimum"], bounds["maximum"], value=0.5, step=Z_STEP, label="z₁", elem_id=Z_IDS[0])
        z2 = FreeSlider(bounds["minimum"], bounds["maximum"], value=-0.5, step=Z_STEP, label="z₂", elem_id=Z_IDS[1])
    with gr.Row(equal_height=False):
        with gr.Column(scale=3):
            latent = Plot(label="Latent map", show_label=False, elem_id=MAP_ID)
            picker = point_picker(MAP_ID, Z_IDS, Z_STEP, elem_id="vae-map-picker")  # pick z by a click
        with gr.Column(scale=2):
            decoded = Plot(label="Decoded point", show_label=False, elem_id="vae-decoded")
    note = gr.Markdown()
    caption("Each dot is a held-out test digit at its code (for the VAE, the posterior mean μ(x)), coloured by "
            "the digit it shows; axes in latent units. The × is the point you picked (a click on the map, or the "
            "sliders); right: what the decoder makes of it (8×8 pixels, dark = ink).")
    grid = gr.Radio(list(S.grid_sizes), value=20, label="Manifold grid size")
    manifold = plot("Manifold")
    caption("The decoder applied to a regular lattice of codes. For the VAE the lattice runs over the prior's "
            "quantiles z = Φ⁻¹(u), u from 5 % to 95 % (Kingma & Welling's figure 4); for PCA and the autoencoders, "
            "over the test codes' 2nd–98th percentile (they have no prior).")

    def rescale(label):
        bounds = _range(label)
        return gr.update(**bounds), gr.update(**bounds)

    draw_map, draw_manifold = view_handler(views.latent_view), single(views.manifold_view)

    @handler
    def on_model(label, z1_, z2_, ellipses_, size):
        """Fit z₁, z₂ to the model's codes and draw both its views: one reply, so one event for the trigger."""
        return (*rescale(label), *draw_map(label, z1_, z2_, ellipses_), draw_manifold(label, size))

    # opened.change, not .input: a reply sets it (render's tab.select), once, when the VAE tab is first opened.
    redraw([opened.change, model.input], on_model, [model, z1, z2, ellipses, grid], [z1, z2, latent, decoded, note,
           manifold], api_name="vae_model_page", api_visibility="undocumented")
    gr.on([], handler(rescale), [model], [z1, z2], api_name="vae_model_range", concurrency_id="light")  # API only
    wire(picker, z1, z2)  # before the redraw: a click moves the sliders, then the picker's change redraws once
    # picker.change, not .input: the picker's value is set by JS (a click on the map, or a slider moved).
    redraw([picker.change, ellipses.input], draw_map, [model, z1, z2, ellipses], [latent, decoded, note],
           api_name="vae_map")
    redraw([grid.input], draw_manifold, [model, grid], [manifold], api_name="vae_manifold")


def _sampling(tab: gr.Tab) -> None:
    with gr.Row():
        latent = gr.Radio([2, 8], value=2, label="Latent size (both models)")
        seed = gr.Number(0, precision=0, minimum=0, maximum=S.max_seed, label="Seed")
        resample = gr.Button("Draw new samples", variant="primary")
    samples, shares, note = plot("Prior samples"), plot("Shares"), gr.Markdown()
    caption("Left: z ~ N(0, I) decoded by the VAE. Middle: the *same* z through the autoencoder's decoder. Right: "
            "z from a Gaussian fitted to the AE's training codes. Under each sheet: how many of these samples a digit "
            "classifier trained here reads with confidence ≥ 90 %; the bars: the same share measured on 1,000 "
            "samples of each (`python -m explainer.vae.evaluate`).")
    # seed.change, not .input: "Draw new samples" sets the seed by a reply and relies on this event to redraw.
    redraw([tab.select, seed.change, latent.input], view_handler(compare.prior_view), [seed, latent],
           [samples, shares, note], api_name="vae_prior")
    resample.click(lambda s: (int(s or 0) + 1) % S.max_seed, [seed], [seed], queue=False)


def _reparam(tab: gr.Tab) -> None:
    with gr.Row():
        index = FreeSlider(0, len(catalog.test_set()) - 1, value=0, step=1, label="Test digit #")
        n_eps = FreeSlider(1, S.max_eps, value=S.n_eps, step=1, label="Draws of ε")
        seed = gr.Number(0, precision=0, minimum=0, maximum=S.max_seed, label="Seed of ε")
    resample = gr.Button("Resample ε")
    equation = gr.Markdown()
    with gr.Row(equal_height=False):
        fig_map, decodings = plot("q(z|x)"), plot("Decodings")
    caption("The VAE encodes the digit to μ (star) and σ (red 1σ ellipse). Sampling z = μ + σ·ε with ε ~ N(0, I) "
            "(circles) keeps z differentiable in μ and σ. Right: the digit, decode(μ), and decode(z) for each draw.")
    resample.click(lambda s: (int(s or 0) + 1) % S.max_seed, [seed], [seed], queue=False)
    # seed.change, not .input: "Resample ε" sets the seed by a reply and relies on this event to redraw.
    redraw([tab.select, index.input, n_eps.input, seed.change], view_handler(views.reparam_view),
           [index, seed, n_eps], [fig_map, decodings, equation], api_name="vae_reparam")


def _interpolation(tab: gr.Tab) -> None:
    with gr.Row():
        a = FreeSlider(0, len(catalog.test_set()) - 1, value=0, step=1, label="First test digit #")
        b = FreeSlider(0, len(catalog.test_set()) - 1, value=100, step=1, label="Second test digit #")
        steps = FreeSlider(3, S.max_interp_steps, value=S.interp_steps, step=1, label="Images per strip")
    strips = plot("Interpolation")
    caption("z(t) = (1 − t)·z_a + t·z_b for t from 0 to 1, decoded, in each model's own 2-D space "
            "(the VAE's posterior means). A path through the VAE's space stays among digits longer.")
    redraw([tab.select, a.input, b.input, steps.input], single(compare.interpolation_view), [a, b, steps],
           [strips], api_name="vae_interpolate")


def _beta(tab: gr.Tab) -> None:
    beta = gr.Dropdown(list(BETAS), value=1.0, label="β", allow_custom_value=True)
    note = gr.Markdown()
    with gr.Row(equal_height=False):
        curve, fig_map = plot("Rate–distortion"), plot("Latent map at β")
    caption("Left: each VAE of the sweep (2-D latent, test digits): rate = KL in nats per digit, distortion = test "
            "MSE per pixel; the ring marks the chosen β. Right: its test digits at μ(x) with 1σ ellipses.")
    with gr.Row(equal_height=False):
        samples, bars = plot("Samples at β"), plot("KL per dimension")
    caption("Left: 64 samples z ~ N(0, I) decoded at this β. Right: the 8-D VAE's KL per latent dimension on the "
            "test digits — a dimension near 0 nats is collapsed: q(z|x) equals the prior and the decoder ignores it.")
    redraw([tab.select, beta.input], view_handler(compare.beta_view), [beta], [curve, fig_map, samples, bars, note],
           api_name="vae_beta")


def _pca(tab: gr.Tab) -> None:
    note = gr.Markdown()
    spaces, errors = plot("PCA vs linear AE"), plot("Reconstruction errors")
    caption("Top: the test digits in PCA's first two components and in the linear autoencoder's 2-D code (axes in "
            "each model's own units). Bottom: test reconstruction error (MSE per pixel) of each 2-D model.")
    redraw([tab.select], view_handler(compare.pca_view), [], [spaces, errors, note], api_name="vae_pca")


def _sketch() -> None:
    with gr.Row(equal_height=False):
        with gr.Column(scale=2, min_width=320):
            drawing = gr.Sketchpad(value=np.full((CANVAS, CANVAS, 3), 255, np.uint8), type="numpy",
                                   label="Draw one digit, dark on white", canvas_size=(CANVAS, CANVAS),
                                   height=CANVAS + 110, width=CANVAS + 40, transforms=(), layers=False)
            model = gr.Radio(list(MODELS), value=S.model, label="Model")
            encode = gr.Button("Encode my digit", variant="primary")
        with gr.Column(scale=3):
            note = gr.Markdown()
            fig_map, pair = plot("Your digit on the map"), plot("Reduced and reconstructed")
    caption("Your drawing is cropped to its ink, scaled to 32×32 and averaged in 4×4 blocks — how the data set's "
            "8×8 digits were made — then encoded (star on the map) and decoded (right image).")
    encode.click(view_handler(views.sketch_view), [drawing, model], [fig_map, pair, note], api_name="vae_sketch",
                 concurrency_id="light")


def _live(device) -> None:
    state = gr.State(None, time_to_live=STATE_TTL)
    with gr.Row():
        beta = FreeSlider(L.min_beta, L.max_beta, value=L.beta, step=0.01, label="β")
        latent = FreeSlider(2, L.max_latent, value=L.latent_dim, step=1, label="Latent size")
        seed = gr.Number(0, precision=0, minimum=0, maximum=S.max_seed, label="Seed")
        speed = FreeSlider(1, L.max_steps_per_frame, value=L.steps_per_frame, step=1, label="Steps per frame")
    with gr.Row():
        train = gr.Button("Train / resume", variant="primary")
        pause = gr.Button("Pause")
        reset = gr.Button("Reset")
    status = gr.Markdown("Press **Train**: a fresh VAE learns the digits in your browser session.",
                         elem_id="vae-status")
    with gr.Row(equal_height=False):
        fig_map = LivePlot(label="Your VAE's latent map", elem_id="vae-live-map")
        curves = Plot(label="Curves", show_label=False, elem_id="vae-live-curves")
    caption("Left: the test digits at your VAE's current μ(x) (first two latent dimensions), fixed axes: watch the "
            "classes separate and the cloud settle into N(0, I). Right: the reconstruction term (nats per digit) "
            f"and the KL (nats per digit) per training step, redrawn every {CURVES_SECONDS:g} s. A run lasts "
            f"{L.total_steps:,} steps; a frame trains at most *Steps per frame* steps, and at most "
            f"{TRAIN_SHARE * FRAME_SECONDS * 1000:.0f} ms, so the map moves {1 / FRAME_SECONDS:.0f} times a second.")
    outputs = [state, fig_map, curves, status]

    def fresh(beta_, latent_, seed_) -> VAESession:
        return new_session(beta_, latent_, seed_, device)

    def same(session: VAESession | None, beta_, latent_, seed_) -> bool:
        c = session.trainer.config if session is not None else None
        return c is not None and (c.beta, c.latent_dim, session.trainer.seed) == (
            float(beta_), int(latent_), int(seed_ or 0))

    def shown(session: VAESession) -> tuple:  # every figure whole (the map as a LivePlot keyframe)
        view = session_view(session)
        return session, view.map, view.curves, view.status

    def run(session, beta_, latent_, seed_, speed_):
        if not same(session, beta_, latent_, seed_):
            session = fresh(beta_, latent_, seed_)
        steps = validate.integer(speed_, "Steps per frame", lo=1, hi=L.max_steps_per_frame)
        if session.finished:
            gr.Info("This run is complete: press Reset to start again.")
        yield shown(session)
        live_map = FrameEncoder()  # a keyframe of the map, then only what moved
        # the person's steps per frame, or what fits in TRAIN_SHARE of a frame at the measured rate; the
        # frame's time caps the work inside it too (VAESession.advance stops at the deadline)
        pace, curves_due = StepPace(steps, TRAIN_SHARE * FRAME_SECONDS), Every(CURVES_SECONDS)

        def frame(last: bool) -> tuple:
            curves = curves_due.due(last)  # every CURVES_SECONDS, and on the last frame
            view = session_view(session, curves=curves)
            return session, live_map.encode(view.map), view.curves if curves else gr.skip(), view.status

        yield from stream(lambda: pace.advance(lambda n: session.advance(n, seconds=pace.budget),
                                               lambda: session.trainer.step_count), frame, finished=lambda: session.finished,
                          frame_seconds=FRAME_SECONDS, max_seconds=MAX_REQUEST_SECONDS)

    def current(session, beta_, latent_, seed_):
        return shown(session if session is not None else fresh(beta_, latent_, seed_))

    def restart(beta_, latent_, seed_):
        return shown(fresh(beta_, latent_, seed_))

    settings = [beta, latent, seed]
    training = train.click(handler(run), [state, *settings, speed], outputs, api_name="vae_train",
                           show_progress_on=[fig_map], **heavy())
    pause.click(None, None, None, cancels=[training], api_name="vae_pause").then(
        handler(current), [state, *settings], outputs, api_name="vae_paused", concurrency_id="light")
    reset.click(handler(restart), settings, outputs, api_name="vae_reset", cancels=[training],
                concurrency_id="light")


def render(app: gr.Blocks, options: AppOptions) -> None:
    del app  # no page-load event: each view draws when its sub-tab is opened
    with gr.Tab("VAE", id="vae") as tab:
        gr.Markdown(INTRO)
        opened = gr.Markdown(visible=False)  # bumped when the tab opens: draws the first sub-tab
        tab.select(lambda: "opened", None, opened, queue=False, api_name=False)
        with gr.Tabs():
            with gr.Tab("Latent map", id="vae-map"):
                _latent_map(opened)
            with gr.Tab("Sampling", id="vae-sampling") as t:
                _sampling(t)
            with gr.Tab("Reparameterisation", id="vae-reparam") as t:
                _reparam(t)
            with gr.Tab("Interpolation", id="vae-interp") as t:
                _interpolation(t)
            with gr.Tab("β", id="vae-beta") as t:
                _beta(t)
            with gr.Tab("AE ≈ PCA", id="vae-pca") as t:
                _pca(t)
            with gr.Tab("Draw a digit", id="vae-sketch"):
                _sketch()
            with gr.Tab("Live training", id="vae-live"):
                _live(options.device)
        gr.Markdown(LOSS)
