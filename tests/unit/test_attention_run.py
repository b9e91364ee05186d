"""The shipped checkpoints: they load, run text, predict, generate, and reach their accuracies."""

import numpy as np
import pytest
import torch

from explainer.attention import (
    DECODER, ENCODER, MODEL_NAMES, REVERSAL, generate, head_labels, heads_off, load_model, predict_masked,
    predict_next, predict_reversal, run_text,
)
from explainer.attention.evaluate import dependency_accuracy, reversal_accuracy
from explainer.attention.training import held_out_reversals, held_out_sentences
from explainer.validate import InputError


@pytest.fixture(scope="module")
def encoder():
    return load_model(ENCODER)


@pytest.fixture(scope="module")
def decoder():
    return load_model(DECODER)


@pytest.fixture(scope="module")
def reversal():
    return load_model(REVERSAL)


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_every_shipped_checkpoint_loads(name):
    loaded = load_model(name)
    assert loaded.metrics and loaded.model.training is False
    assert loaded.model.embed.weight.device.type == "cpu"


def test_run_text_returns_tokens_attention_and_every_score(decoder):
    run = run_text(decoder, "the dogs that the girl sees run .")
    T, L, H = 9, decoder.cfg.n_layers, decoder.cfg.n_heads
    assert run.tokens[0] == "[BOS]" and len(run.tokens) == T and run.unknown == ()
    assert run.attention.shape == (L, H, T, T) and run.attention.dtype == np.float32
    np.testing.assert_allclose(run.attention.sum(-1), 1.0, atol=1e-5)
    assert np.all(np.triu(run.attention, k=1) == 0)  # causal
    s = run.scores
    assert s.q.shape == s.k.shape == s.v.shape == s.mixed.shape == (L, H, T, decoder.cfg.d_k)
    np.testing.assert_allclose(s.raw, s.q @ s.k.swapaxes(-1, -2), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(s.scaled, s.raw / np.sqrt(decoder.cfg.d_k), rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(s.weights, run.attention)
    assert np.isneginf(s.logits[..., 0, 1]).all()


def test_unknown_words_are_reported_and_long_text_rejected(encoder):
    run = run_text(encoder, "the zebras that the girl sees run .")
    assert run.unknown == ("zebras",) and "[UNK]" in run.tokens and run.tokens[-1] == "[EOS]"
    with pytest.raises(InputError, match="at most 30"):
        run_text(encoder, " ".join(["the dog"] * 20))
    with pytest.raises(InputError):
        run_text(encoder, "")


def test_masked_prediction_fills_the_verb_with_the_right_number(encoder):
    pred = predict_masked(encoder, "the dogs that the girl sees [MASK] .", candidates=["run", "runs"])
    guess = pred.guesses[0]
    assert pred.run.tokens[guess.position] == "[MASK]"
    assert guess.candidates["run"] > guess.candidates["runs"]
    assert abs(sum(p for _, p in guess.top) - 1) < 1 and guess.top[0][1] >= guess.top[-1][1]
    with pytest.raises(InputError, match="MASK"):
        predict_masked(encoder, "the dogs run .")
    with pytest.raises(InputError, match="vocabulary"):
        predict_masked(encoder, "the dogs [MASK] .", candidates=["zebra"])


def test_next_word_prediction_agrees_and_copies(decoder):
    guess = predict_next(decoder, "the girl that the dogs see", candidates="runs, run").guesses[0]
    assert guess.candidates["runs"] > guess.candidates["run"]
    guess = predict_next(decoder, "when alice meets bob in the park ,").guesses[0]
    assert guess.top[0][0] == "alice"


def test_head_mask_softmax1_and_temperature_change_the_output(decoder):
    text = "the girl that the dogs see"
    base = run_text(decoder, text)
    off = run_text(decoder, text, head_mask=heads_off(decoder, [(1, 0)]))
    np.testing.assert_array_equal(off.attention[0], base.attention[0])  # earlier layer untouched
    np.testing.assert_array_equal(off.attention[1], base.attention[1])  # same layer's attention untouched
    assert not np.allclose(off.logits, base.logits)
    one = run_text(decoder, text, softmax="softmax1")
    assert (one.attention.sum(-1) < 1).all()
    hot = run_text(decoder, text, temperature=5.0)
    assert hot.attention[..., -1, :].max() < base.attention[..., -1, :].max()
    for bad in (dict(temperature=0), dict(temperature=float("nan")), dict(softmax="max"),
                dict(head_mask=np.ones((3, 3))), dict(head_mask="all")):
        with pytest.raises(InputError):
            run_text(decoder, text, **bad)


def test_generation_is_deterministic_for_a_seed(decoder):
    kwargs = dict(max_new_tokens=12, temperature=1.2, top_k=20, top_p=0.9)
    a = generate(decoder, "when alice", seed=3, **kwargs)
    b = generate(decoder, "when alice", seed=3, **kwargs)
    assert a == b and len(a.new_tokens) >= 1
    outs = {generate(decoder, "the", seed=s, **kwargs).text for s in range(6)}
    assert len(outs) > 1  # different seeds give different text
    greedy = generate(decoder, "when alice sees bob ,", temperature=0)
    assert greedy.new_tokens[0] == "alice"
    state = torch.random.get_rng_state()
    generate(decoder, "the", seed=1)
    assert torch.equal(state, torch.random.get_rng_state())  # the global RNG is untouched
    with pytest.raises(InputError):
        generate(decoder, "the", top_p=0)
    with pytest.raises(InputError):
        generate(decoder, "the", max_new_tokens=1000)


def test_reversal_reverses_with_an_anti_diagonal_head(reversal):
    result = predict_reversal(reversal, "31415926")
    assert result.correct and result.output[1:-1] == tuple("62951413")
    layer, head = reversal.metrics["anti_diagonal_head"]
    a = result.run.attention[layer, head]  # (T, T)
    assert np.trace(np.fliplr(a)) / a.shape[0] > 0.5
    with pytest.raises(InputError, match="exactly 8 digits"):
        predict_reversal(reversal, "123")
    with pytest.raises(InputError):
        predict_reversal(reversal, "1234567x")


def test_shipped_language_models_reach_their_reported_accuracy(encoder, decoder):
    sentences = held_out_sentences(300)
    for loaded in (encoder, decoder):
        measured = dependency_accuracy(loaded.model, loaded.vocab, sentences)
        for kind in ("agreement", "agreement_attractor", "name", "bracket"):
            assert measured[kind] >= loaded.metrics[kind] - 0.03, (loaded.name, kind, measured)
            assert measured[kind] >= 0.9


def test_reversal_reaches_its_reported_accuracy(reversal):
    measured = reversal_accuracy(reversal.model, held_out_reversals(500))
    assert measured["exact_sequence_accuracy"] >= 0.99
    assert measured["anti_diagonal_mass"] >= reversal.metrics["anti_diagonal_mass"] - 0.05


def test_head_labels_are_measured_for_every_head(decoder, encoder):
    for loaded in (decoder, encoder):
        labels = head_labels(loaded)
        assert len(labels) == loaded.cfg.n_layers * loaded.cfg.n_heads
        for label in labels:
            assert label.scores[label.pattern] == label.mass
            assert f"{label.mass:.2f}" in label.text
    assert any("subject" in h.text and h.mass > 0.5 for h in head_labels(decoder))


@pytest.mark.slow
def test_reversal_checkpoint_is_reproducible_from_its_trainer(tmp_path):
    from explainer.attention.training import train_reversal

    metrics = train_reversal(device=torch.device("cpu"), seed=0, directory=tmp_path)
    retrained = load_model(REVERSAL, directory=tmp_path)
    shipped = load_model(REVERSAL)
    assert metrics["exact_sequence_accuracy"] >= 0.99
    for (name, a), (_, b) in zip(retrained.model.state_dict().items(), shipped.model.state_dict().items()):
        torch.testing.assert_close(a, b, atol=1e-3, rtol=1e-3, msg=name)


@pytest.mark.gpu
def test_cuda_gives_the_same_attention_and_generation_as_cpu(decoder):
    gpu = load_model(DECODER, device="cuda")
    assert gpu.model.device.type == "cuda"
    text = "the dogs that the girl sees run ."
    np.testing.assert_allclose(run_text(gpu, text).attention, run_text(decoder, text).attention, atol=1e-4)
    kwargs = dict(seed=5, temperature=0.8, max_new_tokens=8)
    assert generate(gpu, "when bob", **kwargs).new_tokens == generate(decoder, "when bob", **kwargs).new_tokens
