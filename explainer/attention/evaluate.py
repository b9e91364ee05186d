"""Held-out accuracy on the dependency each model was built to show.

For the language models every test question comes from a :class:`~.language.Dependency`
of a sentence the model never saw in training:

* **agreement** (Linzen et al. 2016): is the verb form with the right number scored above
  the same verb with the wrong number ("run" vs "runs" after "the dogs that the girl sees")?
  Reported overall and on the hard cases with an *attractor* (a nearer noun of the other
  number).
* **name**: is the repeated name the model's single best guess out of the whole vocabulary?
* **bracket**: among the closing brackets, is the matching one scored highest?

The decoder is asked at the position *before* the dependent word (it predicts the next
word); the encoder sees the dependent word replaced by ``[MASK]`` and fills it in.
For reversal the measure is exact-sequence accuracy and the attention mass on the
anti-diagonal (query i → key T−1−i).
"""

from __future__ import annotations

import torch

from .language import CLOSERS, MASK, Sentence
from .model import Transformer
from .tasks import IGNORE, Batch, anti_diagonal_mass, sentence_ids
from .tokens import Vocabulary

KINDS = ("agreement", "agreement_attractor", "name", "bracket")


def _question_correct(kind: str, logits: torch.Tensor, right: int, wrong: int, closers: torch.Tensor) -> bool:
    """One test question: logits (V,) at the position that decides it."""
    if kind == "agreement":
        return bool(logits[right] > logits[wrong])
    if kind == "name":
        return int(logits.argmax()) == right
    return int(closers[logits[closers].argmax()]) == right  # bracket


@torch.no_grad()
def dependency_accuracy(
    model: Transformer, vocab: Vocabulary, sentences: list[Sentence], *, batch_size: int = 256
) -> dict[str, float]:
    """Accuracy per dependency kind (plus counts), over every dependency in ``sentences``."""
    device = model.device
    causal = model.cfg.causal
    length = model.cfg.n_positions
    closers = torch.tensor(vocab.ids(CLOSERS), device=device)
    mask_id = vocab.id(MASK)
    # One "question" per dependency: (sentence index, position to read, kind, right id, wrong id).
    questions = []
    for n, s in enumerate(sentences):
        for d in s.dependencies:
            token = d.target + 1  # +1 for [BOS]
            right = vocab.id(s.words[d.target])
            wrong = vocab.id(d.wrong) if d.wrong else -1
            questions.append((n, token - 1 if causal else token, d.kind, right, wrong, d.attractor, token))
    hits = {k: 0 for k in KINDS}
    totals = {k: 0 for k in KINDS}
    ids_all, pad_all = sentence_ids(sentences, vocab, length)
    for start in range(0, len(questions), batch_size):
        chunk = questions[start : start + batch_size]
        rows = torch.tensor([q[0] for q in chunk])
        ids, pad = ids_all[rows].clone(), pad_all[rows]
        if not causal:  # hide the dependent word from the encoder
            ids[torch.arange(len(chunk)), torch.tensor([q[6] for q in chunk])] = mask_id
        logits = model(ids.to(device), pad_mask=pad.to(device)).logits  # (B, T, V)
        for row, (_, pos, kind, right, wrong, attractor, _) in enumerate(chunk):
            ok = _question_correct(kind, logits[row, pos], right, wrong, closers)
            hits[kind] += ok
            totals[kind] += 1
            if kind == "agreement" and attractor:
                hits["agreement_attractor"] += ok
                totals["agreement_attractor"] += 1
    out = {k: round(hits[k] / totals[k], 4) for k in KINDS if totals[k]}
    out.update({f"n_{k}": totals[k] for k in KINDS})
    return out


@torch.no_grad()
def reversal_accuracy(model: Transformer, batch: Batch) -> dict[str, float]:
    """Exact-sequence and per-token accuracy, and the best head's anti-diagonal mass."""
    device = model.device
    out = model(batch.ids.to(device), pad_mask=batch.pad_mask.to(device))
    pred = out.logits.argmax(-1).cpu()  # (B, T)
    asked = batch.targets != IGNORE
    exact = ((pred == batch.targets) | ~asked).all(dim=1).float().mean()
    token = ((pred == batch.targets) & asked).sum() / asked.sum()
    mass = anti_diagonal_mass(out.attention.cpu(), batch.pad_mask)  # (L, H)
    layer, head = divmod(int(mass.argmax()), mass.shape[1])
    return {
        "exact_sequence_accuracy": round(float(exact), 4),
        "token_accuracy": round(float(token), 4),
        "anti_diagonal_mass": round(float(mass.max()), 4),
        "anti_diagonal_head": [layer, head],
        "anti_diagonal_mass_per_head": [[round(float(x), 4) for x in row] for row in mass],
        "n_test": int(batch.ids.shape[0]),
    }
