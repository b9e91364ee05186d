"""The noise-prediction networks ε_θ(x_t, t): a 2-D MLP, a class-conditional and a vector-conditional MLP.

Both learn Ho et al.'s simplified objective L = E‖ε − ε_θ(√ᾱ_t x_0 + √(1−ᾱ_t) ε, t)‖² and
tell the step t from a **sinusoidal time embedding** — the transformer's position code
(Vaswani et al. 2017) with the step number as the position, as in Ho et al. §4:
PE[t, 2i] = sin(t / 10000^(2i/d)), PE[t, 2i+1] = cos(t / 10000^(2i/d)), interleaved, the same formula as
``explainer.positional.sinusoidal`` (a unit test checks they agree), here in torch so t can
be a tensor on any device.

The digit model also takes a class label; label ``N_CLASSES`` (10) means "no label". Trained
with labels dropped at random, one network gives both ε(x, t, y) and ε(x, t, ∅), and
classifier-free guidance (Ho & Salimans 2022) mixes them: ε̃ = (1 + w) ε(x, t, y) − w ε(x, t, ∅).

The text-to-image tab's models take a **vector** instead of a label (``cond_dim`` > 0): a CLIP
embedding c, mapped by one Linear to a shift per layer, as the label embedding is (unCLIP's
decoder adds its CLIP embedding to the time embedding the same way; Ramesh et al. 2022 §2.1).
Their "no condition" is the zero vector: trained with c zeroed at random, the network learns
ε(x, t, 0) as its unconditional prediction, and :func:`guided_eps_vector` guides with it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import nn

N_CLASSES = 10  # digits 0–9; label 10 is the "no label" token of classifier-free guidance
NULL_LABEL = N_CLASSES


def time_embedding(t: torch.Tensor, dim: int, base: float = 10000.0) -> torch.Tensor:
    """(N,) steps -> (N, dim): PE[t, 2i] = sin(t·ω_i), PE[t, 2i+1] = cos(t·ω_i), ω_i = base^(−2i/dim)."""
    omega = base ** (-torch.arange(0, dim, 2, device=t.device, dtype=torch.float32) / dim)  # (dim/2,)
    angles = t.to(torch.float32)[:, None] * omega[None, :]  # (N, dim/2)
    return torch.stack([angles.sin(), angles.cos()], dim=-1).reshape(len(t), dim)  # (N, dim) interleaved


@dataclass(frozen=True)
class EpsMLPConfig:
    dim: int = 2  # data dimension (2 for the plane, 64 for an 8 × 8 digit)
    width: int = 128  # hidden units per layer
    depth: int = 3  # residual hidden layers
    emb_dim: int = 32  # size of the sinusoidal time embedding
    n_classes: int = 0  # 0: unconditional; 10: digits, plus the "no label" token
    fourier: int = 0  # 2-D: sin/cos of x at this many octaves (1, 2, 4, … rad per unit) beside x itself
    cond_dim: int = 0  # 0: no vector; else the size of a conditioning vector (a CLIP embedding), 0-vector = none

    def to_dict(self) -> dict:
        return asdict(self)


class _Residual(nn.Module):
    """h + SiLU(W h + b + e): one hidden layer, told the step (and class) through e."""

    def __init__(self, width: int) -> None:
        super().__init__()
        self.linear = nn.Linear(width, width)

    def forward(self, h: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
        return h + nn.functional.silu(shifted(self.linear, h, cond))  # (N, width)


def shifted(layer: nn.Linear, h: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
    """W h + b + c. One shift for every row (sampling: all at one step) folds into the bias: one kernel."""
    if len(cond) == 1:
        return nn.functional.linear(h, layer.weight, layer.bias + cond[0])  # (N, width)
    return layer(h) + cond  # (N, width)


class EpsMLP(nn.Module):
    """ε_θ(x_t, t[, y]): predicts the noise that was added to x_0 to make x_t."""

    def __init__(self, config: EpsMLPConfig) -> None:
        super().__init__()
        self.config = config
        w = config.width
        self.time = nn.Linear(config.emb_dim, w * (config.depth + 1))  # one shift per layer from PE(t)
        self.label = nn.Embedding(config.n_classes + 1, w * (config.depth + 1)) if config.n_classes else None
        self.vector = nn.Linear(config.cond_dim, w * (config.depth + 1)) if config.cond_dim else None  # c -> shifts
        if config.fourier:  # fixed frequencies 2^k, k = 0 … F−1 (Tancik et al. 2020, Fourier features)
            self.register_buffer("freqs", 2.0 ** torch.arange(config.fourier, dtype=torch.float32), persistent=False)
        self.input = nn.Linear(config.dim * (1 + 2 * config.fourier), w)
        self.blocks = nn.ModuleList(_Residual(w) for _ in range(config.depth))
        self.output = nn.Linear(w, config.dim)

    @property
    def device(self) -> torch.device:
        return next(self.parameters()).device

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """x (N, D) -> [x, sin(2^k x), cos(2^k x)] (N, D·(1 + 2F)); x itself when fourier = 0."""
        if not self.config.fourier:
            return x
        angles = (x[:, :, None] * self.freqs).reshape(len(x), -1)  # (N, D·F)
        return torch.cat([x, angles.sin(), angles.cos()], dim=1)

    def conditioning(self, t: torch.Tensor, labels: torch.Tensor | None = None,
                     vectors: torch.Tensor | None = None) -> torch.Tensor:
        """One shift per layer from the step (and label, and vector): (N or 1, depth + 1, width).

        A model with a label table gets the "no label" token when ``labels`` is None; a model
        with a vector input gets the zero vector (its "no condition") when ``vectors`` is None.
        """
        c = self.time(time_embedding(t.reshape(-1), self.config.emb_dim))  # (N_t, (depth+1)·width)
        if self.label is not None:
            if labels is None:
                labels = torch.full((1,), NULL_LABEL, dtype=torch.long, device=c.device)
            c = c + self.label(labels.reshape(-1))  # (N, (depth+1)·width)
        if self.vector is not None:
            if vectors is None:  # W·0 + b = b: the zero vector's shift is the Linear's bias
                c = c + self.vector.bias  # (N_t, (depth+1)·width)
            else:
                c = c + self.vector(vectors.reshape(-1, self.config.cond_dim))  # (N, (depth+1)·width)
        return c.reshape(len(c), self.config.depth + 1, self.config.width)

    def forward(self, x: torch.Tensor, t: torch.Tensor | int, labels: torch.Tensor | None = None,
                vectors: torch.Tensor | None = None) -> torch.Tensor:
        """x (N, dim), t an int / () / (N,) tensor of steps, labels (N,) or None, vectors (N, cond_dim)
        or None -> ε̂ (N, dim).

        A single t (all rows at the same step, as when sampling) embeds once and broadcasts.
        """
        t = torch.as_tensor(t, device=x.device)
        return self.denoise(x, self.conditioning(t, labels, vectors))  # (N, dim)

    def denoise(self, x: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
        """ε̂ from x (N, dim) and a precomputed :meth:`conditioning` (N or 1, depth+1, width).

        The graphed sampler computes every step's conditioning once, then calls only this.
        """
        h = nn.functional.silu(shifted(self.input, self.features(x), cond[:, 0]))  # (N, width)
        for k, block in enumerate(self.blocks):
            h = block(h, cond[:, k + 1])  # (N, width)
        return self.output(h)  # (N, dim)


def build(config: EpsMLPConfig, generator: torch.Generator, device: torch.device | str = "cpu") -> EpsMLP:
    """A fresh network, its weights drawn from ``generator`` (never the global RNG), on ``device``.

    PyTorch's default init — U(−1/√fan_in, 1/√fan_in) for Linear, N(0, 1) for Embedding — built
    on the meta device, materialised on the CPU, filled from the generator, then moved.
    """
    with torch.device("meta"):
        net = EpsMLP(config)
    net = net.to_empty(device="cpu")
    for layer in net.modules():
        if isinstance(layer, nn.Linear):
            bound = 1 / layer.in_features**0.5
            nn.init.uniform_(layer.weight, -bound, bound, generator=generator)
            nn.init.uniform_(layer.bias, -bound, bound, generator=generator)
        elif isinstance(layer, nn.Embedding):
            nn.init.normal_(layer.weight, generator=generator)
    return net.to(device)


def guided_eps(model: EpsMLP, x: torch.Tensor, t: int | torch.Tensor, labels: torch.Tensor | None,
               w: float) -> torch.Tensor:
    """Classifier-free guidance (Ho & Salimans 2022, eq. 6): ε̃ = (1 + w) ε(x, y) − w ε(x, ∅).

    w = 0 is the plain conditional model; labels None is the unconditional one. The two
    predictions run as one batch of 2N rows.
    """
    if labels is None or model.label is None:
        return model(x, t)
    if w == 0:
        return model(x, t, labels)
    null = torch.full_like(labels, NULL_LABEL)
    both = model(torch.cat([x, x]), t, torch.cat([labels, null]))  # (2N, dim)
    cond, uncond = both.chunk(2)  # (N, dim) each
    return (1 + w) * cond - w * uncond


def guided_eps_vector(model: EpsMLP, x: torch.Tensor, t: int | torch.Tensor, vectors: torch.Tensor | None,
                      w: float) -> torch.Tensor:
    """Classifier-free guidance with a vector condition c: ε̃ = (1 + w) ε(x, c) − w ε(x, 0).

    The same formula as :func:`guided_eps`, the zero vector playing "no label". w = 0 is the
    plain conditional model; vectors None is the unconditional one. One batch of 2N rows.
    """
    if vectors is None or model.vector is None:
        return model(x, t)
    if w == 0:
        return model(x, t, vectors=vectors)
    both = model(torch.cat([x, x]), t, vectors=torch.cat([vectors, torch.zeros_like(vectors)]))  # (2N, dim)
    cond, uncond = both.chunk(2)  # (N, dim) each
    return (1 + w) * cond - w * uncond
