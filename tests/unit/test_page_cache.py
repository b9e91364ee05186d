"""demos.page_cache: GET / is built once per public address; everything else reaches the app."""

from __future__ import annotations

import asyncio

from demos.page_cache import PageCache


class Page:
    """A stand-in ASGI app that builds a page naming the host it was asked for."""

    def __init__(self, status: int = 200, cookie: bool = False) -> None:
        self.calls, self.status, self.cookie = 0, status, cookie
        self.auth = self.auth_dependency = None

    async def __call__(self, scope, receive, send):
        self.calls += 1
        host = dict(scope["headers"]).get(b"x-forwarded-host") or dict(scope["headers"])[b"host"]
        headers = [(b"content-type", b"text/html")] + ([(b"set-cookie", b"a=1")] if self.cookie else [])
        await send({"type": "http.response.start", "status": self.status, "headers": headers})
        await send({"type": "http.response.body", "body": b"<html>" + host, "more_body": True})
        await send({"type": "http.response.body", "body": b" #%d</html>" % self.calls})


def _get(cache: PageCache, path: str = "/", query: bytes = b"", method: str = "GET", **headers: str) -> tuple:
    sent = []
    scope = {"type": "http", "method": method, "path": path, "query_string": query, "scheme": "http",
             "headers": [(b"host", b"127.0.0.1:7860")] + [(k.replace("_", "-").encode(), v.encode())
                                                         for k, v in headers.items()],
             "app": cache.app}

    async def send(message):
        sent.append(message)

    asyncio.run(cache(scope, None, send))
    return sent[0]["status"], b"".join(m.get("body", b"") for m in sent[1:])


def test_the_page_is_built_once_and_sent_whole_to_the_next_visitors():
    app = Page()
    cache = PageCache(app)
    first = _get(cache)
    assert first == (200, b"<html>127.0.0.1:7860 #1</html>")
    assert _get(cache) == first and _get(cache, query=b"present=1&view=rope") == first
    assert app.calls == 1 and cache.built == 1


def test_each_public_address_gets_its_own_page():
    app = Page()
    cache = PageCache(app, max_entries=2)
    assert _get(cache, x_forwarded_host="a.example")[1].startswith(b"<html>a.example")
    assert _get(cache, x_forwarded_host="b.example")[1].startswith(b"<html>b.example")
    assert _get(cache, x_forwarded_host="a.example")[1] == b"<html>a.example #1</html>"
    assert _get(cache, x_forwarded_host="c.example")[1].startswith(b"<html>c.example")  # evicts b (least recent)
    assert len(cache.pages) == 2 and app.calls == 3
    assert _get(cache, x_forwarded_host="b.example")[1] == b"<html>b.example #4</html>"  # built again


def test_what_could_differ_always_reaches_the_app():
    app = Page()
    cache = PageCache(app)
    for request in ({"query": b"deep_link=abc"}, {"path": "/gradio_api/info"}, {"method": "POST"}, {"method": "HEAD"}):
        _get(cache, **request)
        _get(cache, **request)
    assert app.calls == 8 and not cache.pages
    app.auth = object()  # a login: the page names the user
    _get(cache), _get(cache)
    assert app.calls == 10 and not cache.pages


def test_a_refusal_or_a_cookie_is_not_kept():
    for app in (Page(status=500), Page(cookie=True)):
        cache = PageCache(app)
        _get(cache), _get(cache)
        assert app.calls == 2 and not cache.pages
