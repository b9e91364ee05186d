"""Formulas more than one topic uses (a floor below the topics; no topic imports another).

* :mod:`explainer.maths.positions` — sinusoidal encodings, RoPE and ALiBi (the Positional tab
  draws them; the attention models compute with them).
"""
