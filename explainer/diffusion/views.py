"""The diffusion tab's light views: raw widget values in, a frozen dataclass of figures out.

Forward process, schedules, exact vs learned, samplers. Every input is checked here
(:class:`~explainer.validate.InputError` says what to change); the arrays come from the
library, the figures from :mod:`explainer.diffusion.figures`. Step numbers are shown as in
Ho et al.: t = 0 is the data, t = 1 … T the noised steps (library index t − 1).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go
import torch

from explainer import validate
from explainer.datasets import digits as digit_data
from explainer.datasets.toy2d import get_dataset
from explainer.diffusion import figures as figs
from explainer.diffusion.catalog import SETTINGS, TOY_MODELS, load
from explainer.diffusion.evaluate import quality
from explainer.diffusion.exact import GaussianMixture, exact_eps_fn, nearest_distance
from explainer.denoising.sample import run
from explainer.denoising.schedule import NoiseSchedule
from explainer.diffusion.training import from_model, to_model

T = 1000  # steps of every schedule here
FORWARD_DATA = ("ring", "grid", "moons", "spiral", "digits")
SCHEDULES = ("linear", "cosine")
STRIP = (0, 50, 100, 250, 500, 750, 1000)  # the steps shown side by side in the schedules view


def _t(value: object) -> int:
    return validate.integer(value, "Step t", lo=0, hi=T)


def _seed(value: object) -> int:
    return validate.integer(value, "Seed", lo=0, hi=2**31 - 1)


def noised(schedule: NoiseSchedule, x0: torch.Tensor, t: int, noise: torch.Tensor) -> torch.Tensor:
    """x at shown step t: the data itself at t = 0, else q_sample at library index t − 1."""
    return x0 if t == 0 else schedule.q_sample(x0, t - 1, noise)


def _levels(schedule: NoiseSchedule) -> dict[str, np.ndarray]:
    abar = np.r_[1.0, schedule.alphas_cumprod.numpy()]  # (T+1,) shown t = 0 … T
    with np.errstate(divide="ignore"):
        return {"ᾱ_t": abar, "√ᾱ_t (signal scale)": np.sqrt(abar), "√(1−ᾱ_t) (noise scale)": np.sqrt(1 - abar),
                "SNR = ᾱ/(1−ᾱ)": abar / np.maximum(1 - abar, 1e-12)}


@dataclass(frozen=True)
class ForwardView:
    samples: go.Figure  # the cloud (or a row of digits) at q(x_t | x_0)
    curves: go.Figure  # ᾱ, √ᾱ, √(1−ᾱ), SNR against t, log axis, t marked
    status: str  # the numbers at t


def forward_view(data: object, schedule: object, t: object, seed: object) -> ForwardView:
    if data not in FORWARD_DATA:
        raise validate.InputError(f"Unknown data {data!r}: choose one of {', '.join(FORWARD_DATA)}.")
    sched = NoiseSchedule.named(schedule, T)
    t, seed = _t(t), _seed(seed)
    gen = torch.Generator().manual_seed(seed)
    abar = 1.0 if t == 0 else float(sched.alphas_cumprod[t - 1])
    title = f"q(x_t | x_0) at t = {t}: x_t = {abar ** 0.5:.3f}·x_0 + {(1 - abar) ** 0.5:.3f}·ε"
    if data == "digits":
        x0 = to_model(digit_data.load("test").images[:8])  # (8, 64)
        xt = noised(sched, x0, t, torch.randn(x0.shape, generator=gen))
        fig = figs.build_digits(from_model(torch.stack([x0, xt])), row_labels=["x_0 (data)", f"x_t, t = {t}"],
                                title=title)
    else:
        ds = get_dataset(data)
        x0 = ds.sample(SETTINGS.shown_points, generator=gen)  # (P, 2)
        xt = noised(sched, x0, t, torch.randn(x0.shape, generator=gen))
        fig = figs.build_planes([("x_0 (data) and x_t", [
            figs.scatter(x0.numpy(), "x_0 (data)", figs.GREY, size=3, opacity=0.4),
            figs.scatter(xt.numpy(), f"x_t (t = {t})", figs.DATA_COLOUR)])], extent=max(ds.extent, 3.5), title=title)
    levels = _levels(sched)
    curves = figs.build_schedule_curves(levels, t_mark=t, title=f"{sched.name} schedule: how much signal is left")
    snr = levels["SNR = ᾱ/(1−ᾱ)"][t]
    status = (f"t = {t}: ᾱ_t = {abar:.4g}, √ᾱ_t = {abar ** 0.5:.4g}, √(1−ᾱ_t) = {(1 - abar) ** 0.5:.4g}, "
              f"SNR = {'∞ (no noise yet)' if t == 0 else f'{snr:.4g}'}.")
    return ForwardView(fig, curves, status)


@dataclass(frozen=True)
class SchedulesView:
    curves: go.Figure  # ᾱ and SNR of both schedules
    digits: go.Figure  # the same digit and noise at the same steps under each
    status: str  # where each crosses ᾱ = ½


def schedules_view(t: object, seed: object, index: object) -> SchedulesView:
    t, seed = _t(t), _seed(seed)
    test = digit_data.load("test")
    i = validate.integer(index, "Test digit", lo=0, hi=len(test) - 1)
    lin, cos = NoiseSchedule.linear(T), NoiseSchedule.cosine(T)
    half = {s.name: s.crossing(0.5) + 1 for s in (lin, cos)}  # shown numbering
    curves = {}
    for s in (lin, cos):
        levels = _levels(s)
        curves[f"ᾱ_t, {s.name}"] = levels["ᾱ_t"]
        curves[f"SNR, {s.name}"] = levels["SNR = ᾱ/(1−ᾱ)"]
    colours = {k: ("#1f77b4" if "linear" in k else "#d62728") for k in curves}
    dashes = {k: "dash" for k in curves if k.startswith("SNR")}
    fig = figs.build_schedule_curves(curves, t_mark=t, colours=colours, dashes=dashes,
                                     title="linear vs cosine: ᾱ_t and SNR on a log axis")
    steps = sorted(set(STRIP) | {t})
    x0 = to_model(test.images[i:i + 1])  # (1, 64)
    noise = torch.randn(x0.shape, generator=torch.Generator().manual_seed(seed))  # the same ε for every cell
    rows = [[from_model(noised(s, x0, k, noise))[0] for k in steps] for s in (lin, cos)]
    digits = figs.build_digits(np.array(rows), row_labels=["linear", "cosine"],
                               col_labels=[f"▶ t={k}" if k == t else f"t={k}" for k in steps],
                               title=f"test digit {i} (a {test.labels[i]}), the same noise ε in every cell")
    status = (f"ᾱ_t falls to ½ at **t = {half['linear']}** with the linear schedule and at **t = {half['cosine']}** "
              f"with the cosine one: the cosine schedule keeps the digit readable for longer and spends fewer steps "
              f"on pure noise. At t = {t}: ᾱ = {float(np.r_[1.0, lin.alphas_cumprod.numpy()][t]):.3f} (linear), "
              f"{float(np.r_[1.0, cos.alphas_cumprod.numpy()][t]):.3f} (cosine).")
    return SchedulesView(fig, digits, status)


@dataclass(frozen=True)
class ExactView:
    field: go.Figure  # exact ε* and learned ε̂ arrows over the plane at t
    error: go.Figure  # the learned model's error against t
    samples: go.Figure  # exact denoiser's samples beside the network's
    status: str  # the measurements


def _exact_for(loaded) -> tuple[GaussianMixture, str]:
    data = loaded.config.data
    if loaded.train_points is not None:
        return GaussianMixture.of(loaded.train_points), f"the exact denoiser of the {len(loaded.train_points):,} training points"
    ds = get_dataset(data)
    return GaussianMixture.of(ds.centers, ds.std), "the exact ε* of the true mixture"


def exact_view(model: object, t: object, seed: object, device: torch.device | str = "cpu") -> ExactView:
    if model not in TOY_MODELS:
        raise validate.InputError(f"The exact answer needs a 2-D model: choose one of {', '.join(TOY_MODELS)}.")
    # On the CPU whatever the app's device: 225 arrows and 400 points, and the exact mixture's
    # ε* (and its samplers) are host tensors; a CUDA copy of the net met CPU inputs here.
    loaded = load(model, "cpu")
    t, seed = validate.integer(t, "Step t", lo=1, hi=T), _seed(seed)
    mixture, what = _exact_for(loaded)
    sched, e = loaded.schedule, get_dataset(loaded.config.data).extent
    abar = float(sched.alphas_cumprod[t - 1])
    side = np.linspace(-0.85 * e, 0.85 * e, 15, dtype=np.float32)
    grid = torch.as_tensor(np.stack(np.meshgrid(side, side), -1).reshape(-1, 2))  # (225, 2)
    with torch.inference_mode():
        learned, exact = loaded.net(grid, t - 1).numpy(), mixture.eps(grid, abar).numpy()
    top = float(np.linalg.norm(exact, axis=1).max())  # both fields drawn on the exact one's scale
    gen = torch.Generator().manual_seed(seed)
    x0 = get_dataset(loaded.config.data).sample(400, generator=gen)
    xt = noised(sched, x0, t, torch.randn(x0.shape, generator=gen)).numpy()
    field = figs.build_planes([(f"ε at t = {t}", [
        figs.scatter(xt, "x_t ~ q(x_t)", figs.GREY, size=3, opacity=0.35),
        figs.arrows(grid.numpy(), -exact, "−ε* exact", figs.EXACT_COLOUR, length=0.12 * e, reference=top),
        figs.arrows(grid.numpy(), -learned, "−ε̂ network", figs.NOISE_COLOUR, length=0.12 * e, dash="dot",
                    reference=top)])],
        extent=e, title=f"exact (solid) vs learned (dotted) noise field at t = {t}, one arrow scale", height=480)
    ts, errs, scale = _error_curve(loaded, mixture, seed)
    error = figs.build_lines(ts, {"E‖ε̂ − ε*‖² (network's error)": errs, "E‖ε*‖² (size of ε*)": scale},
                             title="the network against the exact answer, by step", x_title="diffusion step t",
                             y_title="mean squared (per point)", log_x=True, log_y=True, x_mark=t)
    n, steps = SETTINGS.exact_samples, SETTINGS.exact_steps
    exact_x = run(exact_eps_fn(mixture, sched), sched, (n, 2), seed=seed, sampler="ddim", n_steps=steps, keep=2).samples
    net_x = run(loaded.eps_fn(), sched, (n, 2), seed=seed, sampler="ddim", n_steps=steps, keep=2).samples
    samples = figs.build_planes([("exact denoiser", [figs.scatter(exact_x, "samples", figs.EXACT_COLOUR)]),
                                 ("network", [figs.scatter(net_x, "samples", figs.NOISE_COLOUR)])],
                                extent=e, title=f"{n} samples each, DDIM-{steps}, same starting noise")
    status = f"Exact answer: {what}. " + _compare(loaded, exact_x, net_x)
    return ExactView(field, error, samples, status)


def _error_curve(loaded, mixture: GaussianMixture, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    ts = np.unique(np.round(np.geomspace(1, T, 30)).astype(int))
    gen = torch.Generator().manual_seed(seed + 1)
    x0 = get_dataset(loaded.config.data).sample(300, generator=gen)
    errs, scale = [], []
    with torch.inference_mode():
        for t in ts:
            xt = noised(loaded.schedule, x0, int(t), torch.randn(x0.shape, generator=gen))
            exact = mixture.eps(xt, float(loaded.schedule.alphas_cumprod[t - 1]))
            errs.append(float(((loaded.net(xt, int(t) - 1) - exact) ** 2).sum(1).mean()))
            scale.append(float((exact**2).sum(1).mean()))
    return ts, np.array(errs), np.array(scale)


def _compare(loaded, exact_x: np.ndarray, net_x: np.ndarray) -> str:
    if loaded.train_points is None:
        a, b = quality(exact_x, loaded.config.data), quality(net_x, loaded.config.data)
        return (f"Exact: {a['modes']}/{a['n_modes']} modes, {100 * a['high_quality']:.1f}% high quality; network: "
                f"{b['modes']}/{b['n_modes']} modes, {100 * b['high_quality']:.1f}% high quality.")
    pts = loaded.train_points
    fresh = get_dataset(loaded.config.data).sample_numpy(len(net_x), seed=7)
    d_exact, d_net, d_fresh = (float(nearest_distance(x, pts).mean()) for x in (exact_x, net_x, fresh))
    return (f"Mean distance to the nearest training point: exact denoiser **{d_exact:.4f}** (it reproduces the "
            f"training points: memorisation), network **{d_net:.4f}**, fresh data from the true shape {d_fresh:.4f}: "
            f"the network makes new points, as new data would (generalisation).")


@dataclass(frozen=True)
class SamplersView:
    paths: go.Figure  # DDPM (all T steps) beside DDIM (n steps, η), same starting noise, paths traced
    chart: go.Figure  # sample quality against steps (measured when the model was trained)
    status: str  # quality of the two runs shown


def samplers_view(model: object, seed: object, n_steps: object, eta: object,
                  device: torch.device | str = "cpu") -> SamplersView:
    if model not in TOY_MODELS:
        raise validate.InputError(f"Compare samplers on a 2-D model: choose one of {', '.join(TOY_MODELS)}.")
    loaded = load(model, device)
    seed = _seed(seed)
    steps = validate.integer(n_steps, "Number of DDIM steps", lo=1, hi=T)
    eta = validate.real(eta, "η (eta)", lo=0.0, hi=1.0)
    n, k = 500, 10  # samples, traced paths
    runs = [("DDPM, 1000 steps", run(loaded.eps_fn(), loaded.schedule, (n, 2), seed=seed, sampler="ddpm",
                                     device=device, keep=101)),
            (f"DDIM, {steps} steps, η = {eta:g}", run(loaded.eps_fn(), loaded.schedule, (n, 2), seed=seed,
                                                      sampler="ddim", n_steps=steps, eta=eta, device=device, keep=101))]
    e = get_dataset(loaded.config.data).extent
    panels, texts = [], []
    for name, traj in runs:
        paths = np.transpose(traj.x[:, :k], (1, 0, 2))  # (k, F, 2)
        panels.append((name, [figs.scatter(traj.samples, "samples", figs.DATA_COLOUR),
                              figs.tracks(paths, "paths from the same x_T")]))
        q = quality(traj.samples, loaded.config.data)
        texts.append(f"{name}: " + (f"{q['modes']}/{q['n_modes']} modes, {100 * q['high_quality']:.1f}% high quality"
                                    if "modes" in q else f"mean distance to the data {q['data_distance']:.3f}"))
    fig = figs.build_planes(panels, extent=e, title=f"{n} samples from the same starting noise (seed {seed})")
    table = loaded.metrics.get("quality_vs_steps", [])
    key = "high_quality" if table and "high_quality" in table[0] else "data_distance"
    series = {}
    for sampler, label in (("ddim", "DDIM (η = 0)"), ("ddpm", "DDPM (η = 1, respaced)")):
        rows = [r for r in table if r["sampler"] == sampler]
        series[label] = (np.array([r["steps"] for r in rows]), np.array([r[key] for r in rows]))
    chart = figs.build_lines(np.zeros(0), series,
                             title="sample quality against the number of steps (2,500 samples)",
                             x_title="sampler steps", log_x=True, x_mark=steps,
                             y_title="fraction high quality" if key == "high_quality" else "mean distance to data")
    return SamplersView(fig, chart, " · ".join(texts) + ".")
