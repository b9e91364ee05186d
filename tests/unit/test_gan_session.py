"""A person's GAN session: bounded advancing, single steps, side-by-side runs, drawn data, the view."""

from __future__ import annotations

import base64

import numpy as np
import pytest
import torch

from explainer.figstyle import validated
from explainer.gan import modes_covered
from explainer.datasets.toy2d import decode_drawing
from explainer.gan.session import Display, new_session
from explainer.gan.views import session_view
from explainer.validate import InputError

CPU = torch.device("cpu")


pytestmark = pytest.mark.usefixtures("one_thread")  # as the server runs (tests/conftest.py)


def test_advance_counts_steps_and_never_passes_the_preset_length():
    session = new_session("Mode collapse", "ring", 0, CPU, overrides={"batch_size": 32})
    assert session.advance(7) == 7 and session.main.step_count == 7
    session.main.config = session.main.config.replace(steps=10)
    assert session.advance(50) == 3 and session.finished
    assert session.advance(5) == 0
    with pytest.raises(InputError, match="Steps per frame"):
        session.advance(10**6)


def test_single_updates_touch_only_what_they_name():
    session = new_session("Mode collapse", "ring", 0, CPU)
    g_before = [p.clone() for p in session.main.g_net.parameters()]
    session.single("d")
    assert all(torch.equal(a, b) for a, b in zip(g_before, session.main.g_net.parameters()))
    assert session.main.step_count == 0
    session.single("both")
    assert session.main.step_count == 1
    with pytest.raises(InputError):
        session.single("sideways")


def test_side_by_side_uses_the_same_data_and_seed_and_the_published_settings():
    session = new_session("PacGAN", "grid", 3, CPU, compare_with="PacGAN", overrides={"width": 8})
    left, right = session.trainers
    assert session.labels == ("Mode collapse", "PacGAN")
    assert left.seed == right.seed == 3 and left.data.name == right.data.name == "grid"
    assert right.config.pack == 2 and left.config.pack == 1
    assert left.config.g_width == right.config.g_width != 8  # overrides are not applied when comparing
    with pytest.raises(InputError, match="choose another preset"):
        new_session("Mode collapse", "ring", 0, CPU, compare_with="Mode collapse")


def test_overrides_reach_the_config():
    session = new_session("Mode collapse", "moons", 0, CPU,
                          overrides={"width": 32, "depth": 2, "loss": "least-squares", "d_steps": 2})
    c = session.main.config
    assert (c.g_width, c.d_width, c.g_depth, c.d_depth, c.loss, c.d_steps) == (32, 32, 2, 2, "least-squares", 2)
    with pytest.raises(InputError):
        new_session("Mode collapse", "ring", 0, CPU, overrides={"width": 10**6})


def test_a_drawing_becomes_the_data():
    image = np.full((64, 64, 3), 255, np.uint8)
    image[30:34, 8:56] = 0  # a horizontal bar
    session = new_session("Mode collapse", "drawn", 0, CPU, drawing=image)
    points = session.main.data.sample_numpy(500, seed=0)
    assert np.ptp(points[:, 0]) > 5 * np.ptp(points[:, 1])  # wide and flat, like the bar
    with pytest.raises(InputError, match="draw something"):
        new_session("Mode collapse", "drawn", 0, CPU, drawing=np.full((64, 64, 3), 255, np.uint8))


def test_view_status_reports_what_the_frame_measured():
    session = new_session("Mode collapse", "ring", 0, CPU)
    session.advance(20)
    view = session_view(session, Display(manifold=True))
    for fig in (view.plane, view.curves):
        validated(fig)
    modes, quality = modes_covered(session.main.sample(2500, seed=2500), session.main.data.centers,
                                   session.main.data.std)
    assert f"**{modes} / 8 modes**" in view.status and f"{100 * quality:.1f}%" in view.status
    assert "step 20 of" in view.plane.layout.title.text and view.compare is None
    assert "steps/s" in view.status and "CPU" in view.status


def test_advanced_widgets_left_at_the_preset_values_keep_the_preset_exactly():
    from explainer.gan import preset_config

    preset = preset_config("Mode collapse", "ring")
    shown = {"width": preset.g_width, "depth": preset.g_depth, "latent_dim": preset.latent_dim,
             "g_lr": preset.g_lr, "d_lr": preset.d_lr, "d_steps": preset.d_steps,
             "batch_size": preset.batch_size, "loss": preset.loss}  # what the tab's widgets show
    assert preset.g_depth != preset.d_depth  # so applying "Depth" unchanged would alter D
    assert new_session("Mode collapse", "ring", 0, CPU, overrides=shown).main.config == preset
    deeper = new_session("Mode collapse", "ring", 0, CPU, overrides={**shown, "depth": 4}).main.config
    assert (deeper.g_depth, deeper.d_depth, deeper.g_width) == (4, 4, preset.g_width)


def test_a_single_d_update_shows_in_the_status():
    session = new_session("Mode collapse", "ring", 0, CPU)
    assert "Step 0 · 0 D updates · not trained yet" in session_view(session).status
    session.single("d")
    status = session_view(session).status
    assert "Step 0 · 1 D update · single updates only" in status, status  # the D update is visible
    session.single("both")  # Mode collapse: d_steps = 1
    assert "Step 1 · 2 D updates" in session_view(session).status
    session.advance(3)
    status = session_view(session).status
    assert "Step 4 · 5 D updates" in status and "steps/s" in status


def test_side_by_side_curves_overlay_both_runs():
    session = new_session("PacGAN", "ring", 0, CPU, compare_with="PacGAN")
    session.advance(2)
    curves = session_view(session).curves
    by_name = {t.name: t for t in curves.data}
    for trainer, label in zip(session.trainers, session.labels):
        np.testing.assert_allclose(by_name[f"L_G (generator) · {label}"].y, trainer.history.g_loss, rtol=1e-3, atol=1e-4)
        assert list(by_name[f"modes covered · {label}"].y) == trainer.history.modes
    dashes = {t.line.dash for t in curves.data if t.name.endswith("PacGAN")}
    assert dashes == {"dash"} and "Mode collapse (solid) vs PacGAN (dashed)" in curves.layout.title.text


def test_comparing_still_checks_the_advanced_settings():
    with pytest.raises(InputError, match="generator width"):
        new_session("PacGAN", "ring", 0, CPU, compare_with="PacGAN", overrides={"width": 10**6})


def test_drawn_without_a_drawing_says_what_to_do():
    with pytest.raises(InputError, match="draw something on the canvas .* then press New run"):
        new_session("Mode collapse", "drawn", 0, CPU, drawing=None)


def _encoded(mask: np.ndarray) -> str:
    """What the tab's canvas sends (the JS in demos/canvas.py): 'WxH:' + base64 of np.packbits order bits."""
    return f"{mask.shape[1]}x{mask.shape[0]}:" + base64.b64encode(np.packbits(mask)).decode()


def test_the_canvas_encoding_decodes_to_the_mask():
    rng = np.random.default_rng(0)
    for shape in ((160, 160), (7, 5)):  # 35 bits: the last byte is partly padding
        mask = rng.random(shape) < 0.3
        np.testing.assert_array_equal(decode_drawing(_encoded(mask)), mask)
    assert decode_drawing("") is None and decode_drawing(None) is None
    bar = np.zeros((160, 160), bool)
    bar[70:80, 10:150] = True
    session = new_session("Mode collapse", "drawn", 0, CPU, drawing=decode_drawing(_encoded(bar)))
    points = session.main.data.sample_numpy(500, seed=0)
    assert np.ptp(points[:, 0]) > 5 * np.ptp(points[:, 1])  # wide and flat, like the bar


@pytest.mark.parametrize("text", ["160x160", "160x160:@@@@", "0x0:", "99999x2:AAAA", "4x4:AAAAAA==", 42, "x" * 10**6,
                                  "4x4:" + base64.b64encode(b"\xff\xff\xff").decode()])
def test_unreadable_drawings_are_refused(text):
    with pytest.raises(InputError, match="clear the canvas and draw again"):
        decode_drawing(text)


def test_frames_for_a_drawing_cost_no_more_than_for_the_ring():
    """What one streamed frame sends (plane + curves JSON): a drawing of 25,600 ink pixels adds nothing."""
    full = np.ones((160, 160), bool)  # every pixel inked: the most a drawing can hold
    sizes = {}
    for name, drawing in (("ring", None), ("drawn", full)):
        session = new_session("Mode collapse", name, 0, CPU, drawing=drawing)
        session.advance(30)
        view = session_view(session)
        sizes[name] = len(view.plane.to_json()) + len(view.curves.to_json())
    assert sizes["drawn"] <= 1.1 * sizes["ring"], sizes
