"""Headless Chromium types a sentence into the Attention tab, sees the heatmap redraw, and finds
bertviz's SVG drawn inside its iframe — with no console error and no request leaving the app's host."""

from __future__ import annotations

import pytest

from tests.browser.pages import open_tab, screenshot_dir, wait_for_plots

pytestmark = pytest.mark.browser

SENTENCE = "the cats that the boy helps [MASK] ."


def heatmap_shows(page, word: str) -> None:
    """Wait until a visible heatmap has ``word`` among its query tokens."""
    page.wait_for_function(
        """word => [...document.querySelectorAll('.js-plotly-plot')].some(p => p.offsetParent !== null
               && p.data && p.data.length && p.data[0].type === 'heatmap'
               && [...p.data[0].y].some(t => t.replace(/\\u200b/g, '') === word))""",
        arg=word,
        timeout=60_000,
    )


def test_typed_sentence_redraws_the_heatmap_and_bertviz_draws_offline(page, app_url):
    folder = screenshot_dir()
    page.goto(app_url)
    open_tab(page, "Attention", None)
    wait_for_plots(page, 2)
    heatmap_shows(page, "dogs")  # the default preset
    box = page.get_by_label("Text (press Enter or Run)")
    box.fill(SENTENCE)
    box.press("Enter")
    heatmap_shows(page, "cats")
    page.get_by_text("The model reads 10 tokens").wait_for(timeout=30_000)
    page.screenshot(path=str(folder / "attention-heatmaps.png"), full_page=True)

    open_tab(page, "bertviz", None)
    for title in ("bertviz head view", "bertviz model view"):
        frame = page.frame_locator(f"iframe[title='{title}']")
        frame.locator("svg").first.wait_for(timeout=30_000)  # d3 drew it: the vendored scripts ran
        assert frame.locator("svg text", has_text="cats").count() >= (1 if title.endswith("head view") else 0)
    page.screenshot(path=str(folder / "attention-bertviz.png"), full_page=True)

    open_tab(page, "Step through a head", None)
    wait_for_plots(page, 2)
    page.screenshot(path=str(folder / "attention-steps.png"), full_page=True)
    print(f"\nscreenshots of the Attention tab: {folder}")
    assert page.errors == [], page.errors
    assert page.foreign == [], f"requests left the app's host: {page.foreign}"
