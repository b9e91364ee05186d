"""Page helpers shared by the browser tests."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


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
