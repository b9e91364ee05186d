"""Every slider of every tab, over its whole range, with the other controls at their defaults:
each view the slider feeds either draws figures with data, or refuses with a specific message
saying what to change — a gr.Error, or (the page's way) empty frames with words on them plus a
note in a text output — never the generic "Something went wrong" message, never a blank box.

The app is the one ``python app.py`` builds; its events and sliders are discovered from the
Blocks (tests/ui/app_config.py), so a tab registered in app.py is covered without editing this
file. Each event is called the way the queue calls it (``Blocks.process_api``: the slider's own
preprocess and bound check, the function, postprocess), in a fresh session. Streaming events
(generators: training, denoising) are judged on their first two frames, then closed.

Both ends of every slider, and typed-text edge cases, run by default; the interior of each range
and the streams are marked slow (minutes on the shared 2-core machine). No timed assertion: each
sweep prints how many calls it made and how long they took.
"""

from __future__ import annotations

import time
from collections import defaultdict

import gradio as gr
import pytest
import torch

from tests.ui.app_config import (
    GENERIC,
    call_event,
    control_inputs,
    defaults,
    judge_plot,
    run,
    slider_ends,
    slider_inside,
    slider_values,
    text_values,
    texts,
)

@pytest.fixture(scope="module")
def built_app():
    import app as app_module

    torch.set_num_threads(1)
    return app_module.build_app(torch.device("cpu"))


def outcome(app, pair, value) -> tuple[str, str]:
    """("ok", ""), ("refused", the message) or ("bad", what went wrong) for one slider value."""
    inputs = defaults(pair.event)
    inputs[pair.position] = value
    try:
        frames = run(call_event(app, pair.event, inputs))
    except gr.Error as exc:
        message = str(getattr(exc, "message", exc))
        if GENERIC in message:
            return "bad", f"gave the generic message {message!r}"
        if not message.strip():
            return "bad", "raised gr.Error with an empty message"
        return "refused", message
    except Exception as exc:  # noqa: BLE001 - anything else escaped the tab's handler
        return "bad", f"raised {type(exc).__name__}: {str(exc)[:160]} (not a gr.Error)"
    refusal = ""
    for n, frame in enumerate(frames):
        where = f" (frame {n + 1})" if n else ""
        words = texts(pair.event.outputs, frame)
        generic = [w for w in words if GENERIC in w]
        if generic:
            return "bad", f"text output{where} says {generic[0][:120]!r}"
        for component, out in zip(pair.event.outputs, frame):
            kind, detail = judge_plot(component, out)
            label = component.label or type(component).__name__
            if kind == "blank":
                return "bad", f"output {label!r}{where}: {detail}"
            if kind == "frame":  # an empty frame is fine only as a refusal explained next to it
                if not words:
                    return "bad", f"output {label!r}{where} is an empty frame ({detail!r}) and no text says why"
                refusal = words[-1]
    return ("refused", refusal) if refusal else ("ok", "")


def sweep(app, kind: type, values_of, generators: bool) -> None:
    pairs = [p for p in control_inputs(app, kind) if bool(p.event.types_generator) == generators]
    if not pairs:
        pytest.skip(f"no {'streaming' if generators else 'plain'} event has a {kind.__name__} input")
    failures: dict[tuple[str, str], list] = defaultdict(list)
    refusals: dict[str, list] = defaultdict(list)
    start, calls = time.monotonic(), 0
    for pair in pairs:
        for value in values_of(pair.control):
            calls += 1
            verdict, detail = outcome(app, pair, value)
            shown = value if not isinstance(value, str) or len(value) < 40 else f"{value[:12]}…({len(value)} chars)"
            if verdict == "bad":
                failures[(pair.where, detail)].append(shown)
            elif verdict == "refused":
                refusals[pair.where].append((shown, detail[:100]))  # or an empty frame saying why
    seconds = time.monotonic() - start
    tabs = {p.where.split(" · ")[0] for p in pairs}
    print(f"\n{calls} calls over {len(pairs)} (event, {kind.__name__}) pairs in {len(tabs)} tabs: {seconds:.1f} s")
    if kind is gr.Slider:  # allowed, but worth a look: slider positions that are refused
        for where, values in refusals.items():
            print(f"  refused or not drawn yet: {where}: {[v for v, _ in values]} e.g. {values[0][1]!r}")
    report = "\n".join(f"{where} = {values!r}: {problem}" for (where, problem), values in failures.items())
    assert not failures, f"{len(failures)} control/view combinations fail (other controls at defaults):\n{report}"


def test_both_ends_of_every_slider_render_or_are_refused_specifically(built_app):
    sweep(built_app, gr.Slider, slider_ends, generators=False)


@pytest.mark.slow
def test_every_slider_position_inside_the_range_renders_or_is_refused_specifically(built_app):
    """The interior: every position of a short range, else the ends' neighbours, quartiles and default."""
    sweep(built_app, gr.Slider, slider_inside, generators=False)


def test_every_text_box_edge_case_renders_or_is_refused_specifically(built_app):
    """The same property for typed text ('[MASK] [MASK] [MASK] [MASK] [MASK]' once gave the generic message)."""
    sweep(built_app, gr.Textbox, text_values, generators=False)


@pytest.mark.slow
def test_streaming_views_render_over_every_slider_range(built_app):
    """Training / sampling streams, their first two frames, at every value of :func:`slider_values`."""
    sweep(built_app, gr.Slider, slider_values, generators=True)


def test_the_sweep_tells_good_views_from_blank_and_generic_ones():
    """The checker itself, on a toy app: it must flag a blank box and the generic message."""
    import plotly.graph_objects as go

    from demos.common import handler

    def view(n):
        if n == 3:
            raise RuntimeError("boom")  # handler() turns this into the generic message
        if n == 4:
            return go.Figure(), ""
        if n == 5:
            raise gr.Error("Pick at most 4.")
        return go.Figure(go.Scatter(x=[0, n], y=[1, 2])), "fine"

    with gr.Blocks() as toy:
        with gr.Tab("Toy"):
            n = gr.Slider(0, 5, value=0, step=1, label="n")
            fig, note = gr.Plot(), gr.Markdown()
        n.change(handler(view), n, [fig, note], api_name="toy")
    [pair] = control_inputs(toy)
    assert slider_values(pair.control) == [0, 1, 2, 3, 4, 5]
    assert slider_ends(pair.control) == [0, 5] and slider_inside(pair.control) == [1, 3, 4]
    kinds = {v: outcome(toy, pair, v)[0] for v in slider_values(pair.control)}
    assert kinds == {0: "ok", 1: "ok", 2: "ok", 3: "bad", 4: "bad", 5: "refused"}, kinds
    assert pair.where == "Toy · event 'toy' · slider 'n'"
    assert "[MASK] [MASK] [MASK] [MASK] [MASK]" in text_values(gr.Textbox("a [MASK] b", render=False))


def test_no_slider_shows_the_reset_arrow(built_app):
    """Gradio's ↺ sets a slider without an .input event, so the figures would not follow it."""
    config = built_app.get_config_file()
    shown = [c["props"].get("label") for c in config["components"]
             if c["type"] == "slider" and c["props"].get("buttons") != []]
    assert not shown, shown


def test_every_slider_sends_its_range_and_value_to_the_browser(built_app):
    """The browser draws a slider from its config: without value / minimum / maximum it sends null."""
    config = built_app.get_config_file()
    sliders = [c["props"] for c in config["components"] if c["type"] == "slider"]
    missing = [p.get("label") for p in sliders if not {"value", "minimum", "maximum", "step"} <= p.keys()]
    assert sliders and not missing, missing


def test_tab_bars_hold_only_tabs(built_app):
    """A component created among a gr.Tabs' children (e.g. an event's gr.State made after a tab's
    ``with`` block) shifts every tab after it: the browser duplicated one tab's header and lost another's."""
    config = built_app.get_config_file()
    kinds = {c["id"]: c["type"] for c in config["components"]}
    strays = []

    def walk(node):
        children = node.get("children") or []
        if kinds.get(node["id"]) == "tabs":
            strays.extend(kinds[k["id"]] for k in children if kinds[k["id"]] != "tabitem")
        for child in children:
            walk(child)

    walk(config["layout"])
    assert not strays, strays
