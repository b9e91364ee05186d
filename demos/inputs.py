"""Every value an event receives is checked against its control before Gradio decodes it.

The browser only ever sends what a control can hold, but the API accepts any JSON: a list where
a dropdown expects a name, a 10 MB string, too few values, a drawing that points at a server
file. Gradio then fails deep inside a component with a TypeError and a traceback in the log (the
input echoed in full), and the person sees a blank "Error". :class:`CheckedBlocks` puts one cheap
check per control in front of that:

* too few values → "This event takes 4 values (Length, d_model, …); got 3.";
* a value of the wrong kind or size → "<control label> …, got <value cut to 40 characters>."
  (a choice not offered, a number outside the slider's range, a string where text goes, …);

each a ``gr.Error`` that is logged as one line, never as a traceback (an expected refusal), and
so is any ``gr.Error`` a control's own ``preprocess`` raises while decoding. A slider whose
``preprocess`` is Gradio's bound check (``gr.Slider``, :class:`demos.common.Slider`) is checked
here, range included; a subclass with a ``preprocess`` of its own (one that leaves the range to
the view's validator, with a note in the tab) checks its values itself.
"""

from __future__ import annotations

import logging
from typing import Any

import gradio as gr
from gradio import utils as gradio_utils

from demos import common
from explainer.validate import shown

log = logging.getLogger("explainer")

MAX_TEXT = 4000  # characters in one text field (the longest shipped example is under 200)
MAX_MARKUP = 64 * 1024  # characters of an HTML control's value (the drawing canvases send about 4 kB)
MAX_ITEMS = 4096  # numbers, strings… in an HTML control holding JSON (the 8×8 mask grid holds 64)
MAX_DEPTH = 4  # nesting of those lists
MAX_LAYERS = 8  # drawing layers of a Sketchpad / ImageEditor (ours use one)
# Controls whose preprocess is Gradio's "Value 9 is greater than maximum value 8." bound check: it
# names no control and logs a traceback, so the range is checked here first, with the label.
GRADIO_BOUNDS = {gr.Slider.preprocess, gr.Number.preprocess, common.Slider.preprocess, common.Number.preprocess}


class Refused(gr.Error):
    """A value refused by these checks (a gr.Error like any other to Gradio and to the person)."""


def refusal(message: str) -> Refused:
    """An expected refusal: shown to the person, logged as one line (no traceback)."""
    log.info("refused: %s", message[:200])
    return Refused(message[:400], print_exception=False)


def _name(control: Any) -> str:
    return str(getattr(control, "label", None) or getattr(control, "elem_id", None) or type(control).__name__)


def _choices(control: Any) -> list:
    return [c[1] if isinstance(c, (tuple, list)) else c for c in (control.choices or [])]


def _listed(control: Any) -> str:
    return ", ".join(map(str, _choices(control)))[:200]


def _scalar(value: Any) -> bool:
    return isinstance(value, (str, int, float)) and not isinstance(value, bool)


def _json_items(value: Any, depth: int = 0) -> int:
    """How many scalars ``value`` holds (MAX_ITEMS + 1 once over the cap, or nested too deep)."""
    if isinstance(value, (list, dict)):
        if depth >= MAX_DEPTH or len(value) > MAX_ITEMS:
            return MAX_ITEMS + 1
        total = 0
        for item in value.values() if isinstance(value, dict) else value:
            total += _json_items(item, depth + 1)
            if total > MAX_ITEMS:
                break
        return total
    return 1


def _uploaded(file: Any) -> bool:
    """A file reference a drawing may carry: a path inside Gradio's upload folder (no URL, no server file)."""
    if file is None:
        return True
    path = file.get("path") if isinstance(file, dict) else None
    if not isinstance(path, str) or len(path) > 1000 or "://" in path:
        return False
    return gradio_utils.is_in_or_equal(path, gradio_utils.get_upload_folder())


def _choice_problem(control: Any, value: Any) -> str | None:
    name = _name(control)
    if isinstance(control, (gr.Dropdown, gr.Radio)) and not getattr(control, "multiselect", False):
        custom = getattr(control, "allow_custom_value", False)
        if value is None and (isinstance(control, gr.Dropdown) or control.value is None):
            return None  # a radio the page shows with a choice made cannot be emptied again
        if _scalar(value) and (custom or value in _choices(control)):
            return None
        return f"{name}: {shown(value)} is not in the list of choices ({_listed(control)})."
    if isinstance(value, list) and all(_scalar(v) and v in _choices(control) for v in value):
        return None
    return f"{name}: send a list of choices ({_listed(control)}); {shown(value)} is not in the list of choices."


def _number_problem(control: Any, value: Any, decoded: bool) -> str | None:
    name = _name(control)
    gradio_bounds = type(control).preprocess in GRADIO_BOUNDS
    if isinstance(control, gr.Slider) and not (decoded and gradio_bounds):
        return None  # a page event's raw value gets a note; a slider with its own preprocess checks itself
    if value is None and isinstance(control, gr.Number):
        return None  # an empty box: its own preprocess or the view says what to enter
    if not common.finite(value):
        return f"{name} must be a finite number, got {shown(value)}."
    if decoded and gradio_bounds:
        lo, hi = control.minimum, control.maximum
        if lo is not None and value < lo:
            return f"{name}: {shown(value)} is less than minimum value {lo:g}."
        if hi is not None and value > hi:
            return f"{name}: {shown(value)} is greater than maximum value {hi:g}."
    return None


def problem(control: Any, value: Any, *, decoded: bool = True) -> str | None:
    """What is wrong with ``value`` for ``control``, as a message naming it (None: nothing we check is).

    ``decoded``: the event decodes its values (``preprocess=True``); a page event taking raw values
    gets only the checks that keep Gradio itself from failing."""
    name = _name(control)
    if isinstance(control, (gr.Dropdown, gr.Radio, gr.CheckboxGroup)):
        return _choice_problem(control, value)
    if isinstance(control, gr.Checkbox):
        return None if isinstance(value, bool) else f"{name}: send true or false, got {shown(value)}."
    if isinstance(control, gr.Textbox):
        if not isinstance(value, str):
            return f"{name}: send text, got {shown(value)}."
        return None if len(value) <= MAX_TEXT else f"{name}: at most {MAX_TEXT:,} characters, got {len(value):,}."
    if isinstance(control, (gr.Slider, gr.Number)):
        return _number_problem(control, value, decoded)
    if isinstance(control, gr.HTML):
        if value is None or (isinstance(value, str) and len(value) <= MAX_MARKUP):
            return None
        if isinstance(control.value, (list, dict)):  # JSON like its default (the mask grid's 8 rows of 8)
            if isinstance(value, type(control.value)) and _json_items(value) <= MAX_ITEMS:
                return None  # the view checks the shape
            kind = type(control.value).__name__
            return f"{name}: send a {kind} of at most {MAX_ITEMS:,} values, like {shown(control.value)}; got {shown(value)}."
        return f"{name}: send at most {MAX_MARKUP:,} characters of text, got {shown(value)}."
    if isinstance(control, gr.ImageEditor):  # gr.Sketchpad too: {background, layers, composite}
        if value is None:
            return None
        layers = value.get("layers") if isinstance(value, dict) else None
        if isinstance(value, dict) and set(value) <= {"background", "layers", "composite", "id"} \
                and isinstance(layers or [], list) and len(layers or []) <= MAX_LAYERS \
                and all(_uploaded(f) for f in [value.get("background"), value.get("composite"), *(layers or [])]):
            return None
        return f"{name}: send a drawing made on this page (its uploaded layers), got {shown(value)}."
    return None


class CheckedBlocks(gr.Blocks):
    """gr.Blocks whose events check their values (count, kind, size) before decoding them."""

    def validate_inputs(self, block_fn: Any, inputs: list[Any]) -> None:
        wanted = block_fn.inputs
        if len(inputs) < len(wanted):
            labels = ", ".join(_name(c) for c in wanted if not getattr(c, "stateful", False))[:200]
            raise refusal(f"This event takes {len(wanted)} values ({labels}); got {len(inputs)}.")
        for i, (control, value) in enumerate(zip(wanted, inputs)):
            if getattr(control, "stateful", False) or i in block_fn.component_prop_inputs:
                continue
            wrong = problem(control, value, decoded=block_fn.preprocess)
            if wrong is not None:
                raise refusal(wrong)
        super().validate_inputs(block_fn, inputs)

    async def preprocess_data(self, block_fn: Any, inputs: list[Any], state: Any, explicit_call: bool = False):
        """Decode as Gradio does; a control refusing its value while decoding is an expected refusal too."""
        try:
            return await super().preprocess_data(block_fn, inputs, state, explicit_call)
        except gr.Error as exc:
            if not exc.print_exception:
                raise
            raise refusal(str(exc.message)) from None
