"""Headless Chromium opens the app, clicks every tab, waits for every plot to draw, and fails
on any console error or any request to a host other than the app's own.

Screenshots of each tab go to a temporary folder (or $EXPLAINER_SCREENSHOTS) whose path is
printed (run pytest with -s to see it).
"""

from __future__ import annotations

import pytest

from tests.browser.pages import open_tab, screenshot_dir, visible_plots, wait_for_plots

pytestmark = pytest.mark.browser

# tab label -> (sub-tab label or None, number of plots it must draw)
PAGES = [
    ("Start here", None, 0),
    ("Attention", None, 2),  # its first sub-tab, Heatmaps: the chosen head and the grid of every head
    ("Positional encodings", "Sinusoidal", 5),
    ("Positional encodings", "RoPE", 2),
    ("Positional encodings", "ALiBi", 2),
    ("Positional encodings", "Learned", 2),
]


def test_every_tab_renders_offline_without_errors(page, app_url):
    folder = screenshot_dir()
    page.goto(app_url)
    page.get_by_text("GenAI Explainer", exact=False).first.wait_for(timeout=60_000)
    page.get_by_text("computing on", exact=False).first.wait_for()
    for i, (label, sub, plots) in enumerate(PAGES):
        open_tab(page, label, sub)
        if plots:
            wait_for_plots(page, plots)
            assert visible_plots(page).count() == plots
        else:
            page.get_by_text("What runs where").wait_for()
        name = f"{i}-{label}-{sub or 'main'}".replace(" ", "_").lower()
        page.screenshot(path=str(folder / f"{name}.png"), full_page=True)
    print(f"\nscreenshots of every tab: {folder}")
    assert page.errors == [], page.errors
    assert page.foreign == [], f"requests left the app's host: {page.foreign}"


def test_moving_a_control_redraws_the_figure(page, app_url):
    page.goto(app_url)
    open_tab(page, "Positional encodings", "ALiBi")
    wait_for_plots(page, 2)
    heads = page.get_by_label("number input for Number of heads")  # the slider's number box
    heads.fill("3")
    heads.press("Enter")
    page.wait_for_function(
        """() => [...document.querySelectorAll('.js-plotly-plot')].some(
               p => p.offsetParent !== null && p.data && p.data.length === 3 && p.data[0].type === 'heatmap')""",
        timeout=30_000,
    )
    assert page.get_by_text("head 2, m =").count() >= 1
    assert page.errors == [] and page.foreign == []
