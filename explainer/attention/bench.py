"""Benchmark rows for the Attention tab (and the Learned sub-tab of Positional encodings).

``rows(device, repeats)`` returns :class:`explainer.timing.Row` entries that
``python -m explainer.bench`` prints:

* text → every attention map (tokenize + one traced forward pass), over a sweep of sentences;
* one full tab update: every view a new sentence redraws, with its figures serialised to
  JSON as Gradio does — the work behind one press of Enter, summed over its handlers;
* the p95 of single handler calls (each event of the tab) over the same sweep, the figure
  DESIGN.md sets a target for (100 ms on a 2-core CPU, 50 ms on an H100).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from typing import Any

import torch

from . import views as V
from .run import run_text

SWEEP = {  # model label → sentences typed by a person exploring it (lengths 4 … 30 tokens)
    "encoder · fills in [MASK]": [
        "the dogs that the girl sees [MASK] .",
        "when alice meets bob in the park , [MASK] smiles .",
        "bob says ( the cats run [MASK] .",
        "the old teachers that the happy boys near the river see [MASK] the red ball in the garden .",
        "emma says \" the kings that the tall wolves follow [MASK] the small queens near the river in the city \" .",
    ],
    "decoder · predicts the next word": [
        "when alice meets bob in the park ,",
        "the dogs that the girl sees",
        "bob says [ the cats run",
        "the old teachers that the happy boys near the river see",
        "kate says ( when iris meets the little fox in the forest , iris",
    ],
    "reversal · reverses 8 digits": ["31415926", "12345678", "77777707", "90210000"],
}


def _serialised(value: Any) -> int:
    """Bytes Gradio would send for one output: figures as Plotly JSON, HTML and text as they are."""
    return len(value.to_json()) if hasattr(value, "to_json") else len(str(value))


def _outputs(view: Any) -> list:
    """A view's fields in order, as the event returns them (not dataclasses.astuple: that deep-copies)."""
    return [getattr(view, f.name) for f in dataclasses.fields(view)]


def _handlers(catalog: V.Catalog, model: str, text: str) -> dict[str, Callable[[], int]]:
    """Every event a new sentence triggers, as it runs in the app: view + JSON of its outputs."""
    def call(fn, *args) -> Callable[[], int]:
        return lambda: sum(_serialised(v) for v in _outputs(fn(catalog, model, text, *args)))

    return {
        "attention": call(V.attention_view, 0, 1),
        "steps": call(V.steps_view, 0, 1, None),
        "softmax1": call(V.softmax1_view, 0, 1, None),
        "temperature": call(V.temperature_view, 0, 1, V.S.tau, V.S.top_k),
        "ablation": call(V.ablation_view, ["L0H1"], V.S.top_k),
        "bertviz": call(V.bertviz_view, "explainer/vendor/"),
        "read": lambda: len(V.read_text(catalog, model, text).queries),
        "heads": lambda: len(V.heads_view(catalog, model).rows),
    }


def _times(fn: Callable[[], Any], repeats: int) -> list[float]:
    fn()  # warm-up (first call loads the model)
    out = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


def rows(device: torch.device, repeats: int) -> list:
    from explainer.timing import Row, percentile
    from .learned_views import LearnedSettings, learned_view

    gpu = device.type == "cuda"
    target = 50.0 if gpu else 100.0
    catalog = V.Catalog(device=device)
    forward, full, single = [], [], []
    for model, sentences in SWEEP.items():
        loaded = catalog.get(model)
        for text in sentences:
            forward += _times(lambda loaded=loaded, text=text: run_text(loaded, text), repeats)
            handlers = _handlers(catalog, model, text)
            per_handler = {name: _times(fn, repeats) for name, fn in handlers.items()}
            single += [t for ts in per_handler.values() for t in ts]
            full += [sum(ts[i] for ts in per_handler.values()) for i in range(repeats)]
    settings = [(table, digits, seed) for table, _ in LearnedSettings.tables
                for digits, seed in (("31415926", 0), ("12345678", 5))]
    learned = [t for s in settings for t in _times(lambda s=s: [_serialised(v) for v in _outputs(learned_view(*s))],
                                                   repeats)]
    n = sum(len(s) for s in SWEEP.values())
    return [
        Row("Attention · text → all attention maps, p95", 1000 * percentile(forward, 95), "ms", target,
            note=f"{n} sentences × {repeats}, 3 models, incl. every score"),
        Row("Attention · one full tab update (8 handlers), median", 1000 * percentile(full, 50), "ms", target,
            note=f"{n} sentences × {repeats}, views + JSON summed"),
        Row("Attention · handler p95", 1000 * percentile(single, 95), "ms", target,
            note=f"{len(single)} handler calls, incl. JSON"),
        Row("Learned positions view (Positional tab), handler p95", 1000 * percentile(learned, 95), "ms", target,
            note=f"{len(settings)} settings × {repeats}, incl. JSON"),
    ]
