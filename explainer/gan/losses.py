"""GAN losses and gradient penalties, written as the equations in the papers.

d_real = D(x), d_fake = D(G(z)) are D's raw scores (one per packed sample), σ the logistic
function; log σ(d) = −softplus(−d) and log(1 − σ(d)) = −softplus(d) keep them stable.

* non-saturating (Goodfellow et al. 2014): L_D = −log σ(d_real) − log(1 − σ(d_fake)),
  L_G = −log σ(d_fake)
* minimax (same paper, the game itself): L_G = log(1 − σ(d_fake)) — saturates when D wins
* least squares (Mao et al. 2017): L_D = ½(d_real − 1)² + ½ d_fake², L_G = ½(d_fake − 1)²
* WGAN-GP (Gulrajani et al. 2017): L_D = d_fake − d_real + λ (‖∇_x̂ D(x̂)‖ − 1)²,
  x̂ = ε x + (1 − ε) G(z), ε ~ U[0, 1]; L_G = −d_fake
* R1 (Mescheder et al. 2018): + γ/2 ‖∇_x D(x)‖² on real x only.
"""

from __future__ import annotations

from typing import Callable

import torch
import torch.nn.functional as F


def d_loss(kind: str, d_real: torch.Tensor, d_fake: torch.Tensor) -> torch.Tensor:
    """D's loss (without penalties) averaged over the batch; d_*: (B/m,)."""
    if kind == "least-squares":
        return 0.5 * ((d_real - 1) ** 2).mean() + 0.5 * (d_fake**2).mean()
    if kind == "wgan-gp":
        return d_fake.mean() - d_real.mean()  # the critic's estimate of −W(p_data, p_G)
    return F.softplus(-d_real).mean() + F.softplus(d_fake).mean()  # −log σ(d_r) − log(1−σ(d_f))


def g_loss_per_sample(kind: str, d_fake: torch.Tensor) -> torch.Tensor:
    """G's loss for each (packed) fake sample, (B/m,); the mean is G's training loss."""
    if kind == "least-squares":
        return 0.5 * (d_fake - 1) ** 2
    if kind == "wgan-gp":
        return -d_fake
    if kind == "minimax":
        return -F.softplus(d_fake)  # log(1 − σ(d_fake)): tiny gradient when D is sure it is fake
    return F.softplus(-d_fake)  # −log σ(d_fake)


def gradient_penalty(
    critic: Callable[[torch.Tensor], torch.Tensor], real: torch.Tensor, fake: torch.Tensor, eps: torch.Tensor, pack: int
) -> torch.Tensor:
    """WGAN-GP: E (‖∇D(x̂)‖ − 1)², with x̂ on lines between real and fake; eps: (B/m, 1, 1)."""
    b = real.shape[0]
    r, f = real.reshape(b // pack, pack, 2), fake.reshape(b // pack, pack, 2)  # (B/m, m, 2)
    x_hat = (eps * r + (1 - eps) * f).reshape(b, 2).detach().requires_grad_(True)  # (B, 2)
    (grad,) = torch.autograd.grad(critic(x_hat).sum(), x_hat, create_graph=True)  # (B, 2)
    norm = grad.reshape(b // pack, 2 * pack).norm(dim=1)  # (B/m,) ‖∇‖ w.r.t. D's whole input
    return ((norm - 1) ** 2).mean()


def r1_penalty(d_real: torch.Tensor, real: torch.Tensor, pack: int) -> torch.Tensor:
    """R1: ½ E ‖∇_x D(x)‖² on real data (multiply by γ); ``real`` must require grad and
    ``d_real`` = D(real) must have been computed from it."""
    (grad,) = torch.autograd.grad(d_real.sum(), real, create_graph=True)  # (B, 2)
    return 0.5 * grad.reshape(-1, 2 * pack).pow(2).sum(dim=1).mean()
