"""Page helpers shared by the browser tests."""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

SPINNERS = ".pending, .progress-text, .eta-bar"  # what Gradio's status tracker shows while an event runs


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


def record_event_requests(page) -> list[float]:
    """Times (time.monotonic) at which the page sent an event to the server's queue, from now on."""
    sent: list[float] = []
    page.on("request", lambda r: sent.append(time.monotonic())
            if r.method == "POST" and "/gradio_api/queue/join" in r.url else None)
    return sent


def spinners(page) -> int:
    return page.locator(SPINNERS).count()


def settle(page, sent: list[float], *, quiet: float = 2.0, timeout: float = 30.0) -> float:
    """Wait until no spinner shows and no event was sent for ``quiet`` seconds; the seconds it took.

    Fails (AssertionError) when the page is still busy after ``timeout`` seconds — the jam of
    issue 14, where requests went on every ~0.3 s for minutes or spinners never cleared.
    """
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        time.sleep(0.25)
        last = sent[-1] if sent else start
        if spinners(page) == 0 and time.monotonic() - last >= quiet:
            return time.monotonic() - start
    raise AssertionError(f"still busy after {timeout} s: {spinners(page)} spinners, "
                         f"{sum(t > time.monotonic() - 5 for t in sent)} events sent in the last 5 s")


def steady(page, read, *, what: str, quiet: float = 3.0, timeout: float = 30.0):
    """``read()`` once it has shown the same value for ``quiet`` seconds (read every 0.25 s).

    After Pause the frames already on their way land, then the redraw at the paused step, which
    shows the chunk of training that was in flight when the cancel came; in CI that redraw came
    more than 1.5 s after the last frame. Fails (AssertionError naming ``what``) when the value
    still changes after ``timeout`` seconds.
    """
    start = time.monotonic()
    value, since = read(), start
    while time.monotonic() - start < timeout:
        page.wait_for_timeout(250)
        now = read()
        if now != value:
            value, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet:
            return value
    raise AssertionError(f"{what} still changed {timeout:.0f} s after Pause (last: {value!r})")


def plot_tops(page) -> list[int]:
    """The top edge (px, in the viewport) of every visible plot, scrolled to the top of the page."""
    page.evaluate("() => window.scrollTo(0, 0)")
    return page.evaluate("""() => [...document.querySelectorAll('.js-plotly-plot')].filter(p => p.offsetParent)
                               .map(p => Math.round(p.getBoundingClientRect().top))""")
