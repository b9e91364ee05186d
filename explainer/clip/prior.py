"""The unCLIP prior: from a caption's CLIP text embedding to a CLIP *image* embedding, by diffusion.

Ramesh et al. 2022 ("Hierarchical Text-Conditional Image Generation with CLIP Latents", DALL·E 2)
split text-to-image in two: a **prior** P(z_i | y) that turns a caption y into a CLIP image
embedding z_i, and a **decoder** P(x | z_i) that turns that embedding into pixels
(:mod:`explainer.clip.decoder`). Why not decode the text embedding z_t directly? Because
CLIP's two towers need not meet: in DALL·E 2's CLIP a caption's embedding and its image's point
in quite different directions (the "modality gap"), and one caption fits many images. Our tiny
CLIP's gap is small (held-out cosine 0.80 between a caption's and its image's embedding), but a
caption's embedding is still no image's: the prior answers with one particular image embedding,
spread as that caption's images are (sampled again, a different one).

Their diffusion prior is a transformer predicting z_i itself; ours is the smallest version of
the same idea: an ε-network (:class:`explainer.denoising.model.EpsMLP`, Ho et al.'s loss) on
vectors of EMBED_DIM numbers, conditioned on z_t through ``cond_dim``. Unit vectors have
coordinates of size ~1/√D, so both the data and the condition are multiplied by √D (unit
variance per coordinate, like the noise). The data lie on a sphere, and the sampler uses it:
at every step the guess x̂_0 is put on the sphere of radius √D and ε̂ re-derived from it (the
sphere's version of clipping an image's x̂_0 to [−1, 1]; without it, held-out samples reached
cosine 0.35–0.50 with their image instead of 0.76–0.81), and a finished sample is divided by
its norm. z_t is zeroed at random while training (as DALL·E 2 dropped its text conditioning
10% of the time), so classifier-free guidance works here too.

The training loop (:func:`fit`) and the sampler (:class:`VectorDiffusion`) are shared with the
decoder: only the data and the condition differ.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import hashlib
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from explainer import checkpoint
from explainer.denoising.model import EpsMLP, EpsMLPConfig, build, guided_eps_vector
from explainer.denoising.sample import run
from explainer.denoising.schedule import NoiseSchedule

PRIOR_NAME = "clip_prior"
KIND = "clip.VectorDiffusion"  # the kind of both the prior's and the decoder's checkpoints
CLIP_NAME = "clip_tiny"  # the CLIP these models were trained on: retrain them when it changes
EVAL_SEED = 12345  # starting noise of every measurement (not a training seed)
PRIOR_GUIDANCE = 1.0  # the prior's guidance scale in the chain (held-out cosine: 0.76 at w = 0, 0.82 at w = 1)


@dataclass(frozen=True)
class FitConfig:
    model: EpsMLPConfig  # the ε-network; cond_dim = the size of the conditioning vector
    schedule: str = "cosine"  # noise schedule: "linear" or "cosine"
    T: int = 1000  # diffusion steps
    steps: int = 3000  # optimiser steps
    batch_size: int = 256  # (x_0, c) pairs per step
    lr: float = 1e-3  # Adam learning rate at the start
    lr_final: float = 0.02  # the cosine decay ends at this fraction of lr
    ema_decay: float = 0.995  # weight of the old average in the EMA of the weights
    cond_dropout: float = 0.15  # chance c is replaced by the zero vector ("no condition", for guidance)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> FitConfig:
        return cls(**{**d, "model": EpsMLPConfig(**d["model"])})


def cond_scale(config: EpsMLPConfig) -> float:
    """Unit-norm vectors times √D: coordinates of size ~1, as the network's other inputs."""
    return math.sqrt(config.cond_dim)


@dataclass(frozen=True, eq=False)
class VectorDiffusion:
    """A trained vector-conditioned ε-network (the EMA weights), read-only, and how to sample it."""

    net: EpsMLP
    schedule: NoiseSchedule
    config: FitConfig
    metrics: dict = dataclasses.field(default_factory=dict)
    clip: float | None = None  # bound on x̂_0 while sampling (images: 1.0), None for embeddings
    radius: float | None = None  # x̂_0 put on the sphere of this radius at every step (embeddings: √D)

    @property
    def dim(self) -> int:
        return self.config.model.dim

    def eps_fn(self, vectors: torch.Tensor, w: float = 0.0):
        """ε̂(x, t) guided by unit vectors (N, C): ε̃ = (1 + w) ε(x, c) − w ε(x, 0)."""
        c = torch.as_tensor(vectors, dtype=torch.float32, device=self.net.device) * cond_scale(self.config.model)
        net, schedule, radius = self.net, self.schedule, self.radius

        def eps(x: torch.Tensor, t: int) -> torch.Tensor:
            e = guided_eps_vector(net, x, t, c, w)  # (N, D)
            if radius is None:
                return e
            # The data lie on a sphere: put the guess x̂_0 there, and re-derive ε̂ from it
            # (the sphere's version of clipping an image's x̂_0 to [−1, 1]).
            abar = float(schedule.alphas_cumprod[t])
            x0 = radius * torch.nn.functional.normalize(schedule.predict_x0(e, t, x), dim=-1)  # (N, D)
            return (x - abar**0.5 * x0) / (1 - abar) ** 0.5

        return eps

    def sample(self, vectors: torch.Tensor, *, seed: int, w: float = 0.0, steps: int = 50, keep: int | None = 2):
        """One DDIM (η = 0) walk per row of ``vectors``; the :class:`Trajectory` in model space."""
        return run(self.eps_fn(vectors, w), self.schedule, (len(vectors), self.dim), seed=seed, sampler="ddim",
                   n_steps=steps, device=self.net.device, keep=keep, clip=self.clip)


def fit(x0: torch.Tensor, vectors: torch.Tensor, config: FitConfig, *, seed: int,
        device: torch.device | str = "cpu") -> tuple[EpsMLP, list[float]]:
    """Ho et al. Algorithm 1 on pairs (x_0 (N, D), c (N, C) unit vectors), c zeroed with p = cond_dropout.

    Every draw comes from the seed's generators; returns the EMA network and the loss per step.
    """
    device = torch.device(device)
    gen = torch.Generator(device=device).manual_seed(seed)
    net = build(config.model, torch.Generator().manual_seed(seed), device)  # weights from the seed
    ema = copy.deepcopy(net).eval().requires_grad_(False)
    opt = torch.optim.Adam(net.parameters(), lr=config.lr)
    abar_all = NoiseSchedule.named(config.schedule, config.T).alphas_cumprod.to(device, torch.float32)  # (T,)
    x0 = torch.as_tensor(x0, dtype=torch.float32).to(device)
    cond = torch.as_tensor(vectors, dtype=torch.float32).to(device) * cond_scale(config.model)  # (N, C)
    losses = []
    for step in range(config.steps):
        idx = torch.randint(len(x0), (config.batch_size,), generator=gen, device=device)  # (B,)
        keep = torch.rand(config.batch_size, 1, generator=gen, device=device) >= config.cond_dropout  # (B, 1)
        c = cond[idx] * keep  # (B, C): dropped rows become the zero vector, ε(x, t, 0)
        t = torch.randint(config.T, (config.batch_size,), generator=gen, device=device)  # (B,)
        eps = torch.randn((config.batch_size, x0.shape[1]), generator=gen, device=device)  # (B, D)
        abar = abar_all[t][:, None]  # (B, 1)
        x_t = abar.sqrt() * x0[idx] + (1 - abar).sqrt() * eps  # q(x_t | x_0), Ho et al. eq. 4
        loss = ((net(x_t, t, vectors=c) - eps) ** 2).mean()  # the simple loss, Ho et al. eq. 14
        progress = step / max(1, config.steps)
        for group in opt.param_groups:  # cosine decay from lr to lr · lr_final
            group["lr"] = config.lr * (config.lr_final + (1 - config.lr_final) * 0.5 * (1 + math.cos(math.pi * progress)))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        with torch.no_grad():  # EMA: θ̄ ← d θ̄ + (1 − d) θ (d ramps up early on)
            d = min(config.ema_decay, (1 + step) / (10 + step))
            for p_ema, p in zip(ema.parameters(), net.parameters()):
                p_ema.lerp_(p, 1 - d)
        losses.append(float(loss.detach()))
    return ema, losses


# --- the prior ----------------------------------------------------------------------------------
def prior_config(embed_dim: int) -> FitConfig:
    """The shipped prior's recipe for embeddings of ``embed_dim`` numbers."""
    # 2,500 steps (~12 s on 1 thread): prior samples reach cosine ~0.8 with the true image embedding of
    # held-out captions, as close as another training image of the same caption (x̂_0 kept on the sphere)
    return FitConfig(EpsMLPConfig(dim=embed_dim, width=128, depth=3, emb_dim=32, cond_dim=embed_dim),
                     schedule="cosine", steps=2500, batch_size=256, lr=2e-3, cond_dropout=0.1)


def to_space(embeddings: torch.Tensor) -> torch.Tensor:
    """Unit embeddings (N, D) -> the prior's data space: × √D (unit variance per coordinate)."""
    e = torch.as_tensor(embeddings, dtype=torch.float32)
    return e * math.sqrt(e.shape[-1])


def to_sphere(x: torch.Tensor) -> torch.Tensor:
    """A sample (N, D) back onto the unit sphere, where CLIP's embeddings live."""
    return torch.nn.functional.normalize(x, dim=-1)


def train_prior_on(text_emb, image_emb, *, seed: int = 0, device: torch.device | str = "cpu",
                   config: FitConfig | None = None) -> VectorDiffusion:
    """Learn P(z_image | z_text) from pairs of unit embeddings (N, D) each."""
    text_emb = torch.as_tensor(text_emb, dtype=torch.float32)
    config = config or prior_config(text_emb.shape[1])
    net, losses = fit(to_space(image_emb), text_emb, config, seed=seed, device=device)
    return VectorDiffusion(net, NoiseSchedule.named(config.schedule, config.T), config,
                           {"final_loss": round(float(np.mean(losses[-300:])), 4), "steps": config.steps},
                           radius=math.sqrt(config.model.dim))


def sample_prior(prior: VectorDiffusion, text_emb, *, seed: int, w: float = 0.0, steps: int = 50) -> torch.Tensor:
    """Image embeddings (N, D), unit norm, one per text embedding (N, D): the prior's answers."""
    return to_sphere(torch.as_tensor(prior.sample(text_emb, seed=seed, w=w, steps=steps).samples))


def cosine_metrics(predicted, text_emb, image_emb, *, seed: int = EVAL_SEED) -> dict[str, float]:
    """Mean cosine to the true image embedding: the prior's sample, the text embedding, a random image's."""
    predicted, text_emb, image_emb = (torch.as_tensor(a, dtype=torch.float32) for a in (predicted, text_emb, image_emb))
    other = torch.randperm(len(image_emb), generator=torch.Generator().manual_seed(seed))  # a random pairing
    return {"prior_cosine": round(float((predicted * image_emb).sum(1).mean()), 4),
            "text_cosine": round(float((text_emb * image_emb).sum(1).mean()), 4),
            "random_image_cosine": round(float((image_emb[other] * image_emb).sum(1).mean()), 4)}


def same_caption_cosine(train, test, *, seed: int = EVAL_SEED) -> float:
    """What a perfect prior would score: the cosine of a random training image *with the same caption*.

    A perfect prior samples P(z_image | caption), i.e. behaves like drawing another image of that
    caption; test digits whose caption no training digit has are left out.
    """
    rng = np.random.default_rng(seed)
    by_caption: dict[str, list[int]] = {}
    for j, c in enumerate(train.captions):
        by_caption.setdefault(c, []).append(j)
    cos = [float(train.image_emb[rng.choice(by_caption[c])] @ test.image_emb[i])
           for i, c in enumerate(test.captions) if c in by_caption]
    return round(float(np.mean(cos)), 4)


def nearest_class_agreement(predicted, train, labels) -> float:
    """Share of predicted embeddings whose nearest real training image has the caption's digit."""
    sims = torch.as_tensor(predicted, dtype=torch.float32) @ torch.as_tensor(train.image_emb).T  # (N, M)
    return float((torch.as_tensor(train.labels)[sims.argmax(1)] == torch.as_tensor(labels)).float().mean())


def prior_metrics(prior: VectorDiffusion, train, test, *, scales=(0.0, PRIOR_GUIDANCE)) -> dict:
    """Per guidance w: cosine of samples for held-out captions to their images, and the nearest image's class."""
    rows = []
    for w in scales:
        predicted = sample_prior(prior, test.text_emb, seed=EVAL_SEED, w=w)
        rows.append({"w": w, **cosine_metrics(predicted, test.text_emb, test.image_emb),
                     "nearest_class": round(nearest_class_agreement(predicted, train, test.labels), 4)})
    return {"guidance": rows, "same_caption_cosine": same_caption_cosine(train, test)}


# --- checkpoints --------------------------------------------------------------------------------
def clip_fingerprint(directory: Path | None = None) -> str | None:
    """The first 16 hex digits of the CLIP weights' SHA-256 (None while there are none)."""
    weights, _ = checkpoint.paths(CLIP_NAME, directory)
    return hashlib.sha256(weights.read_bytes()).hexdigest()[:16] if weights.is_file() else None


def save(name: str, model: VectorDiffusion, *, seed: int, clip: str | None, directory: Path | None = None) -> None:
    """Write a prior or decoder; ``clip`` is the fingerprint of the CLIP whose embeddings it learned."""
    tensors = {f"model.{k}": v for k, v in model.net.state_dict().items()}
    checkpoint.save(name, tensors, kind=KIND, directory=directory, metrics=model.metrics,
                    config={"fit": model.config.to_dict(), "seed": seed, "clip": clip,
                            "clip_x0": model.clip, "radius": model.radius})


def load_model(name: str, device: torch.device | str | None = None, directory: Path | None = None) -> VectorDiffusion:
    """A shipped prior or decoder, read-only (cached per device)."""
    return _load(name, str(torch.device(device or "cpu")), None if directory is None else str(directory))


@functools.lru_cache(maxsize=8)
def _load(name: str, device: str, directory: str | None) -> VectorDiffusion:
    ckpt = checkpoint.load(name, kind=KIND, directory=None if directory is None else Path(directory))
    config = FitConfig.from_dict(ckpt.config["fit"])
    net = EpsMLP(config.model)
    net.load_state_dict({k[len("model."):]: v for k, v in ckpt.tensors.items() if k.startswith("model.")})
    net = net.to(device).eval().requires_grad_(False)
    return VectorDiffusion(net, NoiseSchedule.named(config.schedule, config.T), config, ckpt.metrics,
                           ckpt.config.get("clip_x0"), ckpt.config.get("radius"))


def trained_on(name: str, directory: Path | None = None) -> str | None:
    """The CLIP fingerprint a shipped prior or decoder was trained against."""
    return checkpoint.load(name, kind=KIND, directory=directory).config.get("clip")


def load_prior(device: torch.device | str | None = None) -> VectorDiffusion:
    return load_model(PRIOR_NAME, device)


def train_prior(*, device: torch.device, seed: int = 0, directory: Path | None = None) -> dict:
    """Train the shipped prior on (caption's text embedding, image embedding) of every training digit."""
    from explainer.clip.decoder import clip_pairs  # the data both models read, through CLIP

    fingerprint = clip_fingerprint()  # before CLIP is read: the weights these embeddings come from
    train, test = clip_pairs("train", device), clip_pairs("test", device)
    prior = train_prior_on(train.text_emb, train.image_emb, seed=seed, device=device)
    prior.metrics.update(prior_metrics(prior, train, test))
    save(PRIOR_NAME, prior, seed=seed, clip=fingerprint, directory=directory)
    return prior.metrics
