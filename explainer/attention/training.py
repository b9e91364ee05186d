"""Training: the loop shared by every model of the Attention tab, and the shipped models' trainers.

Plain mini-batch AdamW (Loshchilov & Hutter 2019) on cross-entropy, with a linear warm-up
and a cosine decay of the learning rate, gradient clipping at norm 1. Seeds are local: the
weights are initialised from a ``torch.Generator`` and the batches drawn from another, so
``python -m explainer.train NAME --seed S`` rebuilds the same checkpoint.

The trainers (``train_encoder``, ``train_decoder``, ``train_reversal``,
``train_positions_<scheme>``) each train one model, measure it on held-out data (accuracy on
its dependency, head labels), and save it with :mod:`explainer.checkpoint`. Every model and
its training run is described by frozen configs below, one per model.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, replace
from typing import Any, Callable

import torch
import torch.nn.functional as F

from explainer import checkpoint

from . import language
from .evaluate import dependency_accuracy, reversal_accuracy
from .heads import language_head_labels, reversal_head_labels
from .model import POSITIONAL_SCHEMES, Transformer, TransformerConfig
from .tasks import (
    IGNORE, Batch, dependency_positions, masked_lm_batch, next_token_batch, reversal_batch, reversal_vocab,
    sentence_ids,
)
from .tokens import Vocabulary


def cross_entropy(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Mean −log p(target) over the positions that ask a question. logits (B, T, V)."""
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1), ignore_index=IGNORE)


def learning_rate(step: int, steps: int, peak: float, warmup: int) -> float:
    """Linear warm-up to ``peak``, then cosine decay to peak / 10."""
    if step < warmup:
        return peak * (step + 1) / warmup
    progress = (step - warmup) / max(1, steps - warmup)
    return peak * (0.1 + 0.9 * 0.5 * (1.0 + math.cos(math.pi * progress)))


def fit(
    model: Transformer,
    next_batch: Callable[[int], Batch],
    *,
    steps: int,
    lr: float = 3e-3,
    warmup: int = 100,
    weight_decay: float = 0.01,
    desc: str = "training",
    progress: bool = True,
) -> list[float]:
    """Train ``model`` in place for ``steps`` batches; returns the loss of every step."""
    device = model.device
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    optimizer = torch.optim.AdamW(
        [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}],
        lr=lr,
        betas=(0.9, 0.98),
    )
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=steps, desc=desc, leave=False, mininterval=1.0)
    losses: list[float] = []
    model.train()
    for step in range(steps):
        for group in optimizer.param_groups:
            group["lr"] = learning_rate(step, steps, lr, warmup)
        batch = next_batch(step)
        out = model(batch.ids.to(device), pad_mask=batch.pad_mask.to(device))
        loss = cross_entropy(out.logits, batch.targets.to(device))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        losses.append(float(loss.detach()))
        if bar is not None:
            bar.update(1)
            if step % 50 == 0:
                bar.set_postfix(loss=f"{losses[-1]:.3f}")
    if bar is not None:
        bar.close()
    model.eval()
    return losses


# --------------------------------------------------------------------------------------
# The shipped models: one frozen config each, and the trainers `python -m explainer.train` calls.
# --------------------------------------------------------------------------------------

KIND = "attention.Transformer"  # checkpoint kind of every model in this tab
ENCODER, DECODER, REVERSAL = "attention_encoder", "attention_decoder", "attention_reversal"
POSITIONAL_NAMES = {scheme: f"attention_positions_{scheme}" for scheme in POSITIONAL_SCHEMES}
HELD_OUT_SEED = 1_000_003  # held-out sentences / digit strings come from seed + this


@dataclass(frozen=True)
class TrainConfig:
    steps: int  # optimizer steps
    batch_size: int = 64  # sequences per step
    lr: float = 3e-3  # peak learning rate (AdamW)
    warmup: int = 100  # linear warm-up steps
    mask_rate: float = 0.15  # encoder only: fraction of words hidden (BERT)
    focus_rate: float = 0.5  # encoder only: chance that each dependent word is hidden too
    n_train: int = 40_000  # training sentences generated (language models)
    n_test: int = 1_000  # held-out sentences / digit strings measured after training


def language_vocab() -> Vocabulary:
    return Vocabulary.from_words(language.words())


REVERSAL_DIGITS = 8  # every reversal input has exactly this many digits

# One frozen config per shipped model (fields documented in TransformerConfig).
ENCODER_CONFIG = TransformerConfig(  # BERT-style: sees both sides, fills in [MASK]
    vocab_size=len(language_vocab()), n_positions=32, d_model=64, n_heads=4, n_layers=2, d_ff=256,
    causal=False, positional="learned",
)
DECODER_CONFIG = replace(ENCODER_CONFIG, causal=True)  # GPT-style: the same size, sees the past only
REVERSAL_CONFIG = TransformerConfig(  # one layer: its heads must do the reversal themselves
    vocab_size=len(reversal_vocab()), n_positions=REVERSAL_DIGITS + 2, d_model=64, n_heads=2, n_layers=1,
    d_ff=256, causal=False, positional="learned",
)
POSITIONS_CONFIG = replace(REVERSAL_CONFIG, n_layers=2)  # + a 2nd layer: relative schemes find the ends first

ENCODER_TRAINING = TrainConfig(steps=1500, lr=5e-3)
DECODER_TRAINING = TrainConfig(steps=1200)
REVERSAL_TRAINING = TrainConfig(steps=600, n_test=2_000)
POSITIONS_TRAINING = TrainConfig(steps=800, n_test=2_000)


def held_out_sentences(n: int, seed: int = 0) -> list[language.Sentence]:
    """The held-out sentences: never used for training (the trainer excludes them)."""
    return language.corpus(n, seed=HELD_OUT_SEED + seed)


def held_out_reversals(n: int, seed: int = 0, digits: int = REVERSAL_DIGITS) -> Batch:
    return reversal_batch(n, torch.Generator().manual_seed(HELD_OUT_SEED + seed), min_digits=digits, max_digits=digits)


def _save(name, model, *, task, vocab, metrics, directory) -> None:
    config = {**asdict(model.cfg), "task": task, "vocab": list(vocab.words)}
    checkpoint.save(name, model.state_dict(), kind=KIND, config=config, metrics=metrics, directory=directory)


def _train_language(name: str, causal: bool, train: TrainConfig, *, device, seed: int, directory) -> dict[str, Any]:
    start = time.perf_counter()
    vocab = language_vocab()
    test = held_out_sentences(train.n_test, seed)
    sentences = language.corpus(train.n_train, seed=seed, exclude={s.words for s in test})
    cfg = DECODER_CONFIG if causal else ENCODER_CONFIG
    ids, pad = sentence_ids(sentences, vocab, cfg.n_positions)  # (N, P)
    focus = dependency_positions(sentences, cfg.n_positions)  # (N, P)
    model = Transformer(cfg, generator=torch.Generator().manual_seed(seed)).to(device)
    data = torch.Generator().manual_seed(seed + 1)

    def next_batch(step: int) -> Batch:
        rows = torch.randint(0, len(sentences), (train.batch_size,), generator=data)
        T = int(pad[rows].sum(dim=1).max())  # trim the padding columns no row uses
        i, p, f = ids[rows, :T], pad[rows, :T], focus[rows, :T]
        if causal:
            return next_token_batch(i, p)
        return masked_lm_batch(i, p, vocab, data, train.mask_rate, f, train.focus_rate)

    losses = fit(model, next_batch, steps=train.steps, lr=train.lr, warmup=train.warmup, desc=name)
    metrics: dict[str, Any] = dependency_accuracy(model, vocab, test)
    metrics["head_labels"] = [h.as_dict() for h in language_head_labels(model, vocab, test[:300])]
    metrics.update(_common_metrics(model, train, losses, start))
    _save(name, model, task="next_token" if causal else "masked", vocab=vocab, metrics=metrics, directory=directory)
    return metrics


def _train_reversal(
    name: str, cfg: TransformerConfig, train: TrainConfig, *, device, seed: int, directory
) -> dict[str, Any]:
    start = time.perf_counter()
    vocab = reversal_vocab()
    model = Transformer(cfg, generator=torch.Generator().manual_seed(seed)).to(device)
    data = torch.Generator().manual_seed(seed + 1)
    test = held_out_reversals(train.n_test, seed)

    def next_batch(step: int) -> Batch:
        n = REVERSAL_DIGITS
        return reversal_batch(train.batch_size, data, min_digits=n, max_digits=n, vocab=vocab)

    losses = fit(model, next_batch, steps=train.steps, lr=train.lr, warmup=train.warmup, desc=name)
    metrics: dict[str, Any] = reversal_accuracy(model, test)
    metrics["head_labels"] = [h.as_dict() for h in reversal_head_labels(model, test)]
    metrics.update(_common_metrics(model, train, losses, start))
    _save(name, model, task="reverse", vocab=vocab, metrics=metrics, directory=directory)
    return metrics


def _common_metrics(model, train: TrainConfig, losses: list[float], start: float) -> dict[str, Any]:
    tail = losses[-50:]
    return {
        "final_loss": round(sum(tail) / len(tail), 4),
        "steps": train.steps,
        "batch_size": train.batch_size,
        "parameters": sum(p.numel() for p in model.parameters()),
        "train_seconds": round(time.perf_counter() - start, 1),
        "threads": torch.get_num_threads(),
    }


def train_encoder(*, device, seed: int = 0, directory=None) -> dict[str, Any]:
    """BERT-style masked-LM encoder on the generated language."""
    return _train_language(ENCODER, False, ENCODER_TRAINING, device=device, seed=seed, directory=directory)


def train_decoder(*, device, seed: int = 0, directory=None) -> dict[str, Any]:
    """GPT-style next-token decoder on the generated language."""
    return _train_language(DECODER, True, DECODER_TRAINING, device=device, seed=seed, directory=directory)


def train_reversal(*, device, seed: int = 0, directory=None) -> dict[str, Any]:
    """One-layer encoder that reverses 8 digits (learned positions): its head is the anti-diagonal."""
    return _train_reversal(REVERSAL, REVERSAL_CONFIG, REVERSAL_TRAINING, device=device, seed=seed, directory=directory)


def train_positions(scheme: str, *, device, seed: int = 0, directory=None) -> dict[str, Any]:
    """The same 2-layer reversal model with one position scheme (none … alibi)."""
    cfg = replace(POSITIONS_CONFIG, positional=scheme)
    name = POSITIONAL_NAMES[scheme]
    return _train_reversal(name, cfg, POSITIONS_TRAINING, device=device, seed=seed, directory=directory)


def train_positions_none(**kw):
    return train_positions("none", **kw)


def train_positions_sinusoidal(**kw):
    return train_positions("sinusoidal", **kw)


def train_positions_learned(**kw):
    return train_positions("learned", **kw)


def train_positions_rope(**kw):
    return train_positions("rope", **kw)


def train_positions_alibi(**kw):
    return train_positions("alibi", **kw)
