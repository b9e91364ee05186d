"""The tiny CLIP: the loss against a hand computation, the shipped model's measured skills, live training, views."""

from __future__ import annotations

import dataclasses
import json
import math

import numpy as np
import plotly.graph_objects as go
import pytest
import torch

from explainer import checkpoint, figstyle
from explainer.clip import catalog, session, views
from explainer.clip.model import EMBED_DIM, MAX_LOGIT_SCALE, TinyClip, clip_loss, token_ids
from explainer.clip.training import NAME, TrainConfig, Trainer, retrieval_recall
from explainer.datasets import captions, digits
from explainer.validate import InputError

pytestmark = pytest.mark.usefixtures("one_thread")  # as the server runs (tests/conftest.py)


def test_clip_loss_matches_a_hand_computation_on_three_pairs():
    rng = np.random.default_rng(0)
    img = rng.standard_normal((3, 4))
    txt = rng.standard_normal((3, 4))
    img /= np.linalg.norm(img, axis=1, keepdims=True)
    txt /= np.linalg.norm(txt, axis=1, keepdims=True)
    scale = 7.5
    logits = [[scale * sum(img[i, d] * txt[j, d] for d in range(4)) for j in range(3)] for i in range(3)]
    # image i must pick text i among the 3 (rows), text j must pick image j (columns)
    rows = [-logits[i][i] + math.log(sum(math.exp(logits[i][j]) for j in range(3))) for i in range(3)]
    cols = [-logits[j][j] + math.log(sum(math.exp(logits[i][j]) for i in range(3))) for j in range(3)]
    expected = (sum(rows) / 3 + sum(cols) / 3) / 2
    got = clip_loss(torch.tensor(img), torch.tensor(txt), scale)
    assert float(got) == pytest.approx(expected, rel=1e-10)


def test_perfect_pairs_give_a_small_loss_and_random_ones_about_log_n():
    eye = torch.eye(8)
    assert float(clip_loss(eye, eye, 100.0)) < 1e-6
    assert float(clip_loss(eye, eye, 0.0)) == pytest.approx(math.log(8))  # scale 0: every pair alike


def test_temperature_starts_at_one_over_0_07_and_is_clipped_at_100():
    model = TinyClip()
    assert model.logit_scale == pytest.approx(1 / 0.07, rel=1e-5)
    with torch.no_grad():
        model.t.fill_(10.0)  # exp(10) ≈ 22,026
    assert model.logit_scale == MAX_LOGIT_SCALE


def test_encoders_give_unit_vectors_and_ignore_padding():
    model = catalog.load_clip()
    images = digits.load("test").images[:5]
    emb = model.encode_images(images)
    assert emb.shape == (5, EMBED_DIM)
    torch.testing.assert_close(emb, model.encode_images(torch.as_tensor(images).reshape(5, 64)))
    np.testing.assert_allclose(emb.norm(dim=1).numpy(), 1, atol=1e-5)
    texts = ["a seven", "a photo of a large thick slanted eight"]
    ids = token_ids(texts)
    padded = torch.cat([ids, torch.zeros(2, 3, dtype=torch.long)], 1)  # more padding columns: same embeddings
    model_long = TinyClip(dataclasses.replace(model.config, max_words=ids.shape[1] + 3))
    model_long.load_state_dict({**model.state_dict(), "pos_emb": torch.cat([model.pos_emb, torch.randn(3, 64, generator=torch.Generator().manual_seed(0))])})
    torch.testing.assert_close(model.encode_text(texts), model_long.encode_ids(padded))
    with pytest.raises(InputError, match="zero, one, two"):
        model.encode_text(["a purple seven"])


@pytest.fixture(scope="module")
def test_split():
    return digits.load("test")


def test_shipped_model_classifies_zero_shot_far_above_chance(test_split):
    model = catalog.load_clip()
    prompts = [f"a photo of the digit {name}" for name in captions.DIGIT_NAMES]
    with torch.no_grad():
        sims = model.encode_images(test_split.images).numpy() @ model.encode_text(prompts).numpy().T  # (359, 10)
    accuracy = float((sims.argmax(1) == test_split.labels).mean())
    assert accuracy >= 0.5  # chance: 0.1
    assert catalog.metrics()["zero_shot_accuracy"] == pytest.approx(accuracy, abs=1e-4)  # the README's number


def test_recall_at_5_both_ways_matches_a_loop_and_beats_chance(test_split):
    model = catalog.load_clip()
    texts = captions.describe(test_split.images, test_split.labels)
    distinct = sorted(set(texts))
    with torch.no_grad():
        img = model.encode_images(test_split.images).numpy()
        txt = model.encode_text(distinct).numpy()
    sims = img @ txt.T
    t2i = i2t = 0
    for i, own in enumerate(texts):
        col = distinct.index(own)
        best_images = np.argsort(-sims[:, col])[:5]
        t2i += any(texts[j] == own for j in best_images)
        i2t += col in np.argsort(-sims[i])[:5]
    got = retrieval_recall(model, test_split.images, texts)
    assert got == pytest.approx((t2i / len(texts), i2t / len(texts)))
    assert got[1] > 10 * 5 / len(distinct)  # image -> caption: a random ranking finds the caption 5 / 165 of the time
    assert got[0] >= 0.5
    m = catalog.metrics()
    assert (m["recall_at_5_caption_to_image"], m["recall_at_5_image_to_caption"]) == pytest.approx(got, abs=1e-4)


def test_the_checkpoint_records_its_measurements():
    meta = json.loads(checkpoint.paths(NAME)[1].read_text())
    for key in ("zero_shot_accuracy", "classifier_accuracy", "recall_at_5_caption_to_image",
                "recall_at_5_image_to_caption", "logit_scale", "train_seconds"):
        assert key in meta["metrics"], key
    assert meta["metrics"]["logit_scale"] == pytest.approx(catalog.load_clip().logit_scale, abs=1e-3)


def test_same_seed_same_weights_and_the_global_rng_untouched():
    before = torch.random.get_rng_state()
    runs = []
    for seed in (3, 3, 4):
        t = Trainer(train=TrainConfig(steps=5, batch_size=32), seed=seed)
        t.train(5)
        runs.append({k: v.clone() for k, v in t.model.state_dict().items()})
    assert all(torch.equal(runs[0][k], runs[1][k]) for k in runs[0])
    assert not all(torch.equal(runs[0][k], runs[2][k]) for k in runs[0])
    assert torch.equal(before, torch.random.get_rng_state())


def test_a_live_session_grows_its_diagonal():
    s = session.new_session(seed=1)
    start = session.diagonal_share(s)
    assert start <= 0.34  # random weights: about 1 in 12 by chance
    s.trainer.train(150)  # not s.train(): its one-second budget would make the step count depend on the machine
    assert session.diagonal_share(s) >= start + 0.3
    view = session.session_view(s)
    figstyle.validated(view.matrix)
    figstyle.validated(view.curve)
    assert "Step 150" in view.status
    assert s.train(5) == 5 and s.trainer.step_count == 155
    for bad in (0, 10**6, "x", float("nan")):
        with pytest.raises(InputError):
            s.train(bad)


def figures_of(view) -> list[go.Figure]:
    figs = [getattr(view, f.name) for f in dataclasses.fields(view) if isinstance(getattr(view, f.name), go.Figure)]
    for fig in figs:
        figstyle.validated(fig)  # plotly's full validator: raises on any bad property
        assert fig.layout.title.text
    return figs


def test_similarity_view_draws_the_true_cosines_and_marks_the_diagonal(test_split):
    view = views.similarity_view(3, 8)
    (fig,) = figures_of(view)
    idx = views.distinct_batch(3, 8)
    assert len({catalog.test_captions()[i] for i in idx}) == 8  # distinct captions: the diagonal is the only truth
    model = catalog.load_clip()
    with torch.no_grad():
        expected = (model.encode_images(test_split.images[idx])
                    @ model.encode_text([catalog.test_captions()[i] for i in idx]).T).numpy()
    heat = [t for t in fig.data if t.type == "heatmap" and t.zmin == -1][0]
    np.testing.assert_allclose(np.asarray(heat.z, float), expected, atol=1e-3)
    diagonal = [t for t in fig.data if t.name == "true pairs"][0]
    assert list(diagonal.x) == list(diagonal.y) == list(range(8))


@pytest.mark.parametrize("make", [lambda: views.captions_view(2), lambda: views.similarity_view(0),
                                  lambda: views.space_view(1, 2), lambda: views.space_view(1, 3),
                                  lambda: views.zero_shot_view("a {digit}"),
                                  lambda: views.retrieval_view("a small zero", 17)])
def test_every_view_returns_valid_figures(make):
    view = make()
    assert figures_of(view)
    assert all(isinstance(getattr(view, f.name), (go.Figure, str)) for f in dataclasses.fields(view))


def test_zero_shot_view_reports_accuracy_against_classifier_and_chance(test_split):
    view = views.zero_shot_view(views.S.template)
    confusion, _ = figures_of(view)
    counts = np.asarray(confusion.data[0].z)
    assert counts.sum() == len(test_split) and counts.sum(1).tolist() == np.bincount(test_split.labels).tolist()
    accuracy = np.trace(counts) / counts.sum()
    assert f"{accuracy:.1%}" in view.status and "10%" in view.status


def test_retrieval_finds_the_digit_the_text_names(test_split):
    view = views.retrieval_view("a photo of the digit four", 0)
    gallery, bars = figures_of(view)
    assert "4 of 5" in view.status or "5 of 5" in view.status  # the 5 best images are (nearly all) fours
    assert len(bars.data[1].y) == views.S.top_k


@pytest.mark.parametrize("call", [
    lambda: views.similarity_view(-1), lambda: views.similarity_view(0, 1), lambda: views.similarity_view(0, 99),
    lambda: views.captions_view("x"), lambda: views.space_view(0, 4), lambda: views.space_view(float("nan")),
    lambda: views.zero_shot_view("a photo of a seven"), lambda: views.zero_shot_view("{digit} {digit}"),
    lambda: views.zero_shot_view("a banana {digit}"), lambda: views.zero_shot_view("a seven {digit}"),
    lambda: views.zero_shot_view(None), lambda: views.retrieval_view("", 0), lambda: views.retrieval_view("   ", 0),
    lambda: views.retrieval_view("a banana", 0), lambda: views.retrieval_view("a seven", 359),
    lambda: views.retrieval_view("a seven", -1), lambda: views.retrieval_view(["a seven"], 0),
])
def test_views_refuse_bad_input(call):
    with pytest.raises(InputError):
        call()


def test_unknown_and_empty_queries_are_refused_with_the_vocabulary():
    for text in ("", "a banana seven"):
        with pytest.raises(InputError) as err:
            views.retrieval_view(text, 0)
        assert all(w in str(err.value) for w in captions.VOCABULARY)
