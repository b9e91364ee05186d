"""The GAN tab through gradio_client: start, step, stream, pause and reset per session; bad settings."""

from __future__ import annotations

import json
import re
import time

import pytest
from gradio_client import Client
from gradio_client.exceptions import AppError

from tests.ui.plotly_json import figure as plane
from tests.ui.test_shell_and_positional_ui import call_raw

SHOW = ["D's opinion (heatmap)", "G's push (arrows)", "real samples", "generated samples"]


def settings(preset="Mode collapse", dataset="ring", seed=0, *, compare=False, width=64, depth=2, latent=2,
             g_lr=1e-3, d_lr=1e-3, d_steps=1, batch=128, loss="non-saturating"):
    return [preset, dataset, seed, compare, None, width, depth, latent, g_lr, d_lr, d_steps, batch, loss]


def step_of(status: str) -> int:
    return int(re.match(r"Step ([\d,]+)", status).group(1).replace(",", ""))




def test_two_sessions_train_side_by_side_without_seeing_each_other(app_url):
    alice, bob = Client(app_url, verbose=False), Client(app_url, verbose=False)
    a = settings(dataset="ring", seed=1)
    b = settings(preset="PacGAN", dataset="grid", seed=2, width=32)
    out = alice.predict(*a, SHOW, api_name="/gan_new_run")
    assert step_of(out[-1]) == 0 and "/ 8 modes" in out[-1]
    bob.predict(*b, SHOW, api_name="/gan_new_run")

    job = bob.submit(20, SHOW, *b, api_name="/gan_train")  # Bob trains, streaming frames
    for _ in range(3):
        out = alice.predict(SHOW, *a, api_name="/gan_step")  # Alice steps meanwhile
    assert step_of(out[-1]) == 3 and "Mode collapse" in out[-1] and "/ 8 modes" in out[-1]
    deadline = time.time() + 60
    while len(job.outputs()) < 3 and time.time() < deadline:
        time.sleep(0.2)
    job.cancel()  # Pause: the run stops, the models stay
    time.sleep(1.0)
    frames = job.outputs()
    assert len(frames) >= 3, "training streamed fewer than 3 frames"
    steps = [step_of(f[-1]) for f in frames]
    assert steps == sorted(steps) and steps[-1] > 0
    assert all("/ 25 modes" in f[-1] and "PacGAN" in f[-1] for f in frames)

    after = bob.predict(SHOW, *b, api_name="/gan_step_d")  # one D update: the step count stays
    assert step_of(after[-1]) >= steps[-1] and "/ 25 modes" in after[-1]
    out = alice.predict(SHOW, *a, api_name="/gan_step_g")
    assert step_of(out[-1]) == 4 and "/ 8 modes" in out[-1]  # a G update completes a step; Bob did not touch it

    reset = bob.predict(*b, SHOW, api_name="/gan_new_run")
    assert step_of(reset[-1]) == 0
    assert step_of(alice.predict(*a, SHOW, api_name="/gan_view")[-1]) == 4


def test_plane_figure_shows_real_and_generated_points(client):
    left, right, curves, status = client.predict(*settings(), SHOW, api_name="/gan_new_run")
    names = [t.get("name", "") for t in plane(left)["data"]]
    assert any("real" in n.lower() for n in names) and any("generated" in n.lower() or "g(z)" in n.lower()
                                                           for n in names), names
    assert any(t["type"] == "heatmap" for t in plane(left)["data"])
    assert "step 0 of" in plane(left)["layout"]["title"]["text"]


def test_side_by_side_draws_both_runs(client):
    out = client.predict(*settings(preset="Minibatch std", compare=True), SHOW, api_name="/gan_new_run")
    assert "Mode collapse:" in out[-1] and "Minibatch std:" in out[-1]
    assert plane(out[1])["layout"]["title"]["text"].startswith("Minibatch std")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"width": 10**6}, "greater than maximum"),
        ({"batch": 0}, "less than minimum"),
        ({"g_lr": -1.0}, "less than minimum"),
        ({"loss": "hinge"}, "not in the list of choices|Unknown|loss"),
        ({"compare": True}, "choose another preset"),
        ({"dataset": "drawn"}, "draw something"),
    ],
)
def test_absurd_settings_come_back_as_clear_errors(client, change, message):
    values = settings(**change)
    with pytest.raises(AppError, match=message):
        client.predict(*values, SHOW, api_name="/gan_new_run")


def test_nan_learning_rate_through_the_raw_api_is_refused(app_url):
    body = json.dumps({"data": settings(g_lr=0.001) + [SHOW]}).replace("0.001", "NaN", 1)
    reply = call_raw(app_url, "gan_new_run", body)
    assert "event: error" in reply and "G learning rate must be a finite number" in reply, reply
