"""Training a 2-D GAN live: the alternating D and G updates (Goodfellow et al. 2014, Alg. 1).

One *step* is ``d_steps`` discriminator updates followed by one generator update:

    for k in 1..d_steps:  x ~ p_data, z ~ N(0, I);  θ_D ← Adam(θ_D, ∇ L_D(D(x), D(G(z))))
    z ~ N(0, I);                                      θ_G ← Adam(θ_G, ∇ L_G(D(G(z))))

All randomness comes from the trainer's own ``torch.Generator`` (seeded), so two trainers in
one process never affect each other and the same seed gives the same run. Evaluation and
sampling use separate local seeds, so looking at the model never changes its training.

On CUDA a tiny GAN is bound by kernel-launch overhead, so the whole step (every D update and
the G update, with their Adam steps) can be captured once in a CUDA graph and replayed
(torch.cuda.graphs, "whole-network capture"): the noise is drawn outside the graph into
static buffers, learning rates are device tensors, and the optimizers are built with
``capturable=True``. The eager path computes the same thing and is the default on CPU.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

import numpy as np
import torch

from explainer import validate
from explainer.gan import losses
from explainer.gan.catalog import GANConfig, preset_config, validate_config
from explainer.datasets.toy2d import Dataset2D, get_dataset
from explainer.datasets.modes import modes_covered
from explainer.gan.model import build_models, model_device
from explainer.validate import InputError

EVAL_SAMPLES = 2500  # VEEGAN measures modes and quality on 2,500 generated samples
EVAL_SEED = 2500  # the fixed local seed of those samples (the same z at every evaluation)
log = logging.getLogger(__name__)
GRAPH_WARMUP = 3  # eager steps on a side stream before capture (CUDA graph docs)
MAX_TRAIN_CALL = 100_000  # steps one train() call may run
MAX_SAMPLES = 100_000


@dataclass
class History:
    """What training measured: losses every step, mode metrics every ``eval_every`` steps."""

    steps: list[int] = field(default_factory=list)  # step number of each loss entry
    d_loss: list[float] = field(default_factory=list)  # L_D of the step's last D update
    g_loss: list[float] = field(default_factory=list)  # L_G of the step's G update
    eval_steps: list[int] = field(default_factory=list)  # step number of each evaluation
    modes: list[int] = field(default_factory=list)  # modes covered (VEEGAN)
    high_quality: list[float] = field(default_factory=list)  # fraction within 3σ of a centre


@dataclass
class StepNoise:
    """Everything random in one step, drawn before the update (static buffers on CUDA)."""

    real: torch.Tensor  # (d_steps, B, 2) data samples for each D update
    z_d: torch.Tensor  # (d_steps, B, latent) noise for each D update
    eps: torch.Tensor  # (d_steps, B/m, 1, 1) WGAN-GP interpolation weights (zeros when unused)
    z_g: torch.Tensor  # (B, latent) noise for the G update

    def copy_(self, other: "StepNoise") -> None:
        for name in ("real", "z_d", "eps", "z_g"):
            getattr(self, name).copy_(getattr(other, name))


class GANTrainer:
    """One live GAN: G, D, their optimizers, a seeded generator, and the history so far."""

    def __init__(
        self,
        config: GANConfig | None = None,
        seed: int = 0,
        device: torch.device | str | None = None,
        *,
        data: Dataset2D | None = None,
        cuda_graph: bool | None = None,
    ) -> None:
        self.config = validate_config(config if config is not None else GANConfig())
        self.seed = validate.integer(seed, "seed", lo=0, hi=2**31 - 1)
        device = torch.device(device if device is not None else "cpu")
        if self.config.dataset == "drawn" and data is None:
            raise InputError("The 'drawn' data set needs a drawing: draw something first.")
        self.data = data if data is not None else get_dataset(self.config.dataset)
        init_rng = torch.Generator().manual_seed(self.seed)  # CPU: same initial weights everywhere
        self.g_net, self.d_net = build_models(self.config, init_rng, device)
        self.rng = torch.Generator(device=device)
        self.rng.manual_seed(self.seed + 1)
        on_cuda = device.type == "cuda"
        # Capturable Adam keeps its step count and lr on the device (needed inside a graph);
        # on the CPU the fused kernel updates all weights in one call (fewer tiny ops).
        lr = (lambda v: torch.tensor(v, device=device)) if on_cuda else float
        c = self.config
        adam = dict(betas=(c.beta1, c.beta2), capturable=True) if on_cuda else dict(
            betas=(c.beta1, c.beta2), fused=device.type == "cpu")
        self.g_opt = torch.optim.Adam(self.g_net.parameters(), lr=lr(c.g_lr), **adam)
        self.d_opt = torch.optim.Adam(self.d_net.parameters(), lr=lr(c.d_lr), **adam)
        self.cuda_graph = on_cuda if cuda_graph is None else bool(cuda_graph)
        if self.cuda_graph and not on_cuda:
            raise InputError("The CUDA-graph fast path needs a CUDA device: use cuda_graph=False on the CPU.")
        self.step_count = 0  # completed steps (G updates)
        self.d_updates = 0  # D updates, including single ones from d_step()
        self.history = History()
        self._pending: list[torch.Tensor] = []  # (2,) loss pairs not yet copied to the history
        self._reset_graph()

    # ----- construction -------------------------------------------------------------------
    @classmethod
    def from_preset(
        cls,
        name: str,
        seed: int = 0,
        device: torch.device | str | None = None,
        *,
        data: Dataset2D | None = None,
        cuda_graph: bool | None = None,
        **overrides: object,
    ) -> "GANTrainer":
        """A trainer for a named preset; ``overrides`` change config fields (dataset="grid")."""
        config = preset_config(name, dataset=overrides.pop("dataset", None), drawn=data is not None)
        if overrides:
            config = config.replace(**overrides)
        return cls(config, seed, device, data=data, cuda_graph=cuda_graph)

    @property
    def device(self) -> torch.device:
        return model_device(self.g_net)

    def __getstate__(self) -> dict:
        """Copies (copy.deepcopy) leave the CUDA graph behind; it is recaptured on use."""
        state = self.__dict__.copy()
        for key in ("_graph", "_static", "_static_out", "_stream"):
            state[key] = None
        state["_warmup_left"] = GRAPH_WARMUP
        state["rng"] = (str(self.rng.device), self.rng.get_state())  # a generator, as plain data
        return state

    def __setstate__(self, state: dict) -> None:
        device, rng_state = state["rng"]
        state["rng"] = torch.Generator(device=device)
        state["rng"].set_state(rng_state)
        self.__dict__.update(state)

    def _reset_graph(self) -> None:
        self._graph = None
        self._static: StepNoise | None = None
        self._static_out: tuple[torch.Tensor, torch.Tensor] | None = None
        self._stream: torch.cuda.Stream | None = None
        self._warmup_left = GRAPH_WARMUP

    # ----- randomness and schedule ---------------------------------------------------------
    def _draw_noise(self) -> StepNoise:
        c, g, dev = self.config, self.rng, self.device
        k, b = c.d_steps, c.batch_size
        real = self.data.sample(k * b, generator=g, device=dev).reshape(k, b, 2)  # (k, B, 2)
        z_d = torch.randn(k, b, c.latent_dim, generator=g, device=dev)  # (k, B, latent)
        if c.loss == "wgan-gp":
            eps = torch.rand(k, b // c.pack, 1, 1, generator=g, device=dev)  # (k, B/m, 1, 1)
        else:
            eps = torch.zeros(k, 1, 1, 1, device=dev)  # unused without the gradient penalty
        z_g = torch.randn(b, c.latent_dim, generator=g, device=dev)  # (B, latent)
        return StepNoise(real, z_d, eps, z_g)

    def lr_scale(self, step: int | None = None) -> float:
        """Linear decay: 1 until lr_decay_start · steps, then down to lr_final at ``steps``."""
        c = self.config
        t = self.step_count if step is None else step
        start = c.lr_decay_start * c.steps
        if t <= start or c.steps <= start:
            return 1.0
        frac = min(1.0, (t - start) / (c.steps - start))
        return 1.0 - frac * (1.0 - c.lr_final)

    def _set_lr(self) -> None:
        scale = self.lr_scale()
        for opt, base in ((self.g_opt, self.config.g_lr), (self.d_opt, self.config.d_lr)):
            for group in opt.param_groups:
                if isinstance(group["lr"], torch.Tensor):
                    group["lr"].fill_(base * scale)  # in place: the graph reads this tensor
                else:
                    group["lr"] = base * scale

    # ----- the updates (shared by the eager path and the captured graph) ------------------
    def _d_update(self, real: torch.Tensor, z: torch.Tensor, eps: torch.Tensor) -> torch.Tensor:
        c, d_net = self.config, self.d_net
        with torch.no_grad():
            fake = self.g_net(z)  # (B, 2), no gradient to G in D's update
        if c.r1_weight > 0:
            real = real.detach().requires_grad_(True)  # R1 needs ∇_x D(x) on real x
        # One pass over real and fake; groups=2 gives each half its own minibatch-std statistic.
        scores = d_net(torch.cat([real, fake]), update_sn=True, groups=2)  # (2B/m,)
        d_real, d_fake = scores.chunk(2)  # (B/m,) each
        loss = losses.d_loss(c.loss, d_real, d_fake)
        if c.loss == "wgan-gp" and c.gp_weight > 0:
            loss = loss + c.gp_weight * losses.gradient_penalty(d_net, real, fake, eps, c.pack)
        if c.r1_weight > 0:
            loss = loss + c.r1_weight * losses.r1_penalty(d_real, real, c.pack)
        self.d_opt.zero_grad(set_to_none=True)
        loss.backward(inputs=list(d_net.parameters()))
        self.d_opt.step()
        return loss.detach()

    def _g_update(self, z: torch.Tensor) -> torch.Tensor:
        fake = self.g_net(z)  # (B, 2)
        loss = losses.g_loss_per_sample(self.config.loss, self.d_net(fake)).mean()
        self.g_opt.zero_grad(set_to_none=True)
        loss.backward(inputs=list(self.g_net.parameters()))  # D's weights get no gradient
        self.g_opt.step()
        return loss.detach()

    def _update(self, noise: StepNoise) -> tuple[torch.Tensor, torch.Tensor]:
        d_loss = None
        for k in range(self.config.d_steps):
            d_loss = self._d_update(noise.real[k], noise.z_d[k], noise.eps[k])
        return d_loss, self._g_update(noise.z_g)

    def _graph_update(self, noise: StepNoise) -> tuple[torch.Tensor, torch.Tensor]:
        """The same update through a CUDA graph: warm up, capture once, then replay."""
        if self._static is None:
            self._static = StepNoise(noise.real.clone(), noise.z_d.clone(), noise.eps.clone(), noise.z_g.clone())
        self._static.copy_(noise)  # new noise into the buffers the graph reads
        if self._stream is None:  # warm-up and capture share one side stream (cuBLAS handles)
            self._stream = torch.cuda.Stream(device=self.device)
        if self._warmup_left > 0:  # real training steps, on a side stream as the docs require
            self._stream.wait_stream(torch.cuda.current_stream(self.device))
            with torch.cuda.stream(self._stream):
                out = self._update(self._static)
            torch.cuda.current_stream(self.device).wait_stream(self._stream)
            self._warmup_left -= 1
            return out
        if self._graph is None:
            self.d_opt.zero_grad(set_to_none=True)  # grads are then allocated from the graph's pool
            self.g_opt.zero_grad(set_to_none=True)
            graph = torch.cuda.CUDAGraph()
            try:
                with torch.cuda.graph(graph, stream=self._stream):  # records the kernels; nothing runs yet
                    self._static_out = self._update(self._static)
            except RuntimeError:  # an op this torch cannot capture: nothing ran, so go on eagerly
                log.warning("CUDA graph capture failed; this run trains eagerly", exc_info=True)
                self.cuda_graph = False
                self._reset_graph()
                return self._update(noise)
            self._graph = graph
        self._graph.replay()
        return self._static_out

    # ----- public steps --------------------------------------------------------------------
    def d_step(self) -> float:
        """One discriminator update (does not complete a step); returns L_D."""
        noise = self._draw_noise()
        self._set_lr()
        self.d_updates += 1
        return float(self._d_update(noise.real[0], noise.z_d[0], noise.eps[0]))

    def g_step(self) -> float:
        """One generator update; completes a step (and logs it). Returns L_G."""
        noise = self._draw_noise()
        self._set_lr()
        g_loss = self._g_update(noise.z_g)
        self._finish_step(torch.full_like(g_loss, float("nan")), g_loss)
        return float(g_loss)

    def step(self) -> tuple[float, float]:
        """``d_steps`` D updates and one G update; returns (L_D, L_G)."""
        d_loss, g_loss = self._fast_step()
        self._flush()
        return float(d_loss), float(g_loss)

    def _fast_step(self) -> tuple[torch.Tensor, torch.Tensor]:
        noise = self._draw_noise()
        self._set_lr()
        d_loss, g_loss = (self._graph_update if self.cuda_graph else self._update)(noise)
        self.d_updates += self.config.d_steps
        self._finish_step(d_loss, g_loss)
        return d_loss, g_loss

    def _finish_step(self, d_loss: torch.Tensor, g_loss: torch.Tensor) -> None:
        self.step_count += 1
        self._pending.append(torch.stack([d_loss, g_loss]))  # (2,), a copy: graph outputs get overwritten
        if len(self._pending) >= 100:
            self._flush()
        if self.step_count % self.config.eval_every == 0:
            self._flush()
            self.evaluate(record=True)

    def _flush(self) -> None:
        """Copy pending losses to the history in one transfer (one GPU sync, not one per step)."""
        if not self._pending:
            return
        values = torch.stack(self._pending).cpu().numpy()  # (n, 2)
        first = self.step_count - len(values) + 1
        self.history.steps.extend(range(first, self.step_count + 1))
        self.history.d_loss.extend(values[:, 0].tolist())
        self.history.g_loss.extend(values[:, 1].tolist())
        self._pending.clear()

    def train(self, n_steps: int) -> "GANTrainer":
        """Run ``n_steps`` steps (capped at MAX_TRAIN_CALL per call)."""
        n = validate.integer(n_steps, "number of steps", lo=0, hi=MAX_TRAIN_CALL)
        for _ in range(n):
            self._fast_step()
        self._flush()
        return self

    def train_to_end(self) -> "GANTrainer":
        """Train until the preset's ``steps`` are done."""
        return self.train(max(0, self.config.steps - self.step_count))

    # ----- looking at the model ------------------------------------------------------------
    @torch.no_grad()
    def sample(self, n: int = 1000, seed: int = 0) -> np.ndarray:
        """n generated points, (n, 2) float32, from z drawn with a local seed."""
        n = validate.integer(n, "number of samples", lo=1, hi=MAX_SAMPLES)
        seed = validate.integer(seed, "sample seed", lo=0, hi=2**31 - 1)
        return self.g_net(self.latent(n, seed)).float().cpu().numpy()

    def latent(self, n: int, seed: int) -> torch.Tensor:
        """(n, latent_dim) standard normal noise from a local seed (not the training stream)."""
        g = torch.Generator(device=self.device).manual_seed(int(seed))
        return torch.randn(n, self.config.latent_dim, generator=g, device=self.device)

    def evaluate(self, n: int = EVAL_SAMPLES, *, record: bool = False) -> tuple[int, float] | None:
        """(modes covered, high-quality fraction) on n samples; None when the data has no modes."""
        if self.data.centers is None:
            return None
        modes, quality = modes_covered(self.sample(n, seed=EVAL_SEED), self.data.centers, self.data.std)
        if record:
            self.history.eval_steps.append(self.step_count)
            self.history.modes.append(modes)
            self.history.high_quality.append(quality)
        return modes, quality


def steps_per_second(
    preset: str = "Mode collapse",
    device: torch.device | str | None = None,
    n_steps: int = 1000,
    seed: int = 0,
    *,
    cuda_graph: bool | None = None,
    dataset: str | None = None,
) -> float:
    """Training speed of a preset (evaluations included), after a short warm-up."""
    extra = {} if dataset is None else {"dataset": dataset}
    trainer = GANTrainer.from_preset(preset, seed, device, cuda_graph=cuda_graph, **extra)
    trainer.train(20)  # warm-up: allocations, CUDA-graph capture
    sync = torch.cuda.synchronize if trainer.device.type == "cuda" else (lambda *a: None)
    sync(trainer.device)
    start = time.perf_counter()
    trainer.train(n_steps)
    sync(trainer.device)
    return n_steps / (time.perf_counter() - start)
