"""The digit views: classifier-free guidance, and in-painting / out-painting (RePaint).

Both use the shipped class-conditional digit model. Guidance mixes its conditional and
unconditional predictions, ε̃ = (1 + w) ε(x, t, y) − w ε(x, t, ∅) (Ho & Salimans 2022); the
view samples the same seeds at several w so only w differs, and the chart beside it shows
the trade-off measured when the model was trained (classifier agreement against diversity).
In-painting hides pixels of a held-out test digit — a preset mask, or cells the person paints
on an 8 × 8 grid over the digit — and lets the model fill them in, putting the known pixels
back at every step, noised to that step's level (Lugmayr et al. 2022).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go
import torch

from explainer import validate
from explainer.datasets import digits as digit_data
from explainer.diffusion import figures as figs
from explainer.diffusion.catalog import DIGITS, SETTINGS, load
from explainer.diffusion.evaluate import classifier, diversity
from explainer.denoising.sample import run
from explainer.diffusion.training import from_model, to_model

GUIDANCE_ROWS = (0.0, 1.0, 3.0, 7.0)  # scales always shown; the chosen w is added
SEEDS_SHOWN = 8  # columns of the guidance grid: one starting noise each
DDIM_STEPS = 50  # sampler steps of the digit views
MASKS = ("left half", "right half", "top half", "bottom half", "centre 4×4", "border (out-painting)",
         "random half")  # presets; a painted mask is an 8 × 8 array
STRIP_FRAMES = 8  # in-painting frames shown between noise and result
N_FILLS = 4  # in-paintings from different seeds


@dataclass(frozen=True)
class GuidanceView:
    samples: go.Figure  # rows: guidance scales; columns: the same seeds
    tradeoff: go.Figure  # agreement and diversity against w (measured at training), w marked
    status: str  # the classifier's verdict on the samples shown


def guidance_view(digit: object, w: object, seed: object, device: torch.device | str = "cpu") -> GuidanceView:
    label = validate.integer(digit, "Digit class", lo=0, hi=9)
    w = validate.real(w, "Guidance scale w", lo=0.0, hi=SETTINGS.max_guidance)
    seed = validate.integer(seed, "Seed", lo=0, hi=2**31 - 1)
    loaded = load(DIGITS, device)
    scales = sorted(set(GUIDANCE_ROWS) | {w})
    rows = [from_model(run(loaded.eps_fn(label, s), loaded.schedule, (SEEDS_SHOWN, loaded.dim), seed=seed,
                           sampler="ddim", n_steps=DDIM_STEPS, device=device, keep=2, clip=loaded.clip).samples) for s in scales]
    grid = figs.build_digits(np.stack(rows), row_labels=[f"{'▶ ' if s == w else ''}w = {s:g}" for s in scales],
                             col_labels=[f"seed {seed}·{j}" for j in range(SEEDS_SHOWN)],
                             title=f"class {label}: the same {SEEDS_SHOWN} starting noises at each guidance scale")
    table = loaded.metrics.get("guidance", [])
    ws = np.array([r["w"] for r in table])
    series = {"classifier agreement": np.array([r.get("agreement", np.nan) for r in table])}
    spread = {"diversity (mean pairwise distance)": np.array([r["diversity"] for r in table])}
    tradeoff = figs.build_lines(ws, series, y2=spread, title="the trade-off, measured on 200 samples per w",
                                x_title="guidance scale w", y_title="agreement (fraction)",
                                y2_title="diversity (pixel units)", x_mark=w)
    chosen = rows[scales.index(w)]
    text = f"At w = {w:g}: diversity {diversity(chosen):.2f} (mean pairwise distance between the {SEEDS_SHOWN} samples)"
    classify = classifier()
    if classify is not None:
        probs = classify(chosen)
        text += f", the classifier reads **{int((probs.argmax(1) == label).sum())} of {SEEDS_SHOWN}** as a {label}"
    return GuidanceView(grid, tradeoff, text + ".")


def preset_mask(name: object, seed: int = 0) -> np.ndarray:
    """A named mask, (8, 8) bool, True = hidden (to be filled in)."""
    m = np.zeros((8, 8), bool)
    if name == "left half":
        m[:, :4] = True
    elif name == "right half":
        m[:, 4:] = True
    elif name == "top half":
        m[:4] = True
    elif name == "bottom half":
        m[4:] = True
    elif name == "centre 4×4":
        m[2:6, 2:6] = True
    elif name == "border (out-painting)":
        m[:] = True
        m[2:6, 2:6] = False
    elif name == "random half":
        m.flat[np.random.default_rng(seed).permutation(64)[:32]] = True
    else:
        raise validate.InputError(f"Unknown mask {validate.shown(name)}: choose one of {', '.join(MASKS)}.")
    return m


def painted_mask(cells: object) -> np.ndarray:
    """A painted mask: 8 rows of 8 cells, each 1/True (hidden) or 0/False (known) -> (8, 8) bool."""
    refused = validate.InputError("The painted mask must be 8 rows of 8 cells, each 1 (hidden) or 0 (known).")
    if isinstance(cells, np.ndarray):
        cells = cells.tolist()
    if not isinstance(cells, (list, tuple)) or len(cells) != 8:  # checked before any array is built
        raise refused
    if any(not isinstance(row, (list, tuple)) or len(row) != 8 for row in cells):
        raise refused
    if any(c not in (0, 1) or isinstance(c, str) for row in cells for c in row):  # True/False pass as 1/0
        raise refused
    return np.array([[bool(c) for c in row] for row in cells])  # (8, 8)


def parse_mask(mask: object, seed: int = 0) -> np.ndarray:
    """(8, 8) bool, True = hidden: a preset's name, or a painted 8 × 8 array; never empty."""
    m = preset_mask(mask, seed) if isinstance(mask, str) else painted_mask(mask)
    if not m.any():
        raise validate.InputError("The mask is empty: paint at least one cell of the grid (or pick a preset) "
                                  "to hide pixels for the model to fill in.")
    return m


@dataclass(frozen=True)
class InpaintView:
    strip: go.Figure  # per seed: original, known pixels, frames, result
    status: str  # what the classifier reads in the results


def inpaint_view(index: object, mask: object, seed: object, device: torch.device | str = "cpu") -> InpaintView:
    """In-paint test digit ``index`` where ``mask`` (a preset's name or an 8 × 8 0/1 array) hides it."""
    test = digit_data.load("test")
    i = validate.integer(index, "Test digit", lo=0, hi=len(test) - 1)
    seed = validate.integer(seed, "Seed", lo=0, hi=2**31 - 1)
    hidden = parse_mask(mask, seed)
    loaded = load(DIGITS, device)
    x0 = to_model(np.repeat(test.images[i:i + 1], N_FILLS, axis=0))  # (F, 64)
    known = torch.as_tensor(~hidden.reshape(1, -1)).expand(N_FILLS, -1)  # (F, 64) True = known
    traj = run(loaded.eps_fn(), loaded.schedule, (N_FILLS, loaded.dim), seed=seed, sampler="ddim",
               n_steps=DDIM_STEPS, device=device, keep=STRIP_FRAMES, known=(x0, known), clip=loaded.clip)
    original = test.images[i]
    shown_input = np.where(hidden, 0.5, original)  # grey = hidden
    frames = from_model(traj.x)  # (K, F, 8, 8)
    cells = np.concatenate([np.broadcast_to(original, (1, N_FILLS, 8, 8)), np.broadcast_to(shown_input, (1, N_FILLS, 8, 8)),
                            frames], axis=0).transpose(1, 0, 2, 3)  # (F, 2 + K, 8, 8)
    cols = ["original", "known"] + [f"t={int(t) + 1}" for t in traj.t[:-1]] + ["result"]
    fig = figs.build_digits(cells, row_labels=[f"seed {seed}·{j}" for j in range(N_FILLS)], col_labels=cols,
                            title=f"in-painting test digit {i} (a {test.labels[i]}), {int(hidden.sum())} of 64 pixels "
                                  f"hidden, DDIM-{DDIM_STEPS}")
    text = f"The model filled {int(hidden.sum())} hidden pixels in {N_FILLS} ways; known pixels were re-imposed at every step"
    classify = classifier()
    if classify is not None:
        reads = classify(frames[-1]).argmax(1)
        text += f"; the classifier reads the results as {', '.join(str(int(r)) for r in reads)} (true label {test.labels[i]})"
    return InpaintView(fig, text + ".")


def digit_backdrop(index: object) -> list[float]:
    """The 64 grey levels (0 paper … 1 ink, row by row) of a test digit: the painting grid's backdrop."""
    test = digit_data.load("test")
    i = validate.integer(index, "Test digit", lo=0, hi=len(test) - 1)
    return [round(float(v), 3) for v in test.images[i].ravel()]
