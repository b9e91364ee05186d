"""The Attention tab (and the Learned positional sub-tab) driven through gradio_client by api_name."""

from __future__ import annotations

import json
import urllib.request

import numpy as np
import pytest
import torch
from gradio_client.exceptions import AppError

from explainer.attention import DECODER, load_model, run_text
from explainer.attention import views as V
from tests.conftest import free_port
from tests.ui.plotly_json import decode, figure

ENC, DEC, REV = V.SHIPPED
AGREEMENT = "the dogs that the girl sees [MASK] ."
NAME = "when alice meets bob in the park ,"






def test_every_event_has_an_api_name(client):
    endpoints = client.view_api(print_info=False, return_format="dict")["named_endpoints"]
    for name in ("attention", "attention_steps", "attention_softmax1", "attention_temperature", "attention_ablation",
                 "attention_bertviz", "attention_heads", "attention_model", "attention_preset", "attention_apply",
                 "attention_reset", "fill_mask", "generate", "generate_reset", "learned", "learned_reset"):
        assert f"/{name}" in endpoints, sorted(endpoints)


def test_text_gives_the_librarys_attention(client):
    tokens, heat, grid = client.predict(DEC, "the dogs that the girl sees", 1, 2, api_name="/attention")
    run = run_text(load_model(DECODER), "the dogs that the girl sees")
    np.testing.assert_allclose(decode(figure(heat)["data"][0]["z"]), run.attention[1, 2], atol=1e-3)
    panels = figure(grid)["data"]
    assert len(panels) == 8
    np.testing.assert_allclose(decode(panels[5]["z"]), run.attention[1, 1], atol=1e-3)
    assert "`dogs`" in tokens


def test_switching_off_a_head_changes_the_prediction(client):
    plot, summary = client.predict(DEC, NAME, ["L0H3"], 5, api_name="/attention_ablation")
    before, after = figure(plot)["data"]
    i = before["x"].index("alice")
    assert decode(before["y"])[i] > 0.8 and decode(after["y"])[i] < 0.1
    assert "without L0H3" in summary


def test_picking_a_model_and_a_preset(client):
    preset, text, layer, _head, off, query = client.predict(REV, api_name="/attention_model")  # (gr.State is not sent)
    assert preset["value"] == "digits of π" and text == "31415926" and off["value"] == ["L0H0", "L0H1"]
    assert layer["interactive"] is False and query["value"] == 1  # one layer: nothing to pick
    text, off, query = client.predict(ENC, "repeated name", api_name="/attention_preset")
    assert "[MASK]" in text and query["value"] == text.split().index("[MASK]") + 1
    steps_text, steps, _ = client.predict(ENC, text, 1, 1, query["value"], api_name="/attention_steps")
    assert "Query **[MASK]**" in steps_text and len(figure(steps)["data"]) == 4


def test_generation_is_deterministic_for_a_seed(client):
    args = ("when alice meets bob", 10, 1.0, 0, 1.0)
    first = client.predict(*args, 7, api_name="/generate")[0]
    again = client.predict(*args, 7, api_name="/generate")[0]
    assert first == again and first.startswith("when alice meets bob **")


def test_bertviz_and_head_table(client):
    head_view, _ = client.predict(ENC, AGREEMENT, api_name="/attention_bertviz")
    assert head_view.startswith("<iframe") and "explainer/vendor/d3.v5.min.js" in head_view and "cdnjs" not in head_view
    assert "gradio_api/file=" not in head_view and "/work/" not in head_view and "assets/static" not in head_view
    rows, note = client.predict(DEC, api_name="/attention_heads")
    assert len(rows["data"]) == 8 and "held-out" in note


def test_the_vendored_scripts_are_served_and_nothing_else(app_url):
    from demos.attention import SCRIPT_BASE
    from demos.figure_tools import VENDOR

    with urllib.request.urlopen(app_url + SCRIPT_BASE + "d3.v5.min.js") as r:
        assert r.status == 200 and r.read(40).startswith(b"// https://d3js.org v5.7.0")
    for outside in (VENDOR.parent / "style.css", VENDOR.parent.parent / "checkpoints" / "attention_encoder.json"):
        with pytest.raises(urllib.error.HTTPError):
            urllib.request.urlopen(f"{app_url}gradio_api/file={outside}")
    for name in ("../style.css", "LICENSES.txt", "vendor/../../checkpoints/attention_encoder.json", "style.css"):
        with pytest.raises(urllib.error.HTTPError):  # only the listed scripts, by exact name
            urllib.request.urlopen(f"{app_url}explainer/vendor/{name}")


@pytest.mark.parametrize(
    ("api", "args", "message"),
    [
        ("/attention", (ENC, "", 0, 0), "The text is empty"),
        ("/attention", (ENC, "the dog runs " * 20, 0, 0), "this model reads at most 30"),
        ("/attention", ("gpt-5", "the dog", 0, 0), "not in the list of choices"),
        ("/attention", ("/tmp/some/folder", "the dog", 0, 0), "not in the list of choices"),
        ("/attention", (ENC, "the dog", 5, 0), "greater than maximum"),
        ("/attention", (REV, "12 34", 0, 0), "exactly 8 digits"),
        ("/attention_steps", (ENC, "the dog runs .", 0, 0, 9), "Query token must be between 0 and 5"),
        ("/attention_ablation", (ENC, AGREEMENT, ["L0H1"], 0), "less than minimum"),
        ("/attention_ablation", (ENC, AGREEMENT, ["L9H9"], 5), "not in the list of choices"),
        ("/attention_temperature", (ENC, AGREEMENT, 0, 0, "hot", 5), "must be a finite number"),
        ("/fill_mask", ("the dogs run .", 5), "Put [MASK]"),
    ],
)
def test_bad_input_comes_back_as_a_clear_error(client, api, args, message):
    with pytest.raises(AppError, match=message.replace("[", r"\[")):
        client.predict(*args, api_name=api)
    assert client.predict(ENC, AGREEMENT, 0, 0, api_name="/attention")[0].startswith("**The model reads")


def test_nan_temperature_through_the_raw_api(app_url):
    body = json.dumps({"data": [ENC, AGREEMENT, 0, 0, 1.0, 5]}).replace("1.0", "NaN")
    request = urllib.request.Request(f"{app_url}gradio_api/call/attention_temperature", data=body.encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as r:
        event_id = json.loads(r.read())["event_id"]
    with urllib.request.urlopen(f"{app_url}gradio_api/call/attention_temperature/{event_id}", timeout=60) as r:
        reply = r.read().decode()
    assert "event: error" in reply and "must be a finite number" in reply, reply


def test_learned_positions_endpoint(client):
    table, _, comparison, equivariance = client.predict("reversal model (10 positions)", "31415926", 0,
                                                          api_name="/learned")
    assert decode(figure(table)["data"][0]["z"]).shape == (10, 64)
    assert "| alibi |" in comparison and "| no positions |" in equivariance


def test_hf_model_folder_from_the_command_line(tmp_path):
    pytest.importorskip("transformers")
    from gradio_client import Client

    import app as app_module
    from explainer.attention import load_hf_model, run_hf
    from tests.helpers import make_tiny_bert

    folder = make_tiny_bert(tmp_path / "tiny_bert")
    demo = app_module.build_app(torch.device("cpu"), hf_model_dirs=[folder])
    port = free_port()
    demo.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True,
                **app_module.launch_options())
    try:
        client = Client(f"http://127.0.0.1:{port}/", verbose=False)
        label = "your model · tiny_bert"
        picked = client.predict(label, api_name="/attention_model")  # updates come back as dicts
        text = picked[1]
        assert picked[4]["choices"] == [] and picked[2]["maximum"] == 1  # 2 layers, no heads to switch off
        _, heat, grid = client.predict(label, text, 1, 1, api_name="/attention")
        expected = run_hf(load_hf_model(folder), text).attention
        np.testing.assert_allclose(decode(figure(heat)["data"][0]["z"]), expected[1, 1], atol=1e-3)
        assert len(figure(grid)["data"]) == 4
        steps_text = client.predict(label, text, 0, 0, None, api_name="/attention_steps")[0]
        assert "only the shipped models" in steps_text
        head_view, _ = client.predict(label, text, api_name="/attention_bertviz")
        assert "srcdoc=" in head_view
    finally:
        demo.close()


# --- issue 14: how the page's own events behave ---------------------------------------------------------------


def _config(app_url: str) -> dict:
    with urllib.request.urlopen(f"{app_url}config") as r:
        return json.loads(r.read())


MY_TABS = ("attention", "fill_mask", "generate", "sinusoidal", "rope", "alibi", "learned")


def test_no_trigger_of_these_tabs_starts_two_events(app_url):
    """Two events on one trigger ping-pong in Gradio 6.31 when one finishes with a change queued behind it
    (requests every ~0.3 s for ever after pressing → → → ← ← ← on the Head slider). One event per trigger."""
    deps = _config(app_url)["dependencies"]
    mine = [d for d in deps if str(d.get("api_name") or "").startswith(MY_TABS)]
    assert len(mine) > 20
    listeners: dict[tuple, list] = {}
    for d in deps:
        for target in d["targets"]:
            listeners.setdefault(tuple(target), []).append(d.get("api_name"))
    for d in mine:
        for target in d["targets"]:
            if target[1] not in ("load", "then", "success", "failure"):  # these are sent one event at a time
                assert len(listeners[tuple(target)]) == 1, (target, listeners[tuple(target)])
    page_events = [d for d in mine if d["targets"] and d["targets"][0][1] not in ("load", "click", "then")]
    assert page_events and all(d["trigger_mode"] == "always_last" for d in page_events)
    assert not any(t[1] == "change" for d in mine for t in d["targets"])  # a reply setting a value re-triggers


def test_a_refused_text_leaves_a_lasting_note_and_no_old_figures(client):
    result = client.predict(ENC, "the dog runs " * 20, 0, 0, 0.5, 5, ["L0H1"], api_name="/attention_apply")
    query, notice, tokens, heat, grid = result[:5]
    assert "Not drawn" in notice and "this model reads at most 30" in notice
    assert query["choices"] == [] and tokens == ""
    for plot in (heat, grid):
        fig = figure(plot)
        assert fig["data"] == [] and fig["layout"]["title"]["text"] == "Not drawn"
    # the same session then applies a good text: the note goes, the figures come back
    query, notice, tokens, heat = client.predict(ENC, AGREEMENT, 0, 0, 0.5, 5, ["L0H1"],
                                                 api_name="/attention_apply")[:4]
    assert notice == "" and tokens.startswith("**The model reads") and figure(heat)["data"][0]["type"] == "heatmap"


def test_moving_the_head_draws_the_applied_text_not_the_edited_box(client):
    client.predict(DEC, "the dogs that the girl sees", 0, 0, 0.5, 5, [], api_name="/attention_apply")
    heat = client.predict(1, 2, None, 0.5, 5, [], api_name="/attention_head_page")[0]  # (gr.State is not sent)
    expected = run_text(load_model(DECODER), "the dogs that the girl sees").attention[1, 2]
    np.testing.assert_allclose(decode(figure(heat)["data"][0]["z"]), expected, atol=1e-3)


def test_sinusoidal_page_clips_dimensions_and_notes_refusals(client):
    *figures, notice = client.predict(128, 16, 10000.0, "0, 1, 6, 7, 32", api_name="/sinusoidal_page")
    assert [t["name"].split()[1] for t in figure(figures[1])["data"]] == ["0", "1", "6", "7"]
    assert "32 left out" in notice and "d_model = 16" in notice
    *figures, notice = client.predict(128, 16, 10000.0, "0, x", api_name="/sinusoidal_page")
    assert "Not drawn" in notice and "must be a number, got 'x'" in notice
    assert all(figure(f)["data"] == [] and "Not drawn" in figure(f)["layout"]["title"]["text"] for f in figures)
