"""Every value an event receives is checked against its control before Gradio decodes it.

The browser only ever sends what a control can hold, but the API accepts any JSON: a list where
a dropdown expects a name, a 10 MB string, too few values. Gradio then fails deep inside a
component with a TypeError and a traceback in the log (the input echoed in full), and the person
sees a blank "Error". :class:`CheckedBlocks` puts one cheap check per control in front of that:

* too few values → "This event takes 4 values (Length, d_model, …); got 3.";
* a value of the wrong kind or size → "<control label>: …, got <value cut to 40 characters>.";

each a ``gr.Error`` that is logged as one line, never as a traceback (an expected refusal).
Slider and Number values are checked by :mod:`demos.common`'s widgets themselves.
"""

from __future__ import annotations

import logging
import math
from numbers import Real
from typing import Any

import gradio as gr

from explainer.validate import shown

log = logging.getLogger("explainer")

MAX_TEXT = 4000  # characters in one text field (the longest shipped example is under 200)
MAX_MARKUP = 64 * 1024  # characters of an HTML control's value (the drawing canvases send about 4 kB)


def refusal(message: str) -> gr.Error:
    """An expected refusal: shown to the person, logged as one line (no traceback)."""
    log.info("refused: %s", message[:200])
    return gr.Error(message[:400], print_exception=False)


def _name(control: Any) -> str:
    return str(getattr(control, "label", None) or getattr(control, "elem_id", None) or type(control).__name__)


def _choices(control: Any) -> list:
    return [c[1] if isinstance(c, (tuple, list)) else c for c in (control.choices or [])]


def _scalar(value: Any) -> bool:
    return isinstance(value, (str, int, float)) and not isinstance(value, bool)


def problem(control: Any, value: Any) -> str | None:
    """What is wrong with ``value`` for ``control`` (None: nothing we check is)."""
    if isinstance(control, (gr.Dropdown, gr.Radio)) and not getattr(control, "multiselect", False):
        custom = getattr(control, "allow_custom_value", False)
        if value is None or (_scalar(value) and (custom or value in _choices(control))):
            return None
        return f"choose one of {', '.join(map(str, _choices(control)))[:200]}; got {shown(value)}"
    if isinstance(control, (gr.CheckboxGroup, gr.Dropdown)):  # several choices
        if isinstance(value, list) and all(_scalar(v) and v in _choices(control) for v in value):
            return None
        return f"send a list of {', '.join(map(str, _choices(control)))[:200]}; got {shown(value)}"
    if isinstance(control, gr.Checkbox):
        return None if isinstance(value, bool) else f"send true or false, got {shown(value)}"
    if isinstance(control, gr.Textbox):
        if not isinstance(value, str):
            return f"send text, got {shown(value)}"
        return None if len(value) <= MAX_TEXT else f"at most {MAX_TEXT:,} characters, got {len(value):,}"
    if isinstance(control, gr.Number):
        if value is None:
            return None
        try:
            finite = _scalar(value) and not isinstance(value, str) and isinstance(value, Real) and math.isfinite(value)
        except OverflowError:
            finite = False
        return None if finite else f"must be a finite number, got {shown(value)}"
    if isinstance(control, gr.HTML):
        if value is None or (isinstance(value, str) and len(value) <= MAX_MARKUP):
            return None
        return f"send at most {MAX_MARKUP:,} characters of text, got {shown(value)}"
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
            wrong = problem(control, value)
            if wrong is not None:
                raise refusal(f"{_name(control)}: {wrong}.")
        super().validate_inputs(block_fn, inputs)
