"""Tokenizer and vocabulary: text → word tokens → integer ids, and back.

Each model of this tab reads whole words (and punctuation marks) from a closed vocabulary,
like the word-level models that preceded sub-word tokenizers. Words outside the vocabulary
are never dropped silently: they become ``[UNK]`` *and* are listed in
:attr:`Encoded.unknown`, so the interface can tell the person which words it did not know.
Text longer than the model's context raises :class:`~explainer.validate.InputError`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from explainer.validate import InputError

from .language import BOS, EOS, MASK, PAD, SPECIALS, UNK

# "[MASK]" (any case) is one token; otherwise runs of letters/digits, or a single symbol.
_TOKEN = re.compile(r"\[[A-Za-z]+\]|[A-Za-z0-9]+|[^\sA-Za-z0-9]")
_QUOTES = str.maketrans({"“": '"', "”": '"', "«": '"', "»": '"', "’": "'", "‘": "'"})
MAX_TEXT_CHARS = 2000  # refuse to even split longer text


@dataclass(frozen=True)
class Encoded:
    tokens: tuple[str, ...]  # what the model sees, specials included (unknown words shown as [UNK])
    ids: tuple[int, ...]  # one integer id per token
    unknown: tuple[str, ...]  # words of the input that are not in the vocabulary, in order


@dataclass(frozen=True)
class Vocabulary:
    words: tuple[str, ...]  # id -> token; the first entries are the special tokens
    index: dict[str, int] = field(init=False, repr=False, compare=False)  # token -> id

    def __post_init__(self):
        if len(set(self.words)) != len(self.words):
            raise ValueError("vocabulary has duplicate entries")
        object.__setattr__(self, "index", {w: i for i, w in enumerate(self.words)})

    @classmethod
    def from_words(cls, words) -> "Vocabulary":
        return cls(tuple(SPECIALS) + tuple(w for w in words if w not in SPECIALS))

    def __len__(self) -> int:
        return len(self.words)

    def id(self, token: str) -> int:
        return self.index[token]

    @property
    def pad_id(self) -> int:
        return self.index[PAD]

    def ids(self, tokens) -> list[int]:
        unk = self.index[UNK]
        return [self.index.get(t, unk) for t in tokens]

    def decode(self, ids) -> list[str]:
        return [self.words[int(i)] for i in ids]


def split_words(text: str) -> list[str]:
    """Lower-case and split into word / punctuation tokens; "[mask]" → "[MASK]"."""
    if not isinstance(text, str):
        raise InputError(f"text must be a string, got {type(text).__name__}.")
    if len(text) > MAX_TEXT_CHARS:
        raise InputError(f"The text has {len(text)} characters; give at most {MAX_TEXT_CHARS}.")
    out = []
    for piece in _TOKEN.findall(text.translate(_QUOTES)):
        out.append(piece.upper() if piece.startswith("[") and piece.endswith("]") else piece.lower())
    return out


def encode(
    text: str, vocab: Vocabulary, *, max_tokens: int, add_bos: bool = True, add_eos: bool = False
) -> Encoded:
    """Tokenize ``text`` for a model whose context holds ``max_tokens`` tokens.

    Raises InputError when the text is empty or, once [BOS]/[EOS] are added, longer than
    ``max_tokens``; the message says how many words to remove.
    """
    words = split_words(text)
    if not words:
        raise InputError("The text is empty: type a sentence, e.g. 'the dogs that the girl sees run .'")
    known = set(vocab.words) - {PAD, BOS, EOS}
    unknown = tuple(w for w in words if w not in known)
    tokens = ([BOS] if add_bos else []) + [w if w in known else UNK for w in words] + ([EOS] if add_eos else [])
    if len(tokens) > max_tokens:
        extra = len(tokens) - max_tokens
        raise InputError(
            f"The text is {len(words)} tokens long; this model reads at most "
            f"{max_tokens - add_bos - add_eos} (including punctuation). Remove {extra} word(s)."
        )
    return Encoded(tuple(tokens), tuple(vocab.ids(tokens)), unknown)


__all__ = ["Encoded", "Vocabulary", "encode", "split_words", "BOS", "EOS", "MASK", "PAD", "UNK"]
