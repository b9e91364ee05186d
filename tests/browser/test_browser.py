"""Headless Chromium opens the app, clicks every tab, waits for every plot to draw, and fails
on any console error or any request to a host other than the app's own.

Screenshots of each tab go to a temporary folder (or $EXPLAINER_SCREENSHOTS) whose path is
printed (run pytest with -s to see it).
"""

from __future__ import annotations

import statistics
import time

import pytest

from tests.browser.pages import (
    open_tab,
    plot_tops,
    record_event_requests,
    screenshot_dir,
    settle,
    visible_plots,
    wait_for_plots,
)

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
        """() => [...document.querySelectorAll('.js-plotly-plot')].some(p => p.offsetParent !== null && p.data
               && p.data[0].type === 'heatmap' && (p.layout.annotations || []).length === 3)""",  # a tile per head
        timeout=30_000,
    )
    assert page.get_by_text("head 2, m =").count() >= 1
    assert page.errors == [] and page.foreign == []


# --- issue 14: the Positional tab got slower with every key press; projector readability ------------------


def _window_resize_listeners(cdp) -> int:
    window = cdp.send("Runtime.evaluate", {"expression": "window"})["result"]["objectId"]
    listeners = cdp.send("DOMDebugger.getEventListeners", {"objectId": window})["listeners"]
    return sum(entry["type"] == "resize" for entry in listeners)


def test_the_hundredth_key_press_is_as_fast_as_the_first(page, app_url):
    """Every gr.Plot update left the old plot div alive (a window resize listener per figure per press):
    click-to-paint grew from ~750 ms to ~1,260 ms over 30 presses, +10,000 listeners, +44,000 nodes."""
    page.goto(app_url)
    open_tab(page, "Positional encodings", "Sinusoidal")
    wait_for_plots(page, 5)
    cdp = page.context.new_cdp_session(page)
    sent = record_event_requests(page)
    settle(page, sent)
    listeners_before = _window_resize_listeners(cdp)
    slider = page.get_by_label("range slider for Number of positions")
    slider.focus()
    times = []
    for _ in range(30):
        target = int(slider.input_value()) + 1
        start = time.perf_counter()
        page.keyboard.press("ArrowRight")
        page.wait_for_function(  # the PE heatmap has one row per position: the new figure is in
            """n => { const p = [...document.querySelectorAll('.js-plotly-plot')].find(p => p.offsetParent !== null
                          && p._fullData && p._fullData[0] && p._fullData[0].type === 'heatmap');
                      return p && p._fullData[0].y && p._fullData[0].y.length === n; }""",
            arg=target, timeout=30_000, polling="raf")
        page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")  # painted
        times.append((time.perf_counter() - start) * 1000)
        settle(page, sent, quiet=0.3)
    first, last = statistics.median(times[:5]), statistics.median(times[-5:])
    print(f"\nclick-to-paint ms, 30 presses: {[round(t) for t in times]}; first-5 median {first:.0f}, "
          f"last-5 median {last:.0f}")
    assert last <= 1.5 * first + 100, (first, last)
    assert _window_resize_listeners(cdp) <= listeners_before + 5  # each old plot let go of its listener
    assert page.errors == [], page.errors



def test_each_new_value_is_drawn_once_into_the_same_div_and_nothing_is_stored(page, app_url):
    """Gradio 6.31's gr.Plot drew each new value twice, each time into a fresh div (~2x the page's work per
    key press); assets/static/gradio_plots.js draws it once, into the div the figure already had. And
    Gradio's run history (every event's inputs and outputs, rewritten in localStorage on each message,
    ~100 ms a click after a few dozen clicks) is off."""
    page.goto(app_url)
    open_tab(page, "Positional encodings", "Sinusoidal")
    wait_for_plots(page, 5)
    sent = record_event_requests(page)
    settle(page, sent)
    heatmap = """() => [...document.querySelectorAll('.js-plotly-plot')].find(p => p.offsetParent !== null
                        && p._fullData && p._fullData[0] && p._fullData[0].type === 'heatmap')"""
    page.evaluate(f"() => {{ ({heatmap})().__marked = true; }}")
    shown = "() => [...document.querySelectorAll('.js-plotly-plot')].map(p => JSON.stringify([p.data, p.layout]))"
    before, draws = page.evaluate(shown), page.evaluate("() => window.__explainerPlotDraws")
    slider = page.get_by_label("range slider for Number of positions")
    target = int(slider.input_value()) + 1
    slider.focus()
    page.keyboard.press("ArrowRight")
    page.wait_for_function(f"n => {{ const p = ({heatmap})(); return p && p._fullData[0].y.length === n; }}",
                           arg=target, timeout=30_000, polling="raf")
    settle(page, sent, quiet=0.3)
    changed = sum(a != b for a, b in zip(before, page.evaluate(shown)))
    assert changed >= 4  # all but, perhaps, a figure whose value did not change (Gradio does not resend it)
    assert page.evaluate("() => window.__explainerPlotDraws") - draws == changed  # each drawn once
    assert page.evaluate(f"() => ({heatmap})().__marked === true")  # drawn over, not into a new div
    assert page.evaluate("() => document.querySelectorAll('.js-plotly-plot').length") == visible_plots(page).count() == 5  # no old divs left
    page.get_by_role("button", name="Reset", exact=True).click()  # a public event (the key press's is not)
    page.wait_for_function(f"n => {{ const p = ({heatmap})(); return p && p._fullData[0].y.length !== n; }}",
                           arg=target, timeout=30_000, polling="raf")
    settle(page, sent, quiet=0.3)
    assert page.evaluate("() => Object.keys(localStorage).filter(k => k.startsWith('gradio:')).length") == 0
    assert page.errors == [], page.errors


FIRST_SCREEN = [  # tab, sub-tab, how many plots, the main figure's index among the visible plots
    ("Attention", None, 2, 0),
    ("Positional encodings", "Sinusoidal", 5, 0),
    ("Positional encodings", "RoPE", 2, 0),
    ("Positional encodings", "ALiBi", 2, 0),
    ("Positional encodings", "Learned", 2, 0),
]


def test_each_main_figure_is_on_the_first_screen_of_a_projector(browser, app_url):
    """At 1024 × 768 the heatmap of the Attention tab started below the fold (778 px)."""
    context = browser.new_context(viewport={"width": 1024, "height": 768})
    page = context.new_page()
    folder = screenshot_dir()
    try:
        page.goto(app_url)
        page.get_by_text("computing on", exact=False).first.wait_for(timeout=60_000)
        for label, sub, plots, main in FIRST_SCREEN:
            open_tab(page, label, sub)
            wait_for_plots(page, plots)
            top = plot_tops(page)[main]
            page.screenshot(path=str(folder / f"1024-{(sub or label).lower().replace(' ', '_')}.png"))
            assert top <= 768 - 150, f"{label} / {sub}: the main figure starts at {top} px"  # 150 px of it show
            widths = page.evaluate("""() => [...document.querySelectorAll('.js-plotly-plot')].filter(p => p.offsetParent)
                .map(p => { const t = p.querySelector('.gtitle'); const r = p.getBoundingClientRect();
                            return t ? [t.getBoundingClientRect().right, r.right] : [0, r.right]; })""")
            for title_right, plot_right in widths:  # no title runs past its plot's right edge (cut off)
                assert title_right <= plot_right + 1, (label, sub, title_right, plot_right)
        print(f"\nscreenshots at 1024 × 768: {folder}")
    finally:
        context.close()
