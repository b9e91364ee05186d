"""Values the browser would never send come back as messages naming the control, with no traceback logged."""

from __future__ import annotations

import json

import gradio as gr
import pytest
from gradio import utils as gradio_utils

from demos import common
from demos.inputs import MAX_ITEMS, MAX_MARKUP, MAX_TEXT, CheckedBlocks, problem
from tests.helpers import call_raw
from tests.ui.app_config import call_event, run

MASK = [[0] * 8 for _ in range(8)]  # the inpainting grid's value: JSON, not text
UPLOADED = str(gradio_utils.abspath(gradio_utils.get_upload_folder()) / "abc" / "sketch.png")


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
    (gr.HTML(), [[1, 2]], False),  # a canvas sending text never sends a list
    (gr.HTML(MASK), [[1] * 8] * 8, True),  # a control holding JSON takes JSON like its default…
    (gr.HTML(MASK), [[1] * 8] * (MAX_ITEMS // 8 + 1), False),  # …of bounded size
    (gr.HTML(MASK), [[[[[1]]]]], False),  # …and depth
    (gr.HTML(MASK), {"a": 1}, False),
    (gr.Radio(["a", "b"], value="a"), None, False),  # a radio shown with a choice made is never emptied
    (gr.Radio(["a", "b"]), None, True),
    (common.Slider(0, 10), 10, True),
    (common.Slider(0, 10), 11, False),  # Gradio's own bound check named no slider and logged a traceback
    (common.Slider(0, 10), None, False),
    (gr.Number(minimum=0), -1, False),
    (gr.Sketchpad(), None, True),
    (gr.Sketchpad(), {"background": None, "layers": [], "composite": {"path": UPLOADED}}, True),
    (gr.Sketchpad(), {"background": None, "layers": [], "composite": {"path": "/etc/passwd"}}, False),
    (gr.Sketchpad(), {"background": {"path": "http://10.0.0.1/x.png"}, "layers": [], "composite": None}, False),
    (gr.Sketchpad(), {"background": None, "layers": [{"path": UPLOADED}] * 100, "composite": None}, False),
    (gr.Sketchpad(), "x" * 100, False),  # pydantic's ValidationError before
])
def test_each_control_kind_is_checked(control, value, ok):
    assert (problem(control, value) is None) is ok


def test_messages_cut_the_echoed_value():
    message = problem(gr.Textbox(label="Text"), ["z" * 10_000])
    assert len(message) < 120


def test_a_page_event_gets_the_raw_slider_value():
    """preprocess=False events show their own note for an emptied box: the range and type are theirs."""
    assert problem(common.Slider(0, 10), None, decoded=False) is None
    assert problem(common.Slider(0, 10), 11, decoded=False) is None


def test_a_refusal_while_decoding_is_logged_without_a_traceback():
    """A control's own preprocess raising gr.Error (print_exception left True) becomes an expected refusal."""

    class Strict(gr.Slider):
        is_template = True

        def preprocess(self, payload):
            raise gr.Error("Strict refuses everything.")

    with CheckedBlocks() as toy:
        n = Strict(0, 10, value=1, label="n")
        out = gr.Number()
        n.input(lambda v: v, n, out, api_name="toy")
    with pytest.raises(gr.Error) as caught:
        run(call_event(toy, toy.fns[0], [1]))
    assert caught.value.message == "Strict refuses everything." and caught.value.print_exception is False


def _error(reply: str) -> str:
    lines = reply.splitlines()
    assert "event: error" in lines, reply[:300]
    return json.loads(lines[lines.index("event: error") + 1][len("data: "):])["error"]


def test_too_few_values_and_wrong_kinds_say_what_to_send(app_url, capfd):
    message = _error(call_raw(app_url, "sinusoidal", '{"data": [64]}'))
    assert message.startswith("This event takes 4 values (Number of positions") and "got 1" in message
    message = _error(call_raw(app_url, "gan_preset", '{"data": [[], "ring"]}'))
    assert message.startswith("Preset: [] is not in the list of choices (Mode collapse")
    message = _error(call_raw(app_url, "sinusoidal", '{"data": [64, 16, 10000, ' + json.dumps("9" * 100_000) + "]}"))
    assert "at most" in message and len(message) < 200
    message = _error(call_raw(app_url, "sinusoidal", '{"data": [1000000, 16, 10000, "0"]}'))
    assert message == "Number of positions: 1000000 is greater than maximum value 2048."
    drawing = {"background": None, "layers": [], "composite": {"path": "/etc/passwd"}}  # a server file, not an upload
    message = _error(call_raw(app_url, "vae_sketch", json.dumps({"data": [drawing, "VAE (β = 1)"]})))
    assert message.startswith("Draw one digit, dark on white: send a drawing made on this page")
    assert "Traceback" not in capfd.readouterr().err  # expected refusals: no stack trace in the server's log
