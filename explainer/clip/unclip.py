"""The unCLIP chain (Ramesh et al. 2022, DALL·E 2), in miniature: a caption in, digits out.

    caption ──CLIP text encoder──▶ z_t ──prior──▶ z_i (n samples) ──decoder──▶ n digits

1. the caption is checked against the vocabulary (:func:`explainer.datasets.captions.parse`);
2. CLIP's text encoder gives its embedding z_t (:mod:`explainer.clip.catalog`);
3. the **prior** (:mod:`explainer.clip.prior`) samples n image embeddings z_i from P(z_i | z_t),
   seeded, guided by PRIOR_GUIDANCE;
4. the **decoder** (:mod:`explainer.clip.decoder`) turns each z_i into a digit: DDIM with
   ``steps`` steps, classifier-free guidance w, from the same seed.

Then the result is judged against the caption by three readers that never saw the chain:
the shipped digit classifier (does it read the caption's digit?), the caption's own attribute
measurements (:func:`explainer.datasets.captions.words`: is the digit as thick / slanted /
large as the caption says?), and CLIP itself (are the digits closer to this caption than to
the same caption naming another digit?). :func:`evaluate` runs the chain over every digit and
a few attribute combinations for the README: ``python -m explainer.clip.unclip``.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass

import numpy as np
import torch

from explainer.clip.catalog import load_clip
from explainer.clip.decoder import from_model, load_decoder
from explainer.clip.prior import PRIOR_GUIDANCE, load_prior, to_sphere
from explainer.datasets import captions
from explainer.datasets.digit_classifier import classify


@dataclass(frozen=True)
class UnclipSettings:
    """Defaults and caps of the unCLIP view (the sliders read their ranges from here)."""

    caption: str = "a thick slanted seven"  # the caption the view opens with
    seed: int = 0  # seed of the prior's and the decoder's starting noise
    max_seed: int = 2**31 - 1
    guidance: float = 2.0  # the decoder's classifier-free guidance w (agreement peaked at w = 1–2)
    max_guidance: float = 10.0
    steps: int = 50  # the decoder's DDIM steps
    max_steps: int = 250  # cap per request (each step is one batch of 2n rows)
    n: int = 8  # digits generated per caption
    max_n: int = 16
    prior_steps: int = 50  # the prior's DDIM steps (fixed)
    prior_guidance: float = PRIOR_GUIDANCE  # the prior's guidance w (fixed)
    frames: int = 6  # decoder frames kept for the drawing (first = noise, last = the digits)


S = UnclipSettings()
ATTRIBUTE_COMBOS = ({}, {"weight": "thick"}, {"weight": "thin"}, {"slant": "slanted"},
                    {"size": "large", "slant": "upright"})  # the README's table: each with every digit


@dataclass(frozen=True, eq=False)
class Agreement:
    """How well n generated digits match the caption, by three independent readers."""

    digit: int | None  # the digit the caption names (None: it names none)
    attributes: dict[str, str]  # the attribute words the caption names
    readings: np.ndarray  # (n,) the classifier's reading of each digit
    confidence: np.ndarray  # (n,) its probability for that reading
    classifier: float | None  # share read as the caption's digit (None when no digit is named)
    words: list[dict[str, str]]  # measured attribute words of each digit
    attribute: float | None  # share whose measured words include every attribute word named (None: none named)
    attribute_base_rate: float | None  # the same share among real training digits of that digit: chance level
    clip_caption: float  # mean CLIP cosine of the digits to the caption
    clip_others: float | None  # mean CLIP cosine to the same caption naming each other digit
    clip_top1: float | None  # share of digits CLIP matches to the caption over those nine


@dataclass(frozen=True, eq=False)
class UnclipRun:
    """Every stage of one run of the chain."""

    caption: str  # the text as typed
    parsed: captions.Parsed
    seed: int
    guidance: float
    steps: int
    text_emb: np.ndarray  # (D,) CLIP's embedding of the caption
    image_emb: np.ndarray  # (n, D) the prior's samples, unit length
    frame_t: np.ndarray  # (F,) the decoder's step at each kept frame (descending, −1 = done)
    frames: np.ndarray  # (F, n, 8, 8) the decoder's x_t at those frames, in [0, 1]
    digits: np.ndarray  # (n, 8, 8) in [0, 1]: the results
    agreement: Agreement


def swapped(parsed: captions.Parsed, digit: int) -> str:
    """The caption's words with its digit's name replaced by another digit's (same phrasing)."""
    old = captions.DIGIT_NAMES[parsed.digit]
    return " ".join(captions.DIGIT_NAMES[digit] if t == old else t for t in parsed.tokens)


def matches(found: dict[str, str], wanted: dict[str, str]) -> bool:
    return all(found.get(attr) == word for attr, word in wanted.items())


def base_rate(digit: int | None, wanted: dict[str, str]) -> float | None:
    """Share of real training digits (of ``digit``, or all) whose measured words include ``wanted``."""
    if not wanted:
        return None
    from explainer.datasets import digits as digit_data

    train = digit_data.load("train")
    images = train.images if digit is None else train.images[train.labels == digit]
    return float(np.mean([matches(w, wanted) for w in captions.words(images)]))


@torch.no_grad()
def measure(digits: np.ndarray, text: str, parsed: captions.Parsed, text_emb: torch.Tensor | None = None,
            device: torch.device | str = "cpu") -> Agreement:
    """The classifier's, the attribute measurements' and CLIP's verdict on digits (n, 8, 8) for a caption."""
    probs = classify(digits)  # (n, 10)
    readings, confidence = probs.argmax(1), probs.max(1)
    found = captions.words(digits)
    clip = load_clip(device)
    image_emb = clip.encode_images(digits).float().cpu()  # (n, D)
    text_emb = clip.encode_text([text]).float().cpu()[0] if text_emb is None else text_emb  # (D,)
    to_caption = image_emb @ text_emb  # (n,)
    classifier = others = top1 = None
    if parsed.digit is not None:
        classifier = float((readings == parsed.digit).mean())
        other = clip.encode_text([swapped(parsed, k) for k in range(10) if k != parsed.digit]).float().cpu()  # (9, D)
        sims = image_emb @ other.T  # (n, 9)
        others = float(sims.mean())
        top1 = float((to_caption[:, None] > sims).all(1).float().mean())
    attribute = float(np.mean([matches(w, parsed.attributes) for w in found])) if parsed.attributes else None
    return Agreement(parsed.digit, dict(parsed.attributes), readings, confidence, classifier, found, attribute,
                     base_rate(parsed.digit, parsed.attributes), float(to_caption.mean()), others, top1)


@torch.no_grad()
def unclip(text: str, *, seed: int = S.seed, guidance: float = S.guidance, steps: int = S.steps, n: int = S.n,
           device: torch.device | str = "cpu") -> UnclipRun:
    """Run the chain for one caption (InputError on an empty text or unknown words); every stage returned.

    Inputs are trusted here (the view checks them against :data:`S`); the caption is always parsed.
    """
    parsed = captions.parse(text)
    text_emb = load_clip(device).encode_text([text]).float()  # (1, D)
    prior, decoder = load_prior(device), load_decoder(device)
    z_t = text_emb.expand(n, -1).to(prior.net.device)  # (n, D): one prior sample per digit
    walk = prior.sample(z_t, seed=seed, w=S.prior_guidance, steps=S.prior_steps)
    z_i = to_sphere(torch.as_tensor(walk.samples))  # (n, D) back on the unit sphere
    traj = decoder.sample(z_i, seed=seed, w=guidance, steps=steps, keep=S.frames)
    frames = from_model(traj.x)  # (F, n, 8, 8)
    digits = frames[-1]
    agreement = measure(digits, text, parsed, text_emb[0].cpu(), device)
    return UnclipRun(text, parsed, seed, guidance, steps, text_emb[0].cpu().numpy(), z_i.cpu().numpy(),
                     traj.t, frames, digits, agreement)


def evaluate(*, combos=ATTRIBUTE_COMBOS, n: int = 20, guidance: float = S.guidance, steps: int = S.steps,
             seed: int = 0) -> list[dict]:
    """The chain over every digit × each attribute combination: one row of agreement numbers per combination."""
    rows = []
    for wanted in combos:
        got = [unclip(captions.caption(k, wanted), seed=seed + k, guidance=guidance, steps=steps, n=n).agreement
               for k in range(10)]
        row = {"attributes": " ".join(wanted.values()) or "(none)", "classifier": np.mean([a.classifier for a in got]),
               "clip_top1": np.mean([a.clip_top1 for a in got]), "clip_caption": np.mean([a.clip_caption for a in got]),
               "clip_others": np.mean([a.clip_others for a in got])}
        if wanted:
            row["attribute"] = np.mean([a.attribute for a in got])
            row["attribute_base_rate"] = np.mean([a.attribute_base_rate for a in got])
        rows.append({k: (round(float(v), 4) if not isinstance(v, str) else v) for k, v in row.items()})
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m explainer.clip.unclip", description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20, help="digits per caption")
    parser.add_argument("--guidance", type=float, default=S.guidance)
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    print(f"unCLIP agreement, {args.n} digits per caption, decoder w = {args.guidance:g}, DDIM-{S.steps}\n")
    print("| attribute words | classifier reads the digit | attribute words match (real digits) "
          "| CLIP picks the caption | CLIP cosine: caption / other digits |\n|---|---|---|---|---|")
    for r in evaluate(n=args.n, guidance=args.guidance):
        attr = f"{100 * r['attribute']:.0f} % ({100 * r['attribute_base_rate']:.0f} %)" if "attribute" in r else "–"
        print(f"| {r['attributes']} | {100 * r['classifier']:.1f} % | {attr} | {100 * r['clip_top1']:.1f} % "
              f"| {r['clip_caption']:.3f} / {r['clip_others']:.3f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
