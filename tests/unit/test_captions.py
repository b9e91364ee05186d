"""Captions are honest: every word matches a measurement of the pixels, re-measured here independently."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from explainer.datasets import captions, digits
from explainer.validate import InputError


def independent_measures(image: np.ndarray) -> dict[str, float]:
    """Size, weight and slant of one image, by loops and np.cov (not the module's vectorised moments)."""
    inked = [image[r, c] for r in range(8) for c in range(8) if image[r, c] >= 0.25]
    rows, cols = np.mgrid[0:8, 0:8]
    cov = np.cov(np.stack([cols.ravel(), rows.ravel()]), aweights=image.ravel(), bias=True)  # [[xx, xy], [xy, yy]]
    return {"size": float(len(inked)), "weight": float(np.mean(inked)), "slant": float(-cov[0, 1] / cov[1, 1])}


@pytest.fixture(scope="module")
def test_split():
    return digits.load("test")


def test_measure_matches_an_independent_computation(test_split):
    got = captions.measure(test_split.images[:60])
    for i, image in enumerate(test_split.images[:60]):
        ref = independent_measures(image)
        for attr in captions.WORDS:
            assert got[attr][i] == pytest.approx(ref[attr], rel=1e-6, abs=1e-9), (i, attr)


def test_every_word_matches_the_measured_attribute(test_split):
    cuts = captions.thresholds()
    found = captions.words(test_split.images)
    for image, words in zip(test_split.images, found):
        ref = independent_measures(image)
        ref["slant"] = abs(ref["slant"])
        for attr, (low, high) in captions.WORDS.items():
            lo, hi = cuts[attr]
            expected = low if ref[attr] <= lo + 1e-12 else high if ref[attr] > hi + 1e-12 else None
            assert words.get(attr) == expected, (attr, ref[attr], (lo, hi), words)


def test_the_cuts_are_the_train_quantiles_so_each_word_covers_about_thirty_percent():
    train = digits.load("train")
    found = captions.words(train.images)
    for attr, pair in captions.WORDS.items():
        for word in pair:
            share = np.mean([w.get(attr) == word for w in found])
            assert 0.26 <= share <= 0.34, (attr, word, share)


def test_synthetic_strokes_get_the_right_words():
    upright = np.zeros((8, 8), np.float32)
    upright[:, 3:5] = 1.0  # a thick vertical bar
    leaning = np.zeros((8, 8), np.float32)
    for r in range(8):
        leaning[r, 6 - (6 * r) // 7] = 1.0  # a line whose top is to the right: "/"
    faint = upright * 0.5  # the same bar, half the ink: a thin pen
    m = captions.measure(np.stack([upright, leaning, faint]))
    assert m["slant"][0] == pytest.approx(0.0, abs=1e-9) and m["slant"][1] > 0.5  # "/" leans right: > 0
    words = captions.words(np.stack([upright, leaning, faint]))
    assert words[0]["slant"] == "upright" and words[1]["slant"] == "slanted"
    assert words[0]["weight"] == "thick" and words[2]["weight"] == "thin"
    assert m["size"][0] == 16 and words[0]["size"] == "small"  # 16 inked pixels: fewer than most digits


def test_describe_writes_the_label_and_the_words_with_the_right_article(test_split):
    texts = captions.describe(test_split.images, test_split.labels)
    found = captions.words(test_split.images)
    for text, label, words in zip(texts, test_split.labels, found):
        tokens = text.split()
        assert tokens[-1] == captions.DIGIT_NAMES[label]
        assert tokens[1:-1] == [words[a] for a in captions.WORDS if a in words]  # size, weight, slant order
        assert tokens[0] == ("an" if tokens[1][0] in "aeiou" else "a")
    assert captions.caption(8, {}) == "an eight" and captions.caption(7, {"slant": "upright"}) == "an upright seven"


def test_every_caption_and_phrasing_uses_only_the_vocabulary():
    options = [[{}, {a: w[0]}, {a: w[1]}] for a, w in captions.WORDS.items()]
    for k, combo in itertools.product(range(10), itertools.product(*options)):
        attrs = {key: v for part in combo for key, v in part.items()}
        for p in range(len(captions.PHRASINGS)):
            text = captions.phrase(k, attrs, p)
            assert set(text.split()) <= set(captions.VOCABULARY), text
            parsed = captions.parse(text)
            assert parsed.digit == k and parsed.attributes == attrs
    assert set(captions.tokenize("a photo of the digit seven")) <= set(captions.VOCABULARY)


def test_parse_reads_digit_and_attributes_case_and_punctuation_free():
    p = captions.parse("A THICK, slanted Seven!")
    assert p.digit == 7 and p.attributes == {"weight": "thick", "slant": "slanted"}
    assert captions.parse("a small one").attributes == {"size": "small"}
    assert captions.parse("thin").digit is None


@pytest.mark.parametrize("text", ["", "   ", "..."])
def test_parse_refuses_empty_text_and_lists_the_vocabulary(text):
    with pytest.raises(InputError) as err:
        captions.parse(text)
    assert "empty" in str(err.value) and all(w in str(err.value) for w in captions.VOCABULARY)


def test_parse_refuses_unknown_words_naming_them_and_the_vocabulary():
    with pytest.raises(InputError) as err:
        captions.parse("a fat seven dog")
    message = str(err.value)
    assert "'dog'" in message and "'fat'" in message
    assert all(w in message for w in captions.VOCABULARY)


@pytest.mark.parametrize("bad", ["a seven and a one", "a thin thick seven", "one two", None, 7, "seven " * 40,
                                 " ".join(["a"] * 13)])
def test_parse_refuses_contradictions_non_text_and_overlong_text(bad):
    with pytest.raises(InputError):
        captions.parse(bad)
