"""Head labels come from measured attention mass, checked on heads with a known pattern."""

import torch

from explainer.attention.heads import (
    DEPENDENCY_FLOOR, choose_labels, dependency_pairs, pattern_mass, positional_pairs, uniform_mass,
)
from explainer.attention.language import Dependency, Sentence


class FixedAttention(torch.nn.Module):
    """A stand-in 'model' whose heads follow hand-built patterns: previous token, first token, uniform."""

    class cfg:  # noqa: N801 - mimics TransformerConfig's fields that heads.py reads
        causal = True
        n_positions = 8

    device = torch.device("cpu")

    def forward(self, ids, pad_mask=None):
        B, T = ids.shape
        prev = torch.zeros(T, T)
        prev[0, 0] = 1
        prev[torch.arange(1, T), torch.arange(T - 1)] = 1
        first = torch.zeros(T, T)
        first[:, 0] = 1
        uniform = torch.tril(torch.ones(T, T))
        uniform = uniform / uniform.sum(-1, keepdim=True)
        att = torch.stack([prev, first, uniform])[None, None].expand(B, 1, 3, T, T)  # (B, L=1, H=3, T, T)

        class Out:
            attention = att

        return Out()


def test_labels_pick_the_pattern_the_head_follows():
    ids = torch.zeros(4, 8, dtype=torch.long)
    pad = torch.ones(4, 8, dtype=torch.bool)
    pairs = positional_pairs(pad, causal=True)
    baselines = uniform_mass(pad, True, pairs)
    assert abs(baselines["same token"] - sum(1 / (i + 1) for i in range(8)) / 8) < 1e-3
    masses = pattern_mass(FixedAttention(), ids, pad, pairs)
    labels = choose_labels(masses, causal=True, baselines=baselines)
    assert labels[0].pattern == "previous token" and labels[0].mass == 1.0
    assert labels[0].text == "previous token: 1.00 of its mass"
    assert labels[1].pattern == "first token ([BOS])" and labels[1].mass == 1.0
    # Uniform attention gives "same token" 0.34 in a decoder — exactly its baseline: no pattern.
    assert labels[2].text.startswith("no clear pattern") and labels[2].mass <= 2 * labels[2].baseline


def test_a_dependency_pattern_wins_once_above_the_floor():
    masses = {"previous token": torch.tensor([[0.6, 0.6]]), "verb → its subject": torch.tensor([[0.5, 0.1]])}
    labels = choose_labels(masses, causal=False)
    assert DEPENDENCY_FLOOR <= 0.5
    assert labels[0].pattern == "verb → its subject" and labels[1].pattern == "previous token"
    assert choose_labels(masses, causal=True)[0].text.startswith("before the verb → its subject")


def test_dependency_pairs_point_from_the_dependent_word_to_its_source():
    s = Sentence(("the", "dogs", "that", "the", "girl", "sees", "run", "."),
                 (Dependency("agreement", 6, 1, "runs", True), Dependency("agreement", 5, 4, "see")))
    enc = dependency_pairs([s], causal=False)["verb → its subject"]
    dec = dependency_pairs([s], causal=True)["verb → its subject"]
    assert enc == [(0, 7, 2)]  # +1 for [BOS]; the adjacent "girl sees" link is left out
    assert dec == [(0, 6, 2)]  # the decoder predicts "run" while reading "sees"
