"""The GAN tab through gradio_client: start, step, stream, pause and reset per session; bad settings."""

from __future__ import annotations

import json
import re
import time
import urllib.request

import pytest
from gradio_client import Client
from gradio_client.exceptions import AppError

from demos.liveplot import FrameEncoder, decode, keyframe
from explainer.gan.catalog import LIMITS, GANConfig, validate_config
from explainer.validate import InputError
from tests.helpers import call_raw
from tests.ui.plotly_json import figure as curves_figure

SHOW = ["D's opinion (heatmap)", "G's push (arrows)", "real samples", "generated samples"]


def settings(preset="Mode collapse", dataset="ring", seed=0, *, compare=False, width=64, depth=2, latent=2,
             g_lr=1e-3, d_lr=1e-3, d_steps=1, batch=128, loss="non-saturating", drawing=None):
    """New run's inputs: the settings and the drawing (the canvas value; None = nothing drawn)."""
    return [preset, dataset, seed, compare, drawing, width, depth, latent, g_lr, d_lr, d_steps, batch, loss]


def view_settings(**changes):
    """The settings every other GAN event takes: New run's, without the drawing."""
    values = settings(**changes)
    return values[:4] + values[5:]


def plane(value, key: dict | None = None) -> dict:
    """A LivePlot value (or a gr.update carrying one) -> the Plotly figure dict it draws."""
    if isinstance(value, dict) and value.get("__type__") == "update":
        value = value["value"]
    assert isinstance(value, str), value
    return decode(value, key)


def step_of(status: str) -> int:
    return int(re.match(r"Step ([\d,]+)", status).group(1).replace(",", ""))


def d_updates_of(status: str) -> int:
    return int(re.search(r"([\d,]+) D updates?", status).group(1).replace(",", ""))


def app_config(app_url: str) -> dict:
    with urllib.request.urlopen(f"{app_url}config", timeout=30) as reply:
        return json.loads(reply.read())


def gan_components(config: dict) -> dict[str, dict]:
    """label (or elem_id) -> component, for the components inside the GAN tab."""
    by_id = {c["id"]: c for c in config["components"]}
    tab = next(c for c in config["components"] if c.get("props", {}).get("id") == "gan")

    def walk(node):
        yield by_id[node["id"]]
        for child in node.get("children", []):
            yield from walk(child)

    def find(node):
        if node["id"] == tab["id"]:
            return node
        return next((hit for child in node.get("children", []) if (hit := find(child))), None)

    inside = list(walk(find(config["layout"])))
    return {c["props"].get("label") or c["props"].get("elem_id") or c["props"].get("value") or str(c["id"]): c
            for c in inside}

def test_two_sessions_train_side_by_side_without_seeing_each_other(app_url):
    alice, bob = Client(app_url, verbose=False), Client(app_url, verbose=False)
    a = settings(dataset="ring", seed=1)
    b = settings(preset="PacGAN", dataset="grid", seed=2, width=32)
    out = alice.predict(*a, SHOW, api_name="/gan_new_run")
    assert step_of(out[-1]) == 0 and "/ 8 modes" in out[-1]
    bob.predict(*b, SHOW, api_name="/gan_new_run")

    a_view, b_view = view_settings(dataset="ring", seed=1), view_settings(preset="PacGAN", dataset="grid", seed=2,
                                                                          width=32)
    job = bob.submit(20, SHOW, *b_view, api_name="/gan_train")  # Bob trains, streaming frames
    for _ in range(3):
        out = alice.predict(SHOW, *a_view, api_name="/gan_step")  # Alice steps meanwhile
    assert step_of(out[-1]) == 3 and "Mode collapse" in out[-1] and "/ 8 modes" in out[-1]
    deadline = time.time() + 60
    while len(job.outputs()) < 3 and time.time() < deadline:
        time.sleep(0.2)
    job.cancel()  # Pause: the run stops, the models stay
    time.sleep(1.0)
    frames = job.outputs()
    assert len(frames) >= 3, "training streamed fewer than 3 frames"
    steps = [step_of(f[-1]) for f in frames]
    assert steps == sorted(steps) and steps[-1] > 0
    assert all("/ 25 modes" in f[-1] and "PacGAN" in f[-1] for f in frames)
    # The planes arrive as a keyframe, then deltas of it: decoded in order, each shows its frame's step.
    key = None
    for f in frames:
        figure = plane(f[0], key)
        key = figure if "key" in json.loads(f[0]) else key
        assert re.fullmatch(rf"PacGAN: step {step_of(f[-1]):,} of [\d,]+", figure["layout"]["title"]["text"])
        assert [t["type"] for t in figure["data"]][:2] == ["heatmap", "scatter"]

    before = bob.predict(*b_view, SHOW, api_name="/gan_view")[-1]
    after = bob.predict(SHOW, *b_view, api_name="/gan_step_d")  # one D update: the step count stays ...
    assert step_of(after[-1]) == step_of(before) and "/ 25 modes" in after[-1]
    assert d_updates_of(after[-1]) == d_updates_of(before) + 1  # ... and the status says a D update happened
    out = alice.predict(SHOW, *a_view, api_name="/gan_step_g")
    assert step_of(out[-1]) == 4 and "/ 8 modes" in out[-1]  # a G update completes a step; Bob did not touch it

    reset = bob.predict(*b, SHOW, api_name="/gan_new_run")
    assert step_of(reset[-1]) == 0
    assert step_of(alice.predict(*a_view, SHOW, api_name="/gan_view")[-1]) == 4


def test_plane_figure_shows_real_and_generated_points(client):
    left, right, curves, status = client.predict(*settings(), SHOW, api_name="/gan_new_run")
    names = [t.get("name", "") for t in plane(left)["data"]]
    assert any("real" in n.lower() for n in names) and any("generated" in n.lower() or "g(z)" in n.lower()
                                                           for n in names), names
    assert any(t["type"] == "heatmap" for t in plane(left)["data"])
    assert "step 0 of" in plane(left)["layout"]["title"]["text"]


def test_side_by_side_draws_both_runs(client):
    out = client.predict(*settings(preset="Minibatch std", compare=True), SHOW, api_name="/gan_new_run")
    assert "Mode collapse:" in out[-1] and "Minibatch std:" in out[-1]
    assert plane(out[1])["layout"]["title"]["text"].startswith("Minibatch std")
    assert plane(out[0])["layout"]["title"]["text"].startswith("Mode collapse")  # the left plane
    names = [t["name"] for t in curves_figure(out[2])["data"]]  # the curves: both runs, each trace labelled
    for run in ("Mode collapse", "Minibatch std"):
        assert f"L_G (generator) · {run}" in names and f"modes covered · {run}" in names, names


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"width": 10**6}, "width .* between 2 and 512"),
        ({"batch": 0}, "batch size .* between 8 and 2048"),
        ({"g_lr": -1.0}, r"generator learning rate .* in \[1e-06, 0.1\]"),
        ({"g_lr": 1.0}, r"generator learning rate .* in \[1e-06, 0.1\]"),
        ({"compare": True, "width": 10**6}, "width"),  # checked even though a comparison ignores it
        ({"loss": "hinge"}, "not in the list of choices|Unknown|loss"),
        ({"compare": True}, "choose another preset"),
        ({"dataset": "drawn"}, "draw something"),
    ],
)
def test_absurd_settings_come_back_as_clear_errors(client, change, message):
    values = settings(**change)
    with pytest.raises(AppError, match=message):
        client.predict(*values, SHOW, api_name="/gan_new_run")


def test_nan_learning_rate_through_the_raw_api_is_refused(app_url):
    body = json.dumps({"data": settings(g_lr=0.001) + [SHOW]}).replace("0.001", "NaN", 1)
    reply = call_raw(app_url, "gan_new_run", body)
    assert "event: error" in reply and "G learning rate must be a finite number" in reply, reply


def test_a_refusal_stays_in_the_status_line_and_clears_the_discarded_run(client):
    client.predict(*settings(), SHOW, api_name="/gan_new_run")
    for _ in range(2):
        client.predict(SHOW, *view_settings(), api_name="/gan_step")
    job = client.submit(*settings(g_lr=0.5), SHOW, api_name="/gan_new_run")
    with pytest.raises(AppError, match="learning rate"):
        job.result()
    left, _, curves, status = job.outputs()[-1]  # what the page shows after the toast has gone
    assert status.startswith("**Refused:**") and "generator learning rate" in status and "New run" in status
    assert left is None and curves is None  # the old run is gone, so are its figures
    # Train / Step must not quietly go on with the old run: they start from the settings shown, which
    # are still refused, and say so.
    with pytest.raises(AppError, match="learning rate"):
        client.predict(SHOW, *view_settings(g_lr=0.5), api_name="/gan_step")
    out = client.predict(SHOW, *view_settings(), api_name="/gan_step")  # fixed: a new run, one step
    assert step_of(out[-1]) == 1


def test_a_refusal_with_a_run_loaded_keeps_the_run_and_its_figures():
    import gradio as gr

    from demos.gan import _reporting

    def refuse(session, *values):
        raise InputError("Speed must be between 1 and 500, got 0.")

    for session, kept in ((object(), True), (None, False)):
        event = _reporting(refuse, session_first=True)(session, 0)
        outputs = next(event)  # first the status line, ...
        with pytest.raises(gr.Error, match="Speed must be"):  # ... then the toast
            next(event)
        assert outputs[-1].startswith("**Refused:** Speed must be")
        if kept:
            assert ("Nothing changed" in outputs[-1]
                    and all(isinstance(o, dict) and o.get("__type__") == "update" and len(o) == 1 for o in outputs[:4]))
        else:
            assert outputs[:2] == (None, None) and outputs[3] is None and "New run" in outputs[-1]


def test_widget_limits_are_the_validators_limits(app_url):
    widgets = gan_components(app_config(app_url))
    fields = {"Width (hidden units, G and D)": ("width", "g_width"), "Depth (hidden layers, G and D)": ("depth", "g_depth"),
              "Latent size (z)": ("latent_dim", "latent_dim"), "Batch size": ("batch_size", "batch_size"),
              "G learning rate": ("lr", "g_lr"), "D learning rate": ("lr", "d_lr"),
              "D steps per G step": ("d_steps", "d_steps")}
    for label, (limit, field) in fields.items():
        props = widgets[label]["props"]
        assert (props["minimum"], props["maximum"]) == (LIMITS[limit].lo, LIMITS[limit].hi), label
        for inside in (props["minimum"], props["maximum"]):  # the widget's ends are accepted ...
            validate_config(GANConfig(**{field: inside}))
        for outside in (props["minimum"] / 2, props["maximum"] * 2):  # ... and just beyond them refused
            with pytest.raises(InputError):
                validate_config(GANConfig(**{field: outside}))


def test_buttons_are_plain_text_and_only_new_run_reads_the_drawing(app_url):
    config = app_config(app_url)
    widgets = gan_components(config)
    buttons = [c["props"]["value"] for c in widgets.values() if c["type"] == "button"]
    assert "Train / resume" in buttons and "Pause" in buttons
    assert all(ch.isascii() or ch in "·–—" for label in buttons for ch in label), buttons  # no ▶ ⏸ (boxes offline)
    canvas = widgets["gan-drawing"]["id"]
    readers = [d.get("api_name") for d in config["dependencies"] if canvas in d["inputs"]]
    assert readers == ["gan_new_run"], readers  # every other event would re-send it with each frame


def test_the_plane_caption_reads_the_legend_as_the_figure_draws_it():
    from demos.gan import PLANE_CAPTION
    from explainer.gan import GANTrainer, build_plane, plane_frame

    frame = plane_frame(GANTrainer.from_preset("Mode collapse", 0, g_width=16, d_width=16), grid_size=4)
    symbols = {t.name: t.marker.symbol for t in build_plane(frame).data if (t.name or "").startswith("mode ")}
    assert symbols == {"mode covered": "circle", "mode missed": "circle-open"}
    assert "filled = covered" in PLANE_CAPTION and "hollow = missed" in PLANE_CAPTION
    assert "Circled modes are covered" not in PLANE_CAPTION


# --- demos.liveplot: what the live planes send (pure, no app) ---------------------------------------
def _planes_of_a_run(n: int) -> list:
    """The plane figure of one small run after 0, 5, 10, ... steps (what a Train stream draws)."""
    from explainer.gan import GANTrainer, build_plane, plane_frame

    trainer = GANTrainer.from_preset("Mode collapse", 0, g_width=16, d_width=16)
    figures = []
    for _ in range(n):
        figures.append(build_plane(plane_frame(trainer, grid_size=8, n_real=50, n_fake=60, n_arrows=10),
                                   title=f"step {trainer.step_count}"))
        trainer.train(5)
    return figures


def test_live_frames_decode_to_the_figures_plotly_would_be_sent():
    figures = _planes_of_a_run(4)
    encoder, key = FrameEncoder(), None
    for i, fig in enumerate(figures):
        payload = encoder.encode(fig)
        figure = decode(payload, key)
        if i == 0:
            assert "key" in json.loads(payload)  # the first frame carries the whole figure ...
            key = figure
        else:  # ... later ones only what changed: not the axes, the real data or the mode centres' style
            delta = json.loads(payload)
            assert delta["base"] == key["key"] and "xaxis" not in delta["layout"] and "title" in delta["layout"]
            assert delta["data"][1] == {}, "the real samples did not change, yet were sent again"
            assert "x" in delta["data"][2] and len(payload) < len(keyframe(fig)) / 2
        expected = json.loads(fig.to_json())  # Plotly's own serialisation, the reference
        assert figure["data"] == expected["data"] and figure["layout"] == expected["layout"]


def test_live_frames_resend_a_keyframe_when_the_figure_changes_shape_or_every_n_frames():
    from explainer.gan import GANTrainer, build_plane, plane_frame

    figures = _planes_of_a_run(3)
    encoder = FrameEncoder(keyframe_every=1)
    kinds = ["key" if "key" in json.loads(encoder.encode(f)) else "delta" for f in figures]
    assert kinds == ["key", "delta", "key"]
    encoder = FrameEncoder()
    encoder.encode(figures[0])
    frame = plane_frame(GANTrainer.from_preset("Mode collapse", 0, g_width=16, d_width=16), grid_size=8)
    fewer = build_plane(frame, show_arrows=False)  # the person unticked the arrows: other traces
    assert "key" in json.loads(encoder.encode(fewer))
    stale = FrameEncoder()
    stale.encode(figures[0])
    with pytest.raises(ValueError, match="without that keyframe"):
        decode(stale.encode(figures[1]), decode(keyframe(figures[0])))  # another keyframe than its own
    assert decode(None) is None
