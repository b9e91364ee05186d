"""Benchmark rows for the CLIP tab: every view's handler time, and one frame of live training.

``rows(device, repeats)`` is discovered by ``python -m explainer.bench``. Handler rows time
what a Gradio event does: compute the view for one setting and serialise its figures to JSON,
over a sweep of settings like a person changing the controls. The views run the shipped model
on the CPU (a few hundred 64-pixel images: a GPU would only add transfers); the live frame
trains on ``device``.
"""

from __future__ import annotations

import itertools

import numpy as np
import torch

from explainer.timing import Row, percentile, serialised, time_each


def rows(device: torch.device, repeats: int) -> list[Row]:
    from explainer.clip import views
    from explainer.clip.catalog import S
    from explainer.clip.session import new_session, session_view

    gpu = device.type == "cuda"
    light = 50.0 if gpu else 100.0
    sweeps = {
        "captions": (views.captions_view, [(s,) for s in range(4)]),
        "similarity matrix": (views.similarity_view, [(s, n) for s in range(3) for n in (S.batch, S.max_batch)]),
        "shared space": (views.space_view, [(s, d) for s in range(2) for d in (2, 3)]),
        "zero-shot": (views.zero_shot_view, [(t,) for t in (S.template, "a {digit}", "the digit {digit}",
                                                            "a thick {digit}")]),
        "retrieval": (views.retrieval_view, [(q, i) for q in ("a thick slanted seven", "a small zero", "an upright one")
                                             for i in (0, 200)]),
    }
    out = []
    for what, (fn, settings) in sweeps.items():
        times = time_each(serialised(fn), settings, repeats)
        out.append(Row(f"CLIP · {what}, handler p95", 1000 * percentile(times, 95), "ms", light,
                       note=f"{len(settings)} settings × {repeats}, incl. JSON"))

    from explainer.clip.unclip import S as U
    from explainer.clip.unclip_views import unclip_view

    chain = [(c, s, U.guidance, U.steps, U.n, device) for c in ("a thick slanted seven", "a thin upright one",
                                                                 "a large zero") for s in range(2)]
    times = time_each(serialised(unclip_view), chain, repeats)
    out.append(Row(f"unCLIP · caption → prior → decoder, {U.n} digits, handler p95", 1000 * percentile(times, 95),
                   "ms", light, note=f"{len(chain)} settings × {repeats}, DDIM-{U.steps}, w = {U.guidance:g}, "
                   "incl. JSON"))

    run = [new_session(0, device)]
    frames = itertools.count()

    def frame() -> int:  # what the tab sends each frame: S.live_steps steps, then the matrix and the curve
        if run[0].trainer.step_count + S.live_steps > S.live_total:  # a run ends: start another
            run[0] = new_session(next(frames), device)
        run[0].train(S.live_steps)
        view = session_view(run[0])
        return len(view.matrix.to_json()) + len(view.curve.to_json())

    times = time_each(frame, [()] * 10, repeats)
    out.append(Row(f"CLIP · live training frame ({S.live_steps} steps + figures)", 1000 * float(np.mean(times)), "ms",
                   250.0, note=f"mean of {len(times)} frames, batch {S.live_batch}, {torch.get_num_threads()} thread(s)"))
    return out
