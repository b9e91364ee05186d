"""Text generation from the decoder: temperature, top-k and nucleus (top-p) sampling.

A decoder (Radford et al. 2019) gives a distribution over the next word; generating is
repeating "pick a word, append it, predict again". How the word is picked:

* **temperature** T: p_i ∝ exp(z_i / T) — T → 0 is greedy (always the top word), T > 1
  flattens the distribution and the text gets more surprising;
* **top-k** (Fan et al. 2018): keep only the k most probable words;
* **top-p / nucleus** (Holtzman et al. 2020): keep the smallest set of words whose
  probabilities add up to at least p.

Randomness comes from a local ``torch.Generator`` seeded with ``seed``, so the same
settings always produce the same text, whoever else is using the model.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from explainer import validate
from explainer.validate import InputError

from .language import BOS, EOS, MASK, PAD, UNK
from .run import LoadedModel, run_options
from .tokens import encode

MAX_NEW_TOKENS = 30


@dataclass(frozen=True)
class Generation:
    prompt: tuple[str, ...]  # the prompt's tokens, starting with [BOS]
    new_tokens: tuple[str, ...]  # the generated tokens (up to and including [EOS] if reached)
    probabilities: tuple[float, ...]  # probability of each generated token when it was drawn
    unknown: tuple[str, ...]  # words of the prompt missing from the vocabulary
    text: str  # prompt words and generated words, joined by spaces (specials left out)


def filter_logits(logits: torch.Tensor, top_k: int = 0, top_p: float = 1.0) -> torch.Tensor:
    """Set to −inf every logit outside the top-k and outside the nucleus of mass top_p. (V,)"""
    logits = logits.clone()
    if 0 < top_k < logits.numel():
        kth = torch.topk(logits, top_k).values[-1]
        logits[logits < kth] = float("-inf")
    if top_p < 1.0:
        sorted_logits, order = torch.sort(logits, descending=True)
        cumulative = torch.softmax(sorted_logits, dim=-1).cumsum(dim=-1)
        drop = cumulative - torch.softmax(sorted_logits, dim=-1) >= top_p  # mass before this word already ≥ p
        logits[order[drop]] = float("-inf")
    return logits


@torch.no_grad()
def generate(
    loaded: LoadedModel,
    prompt: str,
    *,
    max_new_tokens: int = 20,
    temperature: float = 1.0,
    top_k: int = 0,
    top_p: float = 1.0,
    seed: int = 0,
    head_mask=None,
    attention_temperature: float = 1.0,
    softmax: str = "softmax",
) -> Generation:
    """Continue ``prompt`` with the decoder; deterministic for a fixed ``seed``."""
    if loaded.task != "next_token":
        raise InputError(f"{loaded.name} cannot generate text: use the decoder.")
    max_new_tokens = validate.integer(max_new_tokens, "Words to generate (max new tokens)", lo=1, hi=MAX_NEW_TOKENS)
    temperature = validate.real(temperature, "temperature", lo=0.0, hi=10.0)
    top_k = validate.integer(top_k, "top-k", lo=0, hi=len(loaded.vocab))
    top_p = validate.real(top_p, "top-p", lo=0.0, hi=1.0, lo_open=True)
    seed = validate.integer(seed, "seed", lo=0, hi=2**63 - 1)
    options = run_options(loaded, head_mask, attention_temperature, softmax)

    model = loaded.model
    encoded = encode(prompt, loaded.vocab, max_tokens=model.cfg.n_positions, add_bos=True)
    room = model.cfg.n_positions - len(encoded.ids)
    if room <= 0:
        raise InputError(f"The prompt fills the model's {model.cfg.n_positions}-token context: shorten it.")
    generator = torch.Generator().manual_seed(seed)  # local: never touches the global RNG
    banned = torch.tensor(loaded.vocab.ids((PAD, UNK, MASK, BOS)))
    ids = list(encoded.ids)
    new, probs = [], []
    for _ in range(min(max_new_tokens, room)):
        x = torch.tensor([ids], device=model.device)  # (1, T)
        logits = model(x, options=options).logits[0, -1].float().cpu()  # (V,) scores for the next word
        logits[banned] = float("-inf")
        if temperature == 0.0:  # greedy
            choice = int(logits.argmax())
            p = float(torch.softmax(logits, dim=-1)[choice])
        else:
            filtered = filter_logits(logits / temperature, top_k, top_p)  # z / T, then top-k, top-p
            dist = torch.softmax(filtered, dim=-1)
            choice = int(torch.multinomial(dist, 1, generator=generator))
            p = float(dist[choice])
        ids.append(choice)
        new.append(loaded.vocab.words[choice])
        probs.append(round(p, 4))
        if new[-1] == EOS:
            break
    words = [t for t in (*encoded.tokens, *new) if t not in (BOS, EOS)]
    return Generation(encoded.tokens, tuple(new), tuple(probs), encoded.unknown, " ".join(words))
