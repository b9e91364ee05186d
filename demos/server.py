"""What bounds the server when strangers use it: request sizes, sessions, temp files, threads.

The app runs as a public demo on a small server (2 cores) and on a presenter's laptop that a
whole room opens at once. Every limit here is checked before work is done for the request:

* :class:`BodyLimit` refuses a request body over its cap with HTTP 413 *before* it is parsed
  or decoded — by its Content-Length when it has one (the HTTP server reads no more than that),
  else by reading a chunked body here, stopping at the cap.
  API calls carry a few kB of JSON (the largest, a drawn mask, is about 4 kB); uploads are
  capped separately (none of our controls needs one over 1 MB).
* Sessions: at most :data:`MAX_SESSIONS` live sessions (Gradio evicts the oldest), and each
  tab's ``gr.State`` expires :data:`STATE_TTL` seconds after its last use. A session holds its
  tab's state only (:mod:`demos.memory`: Gradio's copy of the page's config is not kept); a closed
  tab's session is dropped a minute after its heartbeat ends, not kept until the cap pushes it out.
* The page is built once per public address, not per visit (:mod:`demos.page_cache`).
* Gradio's queue analytics (a record per event, a pandas summary after each) are kept to one record
  (:func:`lean_queue_analytics`).
* Temp files (uploads, cached outputs) are deleted every hour once an hour old, and when the
  server stops (Gradio's ``delete_cache``).
* Memory handed back: glibc gives each worker thread its own malloc arena and keeps freed
  pages; with Gradio's 40 worker threads that grows RSS by the peak of every thread. We cap
  the arenas at 2 and return free pages to the system every :data:`TRIM_SECONDS`
  (``mallopt`` / ``malloc_trim``; a no-op where the C library is not glibc).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import json
import os
import threading
from typing import Any

KB = 1024
MAX_BODY_BYTES = 256 * KB  # JSON of an API call or a queue join
MAX_UPLOAD_BYTES = 1024 * KB  # a file sent to /upload (a drawn image)
MAX_THREADS = 64  # Gradio's worker threads: every heavy slot (16 a core) and the light group, with room
MAX_SESSIONS = 100  # sessions kept (a room of 60 and the recently gone); the least recently used is evicted
STATE_TTL = 3600  # seconds a tab's per-person state outlives its last use
DELETE_CACHE = (3600, 3600)  # (every s, older than s): Gradio's temp-file sweep
MALLOC_ARENAS = 2  # glibc malloc arenas shared by all threads (M_ARENA_MAX)
TRIM_SECONDS = float(os.environ.get("EXPLAINER_MALLOC_TRIM_SECONDS", "2"))  # how often freed heap pages go back
# to the system (the environment variable lets a memory test wait less). Every 2 s, not 30: in load tests run
# back to back (60 visitors, 5 min, 2 cores) the loaded server ended +111 and +114 MB above its warmed-up RSS
# against +213 and +247 MB, light views' p95 alike (0.54–0.81 s in all four, as that host slowed); a trim took
# 6–22 ms under that load, in its own thread.
M_ARENA_MAX = -8  # glibc's mallopt parameter number
# Gradio's queue keeps a record of the last 10,000 events and, after every event, rebuilds a pandas DataFrame
# of them for its monitoring dashboard (gradio/queueing.py, compute_analytics_summary), which this app does not
# offer: 10-15 ms of the GIL per event on a 2-core machine once 1,000-10,000 events are kept (~30 events a
# second under the 60-visitor load test) and a DataFrame's worth of heap churn each time. One record, summary
# never recomputed (load tests back to back: light views' p95 0.27-0.44 s -> 0.14-0.28 s, RSS growth +99 -> +80
# MB); the environment still wins (an operator who turns monitoring on sets these).
QUEUE_ANALYTICS = {"GRADIO_ANALYTICS_MAX_EVENTS": "1", "GRADIO_ANALYTICS_CACHE_FREQUENCY": str(10**12)}


async def reply(send: Any, status: int, error: str) -> None:
    """A short JSON answer ``{"error": ...}`` sent straight from the middleware (the app never sees the request)."""
    body = json.dumps({"error": error}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


class BodyLimit:
    """ASGI middleware: a body over the cap gets 413 and is never handed to the app whole."""

    def __init__(self, app: Any, max_bytes: int = MAX_BODY_BYTES, max_upload_bytes: int = MAX_UPLOAD_BYTES) -> None:
        self.app, self.max_bytes, self.max_upload_bytes = app, max_bytes, max_upload_bytes

    def limit(self, path: str) -> int:
        return self.max_upload_bytes if path.rstrip("/").endswith("/upload") else self.max_bytes

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit(scope.get("path", ""))
        length = dict(scope.get("headers", [])).get(b"content-length")
        if length is not None and (not length.strip().isdigit() or int(length) > limit):
            await self.refuse(send, limit)
            return
        if length is None and scope.get("method") in ("POST", "PUT", "PATCH"):  # chunked: read it here, capped
            body, more = b"", True
            while more:
                message = await receive()
                if message["type"] != "http.request":  # the client went away
                    return
                body += message.get("body", b"")
                more = message.get("more_body", False)
                if len(body) > limit:
                    await self.refuse(send, limit)
                    return
            replayed = False

            async def receive_buffered() -> dict:  # the app reads the body we already hold, then waits as usual
                nonlocal replayed
                if not replayed:
                    replayed = True
                    return {"type": "http.request", "body": body, "more_body": False}
                return await receive()

            await self.app(scope, receive_buffered, send)
            return
        await self.app(scope, receive, send)  # the server holds the body to its Content-Length

    @staticmethod
    async def refuse(send: Any, limit: int) -> None:
        await reply(send, 413, f"Request too large: send at most {limit // KB} kB.")


class KnownEvents:
    """ASGI middleware: ``/gradio_api/call/<name>`` for a name the app does not have gets a 404 with a
    one-line message (Gradio would answer 500 and log a traceback for every such probe). Gradio's
    deep-link route, which writes a session's whole page to disk on every GET, gets a 404 too: the app
    offers no deep-link button, and its sessions keep no page copy to save (``demos.memory``)."""

    PREFIX = "/gradio_api/call/"
    REFUSED = ("/gradio_api/deep_link",)

    def __init__(self, app: Any) -> None:
        self.app, self.names = app, None

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        path = scope.get("path", "")
        if scope["type"] == "http" and path.rstrip("/") in self.REFUSED:
            await reply(send, 404, "Not offered by this app.")
            return
        if scope["type"] == "http" and path.startswith(self.PREFIX):
            name = path[len(self.PREFIX):].split("/", 1)[0]
            if self.names is None:  # the app's events are fixed once it serves: read them once
                blocks = scope["app"].get_blocks()  # Starlette puts the FastAPI app in the scope
                self.names = frozenset(fn.api_name for fn in blocks.fns.values() if fn.api_name)
            if name not in self.names:
                await reply(send, 404, "Unknown event: see /gradio_api/info for the names this app has.")
                return
        await self.app(scope, receive, send)


def middleware() -> list:
    """The middleware list for ``launch(app_kwargs={"middleware": ...})`` (outermost first)."""
    from starlette.middleware import Middleware

    from demos import figure_tools  # serves plotly.js under one fixed name, for the saved views
    from demos.memory import SessionSweeper
    from demos.page_cache import PageCache

    return [Middleware(BodyLimit), Middleware(KnownEvents), Middleware(SessionSweeper), Middleware(PageCache),
            figure_tools.middleware()]


def launch_settings() -> dict:
    """The bounding arguments of ``Blocks.launch()``."""
    return {
        "max_file_size": MAX_UPLOAD_BYTES,
        "state_session_capacity": MAX_SESSIONS,
        "max_threads": MAX_THREADS,
        "app_kwargs": {"middleware": middleware()},
    }


def lean_queue_analytics() -> None:
    """Before ``Blocks.queue()`` (the queue reads them when it is made): keep no per-event analytics."""
    for name, value in QUEUE_ANALYTICS.items():
        os.environ.setdefault(name, value)


def _glibc() -> Any | None:
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
        return libc if libc is not None and hasattr(libc, "malloc_trim") and hasattr(libc, "mallopt") else None
    except OSError:
        return None


def keep_memory_flat() -> bool:
    """Cap glibc's malloc arenas and start a daemon thread that trims the heap (returns False off glibc)."""
    libc = _glibc()
    if libc is None:
        return False
    libc.mallopt(M_ARENA_MAX, MALLOC_ARENAS)

    def trim() -> None:
        while True:
            threading.Event().wait(TRIM_SECONDS)
            libc.malloc_trim(0)

    threading.Thread(target=trim, name="malloc-trim", daemon=True).start()
    return True
