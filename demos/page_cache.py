"""The page is built once, not on every visit.

Gradio 6.31 answers ``GET /`` by copying the whole page's config (``get_page_config``: a deep copy,
then ``add_root_url`` walks it again), rendering it into the HTML with the API info: ~65 ms of Python
holding the GIL and several MB of short-lived objects for a 965 kB page that is the same for every
visitor. With a room arriving at once those copies pile up (the heap keeps their high-water mark) and
the light views wait behind them.

:class:`PageCache` (ASGI middleware) keeps the answer of the first ``GET /`` per public address (the
request's scheme, host and the proxy's ``X-Forwarded-*`` headers, from which Gradio writes the page's
root URL into it) and sends that to the next visitors. It stays out of the way where the page could
differ: a deep link (``?deep_link=``: this app offers none, but Gradio would load one into the page), an
app with a login, an answer that is not a plain 200 or that sets a cookie. The query string otherwise only
matters to the page's own scripts (``?present=1``, ``?view=``: ``demos/workshop.py``), so it is not
part of the key. The app's layout is fixed once it serves, so an entry never goes stale.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any
from urllib.parse import parse_qs

MAX_ENTRIES = 8  # public addresses remembered (~1 MB each); the least recently used is forgotten
KEY_HEADERS = (b"host", b"x-forwarded-host", b"x-forwarded-proto", b"x-forwarded-port", b"x-forwarded-prefix")


def cache_key(scope: dict) -> tuple | None:
    """What the page depends on for this request, or None when it must be built afresh."""
    if scope["type"] != "http" or scope.get("method") != "GET" or scope.get("path") != "/":
        return None
    if "deep_link" in parse_qs(scope.get("query_string", b"").decode("latin-1")):
        return None
    app = scope.get("app")  # Starlette puts Gradio's App here
    if app is not None and (getattr(app, "auth", None) is not None or getattr(app, "auth_dependency", None)):
        return None  # a login: the page names the user
    headers = dict(scope.get("headers", []))
    return (scope.get("scheme"), scope.get("root_path", ""), *(headers.get(h) for h in KEY_HEADERS))


class PageCache:
    """ASGI middleware: ``GET /`` answered from the first answer built for the same public address."""

    def __init__(self, app: Any, max_entries: int = MAX_ENTRIES) -> None:
        self.app, self.max_entries = app, max_entries
        self.pages: OrderedDict[tuple, tuple[list, bytes]] = OrderedDict()  # key -> (headers, body)
        self.built = 0  # pages built by the app (the rest came from here)

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        key = cache_key(scope)
        if key is None:
            await self.app(scope, receive, send)
            return
        page = self.pages.get(key)
        if page is not None:
            self.pages.move_to_end(key)
            headers, body = page
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            await send({"type": "http.response.body", "body": body})
            return
        start: dict = {}
        chunks: list[bytes] = []

        async def keep(message: dict) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False):
                    self._store(key, start, b"".join(chunks))
            await send(message)

        self.built += 1
        await self.app(scope, receive, keep)

    def _store(self, key: tuple, start: dict, body: bytes) -> None:
        headers = list(start.get("headers", []))
        if start.get("status") != 200 or any(name.lower() == b"set-cookie" for name, _ in headers):
            return
        self.pages[key] = (headers, body)
        while len(self.pages) > self.max_entries:
            self.pages.popitem(last=False)
