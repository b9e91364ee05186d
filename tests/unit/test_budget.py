"""Bounded work: a frame's training stops at its deadline, inside the work, and chunking changes nothing."""

from __future__ import annotations

import time

import pytest
import torch

from explainer.budget import train_for, train_timed
from explainer.datasets.toy2d import DATASETS as TOY
from explainer.gan.catalog import MAX_STEP_GFLOP, GANConfig, preset_config, preset_names, step_gflop
from explainer.gan.session import new_session as gan_session
from explainer.diffusion.session import new_session as diffusion_session
from explainer.validate import InputError
from explainer.vae.session import new_session as vae_session


def test_train_for_stops_at_the_deadline_not_after_all_steps():
    calls = []

    def slow(k):
        calls.append(k)
        time.sleep(0.01 * k)

    start = time.perf_counter()
    done = train_for(slow, 10_000, seconds=0.1, chunk=2)
    assert time.perf_counter() - start < 0.5  # 10,000 steps would take 100 s
    assert done == sum(calls) and 2 <= done < 100 and max(calls) == 2


def test_train_for_takes_every_step_when_there_is_time():
    calls = []
    assert train_for(calls.append, 12, seconds=10, chunk=5) == 12 and calls == [5, 5, 2]


def test_a_diffusion_frame_is_cut_at_its_deadline_and_chunks_do_not_change_the_run(one_thread):
    cut = diffusion_session("ring", 0)
    assert cut.advance(200, seconds=0.0) < 200  # one chunk, then the clock says stop
    a, b = diffusion_session("ring", 3), diffusion_session("ring", 3)
    a.advance(40)
    while b.trainer.step_count < 40:
        b.advance(40 - b.trainer.step_count, seconds=0.0)  # the same 40 steps a chunk at a time
    for p, q in zip(a.trainer.net.parameters(), b.trainer.net.parameters()):
        assert torch.equal(p, q)


def test_a_vae_frame_is_cut_at_its_deadline(one_thread):
    session = vae_session(1.0, 2, 0)
    assert session.advance(200, seconds=0.0) < 200


# --- GAN: the work of a step is known before it runs ------------------------------------------------------
ISSUE_10_MAX = {"width": 512, "depth": 6, "batch_size": 2048, "d_steps": 10, "loss": "wgan-gp"}  # 8.3 s a step


def test_the_step_estimate_counts_every_layer_by_hand():
    c = GANConfig(latent_dim=2, g_width=4, g_depth=2, d_width=3, d_depth=2, batch_size=10, d_steps=2)
    g = 2 * 4 + 1 * 16 + 2 * 4  # z→4, 4→4, 4→2
    d = 2 * 3 + 1 * 9 + 3  # x→3, 3→3, 3→1
    expected = 2 * (2 * (2 * 10 * d * 3 + 10 * g) + 10 * (g + d) * 3) / 1e9
    assert step_gflop(c) == pytest.approx(expected)
    assert step_gflop(c.replace(loss="wgan-gp")) > step_gflop(c)


def test_the_issue_reproducer_is_refused_before_it_runs_and_says_what_to_lower():
    with pytest.raises(InputError, match="GFLOP.*lower the batch size, width, depth or D steps"):
        gan_session("Mode collapse", "ring", 0, torch.device("cpu"), overrides=ISSUE_10_MAX)


def test_every_preset_fits_the_step_budget_with_room():
    works = [step_gflop(preset_config(name, data)) for name in preset_names() for data in TOY]
    assert max(works) < MAX_STEP_GFLOP / 50


def test_a_gan_frame_is_cut_at_its_deadline(one_thread):
    session = gan_session("Mode collapse", "ring", 0, torch.device("cpu"),
                          overrides={"width": 512, "depth": 4, "batch_size": 1024})  # allowed, ~50 ms a step
    assert session.advance(200, seconds=0.0) < 200


def test_step_pace_probes_then_fits_the_budget_at_the_measured_rate():
    from explainer.budget import StepPace

    done = [0]

    def train(n: int) -> None:  # 200 steps a second
        time.sleep(n / 200)
        done[0] += n

    pace = StepPace(cap=50, budget=0.05)
    assert pace.steps() == 3  # the probe
    pace.advance(train, lambda: done[0])
    assert pace.rate == pytest.approx(200, rel=0.3)
    assert pace.steps() == pytest.approx(10, abs=3)  # 200 steps/s × 0.05 s
    assert StepPace(cap=2, budget=1.0).steps() == 2  # the person's cap wins
    slow = StepPace(cap=50, budget=0.001)
    slow.rate = 10.0
    assert slow.steps() == 1  # at least one step a frame


def test_every_is_due_once_per_period_or_when_forced():
    from explainer.budget import Every

    clock = Every(0.2)
    assert not clock.due() and clock.due(True) and not clock.due()
    time.sleep(0.25)
    assert clock.due() and not clock.due()
    assert Every(10.0, first_due=True).due()


def test_train_timed_never_passes_the_end_of_the_run_and_reports_its_time():
    taken = []
    assert train_timed(taken.append, 12, remaining=0) == (0, 0.0) and taken == []  # a finished run trains nothing
    done, spent = train_timed(taken.append, 12, remaining=7, seconds=60)
    assert done == 7 and sum(taken) == 7 and spent >= 0.0  # capped at the run's remaining steps
