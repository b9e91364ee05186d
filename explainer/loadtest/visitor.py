"""One visitor: opens the page, then moves sliders and starts live views until it leaves.

A visit is one Gradio session (its own ``session_hash``, its own heartbeat stream). It ends when
its stay is over, or when the visitor abandons a live view by closing the connection (or a reply
never came): as with a closed tab, the session is over and the slot's next visitor opens the
page again. A visitor keeps one event in flight at a time, since ``/call/<api>/<event>`` streams
carry every message of the session.
"""

from __future__ import annotations

import asyncio
import random
import secrets
import time
from contextlib import suppress
from dataclasses import dataclass

import httpx

from explainer.loadtest import mix as mixes
from explainer.loadtest.client import Failed, Gradio, Refused, error_text
from explainer.loadtest.record import PAGE_LOAD, Outcome, Recorder
from explainer.loadtest.shape import AppShape


@dataclass
class Context:
    gradio: Gradio
    shape: AppShape
    mix: tuple[mixes.Entry, ...]
    visit: mixes.Visit
    recorder: Recorder
    action_timeout: float = 120.0  # seconds until the first frame before a call counts as an error
    sessions: int = 0  # visits started


async def _attempt(ctx: Context, work) -> Outcome:
    """Run ``work()`` (returns (latency to the first frame, completed?)) under the action timeout."""
    try:
        async with asyncio.timeout(ctx.action_timeout):
            seconds, completed = await work()
        return Outcome("ok" if completed else "abandoned", seconds)
    except Refused:
        return Outcome("refused")
    except Failed as exc:
        return Outcome("error", kind=exc.kind, message=str(exc))
    except TimeoutError:
        return Outcome("error", kind="timeout", message=f"no frame within {ctx.action_timeout:.0f} s")
    except httpx.HTTPError as exc:
        return Outcome("error", kind=type(exc).__name__, message=str(exc) or repr(exc))


async def _recorded(ctx: Context, event: str, work) -> bool:
    """Attempt and record; True while the session is clean (see ``Outcome.clean``)."""
    try:
        outcome = await _attempt(ctx, work)
    except asyncio.CancelledError:  # the deadline: in flight, neither success nor error
        ctx.recorder.cut(event)
        raise
    ctx.recorder.add(event, outcome)
    return outcome.clean and outcome.status != "abandoned"


def _event(ctx: Context, session: str, api_name: str, data: list, frames: int | None, seconds: float | None):
    """The work of one named event: latency to its first frame; read on to a frame or time cap, or completion."""

    async def work() -> tuple[float, bool]:
        start = time.perf_counter()
        event_id = await ctx.gradio.call(api_name, session, data)
        first, count = None, 0
        async with ctx.gradio.results(api_name, event_id) as messages:
            async for message in messages:
                if message.event == "error":
                    raise Failed("error event", error_text(message))
                if message.event not in ("generating", "complete"):
                    continue  # heartbeat while queued
                now = time.perf_counter()
                first = now - start if first is None else first
                count += 1
                if message.event == "complete":
                    return first, True
                if (frames is not None and count >= frames) or (seconds is not None and now - start - first >= seconds):
                    return first, False  # leaving the `async with` closes the connection: abandoned
        raise Failed("stream ended", f"{api_name}: the stream closed after {count} frames without 'complete'")

    return work


async def page_load(ctx: Context, session: str) -> bool:
    """GET / and theme.css, then every page-load event through the queue; recorded as one "page load"."""
    start = time.perf_counter()
    shape, rec = ctx.shape, ctx.recorder
    problems: list[tuple[str, str]] = []  # (kind, message); "refused" first wins the page-load verdict

    async def work() -> tuple[float, bool]:
        await ctx.gradio.page()
        pending: dict = {}  # event_id -> LoadEvent

        async def join(events) -> None:
            for ev in events:
                try:
                    pending[await ctx.gradio.join(session, ev.fn_index, ev.trigger_id, list(ev.data))] = ev
                except Refused:
                    rec.refused(f"load · {ev.name}")
                    problems.append(("refused", ev.name))

        await join([e for e in shape.page_load if e.after is None])
        while pending:  # the stream closes when the session has nothing pending; reopen for a chained .then
            answered = 0
            async for msg in ctx.gradio.session_messages(session):
                if msg.get("msg") == "unexpected_error":
                    raise Failed("unexpected_error", str(msg.get("message"))[:300])
                if msg.get("msg") != "process_completed" or msg.get("event_id") not in pending:
                    continue
                ev = pending.pop(msg["event_id"])
                answered += 1
                if msg.get("success"):
                    rec.ok(f"load · {ev.name}", time.perf_counter() - start)
                    await join([e for e in shape.page_load if e.after == ev.fn_index])
                else:
                    text = str((msg.get("output") or {}).get("error"))[:300]
                    rec.error(f"load · {ev.name}", "error event", text)
                    problems.append(("error event", f"{ev.name}: {text}"))
                if not pending:
                    break
            if pending and not answered:  # closed with nothing for us: do not reopen it in a loop
                raise Failed("stream ended", f"queue/data closed with {len(pending)} page-load events unanswered")
        return time.perf_counter() - start, True

    try:
        outcome = await _attempt(ctx, work)
    except asyncio.CancelledError:
        rec.cut(PAGE_LOAD)
        raise
    if outcome.status == "ok" and problems:  # one of its events was refused or failed
        refused = any(kind == "refused" for kind, _ in problems)
        outcome = Outcome("refused") if refused else Outcome("error", kind=problems[0][0], message=problems[0][1])
    rec.add(PAGE_LOAD, outcome)
    return outcome.clean


async def act(ctx: Context, session: str, entry: mixes.Entry, rng: random.Random) -> bool:
    """One entry of the mix; False when the visit is over (the visitor left a live view)."""
    if entry.first is not None:
        data = mixes.arguments(entry, entry.first, ctx.shape, rng)
        if not await _recorded(ctx, entry.first, _event(ctx, session, entry.first, data, None, None)):
            return False
    data = mixes.arguments(entry, entry.api_name, ctx.shape, rng)
    seconds = rng.uniform(*entry.seconds) if entry.seconds else None
    return await _recorded(ctx, entry.api_name, _event(ctx, session, entry.api_name, data, entry.frames, seconds))


async def visit(ctx: Context, rng: random.Random, script: list[mixes.Entry], *, stay: float | None = None,
                think: bool = True) -> None:
    """One session: page load, the ``script`` entries in order, then random picks until the stay is over."""
    session = secrets.token_hex(6)
    ctx.sessions += 1
    heartbeat = asyncio.create_task(ctx.gradio.heartbeat(session))
    leave = time.monotonic() + (rng.uniform(*ctx.visit.stay) if stay is None else stay)
    try:
        if not await page_load(ctx, session):
            return
        while script or time.monotonic() < leave:
            if think:
                await asyncio.sleep(rng.uniform(*ctx.visit.think))
            entry = script.pop(0) if script else mixes.pick(ctx.mix, rng)
            if not await act(ctx, session, entry, rng):
                return
    finally:  # the tab closes: the heartbeat stream ends, the server ends the session
        heartbeat.cancel()
        with suppress(asyncio.CancelledError, httpx.HTTPError, Failed):
            await heartbeat
