"""Figures to take away: PNG and SVG of any figure, and the open view as one offline HTML file.

All of it runs in the browser (``assets/static/figures.js``); the server only hands out
plotly.js once, for the saved page. Three pieces, wired by ``app.py``:

* :func:`head` — the page's own scripts, inlined, for ``launch(head=...)``: ``gradio_plots.js`` (each
  gr.Plot value drawn once, into a div kept per figure; old plot divs purged: the fixes every
  tab's figures rely on, see that file) and ``figures.js``, which gives every Plotly figure a
  small "PNG · SVG" toolbar (``Plotly.downloadImage`` at the figure's size, saved as
  ``<tab>-<figure title>.png``) and defines ``window.explainerSaveView()``.
* :data:`SAVE_VIEW_JS` — what the workshop bar's "Save view (HTML)" button runs (only in the
  browser, no server event): the visible figures of the open tab and sub-tab, with their
  captions, become one HTML file that inlines plotly.min.js and each figure's data and layout.
* :class:`ScriptFiles` (through :func:`middleware`) — answers ``GET …/explainer/plotly.min.js``
  with the plotly package's own bundle (plotly/package_data/plotly.min.js), and
  ``…/explainer/vendor/<file>`` with the scripts bertviz's views need. The page asks for these
  fixed names; no folder of the server appears in the page, and no other file can be reached
  through it (the name is looked up whole, nothing from the request is opened).

Gradio's front end ships plotly.js too, but as an ES module chunk tied to its other chunks;
it cannot be pasted into a standalone page, hence the package's bundle.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import plotly

STATIC = Path(__file__).resolve().parent.parent / "assets" / "static"
HEAD_SCRIPTS = (STATIC / "gradio_plots.js", STATIC / "figures.js")  # in this order: the plot fixes patch Plotly first
PLOTLY_JS = Path(plotly.__file__).resolve().parent / "package_data" / "plotly.min.js"
VENDOR = STATIC / "vendor"  # d3, jQuery, require stand-in
PREFIX = "/explainer/"  # pages ask for 'explainer/<name>' relative to themselves: no server folder in the page
SCRIPTS = {  # the only files served under PREFIX, by fixed name
    "plotly.min.js": PLOTLY_JS,  # saved views (figures.js), LivePlot's fallback
    **{f"vendor/{name}": VENDOR / name for name in ("require-shim.js", "jquery.min.js", "d3.v5.min.js")},  # bertviz
}
ROUTE = PREFIX + "plotly.min.js"
CACHE_SECONDS = 86_400  # the bundle changes only when the plotly package does
SAVE_VIEW_JS = "() => { window.explainerSaveView && window.explainerSaveView(); }"


@cache
def head() -> str:
    """A ``<script>`` per file of :data:`HEAD_SCRIPTS`, inlined, for ``Blocks.launch(head=...)`` (read once per process)."""
    tags = []
    for script in HEAD_SCRIPTS:
        source = script.read_text(encoding="utf-8")
        for bad in ("</script", "<!--"):  # the first ends the element early; the second can hide its end
            if bad in source.lower():
                raise ValueError(f"{script.name} must not contain {bad!r}")
        tags.append(f"<script>\n{source}\n</script>")
    return "\n".join(tags)


class ScriptFiles:
    """ASGI middleware: ``GET``/``HEAD`` on a path ending in ``/explainer/<name>`` for a name in :data:`SCRIPTS`
    gets that file; all else passes on.

    The page names only ``explainer/<name>``, never a folder of the server (Gradio's ``/gradio_api/file=``
    route would show the whole path). Matching the end of the path keeps it working when the app is served
    under a prefix (a reverse proxy's ``root_path``). Files are streamed by Starlette's ``FileResponse``
    (ETag, Last-Modified, ranges), so they are not held in memory; nothing from the request is opened.
    """

    def __init__(self, app: Any, scripts: dict[str, Path] | None = None) -> None:
        self.app, self.scripts = app, {PREFIX + name: path for name, path in (scripts or SCRIPTS).items()}

    def _file(self, path: str) -> Path | None:
        at = path.rfind(PREFIX)
        return self.scripts.get(path[at:]) if at >= 0 else None

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        file = self._file(scope.get("path", "")) if scope["type"] == "http" else None
        if file is not None and scope.get("method") in ("GET", "HEAD"):
            from starlette.responses import FileResponse

            response = FileResponse(file, media_type="text/javascript; charset=utf-8",
                                    headers={"Cache-Control": f"public, max-age={CACHE_SECONDS}"})
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


def middleware() -> Any:
    """The entry for ``launch(app_kwargs={"middleware": [...]})`` (see demos/server.middleware)."""
    from starlette.middleware import Middleware

    return Middleware(ScriptFiles)
