"""Headless Chromium opens every Diffusion view, samples a reverse process, plays it and sees frames change."""

from __future__ import annotations

import pytest

from tests.browser.pages import open_tab, screenshot_dir, wait_for_plots

pytestmark = pytest.mark.browser

VIEWS = [  # sub-tab label, plots it draws
    ("Forward process", 2),
    ("Schedules", 2),
    ("Reverse process", 1),
    ("Exact vs learned", 3),
    ("Samplers", 2),
    ("Guidance", 2),
    ("In-painting", 1),
]


def plot_titles(page) -> list[str]:
    return page.evaluate(
        "[...document.querySelectorAll('.js-plotly-plot')].filter(p => p.offsetParent !== null)"
        ".map(p => p.querySelector('.gtitle')?.textContent ?? '')")


def test_every_view_draws(page, app_url):
    page.goto(app_url)
    open_tab(page, "Diffusion", None)
    for label, n_plots in VIEWS:
        page.get_by_role("tab", name=label, exact=True).click()
        wait_for_plots(page, n_plots)
        assert len(plot_titles(page)) >= n_plots, label
    page.get_by_role("tab", name="Train your own", exact=True).click()
    page.get_by_role("button", name="New run", exact=True).click()
    wait_for_plots(page, 2)
    assert page.errors == [], page.errors
    assert page.foreign == [], f"requests left the app's host: {page.foreign}"


def test_reverse_process_plays_and_frames_change(page, app_url):
    page.goto(app_url)
    open_tab(page, "Diffusion", "Reverse process")
    wait_for_plots(page, 1)
    page.wait_for_function(
        "() => [...document.querySelectorAll('.js-plotly-plot .gtitle')].some(t => /frame 0 of/.test(t.textContent))",
        timeout=60_000)
    page.get_by_role("button", name="▶ Play").click()
    seen = set()
    for _ in range(40):
        page.wait_for_timeout(300)
        seen.update(t for t in plot_titles(page) if "frame" in t)
        if len(seen) >= 4:
            break
    assert len(seen) >= 4, f"the reverse process did not advance: {seen}"
    page.screenshot(path=str(screenshot_dir() / "diffusion-reverse.png"), full_page=True)
    assert page.errors == [], page.errors
    assert page.foreign == [], f"requests left the app's host: {page.foreign}"
