"""Headless Chromium opens the app, clicks every tab, waits for every plot to draw, and fails
on any console error or any request to a host other than the app's own.

Screenshots of each tab go to a temporary folder (or $EXPLAINER_SCREENSHOTS) whose path is
printed (run pytest with -s to see it).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from urllib.parse import urlparse

import pytest

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = [  # the machine's network is closed: no background calls home, no QUIC probes
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage",
]
# tab label -> (sub-tab label or None, number of plots it must draw)
PAGES = [
    ("Start here", None, 0),
    ("Positional encodings", "Sinusoidal", 5),
    ("Positional encodings", "RoPE", 2),
    ("Positional encodings", "ALiBi", 2),
]


@pytest.fixture(scope="module")
def browser():
    if CHROMIUM is None:
        pytest.fail("Chromium is not installed: apt-get install chromium (see .ci/run)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield b
        b.close()


@pytest.fixture()
def page(browser, app_url):
    """A page with every console error and every off-host request recorded."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.errors, page.foreign = [], []
    host = urlparse(app_url).hostname
    page.on("console", lambda m: page.errors.append(f"console.{m.type}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: page.errors.append(f"page error: {e}"))

    def on_request(request):
        url = urlparse(request.url)
        if url.scheme in ("http", "https", "ws", "wss") and url.hostname not in (host, "localhost", "127.0.0.1"):
            page.foreign.append(request.url)

    page.on("request", on_request)
    yield page
    context.close()


def screenshot_dir() -> Path:
    folder = Path(os.environ.get("EXPLAINER_SCREENSHOTS") or tempfile.mkdtemp(prefix="explainer-screens-"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def open_tab(page, label: str, sub: str | None) -> None:
    page.get_by_role("tab", name=label, exact=True).click()
    if sub:
        page.get_by_role("tab", name=sub, exact=True).click()


def visible_plots(page):
    return page.locator(".js-plotly-plot:visible")


def wait_for_plots(page, count: int) -> None:
    """Every visible plot has drawn its traces (an SVG or WebGL layer with content)."""
    page.wait_for_function(
        """n => {
            const plots = [...document.querySelectorAll('.js-plotly-plot')].filter(p => p.offsetParent !== null);
            return plots.length >= n && plots.every(p => p.data && p.data.length > 0
                && p.querySelector('.main-svg') && p.querySelector('.cartesianlayer'));
        }""",
        arg=count,
        timeout=60_000,
    )


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
