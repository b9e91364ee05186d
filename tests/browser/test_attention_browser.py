"""Headless Chromium types a sentence into the Attention tab, sees the heatmap redraw, and finds
bertviz's SVG drawn inside its iframe — with no console error and no request leaving the app's host;
then does what a new user did in issue 14: fast keys on a slider, a refused text."""

from __future__ import annotations

import time

import numpy as np
import pytest

from tests.browser.pages import (
    open_tab,
    record_event_requests,
    screenshot_dir,
    settle,
    spinners,
    wait_for_plots,
)

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


# --- issue 14: what a new user hit ---------------------------------------------------------------------------


def _heatmap(page) -> dict:
    """The visible single-head heatmap as drawn: its title and its (T, T) weights."""
    return page.evaluate("""() => {
        const p = [...document.querySelectorAll('.js-plotly-plot')].find(p => p.offsetParent !== null
            && p._fullData && p._fullData[0] && p._fullData[0].type === 'heatmap' && p.layout.title
            && p.layout.title.text.startsWith('Layer '));
        return {title: p.layout.title.text, z: [...p._fullData[0].z].map(row => [...row])};
    }""")


def _press(page, keys: list[str], gap: float = 0.05) -> None:
    for key in keys:
        page.keyboard.press(key)
        time.sleep(gap)


def test_fast_keys_on_the_head_slider_settle_on_the_last_head(page, app_url):
    """→ → → ← ← ← at 50 ms on the Head slider: requests went on every ~0.3 s for minutes (two events on
    one trigger re-triggering each other), or spinners stayed and the last value was never sent."""
    from explainer.attention import views as V

    page.goto(app_url)
    open_tab(page, "Attention", None)
    wait_for_plots(page, 2)
    sent = record_event_requests(page)
    settle(page, sent)
    slider = page.get_by_label("range slider for Head")
    for keys, expected in ((["ArrowRight"] * 3 + ["ArrowLeft"] * 3, 0),
                           (["ArrowRight"] * 3 + ["ArrowLeft"] + ["ArrowRight", "ArrowLeft"] * 2, 2)):
        slider.focus()
        before = len(sent)
        _press(page, keys)
        took = settle(page, sent, quiet=2.0, timeout=20.0)
        assert took < 8.0, f"the page took {took:.1f} s to settle"
        assert spinners(page) == 0
        assert 1 <= len(sent) - before <= len(keys), len(sent) - before  # the last value was sent, nothing more
        assert slider.input_value() == str(expected)
        drawn = _heatmap(page)
        view = V.attention_view(V.Catalog(), list(V.SHIPPED)[0], "the dogs that the girl sees [MASK] .", 0, expected)
        assert drawn["title"] == view.heatmap.layout.title.text
        np.testing.assert_allclose(np.asarray(drawn["z"], dtype=float), np.asarray(view.heatmap.data[0].z),
                                   atol=1e-3)
    assert page.errors == [], page.errors


def test_a_refused_text_leaves_a_lasting_note_under_the_text_box(page, app_url):
    """The refusal was a ~10 s toast, the old figures stayed up as if they were the new text's, and the
    red error badge landed on the Query-token box."""
    page.goto(app_url)
    open_tab(page, "Attention", None)
    wait_for_plots(page, 2)
    box = page.get_by_label("Text (press Enter or Run)")
    box.fill("the dog runs " * 20)
    box.press("End")
    box.press_sequentially(" .", delay=50)  # typed keys: the box's input event
    page.get_by_text("Edited: press Enter or Run").first.wait_for(timeout=10_000)  # the figures are for the old text
    assert page.get_by_label("Preset").input_value() == ""  # the preset no longer names the text
    box.press("Enter")
    note = page.locator(".notice", has_text="Not drawn").first
    note.wait_for(timeout=30_000)
    assert "at most 30" in note.inner_text()
    page.wait_for_function("""() => [...document.querySelectorAll('.js-plotly-plot')].filter(p => p.offsetParent)
                              .every(p => p.layout.title.text === 'Not drawn')""", timeout=30_000)
    time.sleep(12)  # longer than a toast lives
    assert note.is_visible() and "at most 30" in note.inner_text()
    # the note sits right under the text box, and no error badge sits on another control
    text_box = box.bounding_box()
    assert 0 <= note.bounding_box()["y"] - (text_box["y"] + text_box["height"]) < 120
    assert page.locator(".error, .validation-error").count() == 0
    page.screenshot(path=str(screenshot_dir() / "attention-refused.png"), full_page=False)
    box.fill(SENTENCE)
    box.press("Enter")
    heatmap_shows(page, "cats")
    page.wait_for_function("() => !document.querySelector('.notice strong')", timeout=30_000)
    assert page.errors == [], page.errors
