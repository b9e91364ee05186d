"""explainer.figstyle.to_json writes the same Plotly JSON as plotly.py's fig.to_json(), without its deep copy.

Every figure a handler returns goes through it (demos.common.Plot, LivePlot's frames), so it is compared
text for text with plotly.py's own serialiser on the figures of several tabs and on the array cases
plotly.py treats specially (64-bit integers narrowed, 2-D shapes, keys sent as they are, empty arrays).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import plotly.graph_objects as go
import pytest
import torch

from explainer import figstyle
from explainer.positional.views import alibi_view, rope_view, sinusoidal_view


def view_figures(view) -> list[go.Figure]:
    return [getattr(view, f.name) for f in dataclasses.fields(view) if isinstance(getattr(view, f.name), go.Figure)]


def tab_figures() -> list[go.Figure]:
    from explainer.gan.session import new_session
    from explainer.gan.views import Display, session_view

    session = new_session("Mode collapse", "ring", 0, torch.device("cpu"))
    session.single("both")
    gan = session_view(session, Display())
    return [*view_figures(sinusoidal_view(47, 64, 10000, "0, 1, 6, 7, 32")), *view_figures(alibi_view(13, 16, True)),
            *view_figures(rope_view(16, 10000, 0, 8, 0, 50, 10, "same as query", 3)), gan.plane, gan.curves]


def edge_cases() -> go.Figure:
    trace = {"type": "scatter", "x": np.arange(5, dtype=np.int64), "y": np.linspace(0, 1, 5, dtype=np.float32),
             "marker": {"color": np.array([1, 2, 3, 4, 5], dtype=np.uint64), "size": (3, 4)}, "uid": "gone",
             "customdata": np.zeros((5, 2)), "text": ["a", "b", None, "d", "e"], "ids": np.array([], dtype=float)}
    big = {"type": "scatter", "x": np.array([0, 2**40], dtype=np.int64), "y": [1.5, np.float64(2.5)]}
    heat = {"type": "heatmap", "z": np.arange(12, dtype=np.float32).reshape(3, 4), "zmin": np.float32(0)}
    layout = {"xaxis": {"range": np.array([0.0, 4.0])}, "title": {"text": "edge cases"}}
    return go.Figure({"data": [trace, big, heat], "layout": layout}, _validate=False)


@pytest.mark.parametrize("fig", [*tab_figures(), edge_cases()], ids=lambda f: str(f.layout.title.text)[:40])
def test_the_same_text_as_plotly(fig):
    before = fig.to_json()
    assert figstyle.to_json(fig) == before
    assert fig.to_json() == before  # the figure itself is left as it was

