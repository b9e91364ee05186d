"""Reading gr.Plot values as gradio_client returns them."""

from __future__ import annotations

import base64
import json

import numpy as np


def figure(plot_value) -> dict:
    """A gr.Plot value (or a gr.update carrying one) -> the Plotly figure dict."""
    if isinstance(plot_value, dict) and plot_value.get("__type__") == "update":
        plot_value = plot_value["value"]
    assert plot_value["type"] == "plotly"
    return json.loads(plot_value["plot"])


def decode(value) -> np.ndarray:
    """Plotly 6+ sends numpy arrays as {'dtype', 'bdata' (base64), 'shape'}; plain lists stay lists."""
    if isinstance(value, dict) and "bdata" in value:
        flat = np.frombuffer(base64.b64decode(value["bdata"]), dtype=np.dtype(value["dtype"]))
        shape = value.get("shape")
        if isinstance(shape, str):
            shape = [int(s) for s in shape.split(",")]
        return flat.reshape(shape) if shape else flat
    return np.asarray(value, dtype=float)
