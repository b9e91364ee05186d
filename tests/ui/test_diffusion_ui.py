"""The Diffusion tab through gradio_client: every view by api_name, bad input, live training per session.

The streamed figures (the reverse process, the live samples) are ``demos.liveplot.LivePlot`` values:
a keyframe, then deltas of it, decoded in order with ``demos.liveplot.decode``; a stream's last frame
and every plain event's figure are keyframes, readable alone.
"""

from __future__ import annotations

import re
import time

import pytest
from gradio_client import Client
from gradio_client.exceptions import AppError

from demos.liveplot import decode
from tests.ui.plotly_json import figure
from tests.helpers import call_raw

EMPTY_MASK = [[0] * 8 for _ in range(8)]


def title(plot_value) -> str:
    return figure(plot_value)["layout"]["title"]["text"]


def live(value, key: dict | None = None) -> dict:
    """A LivePlot value (or a gr.update carrying one) -> the Plotly figure dict it draws."""
    if isinstance(value, dict) and value.get("__type__") == "update":
        value = value["value"]
    assert isinstance(value, str), value
    return decode(value, key)


def live_title(value) -> str:
    """The title of a LivePlot keyframe (a plain event's figure, a stream's last frame)."""
    return live(value)["layout"]["title"]["text"]


def decoded(outputs: list, index: int) -> list[dict]:
    """The figures of one LivePlot output over a stream's frames, each delta applied to its keyframe."""
    figures, key = [], None
    for out in outputs:
        fig = live(out[index], key)
        key = fig if "base" not in out[index] else key
        figures.append(fig)
    return figures


def slider_value(output) -> int:
    """A slider output through the API: a plain value, or an update carrying one (and its new maximum)."""
    return output["value"] if isinstance(output, dict) else output


def step_of(status: str) -> int:
    return int(re.match(r"Step ([\d,]+)", status).group(1).replace(",", ""))


def steps_shown(outputs: list, data: str) -> list[int]:
    """The step in the live plane's title, frame by frame (the plane is the first output of training)."""
    titles = [f["layout"]["title"]["text"] for f in decoded(outputs, 0)]
    steps = [re.fullmatch(rf"{data}: step ([\d,]+) of 4,000", t) for t in titles]
    assert all(steps), titles
    return [int(m.group(1).replace(",", "")) for m in steps]


def test_forward_and_schedules_views(client):
    cloud, curves, status = client.predict("ring", "linear", 250, 0, api_name="/diffusion_forward")
    assert "t = 250" in title(cloud) and "t = 250" in status
    assert figure(curves)["layout"]["yaxis"]["type"] == "log"
    digits, _, status = client.predict("digits", "cosine", 0, 0, api_name="/diffusion_forward")
    assert figure(digits)["data"][0]["type"] == "heatmap" and "no noise yet" in status
    curves, strip, status = client.predict(300, 0, 4, api_name="/diffusion_schedules")
    assert re.search(r"linear schedule and at \*\*t = \d+\*\* with the cosine", status), status
    assert len(figure(curves)["data"]) == 4


def test_reverse_process_sample_scrub_and_play(client):
    frame, fig, status = client.predict("diffusion_ring", 0, "ddim", 50, 0.0, "any", 3.0, api_name="/diffusion_sample")
    assert slider_value(frame) == 50 and "t = 0" in live_title(fig) and "frame 50 of 50" in live_title(fig)  # the last frame
    first, _ = client.predict(0, api_name="/diffusion_scrub")
    assert "t = 1000" in live_title(first) and "frame 0 of 50" in live_title(first)
    fig10, status10 = client.predict(10, api_name="/diffusion_scrub")
    assert "frame 10 of 50" in live_title(fig10) and "t = " in status10
    last, status_last = client.predict(50, api_name="/diffusion_scrub")
    assert "t = 0" in live_title(last) and "modes covered" in status_last
    played = list(client.submit(45, api_name="/diffusion_play"))  # Play streams the stored frames from 45 on
    titles = [f["layout"]["title"]["text"] for f in decoded(played, 1)]
    assert [o[0] for o in played] == [45, 46, 47, 48, 49, 50], [o[0] for o in played]
    assert all(f"frame {o[0]} of 50" in t for o, t in zip(played, titles)) and "t = 0" in titles[-1], titles
    assert "frame 50 of 50" in live_title(played[-1][1])  # the last frame is a keyframe: readable alone
    again = list(client.submit(50, api_name="/diffusion_play"))  # at the end: again from the start
    assert [o[0] for o in again] == list(range(51)) and "frame 0 of 50" in live_title(again[0][1])
    assert "Paused** at frame 12 of 50" in client.predict(12, api_name="/diffusion_paused")
    with pytest.raises(AppError, match="press Sample first"):
        Client(client.src, verbose=False).predict(3, api_name="/diffusion_play")  # a new session: nothing sampled


def test_sample_streams_the_reverse_process_first_frame_first(client):
    start = time.monotonic()
    job = client.submit("diffusion_ring", 0, "ddpm", 1000, 0.0, "any", 0.0, api_name="/diffusion_sample")
    arrivals, outputs = [], []
    for out in job:
        arrivals.append(time.monotonic() - start)
        outputs.append(out)
    frames = [slider_value(o[0]) for o in outputs]
    assert frames == list(range(101)), frames  # one streamed frame per kept frame, in order, none twice
    titles = [f["layout"]["title"]["text"] for f in decoded(outputs, 1)]
    assert all(f"frame {f} of 100" in t for f, t in zip(frames, titles)), titles  # each delta shows its frame
    assert "Sampling… 1 of 101 frames" in outputs[0][2]
    assert "t = 0" in live_title(outputs[-1][1]) and "modes covered" in outputs[-1][2]
    assert arrivals[0] < arrivals[-1] / 2, arrivals  # the first frame comes well before the whole run
    fig, status = client.predict(37, api_name="/diffusion_scrub")  # the whole trajectory was kept
    assert "frame 37 of 100 · t = 630" in live_title(fig)


def test_reverse_process_of_guided_digits(client):
    _, fig, _ = client.predict("diffusion_digits", 3, "ddim", 20, 0.0, "7", 3.0, api_name="/diffusion_sample")
    assert "class 7, w = 3" in live_title(fig) and live(fig)["data"][0]["type"] == "heatmap"


def test_exact_samplers_guidance_and_inpainting_views(client):
    field, error, samples, status = client.predict("diffusion_grid", 30, 0, api_name="/diffusion_exact")
    assert "exact" in title(field) and "modes" in status
    paths, chart, status = client.predict("diffusion_ring", 0, 20, 0.5, api_name="/diffusion_samplers")
    assert "DDIM, 20 steps, η = 0.5" in status and "DDPM" in status
    grid, tradeoff, status = client.predict("3", 2.0, 0, api_name="/diffusion_guidance")
    assert "w = 2" in status and len(figure(tradeoff)["data"]) == 2
    left = client.predict("left half", 0, api_name="/diffusion_mask_preset")
    assert left == [[1] * 4 + [0] * 4] * 8
    strip, status = client.predict(10, left, 0, api_name="/diffusion_inpaint")
    assert "32 of 64 pixels hidden" in title(strip) and "re-imposed" in status


def test_inpainting_a_painted_mask(client):
    painted = [[0] * 8 for _ in range(8)]
    for r, c in [(1, 2), (1, 3), (2, 2), (2, 3), (6, 6)]:  # a stroke and a dot, as the grid sends them
        painted[r][c] = 1
    strip, status = client.predict(4, painted, 0, api_name="/diffusion_inpaint")
    assert "5 of 64 pixels hidden" in title(strip) and "filled 5 hidden pixels" in status
    with pytest.raises(AppError, match="8 rows of 8 cells"):
        client.predict(4, painted[:7], 0, api_name="/diffusion_inpaint")


@pytest.mark.parametrize(("api", "args", "message"), [
    ("/diffusion_forward", ("ring", "linear", 1001, 0), "greater than maximum|between 0 and 1000"),
    ("/diffusion_forward", ("ring", "linear", -5, 0), "less than minimum|between 0 and 1000"),
    ("/diffusion_sample", ("diffusion_ring", 0, "ddpm", 0, 0.0, "any", 0.0), "less than minimum|between 1 and 1000"),
    ("/diffusion_sample", ("diffusion_ring", 0, "ddpm", 10**6, 0.0, "any", 0.0), "greater than maximum|between 1"),
    ("/diffusion_samplers", ("diffusion_ring", 0, 0, 0.0), "less than minimum|between 1 and 1000"),
    ("/diffusion_guidance", ("3", -1, 0), "less than minimum|Guidance scale w"),
    ("/diffusion_inpaint", (0, EMPTY_MASK, 0), "The mask is empty"),
    ("/diffusion_scrub", (3,), "press Sample first"),
])
def test_bad_input_comes_back_as_a_clear_error(client, api, args, message):
    with pytest.raises(AppError, match=message):
        client.predict(*args, api_name=api)


def test_nan_eta_through_the_raw_api_is_refused(app_url):
    reply = call_raw(app_url, "diffusion_sample", '{"data": ["diffusion_ring", 0, "ddim", 50, NaN, "any", 0]}')
    assert "event: error" in reply and "must be a finite number" in reply, reply


def test_two_sessions_train_at_once_without_seeing_each_other(app_url):
    alice, bob = Client(app_url, verbose=False), Client(app_url, verbose=False)
    _, _, status = alice.predict("ring", 1, None, api_name="/diffusion_new_run")
    assert step_of(status) == 0 and "/ 8 modes" in status
    bob.predict("moons", 2, None, api_name="/diffusion_new_run")
    a_job = alice.submit(20, "ring", 1, None, api_name="/diffusion_train")
    b_job = bob.submit(1, "moons", 2, None, api_name="/diffusion_train")
    deadline = time.time() + 90
    while (len(a_job.outputs()) < 6 or len(b_job.outputs()) < 6) and time.time() < deadline:
        time.sleep(0.2)
    a_job.cancel()
    b_job.cancel()
    time.sleep(1.0)
    a_out, b_out = a_job.outputs(), b_job.outputs()
    # The live plane: a keyframe, then deltas of it, each titled with its step; the status line (and the loss
    # curve) come with some frames only (a skipped output reads {"__type__": "update"}).
    a_steps, b_steps = steps_shown(a_out, "ring"), steps_shown(b_out, "moons")
    assert len(a_steps) >= 6 and len(b_steps) >= 6
    a_moves, b_moves = [b - a for a, b in zip(a_steps, a_steps[1:])], [b - a for a, b in zip(b_steps, b_steps[1:])]
    assert set(b_moves) == {1}, b_moves  # Bob's speed: one step a frame
    assert all(1 <= m <= 20 for m in a_moves) and max(a_moves) > 1, a_moves  # Alice's: up to 20 a frame (time-capped)
    for out, steps in ((a_out, a_steps), (b_out, b_steps)):
        texts = [(o[-1], step) for o, step in zip(out, steps) if isinstance(o[-1], str)]
        assert isinstance(out[0][-1], str) and all(step_of(text) == step for text, step in texts), texts
    assert all("/ 8 modes" in o[-1] for o in a_out if isinstance(o[-1], str))  # Alice's ring, never Bob's moons
    assert not any("modes" in o[-1] for o in b_out if isinstance(o[-1], str))
    assert figure(a_out[0][1])["layout"]["title"]["text"] == "training loss"  # the loss curve: with the first frame
    samples, loss, paused = bob.predict(api_name="/diffusion_train_paused")  # Pause then draws all at that step
    assert step_of(paused) >= b_steps[-1] and f"step {step_of(paused):,} of" in live_title(samples)
    assert figure(loss)["layout"]["title"]["text"] == "training loss"
    time.sleep(1.0)
    assert bob.predict(api_name="/diffusion_train_paused")[-1] == paused  # stopped: nothing trains on
    reset = bob.predict("moons", 2, None, api_name="/diffusion_new_run")
    assert step_of(reset[-1]) == 0 and "step 0 of" in live_title(reset[0])
    _, _, again = alice.predict("ring", 1, None, api_name="/diffusion_new_run")
    assert step_of(again) == 0
