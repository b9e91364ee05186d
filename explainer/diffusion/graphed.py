"""The full DDPM reverse process recorded once as a CUDA graph and replayed in one launch.

Eager sampling (:mod:`explainer.denoising.sample`) drives every step from Python: on a GPU, a
1,000-step walk of 2,000 points launches about fifteen tiny kernels a step, and the launches,
not the arithmetic, take the time. Here the whole loop is unrolled for a fixed (N, D) and
recorded with ``torch.cuda.CUDAGraph`` (the PyTorch "CUDA Graphs" API); a replay then runs all
its kernels without Python in between.

What makes it recordable, step for step the same algorithm as the eager path
(Ho et al. 2020, Algorithm 2):

* every step's conditioning — the linear map of the sinusoidal time embedding PE(t) — is
  computed once for t = 0 … T−1 (:meth:`EpsMLP.conditioning`), and each step reads its row;
* the per-step constants 1/√α_t, β_t/√(1−ᾱ_t) and σ_t = √β̃_t are Python numbers, so they
  are baked into the recorded kernels (:meth:`NoiseSchedule.step` with ``noise`` given);
* the noise is drawn before the replay from the seed's generator, in the order the eager walk
  draws it (x_T first, then one (N, D) draw per step t = T−1 … 1), into fixed buffers.

So for the same seed both paths give the same trajectory up to float rounding (a ``gpu`` test
checks it). On the CPU there is no graph: :class:`UnrolledDDPM` runs the same unrolled loop
eagerly, which is what the CPU unit test compares with the eager sampler.
"""

from __future__ import annotations

import numpy as np
import torch

from explainer.denoising.model import EpsMLP
from explainer.denoising.sample import Trajectory
from explainer.denoising.schedule import NoiseSchedule


class UnrolledDDPM:
    """Every-step DDPM for ``n_points`` 2-D points, every frame kept, optionally as one CUDA graph.

    ``graph=None`` records a graph when the network is on a CUDA device. Build once, then call
    :meth:`sample` per seed: a replay costs the kernels only, the recording (a few hundred ms)
    is paid once.
    """

    @torch.no_grad()
    def __init__(self, net: EpsMLP, schedule: NoiseSchedule, n_points: int, graph: bool | None = None) -> None:
        if net.label is not None:
            raise ValueError("The graphed sampler takes an unconditional (2-D) model.")
        self.net, self.schedule = net, schedule
        device = self.device = net.device
        T, shape = schedule.T, (n_points, net.config.dim)
        self.shape = shape
        self.cond = net.conditioning(torch.arange(T, device=device))  # (T, depth+1, width): row t is step t's
        self.x_T = torch.zeros(shape, device=device)  # (N, D) static input: the starting noise
        self.noise = torch.zeros((max(T - 1, 1), *shape), device=device)  # (T−1, N, D) noise[k] for step k
        self.xs = torch.zeros((T + 1, *shape), device=device)  # (T+1, N, D) x_t before each step, then x_0
        self.x0s, self.epss = torch.zeros_like(self.xs), torch.zeros_like(self.xs)  # x̂_0 and ε̂ per frame
        abar = schedule.alphas_cumprod
        self._x0_coefs = [(float((1 - abar[t]).sqrt()), float(abar[t].sqrt())) for t in range(T)]
        self.graph = None
        if graph if graph is not None else device.type == "cuda":
            self._record()

    def _walk(self) -> None:
        """The unrolled loop: reads x_T and noise, writes every frame (the body the graph records)."""
        schedule, T, x = self.schedule, self.schedule.T, self.x_T
        for k in range(T):
            t = T - 1 - k
            eps = self.net.denoise(x, self.cond[t : t + 1])  # (N, D) ε̂(x_t, t)
            root_one_minus, root_abar = self._x0_coefs[t]
            self.xs[k].copy_(x)
            self.epss[k].copy_(eps)
            self.x0s[k].copy_((x - root_one_minus * eps) / root_abar)  # x̂_0 = (x_t − √(1−ᾱ_t) ε̂)/√ᾱ_t
            x = schedule.step(eps, t, x, noise=self.noise[k] if t > 0 else None)  # Ho et al. eq. 11
        self.xs[T].copy_(x)
        self.x0s[T].copy_(x)

    def _record(self) -> None:
        side = torch.cuda.Stream(self.device)  # warm up (cuBLAS handles, allocator) off the capture stream
        side.wait_stream(torch.cuda.current_stream(self.device))
        with torch.cuda.stream(side):
            self._walk()
        torch.cuda.current_stream(self.device).wait_stream(side)
        self.graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(self.graph):
            self._walk()

    @torch.no_grad()
    def sample(self, seed: int) -> Trajectory:
        """The trajectory from the seed's starting noise: the eager ``run(..., sampler="ddpm")`` frames."""
        gen = torch.Generator(device=self.device).manual_seed(int(seed))
        torch.randn(self.shape, generator=gen, device=self.device, out=self.x_T)  # x_T, the first draw
        for k in range(self.schedule.T - 1):  # then one draw per noisy step, as the eager walk takes them
            torch.randn(self.shape, generator=gen, device=self.device, out=self.noise[k])
        if self.graph is not None:
            self.graph.replay()
        else:
            self._walk()
        T = self.schedule.T
        return Trajectory(
            t=np.array([*range(T - 1, -1, -1), -1], dtype=np.int64),
            x=self.xs.cpu().numpy().copy(), x0_hat=self.x0s.cpu().numpy().copy(), eps=self.epss.cpu().numpy().copy(),
            sampler="ddpm", n_steps=T, eta=1.0,
        )
