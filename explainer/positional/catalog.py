"""The Positional tab's settings: defaults and caps that the sliders and the checks both use.

Each frozen dataclass holds one view's defaults (what a fresh page shows) and its caps (the
sliders' ranges and the largest values a request may ask for), so a widget and the check
behind it can never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SinusoidalSettings:
    n_positions: int = 128  # rows of the PE table
    d_model: int = 128  # columns; must be even (sin/cos pairs)
    base: float = 10000.0  # 10000 in Vaswani et al.; the longest wavelength is 2π·base
    dims: str = "0, 1, 6, 7, 32"  # dimensions drawn as waves
    max_positions: int = 2048  # cap on n_positions
    max_d_model: int = 1024  # cap on d_model
    min_base: float = 2.0  # base ≤ 1 makes wavelengths shrink or vanish
    max_base: float = 1e7  # Llama 3 uses 5e5, Qwen 1e6
    max_waves: int = 8  # lines in the wave figure
    max_offset_points: int = 256  # points per line in the offset figure


@dataclass(frozen=True)
class RopeSettings:
    head_dim: int = 64  # d of one query/key vector; must be even
    base: float = 10000.0  # θ_i = base^(−2i/d)
    pair: int = 0  # which pair (x[2i], x[2i+1]) to watch turn
    n_steps: int = 16  # positions drawn on the rotation figure
    m1: int = 0  # first absolute query position
    m2: int = 100  # second absolute query position
    max_offset: int = 64  # offsets −max … +max on the score figure
    key: str = "same as query"  # or "independent random"
    seed: int = 0  # draws q (and k)
    max_head_dim: int = 512
    max_steps: int = 256
    max_position: int = 100_000
    max_offset_cap: int = 1024
    key_choices: tuple[str, ...] = ("same as query", "independent random")


@dataclass(frozen=True)
class AlibiSettings:
    n_heads: int = 8  # slopes 2^(−8/n)·h for n a power of two
    seq_len: int = 16  # side of each bias matrix
    causal: bool = True  # decoder (mask the future) or encoder (symmetric |i − j|)
    max_heads: int = 32
    max_seq_len: int = 64
