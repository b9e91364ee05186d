"""Scaling runs: the Attention tab's decoder trained at several sizes N and token budgets D.

Each run trains a fresh GPT-style decoder (the shipped decoder's recipe: AdamW, warm-up and
cosine decay, peak learning rate 3·10⁻³ for every size, not tuned per size) on sentences of our
generated language that it sees once each (no epoch repeats: D counts distinct tokens), then
measures the next-token cross-entropy on 1,000 held-out sentences, in nats per token.

N counts the parameters outside the token and position embeddings (Kaplan et al. 2020's
convention; Chinchilla counts all): in models this small the 245-word embedding table would be
most of the parameters and says little about capacity.

``python -m explainer.train attention_scaling`` runs the grid (:data:`SIZES` × :data:`TOKENS`) and
ships the results as a checkpoint: a (runs, 6) tensor plus the same rows in its JSON sidecar.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from typing import Any, Callable

import torch

from explainer import checkpoint

from . import language
from .model import Transformer, TransformerConfig
from .scaling_law import FLOPS_PER_PARAM_TOKEN, fit
from .tasks import next_token_batch, sentence_ids
from .training import cross_entropy, held_out_sentences, language_vocab
from .training import fit as train_steps

NAME, KIND = "attention_scaling", "attention.ScalingRuns"
SIZES = ((16, 1), (32, 1), (32, 2), (64, 2), (96, 3))  # (d_model, layers); heads of 16 dims, MLP 4 × d_model
TOKENS = (25_000, 80_000, 250_000, 800_000)  # token budgets D of the shipped grid
BATCH = 64  # sentences per step
LR = 3e-3
N_TEST = 1_000  # held-out sentences measured after training
MAX_LIVE_TOKENS = 250_000  # the "train one more point" button: a few seconds on 2 cores
COLUMNS = ("d_model", "layers", "params", "tokens", "loss", "seconds")


@dataclass(frozen=True)
class Run:
    d_model: int  # width of the residual stream
    layers: int  # transformer blocks
    params: int  # N: parameters outside the embeddings
    tokens: int  # D: training tokens seen (predicted positions), each once
    loss: float  # held-out next-token cross-entropy, nats per token
    seconds: float  # wall time of the training

    @property
    def flops(self) -> float:
        return FLOPS_PER_PARAM_TOKEN * self.params * self.tokens


def config(d_model: int, layers: int) -> TransformerConfig:
    return TransformerConfig(vocab_size=len(language_vocab()), n_positions=32, d_model=d_model,
                             n_heads=max(1, d_model // 16), n_layers=layers, d_ff=4 * d_model, causal=True)


def non_embedding_params(model: Transformer) -> int:
    return sum(p.numel() for name, p in model.named_parameters() if name not in ("pos", "embed.weight"))


def _held_out_loss(model: Transformer, vocab, n: int, seed: int) -> float:
    ids, pad = sentence_ids(held_out_sentences(n, seed), vocab, model.cfg.n_positions)
    total, count = 0.0, 0
    with torch.no_grad():
        for start in range(0, len(ids), 250):
            batch = next_token_batch(ids[start:start + 250], pad[start:start + 250])
            out = model(batch.ids.to(model.device), pad_mask=batch.pad_mask.to(model.device))
            k = int((batch.targets >= 0).sum())
            total += float(cross_entropy(out.logits, batch.targets.to(model.device))) * k
            count += k
    return total / count


def train_run(d_model: int, layers: int, tokens: int, *, seed: int = 0, device: torch.device | None = None,
              progress: Callable[[float], None] | None = None) -> Run:
    """Train one model of this size on ``tokens`` fresh tokens; ``progress(fraction)`` is told as it goes."""
    start = time.perf_counter()
    vocab = language_vocab()
    test = held_out_sentences(N_TEST, seed)
    sentences = language.corpus(tokens // 8 + BATCH, seed=seed + 17, exclude={s.words for s in test})
    ids, pad = sentence_ids(sentences, vocab, 32)
    model = Transformer(config(d_model, layers), generator=torch.Generator().manual_seed(seed)).to(device or "cpu")
    seen, cursor, batches = 0, 0, []
    while seen < tokens and cursor < len(ids):  # consecutive sentences, each used once
        rows = slice(cursor, cursor + BATCH)
        T = int(pad[rows].sum(dim=1).max())
        batch = next_token_batch(ids[rows, :T], pad[rows, :T])
        batches.append(batch)
        seen += int((batch.targets >= 0).sum())
        cursor += BATCH

    def next_batch(step: int):
        if progress is not None and step % 20 == 0:
            progress(step / len(batches))
        return batches[step]

    train_steps(model, next_batch, steps=len(batches), lr=LR, warmup=min(100, max(1, len(batches) // 10)),
                progress=False)
    return Run(d_model, layers, non_embedding_params(model), seen, round(_held_out_loss(model, vocab, N_TEST, seed), 5),
               round(time.perf_counter() - start, 2))


def train_scaling(*, device, seed: int = 0, directory=None) -> dict[str, Any]:
    """The shipped grid: every size at every token budget (``python -m explainer.train attention_scaling``)."""
    runs = []
    for d_model, layers in SIZES:
        for tokens in TOKENS:
            runs.append(train_run(d_model, layers, tokens, seed=seed, device=device))
    law = fit([r.params for r in runs], [r.tokens for r in runs], [r.loss for r in runs])
    table = torch.tensor([[getattr(r, c) for c in COLUMNS] for r in runs], dtype=torch.float64)
    metrics = {"runs": [asdict(r) for r in runs], "fit": asdict(law), "seconds": round(sum(r.seconds for r in runs), 1)}
    checkpoint.save(NAME, {"runs": table}, kind=KIND, config={"sizes": SIZES, "tokens": TOKENS, "batch": BATCH,
                                                                "lr": LR, "columns": COLUMNS}, metrics=metrics,
                    directory=directory)
    return metrics


def shipped_runs(directory=None) -> list[Run]:
    """The runs behind the shipped fit, read from their checkpoint."""
    table = checkpoint.load(NAME, kind=KIND, directory=directory).tensors["runs"]
    return [Run(int(r[0]), int(r[1]), int(r[2]), int(r[3]), float(r[4]), float(r[5])) for r in table.tolist()]
