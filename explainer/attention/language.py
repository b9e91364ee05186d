"""A tiny word-level language with long-range dependencies that attention heads can learn.

Real text is too big to learn on a laptop CPU in seconds, so this module generates its own
sentences from a small grammar (≈300 words) built around three dependencies, each of which
a head can solve by attending from one token back to another far away:

* **Subject–verb number agreement across a relative clause** (the classic probe of Linzen
  et al. 2016): "the dogs that the girl sees run ." — the verb *run* must agree with *dogs*,
  not with the nearer *girl* (an "attractor" of the other number).
* **A repeated name**: "when alice meets bob in the park , alice smiles ." — the name after
  the comma always repeats the first name, so predicting it means copying from far back.
* **Paired brackets and quotes**: "bob says ( the cats run ) ." — a closing bracket must
  match its opening one, possibly nested (but never a quote inside a quote, which would
  make '"' ambiguous).

Every generated :class:`Sentence` carries its :class:`Dependency` annotations (which token
depends on which), so accuracies and head labels are *measured* on held-out data rather
than asserted. Generation uses a local ``random.Random(seed)``: same seed, same sentences.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

SG, PL = 0, 1  # grammatical number

# (singular, plural) pairs.
ANIMATE = (
    ("dog", "dogs"), ("cat", "cats"), ("girl", "girls"), ("boy", "boys"), ("teacher", "teachers"),
    ("farmer", "farmers"), ("bird", "birds"), ("horse", "horses"), ("king", "kings"),
    ("queen", "queens"), ("child", "children"), ("man", "men"), ("woman", "women"),
    ("doctor", "doctors"), ("student", "students"), ("baker", "bakers"), ("pilot", "pilots"),
    ("singer", "singers"), ("writer", "writers"), ("painter", "painters"), ("wolf", "wolves"),
    ("fox", "foxes"), ("mouse", "mice"), ("lion", "lions"), ("rabbit", "rabbits"),
    ("sailor", "sailors"), ("soldier", "soldiers"), ("nurse", "nurses"), ("friend", "friends"),
    ("neighbor", "neighbors"), ("cook", "cooks"), ("judge", "judges"),
)
THINGS = (
    ("ball", "balls"), ("book", "books"), ("apple", "apples"), ("car", "cars"), ("letter", "letters"),
    ("song", "songs"), ("cake", "cakes"), ("box", "boxes"), ("hat", "hats"), ("key", "keys"),
    ("boat", "boats"), ("flower", "flowers"), ("picture", "pictures"), ("stone", "stones"),
    ("bell", "bells"), ("map", "maps"), ("cup", "cups"), ("lamp", "lamps"),
)
# (singular, plural) verb forms: "runs" agrees with one subject, "run" with many.
INTRANSITIVE = (
    ("runs", "run"), ("sleeps", "sleep"), ("sings", "sing"), ("laughs", "laugh"), ("smiles", "smile"),
    ("waits", "wait"), ("dances", "dance"), ("swims", "swim"), ("cries", "cry"), ("jumps", "jump"),
    ("falls", "fall"), ("works", "work"), ("shouts", "shout"), ("rests", "rest"), ("wins", "win"),
    ("leaves", "leave"), ("arrives", "arrive"), ("listens", "listen"),
)
TRANSITIVE = (
    ("sees", "see"), ("likes", "like"), ("helps", "help"), ("follows", "follow"), ("knows", "know"),
    ("finds", "find"), ("chases", "chase"), ("calls", "call"), ("loves", "love"), ("watches", "watch"),
    ("meets", "meet"), ("visits", "visit"), ("hears", "hear"), ("teaches", "teach"), ("paints", "paint"),
    ("carries", "carry"), ("wants", "want"), ("remembers", "remember"),
)
NAMES = (
    "alice", "bob", "carol", "dave", "emma", "frank", "grace", "henry", "iris", "jack", "kate", "leo",
    "mia", "nick", "olga", "paul", "rosa", "sam", "tina", "victor", "wendy", "zoe", "anna", "ben",
)
ADJECTIVES = (
    "big", "small", "old", "young", "happy", "sad", "red", "green", "quiet", "loud", "brave", "tired",
    "clever", "kind", "tall", "little",
)
PLACES = ("park", "garden", "house", "school", "river", "forest", "city", "market", "kitchen", "field")
PREPOSITIONS = ("near", "behind", "beside", "with")
BRACKETS = (("(", ")"), ("[", "]"), ("{", "}"), ('"', '"'))  # (opening, closing)
FUNCTION_WORDS = ("the", "that", "when", "in", "says", ",", ".")

# Special tokens shared by every model of this tab.
PAD, UNK, MASK, BOS, EOS = "[PAD]", "[UNK]", "[MASK]", "[BOS]", "[EOS]"
SPECIALS = (PAD, UNK, MASK, BOS, EOS)


def words() -> tuple[str, ...]:
    """Every word of the language once, in a fixed order (specials not included)."""
    seen: dict[str, None] = {}
    groups = (ANIMATE, THINGS, INTRANSITIVE, TRANSITIVE)
    for group in groups:
        for pair in group:
            seen.update(dict.fromkeys(pair))
    for group in (NAMES, ADJECTIVES, PLACES, PREPOSITIONS, FUNCTION_WORDS):
        seen.update(dict.fromkeys(group))
    for pair in BRACKETS:
        seen.update(dict.fromkeys(pair))
    return tuple(seen)


VERB_OTHER_FORM = {f: pair[1 - i] for pair in INTRANSITIVE + TRANSITIVE for i, f in enumerate(pair)}
CLOSERS = tuple(dict.fromkeys(close for _, close in BRACKETS))


@dataclass(frozen=True)
class Dependency:
    kind: str  # "agreement" | "name" | "bracket"
    target: int  # word index of the dependent token (verb, repeated name, closing bracket)
    source: int  # word index it depends on (subject noun, first mention, opening bracket)
    wrong: str = ""  # agreement only: the verb form with the other number
    attractor: bool = False  # agreement only: a noun of the other number sits in between


@dataclass(frozen=True)
class Sentence:
    words: tuple[str, ...]  # the sentence, ending with "."
    dependencies: tuple[Dependency, ...]  # long-range links, by word index


class _Builder:
    """Grows one sentence word by word, recording dependencies as it goes."""

    def __init__(self, rng: random.Random, max_depth: int):
        self.rng, self.max_depth = rng, max_depth
        self.out: list[str] = []
        self.deps: list[Dependency] = []
        self.quotes_open = 0  # a quote inside a quote would be ambiguous: " opens or closes?

    def bracket(self) -> tuple[str, str]:
        pairs = BRACKETS if not self.quotes_open else tuple(b for b in BRACKETS if b[0] != '"')
        return self.rng.choice(pairs)

    def emit(self, word: str) -> int:
        self.out.append(word)
        return len(self.out) - 1

    def noun_phrase(self, number: int, nouns=ANIMATE) -> int:
        """ "the [adjective] noun"; returns the index of the head noun."""
        self.emit("the")
        if self.rng.random() < 0.3:
            self.emit(self.rng.choice(ADJECTIVES))
        return self.emit(self.rng.choice(nouns)[number])

    def agreement_clause(self, depth: int) -> None:
        rng = self.rng
        number = rng.randrange(2)
        subject = self.noun_phrase(number)
        attractor = False
        roll = rng.random()
        if roll < 0.7:  # relative clause, sometimes bracketed
            bracket = self.bracket() if rng.random() < 0.2 else None
            opened = self.emit(bracket[0]) if bracket else -1
            self.emit("that")
            inner = rng.randrange(2)
            if rng.random() < 0.6:  # object relative: "that the girl sees"
                inner_subject = self.noun_phrase(inner)
                verb = rng.choice(TRANSITIVE)
                self.deps.append(Dependency("agreement", self.emit(verb[inner]), inner_subject, verb[1 - inner]))
            else:  # subject relative: "that sees the girl"
                verb = rng.choice(TRANSITIVE)
                self.deps.append(Dependency("agreement", self.emit(verb[number]), subject, verb[1 - number]))
                self.noun_phrase(inner, nouns=ANIMATE if rng.random() < 0.7 else THINGS)
            attractor = inner != number
            if bracket:
                self.deps.append(Dependency("bracket", self.emit(bracket[1]), opened))
        elif roll < 0.85:  # prepositional attractor: "the dogs near the cat"
            self.emit(rng.choice(PREPOSITIONS))
            inner = rng.randrange(2)
            self.noun_phrase(inner, nouns=ANIMATE if rng.random() < 0.5 else THINGS)
            attractor = inner != number
        verb = rng.choice(INTRANSITIVE + TRANSITIVE)
        target = self.emit(verb[number])
        self.deps.append(Dependency("agreement", target, subject, verb[1 - number], attractor))
        if verb in TRANSITIVE:
            self.noun_phrase(rng.randrange(2), nouns=ANIMATE if rng.random() < 0.5 else THINGS)
        if rng.random() < 0.2:
            self.emit("in")
            self.emit("the")
            self.emit(rng.choice(PLACES))

    def name_clause(self, depth: int) -> None:
        rng = self.rng
        name, other = rng.sample(NAMES, 2)
        self.emit("when")
        first = self.emit(name)
        self.emit(rng.choice(TRANSITIVE)[SG])
        if rng.random() < 0.6:
            self.emit(other)  # a distractor name: the copy must skip it
        else:
            self.noun_phrase(rng.randrange(2), nouns=ANIMATE if rng.random() < 0.5 else THINGS)
        if rng.random() < 0.4:
            self.emit("in")
            self.emit("the")
            self.emit(rng.choice(PLACES))
        self.emit(",")
        self.deps.append(Dependency("name", self.emit(name), first))
        self.emit(rng.choice(INTRANSITIVE)[SG])

    def quote_clause(self, depth: int) -> None:
        opening, closing = self.bracket()
        self.emit(self.rng.choice(NAMES))
        self.emit("says")
        opened = self.emit(opening)
        self.quotes_open += opening == '"'
        self.clause(depth + 1)
        self.quotes_open -= opening == '"'
        self.deps.append(Dependency("bracket", self.emit(closing), opened))

    def clause(self, depth: int = 0) -> None:
        roll = self.rng.random()
        if roll < 0.5 or (roll >= 0.75 and depth >= self.max_depth):
            self.agreement_clause(depth)
        elif roll < 0.75:
            self.name_clause(depth)
        else:
            self.quote_clause(depth)


def sentence(rng: random.Random, *, max_words: int = 30, max_depth: int = 2) -> Sentence:
    """One random sentence of at most ``max_words`` words (resampled until it fits)."""
    while True:
        builder = _Builder(rng, max_depth)
        builder.clause()
        builder.emit(".")
        if len(builder.out) <= max_words:
            return Sentence(tuple(builder.out), tuple(builder.deps))


def corpus(n: int, seed: int, *, max_words: int = 30, exclude: set | None = None) -> list[Sentence]:
    """``n`` sentences from ``random.Random(seed)``; ``exclude`` drops sentences seen in training."""
    rng = random.Random(seed)
    out: list[Sentence] = []
    while len(out) < n:
        s = sentence(rng, max_words=max_words)
        if exclude is None or s.words not in exclude:
            out.append(s)
    return out
