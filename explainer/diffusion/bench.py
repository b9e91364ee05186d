"""Benchmark rows for the Diffusion tab, discovered by ``python -m explainer.bench``.

* a full 1,000-step DDPM trajectory of 2,000 points on the plane, every step kept (on CUDA also
  replayed as one CUDA graph, :mod:`explainer.diffusion.graphed`);
* the streamed reverse process: the handler's work until its first frame is ready to send
  (model call, thinned copy, ε̂ field, figure, JSON), and until its last;
* 16 digits with 50-step DDIM (classifier-free guidance, so 32 rows a step);
* scrubbing a computed trajectory: one frame drawn and serialised, p95 over every frame;
* the forward-process slider: one view computed and serialised, p95 over a sweep of t.
"""

from __future__ import annotations

import statistics
import time

import torch

from explainer.timing import Row, percentile, serialised, time_each


def _median_seconds(fn, repeats: int) -> float:
    fn()  # warm-up
    runs = []
    for _ in range(max(1, repeats)):
        start = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - start)
    return statistics.median(runs)


def rows(device: torch.device, repeats: int) -> list[Row]:
    from explainer.diffusion.catalog import DIGITS, load
    from explainer.diffusion.frames import ReverseSampling, reverse_frame, reverse_run
    from explainer.denoising.sample import run
    from explainer.diffusion.views import forward_view

    gpu = device.type == "cuda"
    threads = torch.get_num_threads()
    ring, digits = load("diffusion_ring", device), load(DIGITS, device)
    out = []

    def trajectory():
        return run(ring.eps_fn(), ring.schedule, (2000, 2), seed=0, sampler="ddpm", device=device)

    seconds = _median_seconds(trajectory, min(repeats, 3))
    out.append(Row("Diffusion · 2-D DDPM trajectory, 1,000 steps, 2,000 points", seconds, "s", 0.15 if gpu else 3.0,
                   note=f"every step kept (x_t, x̂₀, ε̂), median of {min(repeats, 3)}, {threads} thread(s)"))

    if gpu:  # the same walk recorded once as a CUDA graph (explainer.diffusion.graphed), replayed per seed
        from explainer.diffusion.graphed import UnrolledDDPM

        graphed = UnrolledDDPM(ring.net, ring.schedule, 2000)
        seconds = _median_seconds(lambda: graphed.sample(0), min(repeats, 3))
        out.append(Row("Diffusion · 2-D DDPM trajectory, CUDA graph, 1,000 steps, 2,000 points", seconds, "s", 0.15,
                       note=f"one replay + noise draws + copy of every frame to the host, median of {min(repeats, 3)}"))

    def streamed(first_only: bool):  # what the Sample handler does before each yield (the tab's defaults)
        sampling = ReverseSampling("diffusion_ring", 0, "ddpm", 1000, 0.0, device=device)
        sent = 0
        while not sampling.done:
            sampling.advance(1 if sampling.steps_taken == 0 else None, seconds=0.3)
            computed = sampling.run()
            sent += len(reverse_frame(computed, len(computed) - 1).figure.to_json())
            if first_only:
                break
        return sent

    seconds = _median_seconds(lambda: streamed(True), repeats)
    out.append(Row("Diffusion · reverse process, first streamed frame (handler)", 1000 * seconds, "ms", 300.0,
                   note=f"DDPM-1000, 1,000 points: one step, ε̂ field, figure + JSON, median of {repeats}; "
                        "the issue's aim is 0.3 s on screen"))
    seconds = _median_seconds(lambda: streamed(False), min(repeats, 3))
    out.append(Row("Diffusion · reverse process, whole stream (handler, no pacing)", seconds, "s",
                   0.15 if gpu else 3.0, note=f"every chunk's frame drawn and serialised, median of {min(repeats, 3)}"))

    def sixteen():
        return run(digits.eps_fn(3, 3.0), digits.schedule, (16, 64), seed=0, sampler="ddim", n_steps=50,
                   device=device, keep=2, clip=digits.clip)

    seconds = _median_seconds(sixteen, repeats)
    out.append(Row("Diffusion · 16 digits, DDIM-50, guided", 1000 * seconds, "ms", 100.0 if gpu else 2000.0,
                   note=f"w = 3 (two predictions a step), median of {repeats}"))

    computed = reverse_run("diffusion_ring", 0, "ddpm", 1000, 0.0, device=device)
    frames = [(computed, f) for f in range(len(computed))]
    samples = time_each(serialised(reverse_frame), frames, 1 if repeats == 1 else 2)
    out.append(Row("Diffusion · reverse-process scrub, handler p95", 1000 * percentile(samples, 95), "ms",
                   50.0 if gpu else 100.0, note=f"{len(frames)} frames, 400 points + ε̂ field + tracks, incl. JSON"))

    sweep = [(data, "linear", t, 0) for data in ("ring", "digits") for t in (0, 10, 100, 400, 1000)]
    samples = time_each(serialised(forward_view), sweep, repeats)
    out.append(Row("Diffusion · forward-process slider, handler p95", 1000 * percentile(samples, 95), "ms",
                   50.0 if gpu else 100.0, note=f"{len(sweep)} settings × {repeats}, incl. JSON"))
    return out
