"""The Learned sub-tab of the Positional tab: what trained attention models did with positions.

The position table a model learned for itself, its cosine similarity beside the sinusoidal
table's, the five positional schemes' measured accuracy on reversal, and the shuffle that a
model without positions cannot notice (permutation equivariance). It reads the shipped
attention checkpoints, so it lives in the attention topic; the Positional tab wires it.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import plotly.graph_objects as go

from explainer import validate
from explainer.maths import positions as positional


@dataclass(frozen=True)
class LearnedSettings:
    table: str = "encoder (32 positions)"  # which trained model's learned table to draw
    tables: tuple[tuple[str, str], ...] = (  # (label, checkpoint)
        ("encoder (32 positions)", "attention_encoder"),
        ("decoder (32 positions)", "attention_decoder"),
        ("reversal model (10 positions)", "attention_positions_learned"),
    )
    digits: str = "31415926"  # input of the shuffling demonstration (reversal models read 8 digits)
    seed: int = 0  # draws the shuffle


@dataclass(frozen=True)
class LearnedView:
    table: go.Figure  # the learned position table, positions × dimensions
    similarity: go.Figure  # cosine similarity between positions: learned beside sinusoidal
    comparison: str  # Markdown: the five schemes' measured reversal accuracy
    equivariance: str  # Markdown: shuffle the input of a model without positions


ALIBI_NOTE = (
    "**Why ALiBi fails here.** In a bidirectional model ALiBi's penalty −m·|i − j| is the same for a key three "
    "places to the left and three places to the right: it gives a head the *distance* to a token but not its "
    "*direction*, and nothing about where a token stands in the sequence. Reversal needs exactly that — position i "
    "must fetch the token at n − 1 − i — so ALiBi scores like no positions at all. In a decoder the causal mask "
    "supplies the direction, which is how Press et al. used it."
)


@functools.lru_cache(maxsize=1)
def _comparison() -> str:
    """The five schemes' measured accuracies (read once from the checkpoints' JSON; read-only)."""
    from explainer.attention import positional_comparison

    measured = positional_comparison()
    rows = ["| positions | whole sequence reversed | digits right | attention on the mirror position (best head) |",
            "|---|---|---|---|"]
    for scheme, m in measured.items():
        rows.append(f"| {scheme} | {m['exact_sequence_accuracy']:.0%} | {m['token_accuracy']:.1%} | "
                    f"{m['anti_diagonal_mass']:.2f} |")
    n_test = next(iter(measured.values())).get("n_test", "held-out")
    return (f"The same 2-layer encoder trained to reverse 8 digits with each scheme, measured on {n_test} "
            "held-out sequences:\n\n" + "\n".join(rows) + "\n\n" + ALIBI_NOTE)


def learned_view(table, digits, seed, s: LearnedSettings = LearnedSettings(), *, device="cpu") -> LearnedView:
    """The Learned sub-tab's view; its three trained models run on ``device`` (the app's: ``AppOptions.device``)."""
    import torch

    from explainer.attention import cosine_similarity, encode_text, learned_positions, permutation_equivariance
    from explainer.attention import figures as attention_figures
    from explainer.attention.catalog import shipped

    names = dict(s.tables)
    if table not in names:
        raise validate.InputError(f"Table must be one of {', '.join(names)}; got {str(table)[:60]!r}.")
    seed = validate.integer(seed, "Seed", lo=0, hi=2**31 - 1)
    if not isinstance(digits, str):
        raise validate.InputError(f"Digits must be a string, got {type(digits).__name__}.")
    device = str(torch.device(device))  # "cpu", "cuda", …: the cache key the Attention tab's Catalog uses too
    learned = learned_positions(shipped(names[table], device))  # (P, d), copied to the CPU
    P, d = learned.shape
    figure_table = attention_figures.build_position_table(
        learned, title=f"Learned position table of the {table.split(' (')[0]}<br>"
                       "<span style='font-size:13px'>row p is added to the token at position p</span>")
    similarity = attention_figures.build_similarity_pair(cosine_similarity(learned),
                                                         cosine_similarity(positional.sinusoidal(P, d)))

    comparison = _comparison()
    none, with_table = shipped("attention_positions_none", device), shipped("attention_positions_learned", device)
    checks = {"no positions": permutation_equivariance(none, digits, seed=seed),
              "learned positions": permutation_equivariance(with_table, digits, seed=seed)}
    check = checks["no positions"]
    perm = list(check.permutation)
    with torch.no_grad():
        ids = torch.tensor([encode_text(none, digits).ids], device=none.model.device)  # (1, T)
        answer = none.vocab.decode(none.model(ids).logits[0].argmax(-1).cpu())  # (T,) token ids
        shuffled_answer = none.vocab.decode(none.model(ids[:, perm]).logits[0].argmax(-1).cpu())
    lines = [
        ("Shuffle the input tokens (the same shuffle for both models) and compare the outputs with the original "
         "outputs shuffled the same way:"),
        "",
        "| model | max \\|f(shuffled x) − shuffled f(x)\\| | max \\|A(shuffled x) − P A Pᵀ\\| | equivariant? |",
        "|---|---|---|---|",
        *(f"| {name} | {c.output_error:.2g} | {c.attention_error:.2g} | {'yes' if c.equivariant else 'no'} |"
          for name, c in checks.items()),
        "",
        f"Input: `{' '.join(check.tokens)}` → shuffled: `{' '.join(check.tokens[i] for i in perm)}`.",
        (f"The model without positions answers `{' '.join(answer)}` for the input and "
         f"`{' '.join(shuffled_answer)}` for the shuffled input: the same answers, shuffled the same way "
         f"({'identical' if [answer[i] for i in perm] == list(shuffled_answer) else 'differs'} after unshuffling). "
         "It cannot see order at all — which is why it fails at reversal."),
    ]
    return LearnedView(figure_table, similarity, comparison, "\n".join(lines))
