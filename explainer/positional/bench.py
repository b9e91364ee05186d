"""Benchmark rows for the Positional tab: each view's handler over a sweep of slider settings.

``rows(device, repeats)`` is discovered by ``python -m explainer.bench``. The Learned sub-tab's
row comes from :mod:`explainer.attention.bench` (its view reads the attention checkpoints).
"""

from __future__ import annotations

import torch

from explainer.positional.views import alibi_view, rope_view, sinusoidal_view
from explainer.timing import Row, percentile, serialised, time_each


def rows(device: torch.device, repeats: int) -> list[Row]:
    target = 50.0 if device.type == "cuda" else 100.0
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
