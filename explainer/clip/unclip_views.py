"""The unCLIP view: a caption, seed, guidance scale, step count and sample count in; every stage drawn.

Raw widget values are checked here (:class:`~explainer.validate.InputError` says what to change;
the caps are :data:`explainer.clip.unclip.S`), the chain runs (:func:`explainer.clip.unclip.unclip`),
and :mod:`explainer.clip.unclip_figures` draws it. The 2-D projection is the plane of the two
principal components of the real training digits' image embeddings, computed once.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go
import torch

from explainer import validate
from explainer.clip import unclip_figures as figs
from explainer.clip.decoder import clip_pairs
from explainer.clip.unclip import S, Agreement, UnclipRun, unclip
from explainer.datasets import captions

SHOWN_REAL = 600  # real image embeddings drawn in the projection (of 1,438; the rest computed, not sent)


@dataclass(frozen=True)
class UnclipView:
    embeddings: go.Figure  # heat strips: the caption's text embedding, the prior's samples, their nearest real ones
    projection: go.Figure  # the same in 2-D, among the real image embeddings
    digits: go.Figure  # the decoder's frames, noise to digits, the classifier's reading under each
    agreement: go.Figure  # classifier, attribute words and CLIP against their reference levels
    status: str  # the agreement in words


@dataclass(frozen=True, eq=False)
class _Atlas:
    mean: np.ndarray  # (D,) mean real image embedding
    basis: np.ndarray  # (D, 2) the two principal directions
    emb: np.ndarray  # (M, D) real (training) image embeddings
    labels: np.ndarray  # (M,)
    captions: tuple[str, ...]  # (M,)
    xy: np.ndarray  # (M, 2) their projection
    shown: np.ndarray  # indices drawn
    explained: tuple[float, float]  # share of the variance along each direction


@functools.cache
def atlas() -> _Atlas:
    train = clip_pairs("train")
    emb = train.image_emb.numpy().astype(np.float64)
    mean = emb.mean(0)
    _, sv, vt = np.linalg.svd(emb - mean, full_matrices=False)
    basis = vt[:2].T  # (D, 2)
    share = sv**2 / (sv**2).sum()
    shown = np.random.default_rng(0).permutation(len(emb))[:SHOWN_REAL]
    return _Atlas(mean, basis, emb, train.labels, tuple(train.captions), (emb - mean) @ basis, np.sort(shown),
                  (float(share[0]), float(share[1])))


def check(caption: object, seed: object, guidance: object, steps: object, n: object) -> tuple:
    """The cleaned inputs, or an InputError that says what to change."""
    captions.parse(caption)  # empty text, unknown words (the vocabulary listed), two digits …
    return (str(caption), validate.integer(seed, "Seed", lo=0, hi=S.max_seed),
            validate.real(guidance, "Guidance w (decoder)", lo=0.0, hi=S.max_guidance),
            validate.integer(steps, "DDIM steps (decoder)", lo=1, hi=S.max_steps),
            validate.integer(n, "Digits", lo=1, hi=S.max_n))


def status(a: Agreement, n: int) -> str:
    parts = []
    if a.digit is not None:
        name = captions.DIGIT_NAMES[a.digit]
        parts.append(f"the classifier reads **{int(round(a.classifier * n))} of {n}** as {captions.article(name)} {name}")
    else:
        parts.append("the caption names no digit, so the classifier has nothing to agree with")
    if a.attributes:
        words = " and ".join(a.attributes.values())
        plural = lambda w: w + ("es" if w.endswith("x") else "s")  # noqa: E731 - sixes, sevens
        among = f"real {plural(captions.DIGIT_NAMES[a.digit])}" if a.digit is not None else "real digits"
        parts.append(f"{int(round(a.attribute * n))} of {n} measure as {words} "
                     f"(among {among}: {100 * a.attribute_base_rate:.0f} %)")
    if a.clip_top1 is not None:
        parts.append(f"CLIP matches {int(round(a.clip_top1 * n))} of {n} to the caption rather than to the same "
                     f"words naming another digit (cosine {a.clip_caption:.2f} against {a.clip_others:.2f})")
    else:
        parts.append(f"their mean CLIP cosine to the caption is {a.clip_caption:.2f}")
    text = "; ".join(parts)
    return text[0].upper() + text[1:] + "."


def agreement_rows(a: Agreement) -> list[tuple[str, float, float, str]]:
    rows = []
    if a.classifier is not None:
        rows.append(("classifier reads the digit", a.classifier, 0.1, "chance"))
    if a.attribute is not None:
        rows.append(("attribute words match", a.attribute, a.attribute_base_rate, "real digits"))
    if a.clip_top1 is not None:
        rows.append(("CLIP picks the caption", a.clip_top1, 0.1, "chance"))
        rows.append(("CLIP cosine to the caption", a.clip_caption, a.clip_others, "other digits' captions"))
    else:
        rows.append(("CLIP cosine to the caption", a.clip_caption, 0.0, "orthogonal"))
    return rows


def figures(run: UnclipRun) -> tuple[go.Figure, go.Figure, go.Figure, go.Figure]:
    at, n = atlas(), len(run.digits)
    nearest = np.argmax(run.image_emb @ at.emb.T, axis=1)  # (n,) nearest real image of each prior sample
    strips = np.concatenate([run.text_emb[None], run.image_emb, at.emb[nearest]])  # (1 + 2n, D)
    labels = ([f"text: {run.caption[:28]}"] + [f"prior sample {j + 1}" for j in range(n)]
              + [f"nearest real {j + 1}: digit {at.labels[i]}" for j, i in enumerate(nearest)])
    strip = figs.build_strips(strips, labels, title="1 · the caption's CLIP text embedding → the prior's image "
                              "embeddings (and the nearest real ones)")
    project = lambda v: (np.asarray(v, np.float64) - at.mean) @ at.basis  # noqa: E731 - (…, D) -> (…, 2)
    projection = figs.build_projection(
        at.xy[at.shown], at.labels[at.shown], project(run.text_emb), project(run.image_emb), at.xy[nearest],
        title="2 · in the plane of the real image embeddings' two main directions",
        axis_titles=(f"PC 1 ({100 * at.explained[0]:.0f} % of the variance)",
                     f"PC 2 ({100 * at.explained[1]:.0f} %)"))
    a = run.agreement
    readings = [f"{int(r)} ({c:.2f})" for r, c in zip(a.readings, a.confidence)]
    rows = [f"t = {int(t) + 1}" if t >= 0 else "digits" for t in run.frame_t]
    rows[0] += " (noise)" if len(rows) > 1 else ""
    decoded = figs.build_decoded(run.frames, rows, readings,
                                 title=f"3 · the decoder, DDIM-{run.steps}, w = {run.guidance:g}: noise → digits")
    agreement = figs.build_agreement(agreement_rows(a), title="4 · agreement with the caption")
    return strip, projection, decoded, agreement


def unclip_view(caption: object, seed: object = S.seed, guidance: object = S.guidance, steps: object = S.steps,
                n: object = S.n, device: torch.device | str = "cpu") -> UnclipView:
    """Run the chain for a typed caption and draw every stage; InputError on bad input."""
    caption, seed, guidance, steps, n = check(caption, seed, guidance, steps, n)
    run = unclip(caption, seed=seed, guidance=guidance, steps=steps, n=n, device=device)
    return UnclipView(*figures(run), status(run.agreement, n))
