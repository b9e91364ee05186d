"""A short run of the load harness (``python -m explainer.loadtest``) against a freshly started app."""

from __future__ import annotations

import pytest

from explainer.loadtest.__main__ import measure
from explainer.loadtest.mix import MIX, Visit
from explainer.loadtest.record import PAGE_LOAD
from explainer.loadtest.report import error_lines, text
from explainer.loadtest.run import Settings
from explainer.loadtest.server import rss_mb
from tests.helpers import in_fresh_thread

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def results():
    """One visitor slot per mix entry for 25 s; slot i starts with entry i (``cover``), so each is exercised.

    Arrivals within 2 s and short thinking leave a heavy first action ~20 s to show its first frame
    even on a busy shared 2-core machine (with the default 10 s ramp and 20 s, one of three runs at load
    average 9 failed the first test below).
    """
    visit = Visit(stay=(60.0, 180.0), think=(1.0, 2.0), ramp=2.0)
    settings = Settings(users=len(MIX), seconds=25.0, seed=0, cover=True, visit=visit, rss_every=2.0,
                        settle=3.0)
    return in_fresh_thread(measure, settings)  # starts python app.py on a free loopback port and stops it


def test_every_entry_of_the_mix_was_exercised(results):
    done = {s.event: s.count for s in results.recorder.summaries()}
    for entry in MIX:
        assert done.get(entry.api_name, 0) >= 1, f"{entry.api_name} never completed: {text(results)}"
        if entry.first is not None:
            assert done.get(entry.first, 0) >= 1, entry.first
    assert results.sessions >= len(MIX)


def test_no_action_failed_and_no_page_load_was_refused(results):
    assert results.recorder.errors == 0 and results.warmup.errors == 0, "\n".join(
        error_lines(results.recorder) + error_lines(results.warmup))
    page = next(s for s in results.recorder.summaries() if s.event == PAGE_LOAD)
    assert page.count >= len(MIX) and page.refused == 0, text(results)
    assert all(s.refused == 0 for s in results.recorder.summaries() if s.event.startswith("load · "))


def test_server_memory_was_sampled_and_the_run_stopped_at_its_deadline(results):
    assert results.rss_before_warmup and results.rss_after_warmup
    assert len(results.rss) >= 5 and all(100 < mb < 16_000 for _, mb in results.rss)
    assert results.rss[-1][0] < results.settings.seconds + 15  # hard stop (cancelled visitors, then one sample)
    assert results.rss_settled is not None and results.rss_settled[0] == 3.0  # sampled once more, nobody there
    assert 100 < results.rss_settled[1] < 16_000
    assert rss_mb(results.pid) is None  # the server the harness started is gone


def test_the_report_names_every_event_and_the_memory(results):
    report = text(results)
    for entry in MIX:
        assert f"| {entry.api_name} |" in report
    assert "| page load |" in report and "after warm-up" in report and "3 s after the last visitor left" in report
