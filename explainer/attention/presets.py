"""Example sentences for the Attention tab, and the vocabulary the shipped models read.

Each preset is a sentence that shows a long-range link a model learned (subject–verb
agreement across a clause, a repeated name, brackets), with the heads that change the
prediction when switched off — found by switching off each head in turn.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import language


@dataclass(frozen=True)
class Preset:
    name: str
    text: str
    off: tuple[str, ...] = ()  # heads to switch off that change this prediction (found by trying each)


PRESETS = {
    "masked": (
        Preset("agreement across a relative clause", "the dogs that the girl sees [MASK] .", ("L0H1",)),
        Preset("agreement, singular subject", "the dog that the girls see [MASK] .", ("L0H2",)),
        Preset("agreement past a prepositional phrase", "the king near the foxes [MASK] .", ("L0H3",)),
        Preset("repeated name", "when alice meets bob in the park , [MASK] smiles .", ("L1H1",)),
        Preset("brackets", "bob says ( the cats run [MASK] .", ("L0H0",)),
    ),
    "next_token": (
        Preset("repeated name", "when alice meets bob in the park ,", ("L0H3",)),
        Preset("agreement across a relative clause", "the dogs that the girl sees", ("L1H2", "L1H3")),
        Preset("brackets", "bob says [ the cats run", ("L0H3",)),
    ),
    "reverse": (
        Preset("digits of π", "31415926", ("L0H0", "L0H1")),
        Preset("counting up", "12345678", ("L0H0", "L0H1")),
        Preset("one digit differs", "77777707", ("L0H0", "L0H1")),
    ),
    "hf": (
        Preset("agreement across a relative clause", "The dogs that the girl sees run."),
        Preset("repeated name", "When Alice meets Bob in the park, Alice smiles."),
        Preset("brackets", "Bob says (the cats run)."),
    ),
}


def vocabulary_markdown() -> str:
    """Markdown listing every word the shipped encoder and decoder know, by kind."""
    def words(pairs):
        return ", ".join(w for pair in pairs for w in pair)

    groups = [
        ("People and animals (singular, plural)", words(language.ANIMATE)),
        ("Things", words(language.THINGS)),
        ("Verbs without an object (singular, plural)", words(language.INTRANSITIVE)),
        ("Verbs with an object (singular, plural)", words(language.TRANSITIVE)),
        ("Names", ", ".join(language.NAMES)), ("Adjectives", ", ".join(language.ADJECTIVES)),
        ("Places", ", ".join(language.PLACES)), ("Prepositions", ", ".join(language.PREPOSITIONS)),
        ("Other words and punctuation", " ".join(f"`{w}`" for w in language.FUNCTION_WORDS)),
        ("Brackets and quotes", " ".join(f"`{b[0]} {b[1]}`" for b in language.BRACKETS)),
        ("Special tokens", "`[MASK]` (a word to fill in), `[UNK]` (unknown), `[BOS]` / `[EOS]` (start / end)"),
    ]
    lines = [f"**{name}:** {items}" for name, items in groups]
    lines.append("**Reversal model:** the digits 0–9; type exactly 8 of them.")
    return "The encoder and decoder read lower-case words of a small generated language:\n\n" + "\n\n".join(lines)
