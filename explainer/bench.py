"""The benchmark: ``python -m explainer.bench [--device cpu|cuda] [--quick] [--browser]``.

Prints one Markdown table with every figure DESIGN.md sets a target for, measured on the
chosen device: median (or p95, where the target is a p95) of repeated runs, the target for
this kind of machine, and whether it is met. Speed is measured here, never by timed tests.

Interaction rows time what an event handler does: compute the view for one setting of the
controls and serialise its figures to JSON as Gradio does (``fig.to_json()``), over a sweep
of settings like a person dragging sliders. ``--browser`` adds what a person sees in headless
Chromium (live frames painted per second, click → painted latency; ``explainer.loadtest.paint``).
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import math
import os
import pkgutil
import platform
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import torch

import explainer
from explainer.device import SERVER_THREADS, cap_cpu_threads, describe, pick_device
from explainer.timing import Row, percentile, serialised, time_each

__all__ = ["Row", "measure", "percentile", "serialised", "table", "time_each", "topic_benches"]

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def startup_seconds(device: torch.device, timeout: float = 60.0) -> float:
    """Wall time from ``python app.py`` until its page answers HTTP 200."""
    port = free_port()
    env = {**os.environ, "GRADIO_ANALYTICS_ENABLED": "False"}
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "app.py"), "--port", str(port), "--device", device.type],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    try:
        while time.perf_counter() - start < timeout:
            if proc.poll() is not None:
                raise RuntimeError(f"app.py exited early: {proc.stderr.read().decode()[-2000:]}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1) as response:
                    if response.status == 200:
                        return time.perf_counter() - start
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"app.py did not serve within {timeout:.0f} s")
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def measure(device: torch.device, *, quick: bool = False, startup: bool = True,
            only: list[str] | None = None) -> list[Row]:
    """Every row of every topic (or of the topics named in ``only``)."""
    rows = []
    if startup:
        runs = [startup_seconds(device) for _ in range(1 if quick else 3)]
        rows.append(Row("`python app.py` until the page is served", statistics.median(runs), "s", 6.0,
                        note=f"median of {len(runs)}"))
    for module in topic_benches():
        if only is None or module.__name__.split(".")[1] in only:
            rows += module.rows(device, repeats=1 if quick else 5)
    return rows


def topic_benches() -> list:
    """Every topic package's ``bench`` module (``explainer/<topic>/bench.py``), by topic name.

    Discovered, not imported by name, so a new topic adds its rows by adding the file and
    no topic imports the benchmark (timing helpers live in :mod:`explainer.timing`).
    """
    modules = []
    for info in sorted(pkgutil.iter_modules(explainer.__path__), key=lambda i: i.name):
        if info.ispkg and importlib.util.find_spec(f"explainer.{info.name}.bench") is not None:
            modules.append(importlib.import_module(f"explainer.{info.name}.bench"))
    return modules


def table(rows: list[Row], device: torch.device) -> str:
    machine = f"{platform.machine()}, {os.cpu_count()} cores, {describe(device)}, torch {torch.__version__}"
    lines = [f"Device: {machine}", "", "| what | measured | target | met | settings |", "|---|---|---|---|---|"]
    for r in rows:
        sign = "≥" if r.higher_is_better else "≤"
        value, met = ("n/a", "n/a") if math.isnan(r.value) else (f"{r.value:,.1f} {r.unit}", "yes" if r.met else "**no**")
        lines.append(f"| {r.what} | {value} | {sign} {r.target:,g} {r.unit} | {met} | {r.note} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m explainer.bench", description=__doc__.splitlines()[0])
    parser.add_argument("--device", default=None, help="cpu or cuda (default: best available)")
    parser.add_argument("--quick", action="store_true", help="one round of each measurement (a smoke run)")
    parser.add_argument("--no-startup", action="store_true", help="skip timing app start-up")
    parser.add_argument("--only", nargs="+", metavar="TOPIC", help="only these topics' rows (e.g. gan diffusion)")
    parser.add_argument("--browser", action="store_true",
                        help="also start the app and measure it in headless Chromium (frames/s, click → painted)")
    args = parser.parse_args(argv)
    device = pick_device(args.device)
    cap_cpu_threads(SERVER_THREADS)  # measure what the server does: one intra-op thread per request
    rows = measure(device, quick=args.quick, startup=not args.no_startup, only=args.only)
    if args.browser:
        from explainer.loadtest import paint  # Playwright: imported only when asked for

        with paint.launched_app(device=device.type) as url:
            rows += paint.measure(url, seconds=3 if args.quick else 10, repeats=3 if args.quick else 20,
                                  gpu=device.type == "cuda")
    print(table(rows, device))
    return 0


if __name__ == "__main__":
    sys.exit(main())
