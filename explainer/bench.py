"""The benchmark: ``python -m explainer.bench [--device cpu|cuda] [--quick]``.

Prints one Markdown table with every figure DESIGN.md sets a target for, measured on the
chosen device: median (or p95, where the target is a p95) of repeated runs, the target for
this kind of machine, and whether it is met. Speed is measured here, never by timed tests.

Interaction rows time what an event handler does: compute the view for one setting of the
controls and serialise its figures to JSON as Gradio does (``fig.to_json()``), over a sweep
of settings like a person dragging sliders.
"""

from __future__ import annotations

import argparse
import os
import platform
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch

from explainer.device import SERVER_THREADS, cap_cpu_threads, describe, pick_device

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Row:
    what: str  # the measured figure, as DESIGN.md names it
    value: float  # the measurement
    unit: str  # "s", "ms", "steps/s"
    target: float  # DESIGN.md's target on this kind of device
    higher_is_better: bool = False  # steps/s: yes; times: no
    note: str = ""  # the settings measured

    @property
    def met(self) -> bool:
        return self.value >= self.target if self.higher_is_better else self.value <= self.target


def percentile(samples: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(samples), q))


def time_each(fn: Callable[..., Any], settings: list[tuple], repeats: int) -> list[float]:
    """Seconds per call of ``fn(*s)`` for every setting, ``repeats`` rounds, after one warm-up."""
    fn(*settings[0])
    samples = []
    for _ in range(repeats):
        for s in settings:
            start = time.perf_counter()
            fn(*s)
            samples.append(time.perf_counter() - start)
    return samples


def serialised(view_fn: Callable[..., Any]) -> Callable[..., int]:
    """Compute a view and serialise every figure in it, as the Gradio handler would."""

    def run(*args: Any) -> int:
        view = view_fn(*args)
        return sum(len(fig.to_json()) for fig in vars(view).values())

    return run


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


def positional_rows(gpu: bool, repeats: int) -> list[Row]:
    from explainer.positional_views import alibi_view, rope_view, sinusoidal_view

    target = 50.0 if gpu else 100.0
    sweeps = {
        "Positional · sinusoidal view": (sinusoidal_view, [(n, d, 10000.0, "0, 1, 6, 7, 32") for n in (32, 128, 512) for d in (64, 128, 256)]
                                         + [(2048, 1024, 10000.0, "0, 1, 2, 3, 4, 5, 6, 7")]),
        "Positional · RoPE view": (rope_view, [(d, 10000.0, 0, s, 0, 100, k, "same as query", 0) for d in (32, 64, 128) for s in (16, 64) for k in (64, 512)]),
        "Positional · ALiBi view": (alibi_view, [(h, t, True) for h in (1, 8, 12, 32) for t in (8, 16, 32)]),
    }
    rows = []
    for what, (fn, settings) in sweeps.items():
        samples = time_each(serialised(fn), settings, repeats)
        rows.append(Row(f"{what}, handler p95", 1000 * percentile(samples, 95), "ms", target,
                        note=f"{len(settings)} settings × {repeats}, incl. JSON"))
    return rows


def gan_rows(device: torch.device, repeats: int, quick: bool) -> list[Row]:
    """Training speed of the default preset, and one GAN tab frame (step + view + JSON)."""
    from explainer.gan import DEFAULT_PRESET, steps_per_second
    from explainer.gan.session import new_session, session_view

    gpu = device.type == "cuda"
    threads = torch.get_num_threads()
    n = 200 if quick else 2000
    speeds = [steps_per_second(DEFAULT_PRESET, device, n_steps=n, seed=s) for s in range(1 if quick else 3)]
    rows = [Row(f"GAN · training, preset '{DEFAULT_PRESET}'", statistics.median(speeds), "steps/s",
                2000.0 if gpu else 300.0, higher_is_better=True,
                note=f"{n} steps, median of {len(speeds)}, {threads} thread(s)" + (", CUDA graph" if gpu else ""))]

    session = new_session(DEFAULT_PRESET, "ring", 0, device)

    def press(which: str) -> int:  # what the Step D / Step G / One step buttons do
        session.single(which)
        view = session_view(session)
        return sum(len(fig.to_json()) for fig in (view.plane, view.curves))

    samples = time_each(press, [("d",), ("g",), ("both",)], 3 * repeats)
    rows.append(Row("GAN · step button, handler p95", 1000 * percentile(samples, 95), "ms", 50.0 if gpu else 100.0,
                    note="one update, then the plane, curves and status, incl. JSON"))
    return rows


def measure(device: torch.device, *, quick: bool = False, startup: bool = True) -> list[Row]:
    gpu = device.type == "cuda"
    rows = []
    if startup:
        runs = [startup_seconds(device) for _ in range(1 if quick else 3)]
        rows.append(Row("`python app.py` until the page is served", statistics.median(runs), "s", 6.0,
                        note=f"median of {len(runs)}"))
    rows += positional_rows(gpu, repeats=1 if quick else 5)
    from explainer.attention.bench import rows as attention_rows

    rows += attention_rows(gpu, repeats=1 if quick else 5)
    rows += gan_rows(device, repeats=1 if quick else 5, quick=quick)
    return rows


def table(rows: list[Row], device: torch.device) -> str:
    machine = f"{platform.machine()}, {os.cpu_count()} cores, {describe(device)}, torch {torch.__version__}"
    lines = [f"Device: {machine}", "", "| what | measured | target | met | settings |", "|---|---|---|---|---|"]
    for r in rows:
        sign = "≥" if r.higher_is_better else "≤"
        lines.append(f"| {r.what} | {r.value:,.1f} {r.unit} | {sign} {r.target:,g} {r.unit} | "
                     f"{'yes' if r.met else '**no**'} | {r.note} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m explainer.bench", description=__doc__.splitlines()[0])
    parser.add_argument("--device", default=None, help="cpu or cuda (default: best available)")
    parser.add_argument("--quick", action="store_true", help="one round of each measurement (a smoke run)")
    parser.add_argument("--no-startup", action="store_true", help="skip timing app start-up")
    args = parser.parse_args(argv)
    device = pick_device(args.device)
    cap_cpu_threads(SERVER_THREADS)  # measure what the server does: one intra-op thread per request
    print(table(measure(device, quick=args.quick, startup=not args.no_startup), device))
    return 0


if __name__ == "__main__":
    sys.exit(main())
