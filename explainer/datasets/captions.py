"""Honest captions for the 8×8 digits: the label's name plus words *measured* from the pixels.

A text-to-image model needs (image, text) pairs. We have labels only, so our code writes
the text: "a large thick slanted seven". Every attribute word comes from a measurement of
the image's ink, with thresholds set from quantiles of the train split, so a caption is a
true description of its pixels, never a guess:

* **size** — the area the ink covers: the number of pixels with ink ≥ INKED (¼). (The height
  of the ink's bounding box cannot serve: the data set's preprocessing scaled every digit to
  the full 8 rows, so all heights are 8.) Bottom 30 % of the train split: "small"; top 30 %:
  "large".
* **weight** — how dark the stroke is where there is ink: the mean ink of the inked pixels.
  A pixel counts the ink dots of a 4 × 4 block of the original 32 × 32 scan, so a thin pen
  stroke half-covers its blocks (≈ 0.6) and a thick one fills them (≈ 0.9). Bottom 30 %:
  "thin"; top 30 %: "thick".
* **slant** — the shear of the ink's principal axis: with ink-weighted moments,
  slant = −cov(x, y) / var(y) (columns x to the right, rows y downward), the horizontal shift
  of the stroke per row going up: 0 for an upright digit, > 0 when its top leans right. The
  word uses its size |slant|: the 30 % most upright are "upright", the 30 % least are "slanted".

The 40 % in between get no word ("a seven" is the caption of a middling seven), so no word
is ever applied to a borderline case. :data:`VOCABULARY` holds every word a caption, a
training phrasing or a typed query may use; :func:`parse` refuses anything else.

Typical use::

    from explainer.datasets import captions, digits
    test = digits.load("test")
    captions.describe(test.images[:3], test.labels[:3])   # ['a thin seven', 'a large thick slanted two', …]
    captions.parse("a photo of the digit seven")          # Parsed(digit=7, attributes={})
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

import numpy as np

from explainer.datasets import digits
from explainer.validate import InputError

DIGIT_NAMES = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
INKED = 0.25  # a pixel "has ink" from this level on (4 of its 16 dots)
LOW, HIGH = 0.30, 0.70  # train-split quantiles: below LOW the low word, above HIGH the high word
# attribute -> (word for low values, word for high values), in caption order (size, weight, slant)
WORDS = {"size": ("small", "large"), "weight": ("thin", "thick"), "slant": ("upright", "slanted")}
# Words that carry no attribute: articles and the phrasings of training and of zero-shot prompts.
FILLER = ("a", "an", "the", "photo", "of", "digit")
VOCABULARY: tuple[str, ...] = FILLER + tuple(w for pair in WORDS.values() for w in pair) + DIGIT_NAMES
# How a caption is phrased in training (one drawn per example; {caption} is describe()'s text,
# {adjectives} its attribute words, {digit} the name). The zero-shot prompt "a photo of the digit
# seven" uses only words these phrasings taught, as CLIP's prompts echo its web captions.
PHRASINGS = ("{caption}", "a photo of {caption}", "the {adjectives} digit {digit}")
MAX_WORDS = 12  # a query longer than this is refused (the text encoder has this many positions)
MAX_CHARS = 120  # a query longer than this is refused before it is even split


def _moments(images: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Ink-weighted var(y), cov(x, y) and total ink of each image (N,) — y is the row, downward."""
    ys, xs = np.mgrid[0:digits.SIDE, 0:digits.SIDE].astype(np.float64)
    mass = images.sum((1, 2)) + 1e-9  # (N,) total ink
    cy = (images * ys).sum((1, 2)) / mass
    cx = (images * xs).sum((1, 2)) / mass
    dy, dx = ys - cy[:, None, None], xs - cx[:, None, None]  # (N, 8, 8)
    return (images * dy * dy).sum((1, 2)) / mass, (images * dx * dy).sum((1, 2)) / mass, mass


def _as_images(images) -> np.ndarray:
    x = np.asarray(images.detach().cpu() if hasattr(images, "detach") else images, np.float64)
    if x.ndim != 3 or x.shape[1:] != (digits.SIDE, digits.SIDE):
        raise ValueError(f"expected images of shape (N, 8, 8), got {x.shape}")
    return x


def measure(images) -> dict[str, np.ndarray]:
    """Raw attributes of images (N, 8, 8) in [0, 1]: {"size", "weight", "slant"}, each (N,) float."""
    x = _as_images(images)
    inked = x >= INKED  # (N, 8, 8)
    area = inked.sum((1, 2))  # (N,) pixels with ink
    var_y, cov_xy, _ = _moments(x)
    return {
        "size": area.astype(np.float64),  # inked pixels (of 64)
        "weight": (x * inked).sum((1, 2)) / np.maximum(area, 1),  # mean ink of the inked pixels, in [¼, 1]
        "slant": -cov_xy / np.maximum(var_y, 1e-9),  # columns of shift per row going up (> 0: leans right)
    }


@functools.cache
def thresholds() -> dict[str, tuple[float, float]]:
    """(low, high) cut of each attribute: the LOW and HIGH quantiles over the train split."""
    m = measure(digits.load("train").images)
    m["slant"] = np.abs(m["slant"])  # the slant words judge its size, either direction
    return {k: (float(np.quantile(v, LOW)), float(np.quantile(v, HIGH))) for k, v in m.items()}


def words(images) -> list[dict[str, str]]:
    """The attribute words of each image, e.g. {"size": "large", "slant": "slanted"} (middle values: no key)."""
    m = measure(images)
    m["slant"] = np.abs(m["slant"])
    cuts = thresholds()
    out: list[dict[str, str]] = [{} for _ in range(len(m["size"]))]
    for attr, (low_word, high_word) in WORDS.items():
        lo, hi = cuts[attr]
        for i, v in enumerate(m[attr]):
            if v <= lo:  # ties at a cut go to the extreme word: on the size's integer counts the quantile
                out[i][attr] = low_word  # is itself a count, and "≤ the 30 % quantile" is the bottom 30 %
            elif v > hi:
                out[i][attr] = high_word
    return out


def article(word: str) -> str:
    return "an" if word[0] in "aeiou" else "a"


def caption(digit: int, attributes: dict[str, str]) -> str:
    """The canonical caption of one digit with these attribute words: 'a large thick slanted seven'."""
    adjectives = [attributes[a] for a in WORDS if a in attributes]
    first = (adjectives or [DIGIT_NAMES[digit]])[0]
    return " ".join([article(first), *adjectives, DIGIT_NAMES[digit]])


def describe(images, labels) -> list[str]:
    """The caption of each image (N, 8, 8) with its label (N,): the label's name and its measured words."""
    labels = np.asarray(labels).astype(int).ravel()
    found = words(images)
    if len(labels) != len(found):
        raise ValueError(f"{len(found)} images but {len(labels)} labels")
    return [caption(int(k), w) for k, w in zip(labels, found)]


def phrase(digit: int, attributes: dict[str, str], phrasing: int) -> str:
    """One training phrasing (an index into PHRASINGS) of a digit with its attribute words."""
    adjectives = " ".join(attributes[a] for a in WORDS if a in attributes)
    text = PHRASINGS[phrasing].format(caption=caption(digit, attributes), adjectives=adjectives,
                                      digit=DIGIT_NAMES[digit])
    return " ".join(text.split())  # "the  digit seven" (no adjectives) -> single spaces


@dataclass(frozen=True)
class Parsed:
    """What a text says: the digit it names (or None) and its attribute words by attribute."""

    digit: int | None
    attributes: dict[str, str] = field(default_factory=dict)
    tokens: tuple[str, ...] = ()  # the words, lower-cased, in order


_WORD_OF = {w: attr for attr, pair in WORDS.items() for w in pair}


def vocabulary_text() -> str:
    return ", ".join(VOCABULARY)


def tokenize(text: object) -> tuple[str, ...]:
    """Lower-cased words of a text (commas, full stops and the like dropped); InputError on bad text."""
    if not isinstance(text, str):
        raise InputError(f"The text must be a string of words, got {type(text).__name__}.")
    if len(text) > MAX_CHARS:
        raise InputError(f"The text has {len(text):,} characters; use at most {MAX_CHARS} "
                         f"(a few words from: {vocabulary_text()}).")
    tokens = tuple(re.sub(r"[.,;:!?'\"()]", " ", text.lower()).split())
    if not tokens:
        raise InputError(f"The text is empty: type a few words from the vocabulary: {vocabulary_text()}.")
    unknown = sorted({t for t in tokens if t not in VOCABULARY})
    if unknown:
        shown = ", ".join(repr(u[:20]) for u in unknown[:5]) + (" …" if len(unknown) > 5 else "")
        raise InputError(f"Unknown word{'s' if len(unknown) > 1 else ''} {shown}: the captions use only "
                         f"these words: {vocabulary_text()}.")
    if len(tokens) > MAX_WORDS:
        raise InputError(f"The text has {len(tokens)} words; use at most {MAX_WORDS}.")
    return tokens


def parse(text: object) -> Parsed:
    """The digit and attribute words a text names; InputError on empty text, unknown words or a contradiction."""
    tokens = tokenize(text)
    named = sorted({DIGIT_NAMES.index(t) for t in tokens if t in DIGIT_NAMES})
    if len(named) > 1:
        raise InputError(f"The text names {len(named)} digits ({', '.join(DIGIT_NAMES[k] for k in named)}); "
                         "name at most one.")
    attributes: dict[str, str] = {}
    for t in tokens:
        attr = _WORD_OF.get(t)
        if attr is not None and attributes.setdefault(attr, t) != t:
            raise InputError(f"The text says both {attributes[attr]!r} and {t!r}; keep one of the {attr} words.")
    return Parsed(named[0] if named else None, attributes, tokens)
