"""Headless Chromium opens every Diffusion view, watches the reverse process stream, paints a mask, and pauses training."""

from __future__ import annotations

import os
import re
import time

import pytest

from tests.browser.pages import open_tab, screenshot_dir, steady, wait_for_plots

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
TRAIN_STATUS = "#diffusion-train-status"


def plot_titles(page) -> list[str]:
    return page.evaluate(
        "[...document.querySelectorAll('.js-plotly-plot')].filter(p => p.offsetParent !== null)"
        ".map(p => p.querySelector('.gtitle')?.textContent ?? '')")


def wait_for_title(page, pattern: str, timeout: float = 60_000) -> None:
    page.wait_for_function(
        "re => [...document.querySelectorAll('.js-plotly-plot')].filter(p => p.offsetParent !== null)"
        ".some(p => new RegExp(re).test(p.querySelector('.gtitle')?.textContent ?? ''))", arg=pattern, timeout=timeout)


def training_step(page) -> int:
    """The step in the training status line, read in the page (no waiting on a page busy redrawing)."""
    text = page.evaluate(f"document.querySelector('{TRAIN_STATUS}')?.innerText.match(/Step ([\\d,]+)/)?.[1] ?? ''")
    assert text, "no status line"
    return int(text.replace(",", ""))


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


def test_reverse_process_streams_then_plays(page, app_url):
    page.goto(app_url)
    open_tab(page, "Diffusion", "Reverse process")
    wait_for_title(page, r"frame 100 of 100")  # opening the sub-tab streamed a whole DDPM-1000 run
    page.locator("#diffusion-sample").click()
    seen, deadline = [], time.monotonic() + 60
    while time.monotonic() < deadline:  # the frames of the new run arrive one chunk at a time
        titles = [t for t in plot_titles(page) if "frame" in t]
        if titles and (not seen or titles[0] != seen[-1]):
            seen.append(titles[0])
        if seen[-1:] and "frame 100 of 100" in seen[-1] and len(seen) > 1:
            break
        page.wait_for_timeout(50)
    frames = [int(re.search(r"frame (\d+) of", t).group(1)) for t in seen]
    assert len(frames) >= 3 and frames[-1] == 100 and frames[1:] == sorted(frames[1:]), frames
    page.locator("#diffusion-play").click()
    played = set()
    for _ in range(40):
        page.wait_for_timeout(300)
        played.update(t for t in plot_titles(page) if "frame" in t)
        if len(played) >= 4:
            break
    assert len(played) >= 4, f"the reverse process did not play: {played}"
    page.locator("#diffusion-reverse-pause").click(timeout=15_000)  # an ordinary click, while frames change
    page.wait_for_function("/Paused/.test(document.querySelector('#diffusion-reverse-status')?.innerText ?? '')",
                           timeout=15_000)
    stopped = steady(page, lambda: plot_titles(page), what="the reverse process's frames")
    page.wait_for_timeout(2500)
    assert plot_titles(page) == stopped, "frames went on after Pause"
    page.screenshot(path=str(screenshot_dir() / "diffusion-reverse.png"), full_page=True)
    assert page.errors == [], page.errors
    assert page.foreign == [], f"requests left the app's host: {page.foreign}"


def test_a_painted_mask_is_filled_in(page, app_url):
    page.goto(app_url)
    open_tab(page, "Diffusion", "In-painting")
    wait_for_title(page, r"32 of 64 pixels hidden")  # the preset the grid starts with (right half)
    page.get_by_role("button", name="Clear the mask").click()
    cells = page.locator("#diffusion-mask [data-cell]")
    first, last = cells.nth(8 * 2 + 1).bounding_box(), cells.nth(8 * 2 + 3).bounding_box()
    page.mouse.move(first["x"] + 10, first["y"] + 10)
    page.mouse.down()  # one stroke over three cells of row 2
    page.mouse.move(last["x"] + 10, last["y"] + 10, steps=6)
    page.mouse.up()
    assert page.locator("#diffusion-mask .cell.hidden").count() == 3
    wait_for_title(page, r"\b3 of 64 pixels hidden")
    page.screenshot(path=str(screenshot_dir() / "diffusion-inpaint.png"), full_page=True)
    errors = [e for e in page.errors if "mask is empty" not in e]  # Clear on its own is refused, by design
    assert errors == [], errors


def test_pause_stops_live_training_and_the_page_stays_responsive(page, app_url):
    uploads = []
    page.on("request", lambda request: uploads.append(request.url) if "/upload" in request.url else None)
    page.goto(app_url)
    open_tab(page, "Diffusion", "Train your own")
    page.locator("#diffusion-train").click()
    page.wait_for_function(f"/Step [1-9]/.test(document.querySelector('{TRAIN_STATUS}')?.innerText ?? '')",
                           timeout=60_000)
    first = training_step(page)
    page.wait_for_timeout(1500)
    assert training_step(page) > first, "no new frame arrived while training"
    page.locator("#diffusion-train-pause").click(timeout=15_000)  # an ordinary click finds it while frames stream
    paused = steady(page, lambda: training_step(page), what="the training step")
    assert paused < 4000, "training ran to the end of the run: Pause did not stop it"
    title = [t for t in plot_titles(page) if "step" in t]
    page.wait_for_timeout(2500)
    assert training_step(page) == paused and [t for t in plot_titles(page) if "step" in t] == title
    page.get_by_role("tab", name="Schedules", exact=True).click()  # a sub-tab never opened: drawn on demand
    wait_for_title(page, r"same .*steps|linear|cosine", timeout=10_000)
    wait_for_plots(page, 2)
    assert uploads == [], f"{len(uploads)} uploads while training"
    assert page.errors == [], page.errors


LIVE_PLANE = "#diffusion-live-plane .js-plotly-plot"
PAINT_SECONDS = 5.0  # frames are counted over this long


def live_state(page) -> dict:
    """Frames painted so far, the page's clock, and what the live plane shows now (read in the page)."""
    return page.evaluate("""sel => {
        const gd = document.querySelector(sel);  // _fullData: the arrays as drawn (data may hold base64)
        const red = gd?._fullData?.find(t => t.name === "network's samples");
        return {paints: window.__livePaints || 0, frames: window.__liveFrames || 0, t: performance.now(),
                points: red ? [...Array.from(red.x).slice(0, 50), ...Array.from(red.y).slice(0, 50)] : null,
                title: gd?.querySelector('.gtitle')?.textContent ?? ''};
    }""", LIVE_PLANE)


def test_live_training_paints_frames_and_pause_stops_them(page, app_url):
    """Frames painted per second while training (printed: a measurement, not a threshold), then Pause."""
    page.goto(app_url)
    open_tab(page, "Diffusion", "Train your own")
    page.locator("#diffusion-new-run").click()
    page.wait_for_function("sel => document.querySelector(sel)?.data?.length > 1", arg=LIVE_PLANE, timeout=60_000)
    page.locator("#diffusion-train").click()
    page.wait_for_function(f"/Step [1-9]/.test(document.querySelector('{TRAIN_STATUS}')?.innerText ?? '')",
                           timeout=60_000)
    start = live_state(page)
    page.wait_for_timeout(PAINT_SECONDS * 1000)
    end = live_state(page)
    seconds = (end["t"] - start["t"]) / 1000
    painted, received = end["paints"] - start["paints"], end["frames"] - start["frames"]
    print(f"\ndiffusion live training: {painted / seconds:.1f} frames painted/s, {received / seconds:.1f} received/s "
          f"over {seconds:.1f} s; load average {os.getloadavg()[0]:.2f}")
    assert painted > 0 and received >= painted, (start, end)
    assert len(start["points"]) == 100 and end["points"] != start["points"], "the samples did not move"  # real motion
    assert re.search(r"step [\d,]+ of", end["title"]) and end["title"] != start["title"], (start["title"], end["title"])
    page.locator("#diffusion-train-pause").click(timeout=15_000)  # an ordinary click, while frames are painted
    drawn = ("paints", "points", "title")  # not the page's clock
    stopped = steady(page, lambda: {k: v for k, v in live_state(page).items() if k in drawn}, what="the live plane")
    page.wait_for_timeout(2500)
    after = live_state(page)
    assert after["paints"] == stopped["paints"] and after["points"] == stopped["points"], "frames went on after Pause"
    assert training_step(page) < 4000 and f"step {training_step(page):,} of" in after["title"]
    assert page.errors == [], page.errors
