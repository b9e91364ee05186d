"""What the README reports for diffusion, as a command: ``python -m explainer.diffusion.evaluate``.

* 2-D mixtures (ring, grid): VEEGAN modes covered and % high quality (within 3σ of a centre)
  of 2,500 samples, for each shipped model at DDPM-1000 and DDIM-50/20/10, beside the exact
  denoiser ε* of the true mixture run through the same samplers.
* moons, spiral: distance of samples to the data (nearest of 10,000 fresh data points) and to
  the nearest *training* point, for the network and for the exact denoiser of the training set
  (memorisation: that one only reproduces training points).
* digits: the digit classifier's agreement with the requested class and the diversity of
  samples (mean pairwise distance between samples of one class, pixels in [0, 1]) against the
  classifier-free guidance scale w.

The same functions fill each checkpoint's ``metrics`` when it is trained.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

import numpy as np
import torch

from explainer.datasets.modes import modes_covered
from explainer.datasets.toy2d import get_dataset
from explainer.diffusion.exact import GaussianMixture, exact_eps_fn, nearest_distance
from explainer.denoising.sample import final_samples

EVAL_SEED = 12345  # the starting noise of every measurement (not a training seed)
EVAL_SAMPLES = 2500  # VEEGAN's count
HEADLINE = (("ddpm", 1000), ("ddim", 50), ("ddim", 20), ("ddim", 10))  # the README's rows
CHART_STEPS = {"ddim": (5, 10, 20, 50, 100, 200), "ddpm": (10, 50, 200, 1000)}  # quality against steps
GUIDANCE_SCALES = (0.0, 0.5, 1.0, 2.0, 3.0, 5.0, 7.0, 10.0)
PER_CLASS = 20  # samples per digit class in the guidance table


def quality(samples: np.ndarray, data: str, reference: np.ndarray | None = None) -> dict[str, float]:
    """Modes covered and high-quality fraction (mixtures), or mean distance to the data (shapes)."""
    ds = get_dataset(data)
    if ds.centers is not None:
        modes, hq = modes_covered(samples, ds.centers, ds.std)
        return {"modes": modes, "n_modes": len(ds.centers), "high_quality": round(hq, 4)}
    ref = ds.sample_numpy(10_000, seed=EVAL_SEED + 1) if reference is None else reference
    return {"data_distance": round(float(nearest_distance(samples, ref).mean()), 4)}


def sampler_table(eps_fn, schedule, data: str, runs, n: int = EVAL_SAMPLES) -> list[dict[str, Any]]:
    """Quality of n samples for each (sampler, steps) in ``runs``, same starting noise."""
    rows = []
    for sampler, steps in runs:
        x = final_samples(eps_fn, schedule, (n, 2), seed=EVAL_SEED, sampler=sampler, n_steps=steps)
        rows.append({"sampler": sampler, "steps": steps, **quality(x, data)})
    return rows


def exact_mixture(data: str) -> GaussianMixture:
    ds = get_dataset(data)
    return GaussianMixture.of(ds.centers, ds.std)


def memorisation(eps_fn, schedule, train_points: np.ndarray, data: str, *, n: int = 1000,
                 steps: int = 100) -> dict[str, float]:
    """Mean distance to the nearest training point and to the data: network vs exact denoiser."""
    exact = exact_eps_fn(GaussianMixture.of(train_points), schedule)
    ref = get_dataset(data).sample_numpy(10_000, seed=EVAL_SEED + 1)
    out = {}
    for who, fn in (("network", eps_fn), ("exact", exact)):
        x = final_samples(fn, schedule, (n, 2), seed=EVAL_SEED, sampler="ddim", n_steps=steps)
        out[f"{who}_train_distance"] = round(float(nearest_distance(x, train_points).mean()), 4)
        out[f"{who}_data_distance"] = round(float(nearest_distance(x, ref).mean()), 4)
    fresh = get_dataset(data).sample_numpy(n, seed=EVAL_SEED + 2)  # what "generalising" looks like
    out["fresh_data_train_distance"] = round(float(nearest_distance(fresh, train_points).mean()), 4)
    return out


def diversity(images: np.ndarray) -> float:
    """Mean pairwise Euclidean distance between images (N, 8, 8), pixels in [0, 1]."""
    x = images.reshape(len(images), -1).astype(np.float64)
    if len(x) < 2:
        return 0.0
    d = np.sqrt(((x[:, None] - x[None]) ** 2).sum(-1))  # (N, N)
    return float(d.sum() / (len(x) * (len(x) - 1)))


def classifier():
    """The shared digit classifier's ``classify(images) -> probs``, or None while it is not built."""
    try:
        from explainer.datasets import digit_classifier
    except ImportError:
        return None
    return digit_classifier.classify


def guidance_table(loaded, *, scales=GUIDANCE_SCALES, per_class: int = PER_CLASS, steps: int = 50,
                   device: torch.device | str = "cpu") -> list[dict[str, Any]]:
    """Agreement (classifier says the requested class) and diversity against w, DDIM-``steps``."""
    from explainer.diffusion.training import from_model

    classify = classifier()
    rows = []
    for w in scales:
        agree, spread = [], []
        for label in range(10):
            x = final_samples(loaded.eps_fn(label, w), loaded.schedule, (per_class, loaded.dim),
                              seed=EVAL_SEED + label, sampler="ddim", n_steps=steps, device=device,
                              clip=loaded.clip)
            images = from_model(x)  # (per_class, 8, 8)
            spread.append(diversity(images))
            if classify is not None:
                agree.append(float((classify(images).argmax(1) == label).mean()))
        row = {"w": w, "diversity": round(float(np.mean(spread)), 4)}
        if agree:
            row["agreement"] = round(float(np.mean(agree)), 4)
        rows.append(row)
    return rows


def checkpoint_metrics(name: str, trainer) -> dict[str, Any]:
    """Measured right after training, stored in the checkpoint's JSON (the tab's charts read them)."""
    net, schedule, data = trainer.ema, trainer.schedule, trainer.config.data

    def eps_fn(x, t):
        return net(x, t)

    if data == "digits":
        from explainer.diffusion.catalog import Loaded

        loaded = Loaded(name, net, schedule, trainer.config, {}, None)
        return {"guidance": guidance_table(loaded, device=trainer.device)}
    runs = [(sampler, s) for sampler, steps in CHART_STEPS.items() for s in steps]
    out: dict[str, Any] = {"quality_vs_steps": sampler_table(eps_fn, schedule, data, runs)}
    if trainer.points is not None:
        out["memorisation"] = memorisation(eps_fn, schedule, trainer.points.cpu().numpy(), data)
    return out


def main(argv: list[str] | None = None) -> int:
    from explainer.diffusion.catalog import DIGITS, TOY_MODELS, load

    parser = argparse.ArgumentParser(prog="python -m explainer.diffusion.evaluate", description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=EVAL_SAMPLES)
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    print("| model | sampler | modes | % high quality | mean distance to data |\n|---|---|---|---|---|")
    for name in TOY_MODELS:
        m = load(name)
        data = m.config.data
        fns = [("network", m.eps_fn())]
        if data in ("ring", "grid"):
            fns.append(("exact ε*", exact_eps_fn(exact_mixture(data), m.schedule)))
        for who, fn in fns:
            for row in sampler_table(fn, m.schedule, data, HEADLINE, n=args.samples):
                modes = f"{row['modes']}/{row['n_modes']}" if "modes" in row else "–"
                hq = f"{100 * row['high_quality']:.1f}" if "high_quality" in row else "–"
                dist = f"{row['data_distance']:.3f}" if "data_distance" in row else "–"
                print(f"| {data} ({who}) | {row['sampler'].upper()}-{row['steps']} | {modes} | {hq} | {dist} |")
    for name in TOY_MODELS:
        m = load(name)
        if m.train_points is not None:
            print(f"\n{m.config.data}: memorisation (DDIM-100, 1,000 samples):",
                  memorisation(m.eps_fn(), m.schedule, m.train_points, m.config.data))
    print("\n| w | agreement | diversity |\n|---|---|---|")
    for row in guidance_table(load(DIGITS)):
        agree = f"{100 * row['agreement']:.1f} %" if "agreement" in row else "(classifier not built yet)"
        print(f"| {row['w']:g} | {agree} | {row['diversity']:.3f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
