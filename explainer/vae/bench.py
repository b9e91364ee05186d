"""Benchmark rows for the VAE tab: decoding a 20×20 grid, every view's handler time, live training.

``rows(device, repeats)`` is discovered by ``python -m explainer.bench``. Handler rows time
what a Gradio event does: compute the view for one setting and serialise its figures to
JSON, over a sweep of settings like a person dragging the sliders.
"""

from __future__ import annotations

import itertools

import numpy as np
import torch

from explainer.timing import Row, percentile, serialised, time_each


def rows(device: torch.device, repeats: int) -> list[Row]:
    from explainer.vae import catalog, compare, views
    from explainer.vae.session import L, new_session, session_view

    gpu = device.type == "cuda"
    light = 50.0 if gpu else 100.0
    vae = catalog.load(catalog.MAIN_VAE, device)
    z = torch.as_tensor(views.lattice(vae, catalog.MAIN_VAE, 20).reshape(-1, 2), device=device)  # (400, 2)

    def decode_grid() -> None:
        with torch.no_grad():
            vae.model.decode(z)
        if gpu:
            torch.cuda.synchronize()

    samples = time_each(decode_grid, [()] * 20, repeats)
    out = [Row("VAE · decode a 20×20 latent grid", 1000 * float(np.median(samples)), "ms", 5.0 if gpu else 30.0,
               note=f"400 codes, median of {len(samples)}")]

    labels = list(catalog.MODELS)
    sweeps = {
        "latent map, pick a point": (views.latent_view, [(m, a, b, e) for m in labels for a, b in ((-1, 0.5), (2, -3))
                                                          for e in (False, True)]),
        "manifold grid": (views.manifold_view, [(m, s) for m in labels for s in (15, 20)]),
        "reparameterisation": (views.reparam_view, [(i, s, 16) for i in (0, 100) for s in (0, 1, 2)]),
        "prior sampling": (compare.prior_view, [(s, k) for s in (0, 1, 2) for k in (2, 8)]),
        "interpolation": (compare.interpolation_view, [(0, 100, 10), (5, 200, 16)]),
        "β view": (compare.beta_view, [(b,) for b in (0.1, 1, 8)]),
        "AE ≈ PCA": (compare.pca_view, [()]),
        "draw a digit": (views.sketch_view, [(_sketch(), m) for m in labels]),
    }
    for what, (fn, settings) in sweeps.items():
        times = time_each(serialised(fn), settings, repeats)
        out.append(Row(f"VAE · {what}, handler p95", 1000 * percentile(times, 95), "ms", light,
                       note=f"{len(settings)} settings × {repeats}, incl. JSON"))

    run = [new_session(1.0, 2, 0, device)]
    frames = itertools.count(1)

    def frame() -> int:  # what the tab sends: the map every frame, the curves with every L.curves_every-th
        if run[0].trainer.step_count + 40 > L.total_steps:  # a run ends after 2,000 steps: start another
            run[0] = new_session(1.0, 2, 0, device)
        session, curves = run[0], next(frames) % L.curves_every == 0
        session.advance(40)
        view = session_view(session, curves=curves)
        return len(view.map.to_json()) + (len(view.curves.to_json()) if curves else 0)

    times = time_each(frame, [()] * 2 * L.curves_every, repeats)
    out.append(Row("VAE · live training frame (40 steps + figures)", 1000 * float(np.mean(times)), "ms", 250.0,
                   note=f"mean of {len(times)} frames (curves in 1 of {L.curves_every}); 40 ms apart in the tab, curves every 2 s"))
    return out


def _sketch() -> np.ndarray:
    """A drawn '1': a dark vertical stroke on a white 280×280 RGB canvas."""
    canvas = np.full((280, 280, 3), 255, np.uint8)
    canvas[40:240, 130:150] = 0
    return canvas
