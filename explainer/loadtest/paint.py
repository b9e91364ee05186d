"""What the person sees, measured in headless Chromium: ``python -m explainer.loadtest.paint``.

    python -m explainer.loadtest.paint [--url URL] [--seconds S] [--repeats N] [--port P] [--device D]

Handler times (``python -m explainer.bench``) stop where the server replies; a person waits until
the figure is *painted*. This tool opens the app in Debian's headless Chromium (Playwright's sync
API) and measures two things DESIGN.md sets targets for:

* **Live frames per second.** GAN tab, "Train / resume": a ``requestAnimationFrame`` loop counts
  the animation frames in which the live plane's DOM changed (a ``MutationObserver`` on
  ``#gan-plane``, or on the tab's first visible Plotly plot, re-found if Gradio replaces the div),
  and among them the frames that show a new picture (the plot's title and data differ from the
  last frame counted). ``window.__livePaints`` per second is reported too where the page has it, and
  how many of those frames were drawn in place (``window.__liveMoves``, see ``demos/liveplot.py``).
* **The other live views** (VAE training, Diffusion training and sampling): frames their live plots
  painted per second (``window.__livePaints``, counted by the LivePlot script after each paint).
* **Pause during live training**: from the click event to the live plane's last new picture (the
  motion stops; the redraw at the paused step counts too), read once 1 s passed without one.
* **Click → painted latency** of light views: from the first input event of a control change
  (``performance.now()`` in the page) to the first animation frame in which every figure that
  changed shows its new content, read after that frame rendered (a message posted from the
  ``requestAnimationFrame`` callback runs once the frame's style, layout and paint are done).
  The note adds the page's long tasks (> 50 ms each) inside that wait: how much of it the
  browser spent working (parsing, Plotly, layout) rather than waiting for the server.

Without ``--url`` it starts ``python app.py`` on a free loopback port, waits for its warm start to end,
measures, and stops it afterwards.
Timed in a browser on a possibly busy machine: a benchmark, never a test threshold.
"""

from __future__ import annotations

import argparse
import math
import re
import sys
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Callable, Iterator

from explainer.loadtest.server import started_app
from explainer.timing import Row, percentile

CHROMIUM = "/usr/bin/chromium"
FLAGS = [  # as tests/browser/conftest.py: the network is closed, nothing calls home
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage",
]
QUIET_MS = 600  # a view is settled when no plot changed for this long
TIMEOUT_MS = 60_000  # the longest wait for one tab, one frame or one change

# The probe lives in the page: one MutationObserver (plot mutations only) and one rAF loop.
PROBE = r"""() => {
  if (window.__paint) return;
  const P = window.__paint = {sigs: [], changes: [], t0: null, armed: false, lastMutation: 0, dirty: false,
                              target: null, live: false, raw: 0, pictures: 0, lastSig: null, targetDirty: false};
  const visible = () => [...document.querySelectorAll('.js-plotly-plot')].filter(p => p.offsetParent !== null);
  const pick = v => (Array.isArray(v) || ArrayBuffer.isView(v))
      ? [v.length, pick(v[0]), pick(v[v.length >> 1]), pick(v[v.length - 1])]
      : (typeof v === 'number' ? +v.toPrecision(6) : v);
  // What the plot shows, in a few values: titles, every trace's sampled data, the shapes.
  const sig = gd => {
    if (!gd || !gd._fullData || !gd.querySelector('.main-svg')) return null;
    const text = [...gd.querySelectorAll('.gtitle, .annotation-text, .legendtext')].map(e => e.textContent);
    const traces = gd._fullData.map(t => [t.type, t.visible, pick(t.x), pick(t.y), pick(t.z),
                                          t.source ? t.source.length + t.source.slice(-64) : null]);
    const shapes = (gd._fullLayout.shapes || []).map(s => [s.x0, s.x1, s.y0, s.y1]);
    return JSON.stringify([text, traces, shapes]);
  };
  const liveTarget = () => {
    const own = document.querySelector('#gan-plane');
    return own ? (own.querySelector('.js-plotly-plot') || own) : visible()[0] || null;
  };
  const inPlot = n => { const e = n && (n.nodeType === 1 ? n : n.parentElement); return !!(e && e.closest('.js-plotly-plot')); };
  const hasPlot = n => n.nodeType === 1 && (n.matches('.js-plotly-plot') || !!n.querySelector('.js-plotly-plot'));
  new MutationObserver(records => {
    if (!records.some(r => inPlot(r.target) || [...r.addedNodes, ...r.removedNodes].some(hasPlot))) return;
    P.dirty = true; P.lastMutation = performance.now();
    if (P.target && (!P.target.isConnected || records.some(r => P.target.contains(r.target)))) P.targetDirty = true;
  }).observe(document.body, {subtree: true, childList: true, attributes: true, characterData: true});
  const input = e => { if (P.armed && P.t0 === null && (e.type !== 'keydown' || e.key === 'Enter')) P.t0 = performance.now(); };
  for (const type of ['input', 'change', 'click', 'keydown']) document.addEventListener(type, input, true);
  const tick = () => {
    if (P.live && P.targetDirty) {  // live mode: the plane alone, re-found if its div was replaced
      P.targetDirty = false; P.raw++;
      if (!P.target.isConnected) P.target = liveTarget();
      const s = sig(P.target);
      if (s !== null && s !== P.lastSig) { P.lastSig = s; P.pictures++; P.pictureAt = performance.now(); }
    }
    if (P.dirty) {  // latency mode: every visible plot, compared with its state when armed
      P.dirty = false;
      const now = performance.now(), batch = [];
      visible().forEach((gd, i) => {
        const s = sig(gd);
        if (s !== null && s !== P.sigs[i]) { P.sigs[i] = s; batch.push({plot: i, frame: now, painted: null}); }
      });
      if (batch.length) {
        P.changes.push(...batch);
        const ch = new MessageChannel();  // runs after this frame's rendering
        ch.port1.onmessage = () => { const t = performance.now(); batch.forEach(c => { c.painted = t; }); };
        ch.port2.postMessage(0);
      }
    }
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
  P.long = [];  // the page's long tasks (> 50 ms of script, style, layout): a lower bound of its own work
  try { new PerformanceObserver(l => P.long.push(...l.getEntries().map(e => [e.startTime, e.duration])))
          .observe({type: 'longtask'}); } catch (e) { P.long = null; }
  P.ready = quiet => { const v = visible(); return v.length > 0 && v.every(gd => sig(gd) !== null)
                                            && performance.now() - P.lastMutation > quiet; };
  P.arm = () => { P.sigs = visible().map(sig); P.changes = []; P.t0 = null; P.armed = true; };
  P.done = quiet => {  // null until the change has painted and the view stayed quiet
    const late = P.changes.filter(c => P.t0 !== null && c.frame > P.t0);
    if (!late.length || late.some(c => c.painted === null) || performance.now() - P.lastMutation < quiet) return null;
    const first = {};
    for (const c of late) if (!(c.plot in first)) first[c.plot] = c.painted;
    const times = Object.values(first).map(t => t - P.t0);
    P.armed = false;
    const end = P.t0 + Math.max(...times);
    const busy = P.long && P.long.filter(([s, d]) => s < end && s + d > P.t0)
                                 .reduce((sum, [s, d]) => sum + Math.min(end, s + d) - Math.max(P.t0, s), 0);
    return {all: Math.max(...times), first: Math.min(...times), changed: times.length, plots: P.sigs.length, busy};
  };
  P.startLive = () => { P.target = liveTarget(); P.lastSig = sig(P.target); P.live = true; return !!P.target; };
  P.read = () => ({t: performance.now(), raw: P.raw, pictures: P.pictures,
                   livePaints: typeof window.__livePaints === 'number' ? window.__livePaints : null,
                   liveMoves: window.__liveMoves || 0});
}"""


@dataclass(frozen=True)
class View:
    """A light view, the tabs that lead to it, and the k-th change a person makes to it."""

    name: str
    tabs: tuple[str, ...]
    change: Callable[[object, int], None]  # (page, k) -> None


def _number_box(label: str, value: Callable[[int], float]) -> Callable[[object, int], None]:
    """Type a value into a slider's number box and press Enter (what a person does to set it exactly)."""

    def change(page, k: int) -> None:
        boxes = page.get_by_label(re.compile("^number input for " + re.escape(label))).all()
        box = next((b for b in boxes if b.is_visible()), None)  # hidden tabs may hold a namesake
        if box is None:
            raise LookupError(f"no visible number box for the slider {label!r}")
        box.fill(f"{value(k):g}")
        box.press("Enter")

    return change


def _button(name: str) -> Callable[[object, int], None]:
    def change(page, k: int) -> None:
        page.get_by_role("button", name=name, exact=True).click()

    return change


VIEWS = (  # each value differs from the one before, so every change redraws
    View("Positional · Sinusoidal, number of positions", ("Positional encodings", "Sinusoidal"),
         _number_box("Number of positions", lambda k: 40 + 7 * k)),
    View("Positional · ALiBi, number of heads", ("Positional encodings", "ALiBi"),
         _number_box("Number of heads", lambda k: 1 + (5 * k) % 32)),
    View("GAN · one step (D then G)", ("GAN",), _button("One step (D then G)")),
    View("VAE · latent map, z₁", ("VAE", "Latent map"), _number_box("z₁", lambda k: round(-2.5 + 0.05 * (7 * k % 100), 2))),
    View("Diffusion · forward process, step t", ("Diffusion", "Forward process"),
         _number_box("Step t", lambda k: 150 + (37 * k) % 800)),
)


def _goto(page, url: str, tabs: tuple[str, ...]) -> None:
    """Load the page and click through the tabs."""
    page.goto(url)
    for label in tabs:
        page.get_by_role("tab", name=label, exact=True).click(timeout=15_000)


def _open(page, url: str, tabs: tuple[str, ...]) -> None:
    """Load the page, click through the tabs, install the probe, wait until the view is drawn and quiet."""
    _goto(page, url, tabs)
    page.evaluate(PROBE)
    page.wait_for_function("q => window.__paint.ready(q)", arg=QUIET_MS, timeout=TIMEOUT_MS)


def live_fps(page, url: str, seconds: float) -> dict:
    """GAN tab, Train: frames in which the plane's DOM changed, and new pictures, per second."""
    _open(page, url, ("GAN",))
    if not page.evaluate("() => window.__paint.startLive()"):
        raise LookupError("no live plane in the GAN tab")
    page.get_by_role("button", name="Train / resume", exact=True).click()
    page.wait_for_function("() => window.__paint.pictures > 0", timeout=TIMEOUT_MS)  # the first frame arrived
    start = page.evaluate("() => window.__paint.read()")
    page.wait_for_timeout(seconds * 1000)
    end = page.evaluate("() => window.__paint.read()")
    # A click while it trains: Pause, timed from the click event to the last new picture of the plane
    # (the motion stops; what Pause then redraws at the paused step counts too), once 1 s passed without one.
    page.evaluate("() => window.__paint.arm()")
    # dispatched: a page redrawing many times a second never looks "stable" to Playwright's click
    page.get_by_role("button", name="Pause", exact=True).dispatch_event("click")
    page.wait_for_function("() => window.__paint.t0 !== null && performance.now() - window.__paint.pictureAt > 1000",
                           timeout=TIMEOUT_MS)
    pause_ms = page.evaluate("() => Math.max(0, window.__paint.pictureAt - window.__paint.t0)")
    span = (end["t"] - start["t"]) / 1000
    paints = moves = None
    if end["livePaints"] is not None and start["livePaints"] is not None:
        paints = (end["livePaints"] - start["livePaints"]) / span
        moves = ((end["liveMoves"] or 0) - (start["liveMoves"] or 0)) / span
    return {"raw": (end["raw"] - start["raw"]) / span, "pictures": (end["pictures"] - start["pictures"]) / span,
            "live_paints": paints, "live_moves": moves, "seconds": span, "pause_ms": pause_ms}


@dataclass(frozen=True)
class Live:
    """A live view other than the GAN plane: the tabs that lead to it and the button that starts it."""

    name: str
    tabs: tuple[str, ...]
    button: str


LIVE = (  # each streams into a LivePlot, whose every painted frame counts in window.__livePaints
    Live("VAE live training", ("VAE", "Live training"), "Train / resume"),
    Live("Diffusion training", ("Diffusion", "Train your own"), "Train / resume"),
    Live("Diffusion sampling", ("Diffusion", "Reverse process"), "Sample"),
)


def live_paints(page, url: str, live: Live, seconds: float) -> float:
    """Frames the page's live plots painted per second (``window.__livePaints``), from the third on."""
    _goto(page, url, live.tabs)  # no probe: a live view's plot may be empty until it starts
    page.get_by_role("button", name=live.button, exact=True).first.click()
    page.wait_for_function("() => (window.__livePaints || 0) > 2", timeout=TIMEOUT_MS)
    start = page.evaluate("() => [performance.now(), window.__livePaints]")
    page.wait_for_timeout(seconds * 1000)
    end = page.evaluate("() => [performance.now(), window.__livePaints]")
    return (end[1] - start[1]) / ((end[0] - start[0]) / 1000)


def click_to_paint(page, url: str, view: View, repeats: int) -> list[dict]:
    """``repeats`` changes of one view, each timed from the input event to the changed figures painted."""
    _open(page, url, view.tabs)
    samples = []
    for k in range(repeats):
        page.evaluate("() => window.__paint.arm()")
        view.change(page, k)
        handle = page.wait_for_function("q => window.__paint.done(q)", arg=QUIET_MS, timeout=TIMEOUT_MS)
        samples.append(handle.json_value())
    return samples


def _latency_row(name: str, samples: list[dict], target: float, reason: str = "") -> Row:
    what = f"click → painted · {name}, p95"
    if not samples:
        return Row(what, math.nan, "ms", target, note=f"n/a: {reason}")
    ms = [s["all"] for s in samples]
    changed = max(s["changed"] for s in samples)
    busy = [s["busy"] for s in samples if s.get("busy") is not None]
    return Row(what, percentile(ms, 95), "ms", target,
               note=f"p50 {percentile(ms, 50):,.0f} ms, {len(ms)} changes, {changed} of {samples[0]['plots']} "
                    f"figures changed, first painted p50 {percentile([s['first'] for s in samples], 50):,.0f} ms"
                    + (f", page's long tasks p50 {percentile(busy, 50):,.0f} ms" if busy else ""))


def _reason(exc: Exception) -> str:
    return (str(exc).splitlines() or [type(exc).__name__])[0][:80]


def measure(url: str, *, seconds: float = 10, repeats: int = 20, gpu: bool = False) -> list[Row]:
    """Live frames per second (GAN training) and click → painted p50/p95 of the light views, at ``url``.

    A view that cannot be found (a renamed tab or control) is reported as n/a (value NaN) with
    the reason in its note; the other views are still measured. ``gpu`` picks DESIGN.md's targets.
    """
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    fps_target, click_target = (30.0, 150.0) if gpu else (20.0, 200.0)
    fps_what = "GAN live training · frames painted per second in Chromium"
    rows: list[Row] = []
    every: list[float] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)

        @contextmanager
        def fresh_page():  # a new context: a new Gradio session, nothing cached from the last view
            context = browser.new_context(viewport={"width": 1400, "height": 1000})
            try:
                yield context.new_page()
            finally:
                context.close()

        try:
            with fresh_page() as page:
                try:
                    fps = live_fps(page, url, seconds)
                except (PlaywrightError, LookupError) as exc:
                    rows.append(Row(fps_what, math.nan, "frames/s", fps_target, True, f"n/a: {_reason(exc)}"))
                else:
                    extra = "" if fps["live_paints"] is None else (f", window.__livePaints {fps['live_paints']:.1f}/s "
                                                                 f"({fps['live_moves']:.1f}/s drawn in place)")
                    rows.append(Row(fps_what, fps["raw"], "frames/s", fps_target, True,
                                    f"frames whose plane DOM changed, over {fps['seconds']:.1f} s; "
                                    f"new pictures {fps['pictures']:.1f}/s{extra}"))
                    rows.append(Row("GAN live training · Pause clicked → motion stopped in Chromium", fps["pause_ms"],
                                    "ms", click_target, note="from the click event to the plane's last new picture "
                                                             "(one Pause: a single sample)"))
            for live in LIVE:  # a sampling ends after ~4 s: at most 3 s of it are counted
                with fresh_page() as page:
                    what = f"{live.name} · frames painted per second in Chromium"
                    try:
                        rate = live_paints(page, url, live, min(seconds, 3.0))
                    except (PlaywrightError, LookupError) as exc:
                        rows.append(Row(what, math.nan, "frames/s", fps_target, True, f"n/a: {_reason(exc)}"))
                    else:
                        rows.append(Row(what, rate, "frames/s", fps_target, True,
                                        f"window.__livePaints over {min(seconds, 3.0):.0f} s"))
            for view in VIEWS:
                with fresh_page() as page:
                    try:
                        samples = click_to_paint(page, url, view, repeats)
                    except (PlaywrightError, LookupError) as exc:
                        rows.append(_latency_row(view.name, [], click_target, _reason(exc)))
                    else:
                        rows.append(_latency_row(view.name, samples, click_target))
                        every += [s["all"] for s in samples]
        finally:
            browser.close()
    if every:
        rows.append(Row("click → figure painted in Chromium, light views, p95", percentile(every, 95), "ms",
                        click_target, note=f"p50 {percentile(every, 50):,.0f} ms, {len(every)} changes"))
    return rows


WARM_LINE = "warm start:"  # what app.py logs once every lesson's views were computed (demos/warm.py)


@contextmanager
def launched_app(port: int | None = None, device: str | None = None, timeout: float = 180.0) -> Iterator[str]:
    """``python app.py`` on 127.0.0.1 until HTTP 200 (the load test's :func:`started_app`) and its warm
    start is over (a presenter's first click comes after it; during it the server is busy): yields its URL."""
    import time

    with started_app(timeout, port=port, device=device) as (url, _pid, log):
        deadline = time.monotonic() + timeout
        while WARM_LINE not in log.read_text(errors="replace") and time.monotonic() < deadline:
            time.sleep(0.5)
        yield url


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m explainer.loadtest.paint", description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="a running app (default: start python app.py on a free loopback port)")
    parser.add_argument("--seconds", type=float, default=10.0, help="seconds of live training counted (default 10)")
    parser.add_argument("--repeats", type=int, default=20, help="changes per light view (default 20)")
    parser.add_argument("--port", type=int, help="without --url: the port to start the app on")
    parser.add_argument("--device", help="without --url: cpu, cuda or mps for app.py (also picks the targets)")
    args = parser.parse_args(argv)
    from explainer.bench import table
    from explainer.device import pick_device

    device = pick_device(args.device)
    if args.url:
        rows = measure(args.url, seconds=args.seconds, repeats=args.repeats, gpu=device.type == "cuda")
    else:
        with launched_app(args.port, args.device) as url:
            rows = measure(url, seconds=args.seconds, repeats=args.repeats, gpu=device.type == "cuda")
    print(table(rows, device))
    return 0


if __name__ == "__main__":
    sys.exit(main())
