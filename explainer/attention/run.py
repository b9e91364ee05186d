"""Load the shipped models and run text through them: tokens, attention, every score.

This is the entry point the Attention tab (and a notebook) calls:

* :func:`load_model` — a shipped checkpoint → :class:`LoadedModel` (weights + vocabulary);
* :func:`run_text` — text → :class:`AttentionRun`: the tokens, attention of shape
  (layers, heads, T, T), and every intermediate of scaled dot-product attention
  (Vaswani et al. 2017): Q, K, V, QKᵀ, QKᵀ/√d_k, after mask/bias, softmax, weights·V;
* :func:`predict_masked` (BERT-style fill-in, Devlin et al. 2019), :func:`predict_next`
  (GPT-style, Radford et al. 2019) and :func:`predict_reversal`, each with head masks,
  an attention temperature τ and a softmax / softmax1 switch (Miller 2023).

Every function validates what a person typed and raises
:class:`~explainer.validate.InputError` with what to change. Nothing is stored on the
model, so one loaded model can serve many sessions at once.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path
from types import MappingProxyType
from typing import Callable, Mapping, Sequence

import numpy as np
import torch

from explainer import checkpoint, validate
from explainer.validate import InputError

from .language import BOS, EOS, MASK
from .model import LayerTrace, RunOptions, Transformer, TransformerConfig
from .softmax import SOFTMAX_KINDS
from .tokens import Encoded, Vocabulary, encode
from .training import KIND

TASKS = ("masked", "next_token", "reverse")


@dataclass(frozen=True)
class LoadedModel:
    name: str  # checkpoint name, e.g. "attention_decoder"
    model: Transformer  # eval mode, on its device; never modified after loading
    vocab: Vocabulary  # the ids it was trained with
    task: str  # "masked" (encoder), "next_token" (decoder) or "reverse" (digits)
    metrics: Mapping  # what its training run measured (read-only)

    @property
    def cfg(self) -> TransformerConfig:
        return self.model.cfg


@dataclass(frozen=True)
class Scores:
    """Every stage of attention for one input, as NumPy arrays with a leading layer axis."""

    q: np.ndarray  # (L, H, T, d_k) queries (rotated, for RoPE)
    k: np.ndarray  # (L, H, T, d_k) keys (rotated, for RoPE)
    v: np.ndarray  # (L, H, T, d_k) values
    raw: np.ndarray  # (L, H, T, T) Q Kᵀ
    scaled: np.ndarray  # (L, H, T, T) Q Kᵀ / √d_k
    logits: np.ndarray  # (L, H, T, T) + ALiBi bias, −inf on masked keys, / τ
    weights: np.ndarray  # (L, H, T, T) softmax (or softmax1) of the logits
    mixed: np.ndarray  # (L, H, T, d_k) weights · V for each head


@dataclass(frozen=True)
class AttentionRun:
    tokens: tuple[str, ...]  # the tokens the model read ([BOS] … [EOS], unknown words as [UNK])
    unknown: tuple[str, ...]  # words of the input missing from the vocabulary (shown as [UNK])
    attention: np.ndarray  # (L, H, T, T): row i = how query token i spreads its attention
    scores: Scores | None  # every intermediate (None for Hugging Face models)
    logits: np.ndarray | None  # (T, vocab) the model's output scores at every position


@dataclass(frozen=True)
class Guess:
    position: int  # token index the prediction is for ([MASK] position, or the last token)
    top: tuple[tuple[str, float], ...]  # the most probable words with their probabilities
    candidates: Mapping[str, float]  # probability of each word the caller asked about


@dataclass(frozen=True)
class Prediction:
    run: AttentionRun  # tokens, attention and scores of the same forward pass
    guesses: tuple[Guess, ...]  # one per [MASK] (encoder) or one for the next word (decoder)


def load_model(name: str, *, device: torch.device | str | None = None, directory: Path | None = None) -> LoadedModel:
    """Build a shipped model from ``assets/checkpoints/NAME.safetensors`` + ``NAME.json``."""
    ckpt = checkpoint.load(name, kind=KIND, directory=directory)
    config = dict(ckpt.config)
    vocab = Vocabulary(tuple(config.pop("vocab")))
    task = config.pop("task")
    names = {f.name for f in fields(TransformerConfig)}
    cfg = TransformerConfig(**{k: v for k, v in config.items() if k in names})
    model = Transformer(cfg)
    model.load_state_dict(ckpt.tensors)
    model.to(device or "cpu").eval()
    model.requires_grad_(False)
    return LoadedModel(name, model, vocab, task, MappingProxyType(dict(ckpt.metrics)))


def run_options(loaded: LoadedModel, head_mask=None, temperature: float = 1.0, softmax: str = "softmax") -> RunOptions:
    """Validate the knobs a person can turn and pack them into :class:`RunOptions`."""
    tau = validate.real(temperature, "attention temperature", lo=0.01, hi=100.0)
    if softmax not in SOFTMAX_KINDS:
        raise InputError(f"softmax must be one of {', '.join(SOFTMAX_KINDS)}, got {softmax!r}.")
    mask = None
    if head_mask is not None:
        shape = (loaded.cfg.n_layers, loaded.cfg.n_heads)
        try:
            array = np.asarray(head_mask, dtype=np.float32)
        except (TypeError, ValueError):
            raise InputError(f"head mask must be a {shape[0]}×{shape[1]} grid of 0/1 values.") from None
        if array.shape != shape or not np.all(np.isfinite(array)) or array.min() < 0 or array.max() > 1:
            raise InputError(
                f"head mask must be a {shape[0]}×{shape[1]} grid of values in [0, 1], got shape {array.shape}."
            )
        mask = torch.from_numpy(array)
    return RunOptions(head_mask=mask, temperature=tau, softmax=softmax)


def heads_off(loaded: LoadedModel, off: Sequence[tuple[int, int]]) -> np.ndarray:
    """A (layers, heads) head mask with the listed (layer, head) pairs switched off."""
    mask = np.ones((loaded.cfg.n_layers, loaded.cfg.n_heads), dtype=np.float32)
    for layer, head in off:
        layer = validate.integer(layer, "layer", lo=0, hi=loaded.cfg.n_layers - 1)
        head = validate.integer(head, "head", lo=0, hi=loaded.cfg.n_heads - 1)
        mask[layer, head] = 0.0
    return mask


def encode_text(loaded: LoadedModel, text: str) -> Encoded:
    """Tokenize for this model: words for the language models, single digits for reversal."""
    cap = loaded.cfg.n_positions
    if loaded.task == "reverse":
        if not isinstance(text, str):
            raise InputError(f"digits must be a string, got {type(text).__name__}.")
        n = cap - 2
        example = "3141592653589793238462643383279"[:n]
        if len(text) > 10 * cap:
            raise InputError(f"Type exactly {n} digits (0–9), like '{example}'; got {len(text)} characters.")
        digits = [c for c in text if not c.isspace() and c != ","]
        bad = tuple(dict.fromkeys(c for c in digits if c not in "0123456789"))
        if bad or len(digits) != n:
            found = f", including {' '.join(bad)}." if bad else "."
            raise InputError(f"Type exactly {n} digits (0–9), like '{example}'; got {len(digits)} characters{found}")
        tokens = (BOS, *digits, EOS)
        return Encoded(tokens, tuple(loaded.vocab.ids(tokens)), ())
    return encode(text, loaded.vocab, max_tokens=cap, add_bos=True, add_eos=loaded.task == "masked")


def _numpy(x: torch.Tensor) -> np.ndarray:
    return x.detach().float().cpu().numpy()


@torch.no_grad()
def _forward(loaded: LoadedModel, encoded: Encoded, options: RunOptions) -> AttentionRun:
    model = loaded.model
    ids = torch.tensor([encoded.ids], device=model.device)  # (1, T)
    out = model(ids, options=options, trace=True)
    traces: tuple[LayerTrace, ...] = out.traces or ()
    stacked = {f.name: _numpy(torch.stack([getattr(t, f.name)[0] for t in traces])) for f in fields(LayerTrace)}
    return AttentionRun(
        tokens=encoded.tokens,
        unknown=encoded.unknown,
        attention=_numpy(out.attention[0]),  # (L, H, T, T)
        scores=Scores(**stacked),
        logits=_numpy(out.logits[0]),  # (T, V)
    )


def run_text(
    loaded: LoadedModel, text: str, *, head_mask=None, temperature: float = 1.0, softmax: str = "softmax"
) -> AttentionRun:
    """Text → tokens, attention (L, H, T, T) and every intermediate score."""
    options = run_options(loaded, head_mask, temperature, softmax)
    return _forward(loaded, encode_text(loaded, text), options)


NEVER_GUESSED = ("[PAD]", "[MASK]", "[BOS]", "[UNK]")  # never a sensible answer ([EOS] is: "the sentence ends")


def _guess(loaded: LoadedModel, logits: np.ndarray, position: int, top_k: int, candidates: Sequence[str]) -> Guess:
    scores = torch.from_numpy(logits[position]).double()
    for special in NEVER_GUESSED:
        scores[loaded.vocab.id(special)] = float("-inf")
    probs = torch.softmax(scores, dim=-1)
    best = torch.topk(probs, top_k)
    top = tuple((loaded.vocab.words[i], round(float(p), 4)) for p, i in zip(best.values, best.indices))
    return Guess(position, top, MappingProxyType({w: round(float(probs[loaded.vocab.id(w)]), 4) for w in candidates}))


def _candidates(loaded: LoadedModel, candidates) -> tuple[str, ...]:
    if candidates is None:
        return ()
    if isinstance(candidates, str):
        candidates = candidates.replace(",", " ").split()
    stripped = (str(c).strip() for c in candidates)
    words = tuple(w if w in loaded.vocab.index else w.lower() for w in stripped if w)  # "[EOS]" stays upper case
    missing = [w for w in words if w not in loaded.vocab.index]
    if missing:
        raise InputError(f"Not in the model's vocabulary: {', '.join(missing)}. Pick words the model knows.")
    return words


def _prediction(loaded: LoadedModel, text: str, positions: Callable[[AttentionRun], list[int]], top_k,
                candidates, **options) -> Prediction:
    """Run ``text`` and guess the word at each position that ``positions(run)`` picks."""
    top_k = validate.integer(top_k, "top_k", lo=1, hi=50)
    words = _candidates(loaded, candidates)
    run = run_text(loaded, text, **options)
    return Prediction(run, tuple(_guess(loaded, run.logits, p, top_k, words) for p in positions(run)))


def _mask_positions(run: AttentionRun) -> list[int]:
    positions = [i for i, t in enumerate(run.tokens) if t == MASK]
    if not positions:
        raise InputError(
            "Put [MASK] where the model should fill in a word, e.g. 'the dogs that the girl sees [MASK] .'"
        )
    return positions


def predict_masked(loaded: LoadedModel, text: str, *, top_k: int = 5, candidates=None, head_mask=None,
                   temperature: float = 1.0, softmax: str = "softmax") -> Prediction:
    """Encoder: fill in every ``[MASK]`` of ``text``; ``candidates`` get their own probabilities."""
    if loaded.task != "masked":
        raise InputError(f"{loaded.name} is not a masked-language model: use the encoder for [MASK] filling.")
    return _prediction(loaded, text, _mask_positions, top_k, candidates,
                       head_mask=head_mask, temperature=temperature, softmax=softmax)


def predict_next(loaded: LoadedModel, text: str, *, top_k: int = 5, candidates=None, head_mask=None,
                 temperature: float = 1.0, softmax: str = "softmax") -> Prediction:
    """Decoder: the distribution of the word after ``text``."""
    if loaded.task != "next_token":
        raise InputError(f"{loaded.name} does not predict the next word: use the decoder.")
    return _prediction(loaded, text, lambda run: [len(run.tokens) - 1], top_k, candidates,
                       head_mask=head_mask, temperature=temperature, softmax=softmax)


@dataclass(frozen=True)
class Reversal:
    run: AttentionRun  # input tokens [BOS] d1 … dn [EOS], attention and scores
    output: tuple[str, ...]  # the model's answer at every position ([EOS] dn … d1 [BOS] when right)
    correct: bool  # is the whole sequence reversed exactly?


def predict_reversal(loaded: LoadedModel, digits: str, *, head_mask=None, temperature: float = 1.0,
                     softmax: str = "softmax") -> Reversal:
    """Reversal model: read ``digits`` and return its reversed output with the attention."""
    if loaded.task != "reverse":
        raise InputError(f"{loaded.name} is not a reversal model.")
    run = run_text(loaded, digits, head_mask=head_mask, temperature=temperature, softmax=softmax)
    output = tuple(loaded.vocab.decode(run.logits.argmax(axis=-1)))
    return Reversal(run, output, output == tuple(reversed(run.tokens)))


__all__ = [
    "TASKS", "LoadedModel", "Scores", "AttentionRun", "Guess", "Prediction", "Reversal", "load_model",
    "run_options", "heads_off", "encode_text", "run_text", "predict_masked", "predict_next", "predict_reversal",
]
