"""Figures to take away (demos/figure_tools.py, assets/static/figures.js) and the presenter look.

A tiny app with two tabs of Plotly figures is served offline with ``head=figure_tools.head()``
and the plotly.min.js route; Chromium clicks each toolbar button and the "save view" button
and the files it downloads are checked by reading them, not by trusting the page:

* PNG: the PNG signature, and the width and height in its IHDR chunk equal the figure's size
  as plotly.js laid it out (``gd._fullLayout``);
* SVG: parses as XML and holds the figure's title text;
* HTML: opened in a fresh browser context where every request but file:// is refused, it
  draws every figure (``.main-svg``), with the figures' own trace data, and asks for nothing.

present.css is checked by its effect: with ``body.present`` the body's computed font size.
"""

from __future__ import annotations

import socket
import struct
import xml.etree.ElementTree as ET
from pathlib import Path

import gradio as gr
import plotly.graph_objects as go
import pytest

from demos import figure_tools

pytestmark = pytest.mark.browser

STATIC = Path(__file__).resolve().parents[2] / "assets" / "static"
PORTS = range(7890, 7900)  # this test's ports (other tests use free ports outside)
TITLE_A, TITLE_B = "Loss by step", "Samples & modes"  # "&" must survive the file name and the SVG
Y_A = [3.0, 1.0, 4.0, 1.5, 5.0, 9.0, 2.6]


def _port() -> int:
    for port in PORTS:
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    pytest.skip(f"no free port in {PORTS.start}-{PORTS.stop - 1}")


def _figures() -> tuple[go.Figure, go.Figure]:
    a = go.Figure(go.Scatter(y=Y_A, mode="lines+markers", name="loss"),
                  layout={"title": {"text": TITLE_A}, "height": 340, "xaxis": {"title": {"text": "step"}}})
    b = go.Figure(go.Heatmap(z=[[1, 2, 3], [3, 1, 2]], colorscale="Viridis"),
                  layout={"title": {"text": TITLE_B}, "height": 300})
    return a, b


@pytest.fixture(scope="module")
def tiny_url():
    a, b = _figures()
    with gr.Blocks(analytics_enabled=False) as demo:
        with gr.Tabs():
            with gr.Tab("Curves"):
                gr.Button("Save this view (HTML)").click(None, js=figure_tools.SAVE_VIEW_JS, api_name=False, queue=False)
                gr.Plot(a, label="loss plot", show_label=False)
                gr.Markdown("The loss falls, then rises.", elem_classes=["caption"])
                gr.Plot(b, label="heat plot", show_label=False)
                with gr.Accordion("Advanced settings", open=False):
                    gr.Slider(0, 1, label="hidden in presenter mode")
            with gr.Tab("Other"):
                gr.Plot(go.Figure(go.Bar(y=[1, 2]), layout={"title": {"text": "Not in the saved view"}}))
    port = _port()
    demo.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True, ssr_mode=False,
                head=figure_tools.head(), css_paths=[STATIC / "present.css"],
                app_kwargs={"middleware": [figure_tools.middleware()]})
    yield f"http://127.0.0.1:{port}/"
    demo.close()


@pytest.fixture()
def tiny(browser, tiny_url):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    page.goto(tiny_url)
    page.wait_for_function("() => [...document.querySelectorAll('.js-plotly-plot')].filter(p => p.offsetParent)"
                           ".filter(p => p.querySelector('.main-svg')).length >= 2", timeout=60_000)
    yield page
    context.close()


def _plot(page, title: str):
    return page.locator(".block", has=page.locator(".js-plotly-plot")).filter(has_text=title)


def _download(page, locator) -> tuple[str, bytes]:
    with page.expect_download(timeout=30_000) as info:
        locator.click()
    download = info.value
    return download.suggested_filename, Path(download.path()).read_bytes()


def test_png_and_svg_of_a_figure_are_the_figure(tiny):
    block = _plot(tiny, TITLE_A)
    block.hover()
    size = block.locator(".js-plotly-plot").evaluate("gd => [gd._fullLayout.width, gd._fullLayout.height]")
    name, png = _download(tiny, block.get_by_role("button", name="PNG", exact=True))
    assert name == f"Curves-{TITLE_A}.png"
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and png[12:16] == b"IHDR"
    assert list(struct.unpack(">II", png[16:24])) == size  # width, height as laid out on the page
    assert size[1] == 340

    block = _plot(tiny, TITLE_B)
    block.hover()
    name, svg = _download(tiny, block.get_by_role("button", name="SVG", exact=True))
    assert name.startswith("Curves-Samples") and name.endswith(".svg") and "&" not in name
    root = ET.fromstring(svg)  # well-formed XML
    assert root.tag.endswith("svg")
    assert TITLE_B in "".join(root.itertext())
    assert not tiny.errors


def test_saved_view_opens_offline_with_every_visible_figure(tiny, browser, tmp_path):
    name, html = _download(tiny, tiny.get_by_role("button", name="Save this view (HTML)"))
    assert name == "Curves.html"
    text = html.decode("utf-8")
    assert "plotly.js v" in text and "The loss falls, then rises." in text
    assert "Not in the saved view" not in text  # only the open tab
    assert "/tmp" not in text and "site-packages" not in text  # no server folder leaks into the file
    path = tmp_path / name
    path.write_bytes(html)

    context = browser.new_context(offline=True)
    sent: list[str] = []
    context.on("request", lambda r: sent.append(r.url))
    context.route("**/*", lambda route: route.continue_() if route.request.url.startswith("file://") else route.abort())
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(path.as_uri())
    page.wait_for_function("() => document.querySelectorAll('.figure .main-svg').length >= 2", timeout=30_000)
    drawn = page.evaluate("() => [...document.querySelectorAll('.figure')].map(gd => Array.from(gd.data[0].y || []))")
    titles = page.evaluate("() => [...document.querySelectorAll('.figure .gtitle')].map(t => t.textContent)")
    context.close()
    assert drawn[0] == Y_A  # the figure's own data, carried in the file
    assert titles == [TITLE_A, TITLE_B]
    assert [u for u in sent if not u.startswith("file://")] == []  # nothing asked of any network
    assert not errors


def test_plotly_bundle_route_serves_the_package_file_only(tiny_url):
    import urllib.error
    import urllib.request

    with urllib.request.urlopen(tiny_url + "explainer/plotly.min.js", timeout=30) as reply:
        body = reply.read()
        assert reply.headers["Content-Type"].startswith("text/javascript")
    assert body == figure_tools.PLOTLY_JS.read_bytes()
    with pytest.raises(urllib.error.HTTPError):  # the route is one fixed name, not a folder
        urllib.request.urlopen(tiny_url + "explainer/../explainer/plotly.min.js.map", timeout=30)


def test_present_css_makes_type_large_and_hides_advanced(tiny):
    before = tiny.evaluate("() => parseFloat(getComputedStyle(document.body).fontSize)")
    accordion = tiny.locator(".gr-accordion").filter(has_text="Advanced settings")
    assert accordion.is_visible()
    tiny.evaluate("() => document.body.classList.add('present')")
    sizes = tiny.evaluate("""() => ({
        body: parseFloat(getComputedStyle(document.body).fontSize),
        caption: parseFloat(getComputedStyle(document.querySelector('.caption p')).fontSize),
        title: parseFloat(getComputedStyle(document.querySelector('.js-plotly-plot .gtitle')).fontSize),
    })""")
    assert before < 20 <= sizes["body"]  # the class, not the page's default, made it large
    assert sizes["caption"] >= 20 and sizes["title"] > sizes["body"]
    assert not accordion.is_visible()
