"""The tab's views on the shipped checkpoints: valid figures, clear refusals, live sessions apart."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from explainer.datasets.modes import modes_covered
from explainer.datasets.toy2d import get_dataset
from explainer.diffusion import catalog, sample_model
from explainer.diffusion.frames import reverse_frame, reverse_run
from explainer.diffusion.image_views import guidance_view, inpaint_view, parse_mask
from explainer.diffusion.session import new_session, session_view
from explainer.diffusion.views import exact_view, forward_view, samplers_view, schedules_view
from explainer.figstyle import validated
from explainer.validate import InputError


@pytest.fixture(autouse=True)
def one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def figures(view):
    figs = [v for v in vars(view).values() if hasattr(v, "to_json")]
    for fig in figs:
        validated(fig)  # Plotly's full validator: every property is real
    return figs


@pytest.mark.parametrize("name", list(catalog.MODELS))
def test_every_shipped_checkpoint_loads_with_its_measurements(name):
    m = catalog.load(name)
    assert m.schedule.T == 1000 and not any(p.requires_grad for p in m.net.parameters())
    assert ("guidance" if m.is_digits else "quality_vs_steps") in m.metrics


@pytest.mark.parametrize(("data", "t"), [("ring", 0), ("grid", 500), ("digits", 1000), ("moons", 37)])
def test_forward_view(data, t):
    view = forward_view(data, "cosine", t, 0)
    assert len(figures(view)) == 2 and f"t = {t}" in view.status


def test_schedules_view_names_both_half_crossings():
    view = schedules_view(300, 0, 5)
    figures(view)
    assert "linear" in view.status and "cosine" in view.status and "½" in view.status


def test_reverse_run_scrubs_every_frame():
    run_ = reverse_run("diffusion_ring", 0, "ddim", 50, 0.5)
    assert len(run_) == 51 and run_.t[0] == 1000 and run_.t[-1] == 0
    first, last = reverse_frame(run_, 0), reverse_frame(run_, len(run_) - 1)
    figures(first)
    assert first.figure.to_json() != last.figure.to_json()
    assert "modes covered" in last.status
    with pytest.raises(InputError, match="Frame must be between 0 and 50"):
        reverse_frame(run_, 51)


def test_reverse_run_of_digits_guided():
    run_ = reverse_run("diffusion_digits", 1, "ddim", 20, 0.0, "7", 3.0)
    assert run_.x.shape == (21, 8, 64)
    figures(reverse_frame(run_, 10))


@pytest.mark.parametrize(("args", "message"), [
    (("diffusion_ring", 0, "ddpm", 0, 0.0), "Number of steps must be between 1 and 1000"),
    (("diffusion_ring", 0, "ddpm", 10**6, 0.0), "Number of steps must be between 1 and 1000"),
    (("diffusion_ring", 0, "ddim", 50, math.nan), "η"),
    (("diffusion_digits", 0, "ddim", 50, 0.0, "3", -1), "Guidance scale w must be in"),
    (("no_such_model", 0, "ddim", 50, 0.0), "Unknown model"),
])
def test_reverse_run_refuses_bad_settings(args, message):
    with pytest.raises(InputError, match=message):
        reverse_run(*args)


@pytest.mark.parametrize(("fn", "args", "message"), [
    (forward_view, ("ring", "linear", 1001, 0), "Step t must be between 0 and 1000"),
    (forward_view, ("ring", "quadratic", 10, 0), "Unknown schedule"),
    (forward_view, ("ring", "linear", -1, 0), "Step t must be between 0 and 1000"),
    (exact_view, ("diffusion_digits", 10, 0), "needs a 2-D model"),
    (samplers_view, ("diffusion_ring", 0, 0, 0.0), "between 1 and 1000"),
    (samplers_view, ("diffusion_ring", 0, 20, math.nan), "finite number"),
    (guidance_view, ("3", -1, 0), "Guidance scale w must be in"),
    (inpaint_view, (0, "custom", "........\n" * 8, 0), "The mask is empty"),
])
def test_views_refuse_bad_input_with_a_message(fn, args, message):
    with pytest.raises(InputError, match=message):
        fn(*args)


def test_exact_view_ring_and_memorisation_on_moons():
    ring = exact_view("diffusion_ring", 20, 0)
    assert len(figures(ring)) == 3 and "modes" in ring.status
    moons = exact_view("diffusion_moons", 500, 0)
    figures(moons)
    assert "nearest training point" in moons.status


def test_samplers_view_and_guidance_view():
    view = samplers_view("diffusion_grid", 0, 20, 1.0)
    assert len(figures(view)) == 2 and "DDPM" in view.status and "DDIM" in view.status
    view = guidance_view("3", 3.0, 0)
    assert len(figures(view)) == 2 and "w = 3" in view.status


def test_masks_and_inpainting():
    assert parse_mask("left half")[:, :4].all() and not parse_mask("left half")[:, 4:].any()
    assert parse_mask("border (out-painting)").sum() == 64 - 16
    custom = "\n".join(["#......."] + ["........"] * 7)
    assert parse_mask("custom", custom).sum() == 1
    with pytest.raises(InputError, match="8 lines of 8"):
        parse_mask("custom", "##")
    view = inpaint_view(3, "top half", "", 0)
    figures(view)
    assert "re-imposed" in view.status


def test_two_live_sessions_do_not_see_each_other():
    a = new_session("ring", 0, steps=50)
    b = new_session("moons", 1, steps=50)
    a.advance(20)
    assert a.trainer.step_count == 20 and b.trainer.step_count == 0 and b.trainer.losses == []
    b.advance(5)
    assert a.trainer.step_count == 20 and b.trainer.step_count == 5
    view = session_view(a)
    figures(view)
    assert view.status.startswith("Step 20") and "modes" in view.status
    with pytest.raises(InputError, match="Steps per frame"):
        a.advance(10**6)
    with pytest.raises(InputError, match="drawing is empty"):
        new_session("drawn", 0, drawing=np.zeros((50, 50)))


def test_sample_model_gives_the_whole_trajectory():
    tr = sample_model("diffusion_ring", seed=0, sampler="ddim", n_steps=10, n=100)
    assert tr.x.shape == tr.x0_hat.shape == (11, 100, 2)


@pytest.mark.slow
def test_shipped_ring_model_covers_every_mode_at_ddpm_1000():
    ds = get_dataset("ring")
    x = sample_model("diffusion_ring", seed=2024, sampler="ddpm", n=2500, keep=2).samples
    modes, hq = modes_covered(x, ds.centers, ds.std)
    assert modes == 8 and hq >= 0.85
