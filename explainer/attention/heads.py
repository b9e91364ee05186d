"""Measured labels for attention heads: what each head actually looks at, on held-out data.

Interpretability work names heads by the pattern they follow — "previous-token heads",
"induction / copying heads" (Olsson et al. 2022), heads that link a verb to its subject
(Clark et al. 2019, "What Does BERT Look At?"). Here such a name is never written by hand.
For each candidate pattern we list (query, key) pairs in held-out sentences, e.g.

    previous token        query i → key i − 1, for every token
    verb → its subject    query at the verb → key at the head noun of its subject
    closing → opening     query at ")" → key at its "("

and measure each head's *average attention mass* on those pairs,

    mass(head, pattern) = mean over pairs (i, j) of  A_head[i, j],

then label the head with its best pattern: "previous token: 0.91 of its mass" (or "no clear
pattern" when even the best one gets less than ``CLEAR_PATTERN``, or less than twice what
an evenly spread head would give it).
A long-range pattern (one of the grammar's dependencies) wins over a positional one when
its mass is at least ``DEPENDENCY_FLOOR``: that is far above what a head spreading its
attention evenly would give (≈ 1/T ≈ 0.07), and it is the more informative description.
For the decoder the dependency query is the word *before* the dependent word — the place
where the model has to predict it; for the encoder it is the dependent word replaced by
``[MASK]`` — the question it was trained to answer.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from .language import MASK, Sentence
from .model import Transformer
from .tasks import Batch, sentence_ids
from .tokens import Vocabulary

DEPENDENCY_FLOOR = 0.3  # a dependency pattern needs this much mass to be chosen
CLEAR_PATTERN = 0.3  # below this the best pattern is reported as "no clear pattern"
DEPENDENCY_PATTERNS = (
    "verb → its subject", "name → earlier mention of the same name", "closing bracket → its opening bracket",
)
_KIND_TO_PATTERN = dict(zip(("agreement", "name", "bracket"), DEPENDENCY_PATTERNS))
_DECODER_WORDING = dict(zip(DEPENDENCY_PATTERNS, (
    "before the verb → its subject",
    "before a repeated name → its earlier mention",
    "before a closing bracket → its opening bracket",
)))


@dataclass(frozen=True)
class HeadLabel:
    layer: int  # 0-based layer index
    head: int  # 0-based head index within the layer
    pattern: str  # the pattern that won
    mass: float  # its average attention mass, in [0, 1]
    baseline: float  # the mass a head spreading its attention evenly would put there
    text: str  # the one-line label, e.g. "previous token: 0.91 of its mass"
    scores: dict[str, float]  # every candidate pattern's mass, for a table or tooltip

    def as_dict(self) -> dict:
        return {"layer": self.layer, "head": self.head, "pattern": self.pattern, "mass": self.mass,
                "baseline": self.baseline, "text": self.text, "scores": self.scores}


Pairs = dict[str, list[tuple[int, int, int]]]  # pattern -> [(row, query, key), ...]


def positional_pairs(pad_mask: torch.Tensor, causal: bool, mirror: bool = False) -> Pairs:
    """Patterns defined by position alone, over every real token of every row."""
    pairs: Pairs = {"previous token": [], "same token": [], "first token ([BOS])": []}
    if not causal:
        pairs.update({"next token": [], "last token ([EOS])": []})
    if mirror and not causal:
        pairs["mirror position (anti-diagonal)"] = []
    for row, length in enumerate(pad_mask.sum(dim=1).tolist()):
        for i in range(length):
            pairs["same token"].append((row, i, i))
            if i >= 1:
                pairs["previous token"].append((row, i, i - 1))
                pairs["first token ([BOS])"].append((row, i, 0))
            if not causal:
                if i + 1 < length:
                    pairs["next token"].append((row, i, i + 1))
                if i < length - 1:
                    pairs["last token ([EOS])"].append((row, i, length - 1))
                if mirror and 2 * i + 1 != length:
                    pairs["mirror position (anti-diagonal)"].append((row, i, length - 1 - i))
    return pairs


def dependency_pairs(sentences: list[Sentence], causal: bool) -> Pairs:
    """The grammar's long-range links, from the dependent word (decoder: the word before it)."""
    pairs: Pairs = {p: [] for p in DEPENDENCY_PATTERNS}
    for row, s in enumerate(sentences):
        for d in s.dependencies:
            query, key = d.target + 1, d.source + 1  # +1 for [BOS]
            if causal:
                query -= 1
            if d.target - d.source >= 2 and query > key:  # adjacent links would just be "previous token"
                pairs[_KIND_TO_PATTERN[d.kind]].append((row, query, key))
    return pairs


def masked_dependency_inputs(
    sentences: list[Sentence], vocab: Vocabulary, length: int
) -> tuple[torch.Tensor, torch.Tensor, Pairs]:
    """Encoder questions: one copy of a sentence per dependency, the dependent word → [MASK].

    An encoder that sees the verb has no reason to look at its subject; one that must fill
    in a hidden verb does. Returns ids (N, T), pad_mask (N, T) and the pairs on these copies.
    """
    rows, positions, pairs = [], [], {p: [] for p in DEPENDENCY_PATTERNS}
    for n, s in enumerate(sentences):
        for d in s.dependencies:
            if d.target - d.source < 2:  # adjacent links would just be "previous token"
                continue
            pairs[_KIND_TO_PATTERN[d.kind]].append((len(rows), d.target + 1, d.source + 1))
            rows.append(n)
            positions.append(d.target + 1)
    ids, pad = sentence_ids(sentences, vocab, length)
    ids, pad = ids[rows].clone(), pad[rows]
    ids[torch.arange(len(rows)), torch.tensor(positions)] = vocab.id(MASK)
    return ids, pad, pairs


@torch.no_grad()
def pattern_mass(
    model: Transformer, batch_ids: torch.Tensor, pad_mask: torch.Tensor, pairs: Pairs
) -> dict[str, torch.Tensor]:
    """Average attention on each pattern's pairs: pattern -> (L, H) tensor."""
    device = model.device
    attention = model(batch_ids.to(device), pad_mask=pad_mask.to(device)).attention.cpu()  # (N, L, H, T, T)
    out = {}
    for name, triples in pairs.items():
        if not triples:
            continue
        rows, q, k = torch.tensor(triples).T
        out[name] = attention[rows, :, :, q, k].mean(dim=0)  # (n, L, H) -> (L, H)
    return out


def uniform_mass(pad_mask: torch.Tensor, causal: bool, pairs: Pairs) -> dict[str, float]:
    """What a head spreading its attention evenly would put on each pattern: mean of 1 / #keys."""
    lengths = pad_mask.sum(dim=1)  # (N,)
    out = {}
    for name, triples in pairs.items():
        if not triples:
            continue
        rows, q, _ = torch.tensor(triples).T
        visible = (q + 1) if causal else lengths[rows]  # keys a query may attend to
        out[name] = round(float((1.0 / visible.double()).mean()), 3)
    return out


def describe(pattern: str, causal: bool) -> str:
    """A decoder reads a dependency from the word before the dependent one: say so."""
    return _DECODER_WORDING.get(pattern, pattern) if causal else pattern


def choose_labels(
    masses: dict[str, torch.Tensor],
    causal: bool,
    baselines: dict[str, float] | None = None,
    dependencies: tuple[str, ...] = DEPENDENCY_PATTERNS,
) -> list[HeadLabel]:
    """One label per head from the (L, H) mass of every pattern.

    A position pattern is chosen by its mass *above* the uniform baseline (in a decoder even
    an evenly spread head puts 1/(i+1) on "same token", a lot for early tokens); a pattern
    is "clear" when its mass is ≥ ``CLEAR_PATTERN`` and at least twice its baseline.
    """
    baselines = baselines or {}
    some = next(iter(masses.values()))
    labels = []
    for layer in range(some.shape[0]):
        for head in range(some.shape[1]):
            scores = {name: round(float(m[layer, head]), 3) for name, m in masses.items()}
            base = {name: baselines.get(name, 0.0) for name in scores}
            clear = {n: scores[n] >= CLEAR_PATTERN and scores[n] >= 2 * base[n] for n in scores}
            dep = {n: v for n, v in scores.items() if n in dependencies}
            best_dep = max(dep, key=dep.get) if dep else None
            if best_dep is not None and dep[best_dep] >= DEPENDENCY_FLOOR and clear[best_dep]:
                best = best_dep
            else:
                best = max((n for n in scores if n not in dependencies), key=lambda n: scores[n] - base[n])
            text = f"{describe(best, causal)}: {scores[best]:.2f} of its mass"
            if not clear[best]:
                even = f"{base[best]:.2f} if even"
                text = f"no clear pattern (best: {describe(best, causal)}, {scores[best]:.2f} vs {even})"
            labels.append(HeadLabel(layer, head, best, scores[best], base[best], text, scores))
    return labels


# Each pattern in words a newcomer can read: (what the head does, where its attention goes).
_PLAIN = {
    "previous token": ("looks at the previous word", "on the previous word"),
    "next token": ("looks at the next word", "on the next word"),
    "same token": ("looks at the word itself", "on the word itself"),
    "first token ([BOS])": ("looks at the start token [BOS]", "on [BOS]"),
    "last token ([EOS])": ("looks at the end token [EOS]", "on [EOS]"),
    "mirror position (anti-diagonal)": ("looks at the mirror position, i-th from the end", "on the mirror position"),
    "verb → its subject": ("links each verb to its subject", "from verbs to subjects"),
    "name → earlier mention of the same name": ("links a repeated name to its first mention", "on earlier names"),
    "closing bracket → its opening bracket": ("links a closing bracket to its opening one", "on opening brackets"),
}
_PLAIN_DECODER = {  # a decoder predicts the dependent word from the word before it
    "verb → its subject": "links the word before a verb to the verb's subject",
    "name → earlier mention of the same name": "links the word before a repeated name to its first mention",
    "closing bracket → its opening bracket": "links the word before a closing bracket to its opening one",
}


def plain_words(label: HeadLabel, causal: bool) -> str:
    """The label as a phrase: "looks at the previous word (71% of its attention)".

    Read from the measured numbers (pattern, mass, baseline), so labels stored by older
    checkpoints read the same way. "Clear" has the meaning of :func:`choose_labels`.
    """
    does, where = _PLAIN.get(label.pattern, (label.pattern, f"on {label.pattern}"))
    if label.mass >= CLEAR_PATTERN and label.mass >= 2 * label.baseline:
        does = (_PLAIN_DECODER.get(label.pattern, does)) if causal else does
        return f"{does} ({label.mass:.0%} of its attention)"
    return f"no clear pattern: only {label.mass:.0%} {where} (an even spread gives {label.baseline:.0%})"


def language_head_labels(model: Transformer, vocab: Vocabulary, sentences: list[Sentence]) -> list[HeadLabel]:
    """Label every head of an encoder or decoder trained on the generated language."""
    ids, pad = sentence_ids(sentences, vocab, model.cfg.n_positions)
    T = int(pad.sum(dim=1).max())
    ids, pad = ids[:, :T], pad[:, :T]
    causal = model.cfg.causal
    pairs = positional_pairs(pad, causal)
    masses, baselines = pattern_mass(model, ids, pad, pairs), uniform_mass(pad, causal, pairs)
    if causal:
        pairs = dependency_pairs(sentences, causal)
    else:
        ids, pad, pairs = masked_dependency_inputs(sentences, vocab, T)
    masses.update(pattern_mass(model, ids, pad, pairs))
    baselines.update(uniform_mass(pad, causal, pairs))
    return choose_labels(masses, causal, baselines)


def reversal_head_labels(model: Transformer, batch: Batch) -> list[HeadLabel]:
    """Label every head of a reversal model (its ideal pattern is the anti-diagonal)."""
    causal = model.cfg.causal
    pairs = positional_pairs(batch.pad_mask, causal, mirror=True)
    masses = pattern_mass(model, batch.ids, batch.pad_mask, pairs)
    return choose_labels(masses, causal, uniform_mass(batch.pad_mask, causal, pairs), dependencies=())
