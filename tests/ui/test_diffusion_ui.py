"""The Diffusion tab through gradio_client: every view by api_name, bad input, live training per session."""

from __future__ import annotations

import re
import time

import pytest
from gradio_client import Client
from gradio_client.exceptions import AppError

from tests.ui.plotly_json import figure
from tests.helpers import call_raw

EMPTY_MASK = [[0] * 8 for _ in range(8)]


def title(plot_value) -> str:
    return figure(plot_value)["layout"]["title"]["text"]


def slider_value(output) -> int:
    """A slider output through the API: a plain value, or an update carrying one (and its new maximum)."""
    return output["value"] if isinstance(output, dict) else output


def step_of(status: str) -> int:
    return int(re.match(r"Step ([\d,]+)", status).group(1).replace(",", ""))


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
    assert slider_value(frame) == 50 and "t = 0" in title(fig) and "frame 50 of 50" in title(fig)  # the stream's last frame
    first, _ = client.predict(0, api_name="/diffusion_scrub")
    assert "t = 1000" in title(first) and "frame 0 of 50" in title(first)
    fig10, status10 = client.predict(10, api_name="/diffusion_scrub")
    assert "frame 10 of 50" in title(fig10) and "t = " in status10
    last, status_last = client.predict(50, api_name="/diffusion_scrub")
    assert "t = 0" in title(last) and "modes covered" in status_last
    clock, frame, fig, _ = client.predict(45, api_name="/diffusion_play")  # Play starts a timer ...
    assert clock["active"] is True and frame == 45 and "frame 45 of 50" in title(fig)
    titles = []
    while clock["active"]:  # ... whose ticks pull one frame each, until the last stops it
        clock, frame, fig, _ = client.predict(frame, api_name="/diffusion_play_step")
        titles.append(title(fig))
    assert frame == 50 and len(titles) == 5 and len(set(titles)) == 5 and "t = 0" in titles[-1]
    clock, frame, fig, _ = client.predict(50, api_name="/diffusion_play")  # at the end: again from the start
    assert frame == 0 and "frame 0 of 50" in title(fig)
    assert "Paused** at frame 12 of 50" in client.predict(12, api_name="/diffusion_paused")


def test_sample_streams_the_reverse_process_first_frame_first(client):
    start = time.monotonic()
    job = client.submit("diffusion_ring", 0, "ddpm", 1000, 0.0, "any", 0.0, api_name="/diffusion_sample")
    arrivals, outputs = [], []
    for out in job:
        arrivals.append(time.monotonic() - start)
        outputs.append(out)
    frames = [slider_value(o[0]) for o in outputs]
    assert len(outputs) >= 3, frames  # streamed in several frames, not one at the end
    assert frames[0] == 0 and frames[-1] == 100 and frames == sorted(set(frames)), frames
    assert "frame 0 of 100" in title(outputs[0][1]) and "Sampling… 1 of 101 frames" in outputs[0][2]
    assert "t = 0" in title(outputs[-1][1]) and "modes covered" in outputs[-1][2]
    assert arrivals[0] < arrivals[-1] / 2, arrivals  # the first frame comes well before the whole run
    fig, status = client.predict(37, api_name="/diffusion_scrub")  # the whole trajectory was kept
    assert "frame 37 of 100 · t = 630" in title(fig)


def test_reverse_process_of_guided_digits(client):
    _, fig, _ = client.predict("diffusion_digits", 3, "ddim", 20, 0.0, "7", 3.0, api_name="/diffusion_sample")
    assert "class 7, w = 3" in title(fig) and figure(fig)["data"][0]["type"] == "heatmap"


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
    b_job = bob.submit(5, "moons", 2, None, api_name="/diffusion_train")
    deadline = time.time() + 90
    while (len(a_job.outputs()) < 3 or len(b_job.outputs()) < 3) and time.time() < deadline:
        time.sleep(0.2)
    a_job.cancel()
    b_job.cancel()
    time.sleep(1.0)
    a_steps = [step_of(o[-1]) for o in a_job.outputs()]
    b_steps = [step_of(o[-1]) for o in b_job.outputs()]
    assert len(a_steps) >= 3 and len(b_steps) >= 3
    assert all(s % 20 == 0 for s in a_steps) and all(s % 5 == 0 for s in b_steps)  # each its own speed
    assert all("/ 8 modes" in o[-1] for o in a_job.outputs())  # Alice's ring, never Bob's moons
    assert not any("modes" in o[-1] for o in b_job.outputs())
    reset = bob.predict("moons", 2, None, api_name="/diffusion_new_run")
    assert step_of(reset[-1]) == 0
    _, _, again = alice.predict("ring", 1, None, api_name="/diffusion_new_run")
    assert step_of(again) == 0
