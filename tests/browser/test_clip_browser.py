"""Headless Chromium opens the Text → image tab: the captions draw on opening, a CLIP trains live in the page
(the similarity matrix repaints, the step rises, Pause stops it), and an unknown word is refused with the
vocabulary shown while the page keeps working.

The live matrix is a ``demos.liveplot.LivePlot``: one Plotly div updated in place. Its repaints are
counted as tests/browser/test_liveplot.py counts the GAN plane's: per animation frame, whether what is
drawn changed — here the matrix heatmap's rendered image and the title with its step. Frame rates are
printed, not asserted (timing on a shared 2-core machine is not a test).
"""

from __future__ import annotations

import re
import time

import pytest

from explainer.datasets import captions
from tests.browser.pages import open_tab, screenshot_dir, wait_for_plots

pytestmark = pytest.mark.browser

TAB = "Text → image"
MATRIX, STATUS = "#clip-live-matrix", "#clip-status"
MEASURE_SECONDS = 4.0
TOASTS = """() => { window.__toasts = [];
  new MutationObserver(() => {
    for (const t of document.querySelectorAll('[data-testid=toast-body]')) {
      if (t.__seen) continue;
      t.__seen = true;
      window.__toasts.push(t.textContent.replace(/\\s+/g, ' ').trim());
    }
  }).observe(document.body, {childList: true, subtree: true}); }"""
# Per animation frame: did the matrix as drawn change? (its heatmaps' rendered images and its title)
PROBE = """() => {
  const root = document.querySelector('#clip-live-matrix');
  const m = window.__probe = {rafs: 0, changed: 0, drawn: new Set(), titles: new Set(), paints0: window.__livePaints || 0,
                              last: null};
  const tick = () => {
    if (m.stopped) return;
    m.rafs++;
    const images = [...root.querySelectorAll('.heatmaplayer image, .hm image')].map(i => i.getAttribute('href') || '');
    const title = root.querySelector('.gtitle')?.textContent ?? '';
    const now = title + '|' + images.join('|');
    if (now !== m.last) { m.changed++; m.last = now; m.drawn.add(images.join('|')); m.titles.add(title); }
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
}"""
READ = """() => { const m = window.__probe; m.stopped = true;
  return {rafs: m.rafs, changed: m.changed, drawn: m.drawn.size, titles: [...m.titles],
          paints: (window.__livePaints || 0) - m.paints0}; }"""


def status(page) -> str:
    return page.evaluate(f"document.querySelector('{STATUS}')?.innerText ?? ''")


def step_of(text: str) -> int:
    found = re.search(r"Step ([\d,]+) of 800", text)
    assert found, f"no step in the status line: {text!r}"
    return int(found.group(1).replace(",", ""))


def test_captions_draw_on_opening_and_a_clip_trains_live(page, app_url):
    page.goto(app_url)
    open_tab(page, TAB, None)  # the Captions sub-tab is first: its figures draw without a click
    wait_for_plots(page, 2)
    titles = page.evaluate("[...document.querySelectorAll('.js-plotly-plot')].filter(p => p.offsetParent)"
                           ".map(p => p.layout.title.text)")
    assert titles[0].startswith("Captions written by our code"), titles
    page.screenshot(path=str(screenshot_dir() / "clip_captions.png"))

    page.get_by_role("tab", name="Train CLIP live", exact=True).click()
    page.get_by_label("number input for Steps per frame").fill("5")  # 800 steps last ≥ 30 s: running at Pause
    page.get_by_role("button", name="Train / resume").click()
    page.wait_for_function(f"() => /^Step [1-9]/.test(document.querySelector('{STATUS}')?.innerText ?? '')",
                           timeout=60_000)
    page.wait_for_function(f"() => document.querySelector('{MATRIX} .js-plotly-plot')?.data?.length > 0",
                           timeout=60_000)
    div = page.evaluate_handle(f"document.querySelector('{MATRIX} .js-plotly-plot')")
    page.evaluate(PROBE)
    start, step0 = time.monotonic(), step_of(status(page))
    page.wait_for_timeout(MEASURE_SECONDS * 1000)
    probe = page.evaluate(READ)
    seconds, step1 = time.monotonic() - start, step_of(status(page))
    print(f"\nCLIP live matrix: {probe['paints'] / seconds:.1f} frames/s painted (window.__livePaints), "
          f"{probe['changed'] / seconds:.1f} animation frames/s with the drawing changed, {probe['drawn']} distinct "
          f"heatmaps, {len(probe['titles'])} titles; training {(step1 - step0) / seconds:.0f} steps/s")
    assert step1 > step0, "the status line showed no new step while training"
    assert probe["paints"] >= 3 and probe["changed"] >= 3, probe
    assert probe["drawn"] >= 3, "the similarity matrix was not repainted with new values"
    shown = [int(m.group(1).replace(",", "")) for t in probe["titles"]
             if (m := re.fullmatch(r"Your CLIP at step ([\d,]+): 12 test digits × their captions", t))]
    assert len(shown) >= 3 and shown == sorted(shown), probe["titles"]  # each repaint a later step
    # one Plotly div the whole time: updated in place, not re-created per frame
    assert page.evaluate(f"d => d.isConnected && document.querySelectorAll('{MATRIX} .js-plotly-plot').length === 1",
                         div)

    page.get_by_role("button", name="Pause", exact=True).dispatch_event("click")
    paused, deadline = -1, time.monotonic() + 30
    while time.monotonic() < deadline:  # frames already sent may still be painted: wait until it settles
        page.wait_for_timeout(1000)
        now = step_of(status(page))
        if now == paused:
            break
        paused = now
    assert paused == step_of(status(page)) and 0 < paused < 800, "training did not stop on Pause"
    page.wait_for_function(f"t => document.querySelector('{MATRIX} .gtitle')?.textContent?.includes(t)",
                           arg=f"step {paused:,}:", timeout=10_000)  # the matrix caught up with the pause
    page.screenshot(path=str(screenshot_dir() / "clip_live.png"))
    assert page.errors == [], page.errors
    assert page.foreign == [], f"requests left the app's host: {page.foreign}"


def test_retrieval_refuses_an_unknown_word_and_keeps_working(page, app_url):
    page.goto(app_url)
    page.evaluate(TOASTS)
    open_tab(page, TAB, "Retrieval")
    wait_for_plots(page, 2)
    box = page.get_by_label("Text (words of the vocabulary)")
    box.fill("a fluffy seven")
    box.press("Enter")
    page.wait_for_function("() => window.__toasts.some(t => t.includes('fluffy'))", timeout=30_000)
    toast = [t for t in page.evaluate("() => window.__toasts") if "fluffy" in t][0]
    assert "Error" in toast and "Unknown word 'fluffy'" in toast and captions.vocabulary_text() in toast, toast
    page.screenshot(path=str(screenshot_dir() / "clip_refused.png"))
    box.fill("the digit three")  # the page keeps working: the next query is answered
    box.press("Enter")
    page.wait_for_function("() => [...document.querySelectorAll('.js-plotly-plot')].filter(p => p.offsetParent)"
                           ".some(p => p.layout.title.text.startsWith('“the digit three” → the 5 nearest'))",
                           timeout=30_000)
    assert page.errors == [], page.errors
    assert page.foreign == [], f"requests left the app's host: {page.foreign}"
