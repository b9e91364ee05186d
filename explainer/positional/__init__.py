"""Positional encodings, live: sinusoidal, RoPE and ALiBi computed from their formulas.

The formulas live a floor below the topics, in :mod:`explainer.maths.positions` (the attention
models compute with them too); this package re-exports them as the public API and holds the
Positional tab's settings (``catalog``), figures and views. Typical use::

    from explainer import positional
    pe = positional.sinusoidal(128, 64)            # (128, 64), sin and cos interleaved
    q_rotated = positional.rope(q, positions)      # q of shape (..., T, d), NumPy or torch
    slopes = positional.alibi_slopes(12)           # Press et al.'s slopes
    view = positional.views.sinusoidal_view(128, 64, 10000.0, "0, 1, 6, 7")  # its figures
"""

from explainer.maths.positions import (
    alibi_bias,
    alibi_slopes,
    inverse_frequencies,
    rope,
    sinusoidal,
    sinusoidal_at,
    wavelengths,
)
from explainer.positional import catalog, figures, views

__all__ = ["alibi_bias", "alibi_slopes", "catalog", "figures", "inverse_frequencies", "rope", "sinusoidal",
           "sinusoidal_at", "views", "wavelengths"]
