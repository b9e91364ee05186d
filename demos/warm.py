"""Warm start: compute once, right after start-up, what every lesson step will compute.

The first click in front of a room should be as fast as the hundredth. What makes a first click
slow is not the view's own arithmetic but everything around it the first time: a checkpoint read
from disk and moved to the device, a data set built, torch's first call of each kernel, a cache
filled. A lesson (``demos.lessons``) names, for each step, a view and the values of its controls;
the page's events that read those controls are run here once with exactly those values, in a
fresh session each, as the queue would run them (a stream only to its first frame).

It runs in a background thread once the server answers, so start-up is not delayed, one call at
a time (heavy ones take their turn on the cores through ``demos.common.HEAVY_WORK`` like any
visitor's), and stops after ``MAX_SECONDS``.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from typing import Any

import gradio as gr
import gradio.state_holder

from demos.lessons import Lesson, read_lessons
from demos.workshop import coerce, find_control, manifest

log = logging.getLogger("explainer")
MAX_SECONDS = 120.0  # warming stops here even if steps are left: a slow machine still serves at once


def step_calls(app: gr.Blocks, tabs: dict[str, Any], lessons: dict[str, Lesson]) -> list[tuple[Any, list]]:
    """(event, inputs) for every event that reads a control a lesson step sets, with the step's values."""
    calls, seen = [], set()
    for lesson in lessons.values():
        values: dict[str, Any] = {}  # a step starts from what the steps before it set (the page keeps them)
        for step in lesson.steps:
            views, named = tabs[lesson.tab]["views"], set()
            for name, raw in step.set.items():
                _, spec = find_control(views, step.view, name)
                values[spec["id"]] = coerce(spec, raw)
                named.add(spec["id"])
            for event in app.fns.values():
                ids = [getattr(c, "elem_id", None) for c in event.inputs]
                if event.fn is None or not named & set(ids):
                    continue
                inputs = [None if getattr(c, "stateful", False) else values.get(c.elem_id, c.value) for c in event.inputs]
                key = (id(event), repr(inputs))
                if key not in seen:
                    seen.add(key)
                    calls.append((event, inputs))
    return calls


async def _call(app: gr.Blocks, event: Any, inputs: list) -> None:
    # the session class the app installed (demos.memory.lean_sessions), looked up now, not at import
    out = await app.process_api(event, list(inputs), state=gradio.state_holder.SessionState(app))
    iterator = out.get("iterator")
    if iterator is not None and hasattr(iterator, "aclose"):
        await iterator.aclose()  # a stream: its first frame is enough


def warm(app: gr.Blocks, calls: list[tuple[Any, list]], max_seconds: float = MAX_SECONDS) -> tuple[int, float]:
    """Run ``calls`` one after another; returns (how many ran, seconds). A refusal is fine: it is warm too."""
    start, done = time.monotonic(), 0
    for event, inputs in calls:
        if time.monotonic() - start > max_seconds:
            break
        try:
            asyncio.run(_call(app, event, inputs))
        except Exception as exc:  # noqa: BLE001 - a view that refuses its lesson's values is the lesson test's job
            log.info("warm-up of %s: %s", event.api_name, str(exc)[:200])
        done += 1
    return done, time.monotonic() - start


def in_background(app: gr.Blocks) -> threading.Thread:
    """Warm every lesson's views in a daemon thread that starts once the server is up."""

    def run() -> None:
        while not getattr(app, "is_running", False):
            time.sleep(0.2)
        calls = step_calls(app, manifest(app), read_lessons())
        done, seconds = warm(app, calls)
        log.info("warm start: ran %d of %d lesson views in %.1f s", done, len(calls), seconds)

    thread = threading.Thread(target=run, name="warm-start", daemon=True)
    thread.start()
    return thread
