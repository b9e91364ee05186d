"""Headless Chromium plays a GAN training for a few seconds and sees the frames update."""

from __future__ import annotations

import re
import time

import pytest

from tests.browser.pages import open_tab, screenshot_dir, wait_for_plots

pytestmark = pytest.mark.browser


def current_step(page) -> int:
    """The step in the status line, read in the page (no waiting on a page busy redrawing)."""
    text = page.evaluate("document.body.innerText.match(/Step ([\\d,]+) ·/)?.[1] ?? ''")
    assert text, "no status line"
    return int(text.replace(",", ""))


def test_training_streams_frames_and_pauses(page, app_url):
    page.goto(app_url)
    open_tab(page, "GAN", None)
    wait_for_plots(page, 2)  # the plane and the curves of a fresh run
    assert current_step(page) == 0
    page.get_by_role("button", name="▶ Train / resume").click()
    page.wait_for_function(
        """() => [...document.querySelectorAll('p, span')].some(e => /^Step (\\d{3,}|[1-9]\\d,)/.test(e.innerText))""",
        timeout=60_000,
    )  # at least 100 steps trained
    first = current_step(page)
    page.wait_for_timeout(1500)
    second = current_step(page)
    assert second > first, "no new frame arrived while training"
    # dispatch the click: a page redrawing several frames a second never looks "stable" to Playwright
    page.get_by_role("button", name="⏸ Pause").dispatch_event("click")
    # A slow browser may still be drawing frames that left the server before the pause:
    # wait until the step stops changing, and check that it stopped before the run's end.
    paused, deadline = -1, time.monotonic() + 60
    while time.monotonic() < deadline:
        page.wait_for_timeout(1500)
        now = current_step(page)
        if now == paused:
            break
        paused = now
    assert now == paused, "the step never stopped changing after Pause"
    assert paused < 6000, "training ran to the end of the preset: Pause did not stop it"
    titles = page.evaluate("[...document.querySelectorAll('.js-plotly-plot .gtitle')].map(t => t.textContent)")
    assert any(re.search(r"step [\d,]+ of", t) for t in titles), titles
    page.screenshot(path=str(screenshot_dir() / "gan-training.png"), full_page=True)
    assert page.errors == [], page.errors
    assert page.foreign == [], f"requests left the app's host: {page.foreign}"
