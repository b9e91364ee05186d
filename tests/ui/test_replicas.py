"""Two replicas behind the sticky proxy (``python -m explainer.loadtest.replicas``), driven by the load harness.

What "run past one machine" needs, exercised on loopback: a visitor's requests all reach the replica
that holds their state (by the proxy's cookie for a browser, by the session hash for an API client),
visitors spread over the replicas, and the load harness runs through the proxy without an error.
"""

from __future__ import annotations

import threading
import time
import urllib.request
from contextlib import ExitStack

import pytest

from explainer.loadtest.__main__ import measure
from explainer.loadtest.mix import MIX, Visit
from explainer.loadtest.record import PAGE_LOAD
from explainer.loadtest.replicas import COOKIE, Router, proxy_app
from explainer.loadtest.report import error_lines, text
from explainer.loadtest.run import Settings
from explainer.loadtest.server import free_port, started_app, tracebacks
from tests.helpers import in_fresh_thread

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def deployment():
    """Two app.py replicas and the proxy in front of them: (proxy URL, router, replica logs)."""
    import uvicorn

    with ExitStack() as stack:
        apps = [stack.enter_context(started_app()) for _ in range(2)]
        router = Router([url.rstrip("/") for url, _pid, _log in apps])
        port = free_port()
        server = uvicorn.Server(uvicorn.Config(proxy_app(router), host="127.0.0.1", port=port, log_level="warning"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        url = f"http://127.0.0.1:{port}/"
        deadline = time.monotonic() + 30
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.1)
        assert server.started, "the proxy did not start"
        yield url, router, [log for _url, _pid, log in apps]
        server.should_exit = True
        thread.join(timeout=10)


def test_a_browser_gets_a_cookie_that_keeps_it_on_one_replica(deployment):
    url, router, _ = deployment
    with urllib.request.urlopen(url, timeout=30) as page:
        cookie = page.headers.get("set-cookie", "")
        assert page.status == 200 and "<html" in page.read(2000).decode(errors="replace").lower()
    assert cookie.startswith(f"{COOKIE}="), cookie
    replica = int(cookie.split("=", 1)[1].split(";", 1)[0])
    before = router.served[replica]
    for _ in range(3):  # whatever the request (here the theme, which names no session), the same replica
        request = urllib.request.Request(url + "theme.css", headers={"Cookie": f"{COOKIE}={replica}"})
        with urllib.request.urlopen(request, timeout=30) as answer:
            assert answer.status == 200
    assert router.served[replica] == before + 3


def test_the_load_harness_runs_through_the_proxy_and_sessions_stay_on_their_replica(deployment):
    url, router, logs = deployment
    visit = Visit(stay=(30.0, 60.0), think=(1.0, 2.0), ramp=2.0)
    settings = Settings(users=len(MIX), seconds=20.0, seed=1, cover=True, visit=visit, warmup=False)
    results = in_fresh_thread(measure, settings, url)
    assert results.recorder.errors == 0, "\n".join(error_lines(results.recorder))
    page = next(s for s in results.recorder.summaries() if s.event == PAGE_LOAD)
    assert page.count >= len(MIX) and page.refused == 0, text(results)
    reached = [replicas for replicas in router.sessions.values()]
    assert reached and all(len(r) == 1 for r in reached), "a session reached two replicas"
    per_replica = {index: sum(1 for r in reached if r == {index}) for index in (0, 1)}
    assert min(per_replica.values()) >= 2, per_replica  # the visitors spread over both
    assert all(tracebacks(log) == 0 for log in logs)
