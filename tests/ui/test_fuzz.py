"""Fuzzing every named event: whatever JSON a stranger sends, the reply is a result or a message
that says what to change — never a crash, a blank "Error", the generic message, or a traceback.

Issue 10 ("Fuzzing as tests"). For each ``api_name`` of the app ``python app.py`` builds (found
at collection time, so a new tab is covered without editing this file), hypothesis starts from
the event's default values and either replaces one or two inputs (never a ``gr.State``) with a
value the browser would never send — a wrong type, ±10**400, 1e308, NaN, inf, an empty or a
100 kB string, nested lists, a list of 10,000 items, a dict — or sends too few values. Each call
runs as the queue runs it (tests/ui/app_config.py ``call_event``: the input checks of
demos/inputs.py, each control's preprocess, the handler, postprocess), in a fresh session; a
stream is judged on its first frame. Each call must either succeed with no generic message in
its text outputs, or raise a ``gr.Error`` that

* is specific: not the generic "Something went wrong", not empty, at most 400 characters;
* is an expected refusal: ``print_exception=False`` (the queue logs the others with a traceback);
* names what to change: "This event takes N values …" for too few values; otherwise a control of
  the event (the mutated one, or another for a check that depends on both — see :func:`keys` for
  how a message may name one), or the very message the defaults already get (a refusal that
  depends on the session, e.g. "press Sample first");

and nothing may write a traceback (stderr, or a log record carrying one).

Known defects that belong to a tab's own code are listed in ``KNOWN``: the search tolerates them
(so it goes on finding others), and each is pinned by a strict xfail with a fixed reproducer, so
the suite stays green and a fix turns the xfail into a failure that asks for the entry to go.
Limits: ``gr.State`` inputs hold their initial value (a fresh session), so the paths behind
"press Sample first" are fuzzed only as far as that refusal.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import math
import re
import time
from typing import Any

import gradio as gr
import pytest
import torch
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from demos.inputs import Refused, _name
from tests.ui.app_config import GENERIC, call_event, defaults, named_events, run, texts

MAX_MESSAGE = 400  # characters a refusal may have (demos.inputs.refusal cuts there too)
EXAMPLES = 12  # hypothesis examples per event (deterministic: derandomize=True)
STATS: dict[str, Any] = {"calls": 0, "seconds": 0.0, "known": 0}


@functools.cache
def built_app() -> gr.Blocks:
    """The app as ``python app.py`` builds it, on the CPU, built once (collection needs its events)."""
    import app as app_module

    torch.set_num_threads(1)
    return app_module.build_app(torch.device("cpu"))


def events() -> dict[str, Any]:
    return {bf.api_name: bf for bf in named_events(built_app())}


def fuzzable(bf) -> list[int]:
    """Positions of the inputs a client sends (gr.State is filled in by the server)."""
    return [i for i, c in enumerate(bf.inputs) if not getattr(c, "stateful", False)]


# --- what a stranger may send -----------------------------------------------------------------

HUGE = 10**400
ODD_VALUES = [
    None, True, False, 0, -1, 1, 2**63, HUGE, -HUGE, 1e308, -1e308, 0.5, -0.0,
    math.nan, math.inf, -math.inf,
    "", " ", "abc", "12", "nan", "-1", "😀 héllo", "\x00", "[MASK]", "/etc/passwd", "x" * 4001,
    [], [1, 2], ["a"], [[1, 2], [3]], [[[]]], [None], [math.nan], [HUGE],
    {}, {"a": 1}, {"path": "/etc/passwd"}, {"background": None, "layers": [], "composite": None},
    {"background": {"path": "/etc/passwd"}, "layers": [{"path": "/etc/passwd"}], "composite": None},
]
BIG_VALUES = [  # built once: hypothesis would spend its budget generating them character by character
    "x" * 100_000, "8x8:" + "A" * 70_000, list(range(10_000)), ["a"] * 10_000,
    [[0] * 8] * 10_000, [[0] * 10_000] * 8, {str(i): i for i in range(10_000)},
]
values = st.one_of(
    st.sampled_from(ODD_VALUES),
    st.sampled_from(ODD_VALUES),
    st.sampled_from(BIG_VALUES),
    st.integers(),
    st.floats(),
    st.text(max_size=20),
    st.lists(st.one_of(st.integers(), st.text(max_size=3)), max_size=4),
)


@st.composite
def mutations(draw, bf) -> tuple[list, list[int] | None]:
    """The event's defaults with one or two inputs replaced (returns the positions), or too few values (None)."""
    inputs, positions = defaults(bf), fuzzable(bf)
    if draw(st.integers(0, 9)) == 0:
        return inputs[: draw(st.integers(0, len(inputs) - 1))], None
    chosen = draw(st.lists(st.sampled_from(positions), min_size=1, max_size=min(2, len(positions)), unique=True))
    for i in chosen:
        inputs[i] = draw(values)
    return inputs, chosen


# --- judging one reply ------------------------------------------------------------------------

TOKEN = re.compile(r"[\w₀-₉](?:[\w₀-₉-]*[\w₀-₉])?")  # a word, "top-k" and "m₁" included
PLAIN = {"with", "from", "that", "this", "than", "into", "each", "every", "press", "enter", "shown", "number", "value"}


def keys(control) -> set[str]:
    """How a message can name a control: its label; the label's head ("d_model" for "d_model (even)");
    a word of the label of 4+ characters that is not a plain one ("digits" of "8 digits to shuffle",
    "top-k" of "Words shown (top-k)", "mask" of "Text with [MASK]"); a symbol of it ("m₁", "τ": non-ASCII,
    or with a "_"); the last word of an unlabelled control's elem_id ("mask" for "diffusion-mask"); and
    its kind ("sketchpad"). Never "number": every numeric message has that word."""
    label = _name(control).lower()
    head = re.split(r" \(|:", label)[0].rstrip(" #.…")
    words = {w for w in TOKEN.findall(label) if (len(w) >= 4 and w not in PLAIN) or not w.isascii() or "_" in w}
    elem = str(getattr(control, "elem_id", None) or "")
    tail = {re.split(r"[-_]", elem)[-1].lower()} if elem and not getattr(control, "label", None) else set()
    return ({label, head, type(control).__name__.lower()} | words | tail) - {"", "number"}


@dataclasses.dataclass(frozen=True)
class Known:
    """A defect in a tab's own code, tolerated by the search and pinned by a strict xfail."""

    api_name: str
    symptoms: tuple[str, ...]  # pieces of what :func:`verdict` reports for it, all present
    reason: str  # what is wrong, and where the fix goes
    values: tuple = ()  # the reproducer: (position, value) pairs replacing defaults


KNOWN: tuple[Known, ...] = ()  # none left; a new one goes here with its reproducer


def reply(bf, inputs: list, app: gr.Blocks | None = None) -> tuple[list, BaseException | None]:
    """The frames of one call (a stream: its first), or what it raised."""
    start = time.monotonic()
    try:
        return run(call_event(app or built_app(), bf, inputs, max_frames=1)), None
    except Exception as exc:  # noqa: BLE001 - judged by the caller
        return [], exc
    finally:
        STATS["calls"] += 1
        STATS["seconds"] += time.monotonic() - start


def verdict(bf, frames: list, error: BaseException | None, mutated: list[int] | None, baseline: str | None) -> str | None:
    """None when the reply is a result or a good refusal; else what is wrong with it."""
    if error is None:
        generic = [t for frame in frames for t in texts(bf.outputs, frame) if GENERIC in t]
        return f"a text output says {generic[0][:200]!r}" if generic else None
    if not isinstance(error, gr.Error):  # reaches the person as a blank "Error", the log as a traceback
        return f"raised {type(error).__name__}: {str(error)[:200]}"
    message = str(error.message)
    if GENERIC in message or not message.strip():
        return f"gave the message {message[:200]!r}"
    if len(message) > MAX_MESSAGE:
        return f"gave a {len(message):,}-character message"
    if error.print_exception:
        return f"refused with print_exception=True (a traceback in the log): {message[:200]!r}"
    if mutated is None:
        return None if message.startswith("This event takes") else f"too few values gave {message[:200]!r}"
    if message == baseline or any(k in message.lower() for c in bf.inputs for k in keys(c)):
        return None
    return f"refused without naming a control: {message[:200]!r}"


def judge(bf, inputs: list, mutated: list[int] | None, baseline: str | None, *, tolerate: bool = True) -> str | None:
    """Call and judge; a defect listed in KNOWN for this event is tolerated (pinned by its own test)."""
    problem = verdict(bf, *reply(bf, inputs), mutated, baseline)
    if problem and tolerate and is_known(bf.api_name, problem):
        STATS["known"] += 1
        return None
    return problem


def is_known(api_name: str, problem: str) -> bool:
    return any(k.api_name == api_name and all(s in problem for s in k.symptoms) for k in KNOWN)


def shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else f"{text[:40]}… ({len(text):,} characters)"


def describe(bf, inputs: list, mutated: list[int] | None) -> str:
    if mutated is None:
        return f"{bf.api_name}: {len(inputs)} of {len(bf.inputs)} values"
    return f"{bf.api_name}: " + ", ".join(f"{_name(bf.inputs[i])!r} = {shown(inputs[i])}" for i in mutated)


def no_traceback(capfd, caplog) -> None:
    out, err = capfd.readouterr()
    assert "Traceback" not in out + err, (out + err)[-2000:]
    logged = [r for r in caplog.records if r.exc_info or "Traceback" in r.getMessage()]
    assert not logged, [f"{r.name}: {r.getMessage()[:200]}" for r in logged]
    caplog.clear()


@pytest.fixture(scope="module", autouse=True)
def report():
    yield
    print(f"\nfuzz: {STATS['calls']} calls over {len(events())} events in {STATS['seconds']:.1f} s of calls; "
          f"{STATS['known']} replies matched a KNOWN defect")


@pytest.mark.parametrize("api_name", sorted(events()))
def test_every_event_survives_odd_values(api_name, capfd, caplog):
    caplog.set_level(logging.INFO)
    bf = events()[api_name]
    frames, error = reply(bf, defaults(bf))
    baseline = str(error.message) if isinstance(error, gr.Error) else None  # e.g. "press Sample first"
    problem = verdict(bf, frames, error, [], baseline)
    if isinstance(error, Refused):  # the page's own values never fail the checks of its own controls
        problem = f"the input checks refuse the defaults: {baseline}"
    assert problem is None or is_known(api_name, problem), f"{api_name} at its defaults → {problem}"
    no_traceback(capfd, caplog)
    if not fuzzable(bf):
        return  # nothing a client sends: the call above is the whole event

    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None, print_blob=False,
              phases=[Phase.generate, Phase.shrink], suppress_health_check=list(HealthCheck))
    @given(mutations(bf))
    def fuzz(case):
        inputs, mutated = case
        problem = judge(bf, inputs, mutated, baseline)
        assert problem is None, f"{describe(bf, inputs, mutated)} → {problem}"
        no_traceback(capfd, caplog)

    fuzz()


@pytest.mark.parametrize("known", [pytest.param(k, id=k.api_name, marks=pytest.mark.xfail(strict=True, reason=k.reason))
                                   for k in KNOWN])
def test_known_defect_is_still_there(known):
    """Fails (xfail) while the defect is there; once fixed it passes, and strict xfail asks to drop the entry."""
    bf = events()[known.api_name]
    inputs = defaults(bf)
    for i, value in known.values:
        inputs[i] = value
    frames, error = reply(bf, defaults(bf))
    baseline = str(error.message) if isinstance(error, gr.Error) else None
    problem = judge(bf, inputs, [i for i, _ in known.values], baseline, tolerate=False)
    assert problem is None, problem


def test_the_verdict_tells_good_replies_from_bad_ones():
    """The judge itself, on a toy app: each kind of bad reply is caught, a good refusal is not."""
    from demos.inputs import CheckedBlocks

    def view(kind: str) -> str:
        replies = {"traceback": gr.Error("Kind: pick another."),  # print_exception left True
                   "generic": gr.Error(GENERIC + " here.", print_exception=False),
                   "long": gr.Error("Kind: " + "k" * 500, print_exception=False),
                   "anonymous": gr.Error("No.", print_exception=False),
                   "crash": ValueError("a blank Error for the person"),
                   "good": gr.Error("Kind must be 'ok'.", print_exception=False)}
        if kind in replies:
            raise replies[kind]
        return GENERIC if kind == "note" else kind

    with CheckedBlocks() as toy:
        kind, note = gr.Textbox(label="Kind"), gr.Markdown()
        kind.submit(view, kind, note, api_name="toy")
    bf = toy.fns[0]
    found = {k: verdict(bf, *reply(bf, [k], toy), [0], None) for k in
             ("ok", "good", "note", "traceback", "generic", "long", "anonymous", "crash")}
    assert found["ok"] is None and found["good"] is None, found
    assert all(found[k] for k in ("note", "traceback", "generic", "long", "anonymous", "crash")), found
    assert verdict(bf, *reply(bf, [], toy), None, None) is None  # too few values: "This event takes 1 values"
    assert verdict(bf, *reply(bf, ["anonymous"], toy), [0], "No.") is None  # what the defaults get is allowed


def test_a_traceback_in_the_log_is_caught(capfd, caplog):
    """The log check itself: a handler's unexpected failure is logged with its traceback, and flagged."""
    from demos.common import handler
    from demos.inputs import CheckedBlocks

    with CheckedBlocks() as toy:
        kind, note = gr.Textbox(label="Kind"), gr.Markdown()
        kind.submit(handler(lambda k: 1 / 0), kind, note, api_name="toy")
    frames, error = reply(toy.fns[0], ["x"], toy)
    assert GENERIC in error.message
    with pytest.raises(AssertionError, match="ZeroDivisionError|toy|lambda"):
        no_traceback(capfd, caplog)
