"""The VAE tab through gradio_client: every view by api_name, bad input refused clearly, live training per session."""

from __future__ import annotations

import re
import time

import numpy as np
import pytest
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError
from PIL import Image

from tests.ui.plotly_json import decode, figure
from tests.helpers import call_raw

VAE = "VAE (β = 1)"


def step_of(status: str) -> int:
    return int(re.search(r"Step ([\d,]+)", status).group(1).replace(",", ""))


def refused(client: Client, *args, api_name: str, match: str) -> None:
    with pytest.raises(AppError, match=match):
        client.predict(*args, api_name=api_name)


def test_latent_map_and_manifold(client):
    fig_map, decoded, note = client.predict(VAE, 1.0, -2.0, True, api_name="/vae_map")
    traces = figure(fig_map)["data"]
    picked = [t for t in traces if t.get("name") == "picked"][0]
    assert (picked["x"][0], picked["y"][0]) == (1.0, -2.0)
    assert any(t.get("mode") == "lines" for t in traces)  # σ ellipses drawn
    assert decode(figure(decoded)["data"][0]["z"]).shape == (8, 8) and "z = (1.00, -2.00)" in note
    (grid,) = [client.predict("AE", 15, api_name="/vae_manifold")]
    assert decode(figure(grid)["data"][0]["z"]).shape == (15 * 9 - 1, 15 * 9 - 1)
    bounds = client.predict("PCA", api_name="/vae_model_range")
    assert bounds[0]["maximum"] >= 3


@pytest.mark.parametrize("args, match", [
    ((VAE, 1e9, 0.0, False), "z₁ must be in"),
    ((VAE, 0.0, -1e9, False), "z₂ must be in"),
    ((VAE, "lots", 0.0, False), "z₁ must be a number"),
])
def test_latent_map_refuses_bad_points(client, args, match):
    refused(client, *args, api_name="/vae_map", match=match)


def test_nan_point_through_the_raw_api_is_refused(app_url):
    reply = call_raw(app_url, "vae_map", f'{{"data": ["{VAE}", NaN, 0, false]}}')
    assert "event: error" in reply and "finite" in reply, reply


def test_prior_sampling_shows_three_sheets_and_shares(client):
    samples, shares, note = client.predict(0, 2, api_name="/vae_prior")
    bars = figure(shares)["data"][0]
    values = dict(zip(bars["x"], decode(bars["y"]).tolist()))
    assert values["VAE · z ~ N(0, I)"] > values["AE decoder · the same z"]
    assert len(figure(samples)["data"]) == 3 and "reconstructions" in note
    eight = figure(client.predict(0, 8, api_name="/vae_prior")[1])["data"][0]
    assert dict(zip(eight["x"], decode(eight["y"]).tolist()))["AE decoder · the same z"] < 30
    refused(client, 0, 5, api_name="/vae_prior", match="not in the list of choices")


def test_reparameterisation_resamples_with_the_seed(client):
    a = client.predict(5, 0, 8, api_name="/vae_reparam")
    b = client.predict(5, 1, 8, api_name="/vae_reparam")
    assert a[2] != b[2] and "z = μ + σ ⊙ ε" in a[2]
    refused(client, 5, 0, 0, api_name="/vae_reparam", match="Draws of ε")
    refused(client, 5000, 0, 8, api_name="/vae_reparam", match="Test digit")


def test_interpolation_strips(client):
    strips = client.predict(0, 100, 8, api_name="/vae_interpolate")
    assert decode(figure(strips)["data"][0]["z"]).shape == (3 * 9 - 1, 8 * 9 - 1)
    refused(client, 0, 100, 1000, api_name="/vae_interpolate", match="Images per strip")


def test_beta_view_and_refusals(client):
    curve, fig_map, samples, bars, note = client.predict(0.5, api_name="/vae_beta")
    assert figure(curve)["data"][1]["name"] == "β = 0.5" and "β = 0.5" in note
    assert len(figure(bars)["data"][0]["x"]) == 8
    refused(client, -1, api_name="/vae_beta", match="β must be positive")
    refused(client, 3, api_name="/vae_beta", match="was not trained")


def test_pca_view(client):
    spaces, errors, note = client.predict(api_name="/vae_pca")
    assert "Principal angles" in note and len(figure(errors)["data"][0]["x"]) == 4


def _sketch_file(tmp_path, draw: bool) -> dict:
    canvas = np.full((280, 280, 3), 255, np.uint8)
    if draw:
        canvas[40:240, 130:150] = 0
    path = tmp_path / ("one.png" if draw else "blank.png")
    Image.fromarray(canvas).save(path)
    return {"background": None, "layers": [], "composite": handle_file(str(path))}


def test_sketch_encodes_a_drawing_and_refuses_an_empty_one(client, tmp_path):
    fig_map, pair, note = client.predict(_sketch_file(tmp_path, True), VAE, api_name="/vae_sketch")
    assert "your digit" in str(figure(fig_map)["data"][-1]["name"]) and "encoded at" in note
    refused(client, _sketch_file(tmp_path, False), VAE, api_name="/vae_sketch", match="sketch is empty")


def test_live_training_refuses_bad_settings(client):
    refused(client, -1, 2, 0, 20, api_name="/vae_train", match="β must be between")
    refused(client, 1.0, 2, 0, 1e6, api_name="/vae_train", match="Steps per frame")
    refused(client, 1.0, 99, 0, api_name="/vae_reset", match="Latent size")


def test_two_sessions_train_without_seeing_each_other(app_url):
    alice, bob = Client(app_url, verbose=False), Client(app_url, verbose=False)
    _, _, status = alice.predict(1.0, 2, 0, api_name="/vae_reset")
    assert step_of(status) == 0
    bob.predict(4.0, 8, 1, api_name="/vae_reset")
    job = bob.submit(4.0, 8, 1, 50, api_name="/vae_train")
    deadline = time.time() + 60
    while len(job.outputs()) < 3 and time.time() < deadline:
        time.sleep(0.2)
    job.cancel()  # Pause
    time.sleep(1.0)
    frames = job.outputs()
    assert len(frames) >= 3, "training streamed fewer than 3 frames"
    steps = [step_of(f[-1]) for f in frames]
    assert steps == sorted(steps) and steps[-1] > 0
    assert "first 2 of 8 dims" in figure(frames[-1][0])["layout"]["title"]["text"]
    # Alice's run is untouched by Bob's training
    _, _, status = alice.predict(1.0, 2, 0, api_name="/vae_paused")
    assert step_of(status) == 0 and "latent size 2" in status
    # Bob resumes where he paused
    _, _, after = bob.predict(4.0, 8, 1, api_name="/vae_paused")
    assert step_of(after) >= steps[-1]
