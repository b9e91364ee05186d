"""A view of a live run drawn while a chunk of its training is in flight waits for that chunk
(explainer/guarded.py): title and status line name the same step, the step the chunk ended on.

Without the lock the view read the model mid-chunk, and after Pause the VAE map's title and the
status line once named two different steps (CI, 2026-12-05).
"""

from __future__ import annotations

import re
import threading
import time

import pytest

from explainer.clip import session as clip
from explainer.diffusion import session as diffusion
from explainer.gan import session as gan
from explainer.gan.views import session_view as gan_view
from explainer.vae import session as vae

STEP = re.compile(r"[Ss]tep ([\d,]+)")


def _steps(*texts: str) -> set[int]:
    return {int(m.replace(",", "")) for text in texts for m in STEP.findall(text)}


def _title(fig) -> str:
    return fig.layout.title.text or ""


RUNS = {  # name: (a fresh run, its step counter, one chunk of training, (title, status) of its view)
    "vae": (lambda: vae.new_session(1.0, 2, 0), lambda s: s.trainer.step_count,
            lambda s: s.advance(vae.L.max_steps_per_frame, seconds=0.5),
            lambda s: (lambda v: (_title(v.map), v.status))(vae.session_view(s, curves=False))),
    "gan": (lambda: gan.new_session("Mode collapse", "ring", 0, "cpu"), lambda s: s.main.step_count,
            lambda s: s.advance(gan.MAX_STEPS_PER_FRAME, seconds=0.5),
            lambda s: (lambda v: (_title(v.plane), v.status))(gan_view(s, curves=False))),
    "diffusion": (lambda: diffusion.new_session("ring", 0), lambda s: s.trainer.step_count,
                  lambda s: s.advance(diffusion.MAX_STEPS_PER_FRAME, seconds=0.5),
                  lambda s: (lambda v: (_title(v.samples), v.status))(diffusion.session_view(s, curves=False))),
    "clip": (lambda: clip.new_session(0), lambda s: s.trainer.step_count,
             lambda s: s.train(clip.S.max_live_steps, seconds=0.5),
             lambda s: (lambda v: (_title(v.matrix), v.status))(clip.session_view(s))),
}


@pytest.mark.parametrize("name", RUNS)
def test_a_view_drawn_during_a_chunk_shows_the_step_it_ended_on(name):
    fresh, step, chunk, view = RUNS[name]
    run = fresh()
    worker = threading.Thread(target=chunk, args=(run,))
    worker.start()
    deadline = time.monotonic() + 10
    while step(run) == 0 and time.monotonic() < deadline:  # the chunk has begun
        time.sleep(0.001)
    started_at = step(run)
    title, status = view(run)  # waits for the chunk in flight
    worker.join()
    assert started_at > 0, "the chunk never started"
    assert _steps(title) == _steps(status) == {step(run)}, (started_at, title, status)
    assert step(run) > started_at, "the chunk was over before the view began: nothing was tested"
