"""Lessons: a short guided path through one tab, as data a presenter can edit.

One TOML file per tab in ``assets/lessons/`` (``<tab id>.toml``)::

    title = "Positional encodings in six steps"
    tab = "positional"                      # the tab's id (gr.Tab(id=...))

    [[steps]]
    title = "Every position is a set of clocks"
    view = "sinusoidal"                     # the sub-tab's id; "" for the tab's own controls
    text = "What to look at, in a sentence or two."
    set = { "Number of positions" = 64 }    # control label -> value, as the person would set it
    press = "Train / resume"                # optional: a button of the view to press after setting

A step names controls by the label the person sees, so a lesson reads like instructions. What a
step names is checked against the built app by :func:`demos.workshop.check_lessons` (and a test):
an unknown view, control or button, or a value the control would refuse, is an error there, not a
surprise in front of a room. This module only reads the files; it knows nothing about Gradio.
"""

from __future__ import annotations

import dataclasses
import tomllib
from pathlib import Path
from typing import Any

LESSONS = Path(__file__).resolve().parent.parent / "assets" / "lessons"
MIN_STEPS, MAX_STEPS = 5, 8  # a lesson is a short path: long enough to make a point, short enough to finish


@dataclasses.dataclass(frozen=True)
class Step:
    title: str  # shown above the text, and in the lesson's list of steps
    view: str  # sub-tab id ("" = the tab's own controls)
    text: str  # one or two sentences: what to look at
    set: dict[str, Any]  # control label -> value
    press: str = ""  # a button label to press once the controls are set ("" = none)


@dataclasses.dataclass(frozen=True)
class Lesson:
    tab: str  # the tab's id
    title: str
    steps: tuple[Step, ...]

    def as_json(self) -> dict[str, Any]:
        """What the page's script receives (see assets/static/workshop.js)."""
        return {"tab": self.tab, "title": self.title, "steps": [dataclasses.asdict(s) for s in self.steps]}


class LessonError(ValueError):
    """A lesson file that cannot be read as a lesson; the message names the file and the step."""


def _step(raw: Any, where: str) -> Step:
    if not isinstance(raw, dict):
        raise LessonError(f"{where}: a step must be a table with title, view, text and set.")
    unknown = set(raw) - {f.name for f in dataclasses.fields(Step)}
    if unknown:
        raise LessonError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}.")
    for key in ("title", "text"):
        if not isinstance(raw.get(key), str) or not raw[key].strip():
            raise LessonError(f"{where}: '{key}' must be a non-empty string.")
    settings = raw.get("set", {})
    if not isinstance(settings, dict):
        raise LessonError(f"{where}: 'set' must be a table of control label = value.")
    if not isinstance(raw.get("view", ""), str) or not isinstance(raw.get("press", ""), str):
        raise LessonError(f"{where}: 'view' and 'press' must be strings.")
    return Step(title=raw["title"].strip(), view=raw.get("view", ""), text=" ".join(raw["text"].split()),
                set=dict(settings), press=raw.get("press", ""))


def read_lesson(path: Path) -> Lesson:
    """One lesson file, checked for its shape (what it names is checked against the app elsewhere)."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise LessonError(f"{path.name}: not valid TOML ({exc}).") from None
    if not isinstance(raw.get("tab"), str) or not isinstance(raw.get("title"), str):
        raise LessonError(f"{path.name}: needs 'tab' (the tab's id) and 'title'.")
    steps = raw.get("steps", [])
    if not isinstance(steps, list) or not MIN_STEPS <= len(steps) <= MAX_STEPS:
        raise LessonError(f"{path.name}: a lesson has {MIN_STEPS} to {MAX_STEPS} steps, got "
                          f"{len(steps) if isinstance(steps, list) else 'none'}.")
    return Lesson(tab=raw["tab"], title=raw["title"].strip(),
                  steps=tuple(_step(s, f"{path.name}, step {i + 1}") for i, s in enumerate(steps)))


def read_lessons(folder: Path = LESSONS) -> dict[str, Lesson]:
    """Every lesson in ``folder``, keyed by tab id (one per tab)."""
    lessons: dict[str, Lesson] = {}
    for path in sorted(folder.glob("*.toml")):
        lesson = read_lesson(path)
        if lesson.tab in lessons:
            raise LessonError(f"{path.name}: a second lesson for tab '{lesson.tab}'.")
        lessons[lesson.tab] = lesson
    return lessons
