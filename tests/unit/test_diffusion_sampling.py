"""Trajectories and training runs: shapes, seeded reproducibility, in-painting keeps what is known."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from explainer.denoising.model import EpsMLPConfig
from explainer.denoising.sample import Walk, kept_frames, run
from explainer.denoising.schedule import NoiseSchedule
from explainer.diffusion.training import Trainer, TrainConfig
from explainer.validate import InputError

LIN = NoiseSchedule.linear()
SMALL = TrainConfig("ring", EpsMLPConfig(width=32, depth=2, emb_dim=16), steps=40, batch_size=64)


pytestmark = pytest.mark.usefixtures("one_thread")  # as the server runs (tests/conftest.py)


def toy_eps(x, t):  # any smooth function of (x, t) will do for bookkeeping tests
    return torch.tanh(x) * (t + 1) / 1000


def test_a_full_trajectory_keeps_every_step():
    tr = run(toy_eps, LIN, (30, 2), seed=0, sampler="ddpm")
    assert tr.x.shape == tr.x0_hat.shape == tr.eps.shape == (1001, 30, 2)
    assert tr.t[0] == 999 and tr.t[-2] == 0 and tr.t[-1] == -1
    np.testing.assert_array_equal(tr.x0_hat[-1], tr.samples)
    # x̂_0 is what the schedule says it is, at every kept step
    k = 500
    t = int(tr.t[k])
    want = LIN.predict_x0(torch.as_tensor(tr.eps[k]), t, torch.as_tensor(tr.x[k]))
    np.testing.assert_allclose(tr.x0_hat[k], want.numpy(), rtol=1e-5, atol=1e-5)


def test_thinning_keeps_first_and_last_frames():
    assert kept_frames(1000, 101)[[0, -1]].tolist() == [0, 1000] and len(kept_frames(1000, 101)) == 101
    tr = run(toy_eps, LIN, (10, 2), seed=0, sampler="ddim", n_steps=50, keep=11)
    assert len(tr) == 11 and tr.t[-1] == -1 and tr.t[0] == 999


def test_same_seed_same_trajectory_and_same_start_for_every_sampler():
    a = run(toy_eps, LIN, (20, 2), seed=7, sampler="ddpm", n_steps=100)
    b = run(toy_eps, LIN, (20, 2), seed=7, sampler="ddpm", n_steps=100)
    c = run(toy_eps, LIN, (20, 2), seed=7, sampler="ddim", n_steps=10, eta=0.5)
    np.testing.assert_array_equal(a.x, b.x)
    np.testing.assert_array_equal(a.x[0], c.x[0])  # the same x_T
    assert not np.allclose(run(toy_eps, LIN, (20, 2), seed=8, sampler="ddpm", n_steps=100).x[0], a.x[0])


def test_ddim_eta_0_is_deterministic_given_x_T():
    x_T = torch.randn(15, 2, generator=torch.Generator().manual_seed(1))
    a = run(toy_eps, LIN, (15, 2), seed=1, sampler="ddim", n_steps=20, x_T=x_T).samples
    b = run(toy_eps, LIN, (15, 2), seed=99, sampler="ddim", n_steps=20, x_T=x_T).samples
    np.testing.assert_array_equal(a, b)  # η = 0: no noise is drawn after x_T
    c = run(toy_eps, LIN, (15, 2), seed=99, sampler="ddim", n_steps=20, eta=1.0, x_T=x_T).samples
    assert not np.allclose(a, c)


@pytest.mark.parametrize(("sampler", "steps", "eta", "message"), [
    ("ddpm", 0, 0.0, "between 1 and 1000"), ("ddim", 10**6, 0.0, "between 1 and 1000"),
    ("ddim", 10, float("nan"), "η"), ("euler", 10, 0.0, "Unknown sampler")])
def test_bad_sampler_settings_are_refused(sampler, steps, eta, message):
    with pytest.raises(InputError, match=message):
        run(toy_eps, LIN, (2, 2), seed=0, sampler=sampler, n_steps=steps, eta=eta)


@pytest.mark.parametrize("chunks", [(1, 3, 7, 989), (999, 1), (1000,), (1, 1, 2000)])
def test_a_walk_in_chunks_is_algorithm_2_uninterrupted(chunks):
    walk = Walk(toy_eps, LIN, (12, 2), seed=5, sampler="ddpm", keep=101)
    taken = [walk.advance(n) for n in chunks]
    assert walk.done and sum(taken) == 1000 and taken[-1] == 1000 - sum(taken[:-1])
    gen = torch.Generator().manual_seed(5)  # Ho et al. Algorithm 2 by hand, with the same generator
    x = torch.randn(12, 2, generator=gen)
    for t in range(999, -1, -1):
        x = LIN.step(toy_eps(x, t), t, x, generator=gen)
    tr = walk.trajectory()
    assert len(tr) == 101 and tr.t[-1] == -1
    np.testing.assert_array_equal(tr.samples, x.numpy())
    assert walk.advance() == 0  # nothing left to do


def test_a_partial_walk_shows_the_frames_taken_so_far():
    walk = Walk(toy_eps, LIN, (4, 2), seed=0, sampler="ddpm", keep=101)  # kept: every 10th step
    assert len(walk.trajectory()) == 0
    assert walk.advance(seconds=0.0) == 1  # a time budget still takes one step
    first = walk.trajectory()
    assert len(first) == 1 and first.t[0] == 999
    walk.advance(9)
    assert len(walk.trajectory()) == 1  # step 10 (frame 1) not taken yet
    walk.advance(1)
    assert len(walk.trajectory()) == 2 and walk.trajectory().t[1] == 989
    np.testing.assert_array_equal(walk.trajectory().x[0], first.x[0])  # earlier frames never change


def test_inpainting_keeps_the_known_values():
    x0 = torch.randn(4, 6, generator=torch.Generator().manual_seed(2))
    known = torch.tensor([True, False, True, False, False, True]).expand(4, 6)
    tr = run(toy_eps, LIN, (4, 6), seed=3, sampler="ddim", n_steps=25, known=(x0, known))
    np.testing.assert_array_equal(tr.samples[:, known[0].numpy()], x0[:, known[0]].numpy())
    assert not np.allclose(tr.samples[:, ~known[0].numpy()], x0[:, ~known[0]].numpy())


def test_training_is_seeded_and_reproducible():
    a, b, c = Trainer(SMALL, 0, torch.device("cpu")), Trainer(SMALL, 0, torch.device("cpu")), \
        Trainer(SMALL, 1, torch.device("cpu"))
    state = torch.random.get_rng_state()
    for tr in (a, b, c):
        tr.train(15)
    assert torch.equal(torch.random.get_rng_state(), state)  # nothing drew from the global RNG
    assert a.losses == b.losses and a.losses != c.losses
    for pa, pb in zip(a.ema.parameters(), b.ema.parameters()):
        assert torch.equal(pa, pb)


def test_training_lowers_the_loss():
    tr = Trainer(SMALL.replace(steps=300, batch_size=256), 0, torch.device("cpu"))
    tr.train(300)
    assert np.mean(tr.losses[-50:]) < 0.8 * np.mean(tr.losses[:20])


def test_digit_training_drops_labels_at_the_given_rate():
    cfg = TrainConfig("digits", EpsMLPConfig(dim=64, width=32, depth=1, emb_dim=16, n_classes=10),
                      steps=1, batch_size=4000, label_dropout=0.25)
    tr = Trainer(cfg, 0, torch.device("cpu"))
    x, labels = tr._batch()
    assert x.shape == (4000, 64) and -1 <= float(x.min()) and float(x.max()) <= 1
    assert abs(float((labels == 10).float().mean()) - 0.25) < 0.03
