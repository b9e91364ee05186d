"""The GAN trainer: seeded, independent, validated; the CUDA-graph step equals the eager one."""

import copy
import dataclasses

import numpy as np
import pytest
import torch

from explainer.gan import GANConfig, GANTrainer, PRESETS, get_preset, preset_config, steps_per_second
from explainer.gan import losses
from explainer.gan.model import SNLinear, build_models
from explainer.validate import InputError

SMALL = dict(batch_size=64, g_width=32, d_width=32, eval_every=10)


def _small(name="Mode collapse", seed=0, **extra):
    return GANTrainer.from_preset(name, seed, **{**SMALL, **extra})


def _params(trainer):
    return [p.detach().clone() for p in [*trainer.g_net.parameters(), *trainer.d_net.parameters()]]


def test_same_seed_same_run_and_different_seed_differs():
    a, b, c = _small(seed=5), _small(seed=5), _small(seed=6)
    for t in (a, b, c):
        t.train(25)
    np.testing.assert_array_equal(a.sample(300, seed=1), b.sample(300, seed=1))
    assert a.history.d_loss == b.history.d_loss and a.history.modes == b.history.modes
    assert not np.array_equal(a.sample(300, seed=1), c.sample(300, seed=1))


def test_two_trainers_interleaved_equal_each_alone():
    alone = _small("PacGAN", seed=1).train(12)
    a, b = _small("PacGAN", seed=1), _small("Minibatch std", seed=2)
    for _ in range(12):  # interleave: neither may disturb the other
        a.step()
        b.step()
        torch.manual_seed(123)  # nor may the global RNG matter
    for pa, pb in zip(_params(a), _params(alone)):
        torch.testing.assert_close(pa, pb, rtol=0, atol=0)


def test_training_leaves_the_global_rng_alone():
    state = torch.random.get_rng_state()
    _small().train(5)
    assert torch.equal(state, torch.random.get_rng_state())


def test_sampling_and_frames_do_not_change_training():
    a, b = _small(seed=3), _small(seed=3)
    a.train(10)
    b.train(10)
    a.sample(500, seed=9)
    a.evaluate()
    a.train(10)
    b.train(10)
    for pa, pb in zip(_params(a), _params(b)):
        torch.testing.assert_close(pa, pb, rtol=0, atol=0)


def test_steps_are_counted_and_logged():
    t = _small(d_steps=2)
    d_loss, g_loss = t.step()
    assert np.isfinite(d_loss) and np.isfinite(g_loss)
    assert (t.step_count, t.d_updates) == (1, 2)
    t.d_step()
    assert (t.step_count, t.d_updates) == (1, 3)
    t.g_step()
    assert t.step_count == 2
    t.train(18)
    assert t.step_count == 20 and t.history.steps == list(range(1, 21))
    assert len(t.history.g_loss) == 20 and np.isnan(t.history.d_loss[1])  # g_step alone: no L_D
    assert t.history.eval_steps == [10, 20]
    assert all(0 <= m <= 8 for m in t.history.modes)
    assert all(0.0 <= q <= 1.0 for q in t.history.high_quality)
    samples = t.sample(123, seed=0)
    assert samples.shape == (123, 2) and samples.dtype == np.float32


def test_deepcopy_gives_an_independent_twin():
    t = _small("PacGAN").train(5)
    twin = copy.deepcopy(t)
    t.train(5)
    twin.train(5)
    np.testing.assert_array_equal(t.sample(50), twin.sample(50))
    t.train(1)
    assert not np.array_equal(t.sample(50), twin.sample(50))


def test_logged_losses_match_the_formulas():
    d_real, d_fake = torch.tensor([2.0, -1.0]), torch.tensor([0.5, -3.0])
    sig = lambda v: 1 / (1 + np.exp(-np.asarray(v)))  # noqa: E731
    ns_d = np.mean(-np.log(sig([2.0, -1.0]))) + np.mean(-np.log(1 - sig([0.5, -3.0])))
    assert float(losses.d_loss("non-saturating", d_real, d_fake)) == pytest.approx(ns_d, rel=1e-6)
    np.testing.assert_allclose(losses.g_loss_per_sample("non-saturating", d_fake), -np.log(sig([0.5, -3.0])), rtol=1e-6)
    np.testing.assert_allclose(losses.g_loss_per_sample("minimax", d_fake), np.log(1 - sig([0.5, -3.0])), rtol=1e-6)
    assert float(losses.d_loss("least-squares", d_real, d_fake)) == pytest.approx(0.5 * (1 + 4) / 2 + 0.5 * (0.25 + 9) / 2)
    assert float(losses.d_loss("wgan-gp", d_real, d_fake)) == pytest.approx(-1.25 - 0.5)


def test_gradient_penalty_of_a_linear_critic():
    w = torch.tensor([3.0, 4.0])  # ‖∇D‖ = 5 everywhere, so GP = (5 − 1)² = 16
    critic = lambda x: x @ w  # noqa: E731
    real, fake = torch.randn(8, 2), torch.randn(8, 2)
    gp = losses.gradient_penalty(critic, real, fake, torch.rand(8, 1, 1), pack=1)
    assert float(gp) == pytest.approx(16.0)
    x = real.clone().requires_grad_(True)
    assert float(losses.r1_penalty(critic(x), x, pack=1)) == pytest.approx(0.5 * 25.0)


def test_spectral_norm_layer_converges_to_the_largest_singular_value():
    config = GANConfig(spectral_norm=True, d_width=16, d_depth=1)
    _, d_net = build_models(config, torch.Generator().manual_seed(0), torch.device("cpu"))
    layer = d_net.hidden[0]
    assert isinstance(layer, SNLinear)
    x = torch.randn(5, 2)
    for _ in range(200):
        layer(x, update=True)
    w_sn = layer.weight / torch.dot(layer.u, layer.weight @ torch.nn.functional.normalize(layer.weight.t() @ layer.u, dim=0))
    assert float(torch.linalg.matrix_norm(w_sn.detach(), ord=2)) == pytest.approx(1.0, abs=1e-4)


@pytest.mark.parametrize("loss", ["minimax", "least-squares", "wgan-gp"])
def test_every_loss_and_remedy_trains(loss):
    t = _small(loss=loss, spectral_norm=True, minibatch_std=True, pack=2, r1_weight=0.1)
    t.train(3)
    assert np.all(np.isfinite(t.history.g_loss)) and np.isfinite(t.sample(10)).all()


def test_lr_schedule_decays_linearly_after_the_start():
    t = _small(steps=100, lr_decay_start=0.5, lr_final=0.1)
    assert t.lr_scale(0) == 1.0 and t.lr_scale(50) == 1.0
    assert t.lr_scale(75) == pytest.approx(0.55)
    assert t.lr_scale(100) == pytest.approx(0.1) and t.lr_scale(500) == pytest.approx(0.1)


@pytest.mark.parametrize(
    "change, message",
    [
        (dict(g_width=10**6), "generator width"),
        (dict(d_lr=float("nan")), "finite"),
        (dict(batch_size=0), "batch size"),
        (dict(loss="hinge"), "loss must be one of"),
        (dict(latent_dim=2.5), "whole number"),
        (dict(pack=3, batch_size=64), "multiple of the packing"),
        (dict(g_lr=-1), "generator learning rate"),
        (dict(minibatch_std="yes"), "true or false"),
        (dict(d_steps=1000), "between 1 and 10"),
        (dict(colour="red"), "Unknown GAN setting"),
    ],
)
def test_bad_settings_say_what_to_change(change, message):
    with pytest.raises(InputError, match=message):
        GANTrainer.from_preset("Mode collapse", 0, **change)


def test_bad_trainer_arguments():
    with pytest.raises(InputError, match="Unknown preset"):
        GANTrainer.from_preset("Best GAN", 0)
    with pytest.raises(InputError, match="seed"):
        GANTrainer.from_preset("Mode collapse", -1)
    with pytest.raises(InputError, match="draw something first"):
        GANTrainer.from_preset("Mode collapse", 0, dataset="drawn")
    with pytest.raises(InputError, match="CUDA"):
        GANTrainer(GANConfig(), 0, "cpu", cuda_graph=True)
    t = _small()
    with pytest.raises(InputError, match="number of steps"):
        t.train(10**9)
    with pytest.raises(InputError, match="number of samples"):
        t.sample(0)


def test_presets_have_hints_steps_and_valid_configs():
    assert len(PRESETS) >= 3 and "Mode collapse" in PRESETS
    for name, preset in PRESETS.items():
        assert preset.hint.endswith(".") and len(preset.hint) > 30
        for dataset in ("ring", "grid", "moons", "spiral"):
            config = preset_config(name, dataset)
            assert config.dataset == dataset and config.steps >= 1000
    start = get_preset("Stronger D").config

    def changed(name):
        config = get_preset(name).config
        return {f.name for f in dataclasses.fields(config) if getattr(config, f.name) != getattr(start, f.name)}

    assert changed("Mode collapse") == {"d_lr", "d_steps"}  # the vanilla GAN: a slow D, one step
    for name in set(PRESETS) - {"Mode collapse", "Stronger D"}:  # a remedy adds only its own switch
        assert changed(name) and changed(name) <= {"pack", "minibatch_std", "spectral_norm", "r1_weight", "loss", "gp_weight"}


def test_steps_per_second_reports_a_rate():
    assert steps_per_second("Mode collapse", "cpu", n_steps=5) > 0


@pytest.mark.slow
def test_vanilla_preset_collapses_on_the_ring():
    trainer = GANTrainer.from_preset("Mode collapse", seed=0).train_to_end()
    modes, _ = trainer.evaluate()
    assert modes <= 2  # of 8: G's samples sit on (or hop between) one or two modes


@pytest.mark.slow
def test_remedy_covers_all_eight_ring_modes():
    trainer = GANTrainer.from_preset("PacGAN", seed=0).train_to_end()
    modes, quality = trainer.evaluate()
    assert modes == 8
    assert quality > 0.5


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
@pytest.mark.parametrize("name", list(PRESETS))  # each switch (R1's double backward, SN's power step) in the graph
def test_cuda_graph_step_equals_the_eager_step(name):
    eager = GANTrainer.from_preset(name, 4, "cuda", cuda_graph=False)
    fast = GANTrainer.from_preset(name, 4, "cuda", cuda_graph=True)
    eager.train(8)  # the graph path: 3 warm-up steps, capture, replays
    fast.train(8)
    for pe, pf in zip(_params(eager), _params(fast)):
        torch.testing.assert_close(pf, pe, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(fast.history.g_loss, eager.history.g_loss, rtol=1e-4, atol=1e-5)
    # From one state (a copy, without the graph), one replay and one eager step agree.
    twin = copy.deepcopy(fast)
    twin.cuda_graph = False
    fast.step()
    twin.step()
    for pt, pf in zip(_params(twin), _params(fast)):
        torch.testing.assert_close(pf, pt, rtol=1e-4, atol=1e-5)
    assert fast._graph is not None  # the fast path really replayed a graph


def test_minibatch_std_in_one_pass_equals_separate_passes():
    _, d_net = build_models(GANConfig(minibatch_std=True, pack=2), torch.Generator().manual_seed(0), torch.device("cpu"))
    real, fake = torch.randn(64, 2), 3 * torch.randn(64, 2)
    together = d_net(torch.cat([real, fake]), groups=2)  # each half its own statistic
    torch.testing.assert_close(together, torch.cat([d_net(real), d_net(fake)]))
    spread_of = lambda x: d_net.features(x).var(0, unbiased=False).add(1e-8).sqrt().mean()  # noqa: E731
    assert not torch.isclose(spread_of(real), spread_of(fake))  # so the test can fail


def test_evaluate_table_and_cli_arguments():
    from explainer.gan import evaluate

    text = evaluate.table({("PacGAN", "ring"): [(8, 0.95, 6000, 30.0), (7, 0.85, 6000, 32.0)]})
    assert "| PacGAN | ring | 7.5 / 8 | 8, 7 | 90.0 | 95, 85 | 6000 | 31.0 |" in text
    assert "| VEEGAN | 8 | 52.9 | 24.6 | 40.0 |" in evaluate.published_table(["ring", "grid"])
    assert evaluate.main(["--presets", "No such preset"]) == 2
