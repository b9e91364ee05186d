"""Plain-HTTP Gradio 6 client: the requests a browser (or an API caller) makes, and their SSE replies.

Checked against gradio 6.31's ``routes.py`` and a recorded Chromium page load of this app:

* page: ``GET /`` (the HTML carries the config inline; the browser does not fetch ``/config``),
  ``GET /theme.css``, and ``GET /gradio_api/heartbeat/<session>``, an SSE stream held open for the
  visit; when it closes the server ends the session (unload events, state marked for deletion);
* page-load events: ``POST /gradio_api/queue/join`` with ``{data, fn_index, trigger_id,
  session_hash}`` each, then one ``GET /gradio_api/queue/data?session_hash=…`` stream of
  ``data: {"msg": …, "event_id": …}`` lines until ``close_stream``;
* named events: ``POST /gradio_api/call/<api_name>`` with ``{"data": [...], "session_hash": …}``
  → ``{"event_id": …}``, then ``GET /gradio_api/call/<api_name>/<event_id>``: lines
  ``event: generating|complete|error|heartbeat`` and ``data: <json>``. That stream carries every
  message of the *session*, so a visitor keeps one event in flight at a time.

A full queue answers the POST with HTTP 503 (``Queue is full``): that is a :class:`Refused`.
"""

from __future__ import annotations

import json
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import AsyncIterator, Iterable, Iterator

import httpx

API = "/gradio_api"


@dataclass(frozen=True)
class Message:
    event: str  # the SSE "event:" field ("message" when absent, as in EventSource)
    data: str  # the "data:" lines joined by newlines


class SseParser:
    """Server-sent events, line by line (WHATWG HTML §9.2.6): fields until a blank line dispatches."""

    def __init__(self) -> None:
        self._event, self._data = "", []

    def feed(self, line: str) -> Message | None:
        if line == "":
            if not self._data and not self._event:
                return None
            message = Message(self._event or "message", "\n".join(self._data))
            self._event, self._data = "", []
            return message
        if line.startswith(":"):  # a comment
            return None
        field, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if field == "event":
            self._event = value
        elif field == "data":
            self._data.append(value)
        return None

    def parse(self, lines: Iterable[str]) -> Iterator[Message]:
        for line in lines:
            message = self.feed(line.rstrip("\r\n"))
            if message is not None:
                yield message


class Refused(Exception):
    """The server turned the request away because its queue is full (HTTP 503)."""


class Failed(Exception):
    """The request failed: ``kind`` groups failures for the report, the message says what came back."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


def _check(response: httpx.Response, what: str) -> None:
    if response.status_code == 503 and "queue is full" in response.text.lower():
        raise Refused(response.text[:200])
    if response.status_code != 200:
        raise Failed(f"HTTP {response.status_code}", f"{what}: {response.text[:300]}")


async def _messages(response: httpx.Response) -> AsyncIterator[Message]:
    parser = SseParser()
    async for line in response.aiter_lines():
        message = parser.feed(line)
        if message is not None:
            yield message


class Gradio:
    """One app's HTTP surface; ``http`` is shared by every visitor (one connection pool)."""

    def __init__(self, http: httpx.AsyncClient, base_url: str) -> None:
        self.http, self.base = http, base_url.rstrip("/")

    async def json(self, path: str) -> dict:
        response = await self.http.get(self.base + path)
        _check(response, f"GET {path}")
        return response.json()

    async def page(self) -> None:
        """The documents a browser fetches before the scripts run (its JS and fonts are cached assets)."""
        for path in ("/", "/theme.css"):
            response = await self.http.get(self.base + path)
            _check(response, f"GET {path}")
            await response.aread()

    async def heartbeat(self, session: str) -> None:
        """Hold the session's heartbeat stream open until cancelled (the tab closes)."""
        async with self.http.stream("GET", f"{self.base}{API}/heartbeat/{session}") as response:
            _check(response, "heartbeat")
            async for _ in response.aiter_lines():
                pass

    async def join(self, session: str, fn_index: int, trigger_id: int | None, data: list) -> str:
        body = {"data": data, "event_data": None, "fn_index": fn_index, "trigger_id": trigger_id,
                "session_hash": session}
        response = await self.http.post(f"{self.base}{API}/queue/join", json=body)
        _check(response, f"queue/join fn {fn_index}")
        return response.json()["event_id"]

    async def session_messages(self, session: str) -> AsyncIterator[dict]:
        """The session's queue messages (``msg``, ``event_id``, ``success``, ``output``) until it closes."""
        async with self.http.stream("GET", f"{self.base}{API}/queue/data",
                                    params={"session_hash": session}) as response:
            _check(response, "queue/data")
            async for message in _messages(response):
                payload = json.loads(message.data)
                yield payload
                if payload.get("msg") == "close_stream":
                    return

    async def call(self, api_name: str, session: str, data: list) -> str:
        response = await self.http.post(f"{self.base}{API}/call/{api_name}",
                                        json={"data": data, "session_hash": session})
        _check(response, f"call/{api_name}")
        return response.json()["event_id"]

    @asynccontextmanager
    async def results(self, api_name: str, event_id: str) -> AsyncIterator[AsyncIterator[Message]]:
        """The event's SSE stream; leaving the ``async with`` early closes the connection (abandons it)."""
        async with self.http.stream("GET", f"{self.base}{API}/call/{api_name}/{event_id}") as response:
            _check(response, f"call/{api_name}/<event>")
            yield _messages(response)


def error_text(message: Message) -> str:
    """The user-facing text of an ``event: error`` message (a JSON object with "error", or null)."""
    try:
        payload = json.loads(message.data)
    except json.JSONDecodeError:
        return message.data[:300]
    if payload is None:  # show_error=False hides an unexpected exception's text
        return "null (not a gr.Error: the exception is in the server log)"
    if isinstance(payload, dict):
        return str(payload.get("error") or payload.get("message") or payload)[:300]
    return str(payload)[:300]
