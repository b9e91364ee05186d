"""Figures to take away: PNG and SVG of any figure, and the open view as one offline HTML file.

All of it runs in the browser (``assets/static/figures.js``); the server only hands out
plotly.js once, for the saved page. Three pieces, wired by ``app.py``:

* :func:`head` — the script, inlined, for ``launch(head=...)``. It gives every Plotly figure a
  small "PNG · SVG" toolbar (``Plotly.downloadImage`` at the figure's size, saved as
  ``<tab>-<figure title>.png``) and defines ``window.explainerSaveView()``.
* :data:`SAVE_VIEW_JS` — what the workshop bar's "Save view (HTML)" button runs (only in the
  browser, no server event): the visible figures of the open tab and sub-tab, with their
  captions, become one HTML file that inlines plotly.min.js and each figure's data and layout.
* :class:`PlotlyScript` (through :func:`middleware`) — answers ``GET …/explainer/plotly.min.js``
  with the plotly package's own bundle (plotly/package_data/plotly.min.js). The page asks for
  that fixed name; no folder of the server appears in the page, and no other file can be
  reached through it (the path is compared whole, nothing from the request is opened).

Gradio's front end ships plotly.js too, but as an ES module chunk tied to its other chunks;
it cannot be pasted into a standalone page, hence the package's bundle.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import plotly

SCRIPT = Path(__file__).resolve().parent.parent / "assets" / "static" / "figures.js"
PLOTLY_JS = Path(plotly.__file__).resolve().parent / "package_data" / "plotly.min.js"
ROUTE = "/explainer/plotly.min.js"  # figures.js asks for 'explainer/plotly.min.js' relative to the page
CACHE_SECONDS = 86_400  # the bundle changes only when the plotly package does
SAVE_VIEW_JS = "() => { window.explainerSaveView && window.explainerSaveView(); }"


@cache
def head() -> str:
    """``<script>`` with figures.js inlined, for ``Blocks.launch(head=...)`` (read once per process)."""
    source = SCRIPT.read_text(encoding="utf-8")
    for bad in ("</script", "<!--"):  # the first ends the element early; the second can hide its end
        if bad in source.lower():
            raise ValueError(f"{SCRIPT.name} must not contain {bad!r}")
    return f"<script>\n{source}\n</script>"


class PlotlyScript:
    """ASGI middleware: ``GET``/``HEAD`` on a path ending in :data:`ROUTE` gets plotly.min.js; all else passes on.

    Matching the end of the path keeps it working when the app is served under a prefix
    (a reverse proxy's ``root_path``). The file is streamed by Starlette's ``FileResponse``
    (ETag, Last-Modified, ranges), so it is not held in the server's memory.
    """

    def __init__(self, app: Any, path: Path = PLOTLY_JS) -> None:
        self.app, self.path = app, path

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope.get("path", "").endswith(ROUTE) and scope.get("method") in ("GET", "HEAD"):
            from starlette.responses import FileResponse

            response = FileResponse(self.path, media_type="text/javascript; charset=utf-8",
                                    headers={"Cache-Control": f"public, max-age={CACHE_SECONDS}"})
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


def middleware() -> Any:
    """The entry for ``launch(app_kwargs={"middleware": [...]})`` (see demos/server.middleware)."""
    from starlette.middleware import Middleware

    return Middleware(PlotlyScript)
