"""The live plot's fast path draws what Plotly would: ``demos.liveplot``'s script, run on its own.

Between whole redraws, :mod:`demos.liveplot` draws a live figure's frames straight in the SVG Plotly
drew (``drawInPlace`` in ``assets/static/liveplot.js``: points moved, lines re-pathed, heatmap cells
recoloured, the title replaced) instead of calling Plotly. This test runs the component's script in
a bare page (no app server: ``element``, ``props`` and ``watch`` as ``gr.HTML`` gives them), feeds it
real GAN-plane frames, and compares what the fast path drew with what Plotly draws for the same
figure (the component redraws the last frame whole with ``Plotly.react`` once frames stop): every marker (positions, and the arrow heads' rotation) by points of its outline
on screen, every line segment by its path. A frame whose style changed must go to Plotly instead.
"""

from __future__ import annotations

import json
from pathlib import Path

import plotly
import pytest
import torch

from demos.liveplot import JS, TEMPLATE, FrameEncoder, decode
from explainer.gan.session import Display, new_session
from explainer.gan.views import session_view
from tests.ui.plotly_json import decode as numbers

pytestmark = pytest.mark.browser

PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"

# The component as gr.HTML runs it: its template in `element`, the script with element/props/watch.
MOUNT = """([js, fullMs]) => {
  const element = document.getElementById('live');
  const watchers = {}, props = {value: null, plotly_src: '', full_redraw_ms: fullMs};
  window.__send = (text) => { props.value = text; (watchers.value || (() => {}))(); };
  new Function('element', 'props', 'watch', js)(element, props, (name, fn) => { watchers[name] = fn; });
}"""
FULL_MS = 2500  # here: frames sent within this of the last whole redraw are moved in place

# Every marker's outline (points along its path, through its transform, on screen), every line's
# path, every heatmap's pixels and the title, in trace order; with the frame counters read in the same
# turn of the page's event loop (no paint can come between).
SHAPES = """async () => {
  const gd = document.querySelector('#live .liveplot-figure');
  const origin = gd.getBoundingClientRect();
  const round = v => Math.round(v * 10) / 10;
  const outline = p => {
    const m = p.getScreenCTM(), length = p.getTotalLength();
    return [0, 0.25, 0.5, 0.75].flatMap(f => { const q = p.getPointAtLength(f * length).matrixTransform(m);
      return [round(q.x - origin.left), round(q.y - origin.top)]; });
  };
  const images = [...gd.querySelectorAll('.hm image')].map(i => i.getAttribute('xlink:href') || i.getAttribute('href'));
  const shapes = {paints: window.__livePaints || 0, moves: window.__liveMoves || 0,
          title: (gd.querySelector('.g-gtitle .gtitle') || {}).textContent,
          traces: [...gd.querySelectorAll('.scatterlayer .trace')].map(g => ({
            trace: g.__data__[0].trace.index,
            points: [...g.querySelectorAll('.point')].map(outline),
            lines: [...g.querySelectorAll('.js-line')].map(l => l.getAttribute('d')),
          }))};
  shapes.heatmaps = await Promise.all(images.map(async src => {  // the cells' colours, decoded
    const image = new Image();
    image.src = src;
    await image.decode();
    const c = document.createElement('canvas');
    c.width = image.width; c.height = image.height;
    const context = c.getContext('2d');
    context.drawImage(image, 0, 0);
    return [...context.getImageData(0, 0, c.width, c.height).data];
  }));
  return shapes;
}"""


@pytest.fixture(scope="module")
def frames() -> list[str]:
    """A keyframe and two deltas of a training GAN plane (points, arrows with rotated heads, heatmap)."""
    session = new_session("Mode collapse", "ring", 0, torch.device("cpu"))
    encoder = FrameEncoder()
    out = [encoder.encode(session_view(session, Display(), curves=False).plane)]
    for _ in range(2):
        session.advance(30)
        out.append(encoder.encode(session_view(session, Display(), curves=False).plane))
    return out


@pytest.fixture()
def bare(browser, frames):
    """The component in a bare page, its keyframe drawn and its size settled."""
    page = browser.new_page(viewport={"width": 900, "height": 800})
    page.set_content(f'<div id="live" style="width: 800px">{TEMPLATE}</div>')
    page.add_script_tag(path=str(PLOTLY_JS))
    page.evaluate(MOUNT, [JS, FULL_MS])
    _send(page, frames[0])
    page.wait_for_timeout(800)  # the first resize (to the container's size) is over
    _send(page, frames[0])  # drawn whole again, at that size: the next FULL_MS are the test's
    yield page
    page.close()


def _send(page, text: str) -> None:
    """Send a payload and wait until the component painted it."""
    before = page.evaluate("window.__livePaints || 0")
    page.evaluate("t => window.__send(t)", text)
    page.wait_for_function("n => (window.__livePaints || 0) > n", arg=before, timeout=10_000)


def _close(ours: list, theirs: list, tolerance: float = 0.6) -> None:
    assert [t["trace"] for t in ours] == [t["trace"] for t in theirs]
    for mine, ref in zip(ours, theirs):
        assert len(mine["points"]) == len(ref["points"]) and len(mine["lines"]) == len(ref["lines"]), mine["trace"]
        for a, b in zip(mine["points"], ref["points"]):
            assert max(abs(u - v) for u, v in zip(a, b)) <= tolerance, (mine["trace"], a, b)
        for a, b in zip(mine["lines"], ref["lines"]):
            na = [float(v) for v in a.replace("M", " ").replace("L", " ").replace(",", " ").split()]
            nb = [float(v) for v in b.replace("M", " ").replace("L", " ").replace(",", " ").split()]
            assert len(na) == len(nb) and max(abs(u - v) for u, v in zip(na, nb)) <= tolerance, (mine["trace"], a, b)


def test_frames_drawn_in_place_match_plotlys_own_drawing(bare, frames):
    for delta in frames[1:]:
        moves = bare.evaluate("window.__liveMoves || 0")
        _send(bare, delta)
        ours = bare.evaluate(SHAPES)  # the frame as drawn in place ...
        assert ours["moves"] == moves + 1, "the frame was not drawn in place"
        payload = json.loads(delta)
        changed = {i for i, change in enumerate(payload["data"]) if change}
        assert {0, 2, 3, 4} <= changed and "title" in payload["layout"], changed  # heatmap, points, arrows, title
        bare.wait_for_function("n => window.__livePaints > n", arg=ours["paints"], timeout=10_000)
        whole = bare.evaluate(SHAPES)  # ... and the same frame redrawn whole by Plotly.react (frames stopped)
        assert whole["moves"] == ours["moves"] and whole["paints"] == ours["paints"] + 1
        _close(ours["traces"], whole["traces"])
        assert ours["title"] == whole["title"] and "step 30" in ours["title"] or "step 60" in ours["title"]
        assert len(ours["heatmaps"]) == len(whole["heatmaps"]) == 1
        mine, plotly_s = ours["heatmaps"][0], whole["heatmaps"][0]
        assert len(mine) == len(plotly_s) == 40 * 40 * 4
        assert max(abs(a - b) for a, b in zip(mine, plotly_s)) <= 2  # the same colours, cell by cell


def test_a_changed_style_waits_for_plotly(bare, frames):
    restyled = json.loads(frames[1])
    restyled["data"][2]["marker"] = {"color": "#ff0000", "size": 9}  # the generated points' style changed
    fill = """() => [...document.querySelectorAll('#live .scatterlayer .trace')]
        .find(g => g.__data__[0].trace.index === 2).querySelector('.point').style.fill"""
    before = bare.evaluate(fill)
    _send(bare, json.dumps(restyled))
    assert bare.evaluate(fill) == before, "a new style must not be drawn in place"
    bare.wait_for_function(f"() => ({fill})() === 'rgb(255, 0, 0)'", timeout=5_000)  # Plotly drew it soon after


def test_points_added_or_removed_in_place(bare, frames):
    """A marker trace drawn alike throughout (the missed modes) that gains or loses points."""
    for keep in (5, 8):  # 8 missed modes -> 5 (three covered) -> 8 again
        delta = json.loads(frames[1])
        full = decode(frames[1], decode(frames[0]))["data"][6]
        x, y = numbers(full["x"]), numbers(full["y"])
        assert len(x) == 8, "the ring has 8 modes, all missed at the start"
        delta["data"][6] = {"x": x[:keep].tolist(), "y": y[:keep].tolist()}
        moves = bare.evaluate("window.__liveMoves || 0")
        _send(bare, json.dumps(delta))
        ours = bare.evaluate(SHAPES)
        assert ours["moves"] == moves + 1, "the frame was not drawn in place"
        assert len(next(t for t in ours["traces"] if t["trace"] == 6)["points"]) == keep
        bare.wait_for_function("n => window.__livePaints > n", arg=ours["paints"], timeout=10_000)
        _close(ours["traces"], bare.evaluate(SHAPES)["traces"])
