"""Bounded work: a frame's training stops at its deadline, inside the work, and chunking changes nothing."""

from __future__ import annotations

import time

import torch

from explainer.budget import train_for
from explainer.diffusion.session import new_session as diffusion_session
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
