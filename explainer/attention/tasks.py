"""What each model of the Attention tab is trained to do, as tensors.

* **Masked language modelling** (Devlin et al. 2019, BERT): hide 15 % of the words — 80 %
  of those become ``[MASK]``, 10 % a random word, 10 % stay — and predict the originals
  from both sides. Trains the encoder.
* **Next-token prediction** (Radford et al. 2019, GPT-2): predict word t+1 from words
  0 … t. Trains the decoder.
* **Sequence reversal**, an algorithmic task whose ideal attention is known: the output at
  position i is the input at position T−1−i, so a head that solves it puts its mass on the
  anti-diagonal. Inputs are ``[BOS] d1 … dn [EOS]`` (digits 0–9, variable n); the target
  is the whole sequence reversed (``[EOS] dn … d1 [BOS]``). Order is all that matters here,
  which makes it the task on which the five position schemes are compared.

All randomness comes from a local ``torch.Generator`` passed in.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from .language import BOS, EOS, MASK, SPECIALS, Sentence
from .tokens import Vocabulary

IGNORE = -100  # target value that cross-entropy skips
DIGITS = tuple(str(d) for d in range(10))


@dataclass(frozen=True)
class Batch:
    ids: torch.Tensor  # (B, T) input token ids
    targets: torch.Tensor  # (B, T) id to predict at each position, IGNORE where nothing is asked
    pad_mask: torch.Tensor  # (B, T) True on real tokens, False on padding


def reversal_vocab() -> Vocabulary:
    return Vocabulary.from_words(DIGITS)


def sentence_ids(sentences: list[Sentence], vocab: Vocabulary, length: int) -> tuple[torch.Tensor, torch.Tensor]:
    """[BOS] words [EOS], right-padded to ``length``: ids (N, length), pad_mask (N, length)."""
    ids = torch.full((len(sentences), length), vocab.pad_id, dtype=torch.long)
    for row, s in enumerate(sentences):
        tokens = vocab.ids((BOS, *s.words, EOS))
        ids[row, : len(tokens)] = torch.tensor(tokens)
    return ids, ids != vocab.pad_id


def dependency_positions(sentences: list[Sentence], length: int) -> torch.Tensor:
    """(N, length) bool: True on each dependent word (verb, repeated name, closing bracket)."""
    marks = torch.zeros((len(sentences), length), dtype=torch.bool)
    for row, s in enumerate(sentences):
        for d in s.dependencies:
            marks[row, d.target + 1] = True  # +1 for [BOS]
    return marks


def next_token_batch(ids: torch.Tensor, pad_mask: torch.Tensor) -> Batch:
    """Decoder task: target[t] = ids[t+1]; the last position and padding ask nothing."""
    targets = torch.full_like(ids, IGNORE)
    targets[:, :-1] = ids[:, 1:].masked_fill(~pad_mask[:, 1:], IGNORE)
    return Batch(ids, targets, pad_mask)


def masked_lm_batch(
    ids: torch.Tensor,
    pad_mask: torch.Tensor,
    vocab: Vocabulary,
    generator: torch.Generator,
    rate: float = 0.15,
    focus: torch.Tensor | None = None,
    focus_rate: float = 0.0,
) -> Batch:
    """Encoder task (BERT): choose ``rate`` of the words; 80 % → [MASK], 10 % → random, 10 % kept.

    ``focus`` (B, T) marks words chosen more often, with probability ``focus_rate`` (like
    ERNIE's entity masking, Sun et al. 2019): here the dependent words, so that a tiny model
    meets enough long-range questions in a few seconds of training.
    """
    special = torch.zeros_like(pad_mask)
    for token in SPECIALS:
        special |= ids == vocab.id(token)
    roll = torch.rand(ids.shape, generator=generator)
    chosen = roll < rate  # (B, T)
    if focus is not None:
        chosen |= focus & (torch.rand(ids.shape, generator=generator) < focus_rate)
    chosen &= ~special
    none = ~chosen.any(dim=1)  # make sure every row asks at least one question
    if none.any():
        scores = torch.rand(ids.shape, generator=generator).masked_fill(special, -1.0)
        chosen[none, scores[none].argmax(dim=1)] = True
    targets = ids.masked_fill(~chosen, IGNORE)
    roll = torch.rand(ids.shape, generator=generator)
    inputs = ids.clone()
    inputs[chosen & (roll < 0.8)] = vocab.id(MASK)
    swap = chosen & (roll >= 0.8) & (roll < 0.9)
    first_word = len(SPECIALS)
    random_words = torch.randint(first_word, len(vocab), ids.shape, generator=generator)
    inputs[swap] = random_words[swap]
    return Batch(inputs, targets, pad_mask)


def reversal_batch(
    n: int, generator: torch.Generator, *, min_digits: int = 2, max_digits: int = 10, vocab: Vocabulary | None = None
) -> Batch:
    """``n`` random digit strings of random lengths, framed by [BOS]/[EOS], and their reversals."""
    vocab = vocab or reversal_vocab()
    T = max_digits + 2
    lengths = torch.randint(min_digits, max_digits + 1, (n,), generator=generator)  # digits per row
    digits = torch.randint(0, 10, (n, T), generator=generator) + vocab.id("0")
    ids = torch.full((n, T), vocab.pad_id, dtype=torch.long)
    targets = torch.full((n, T), IGNORE, dtype=torch.long)
    for row in range(n):
        L = int(lengths[row]) + 2  # tokens including [BOS] and [EOS]
        seq = torch.cat([torch.tensor([vocab.id(BOS)]), digits[row, : L - 2], torch.tensor([vocab.id(EOS)])])
        ids[row, :L] = seq
        targets[row, :L] = seq.flip(0)  # out[i] = in[L − 1 − i]
    return Batch(ids, targets, ids != vocab.pad_id)


def reversal_ids(digits: str, vocab: Vocabulary | None = None) -> list[int]:
    """'3141' → ids of [BOS] 3 1 4 1 [EOS] (non-digits ignored by the caller's validation)."""
    vocab = vocab or reversal_vocab()
    return vocab.ids((BOS, *digits, EOS))


def anti_diagonal_mass(attention: torch.Tensor, pad_mask: torch.Tensor) -> torch.Tensor:
    """Mean attention each query i puts on key L−1−i (L = its row's real length).

    ``attention`` (B, ..., T, T); returns (...,) — e.g. (L, H) for (B, L, H, T, T) — averaged
    over the real (non-padding) queries of every row. 1.0 is a perfect anti-diagonal.
    """
    B, T = pad_mask.shape
    lengths = pad_mask.sum(dim=1)  # (B,)
    q = torch.arange(T, device=attention.device)
    mirror = (lengths[:, None] - 1 - q[None, :]).clamp(min=0)  # (B, T): key index L − 1 − i
    index = mirror.view(B, *([1] * (attention.dim() - 3)), T, 1).expand(*attention.shape[:-1], 1)
    mass = attention.gather(-1, index).squeeze(-1)  # (B, ..., T)
    weight = pad_mask.view(B, *([1] * (attention.dim() - 3)), T).to(attention.dtype)
    return (mass * weight).sum(dim=(0, -1)) / weight.sum(dim=(0, -1))


__all__ = [
    "Batch", "IGNORE", "DIGITS", "reversal_vocab", "sentence_ids", "dependency_positions", "next_token_batch",
    "masked_lm_batch", "reversal_batch", "reversal_ids", "anti_diagonal_mass",
]
