"""Past one machine (or one process): several replicas of the app behind a sticky proxy, on loopback.

    python -m explainer.loadtest.replicas --replicas 2 --port 7860

starts ``python app.py`` N times on free loopback ports and, in front of them, a small reverse proxy
on ``--port`` (a stand-in for nginx or a cloud load balancer, so a test can exercise the layout).
Every visitor's state lives in one replica's memory (``gr.State``, the queue, uploaded files), so
every request of a visitor must reach the same replica ("sticky sessions"). The proxy picks the
replica, in this order, by:

1. its cookie ``explainer_replica``, set on the first answer to a browser (page, uploads, events:
   a browser sends it with everything, even uploads, which carry no session);
2. the Gradio session hash in the request (``session_hash`` in a JSON body or the query, the
   heartbeat path): API clients that keep no cookies stay on one replica per session;
3. the event id of ``GET /gradio_api/call/<api>/<event_id>``, remembered from the answer to the
   ``POST`` that made it (that stream names no session);
4. otherwise, the next replica in turn.

Streams (server-sent events) pass through unbuffered. Loopback only; the replicas' logs go to temp files.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import itertools
import json
import re
import sys
from collections import Counter, OrderedDict
from contextlib import ExitStack, asynccontextmanager
from dataclasses import dataclass, field

import httpx

COOKIE = "explainer_replica"
HOP_BY_HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailers",
              "transfer-encoding", "upgrade", "content-length", "host"}
EVENT_STREAM = re.compile(r"^/gradio_api/call/[^/]+/([^/]+)$")
HEARTBEAT = re.compile(r"^/gradio_api/heartbeat/([^/]+)$")
MAX_EVENTS = 10_000  # event ids remembered (oldest forgotten first)


@dataclass
class Router:
    """Which replica serves a request; what it routed (for tests and the log)."""

    replicas: list[str]  # base URLs, e.g. http://127.0.0.1:40001
    events: OrderedDict = field(default_factory=OrderedDict)  # event id -> replica index
    sessions: dict = field(default_factory=dict)  # session hash -> set of replica indices it reached
    served: Counter = field(default_factory=Counter)  # replica index -> requests
    _turn: itertools.cycle = None

    def __post_init__(self) -> None:
        self._turn = itertools.cycle(range(len(self.replicas)))

    def by_session(self, session: str) -> int:
        return int(hashlib.sha256(session.encode()).hexdigest(), 16) % len(self.replicas)

    def pick(self, path: str, query: dict, cookie: str | None, body: bytes) -> tuple[int, str | None]:
        """(replica index, the session hash seen or None)."""
        session = query.get("session_hash") or _match(HEARTBEAT, path) or _session_in(body)
        if cookie is not None and cookie.isdigit() and int(cookie) < len(self.replicas):
            index = int(cookie)
        elif session:
            index = self.by_session(session)
        elif (event := _match(EVENT_STREAM, path)) and event in self.events:
            index = self.events[event]
        else:
            index = next(self._turn)
        if session:
            self.sessions.setdefault(session, set()).add(index)
        self.served[index] += 1
        return index, session

    def remember_event(self, event_id: str, index: int) -> None:
        self.events[event_id] = index
        while len(self.events) > MAX_EVENTS:
            self.events.popitem(last=False)


def _match(pattern: re.Pattern, path: str) -> str | None:
    found = pattern.match(path)
    return found.group(1) if found else None


def _session_in(body: bytes) -> str | None:
    if not body.startswith(b"{"):
        return None
    try:
        value = json.loads(body).get("session_hash")
    except (ValueError, AttributeError):
        return None
    return value if isinstance(value, str) else None


def proxy_app(router: Router):
    """The proxy as an ASGI app (Starlette, installed with Gradio)."""
    from starlette.applications import Starlette
    from starlette.background import BackgroundTask
    from starlette.requests import Request
    from starlette.responses import Response, StreamingResponse
    from starlette.routing import Route

    client = httpx.AsyncClient(timeout=httpx.Timeout(None, connect=10.0), trust_env=False,
                               limits=httpx.Limits(max_connections=None, max_keepalive_connections=64))

    async def forward(request: Request) -> Response:
        body = await request.body()
        cookie = request.cookies.get(COOKIE)
        index, _ = router.pick(request.url.path, dict(request.query_params), cookie, body)
        headers = [(k, v) for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP]
        headers.append(("x-forwarded-host", request.headers.get("host", "")))
        upstream = client.build_request(request.method, router.replicas[index] + request.url.path,
                                        params=request.url.query, headers=headers, content=body)
        try:
            reply = await client.send(upstream, stream=True)
        except httpx.HTTPError as exc:
            return Response(f"replica {index} unreachable: {type(exc).__name__}", status_code=502)
        out_headers = {k: v for k, v in reply.headers.items() if k.lower() not in HOP_BY_HOP}
        if request.method == "POST" and request.url.path.startswith("/gradio_api/call/") and reply.status_code == 200:
            content = await reply.aread()  # {"event_id": ...}: its stream must come back here
            await reply.aclose()
            try:
                router.remember_event(json.loads(content)["event_id"], index)
            except (ValueError, KeyError, TypeError):
                pass
            response: Response = Response(content, status_code=reply.status_code, headers=out_headers)
        else:
            response = StreamingResponse(reply.aiter_raw(), status_code=reply.status_code, headers=out_headers,
                                         background=BackgroundTask(reply.aclose))
        if cookie is None and request.url.path == "/":
            response.set_cookie(COOKIE, str(index), httponly=True, samesite="lax")
        return response

    @asynccontextmanager
    async def lifespan(_app):
        yield
        await client.aclose()

    methods = ["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"]
    return Starlette(routes=[Route("/{path:path}", forward, methods=methods)], lifespan=lifespan)


def main(argv: list[str] | None = None) -> int:
    from explainer.loadtest.server import started_app

    parser = argparse.ArgumentParser(prog="python -m explainer.loadtest.replicas", description=__doc__.splitlines()[0])
    parser.add_argument("--replicas", type=int, default=2, help="how many app.py processes (default 2)")
    parser.add_argument("--port", type=int, default=7860, help="the proxy's loopback port (default 7860)")
    args = parser.parse_args(argv)
    if not 1 <= args.replicas <= 16:
        print("replicas: --replicas must be 1 to 16", file=sys.stderr)
        return 2
    import uvicorn

    with ExitStack() as stack:
        apps = [stack.enter_context(started_app()) for _ in range(args.replicas)]
        router = Router([url.rstrip("/") for url, _pid, _log in apps])
        for url, pid, log in apps:
            print(f"replica {url} (pid {pid}, log {log})")
        print(f"proxy http://127.0.0.1:{args.port}/ (sticky: cookie {COOKIE}, else the session hash)", flush=True)
        config = uvicorn.Config(proxy_app(router), host="127.0.0.1", port=args.port, log_level="warning")
        asyncio.run(uvicorn.Server(config).serve())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
