"""The generated language: its dependencies always hold, and the tokenizer reports what it drops."""

import random
from collections import Counter

import pytest

from explainer.attention import language
from explainer.attention.tokens import Vocabulary, encode, split_words
from explainer.validate import InputError

SENTENCES = language.corpus(3000, seed=123)

# Independent number lookup, from the word lists (not from the generator's annotations).
SINGULAR = {pair[0] for pair in language.ANIMATE + language.THINGS} | set(language.NAMES)
PLURAL = {pair[1] for pair in language.ANIMATE + language.THINGS}
SG_VERBS = {pair[0] for pair in language.INTRANSITIVE + language.TRANSITIVE}
PL_VERBS = {pair[1] for pair in language.INTRANSITIVE + language.TRANSITIVE}
OPEN_TO_CLOSE = dict(language.BRACKETS)


def test_vocabulary_is_a_few_hundred_distinct_words():
    words = language.words()
    assert 200 <= len(words) <= 400
    assert len(set(words)) == len(words)
    assert SINGULAR.isdisjoint(PLURAL) and SG_VERBS.isdisjoint(PL_VERBS)


def test_generation_is_deterministic_for_a_seed():
    a = [language.sentence(random.Random(5)) for _ in range(3)]
    b = [language.sentence(random.Random(5)) for _ in range(3)]
    assert a == b
    assert language.corpus(20, seed=1) != language.corpus(20, seed=2)


def test_agreement_always_holds_in_generated_data():
    checked = Counter()
    for s in SENTENCES:
        for d in s.dependencies:
            if d.kind != "agreement":
                continue
            subject, verb = s.words[d.source], s.words[d.target]
            assert (subject in PLURAL) == (verb in PL_VERBS), (s.words, subject, verb)
            assert (subject in SINGULAR) == (verb in SG_VERBS)
            assert d.wrong == language.VERB_OTHER_FORM[verb] and (d.wrong in PL_VERBS) != (verb in PL_VERBS)
            checked["long" if d.target - d.source > 3 else "short"] += 1
            checked["attractor"] += d.attractor
    assert checked["long"] > 500 and checked["attractor"] > 300  # enough hard cases to learn from


def test_every_main_verb_agrees_with_the_first_noun_phrase():
    """Re-derive agreement without annotations: in a plain agreement sentence, the last verb
    before the end (or before an object) must match the number of the sentence's first noun."""
    for s in SENTENCES:
        w = s.words
        if w[0] != "the":
            continue
        subject = next(x for x in w if x in SINGULAR or x in PLURAL)
        main = [d for d in s.dependencies if d.kind == "agreement" and d.source == w.index(subject)]
        assert main, w
        assert all((w[d.target] in PL_VERBS) == (subject in PLURAL) for d in main)


def test_attractors_really_have_the_other_number():
    for s in SENTENCES:
        for d in s.dependencies:
            if d.kind == "agreement" and d.attractor:
                between = s.words[d.source + 1 : d.target]
                nouns = SINGULAR - set(language.NAMES) if s.words[d.target] in PL_VERBS else PLURAL
                assert any(x in nouns for x in between), s.words


def test_repeated_names_and_brackets_match():
    kinds = Counter()
    for s in SENTENCES:
        stack = []
        for i, w in enumerate(s.words):  # independent bracket matcher (quotes open, then close)
            if w in OPEN_TO_CLOSE and not (w == '"' and stack and s.words[stack[-1]] == '"'):
                stack.append(i)
            elif w in OPEN_TO_CLOSE.values():
                opened = stack.pop()
                assert OPEN_TO_CLOSE[s.words[opened]] == w
                assert any(d.kind == "bracket" and (d.source, d.target) == (opened, i) for d in s.dependencies)
        assert not stack, s.words
        for d in s.dependencies:
            kinds[d.kind] += 1
            if d.kind == "name":
                assert s.words[d.target] == s.words[d.source] and s.words[d.target] in language.NAMES
        assert s.words[-1] == "." and len(s.words) <= 30
    assert min(kinds.values()) > 500


def test_tokenizer_reports_unknown_words_and_caps_length():
    vocab = Vocabulary.from_words(language.words())
    enc = encode("The dogs that the Zebra sees [mask] .", vocab, max_tokens=32)
    assert enc.tokens == ("[BOS]", "the", "dogs", "that", "the", "[UNK]", "sees", "[MASK]", ".")
    assert enc.unknown == ("zebra",)
    assert vocab.decode(enc.ids) == list(enc.tokens)
    assert split_words('bob says “ the cats run ” .') == ["bob", "says", '"', "the", "cats", "run", '"', "."]
    with pytest.raises(InputError, match="at most 6"):
        encode("the dog runs in the park .", vocab, max_tokens=8, add_eos=True)
    with pytest.raises(InputError, match="empty"):
        encode("   ", vocab, max_tokens=8)
    with pytest.raises(InputError):
        encode(None, vocab, max_tokens=8)
