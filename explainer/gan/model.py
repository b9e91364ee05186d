"""Generator and discriminator of a 2-D GAN: small MLPs (Goodfellow et al. 2014).

G maps noise z ~ N(0, I_d) to a point of the plane, G: R^d → R². D maps a point (or, with
PacGAN packing, m points at once) to one raw score d ∈ R; the loss decides what d means
(a logit of "real" for the GAN losses, a critic value for WGAN-GP).

Two remedies live inside D:

* **PacGAN** (Lin et al. 2018): D sees m samples concatenated, (B, 2) → (B/m, 2m), so a
  batch of m near-identical fakes is easy to tell from m independent real points.
* **Minibatch standard deviation** (Karras et al. 2018, §3): the std of each hidden feature
  over the batch, averaged to one number, is appended to every sample's last hidden layer.
* **Spectral normalisation** (Miyato et al. 2018): each weight is used as W / σ(W), with
  σ(W) ≈ uᵀ W v from one power-iteration step per training forward pass.

Weights are created on the meta device and initialised from a caller's ``torch.Generator``
(PyTorch's default Linear init, U(−1/√fan_in, 1/√fan_in)), so building a model never touches
the global RNG.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from explainer.gan.catalog import GANConfig


def activation(name: str) -> nn.Module:
    if name == "relu":
        return nn.ReLU()
    if name == "leaky_relu":
        return nn.LeakyReLU(0.2)
    return nn.Tanh()


class SNLinear(nn.Linear):
    """A linear layer whose weight is divided by its spectral norm (Miyato et al. 2018)."""

    def __init__(self, n_in: int, n_out: int, device: torch.device | str | None = None) -> None:
        super().__init__(n_in, n_out, device=device)
        self.register_buffer("u", torch.empty(n_out, device=device))  # (out,) left singular vector estimate

    def forward(self, x: torch.Tensor, update: bool = False) -> torch.Tensor:
        w = self.weight  # (out, in)
        with torch.no_grad():
            u = self.u
            if update:  # one power-iteration step: v = Wᵀu/‖Wᵀu‖, u = Wv/‖Wv‖
                v = F.normalize(w.t() @ u, dim=0, eps=1e-12)  # (in,)
                u = F.normalize(w @ v, dim=0, eps=1e-12)  # (out,)
                self.u.copy_(u)
            v = F.normalize(w.t() @ u, dim=0, eps=1e-12)  # (in,)
        sigma = torch.dot(u, w @ v)  # σ(W) ≈ uᵀ W v, differentiable in W
        return F.linear(x, w / sigma, self.bias)


class Generator(nn.Module):
    """G(z): latent_dim → g_width (× g_depth hidden layers) → 2, linear output."""

    def __init__(self, config: GANConfig, device: torch.device | str | None = None) -> None:
        super().__init__()
        sizes = [config.latent_dim] + [config.g_width] * config.g_depth
        self.hidden = nn.ModuleList(nn.Linear(a, b, device=device) for a, b in zip(sizes[:-1], sizes[1:]))
        self.out = nn.Linear(sizes[-1], 2, device=device)
        self.act = activation(config.activation)
        self.latent_dim = config.latent_dim

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        h = z  # (B, latent_dim)
        for layer in self.hidden:
            h = self.act(layer(h))  # (B, g_width)
        return self.out(h)  # (B, 2)


class Discriminator(nn.Module):
    """D(x): (B, 2) points → (B / pack,) raw scores."""

    def __init__(self, config: GANConfig, device: torch.device | str | None = None) -> None:
        super().__init__()
        self.pack = config.pack
        self.input_scale = config.d_input_scale
        self.minibatch_std = config.minibatch_std
        make = SNLinear if config.spectral_norm else nn.Linear
        sizes = [2 * config.pack] + [config.d_width] * config.d_depth
        self.hidden = nn.ModuleList(make(a, b, device=device) for a, b in zip(sizes[:-1], sizes[1:]))
        self.out = make(sizes[-1] + (1 if config.minibatch_std else 0), 1, device=device)
        self.act = activation(config.activation)

    def _layer(self, layer: nn.Module, h: torch.Tensor, update_sn: bool) -> torch.Tensor:
        return layer(h, update=update_sn) if isinstance(layer, SNLinear) else layer(h)

    def features(self, x: torch.Tensor, update_sn: bool = False) -> torch.Tensor:
        """The last hidden layer, (B / pack, d_width)."""
        h = (x * self.input_scale).reshape(-1, 2 * self.pack)  # (B/m, 2m): m samples side by side
        for layer in self.hidden:
            h = self.act(self._layer(layer, h, update_sn))  # (B/m, d_width)
        return h

    def forward(
        self,
        x: torch.Tensor,
        *,
        update_sn: bool = False,
        reference: torch.Tensor | None = None,
        groups: int = 1,
    ) -> torch.Tensor:
        """Scores of x. ``update_sn`` advances spectral-norm power iteration (training only).

        Minibatch std statistic: x is split into ``groups`` equal consecutive parts (real and
        fake scored in one pass use groups=2) and each part gets its own spread; or, when
        ``reference`` (another batch of points) is given, every row gets the reference's
        spread — used to draw D over a grid of the plane.
        """
        h = self.features(x, update_sn)  # (B/m, d_width)
        if self.minibatch_std:
            if reference is not None:
                spread = _spread(self.features(reference)[None]).expand(h.shape[0])  # (B/m,)
            else:
                parts = h.reshape(groups, -1, h.shape[1])  # (groups, n, d_width)
                spread = _spread(parts).repeat_interleave(parts.shape[1])  # (B/m,)
            h = torch.cat([h, spread[:, None]], dim=1)  # (B/m, d_width + 1)
        return self._layer(self.out, h, update_sn).squeeze(1)  # (B/m,)


def _spread(parts: torch.Tensor) -> torch.Tensor:
    """Mean over features of each feature's std within a group: (groups, n, w) → (groups,)."""
    var = parts.var(dim=1, unbiased=False)  # (groups, w)
    return torch.sqrt(var + 1e-8).mean(dim=1)  # +1e-8 keeps the gradient finite at std 0


@torch.no_grad()
def init_weights(module: nn.Module, generator: torch.Generator) -> nn.Module:
    """PyTorch's default Linear init, U(−1/√fan_in, 1/√fan_in), drawn from ``generator``."""
    for layer in module.modules():
        if isinstance(layer, nn.Linear):
            bound = 1.0 / math.sqrt(layer.in_features)
            nn.init.uniform_(layer.weight, -bound, bound, generator=generator)
            nn.init.uniform_(layer.bias, -bound, bound, generator=generator)
        if isinstance(layer, SNLinear):
            layer.u.copy_(F.normalize(torch.randn(layer.out_features, generator=generator), dim=0))
    return module


def build_models(
    config: GANConfig, generator: torch.Generator, device: torch.device
) -> tuple[Generator, Discriminator]:
    """G and D for ``config``, initialised on the CPU from ``generator``, then moved to ``device``.

    Initialising on the CPU makes the starting weights the same on every device.
    """
    g_net = init_weights(Generator(config, device="meta").to_empty(device="cpu"), generator)
    d_net = init_weights(Discriminator(config, device="meta").to_empty(device="cpu"), generator)
    return g_net.to(device), d_net.to(device)


def model_device(module: nn.Module) -> torch.device:
    """A model's device, read from its own weights."""
    return next(module.parameters()).device
