"""The harness against a fake app: its shape read from /config + /info, and a visitor against a fake
Gradio server (httpx.MockTransport): what it sends, and what it records."""

from __future__ import annotations

import asyncio
import json
import random

import httpx
import pytest

from explainer.loadtest.client import Gradio
from explainer.loadtest.mix import Entry, Visit, arguments, check
from explainer.loadtest.record import PAGE_LOAD, Recorder
from explainer.loadtest.shape import AppChanged, read_shape
from explainer.loadtest.visitor import Context, act, page_load, visit
from tests.helpers import in_fresh_thread

# --- the app's shape, read from /config and /gradio_api/info ------------------------------------

CONFIG = {
    "components": [
        {"id": 0, "type": "blocks", "props": {}},
        {"id": 1, "type": "slider", "props": {"value": 0.5, "minimum": 0.05, "maximum": 20.0, "step": 0.05}},
        {"id": 2, "type": "radio", "props": {"value": "ring", "choices": [["Ring", "ring"], ["Grid", "grid"]]}},
        {"id": 3, "type": "state", "props": {"value": None}},
        {"id": 4, "type": "slider", "props": {"value": 3, "minimum": 1, "maximum": 6, "step": 1}},
        {"id": 5, "type": "plot", "props": {}},
    ],
    "dependencies": [
        {"id": 0, "api_name": "view", "targets": [[0, "load"], [1, "input"]], "inputs": [1, 2], "backend_fn": True,
         "types": {"generator": False}},
        {"id": 1, "api_name": "redraw", "targets": [[None, "then"]], "trigger_after": 0, "inputs": [4],
         "backend_fn": True, "types": {"generator": False}},
        {"id": 2, "api_name": "train", "targets": [[4, "click"]], "inputs": [3, 4, 2], "backend_fn": True,
         "types": {"generator": True}},
        {"id": 3, "api_name": "js_only", "targets": [[0, "load"]], "inputs": [], "backend_fn": False},
    ],
}
INFO = {"named_endpoints": {
    "/view": {"parameters": [{"parameter_name": "tau", "parameter_default": 0.5},
                             {"parameter_name": "data", "parameter_default": "ring"}]},
    "/redraw": {"parameters": [{"parameter_name": "depth", "parameter_default": 3}]},
    "/train": {"parameters": [{"parameter_name": "depth", "parameter_default": 3},
                              {"parameter_name": "data", "parameter_default": "ring"}]},
}}


def test_the_shape_lists_endpoints_without_state_and_the_page_load_chain():
    shape = read_shape(CONFIG, INFO)
    train = shape.endpoint("train")
    assert [p.name for p in train.params] == ["depth", "data"] and train.generator and train.fn_index == 2
    assert train.defaults() == [3, "ring"] and train.param("data").choices == ("ring", "grid")
    assert [(e.name, e.trigger_id, e.data, e.after) for e in shape.page_load] == [
        ("view", 0, (0.5, "ring"), None), ("redraw", None, (3,), 0)]  # the JS-only load event is the browser's


def test_a_vanished_api_name_or_parameter_stops_the_run_with_a_message():
    shape = read_shape(CONFIG, INFO)
    check((Entry("view", 1, moves=("tau",)), Entry("train", 1, first="view", seconds=(1, 2))), shape)
    with pytest.raises(AppChanged, match="no api_name 'gone'"):
        check((Entry("gone", 1),), shape)
    with pytest.raises(AppChanged, match="no parameter 'width'"):
        check((Entry("view", 1, moves=("width",)),), shape)
    broken = {"named_endpoints": {**INFO["named_endpoints"], "/view": {"parameters": []}}}
    with pytest.raises(AppChanged, match="non-state inputs"):
        read_shape(CONFIG, broken)


def test_a_slider_move_lands_on_the_grid_of_its_range_and_changes_one_parameter():
    shape = read_shape(CONFIG, INFO)
    rng = random.Random(0)
    for _ in range(300):
        tau, data = arguments(Entry("view", 1, moves=("tau",)), "view", shape, rng)
        assert 0.05 <= tau <= 20.0 and abs(tau / 0.05 - round(tau / 0.05)) < 1e-6 and data == "ring"
        (depth,) = arguments(Entry("redraw", 1, moves=("depth",)), "redraw", shape, rng)
        assert isinstance(depth, int) and 1 <= depth <= 6
    seen = {arguments(Entry("train", 1, moves=("data",)), "train", shape, rng)[1] for _ in range(50)}
    assert seen == {"ring", "grid"}
    assert arguments(Entry("train", 1, first="view"), "view", shape, rng) == [0.5, "ring"]  # `first`: defaults


# --- a visitor against a fake server ---------------------------------------------------------------


class FakeGradio:
    """Answers the routes the harness uses; ``calls`` records (method, path, body) of each request."""

    def __init__(self, *, full: set[str] = frozenset(), frames: int = 5, error: str | None = None) -> None:
        self.full, self.frames, self.error = full, frames, error
        self.calls: list[tuple[str, str, dict | None]] = []
        self.sent_frames = 0  # frames of the streamed event actually read by the client
        self.joined: list[str] = []

    async def _frames(self):
        yield b"event: heartbeat\ndata: null\n\n"
        for i in range(self.frames):
            self.sent_frames += 1
            yield f'event: generating\ndata: ["frame {i}"]\n\n'.encode()
            await asyncio.sleep(0)
        yield b'event: complete\ndata: ["done"]\n\n'

    async def _heartbeat(self):
        yield b"data: ALIVE\n\n"
        await asyncio.sleep(3600)

    async def _queue(self, joined: list[str]):
        for event_id in joined:
            yield f'data: {{"msg":"process_completed","event_id":"{event_id}","success":true}}\n\n'.encode()
        yield b'data: {"msg":"close_stream","event_id":null}\n\n'

    def handler(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        body = json.loads(request.content) if request.method == "POST" else None
        self.calls.append((request.method, path, body))
        if path in ("/", "/theme.css"):
            return httpx.Response(200, text="<html></html>")
        if path.startswith("/gradio_api/heartbeat/"):
            return httpx.Response(200, content=self._heartbeat())
        if path == "/gradio_api/queue/join":
            if body["fn_index"] in self.full:
                return httpx.Response(503, json={"detail": "Queue is full. Max size is 64 and size is 64."})
            self.joined.append(f"load{body['fn_index']}")
            return httpx.Response(200, json={"event_id": self.joined[-1]})
        if path == "/gradio_api/queue/data":
            stream, self.joined = self._queue(self.joined), []
            return httpx.Response(200, content=stream)
        api = path.split("/")[3]
        if request.method == "POST":
            if api in self.full:
                return httpx.Response(503, json={"detail": "Queue is full. Max size is 64 and size is 64."})
            return httpx.Response(200, json={"event_id": f"ev-{api}"})
        if self.error is not None:
            return httpx.Response(200, text=f'event: error\ndata: {json.dumps({"error": self.error})}\n\n')
        return httpx.Response(200, content=self._frames())


def _run(fake: FakeGradio, coro_fn):
    async def main():
        async with httpx.AsyncClient(transport=httpx.MockTransport(fake.handler)) as http:
            ctx = Context(Gradio(http, "http://127.0.0.1:1/"), read_shape(CONFIG, INFO),
                          (Entry("view", 1, moves=("tau",)),), Visit(stay=(0.0, 0.0), think=(0.0, 0.0), ramp=0.0),
                          Recorder(), action_timeout=5.0)
            return ctx, await coro_fn(ctx)

    return in_fresh_thread(asyncio.run, main())  # not in a loop a browser test may have left running


def test_a_slider_move_sends_the_defaults_with_one_value_moved_and_records_the_figure():
    fake = FakeGradio(frames=0)
    ctx, clean = _run(fake, lambda ctx: act(ctx, "s1", Entry("view", 1, moves=("tau",)), random.Random(3)))
    assert clean
    (post,) = [c for c in fake.calls if c[0] == "POST"]
    assert post[1] == "/gradio_api/call/view" and post[2]["session_hash"] == "s1"
    assert post[2]["data"][1] == "ring" and 0.05 <= post[2]["data"][0] <= 20
    (s,) = ctx.recorder.summaries()
    assert (s.event, s.count, s.errors, s.refused) == ("view", 1, 0, 0)


def test_a_live_view_is_abandoned_after_its_frames_and_ends_the_visit():
    fake = FakeGradio(frames=50)
    entry = Entry("train", 1, first="view", frames=3)
    ctx, clean = _run(fake, lambda ctx: act(ctx, "s1", entry, random.Random(0)))
    assert not clean  # the connection was closed: the visitor is gone
    assert 53 <= fake.sent_frames <= 55  # `first` read to completion (50 frames), then 3 of `train`
    assert [c[1] for c in fake.calls if c[0] == "POST"] == ["/gradio_api/call/view", "/gradio_api/call/train"]
    assert {s.event: s.count for s in ctx.recorder.summaries()} == {"train": 1, "view": 1}


def test_a_full_queue_is_a_refusal_and_an_error_event_keeps_its_message():
    ctx, clean = _run(FakeGradio(full={"view"}), lambda ctx: act(ctx, "s1", Entry("view", 1), random.Random(0)))
    assert clean and ctx.recorder.summaries()[0].refused == 1 and ctx.recorder.errors == 0
    fake = FakeGradio(error="Sequence length must be ≤ 64: lower it.")
    ctx, clean = _run(fake, lambda ctx: act(ctx, "s1", Entry("view", 1), random.Random(0)))
    (s,) = ctx.recorder.summaries()
    assert clean and s.errors == 1 and s.first_errors == {"error event": "Sequence length must be ≤ 64: lower it."}


def test_a_page_load_joins_every_load_event_like_the_browser_then_its_chained_event():
    fake = FakeGradio()
    ctx, clean = _run(fake, lambda ctx: page_load(ctx, "s9"))
    assert clean
    joins = [c[2] for c in fake.calls if c[1] == "/gradio_api/queue/join"]
    assert [(j["fn_index"], j["trigger_id"], j["data"], j["session_hash"]) for j in joins] == [
        (0, 0, [0.5, "ring"], "s9"), (1, None, [3], "s9")]
    assert [c[1] for c in fake.calls][:2] == ["/", "/theme.css"]
    assert {s.event: s.count for s in ctx.recorder.summaries()} == {PAGE_LOAD: 1, "load · view": 1,
                                                                     "load · redraw": 1}


def test_a_refused_page_load_event_makes_the_page_load_refused():
    ctx, clean = _run(FakeGradio(full={0}), lambda ctx: page_load(ctx, "s9"))
    summaries = {s.event: s for s in ctx.recorder.summaries()}
    assert clean and summaries[PAGE_LOAD].refused == 1 and summaries[PAGE_LOAD].count == 0
    assert summaries["load · view"].refused == 1


def test_a_visit_holds_its_heartbeat_for_the_session_and_acts_until_its_stay_is_over():
    fake = FakeGradio(frames=0)
    ctx, _ = _run(fake, lambda ctx: visit(ctx, random.Random(0), [Entry("view", 1, moves=("tau",))]))
    sessions = {c[1].rsplit("/", 1)[1] for c in fake.calls if "/heartbeat/" in c[1]}
    assert len(sessions) == 1 and ctx.sessions == 1
    (session,) = sessions
    assert all(c[2]["session_hash"] == session for c in fake.calls if c[0] == "POST")
    assert [s.event for s in ctx.recorder.summaries()] == [PAGE_LOAD, "load · redraw", "load · view", "view"]


def test_a_reply_that_never_comes_is_a_timeout_error_not_a_hang():
    class Silent(FakeGradio):
        async def _frames(self):
            await asyncio.sleep(3600)
            yield b""

    fake = Silent()

    async def go(ctx):
        ctx.action_timeout = 0.05
        return await act(ctx, "s1", Entry("view", 1), random.Random(0))

    ctx, clean = _run(fake, go)
    assert not clean and ctx.recorder.summaries()[0].first_errors["timeout"].startswith("no frame within")
