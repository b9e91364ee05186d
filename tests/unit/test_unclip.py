"""The unCLIP chain: the prior moves a caption's embedding towards its images, the decoder draws the
digit an embedding holds, the chain refuses what it cannot read, and its agreement numbers are right."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from explainer import figstyle
from explainer.clip import unclip_views
from explainer.clip.decoder import clip_pairs, decode, from_model, load_decoder, to_model
from explainer.clip.prior import (PRIOR_GUIDANCE, clip_fingerprint, fit, load_prior, prior_config,
                                  sample_prior, trained_on)
from explainer.clip.unclip import S, evaluate, measure, swapped, unclip
from explainer.datasets import captions, digits
from explainer.datasets.digit_classifier import classify
from explainer.validate import InputError

pytestmark = pytest.mark.usefixtures("one_thread")  # as the server runs (tests/conftest.py)


def test_the_shipped_prior_and_decoder_were_trained_on_the_shipped_clip():
    """Retraining clip_tiny moves its embedding space: the prior and decoder must then be retrained too."""
    now = clip_fingerprint()
    for name in ("clip_prior", "clip_decoder"):
        assert trained_on(name) == now, f"{name} was trained on another CLIP: python -m explainer.train {name}"


def test_prior_samples_are_closer_to_the_true_image_embeddings_than_random_images():
    test = clip_pairs("test")
    predicted = sample_prior(load_prior(), test.text_emb, seed=7, w=PRIOR_GUIDANCE)  # (359, D)
    assert torch.allclose(predicted.norm(dim=1), torch.ones(len(predicted)), atol=1e-5)  # on the unit sphere
    to_truth = (predicted * test.image_emb).sum(1)  # (359,) cosine to each caption's own image
    shuffled = test.image_emb[torch.randperm(len(test.image_emb), generator=torch.Generator().manual_seed(0))]
    to_random = (predicted * shuffled).sum(1)  # cosine to a random test image
    assert float(to_truth.mean()) > float(to_random.mean()) + 0.4, (to_truth.mean(), to_random.mean())
    # and the nearest real training image of a sample shows the caption's digit far above chance (10 %)
    train = clip_pairs("train")
    nearest = train.labels[(predicted @ train.image_emb.T).argmax(1).numpy()]
    assert (nearest == test.labels).mean() > 0.8


def test_decoding_true_image_embeddings_gives_digits_the_classifier_agrees_with():
    test = clip_pairs("test")
    pick = np.arange(0, len(test.labels), 3)  # 120 held-out digits of every class
    images = decode(load_decoder(), test.image_emb[pick], seed=3, w=S.guidance, steps=S.steps)  # (120, 8, 8)
    assert images.shape == (len(pick), 8, 8) and images.min() >= 0 and images.max() <= 1
    agree = (classify(images).argmax(1) == test.labels[pick]).mean()
    assert agree > 0.75, agree  # chance is 0.10; measured 0.94 at training


def test_the_chain_refuses_unknown_words_and_empty_captions():
    for bad in ("a purple seven", "", "   ", "a seven, please"):
        with pytest.raises(InputError) as err:
            unclip(bad)
        assert "thick" in str(err.value) and "seven" in str(err.value)  # the vocabulary is shown
    with pytest.raises(InputError, match="name at most one"):
        unclip("a seven a two")
    with pytest.raises(InputError):
        unclip(None)  # type: ignore[arg-type]


@pytest.mark.parametrize("kwargs, message", [
    ({"seed": -1}, "Seed"), ({"seed": "x"}, "Seed"), ({"guidance": float("nan")}, "Guidance"),
    ({"guidance": S.max_guidance + 1}, "Guidance"), ({"steps": 0}, "steps"), ({"steps": S.max_steps + 1}, "steps"),
    ({"n": 0}, "Digits"), ({"n": S.max_n + 1}, "Digits"), ({"n": 2.5}, "Digits"),
])
def test_the_view_refuses_out_of_range_controls(kwargs, message):
    with pytest.raises(InputError, match=message):
        unclip_views.unclip_view(**{"caption": "a thin two", **kwargs})


def test_a_run_returns_every_stage_and_is_seeded():
    run = unclip("a thick slanted seven", seed=4, guidance=2.0, steps=20, n=5)
    assert run.parsed.digit == 7 and run.parsed.attributes == {"weight": "thick", "slant": "slanted"}
    assert run.text_emb.shape == (32,) and run.image_emb.shape == (5, 32)
    np.testing.assert_allclose(np.linalg.norm(run.image_emb, axis=1), 1, atol=1e-5)
    assert run.frames.shape[1:] == (5, 8, 8) and run.frame_t[0] == 999 and run.frame_t[-1] == -1
    np.testing.assert_array_equal(run.frames[-1], run.digits)
    again, other = unclip("a thick slanted seven", seed=4, guidance=2.0, steps=20, n=5), unclip(
        "a thick slanted seven", seed=5, guidance=2.0, steps=20, n=5)
    np.testing.assert_array_equal(again.digits, run.digits)
    assert not np.allclose(other.digits, run.digits)
    assert (run.agreement.readings == 7).mean() >= 0.6  # the caption's digit, mostly


def test_agreement_is_perfect_for_real_digits_with_their_own_caption():
    """An independent check of the measures: real digits described by describe() match their caption."""
    test = digits.load("test")
    texts = captions.describe(test.images, test.labels)
    with_words = [c for c in texts if len(c.split()) == 3]  # "a thick seven": one attribute word
    caption = max(set(with_words), key=with_words.count)  # the commonest such caption
    idx = [i for i, c in enumerate(texts) if c == caption]
    assert len(idx) >= 3
    parsed = captions.parse(caption)
    a = measure(test.images[idx], caption, parsed)
    assert a.attribute == 1.0  # every one measures as its caption says
    assert a.classifier == float((classify(test.images[idx]).argmax(1) == parsed.digit).mean())
    assert 0 < a.attribute_base_rate < 1 and a.clip_top1 > 0.5 and a.clip_caption > a.clip_others


def test_swapped_keeps_the_phrasing():
    assert swapped(captions.parse("a photo of the digit seven"), 2) == "a photo of the digit two"
    assert swapped(captions.parse("A thick Seven."), 0) == "a thick zero"


def test_view_figures_pass_plotly_validation_and_status_speaks_of_the_caption():
    view = unclip_views.unclip_view("a large two", 1, 1.0, 10, 4)
    for fig in (view.embeddings, view.projection, view.digits, view.agreement):
        figstyle.validated(fig)
    assert "as a two" in view.status and "large" in view.status
    assert len(view.digits.data[0]["z"]) == 6 * 9 - 1  # six frames of 8 rows, one-pixel gaps
    no_digit = unclip_views.unclip_view("thin", 1, 1.0, 10, 3)
    assert "names no digit" in no_digit.status


def test_evaluate_gives_one_row_per_attribute_combination():
    rows = evaluate(combos=({}, {"weight": "thick"}), n=2, steps=10)
    assert [r["attributes"] for r in rows] == ["(none)", "thick"]
    assert "attribute" not in rows[0] and 0 <= rows[1]["attribute"] <= 1
    assert all(r["classifier"] > 0.5 for r in rows)


def test_fit_is_seeded_and_leaves_the_global_rng_alone():
    state = torch.random.get_rng_state()
    config = dataclasses.replace(prior_config(8), steps=5, batch_size=16)
    x0, c = torch.randn(40, 8, generator=torch.Generator().manual_seed(0)), torch.zeros(40, 8)
    a, b, other = (fit(x0, c, config, seed=s)[0] for s in (1, 1, 2))
    assert torch.equal(torch.random.get_rng_state(), state)
    for (name, pa), pb in zip(a.named_parameters(), b.parameters()):
        assert torch.equal(pa, pb), name
    assert not all(torch.equal(pa, po) for pa, po in zip(a.parameters(), other.parameters()))


def test_pixels_round_trip_through_model_space():
    images = digits.load("test").images[:4]
    np.testing.assert_allclose(from_model(to_model(images)), images, atol=1e-6)
    assert float(to_model(images).min()) >= -1  # [0, 1] -> [−1, 1]
