"""One live view per visitor (issue 10): a visitor who starts a second training or denoising loop,
in any tab, ends the first within a frame; other visitors' loops go on."""

from __future__ import annotations

import threading
import time
from types import SimpleNamespace

from gradio.context import LocalContext

from demos.common import LIVE_VIEWS, stream


def run(session: str, frames: list, seconds: float) -> threading.Thread:
    def loop() -> None:
        LocalContext.request.set(SimpleNamespace(session_hash=session))  # as Gradio sets it for an event
        for last in stream(lambda: time.sleep(0.01), lambda last: last, finished=lambda: False,
                           frame_seconds=0.05, max_seconds=seconds):
            frames.append((time.monotonic(), last))

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    return thread


def test_a_second_live_view_of_the_same_visitor_ends_the_first():
    first, second, other = [], [], []
    a = run("visitor-a", first, seconds=5)
    c = run("visitor-c", other, seconds=2)
    time.sleep(0.5)
    started = time.monotonic()
    b = run("visitor-a", second, seconds=1.5)
    a.join(timeout=1.0)
    assert not a.is_alive(), "the first loop went on after the same visitor started another"
    assert first[-1][1] is True and first[-1][0] - started < 0.5  # it ended with a last frame, at once
    assert LIVE_VIEWS.running() == 2  # visitor a's second loop and visitor c's
    b.join(timeout=5)
    c.join(timeout=5)
    assert len(second) > 10 and second[-1][1] is True
    assert other[-1][0] - other[0][0] > 1.4  # the other visitor's loop ran its full time, untouched
    assert LIVE_VIEWS.running() == 0  # nothing left behind


def test_without_a_request_nothing_is_registered():
    frames = list(stream(lambda: None, lambda last: last, finished=lambda: False, frame_seconds=0.0, max_seconds=0.2))
    assert frames[-1] is True and LIVE_VIEWS.running() == 0


def test_a_live_view_alone_keeps_its_pace_and_many_share_the_frame_budget():
    """Alone, a view sends at its own pace (the fair-share budget, 20 frames a second on 2 cores, had
    capped a lone GAN plane at ~19.5 painted a second); with many, they share that budget."""
    from demos.common import FRAMES_PER_CORE, _frame_period
    from explainer.device import available_cores

    budget = FRAMES_PER_CORE * max(1, available_cores())
    assert _frame_period(0.04) == 0.04  # nobody running
    frames: list = []
    one = run("visitor-alone", frames, seconds=1.0)
    time.sleep(0.3)
    assert LIVE_VIEWS.running() == 1 and _frame_period(0.04) == 0.04
    crowd = [run(f"visitor-{i}", [], seconds=1.0) for i in range(2 * budget)]
    time.sleep(0.3)
    assert _frame_period(0.04) >= LIVE_VIEWS.running() / budget > 1.5
    for thread in [one, *crowd]:
        thread.join(timeout=5)
    assert LIVE_VIEWS.running() == 0
