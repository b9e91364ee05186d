"""The Text → image tab through gradio_client: every view by api_name, checked against the library, bad input
refused with a message naming the control, live CLIP training per session (Pause keeps it, Reset starts over).

The live matrix is a ``demos.liveplot.LivePlot`` value: a keyframe, then deltas of it, decoded in order with
``demos.liveplot.decode``. The digits a figure shows are found by matching its tiles against the test split,
so each check recomputes what the figure should say from the pixels, not from the view's own choices.
"""

from __future__ import annotations

import json
import os
import re
import time
import urllib.request

import numpy as np
import pytest
import torch
from gradio_client import Client
from gradio_client.exceptions import AppError

from demos.liveplot import decode as decode_live
from explainer.clip import catalog, views
from explainer.clip.session import new_session
from explainer.datasets import captions, digit_classifier
from tests.helpers import call_raw
from tests.ui.plotly_json import decode, figure

VOCABULARY = "the captions use only these words: " + ", ".join(captions.VOCABULARY)
TEMPLATE = catalog.S.template  # "a photo of the digit {digit}"
# a server on CUDA trains and encodes with other rounding than this CPU reference; figures round to 3 decimals
ATOL = 1.01e-3 if os.environ.get("EXPLAINER_TEST_DEVICE", "cpu") == "cpu" else 5e-3


def shown_digits(z, rows: int, cols: int) -> list[int]:
    """Indices into the test split of the digits tiled (rows × cols, 8×8, NaN gaps) in a heatmap's z."""
    z, test = decode(z), catalog.test_set().images
    found = []
    for r in range(rows):
        for c in range(cols):
            tile_ = z[9 * r: 9 * r + 8, 9 * c: 9 * c + 8]
            gap = np.abs(test - tile_[None]).reshape(len(test), -1).max(1)
            assert gap.min() <= 1e-3, f"tile {r, c} is no test digit"
            found.append(int(gap.argmin()))
    return found


def cosines(images: np.ndarray, texts: list[str]) -> np.ndarray:
    """(images × texts) cosines under the shipped CLIP, straight from its two encoders."""
    model = catalog.load_clip()
    with torch.no_grad():
        return (model.encode_images(images) @ model.encode_text(texts).T).numpy()


def unwrap(tick: str) -> str:
    return tick.replace("<br>", " ")


def test_captions_are_what_the_pixels_measure(client):
    gallery, attributes, note = client.predict(5, api_name="/clip_captions")
    heat = figure(gallery)
    idx = shown_digits(heat["data"][0]["z"], 1, 8)
    test = catalog.test_set()
    assert [unwrap(t) for t in heat["layout"]["xaxis"]["ticktext"]] == captions.describe(test.images[idx],
                                                                                        test.labels[idx])
    measured = captions.measure(test.images[idx])
    marks = {t["xaxis"]: decode(t["x"]) for t in figure(attributes)["data"] if t.get("name") == "shown digits"}
    assert len(marks) == 3
    for (name, values), shown in zip(measured.items(), marks.values()):
        want = np.abs(values) if name == "slant" else values
        np.testing.assert_allclose(shown, want, atol=1e-3, err_msg=name)
    assert "Vocabulary: " + captions.vocabulary_text() in note
    other = client.predict(6, api_name="/clip_captions")[0]
    assert shown_digits(figure(other)["data"][0]["z"], 1, 8) != idx  # another seed, other digits


@pytest.mark.parametrize("seed, size", [(0, 12), (7, 24), (3, 2)])
def test_similarity_matrix_is_the_encoders_cosines(client, seed, size):
    matrix, status = client.predict(seed, size, api_name="/clip_similarity")
    fig = figure(matrix)
    idx = shown_digits(fig["data"][0]["z"], size, 1)
    texts = [unwrap(t) for t in fig["layout"]["xaxis"]["ticktext"]]
    test = catalog.test_set()
    assert texts == captions.describe(test.images[idx], test.labels[idx]) and len(set(texts)) == size
    sims = decode(fig["data"][1]["z"])
    want = cosines(test.images[idx], texts)
    np.testing.assert_allclose(sims, want, atol=ATOL)
    np.testing.assert_allclose(want, views.similarity(catalog.load_clip(), test.images[idx], texts), atol=1e-5)
    hits = int((want.argmax(1) == np.arange(size)).sum())
    assert f"**{hits} of {size}** images are nearest their own caption" in status, status
    assert hits > size / 2  # the shipped CLIP finds most of its diagonal
    assert f"exp(t) = **{catalog.metrics()['logit_scale']:.1f}**" in status


@pytest.mark.parametrize("dims", [2, 3])
def test_shared_space_projects_images_and_captions(client, dims):
    space, note = client.predict(4, dims, api_name="/clip_space")
    traces = figure(space)["data"]
    assert {t["type"] for t in traces} == {"scatter3d" if dims == 3 else "scatter"}
    lines = [t for t in traces if t.get("mode") == "lines"]
    assert len(lines) == 1 and np.isnan(decode(lines[0]["x"])).sum() == 12  # 12 digits joined to their captions
    test = catalog.test_set()
    own = cosines(test.images, list(catalog.test_captions())).diagonal().mean()
    assert f"cosine with its own caption is **{own:.2f}**" in note, note
    assert f"({dims}-D projection)" in figure(space)["layout"]["title"]["text"]


def test_zero_shot_matches_the_checkpoint_and_an_independent_count(client):
    confusion, per_digit, status = client.predict(TEMPLATE, api_name="/clip_zero_shot")
    metrics, test = catalog.metrics(), catalog.test_set()
    assert metrics["zero_shot_template"] == TEMPLATE
    assert f"Zero-shot accuracy **{metrics['zero_shot_accuracy']:.1%}**" in status, status
    assert f"against **{metrics['classifier_accuracy']:.1%}** for the classifier" in status, status
    counts = np.asarray(figure(confusion)["data"][0]["z"])
    assert counts.sum() == len(test) and np.trace(counts) / len(test) == pytest.approx(metrics["zero_shot_accuracy"],
                                                                                      abs=5e-5)
    judged = digit_classifier.classify(test.images).argmax(1)
    bars = {t["name"]: decode(t["y"]) for t in figure(per_digit)["data"]}
    np.testing.assert_allclose(bars["classifier (trained on labels)"],
                               [(judged[test.labels == k] == k).mean() for k in range(10)], atol=1e-4)
    # another prompt: the confusion counts are the nearest prompt of each test digit, recomputed here
    other = "the digit {digit}"
    confusion, _, status = client.predict(other, api_name="/clip_zero_shot")
    pred = cosines(test.images, [other.replace("{digit}", k) for k in captions.DIGIT_NAMES]).argmax(1)
    want = np.zeros((10, 10), int)
    np.add.at(want, (test.labels, pred), 1)
    np.testing.assert_array_equal(figure(confusion)["data"][0]["z"], want)
    assert f"**{(pred == test.labels).mean():.1%}** with “{other}”" in status


@pytest.mark.parametrize("query", ["an upright four", "a thin upright zero", "the digit six"])
def test_retrieval_both_ways(client, query):
    gallery, bars, status = client.predict(query, 17, api_name="/clip_retrieval")
    test, k = catalog.test_set(), catalog.S.top_k
    top = shown_digits(figure(gallery)["data"][0]["z"], 1, k)
    sims = cosines(test.images, [query])[:, 0]
    assert top == np.argsort(-sims)[:k].tolist()  # the nearest test digits, best first
    parsed = captions.parse(query)
    found = captions.words(test.images[top])
    match = [test.labels[j] == parsed.digit and all(found[r].get(a) == w for a, w in parsed.attributes.items())
             for r, j in enumerate(top)]
    assert match[0], f"the best digit for {query!r} is a {test.labels[top[0]]} captioned {catalog.test_captions()[top[0]]!r}"
    assert f"**{sum(match)} of {k}** retrieved digits are what “{query}” says" in status, status
    # image → captions: every caption the vocabulary writes (10 digits × 3 sizes × 3 weights × 3 slants)
    every = [captions.caption(d, {a: w for a, w in zip(captions.WORDS, choice) if w})
             for d in range(10) for choice in np.array(np.meshgrid(*[["", *p] for p in captions.WORDS.values()],
                                                                    indexing="ij")).reshape(3, -1).T]
    assert len(set(every)) == 270
    cos = cosines(test.images[17:18], every)[0]
    bar = [t for t in figure(bars)["data"] if t["type"] == "bar"][0]
    assert bar["y"] == [every[j] for j in np.argsort(-cos)[:k]]
    own = catalog.test_captions()[17]
    assert f"ranks **{int((cos > cos[every.index(own)]).sum()) + 1}** of 270" in status, status


@pytest.mark.parametrize("api, args, match", [
    ("/clip_retrieval", ("a fluffy seven", 0), "Unknown word 'fluffy': " + VOCABULARY),
    ("/clip_retrieval", ("", 0), "The text is empty: type a few words from the vocabulary: a, an, the"),
    ("/clip_retrieval", ("  ,. ", 0), "The text is empty"),
    ("/clip_retrieval", ("a seven two", 0), "names 2 digits"),
    ("/clip_retrieval", ("a thick thin seven", 0), "both 'thick' and 'thin'"),
    ("/clip_retrieval", ("seven " * 20, 0), "at most 12"),
    ("/clip_retrieval", ("seven" * 50, 0), "at most 120"),
    ("/clip_retrieval", ("a seven", 359), "Test digit #: 359 is greater than maximum value 358"),
    ("/clip_retrieval", ("a seven", -1), "Test digit #: -1 is less than minimum value 0"),
    ("/clip_retrieval", ("a seven", 1e12), "Test digit #: .* greater than maximum"),
    ("/clip_zero_shot", ("a photo of the digit",), r"slot \{digit\} exactly once"),
    ("/clip_zero_shot", ("",), r"slot \{digit\} exactly once"),
    ("/clip_zero_shot", ("{digit} or {digit}",), r"slot \{digit\} exactly once"),
    ("/clip_zero_shot", ("a picture of {digit}",), "Unknown word 'picture': " + VOCABULARY),
    ("/clip_zero_shot", ("a seven {digit}",), "names a digit of its own"),
    ("/clip_similarity", (0, 25), "Digits in the batch: 25 is greater than maximum value 24"),
    ("/clip_similarity", (0, 1), "Digits in the batch: 1 is less than minimum value 2"),
    ("/clip_similarity", (0, 1e9), "Digits in the batch: .* greater than maximum"),
    ("/clip_similarity", (0, 2.5), "Digits in the batch must be a whole number"),
    ("/clip_similarity", (-3, 12), "Seed \\(which digits\\): -3 is less than minimum value 0"),
    ("/clip_captions", (2**31,), "Seed \\(which digits\\): .* greater than maximum"),
    ("/clip_captions", ("many",), "Seed \\(which digits\\) must be a finite number"),
    ("/clip_captions", (None,), "Seed \\(which digits\\) is empty"),
    ("/clip_space", (0, 4), "Dimensions shown: 4 is not in the list of choices"),
    ("/clip_train", (0, 101), "Steps per frame: 101 is greater than maximum value 100"),
    ("/clip_train", (0, 0), "Steps per frame: 0 is less than minimum value 1"),
    ("/clip_train", (-1, 20), "Seed: -1 is less than minimum value 0"),
    ("/clip_reset", (10**12,), "Seed: .* greater than maximum"),
    ("/clip_paused", (-5,), "Seed: -5 is less than minimum value 0"),
    ("/clip_unclip", ("a fluffy seven", 0, 2.0, 20, 4), "Unknown word 'fluffy': " + VOCABULARY),
    ("/clip_unclip", ("", 0, 2.0, 20, 4), "The text is empty: type a few words from the vocabulary: a, an, the"),
    ("/clip_unclip", ("a seven", 0, 10.5, 20, 4), r"Guidance w \(decoder\): 10.5 is greater than maximum value 10"),
    ("/clip_unclip", ("a seven", 0, -1, 20, 4), r"Guidance w \(decoder\): -1 is less than minimum value 0"),
    ("/clip_unclip", ("a seven", 0, 2.0, 0, 4), r"DDIM steps \(decoder\): 0 is less than minimum value 1"),
    ("/clip_unclip", ("a seven", 0, 2.0, 10**6, 4), r"DDIM steps \(decoder\): 1000000 is greater than maximum"),
    ("/clip_unclip", ("a seven", 0, 2.0, 20, 17), "Digits: 17 is greater than maximum value 16"),
    ("/clip_unclip", ("a seven", -1, 2.0, 20, 4), "Seed: -1 is less than minimum value 0"),
])
def test_bad_input_is_refused_naming_the_control(client, api, args, match):
    with pytest.raises(AppError, match=match):
        client.predict(*args, api_name=api)


@pytest.mark.parametrize("api, body, message", [
    ("clip_similarity", '{"data": [0, NaN]}', "Digits in the batch must be a finite number, got nan"),
    ("clip_captions", '{"data": [Infinity]}', "Seed (which digits) must be a finite number, got inf"),
    ("clip_retrieval", '{"data": ["a seven", NaN]}', "Test digit # must be a finite number, got nan"),
    ("clip_retrieval", '{"data": [null, 0]}', "Text (words of the vocabulary): send text, got None"),
    ("clip_zero_shot", '{"data": [7]}', "Prompt ({digit} is replaced by zero \\u2026 nine): send text, got 7"),
    ("clip_train", '{"data": [0, -Infinity]}', "Steps per frame must be a finite number, got -inf"),
    ("clip_reset", '{"data": [NaN]}', "Seed must be a finite number, got nan"),
    ("clip_unclip", '{"data": ["a seven", 0, NaN, 20, 4]}', "Guidance w (decoder) must be a finite number, got nan"),
    ("clip_unclip", '{"data": ["a seven", 0, 2, Infinity, 4]}', "DDIM steps (decoder) must be a finite number"),
])
def test_nan_and_wrong_types_through_the_raw_api_are_refused(app_url, api, body, message):
    reply = call_raw(app_url, api, body)
    assert "event: error" in reply and message in reply, reply


def test_every_trigger_starts_one_server_event(app_url):
    """As the VAE tab's test: a trigger with two server events re-runs both (Gradio 6.31, always_last), and
    .change fires on replies too, so only the hidden "opened" flag and the Seed numbers may use it."""
    with urllib.request.urlopen(f"{app_url}config") as r:
        config = json.loads(r.read())
    comps = {c["id"]: c for c in config["components"]}
    mine = [d for d in config["dependencies"] if str(d.get("api_name") or "").startswith("clip")]
    assert {"clip_captions", "clip_similarity", "clip_space", "clip_zero_shot", "clip_retrieval", "clip_train",
            "clip_paused", "clip_reset", "clip_unclip"} <= {d["api_name"] for d in mine}
    server: dict[tuple, list] = {}
    for d in config["dependencies"]:
        for target in d["targets"] if d["backend_fn"] else ():
            server.setdefault(tuple(target), []).append(d["api_name"])
    for d in mine:
        for target in d["targets"] if d["backend_fn"] else ():
            if target[1] not in ("then", "success", "failure"):
                assert len(server[tuple(target)]) == 1, (target, server[tuple(target)])
    changes = [comps[t[0]]["props"] for d in mine for t in d["targets"] if t[1] == "change"]
    assert changes and all(p.get("visible") is False or str(p.get("label", "")).startswith("Seed") for p in changes)


def test_unclip_chain_draws_every_stage_and_measures_agreement(client):
    text, n = "a thick slanted seven", 8
    embeddings, projection, digits, agreement, status = client.predict(text, 3, 2.0, 30, n, api_name="/clip_unclip")
    strips = figure(embeddings)["data"][0]
    assert decode(strips["z"]).shape == (1 + 2 * n, catalog.EMBED_DIM)  # the text, n prior samples, n nearest real
    with torch.no_grad():
        want = catalog.load_clip().encode_text([text]).numpy()[0]
    np.testing.assert_allclose(decode(strips["z"])[0], want, atol=ATOL)  # stage 1 is CLIP's text embedding
    names = {t["name"] for t in figure(projection)["data"]}
    assert {"real image embeddings", "prior's image embeddings", "caption's text embedding"} <= names
    drawn = figure(digits)
    frames = decode(drawn["data"][0]["z"])
    rows = len(drawn["layout"]["yaxis"]["ticktext"])
    assert frames.shape == (9 * rows - 1, 9 * n - 1) and drawn["layout"]["yaxis"]["ticktext"][-1] == "digits"
    final = np.stack([frames[9 * (rows - 1):, 9 * j: 9 * j + 8] for j in range(n)])  # (n, 8, 8) the last row
    # the three readers, rerun here on the digits as drawn
    read = digit_classifier.classify(final).argmax(1)
    assert [int(t.split()[0]) for t in drawn["layout"]["xaxis"]["ticktext"]] == read.tolist()
    sevens = int((read == 7).sum())
    assert f"The classifier reads **{sevens} of {n}** as a seven" in status, status
    assert sevens >= n // 2, f"only {sevens} of {n} digits read as a seven"  # chance would give ~1
    found = captions.words(final)
    matched = sum(w.get("weight") == "thick" and w.get("slant") == "slanted" for w in found)
    assert f"{matched} of {n} measure as thick and slanted" in status, status
    cosine = float(re.search(r"cosine (-?[\d.]+) against", status).group(1))
    assert cosines(final, [text]).mean() == pytest.approx(cosine, abs=0.011)
    bars = figure(agreement)["data"][0]
    assert dict(zip(bars["y"], bars["x"]))["classifier reads the digit"] == pytest.approx(sevens / n, abs=1e-4)
    again = client.predict(text, 3, 2.0, 30, n, api_name="/clip_unclip")
    assert again[-1] == status and figure(again[2])["data"][0]["z"] == drawn["data"][0]["z"]  # seeded
    other = client.predict(text, 4, 2.0, 30, n, api_name="/clip_unclip")
    assert figure(other[2])["data"][0]["z"] != drawn["data"][0]["z"]
    _, _, _, _, plain = client.predict("a thick digit", 0, 0.0, 5, 2, api_name="/clip_unclip")
    assert plain.startswith("The caption names no digit") and "of 2 measure as thick" in plain, plain


# --- Live training ------------------------------------------------------------------------------------------
def step_of(status: str) -> int:
    return int(re.match(r"Step ([\d,]+) of 800", status).group(1).replace(",", ""))


def matrices(outputs: list) -> list[dict]:
    """The live matrix of each streamed frame (output 0), each delta applied to its keyframe."""
    figs, key = [], None
    for out in outputs:
        value = out[0]["value"] if isinstance(out[0], dict) else out[0]
        fig = decode_live(value, key)
        key = fig if "key" in json.loads(value) else key
        figs.append(fig)
    return figs


def steps_shown(figs: list[dict]) -> list[int]:
    titles = [f["layout"]["title"]["text"] for f in figs]
    found = [re.fullmatch(r"Your CLIP at step ([\d,]+): 12 test digits × their captions", t) for t in titles]
    assert all(found), titles
    return [int(m.group(1).replace(",", "")) for m in found]


def train_a_while(job, frames: int, seconds: float = 90) -> list:
    deadline = time.time() + seconds
    while len(job.outputs()) < frames and time.time() < deadline and not job.done():
        time.sleep(0.2)
    job.cancel()  # Pause
    time.sleep(1.0)
    return job.outputs()


def test_two_sessions_train_without_seeing_each_other(app_url):
    alice, bob = Client(app_url, verbose=False), Client(app_url, verbose=False)
    a_job = alice.submit(1, 20, api_name="/clip_train")
    b_job = bob.submit(2, 1, api_name="/clip_train")
    a_out, b_out = train_a_while(a_job, 6), train_a_while(b_job, 6)
    a_figs, b_figs = matrices(a_out), matrices(b_out)
    a_steps, b_steps = steps_shown(a_figs), steps_shown(b_figs)
    assert len(a_steps) >= 6 and len(b_steps) >= 6, (a_steps, b_steps)
    assert a_steps[0] == b_steps[0] == 0 and "random weights" in a_out[0][-1]  # a fresh run, drawn first
    assert set(np.diff(b_steps[1:])) == {1}, b_steps  # Bob's speed: one step a frame
    assert all(1 <= m <= 20 for m in np.diff(a_steps[1:])) and a_steps[-1] > a_steps[1], a_steps
    for out, steps in ((a_out, a_steps), (b_out, b_steps)):  # the status line, when sent, says the frame's step
        assert all(step_of(o[-1]) == s for o, s in zip(out, steps) if isinstance(o[-1], str))
    # each matrix is the one an independent run of the same seed shows at that step: the same fixed batch,
    # the same weights (training is seeded and does not depend on how the steps are split into frames)
    for seed, fig, step in ((1, a_figs[-1], a_steps[-1]), (2, b_figs[-1], b_steps[-1])):
        reference = new_session(seed)
        reference.trainer.train(step)
        test = catalog.test_set()
        texts = [catalog.test_captions()[i] for i in reference.batch]
        assert [unwrap(t) for t in fig["layout"]["xaxis"]["ticktext"]] == texts
        with torch.no_grad():
            want = views.similarity(reference.trainer.model.eval(), test.images[reference.batch], texts)
        np.testing.assert_allclose(decode(fig["data"][1]["z"]), want, atol=ATOL, err_msg=f"seed {seed}")
    assert a_figs[-1]["layout"]["xaxis"]["ticktext"] != b_figs[-1]["layout"]["xaxis"]["ticktext"]
    # Pause kept each run where it stopped; one's training never moved the other's
    for who, seed, figs, steps in ((alice, 1, a_figs, a_steps), (bob, 2, b_figs, b_steps)):
        matrix, _, paused = who.predict(seed, api_name="/clip_paused")
        assert step_of(paused) >= steps[-1] and f"at step {step_of(paused):,}:" in decode_live(matrix)["layout"]["title"]["text"]
        assert decode_live(matrix)["layout"]["xaxis"]["ticktext"] == figs[-1]["layout"]["xaxis"]["ticktext"]


def test_pause_keeps_the_run_train_resumes_it_reset_starts_over(client):
    matrix, curve, status = client.predict(3, api_name="/clip_reset")
    assert step_of(status) == 0 and "at step 0:" in decode_live(matrix)["layout"]["title"]["text"]
    first = matrices(train_a_while(client.submit(3, 10, api_name="/clip_train"), 4))
    paused_at = steps_shown(first)[-1]
    assert paused_at > 0
    matrix, curve, status = client.predict(3, api_name="/clip_paused")
    paused = step_of(status)
    assert paused >= paused_at and f"at step {paused:,}:" in decode_live(matrix)["layout"]["title"]["text"]
    assert figure(curve)["data"][0]["x"][-1] == paused  # the loss curve up to that step
    time.sleep(1.0)
    assert step_of(client.predict(3, api_name="/clip_paused")[-1]) == paused  # stopped: nothing trains on
    resumed = steps_shown(matrices(train_a_while(client.submit(3, 10, api_name="/clip_train"), 3)))
    assert resumed[0] == paused and resumed[-1] > paused, resumed  # Train resumed the run, not a new one
    other_seed = steps_shown(matrices(train_a_while(client.submit(4, 10, api_name="/clip_train"), 2)))
    assert other_seed[0] == 0, other_seed  # another seed is another run, from random weights
    matrix, curve, status = client.predict(3, api_name="/clip_reset")
    assert step_of(status) == 0 and "random weights" in status
    assert "at step 0:" in decode_live(matrix)["layout"]["title"]["text"] and not figure(curve)["data"][0]["x"]
