"""Headless Chromium opens every VAE view, then plays a live training for a few seconds."""

from __future__ import annotations

import time

import pytest

from tests.browser.pages import open_tab, screenshot_dir, wait_for_plots

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


def test_live_training_streams_and_pauses(page, app_url):
    page.goto(app_url)
    open_tab(page, "VAE", "Live training")
    page.get_by_role("button", name="Train / resume").click()
    page.wait_for_function(
        "() => /Step ([1-9]\\d*|[1-9]\\d{0,2},\\d+) of/.test(document.querySelector('#vae-status')?.innerText ?? '')",
        timeout=60_000,
    )
    first = live_step(page)
    page.wait_for_timeout(2000)
    second = live_step(page)
    assert second > first, "no new frame arrived while training"
    wait_for_plots(page, 2)
    page.get_by_role("button", name="Pause").dispatch_event("click")
    paused, deadline = -1, time.monotonic() + 30
    while time.monotonic() < deadline:  # frames already sent may still be painted: wait until it settles
        page.wait_for_timeout(1000)
        now = live_step(page)
        if now == paused:
            break
        paused = now
    assert paused == live_step(page) and paused < 2000, "training did not stop on Pause"
    page.screenshot(path=str(screenshot_dir() / "vae_live.png"))
    assert not page.errors, page.errors
