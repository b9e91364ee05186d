"""The Text → image tab: captions for the digits, a tiny CLIP, and the unCLIP chain (caption → prior → decoder).

Sub-tabs, one view each (``explainer.clip.views`` / ``.unclip_views``), wired through the shared
``redraw`` helper and drawn when opened. "Train CLIP live" streams a fresh CLIP's similarity matrix
through ``stream`` into a :class:`demos.liveplot.LivePlot` (only what changed is sent) so a person
watches the diagonal emerge; the run lives in the visitor's own ``gr.State``
(``explainer.clip.session.ClipSession``): Pause keeps it, Train resumes, Reset starts over.
"""

from __future__ import annotations

import gradio as gr

from demos.common import AppOptions, Plot, Number, Slider, caption, handler, heavy, plot, redraw, stream, view_handler
from demos.liveplot import FrameEncoder, LivePlot
from demos.server import STATE_TTL  # one lifetime for every tab's per-person state
from explainer import validate
from explainer.budget import Every, StepPace
from explainer.clip import catalog, unclip_views, views
from explainer.clip.catalog import S
from explainer.clip.session import ClipSession, new_session, session_view
from explainer.clip.unclip import S as U

FRAME_SECONDS = 0.2  # live training: 5 frames a second (a frame of the matrix with its digits takes ~0.1 s to build)
TRAIN_SHARE = 0.7  # of a frame's time, at most this much trains
CURVES_SECONDS = 2.0  # the loss curve (a gr.Plot, redrawn whole) is sent this often, and with the last frame
STATUS_SECONDS = 0.5  # the status line likewise, twice a second
MAX_REQUEST_SECONDS = 60  # one Train press trains at most this long

INTRO = """
How does a caption become a picture? In miniature, the way DALL·E 2 does it (Ramesh et al. 2022). Every
8×8 digit gets a **caption our code writes from its pixels** ("a thick slanted seven"). A tiny **CLIP**
(Radford et al. 2021) learns, by contrast, one space where a digit and its caption land close together;
then a **prior** turns a caption's point into an image's point, and a **diffusion decoder** draws a digit
from it. Every model here was trained by this project on scikit-learn's 1,797 digits (test digits held out).
"""
LOSS = """
**The contrastive loss** (Radford et al. 2021, figure 3). For a batch of N digits and their N captions,
unit-length embeddings I and T give the similarity matrix S = exp(t) · I Tᵀ (N × N); the loss is the
average of the cross-entropies along rows and along columns, with the diagonal as the right answers:
**L = ½ [CE(S, diag) + CE(Sᵀ, diag)]**. The temperature exp(t) is learned (clamped at 100); at random
weights L ≈ log N. **unCLIP**: caption → CLIP text embedding → prior (a diffusion model in the embedding
space) → image embedding → decoder (a diffusion model on pixels, guided: ε̃ = (1 + w) ε(x, c) − w ε(x, ∅)).
"""


def _captions(opened: gr.Markdown) -> None:
    with gr.Row():
        seed = Number(value=0, precision=0, minimum=0, maximum=S.max_seed, label="Seed (which digits)")
        other = gr.Button("Other digits")
    digits, attributes, note = plot("Digits and captions"), plot("Attributes"), gr.Markdown()
    caption("Top: test digits with the caption our code wrote for each, from its label and three measured "
            "attributes. Bottom: each attribute over the training digits; a digit in the bottom 30 % gets the low "
            "word, the top 30 % the high word, the middle none (dashed lines: the cut points).")
    other.click(lambda s: (int(s or 0) + 1) % S.max_seed, [seed], [seed], queue=False)
    # seed.change, not .input: "Other digits" sets the seed by a reply and relies on this event to redraw.
    # opened.change: a reply sets it once, when the tab is first opened (the first sub-tab has no select of its own).
    redraw([opened.change, seed.change], view_handler(views.captions_view), [seed], [digits, attributes, note],
           api_name="clip_captions")


def _live(device) -> None:
    state = gr.State(None, time_to_live=STATE_TTL)
    with gr.Row():
        seed = Number(value=0, precision=0, minimum=0, maximum=S.max_seed, label="Seed")
        speed = Slider(1, S.max_live_steps, value=S.live_steps, step=1, label="Steps per frame")
    with gr.Row():
        train = gr.Button("Train / resume", variant="primary")
        pause = gr.Button("Pause")
        reset = gr.Button("Reset")
    status = gr.Markdown("Press **Train**: a fresh CLIP learns from random weights in your browser session.",
                         elem_id="clip-status")
    matrix = LivePlot(label="Similarity matrix", elem_id="clip-live-matrix")
    curve = Plot(label="Loss", show_label=False, elem_id="clip-live-curve")
    caption(f"The cosine between each of {S.batch} fixed test digits (rows, drawn at the left) and each of their "
            "captions (columns), under your CLIP's current weights: −1 blue, +1 red. Squares: the true pairs; dots: "
            "the caption each digit is nearest. From noise, the diagonal emerges as training pulls each digit "
            f"towards its own caption. Below: the loss per step (log {S.live_batch} ≈ guessing) and the learned "
            f"temperature. A run lasts {S.live_total:,} steps.")
    outputs = [state, matrix, curve, status]

    def shown(session: ClipSession) -> tuple:
        view = session_view(session)
        return session, view.matrix, view.curve, view.status

    def run(session, seed_, speed_):
        if session is None or session.trainer.seed != validate.integer(seed_, "Seed", lo=0, hi=S.max_seed):
            session = new_session(seed_, device)
        steps = validate.integer(speed_, "Steps per frame", lo=1, hi=S.max_live_steps)
        if session.finished:
            gr.Info("This run is complete: press Reset to start again.")
        yield shown(session)
        live = FrameEncoder()  # a keyframe of the matrix, then only what changed
        pace = StepPace(steps, TRAIN_SHARE * FRAME_SECONDS)
        curves_due, status_due = Every(CURVES_SECONDS), Every(STATUS_SECONDS, first_due=True)

        def frame(last: bool) -> tuple:
            view = session_view(session)
            return (session, live.encode(view.matrix), view.curve if curves_due.due(last) else gr.skip(),
                    view.status if status_due.due(last) else gr.skip())

        yield from stream(lambda: pace.advance(lambda n: session.train(n, seconds=pace.budget),
                                               lambda: session.trainer.step_count),
                          frame, finished=lambda: session.finished, frame_seconds=FRAME_SECONDS,
                          max_seconds=MAX_REQUEST_SECONDS)

    def current(session, seed_):
        return shown(session if session is not None else new_session(seed_, device))

    def restart(seed_):
        return shown(new_session(seed_, device))

    training = train.click(handler(run), [state, seed, speed], outputs, api_name="clip_train",
                           show_progress_on=[matrix], **heavy())
    pause.click(None, None, None, cancels=[training], api_name="clip_pause").then(
        handler(current), [state, seed], outputs, api_name="clip_paused", concurrency_id="light")
    reset.click(handler(restart), [seed], outputs, api_name="clip_reset", cancels=[training],
                concurrency_id="light")


def _similarity(tab: gr.Tab) -> None:
    with gr.Row():
        seed = Number(value=0, precision=0, minimum=0, maximum=S.max_seed, label="Seed (which digits)")
        size = Slider(2, S.max_batch, value=S.batch, step=1, label="Digits in the batch")
    status, matrix = gr.Markdown(), plot("Similarity matrix")
    caption("The shipped CLIP's cosine between test digits (rows) and their captions (columns). Digits whose "
            "captions say the same thing are never drawn together, so each row has one right answer: its diagonal.")
    redraw([tab.select, seed.input, size.input], view_handler(views.similarity_view), [seed, size],
           [matrix, status], api_name="clip_similarity")


def _space(tab: gr.Tab) -> None:
    with gr.Row():
        dims = gr.Radio([2, 3], value=2, label="Dimensions shown")
        seed = Number(value=0, precision=0, minimum=0, maximum=S.max_seed, label="Seed (which digits)")
    space, note = plot("Shared space"), gr.Markdown()
    caption("Image embeddings (dots, coloured by digit) and caption embeddings (diamonds) in one space, projected "
            "on axes fitted to the ten digits' mean image embeddings and their ten prompts: a digit lands near its "
            "caption. In 3-D, drag to turn it.")
    redraw([tab.select, dims.input, seed.input], view_handler(views.space_view), [seed, dims], [space, note],
           api_name="clip_space")


def _zero_shot(tab: gr.Tab) -> None:
    template = gr.Textbox(S.template, label="Prompt ({digit} is replaced by zero … nine)", max_lines=1)
    status = gr.Markdown()
    with gr.Row(equal_height=False):
        confusion, per_digit = plot("Confusion"), plot("Per digit")
    caption("Zero-shot: each test digit gets the digit whose prompt its image embedding is nearest — CLIP was "
            "never trained to classify. Left: true digit (rows) × chosen digit (columns), counts. Right: accuracy per "
            "digit beside the classifier trained on the labels.")
    redraw([tab.select, template.submit], view_handler(views.zero_shot_view), [template],
           [confusion, per_digit, status], api_name="clip_zero_shot")


def _retrieval(tab: gr.Tab) -> None:
    with gr.Row():
        text = gr.Textbox(S.query, label="Text (words of the vocabulary)", max_lines=1)
        index = Slider(0, len(catalog.test_set()) - 1, value=S.image_index, step=1, label="Test digit #")
    status = gr.Markdown()
    with gr.Row(equal_height=False):
        images, captions = plot("Text → images"), plot("Image → captions")
    caption(f"Left: the {S.top_k} test digits whose image embeddings are nearest your text's embedding (cosine "
            f"under each). Right: the chosen test digit and the {S.top_k} captions, among all the vocabulary can "
            "write, nearest to it.")
    redraw([tab.select, text.submit, index.input], view_handler(views.retrieval_view), [text, index],
           [images, captions, status], api_name="clip_retrieval")


def _unclip(tab: gr.Tab, device) -> None:
    with gr.Row():
        text = gr.Textbox(U.caption, label="Caption", max_lines=1)
        seed = Number(value=U.seed, precision=0, minimum=0, maximum=U.max_seed, label="Seed")
        generate = gr.Button("Generate", variant="primary")
    with gr.Row():
        w = Slider(0, U.max_guidance, value=U.guidance, step=0.5, label="Guidance w (decoder)")
        steps = Slider(1, U.max_steps, value=U.steps, step=1, label="DDIM steps (decoder)")
        n = Slider(1, U.max_n, value=U.n, step=1, label="Digits")
    status = gr.Markdown()
    embeddings, projection = plot("Embeddings"), plot("Projection")
    caption("Stage 1 → 2: your caption's CLIP text embedding (top strip, 32 numbers), the prior's image embeddings "
            "sampled from it (one strip per digit) and, under each, the nearest real digit's embedding; right, the "
            "same points in 2-D among the test digits' image embeddings.")
    digits, agreement = plot("Decoder"), plot("Agreement")
    caption("Stage 3: the decoder's reverse process, from noise (left) to the digits (right), conditioned on each "
            "prior sample; under each digit what the digit classifier reads. Right: how well the digits match the "
            "caption — the classifier's digit, the attribute words measured on the pixels, CLIP's preference for "
            "the caption — beside the level real digits reach.")

    def run(text_, seed_, w_, steps_, n_):
        return unclip_views.unclip_view(text_, seed_, w_, steps_, n_, device=device)

    redraw([tab.select, generate.click, text.submit, seed.input, w.input, steps.input, n.input],
           view_handler(run), [text, seed, w, steps, n], [embeddings, projection, digits, agreement, status],
           api_name="clip_unclip")


def render(app: gr.Blocks, options: AppOptions) -> None:
    del app  # no page-load event: each view draws when its sub-tab is opened
    with gr.Tab("Text → image", id="clip") as tab:
        gr.Markdown(INTRO)
        opened = gr.Markdown(visible=False)  # bumped when the tab opens: draws the first sub-tab
        tab.select(lambda: "opened", None, opened, queue=False, api_name=False)
        with gr.Tabs():
            with gr.Tab("Captions", id="clip-captions"):
                _captions(opened)
            with gr.Tab("Train CLIP live", id="clip-live"):
                _live(options.device)
            with gr.Tab("Similarity", id="clip-similarity") as t:
                _similarity(t)
            with gr.Tab("Shared space", id="clip-space") as t:
                _space(t)
            with gr.Tab("Zero-shot", id="clip-zeroshot") as t:
                _zero_shot(t)
            with gr.Tab("Retrieval", id="clip-retrieval") as t:
                _retrieval(t)
            with gr.Tab("unCLIP", id="clip-unclip") as t:
                _unclip(t, options.device)
        gr.Markdown(LOSS)
