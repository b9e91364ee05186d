"""Workshop mode: lessons, links to a view, keyboard control and presenter mode, for every tab.

Nothing here is wired per tab. :func:`install` walks the finished app, gives every control an id
it can be found by, and writes a *manifest*: for each tab and sub-tab ("view"), its controls with
their type, range or choices and default. One script in the page (``assets/static/workshop.js``)
gets the manifest and the lessons (``demos.lessons``) and drives the page the way a person would:
it opens the tab and sub-tab, sets each control and fires the same input events a hand on the
mouse fires, so every view redraws through its own events. Lessons, links and keys therefore add
no server event and cannot drift from what the controls do.

URL parameters (``?tab=positional&view=alibi&number_of_heads=3``) use each control's *key*, a slug
of its label unique within its view; lessons name controls by label. :func:`coerce` is the one
rule for which values a control takes; the script applies the same rule to links, and falls back
to the default, with a notice, for anything stale.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from pathlib import Path
from typing import Any

import gradio as gr

from demos.lessons import Lesson, read_lessons

SCRIPT = Path(__file__).resolve().parent.parent / "assets" / "static" / "workshop.js"
CONTROLS = {gr.Slider: "slider", gr.Number: "number", gr.Checkbox: "checkbox", gr.CheckboxGroup: "checkboxgroup",
            gr.Radio: "radio", gr.Dropdown: "dropdown", gr.Textbox: "textbox"}
MAX_TEXT = 4000  # as demos.inputs: the longest text a control takes
RESERVED = {"tab", "view", "present", "step"}  # URL parameters that are not controls


def slug(label: str) -> str:
    """A control's URL key from its label: 'Number of positions' -> 'number_of_positions', 'z₁' -> 'z1'."""
    head = unicodedata.normalize("NFKC", label.split(" (")[0]).lower()
    return re.sub(r"\W+", "_", head).strip("_") or "value"


def _tab_chain(block: gr.blocks.Block) -> list[gr.Tab]:
    chain, parent = [], block.parent
    while parent is not None:
        if isinstance(parent, gr.Tab):
            chain.append(parent)
        parent = parent.parent
    return chain[::-1]  # outermost first


def _kind(block: Any) -> str | None:
    for cls, name in CONTROLS.items():
        if isinstance(block, cls):
            return name
    return None


def _describe(block: Any, kind: str) -> dict[str, Any]:
    spec: dict[str, Any] = {"id": block.elem_id, "type": kind, "label": block.label, "default": block.value}
    if kind == "slider":
        spec.update(min=block.minimum, max=block.maximum, step=block.step)
    elif kind == "number":
        spec.update(min=block.minimum, max=block.maximum, precision=block.precision)
    elif kind in ("radio", "dropdown", "checkboxgroup"):
        spec["choices"] = [[str(shown), value] for shown, value in block.choices]
        spec["custom"] = bool(getattr(block, "allow_custom_value", False))
    return spec


def manifest(app: gr.Blocks) -> dict[str, Any]:
    """Every tab's views and their controls, ids assigned where a control has none.

    ``{tab id: {"label": …, "views": {view id: {"label": …, "controls": {key: spec}}}}}``; the view
    ``""`` holds the controls of a tab outside its sub-tabs (the Attention tab's model and text).
    Hidden and read-only controls are left out: a person cannot set them either.
    """
    tabs: dict[str, Any] = {}
    for block in app.blocks.values():  # tabs and sub-tabs get an elem_id: the page finds their panels by it
        if isinstance(block, gr.Tab) and len(_tab_chain(block)) <= 1:
            block.elem_id = block.elem_id or f"tab-{block.id}"
            if not _tab_chain(block):
                tabs.setdefault(str(block.id), {"views": {}}).update(label=block.label, elem=block.elem_id)
    for block in app.blocks.values():
        if isinstance(block, gr.Tab) and len(_tab_chain(block)) == 1:
            top = str(_tab_chain(block)[0].id)
            tabs[top]["views"].setdefault(str(block.id), {"controls": {}}).update(label=block.label, elem=block.elem_id)
    for block in sorted(app.blocks.values(), key=lambda b: b._id):  # page order: keys are stable
        kind = _kind(block)
        if kind is None or block.visible is False or block.interactive is False or not block.label:
            continue
        chain = _tab_chain(block)
        if not chain or str(chain[0].id) not in tabs:
            continue
        top, view = str(chain[0].id), str(chain[1].id) if len(chain) > 1 else ""
        views = tabs[top]["views"]
        scope = views.setdefault(view, {"label": "", "elem": "", "controls": {}})["controls"]
        key, n = slug(block.label), 2
        taken = set(scope) | (set(views.get("", {}).get("controls", {})) if view else set())
        while key in taken or key in RESERVED:
            key, n = f"{slug(block.label)}_{n}", n + 1
        block.elem_id = block.elem_id or f"c-{top}-{view or 'tab'}-{key}"
        scope[key] = _describe(block, kind)
    return tabs


def find_control(views: dict[str, Any], view: str, name: str) -> tuple[str, dict[str, Any]]:
    """The control a lesson or link names (by key or by label) in ``view``, else among the tab's own."""
    for scope in (view, ""):
        controls = views.get(scope, {}).get("controls", {})
        if name in controls:
            return name, controls[name]
        matches = [(k, c) for k, c in controls.items() if c["label"] == name]
        if len(matches) == 1:
            return matches[0]
    raise ValueError(f"no control '{name}' in view '{view}'")


def _number(spec: dict[str, Any], value: Any) -> float:
    if isinstance(value, bool):
        raise ValueError("a number is needed")
    number = float(value)
    if not math.isfinite(number):
        raise ValueError("a finite number is needed")
    lo, hi = spec.get("min"), spec.get("max")
    if (lo is not None and number < lo) or (hi is not None and number > hi):
        raise ValueError(f"{number:g} is outside {lo:g} … {hi:g}")
    if spec.get("step"):
        steps = (number - (lo or 0)) / spec["step"]
        if abs(steps - round(steps)) > 1e-6:
            raise ValueError(f"{number:g} is not on the slider's step of {spec['step']:g}")
    if spec.get("precision") == 0 or (spec.get("step") and float(spec["step"]).is_integer() and number.is_integer()):
        return int(number)
    return number


def _choice(spec: dict[str, Any], value: Any) -> Any:
    for shown, real in spec["choices"]:
        if value == real or str(value) == str(real) or str(value) == shown:
            return real
    if spec.get("custom") and isinstance(value, (str, int, float)) and not isinstance(value, bool):
        return value
    raise ValueError(f"'{value}' is not one of {', '.join(str(r) for _, r in spec['choices'])}")


def coerce(spec: dict[str, Any], value: Any) -> Any:
    """The value a control takes for ``value`` (a lesson's value or a link's text); ValueError if none."""
    kind = spec["type"]
    if kind in ("slider", "number"):
        return _number(spec, value)
    if kind == "checkbox":
        if isinstance(value, bool):
            return value
        if str(value).lower() in ("1", "true", "yes", "on", "0", "false", "no", "off"):
            return str(value).lower() in ("1", "true", "yes", "on")
        raise ValueError("use true or false")
    if kind == "checkboxgroup":
        items = value if isinstance(value, list) else [v for v in str(value).split(",") if v]
        return [_choice(spec, v) for v in items]
    if kind in ("radio", "dropdown"):
        return _choice(spec, value)
    if not isinstance(value, str) or len(value) > MAX_TEXT:
        raise ValueError(f"text of at most {MAX_TEXT} characters is needed")
    return value


def check_lessons(tabs: dict[str, Any], lessons: dict[str, Lesson]) -> list[str]:
    """Everything a lesson names that the app does not have: an empty list when every step is valid."""
    problems = []
    for lesson in lessons.values():
        if lesson.tab not in tabs:
            problems.append(f"lesson '{lesson.title}': no tab '{lesson.tab}'")
            continue
        views = tabs[lesson.tab]["views"]
        for i, step in enumerate(lesson.steps, 1):
            where = f"{lesson.tab} step {i} ({step.title})"
            if step.view and step.view not in views:
                problems.append(f"{where}: no view '{step.view}' (views: {', '.join(v for v in views if v)})")
                continue
            for name, value in step.set.items():
                try:
                    coerce(find_control(views, step.view, name)[1], value)
                except (ValueError, TypeError) as exc:
                    problems.append(f"{where}: {name} = {value!r}: {exc}")
    return problems


def install(app: gr.Blocks, *, present: bool = False) -> gr.HTML:
    """Add the workshop bar to the finished ``app`` (call inside ``with app:``, after every tab)."""
    tabs = manifest(app)
    lessons = read_lessons()
    problems = check_lessons(tabs, lessons)
    if problems:  # a lesson a presenter broke: say what, rather than fail in front of a room
        raise ValueError("lessons name things the app does not have:\n" + "\n".join(problems))
    data = {"tabs": tabs, "lessons": {t: lesson.as_json() for t, lesson in lessons.items()}, "present": present}
    script = SCRIPT.read_text(encoding="utf-8").replace("__WORKSHOP_DATA__", json.dumps(data, default=str))
    return gr.HTML("", elem_id="workshop", js_on_load=script, container=False, padding=False)
