"""GenAI Explainer: composes the tabs from demos/, parses flags and environment, launches.

    python app.py [--host 127.0.0.1] [--port 7860] [--device cpu|cuda|mps] [--hf-model DIR ...]

Flags override the environment variables GRADIO_SERVER_NAME, GRADIO_SERVER_PORT and
EXPLAINER_DEVICE. ``--hf-model DIR`` (repeatable) adds a Hugging Face model saved in a local
folder to the Attention tab's model picker. Nothing is trained or loaded here: tabs load their
models lazily.
"""

from __future__ import annotations

import os

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # before gradio is imported: nothing calls home

import argparse
import inspect
import logging
import sys
from pathlib import Path

import gradio as gr
import torch

from demos import attention, clip, diffusion, figure_tools, gan, positional, start, vae, warm, workshop
from demos.common import HEAVY, AppOptions, heavy_work, on_gpu
from demos.inputs import CheckedBlocks
from demos.memory import lean_sessions
from demos.server import DELETE_CACHE, keep_memory_flat, launch_settings, lean_queue_analytics
from explainer.device import SERVER_THREADS, DeviceUnavailable, cap_cpu_threads, describe, pick_device
from explainer.validate import InputError

TABS = (start, attention, positional, gan, diffusion, vae, clip)  # each has render(app, options: AppOptions)
STATIC = Path(__file__).resolve().parent / "assets" / "static"
QUEUE_MAX = 256  # events waiting at once (a page load sends none; a visitor has one or two in flight)


def build_app(device: torch.device, hf_model_dirs: list[str | Path] | tuple = (), *, present: bool = False) -> gr.Blocks:
    """The whole app; ``hf_model_dirs`` are local Hugging Face folders offered in the Attention tab;
    ``present`` opens it in presenter mode (large type, high contrast, advanced settings hidden)."""
    cap_cpu_threads(SERVER_THREADS)  # tiny models: parallelism comes from concurrent requests
    lean_sessions()  # a visitor's session keeps no copy of the page's config (demos/memory.py)
    options = AppOptions(device=device, hf_model_dirs=tuple(Path(d) for d in hf_model_dirs))
    with CheckedBlocks(title="GenAI Explainer", analytics_enabled=False, delete_cache=DELETE_CACHE) as app:
        gr.Markdown(f"# GenAI Explainer\n<span class='device'>computing on **{describe(device)}**</span>")
        with gr.Tabs():
            for tab in TABS:
                tab.render(app, options)
        workshop.install(app, present=present)  # lessons, links to a view, keys: after every tab
    for event in app.fns.values():  # heavy events: take turns on the cores; on ZeroGPU, hold a GPU while they run
        if event.fn is not None and event.concurrency_id == HEAVY["concurrency_id"]:
            streamed = inspect.isgeneratorfunction(event.fn)  # streams hold a slot per frame (common.stream)
            event.fn = on_gpu(event.fn if streamed else heavy_work(event.fn))
    lean_queue_analytics()  # no per-event pandas summary for a dashboard we do not offer
    app.queue(max_size=QUEUE_MAX, default_concurrency_limit=1)
    return app


def launch_options() -> dict:
    """Arguments of ``launch()`` shared by ``main`` and the tests (Gradio 6: theme and css live here)."""
    return {
        "theme": gr.themes.Default(),  # local fonts only
        "css_paths": [STATIC / "style.css", STATIC / "present.css"],  # present.css: only under body.present
        "head": figure_tools.head(),  # PNG / SVG of every figure, a view as one offline HTML file
        "ssr_mode": False,
        "enable_monitoring": False,
        # Gradio 6 keeps every event's inputs and outputs in the browser's localStorage (the "run history",
        # up to 100 runs) and rewrites the whole list on each status message: after a few dozen figure
        # updates (~1 MB) each click spent ~100 ms more in JSON and setItem (GAN one step, click → painted
        # 180 → 400 ms over 30 clicks). Off: nothing of a visitor's is stored, nothing offered for upload.
        "run_history": False,
        "share": False,
        "show_error": False,
        **launch_settings(),  # request, upload and session caps (demos/server.py)
    }


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="GenAI Explainer: live models, every step visible.")
    parser.add_argument("--host", default=os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("GRADIO_SERVER_PORT", "7860")))
    parser.add_argument("--device", default=os.environ.get("EXPLAINER_DEVICE") or None, help="cpu, cuda or mps")
    parser.add_argument("--hf-model", action="append", default=[], metavar="DIR", dest="hf_models",
                        help="a local Hugging Face model folder (save_pretrained) to show in the Attention tab; "
                             "repeatable; loaded from disk only, safetensors weights only")
    parser.add_argument("--present", action="store_true",
                        help="presenter mode: large type, high contrast, advanced settings hidden (or open ?present=1)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s")  # one line per record
    logging.getLogger("explainer").setLevel(logging.INFO)  # refusals as one line each; the rest warnings only
    keep_memory_flat()  # before the server's threads start
    try:
        device = pick_device(args.device)
    except DeviceUnavailable as exc:
        sys.exit(str(exc))
    try:
        app = build_app(device, hf_model_dirs=args.hf_models, present=args.present)
    except InputError as exc:  # e.g. an --hf-model folder without config.json
        sys.exit(str(exc))
    warm.in_background(app)  # once the server answers: every lesson's views computed once (demos/warm.py)
    app.launch(server_name=args.host, server_port=args.port, **launch_options())


if __name__ == "__main__":
    main()
