"""One load-test run: read the app's shape, warm it up, let N visitor slots loose until the deadline.

Each of ``users`` slots holds one visitor at a time and starts the next when one leaves, so the
server sees ``users`` concurrent visitors and many more sessions over the run. The measured
phase ends at a hard deadline: every visitor still active is cancelled there (what it had in
flight is counted as "cut"). Server RSS is sampled every few seconds when its pid is known.
"""

from __future__ import annotations

import asyncio
import os
import random
import time
from dataclasses import dataclass, field
from http.cookiejar import CookieJar, DefaultCookiePolicy

import httpx

from explainer.loadtest import mix as mixes
from explainer.loadtest.client import Gradio
from explainer.loadtest.record import PAGE_LOAD, Recorder
from explainer.loadtest.server import rss_mb
from explainer.loadtest.shape import AppShape, read_shape
from explainer.loadtest.visitor import Context, visit

MAX_USERS = 200  # concurrent visitors: a room, not a flood
MAX_SECONDS = 3600.0  # one hour of measured load at most
MAX_SETTLE = 600.0  # seconds of sampling after the visitors left
WARMUP_TIMEOUT = 300.0  # seconds for the warm-up tour (cold models load there)


@dataclass(frozen=True)
class Settings:
    users: int = 60  # concurrent visitors (slots)
    seconds: float = 300.0  # measured duration; a hard deadline
    seed: int = 0  # visitors' choices: slot i draws from random.Random(f"{seed}:{i}")
    warmup: bool = True  # one visitor tries every entry once before the clock starts (not measured)
    cover: bool = False  # slot i's first action is mix[i % len(mix)]: a short run exercises every entry
    mix: tuple[mixes.Entry, ...] = mixes.MIX
    visit: mixes.Visit = mixes.VISIT
    rss_every: float = 5.0  # seconds between RSS samples
    action_timeout: float = 120.0  # seconds to the first frame before an action is an error
    settle: float = 0.0  # seconds the server's RSS is still sampled once every visitor has gone

    def __post_init__(self) -> None:
        if not 1 <= self.users <= MAX_USERS:
            raise ValueError(f"users must be between 1 and {MAX_USERS}, got {self.users}")
        if not 0 <= self.settle <= MAX_SETTLE:
            raise ValueError(f"settle must be between 0 and {MAX_SETTLE:.0f} seconds, got {self.settle:g}")
        if not 0 < self.seconds <= MAX_SECONDS:
            raise ValueError(f"the run must last more than 0 and at most {MAX_SECONDS / 60:.0f} minutes, "
                             f"got {self.seconds / 60:g}")


@dataclass
class Results:
    settings: Settings
    url: str
    pid: int | None
    recorder: Recorder  # the measured phase
    warmup: Recorder  # the warm-up tour
    rss: list[tuple[float, float]] = field(default_factory=list)  # (seconds since the clock started, MB)
    rss_before_warmup: float | None = None
    rss_after_warmup: float | None = None
    rss_settled: tuple[float, float] | None = None  # (seconds after the last visitor left, MB)
    sessions: int = 0  # visits started in the measured phase
    load_average: tuple = ()  # os.getloadavg() at the start and at the end of the measured phase
    tracebacks: int | None = None  # in the server log, when the harness started the server


async def _sample_rss(pid: int, start: float, every: float, into: list) -> None:
    while True:
        mb = rss_mb(pid)
        if mb is not None:
            into.append((round(time.monotonic() - start, 1), mb))
        await asyncio.sleep(every)


async def _slot(ctx: Context, settings: Settings, index: int) -> None:
    rng = random.Random(f"{settings.seed}:{index}")
    await asyncio.sleep(rng.uniform(0, ctx.visit.ramp))
    script = [settings.mix[index % len(settings.mix)]] if settings.cover else []
    while True:
        try:
            await visit(ctx, rng, script)
        except Exception as exc:  # a harness bug: report it, keep the slot going
            ctx.recorder.error("harness", type(exc).__name__, repr(exc))
            await asyncio.sleep(1.0)
        script = []


async def discover(gradio: Gradio) -> AppShape:
    return read_shape(await gradio.json("/config"), await gradio.json("/gradio_api/info"))


async def run(settings: Settings, url: str, pid: int | None = None) -> Results:
    limits = httpx.Limits(max_connections=None, max_keepalive_connections=64)
    timeout = httpx.Timeout(60.0, connect=10.0)  # read: longer than the 15 s heartbeats of a queued event
    no_cookies = CookieJar(policy=DefaultCookiePolicy(allowed_domains=[]))  # visitors share this client: no
    # shared cookie (behind explainer.loadtest.replicas each session then keeps to its replica by its hash)
    async with httpx.AsyncClient(limits=limits, timeout=timeout, trust_env=False, cookies=no_cookies) as http:
        gradio = Gradio(http, url)
        shape = await discover(gradio)
        mixes.check(settings.mix, shape)
        results = Results(settings, url, pid, Recorder(), Recorder())
        results.rss_before_warmup = rss_mb(pid) if pid else None
        if settings.warmup:
            ctx = Context(gradio, shape, settings.mix, settings.visit, results.warmup, settings.action_timeout)
            script = list(settings.mix)
            try:
                async with asyncio.timeout(WARMUP_TIMEOUT):
                    while script:  # a live view ends the visit: the next visit goes on with the script
                        await visit(ctx, random.Random(settings.seed), script, stay=0.0, think=False)
            except TimeoutError:
                results.warmup.error("warm-up", "timeout", f"{len(script)} entries left after {WARMUP_TIMEOUT:.0f} s")
        results.rss_after_warmup = rss_mb(pid) if pid else None

        ctx = Context(gradio, shape, settings.mix, settings.visit, results.recorder, settings.action_timeout)
        results.recorder.expect(PAGE_LOAD, *(n for e in settings.mix for n in (e.first, e.api_name) if n))
        start = time.monotonic()
        results.load_average = (os.getloadavg(),)
        sampler = asyncio.create_task(_sample_rss(pid, start, settings.rss_every, results.rss)) if pid else None
        slots = [asyncio.create_task(_slot(ctx, settings, i)) for i in range(settings.users)]
        await asyncio.wait(slots, timeout=settings.seconds)  # slots never end by themselves: the deadline
        for task in [*slots, *([sampler] if sampler else [])]:
            task.cancel()
        await asyncio.gather(*slots, *([sampler] if sampler else []), return_exceptions=True)
        if pid and (mb := rss_mb(pid)) is not None:
            results.rss.append((round(time.monotonic() - start, 1), mb))
        results.load_average += (os.getloadavg(),)
        results.sessions = ctx.sessions
        if pid and settings.settle > 0:  # nobody left: what the server keeps once closed tabs' sessions expire
            await asyncio.sleep(settings.settle)
            if (mb := rss_mb(pid)) is not None:
                results.rss_settled = (settings.settle, mb)
        return results
