"""The tab's views on the shipped checkpoints: valid figures, clear refusals, live sessions apart."""

from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import pytest

from explainer.datasets.modes import modes_covered
from explainer.datasets.toy2d import get_dataset
from explainer.diffusion import catalog, sample_model
from explainer.datasets import digits as digit_data
from explainer.diffusion.frames import ReverseSampling, paused_status, reverse_frame, reverse_run
from explainer.diffusion.image_views import digit_backdrop, guidance_view, inpaint_view, parse_mask, preset_mask
from explainer.diffusion.session import new_session, session_view
from explainer.diffusion.views import exact_view, forward_view, samplers_view, schedules_view
from explainer.figstyle import validated
from explainer.validate import InputError


pytestmark = pytest.mark.usefixtures("one_thread")  # as the server runs (tests/conftest.py)


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


def test_a_reverse_run_keeps_only_the_points_it_shows():
    """What a visitor's state holds: the shown points' arrays, not views keeping all sampled points alive."""
    run_ = reverse_run("diffusion_ring", 0, "ddim", 20, 0.0)  # 1,000 points sampled, 400 shown
    for a in (run_.x, run_.eps):
        assert a.shape == (21, catalog.SETTINGS.shown_points, 2)
        assert (a if a.base is None else a.base).nbytes == a.nbytes  # owns what it shows, nothing more


@pytest.mark.parametrize("model", ["diffusion_moons", "diffusion_digits"])
def test_streamed_sampling_grows_to_the_one_shot_run(model):
    whole = reverse_run(model, 3, "ddpm", 1000, 0.0)
    sampling = ReverseSampling(model, 3, "ddpm", 1000, 0.0)
    sizes = []
    for chunk in (1, 5, 120, 300, 10**6):
        sampling.advance(chunk)
        sizes.append(len(sampling.run()))
    assert sizes == [1, 1, 13, 43, 101] and sampling.done
    streamed = sampling.run()
    assert streamed.complete and streamed.summary == whole.summary
    for name in ("t", "x", "eps", "field"):
        np.testing.assert_array_equal(getattr(streamed, name), getattr(whole, name), err_msg=name)


@pytest.mark.parametrize("model, sampler", [("diffusion_ring", "ddpm"), ("diffusion_digits", "ddim")])
def test_a_runs_guess_of_x0_is_the_number_the_walk_computed(model, sampler):
    """x̂_0 is not kept but recomputed per frame from x_t and ε̂: bit for bit what the walk computed
    (the digits model clips x̂_0 and re-derives ε̂, so this holds there too); the last frame is the sample."""
    sampling = ReverseSampling(model, 5, sampler, 100, 0.0)
    sampling.advance()
    run_, walked = sampling.run(), sampling.walk.trajectory()
    shown = run_.x.shape[1]
    for f in range(len(run_)):
        np.testing.assert_array_equal(run_.x0_hat(f), walked.x0_hat[f, :shown], err_msg=f"frame {f}")
    np.testing.assert_array_equal(run_.x0_hat(len(run_) - 1), run_.x[-1])


def test_a_paused_run_scrubs_what_it_has_and_says_so():
    sampling = ReverseSampling("diffusion_ring", 0, "ddpm", 1000, 0.0)
    sampling.advance(1)
    first = sampling.run()
    assert len(first) == 1 and first.total == 101 and not first.complete
    view = reverse_frame(first, 0)
    figures(view)
    assert "frame 0 of 100" in view.figure.layout.title.text and "Sampling… 1 of 101 frames" in view.status
    sampling.advance(250)
    partial = sampling.run()
    assert len(partial) == 26 and len(partial.field) == 26  # the ε̂ field grew with the frames
    with pytest.raises(InputError, match="Frame 30 is not sampled yet: sampling stopped at frame 25"):
        reverse_frame(partial, 30)
    assert "Paused** after 26 of 101 frames (t = 750)" in paused_status(partial)
    assert "Paused** at frame 7 of 100" in paused_status(reverse_run("diffusion_ring", 0, "ddim", 100, 0.0), 7)


def test_evaluate_runs_as_a_module_without_runpy_warnings():
    done = subprocess.run([sys.executable, "-W", "error::RuntimeWarning", "-m", "explainer.diffusion.evaluate",
                           "--help"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and "RuntimeWarning" not in done.stderr, done.stderr


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
    (inpaint_view, (0, [[0] * 8] * 8, 0), "The mask is empty"),
    (inpaint_view, (0, [[1] * 8] * 7, 0), "8 rows of 8 cells"),
    (inpaint_view, (0, [[1] * 7 + [2]] * 8, 0), "8 rows of 8 cells"),
    (inpaint_view, (0, [[math.nan] * 8] * 8, 0), "8 rows of 8 cells"),
    (inpaint_view, (0, "custom", 0), "Unknown mask"),
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


@pytest.mark.gpu
def test_exact_view_asked_for_on_cuda_is_the_cpu_view():  # the app on CUDA once sent CPU points to a CUDA net
    on_gpu, on_cpu = exact_view("diffusion_ring", 20, 0, "cuda"), exact_view("diffusion_ring", 20, 0)
    assert on_gpu.status == on_cpu.status


def test_samplers_view_and_guidance_view():
    view = samplers_view("diffusion_grid", 0, 20, 1.0)
    assert len(figures(view)) == 2 and "DDPM" in view.status and "DDIM" in view.status
    view = guidance_view("3", 3.0, 0)
    assert len(figures(view)) == 2 and "w = 3" in view.status


def test_masks_and_inpainting():
    assert parse_mask("left half")[:, :4].all() and not parse_mask("left half")[:, 4:].any()
    assert parse_mask("border (out-painting)").sum() == 64 - 16
    painted = [[0] * 8 for _ in range(8)]
    painted[0][0] = painted[7][2] = 1
    mask = parse_mask(painted)
    assert mask.sum() == 2 and mask[0, 0] and mask[7, 2]
    np.testing.assert_array_equal(parse_mask(preset_mask("top half").astype(int).tolist()), preset_mask("top half"))
    view = inpaint_view(3, "top half", 0)
    figures(view)
    assert "re-imposed" in view.status and "32 of 64 pixels hidden" in view.strip.layout.title.text


def test_a_painted_mask_fills_only_the_painted_pixels():
    painted = np.zeros((8, 8), bool)
    painted[2:5, 3:6] = True  # 9 cells
    view = inpaint_view(5, painted.astype(int).tolist(), 1)
    assert "9 of 64 pixels hidden" in view.strip.layout.title.text
    tiles = np.asarray(view.strip.data[0].z, dtype=np.float64)  # per seed a row: original, known, frames…, result
    tile = lambda row, col: tiles[9 * row:9 * row + 8, 9 * col:9 * col + 8]  # noqa: E731
    original, last = digit_data.load("test").images[5], tiles.shape[1] // 9
    np.testing.assert_allclose(tile(0, 1), np.where(painted, 0.5, original), atol=1e-3)  # grey = hidden
    for row in range(4):
        np.testing.assert_allclose(tile(row, last)[~painted], original[~painted], atol=2e-3)  # known kept
    assert not np.allclose(tile(0, last)[painted], original[painted], atol=2e-3)  # the rest is the model's
    backdrop = np.array(digit_backdrop(5)).reshape(8, 8)
    np.testing.assert_allclose(backdrop, digit_data.load("test").images[5], atol=1e-3)


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
