"""Closed tabs give their memory back: a visitor's session is dropped soon after the tab closes.

What a session costs (measured, issue 10): Gradio 6.31 makes one ``SessionState`` per visitor
(``gradio/state_holder.py``). Its ``config_values`` is a copy of the *whole* page's config —
``config_for_block`` for every one of the app's blocks, with api_info — built when the session
starts, and every output's last value is written into it (``_update_value_in_config``): about
2.3 MB per session (deep size), plus the tab's ``gr.State`` values (a GAN run with its two
networks and optimizers, ~0.5 MB). RSS rose ~2.4 MB per session, ~240 MB at 100 sessions.

:class:`LeanSessionState` (installed by :func:`lean_sessions`) keeps none of that copy: the copy and
the last values written into it serve only Gradio's deep-link feature (``/gradio_api/deep_link`` saves a
session's whole page to disk for ``gr.DeepLinkButton``). This app does not offer it — its links to a view
are query parameters (``demos/workshop.py``) — so the route is refused (``demos.server.KnownEvents``) and a
session holds its ``gr.State`` values and a shallow copy of the block table only.

Gradio keeps a session whose tab has closed (its heartbeat stream ended: ``is_closed``) for an
hour, so that a tab that reconnects finds its state; it then deletes only the ``gr.State``
values, never the ``SessionState`` itself, which stays until the least-recently-used cap
(``state_session_capacity``) pushes it out. So memory climbed to the cap and stayed there.

:class:`SessionSweeper` (ASGI middleware) drops a session once its tab is gone: Gradio marked it
closed, no heartbeat stream of it is open now (a tab that reconnected holds one), and nothing
used it for :data:`CLOSED_GRACE` seconds, or sooner when the session cap is near (closed tabs make
way before open ones). Its ``gr.State`` delete callbacks run first, as at expiry. Sessions of API
clients (no heartbeat, never closed) are left to the cap and the TTL.
"""

from __future__ import annotations

import asyncio
import datetime
import logging
import os
from collections import Counter
from copy import copy
from typing import Any

import gradio.state_holder
from gradio.state_holder import SessionState

log = logging.getLogger("explainer")

# seconds a closed, unused session is kept (a tab that lost its connection comes back); the environment
# variable lets a test wait less
CLOSED_GRACE = float(os.environ.get("EXPLAINER_CLOSED_SESSION_GRACE", "60"))
SWEEP_SECONDS = 10.0  # how often closed sessions are looked for
CAP_ROOM = 25  # places under Gradio's session cap kept free of closed sessions (new visitors between two sweeps)
HEARTBEAT = "/heartbeat/"  # GET <api prefix>/heartbeat/<session>: open while the tab is


def heartbeat_session(path: str) -> str | None:
    """The session hash of a heartbeat request path, else None."""
    head, found, session = path.rpartition(HEARTBEAT)
    return session.strip("/") or None if found and head.endswith("gradio_api") else None


def sweep(holder: Any, open_sessions: Counter | set, grace: float = CLOSED_GRACE,
          now: datetime.datetime | None = None, room: int = CAP_ROOM) -> int:
    """Drop from Gradio's ``StateHolder`` every closed session that has no open heartbeat and has
    not been used for ``grace`` seconds, and, while fewer than ``room`` places are left under its
    session cap, closed ones still within their grace, least recently used first; returns how many
    were dropped.

    Gradio's cap evicts the least recently used session whether its tab is open or not: with a
    room's worth of tabs closing (the load test closes ~2 a second), a reader's open but idle tab
    went before tabs that had just closed. Closed sessions now make way first; open ones never here.
    """
    now = now or datetime.datetime.now()
    limit = getattr(holder, "capacity", None)
    dropped = 0
    for session_id, session in list(holder.session_data.items()):  # least recently used first
        if not session.is_closed or session_id in open_sessions:
            continue
        last = holder.time_last_used.get(session_id)
        crowded = limit is not None and len(holder.session_data) > limit - room
        if last is not None and (now - last).total_seconds() < grace and not crowded:
            continue
        holder.delete_state(session_id)  # gr.State delete callbacks, as when the state expires
        with holder.lock:
            holder.session_data.pop(session_id, None)
            holder.time_last_used.pop(session_id, None)
        dropped += 1
    return dropped


class SessionSweeper:
    """ASGI middleware: counts open heartbeat streams per session and, from the first request on,
    sweeps closed sessions out of the server every :data:`SWEEP_SECONDS` (in the event loop,
    where Gradio's own expiry task runs too)."""

    def __init__(self, app: Any, grace: float = CLOSED_GRACE, every: float = SWEEP_SECONDS) -> None:
        self.app, self.grace, self.every = app, grace, every
        self.open: Counter = Counter()  # session hash -> heartbeat streams open now
        self.task: asyncio.Task | None = None

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self.task is None and hasattr(scope.get("app"), "state_holder"):  # Starlette puts Gradio's App here
            self.task = asyncio.get_running_loop().create_task(self.run(scope["app"]))
        session = heartbeat_session(scope.get("path", ""))
        if session is None:
            await self.app(scope, receive, send)
            return
        self.open[session] += 1
        try:
            await self.app(scope, receive, send)  # returns when the stream ends (the tab closed)
        finally:
            self.open[session] -= 1
            if self.open[session] <= 0:
                del self.open[session]

    async def run(self, gradio_app: Any) -> None:
        while True:
            await asyncio.sleep(self.every)
            try:
                dropped = sweep(gradio_app.state_holder, self.open, self.grace)
            except Exception:  # never let the sweeper die silently mid-run
                log.exception("session sweep failed")
                continue
            if dropped:
                log.debug("dropped %d closed sessions", dropped)


class LeanSessionState(SessionState):
    """Gradio's per-visitor ``SessionState`` without its copy of the whole page's config.

    ``__init__`` sets the attributes Gradio 6.31's sets (a test compares the two sets, so an
    upgrade that adds one fails there, not in production) except that ``config_values`` stays
    empty; the methods that wrote each output's last value into it do nothing.
    """

    def __init__(self, blocks: Any) -> None:  # not super().__init__: its page copy is the cost avoided
        self.blocks_config = copy(blocks.default_config)  # shallow: the block table, shared blocks
        self.config_values: dict = {}  # only Gradio's deep links read it; none are offered here
        self.state_data: dict[int, Any] = {}
        self._state_ttl: dict[int, Any] = {}
        self.is_closed = False
        self.STATE_TTL_WHEN_CLOSED = 1 if os.getenv("GRADIO_IS_E2E_TEST", None) else 3600

    def __setitem__(self, key: int, value: Any) -> None:
        from gradio.components import State

        block = self.blocks_config.blocks.get(key)
        if isinstance(block, State):
            self._state_ttl[key] = (block.time_to_live, datetime.datetime.now())
            self.state_data[key] = value
        else:
            self.blocks_config.blocks[key] = value

    def _update_config(self, key: int) -> None:
        pass

    def _update_value_in_config(self, key: int, value: Any) -> None:
        pass


def lean_sessions() -> None:
    """Make every new visitor's session a :class:`LeanSessionState` (Gradio's ``StateHolder`` builds
    them by this module-level name). Idempotent; called when the app is built."""
    gradio.state_holder.SessionState = LeanSessionState
