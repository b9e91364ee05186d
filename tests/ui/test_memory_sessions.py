"""Server memory stays flat over many visitor sessions (issue 10): a closed tab's session is given back.

Measured on the 2-core machine (``python app.py``, sessions as the load test's visitors make them:
page load, every light view once, then a GAN training or a diffusion sampling left after two frames):
before ``demos.memory`` the server kept every closed session until the 100-session cap, ~2.3 MB each
(Gradio's per-session copy of the page config plus gr.State): 575 → 793 MB after 100 sessions, and
there it stayed. With closed sessions dropped a minute after their tab closes: 556 MB after warm-up,
600 MB after 150 sessions and an idle minute (+0.3 MB a session, malloc fragmentation and caches).
Once sessions kept no copy of the page's config (``demos.memory.LeanSessionState``): 566 MB after warm-up,
612 MB right after 40 sessions, 565 MB once they closed (−0.01 MB a session). The bound: 1 MB a session
(the regression it guards against left 2.3; two RSS readings of one server differ by up to ~15 MB).

The server's first few dozen sessions also grow it once by ~5–15 MB (allocator pools and bounded caches
that fill; 2026-12-05, five batches after 10 warm-up sessions, settled: 564, 570, 574, 570, 575 MB): after
only 10 warm-up sessions that one-time growth read as +0.64 MB a session once in CI. So the warm-up is 35
sessions, and the measured 25 see what each further session leaves.
"""

from __future__ import annotations

import asyncio
import os
import random
import time

import httpx
import pytest

from explainer.loadtest import mix as mixes
from explainer.loadtest.client import Gradio
from explainer.loadtest.record import Recorder
from explainer.loadtest.run import discover
from explainer.loadtest.server import rss_mb, started_app
from explainer.loadtest.visitor import Context, visit
from tests.helpers import in_fresh_thread

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

SESSIONS = 25
WARM_SESSIONS = 35
MB_PER_SESSION = 1.0  # before the fixes ~2.3, then ~0.3, now ~0 (module docstring); the run-to-run noise of
# the two RSS readings (±15 MB) is 0.6 MB a session over 25 sessions: CI read 0.64 and 0.72 at a 0.5 bound
GRACE = 5.0  # seconds a closed session is kept in this test (60 in the app)
TRIM = 5.0  # seconds between malloc_trim calls in this test (2 in the app)
SETTLE = 30.0  # seconds: the grace, a 10 s sweep, a trim, a margin
SCRIPT = [e for e in mixes.MIX if not e.streamed]
HEAVY = [mixes.Entry("gan_train", 1, first="gan_new_run", frames=2), mixes.Entry("diffusion_sample", 1, frames=2)]


@pytest.fixture(scope="module")
def server():
    """The app as ``python app.py`` runs it, closed sessions dropped 5 s (not 60 s) after closing, heap trimmed
    every 5 s (not 2 s)."""
    os.environ["EXPLAINER_CLOSED_SESSION_GRACE"], os.environ["EXPLAINER_MALLOC_TRIM_SECONDS"] = str(GRACE), str(TRIM)
    try:
        with started_app() as (url, pid, _log):
            yield url, pid
    finally:
        del os.environ["EXPLAINER_CLOSED_SESSION_GRACE"], os.environ["EXPLAINER_MALLOC_TRIM_SECONDS"]


async def _sessions(url: str, first: int, count: int, concurrent: int = 4) -> Recorder:
    """``count`` visits, ``concurrent`` at a time; each closes its tab (heartbeat) when done."""
    async with httpx.AsyncClient(timeout=httpx.Timeout(120, connect=10), trust_env=False) as http:
        gradio = Gradio(http, url)
        recorder = Recorder()
        ctx = Context(gradio, await discover(gradio), mixes.MIX, mixes.VISIT, recorder)
        gate = asyncio.Semaphore(concurrent)

        async def one(i: int) -> None:
            async with gate:
                await visit(ctx, random.Random(i), [*SCRIPT, HEAVY[i % 2]], stay=0.0, think=False)

        await asyncio.gather(*(one(i) for i in range(first, first + count)))
        return recorder


def test_memory_per_session_stays_small_once_tabs_close(server):
    url, pid = server
    warm = in_fresh_thread(asyncio.run, _sessions(url, 0, WARM_SESSIONS))  # first calls: checkpoints, caches, torch kernels
    time.sleep(SETTLE)
    before = rss_mb(pid)
    measured = in_fresh_thread(asyncio.run, _sessions(url, WARM_SESSIONS, SESSIONS))  # (a browser test may hold a loop)
    during = rss_mb(pid)
    time.sleep(SETTLE)
    after = rss_mb(pid)
    per_session = (after - before) / SESSIONS
    print(f"\nRSS after warm-up {before:.0f} MB, right after {SESSIONS} sessions {during:.0f} MB, "
          f"{SETTLE:.0f} s later {after:.0f} MB: {per_session:+.2f} MB a session (bound {MB_PER_SESSION})")
    assert warm.errors == 0 and measured.errors == 0, "visits failed: the measurement would mean nothing"
    assert per_session < MB_PER_SESSION, (
        f"{per_session:.2f} MB a session stayed after the tabs closed ({before:.0f} → {after:.0f} MB)")
