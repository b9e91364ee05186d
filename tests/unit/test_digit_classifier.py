"""The shipped digit classifier: held-out accuracy, output shapes, probabilities, refusals."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from explainer.datasets import digit_classifier as dc
from explainer.datasets import digits


def test_held_out_accuracy_above_95_percent():
    test = digits.load("test")
    probs = dc.classify(test.images)
    accuracy = float((probs.argmax(axis=1) == test.labels).mean())
    assert accuracy >= 0.95, accuracy


def test_probabilities_have_shape_n_by_10_and_sum_to_one():
    images = digits.load("test").images[:17]
    probs = dc.classify(images)
    assert probs.shape == (17, 10) and probs.dtype == np.float32
    assert np.all(probs >= 0)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-5)


def test_tensor_and_array_inputs_agree():
    images = digits.load("test").images[:8]
    np.testing.assert_allclose(dc.classify(torch.as_tensor(images)), dc.classify(images), atol=1e-6)


def test_noise_is_not_read_confidently_but_test_digits_are():
    rng = np.random.default_rng(0)
    noise = rng.uniform(0, 1, size=(200, 8, 8)).astype(np.float32)
    assert dc.confident_share(noise) < 0.2
    assert dc.confident_share(digits.load("test").images) > 0.8


def test_wrong_shape_is_refused():
    with pytest.raises(ValueError, match="8, 8"):
        dc.classify(np.zeros((3, 64), np.float32))


def test_loaded_model_is_cached_read_only_and_in_eval_mode():
    model = dc.load_classifier()
    assert model is dc.load_classifier()
    assert not model.training
    assert not any(p.requires_grad for p in model.parameters())


def test_training_is_seeded():
    cfg = dc.ClassifierConfig(epochs=1)
    a = dc.fit(cfg, seed=3)
    b = dc.fit(cfg, seed=3)
    for (name, pa), pb in zip(a.state_dict().items(), b.state_dict().values()):
        assert torch.equal(pa, pb), name
