"""The launched app, driven through gradio_client by api_name, as a script or a stranger would."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request

import numpy as np
import pytest
from gradio_client.exceptions import AppError

from explainer import positional
from tests.conftest import ROOT, free_port
from tests.helpers import call_raw
from tests.ui.app_config import call_event, run
from tests.ui.plotly_json import decode, figure


def test_every_event_has_an_api_name(client):
    endpoints = client.view_api(print_info=False, return_format="dict")["named_endpoints"]
    for name in ("/sinusoidal", "/rope", "/alibi", "/sinusoidal_reset", "/rope_reset", "/alibi_reset"):
        assert name in endpoints, sorted(endpoints)


def test_sinusoidal_endpoint_returns_the_computed_figures(client):
    heat, waves, lengths, sim, offsets, notice = client.predict(32, 16, 100.0, "2, 3", api_name="/sinusoidal")
    assert notice == ""
    z = decode(figure(heat)["data"][0]["z"])
    np.testing.assert_allclose(z, positional.sinusoidal(32, 16, 100.0), atol=1e-4)
    lines = figure(waves)["data"]
    assert [line["name"].split()[1] for line in lines] == ["2", "3"]
    lam = decode(figure(lengths)["data"][0]["y"])
    np.testing.assert_allclose(lam, positional.wavelengths(16, 100.0), rtol=1e-3)
    assert figure(sim)["layout"]["title"]["text"].startswith("Dot product")
    assert len(figure(offsets)["data"]) == 2


def test_rope_and_alibi_endpoints(client):
    rotation, scores = client.predict(16, 10000.0, 0, 8, 0, 50, 10, "same as query", 3, api_name="/rope")
    a, b = (decode(t["y"]) for t in figure(scores)["data"])
    np.testing.assert_allclose(a, b, atol=1e-4)
    slopes, biases = client.predict(8, 6, False, api_name="/alibi")
    np.testing.assert_allclose(decode(figure(slopes)["data"][0]["y"]), positional.alibi_slopes(8))
    grid = figure(biases)  # one heatmap, a tile per head, each titled
    assert len(grid["data"]) == 1 and len(grid["layout"]["annotations"]) == 8


def test_reset_restores_the_defaults(client):
    assert client.predict(api_name="/alibi_reset") == (8, 16, True)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((16, 7, 10000.0, "0"), "d_model must be even"),
        ((0, 8, 10000.0, "0"), "less than minimum"),  # Gradio's own bound check on the slider
        ((10**6, 8, 10000.0, "0"), "greater than maximum"),
        ((16, 8, "ten thousand", "0"), "Base must be a finite number"),
        (("lots", 8, 10000.0, "0"), "Number of positions must be a finite number"),
        ((16, 8, 10000.0, "0, 5000"), "between 0 and 1023"),  # past every d_model; "0, 99" is clipped now
        ((16, 8, 10000.0, ""), "is empty"),
    ],
)
def test_bad_input_comes_back_as_a_clear_error(client, args, message):
    with pytest.raises(AppError, match=message):
        client.predict(*args, api_name="/sinusoidal")
    # ... and the server keeps serving the same session
    assert len(client.predict(8, 4, 10000.0, "0", api_name="/sinusoidal")) == 6  # five figures and the notice


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_through_the_raw_api_get_a_clear_error(app_url, literal):
    reply = call_raw(app_url, "sinusoidal", f'{{"data": [16, 8, {literal}, "0"]}}')
    assert "event: error" in reply and "Base must be a finite number" in reply, reply
    reply = call_raw(app_url, "rope", f'{{"data": [16, 10000, 0, 8, {literal}, 5, 10, "same as query", 0]}}')
    assert "event: error" in reply and "must be a finite number" in reply, reply


def _wait_for(url: str, proc: subprocess.Popen, timeout: float = 90.0) -> None:
    start = time.time()
    while time.time() - start < timeout:
        assert proc.poll() is None, proc.stderr.read()
        try:
            with urllib.request.urlopen(url, timeout=1) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"{url} did not answer within {timeout} s")


def test_app_py_honours_port_and_host_from_the_environment():
    port = free_port()
    env = {**os.environ, "GRADIO_SERVER_PORT": str(port), "GRADIO_SERVER_NAME": "127.0.0.1", "EXPLAINER_DEVICE": "cpu"}
    proc = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        _wait_for(f"http://127.0.0.1:{port}/", proc)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/config") as r:
            config = json.loads(r.read())
        text = json.dumps(config, ensure_ascii=False)
        assert "CPU · " in text and "Positional encodings" in text and "Start here" in text
    finally:
        proc.terminate()
        proc.wait(timeout=20)


@pytest.mark.skipif(__import__("torch").cuda.is_available(), reason="checks the message for a missing GPU")
def test_app_py_refuses_a_missing_device_with_a_message():
    result = subprocess.run([sys.executable, "app.py", "--device", "cuda", "--port", str(free_port())], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    assert "CUDA was asked for" in result.stderr and "Traceback" not in result.stderr


def test_the_learned_view_runs_on_the_apps_device(monkeypatch):
    """render(app, options) hands options.device to the Learned view (page event and API event alike)."""
    import gradio as gr
    import torch

    from demos import positional as tab
    from demos.common import AppOptions
    from explainer.attention import catalog
    from explainer.attention.learned_views import LearnedSettings

    asked, real = [], catalog.shipped
    monkeypatch.setattr(catalog, "shipped", lambda name, device="cpu": asked.append(device) or real(name))
    with gr.Blocks() as app:
        tab.render(app, AppOptions(device=torch.device("cuda")))  # built, not launched: nothing runs on a GPU
    s = LearnedSettings()
    for api_name in ("learned", "learned_page"):
        [event] = [bf for bf in app.fns.values() if bf.api_name == api_name]
        asked.clear()
        [frame] = run(call_event(app, event, [s.table, s.digits, s.seed]))  # as the queue calls it
        assert asked and set(asked) == {"cuda"}, (api_name, asked)
        assert "| no positions |" in frame[3]  # the equivariance table: the view was drawn

