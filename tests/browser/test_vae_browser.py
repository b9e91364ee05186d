"""Headless Chromium opens every VAE view, picks a point by clicking the latent map, and plays a live training."""

from __future__ import annotations

import os
import time

import numpy as np
import pytest
from gradio_client import Client

from explainer.vae.catalog import S
from tests.browser.pages import open_tab, record_event_requests, screenshot_dir, steady, wait_for_plots
from tests.ui.plotly_json import decode, figure

pytestmark = pytest.mark.browser

# sub-tab -> plots it shows once drawn (the sketch view draws after Encode)
VIEWS = {"Latent map": 3, "Sampling": 2, "Reparameterisation": 2, "Interpolation": 1, "β": 4, "AE ≈ PCA": 2}


def live_step(page) -> int:
    text = page.evaluate("document.querySelector('#vae-status')?.innerText.match(/Step ([\\d,]+) of/)?.[1] ?? ''")
    assert text, "no status line"
    return int(text.replace(",", ""))


def test_every_view_draws(page, app_url):
    page.goto(app_url)
    page.get_by_role("tab", name="VAE", exact=True).click()
    shots = screenshot_dir()
    for sub, count in VIEWS.items():
        open_tab(page, "VAE", sub)
        wait_for_plots(page, count)
        page.screenshot(path=str(shots / f"vae_{sub.replace(' ', '_').replace('≈', 'eq')}.png"))
    open_tab(page, "VAE", "Draw a digit")
    canvas = page.locator("canvas").first
    canvas.wait_for(state="visible", timeout=30_000)
    box = canvas.bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.2)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.8, steps=12)
    page.mouse.up()
    page.get_by_role("button", name="Encode my digit").click()
    page.get_by_text("encoded at").wait_for(timeout=30_000)
    wait_for_plots(page, 2)
    assert not page.errors, page.errors
    assert not page.foreign, page.foreign


# The test digit farthest from the initially picked point, its code, and where its dot is drawn on
# screen — through Plotly's own axis conversion (l2p), not the picker's arithmetic.
FAR_DOT = """() => {
    const gd = document.querySelector('#vae-latent-map .js-plotly-plot');
    const picked = gd._fullData.find(t => t.name === 'picked');
    let best = null;
    for (const t of gd._fullData.filter(t => t.mode === 'markers' && t.name !== 'picked')) {
        for (let i = 0; i < t.x.length; i++) {
            const d = Math.hypot(t.x[i] - picked.x[0], t.y[i] - picked.y[0]);
            if (!best || d > best.d) best = {d, x: t.x[i], y: t.y[i]};
        }
    }
    const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis, box = gd.getBoundingClientRect();
    return {...best, px: box.left + xa._offset + xa.l2p(best.x), py: box.top + ya._offset + ya.l2p(best.y),
            unit: Math.abs(xa.p2l(1) - xa.p2l(0))};
}"""
PICKED = """() => {
    const gd = document.querySelector('#vae-latent-map .js-plotly-plot');
    const t = gd && gd._fullData.find(t => t.name === 'picked');
    return t ? [t.x[0], t.y[0]] : null;
}"""
DECODED = """() => Array.from(document.querySelector('#vae-decoded .js-plotly-plot')._fullData[0].z, r => Array.from(r))"""
SLIDERS = """() => ['vae-z1', 'vae-z2'].map(id => Number(document.querySelector('#' + id + ' input[type=number]').value))"""


def test_clicking_the_map_picks_that_point(page, app_url):
    page.goto(app_url)
    open_tab(page, "VAE", "Latent map")
    wait_for_plots(page, 3)
    start, before = page.evaluate(PICKED), np.array(page.evaluate(DECODED))
    dot = page.evaluate(FAR_DOT)
    assert dot["d"] > 1.0, dot
    sent = record_event_requests(page)
    page.mouse.click(dot["px"], dot["py"])
    page.wait_for_function(f"() => {{ const p = ({PICKED})(); return p && (p[0] !== {start[0]} || p[1] !== {start[1]}); }}",
                           timeout=30_000)
    page.wait_for_timeout(1500)  # let any further event settle
    picked = page.evaluate(PICKED)
    tolerance = 0.025 + 2 * dot["unit"]  # half a slider step, plus a pixel or two of the click
    assert abs(picked[0] - dot["x"]) <= tolerance and abs(picked[1] - dot["y"]) <= tolerance, (picked, dot)
    assert page.evaluate(SLIDERS) == pytest.approx(picked, abs=1e-6)
    after = np.array(page.evaluate(DECODED))
    assert not np.allclose(after, before, atol=1e-3), "the decoding did not change"
    # the painted decoding is what the server decodes at the picked z (an independent call)
    _, decoded, _ = Client(app_url, verbose=False).predict(S.model, picked[0], picked[1], False, api_name="/vae_map")
    assert np.allclose(after, decode(figure(decoded)["data"][0]["z"]), atol=2e-3)
    assert len(sent) == 1, f"one click should send one event, sent {len(sent)}"
    # the sliders still pick too: one step right on z₁ moves the × by one step
    page.locator("#vae-z1 input[type=range]").press("ArrowRight")
    page.wait_for_function(f"() => Math.abs(({PICKED})()[0] - {picked[0] + 0.05}) < 1e-6", timeout=30_000)
    assert page.evaluate(PICKED)[1] == pytest.approx(picked[1], abs=1e-6)
    assert not page.errors, page.errors


# Per animation frame: did the live map's points move? (where the first points of each digit's trace are drawn)
PROBE = """() => {
  const map = document.querySelector('#vae-live-map');
  const m = window.__probe = {rafs: 0, moved: 0, layouts: new Set(), paints0: window.__livePaints || 0, last: null};
  const tick = () => {
    if (m.stopped) return;
    m.rafs++;
    const points = [...map.querySelectorAll('.scatterlayer .trace')].flatMap(t => [...t.querySelectorAll('.point')].slice(0, 5));
    const layout = points.map(p => p.getAttribute('transform')).join(';');
    if (layout !== m.last) { m.moved++; m.last = layout; m.layouts.add(layout); }
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
}"""
READ = """() => { const m = window.__probe;
  return {rafs: m.rafs, moved: m.moved, layouts: m.layouts.size, paints: (window.__livePaints || 0) - m.paints0,
          frames: window.__liveFrames || 0}; }"""
MEASURE_SECONDS = 5.0
MAP_TITLE = "document.querySelector('#vae-live-map .gtitle')?.textContent ?? ''"


def test_live_training_streams_and_pauses(page, app_url):
    """The live map (demos.liveplot) paints moving frames while training; Pause stops it, the map caught up.

    Painted frames per second are printed, not asserted (timing on a shared machine is not a test;
    the target is ≥ 20 frames/s): ``window.__livePaints`` and, independently, the animation frames in
    which the drawn points moved.
    """
    page.goto(app_url)
    open_tab(page, "VAE", "Live training")
    # 4 steps a frame at 20 frames/s: the 2,000-step run lasts ≥ 25 s, so it is still running at Pause
    page.get_by_label("number input for Steps per frame").fill("4")
    page.get_by_role("button", name="Train / resume").click()
    page.wait_for_function(
        "() => /Step ([1-9]\\d*|[1-9]\\d{0,2},\\d+) of/.test(document.querySelector('#vae-status')?.innerText ?? '')",
        timeout=60_000,
    )
    page.wait_for_function("() => document.querySelector('#vae-live-map .js-plotly-plot')?.data?.length > 0",
                           timeout=60_000)  # drawn once (Plotly loaded, the first frame shown)
    first = live_step(page)
    div = page.evaluate_handle("document.querySelector('#vae-live-map .js-plotly-plot')")
    page.evaluate(PROBE)
    start, load = time.monotonic(), os.getloadavg()[0]
    page.wait_for_timeout(MEASURE_SECONDS * 1000)
    probe = page.evaluate(READ)
    seconds, moved_to = time.monotonic() - start, live_step(page)
    print(f"\nVAE live map: {probe['paints'] / seconds:.1f} frames/s painted (window.__livePaints), "
          f"{probe['moved'] / seconds:.1f} animation frames/s with the points moved, {probe['layouts']} distinct "
          f"layouts, {probe['rafs'] / seconds:.1f} animation frames/s; {probe['frames']} frames received; "
          f"training {(moved_to - first) / seconds:.0f} steps/s; load average {load:.2f}")
    assert moved_to > first, "no new frame arrived while training"
    # the points really move: frames painted, each a new layout (waited for, not timed: the machine is shared)
    page.wait_for_function(f"() => {{ const p = ({READ})(); return p.paints >= 3 && p.layouts >= 4; }}",
                           timeout=30_000)
    page.evaluate("() => { window.__probe.stopped = true; }")
    # one Plotly div the whole time: updated in place, not re-created per frame
    assert page.evaluate("d => d.isConnected && document.querySelectorAll('#vae-live-map .js-plotly-plot').length === 1",
                         div)
    wait_for_plots(page, 2)
    page.wait_for_function(  # the curves, sent every 2 s only, still follow the training
        "n => { const x = document.querySelector('#vae-live-curves .js-plotly-plot')?._fullData?.[0]?.x;"
        " return x && x.length > 0 && x[x.length - 1] > n; }", arg=first, timeout=60_000)
    page.get_by_role("button", name="Pause").dispatch_event("click")
    paused = steady(page, lambda: live_step(page), what="the live map's step")
    assert paused < 2000, "training ran to the end of the run: Pause did not stop it"
    page.wait_for_function(f"t => ({MAP_TITLE}).endsWith(t)", arg=f"step {paused:,}", timeout=10_000)  # caught up
    page.screenshot(path=str(screenshot_dir() / "vae_live.png"))
    assert not page.errors, page.errors
