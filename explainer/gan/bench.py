"""Benchmark rows for the GAN tab: training speed of the default preset, and one step button.

``rows(device, repeats)`` is discovered by ``python -m explainer.bench``.
"""

from __future__ import annotations

import statistics

import torch

from explainer.timing import Row, percentile, time_each


def rows(device: torch.device, repeats: int) -> list[Row]:
    """Training speed of the default preset, and one GAN tab frame (step + view + JSON)."""
    from explainer.gan import DEFAULT_PRESET, steps_per_second
    from explainer.gan.session import new_session
    from explainer.gan.views import session_view

    gpu = device.type == "cuda"
    quick = repeats == 1
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
