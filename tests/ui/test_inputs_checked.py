"""Values the browser would never send come back as messages naming the control, with no traceback logged."""

from __future__ import annotations

import json

import gradio as gr
import pytest

from demos.inputs import MAX_MARKUP, MAX_TEXT, problem
from tests.helpers import call_raw


@pytest.mark.parametrize(("control", "value", "ok"), [
    (gr.Dropdown(["a", "b"]), "a", True),
    (gr.Dropdown(["a", "b"]), [], False),  # unhashable: Gradio's own check raised TypeError
    (gr.Dropdown(["a", "b"]), "c", False),
    (gr.Dropdown(["a", "b"], allow_custom_value=True), "c", True),
    (gr.Dropdown(["a", "b"], multiselect=True), ["a", "b"], True),
    (gr.Dropdown(["a", "b"], multiselect=True), ["a", "z"], False),
    (gr.Radio([("One", 1), ("Two", 2)]), 2, True),
    (gr.Radio([("One", 1), ("Two", 2)]), "One", False),
    (gr.CheckboxGroup(["x", "y"]), ["y"], True),
    (gr.CheckboxGroup(["x", "y"]), "y", False),
    (gr.Checkbox(), True, True),
    (gr.Checkbox(), "yes", False),
    (gr.Textbox(), "a sentence", True),
    (gr.Textbox(), "w" * (MAX_TEXT + 1), False),
    (gr.Textbox(), 5, False),
    (gr.Number(), 10**400, False),  # too large for a float: OverflowError before
    (gr.Number(), float("nan"), False),
    (gr.Number(), None, True),
    (gr.HTML(), "x" * (MAX_MARKUP + 1), False),
])
def test_each_control_kind_is_checked(control, value, ok):
    assert (problem(control, value) is None) is ok


def test_messages_cut_the_echoed_value():
    message = problem(gr.Textbox(label="Text"), ["z" * 10_000])
    assert len(message) < 120


def _error(reply: str) -> str:
    lines = reply.splitlines()
    assert "event: error" in lines, reply[:300]
    return json.loads(lines[lines.index("event: error") + 1][len("data: "):])["error"]


def test_too_few_values_and_wrong_kinds_say_what_to_send(app_url, capfd):
    message = _error(call_raw(app_url, "sinusoidal", '{"data": [64]}'))
    assert message.startswith("This event takes 4 values (Number of positions") and "got 1" in message
    message = _error(call_raw(app_url, "gan_preset", '{"data": [[], "ring"]}'))
    assert message.startswith("Preset: choose one of") and "got []" in message
    message = _error(call_raw(app_url, "sinusoidal", '{"data": [64, 16, 10000, ' + json.dumps("9" * 100_000) + "]}"))
    assert "at most" in message and len(message) < 200
    assert "Traceback" not in capfd.readouterr().err  # expected refusals: no stack trace in the server's log
