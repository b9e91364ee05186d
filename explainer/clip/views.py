"""The CLIP tab's views of the shipped model: raw control values in, a frozen view of figures out.

* :func:`captions_view` — test digits with the captions our code wrote from their pixels, and
  where each measurement falls against the cut points of its words;
* :func:`similarity_view` — the batch similarity matrix of a few test digits and their captions;
* :func:`space_view` — image and caption embeddings projected together (PCA of the joint set);
* :func:`zero_shot_view` — classify test digits by the nearest of ten prompts, against the classifier;
* :func:`retrieval_view` — caption → best test images, test image → best captions.

Every function checks what it is given and raises :class:`~explainer.validate.InputError`
saying what to change.
"""

from __future__ import annotations

import functools
import itertools
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go
import torch

from explainer import validate
from explainer.clip import catalog, figures
from explainer.clip.catalog import S
from explainer.clip.training import zero_shot_predictions
from explainer.datasets import captions, digit_classifier, digits
from explainer.validate import InputError

CHANCE = 0.1  # ten digits: a blind guess is right one time in ten
SLOT = "{digit}"  # where a zero-shot template takes the digit's name
UNITS = {"size": "inked pixels", "weight": "mean ink of inked pixels", "slant": "|columns per row|"}


def _seed(value: object) -> int:
    return validate.integer(value, "Seed", lo=0, hi=S.max_seed)


def distinct_batch(seed: int, size: int) -> np.ndarray:
    """``size`` test digits drawn by ``seed`` whose captions all differ (so the diagonal is the only truth)."""
    texts = catalog.test_captions()
    chosen, seen = [], set()
    for i in np.random.default_rng(seed).permutation(len(texts)):
        if texts[i] not in seen:
            chosen.append(int(i))
            seen.add(texts[i])
        if len(chosen) == size:
            break
    return np.asarray(chosen)


@dataclass(frozen=True)
class CaptionsView:
    digits: go.Figure  # a row of test digits, each with its caption underneath
    attributes: go.Figure  # each attribute's histogram (train split), its two cut points, the shown digits marked
    note: str  # Markdown: how each word is measured


def captions_view(seed: object = 0) -> CaptionsView:
    """Eight test digits (drawn by ``seed``) with their captions and their measurements."""
    idx = np.random.default_rng(_seed(seed)).choice(len(catalog.test_set()), 8, replace=False)
    images = catalog.test_set().images[idx]
    texts = [catalog.test_captions()[i] for i in idx]
    gallery = figures.build_gallery(images, [figures.wrap(t) for t in texts], height=300,
                                    title="Captions written by our code from each digit's label and pixels")
    train = captions.measure(digits.load("train").images)
    shown = captions.measure(images)
    for m in (train, shown):
        m["slant"] = np.abs(m["slant"])
    cuts = captions.thresholds()
    fig = figures.build_attributes(train, cuts, captions.WORDS, UNITS, marked=shown,
                                   title="Measured on the 1,438 train digits: the 30 % at each end get a word")
    lines = [f"- **{a}**: {captions.WORDS[a][0]} ≤ {cuts[a][0]:.3g} < no word ≤ {cuts[a][1]:.3g} < "
             f"{captions.WORDS[a][1]} ({UNITS[a]})" for a in captions.WORDS]
    note = ("Each word is a measurement of the pixels, cut at the 30 % and 70 % quantiles of the train digits:\n"
            + "\n".join(lines) + "\n\nVocabulary: " + captions.vocabulary_text() + ".")
    return CaptionsView(gallery, fig, note)


@dataclass(frozen=True)
class SimilarityView:
    matrix: go.Figure  # cosine of every image (row) with every caption (column), diagonal marked
    status: str  # how many images pick their own caption; the temperature


def similarity(model, images: np.ndarray, texts: list[str]) -> np.ndarray:
    """Cosines (B, B) of images (B, 8, 8) with texts (B,) under a model."""
    with torch.no_grad():
        return (model.encode_images(images) @ model.encode_text(texts).T).cpu().numpy()


def similarity_view(seed: object = 0, size: object = S.batch) -> SimilarityView:
    """The shipped model's similarity matrix for ``size`` test digits with distinct captions (drawn by ``seed``)."""
    n = validate.integer(size, "Digits in the batch", lo=2, hi=S.max_batch)
    idx = distinct_batch(_seed(seed), n)
    model = catalog.load_clip()
    images, texts = catalog.test_set().images[idx], [catalog.test_captions()[i] for i in idx]
    sims = similarity(model, images, texts)
    hits = int((sims.argmax(1) == np.arange(n)).sum())
    scale = model.logit_scale
    fig = figures.build_similarity(sims, images, texts, title=f"Shipped CLIP: {n} test digits × their {n} captions")
    status = (f"**{hits} of {n}** images are nearest their own caption (the diagonal). Training turns the cosines "
              f"into logits × exp(t) = **{scale:.1f}** (τ = {1 / scale:.3f}) and asks each row and each column "
              "to put its softmax on the diagonal.")
    return SimilarityView(fig, status)


@functools.cache
def _space(dims: int) -> tuple[np.ndarray, np.ndarray, tuple[str, ...], float, float, float]:
    """Test images, distinct test captions and the ten prompts projected on ``dims`` shared axes.

    The axes are the principal axes of the 20 points that summarise the digits: the mean image
    embedding of each digit and each digit's zero-shot prompt. (The principal axes of all points
    together spread the ten digits no better: in 32 dimensions the ten are nearly orthogonal,
    so any 2-D view keeps under half the spread; these axes at least keep the digits apart.)
    Returns the images' and the texts' points, the texts, the share of the summary points'
    variance the axes keep, the mean cosine of a test digit with its own caption, and with any.
    """
    images, labels = catalog.test_embeddings(), catalog.test_set().labels  # (N, D), (N,)
    distinct, text_emb = catalog.caption_embeddings()  # (C, D)
    prompts = [S.template.replace(SLOT, name) for name in captions.DIGIT_NAMES]
    with torch.no_grad():
        prompt_emb = catalog.load_clip().encode_text(prompts).numpy()  # (10, D)
    summary = np.concatenate([np.stack([images[labels == k].mean(0) for k in range(10)]), prompt_emb])  # (20, D)
    centre = summary.mean(0)
    _, s, vt = np.linalg.svd(summary - centre, full_matrices=False)
    axes = vt[:dims].T  # (D, dims) the principal axes
    share = float((s[:dims] ** 2).sum() / (s**2).sum())
    cos = images @ text_emb.T  # (N, C) cosines in the full space
    own = np.array([distinct.index(t) for t in catalog.test_captions()])
    texts = np.concatenate([text_emb, prompt_emb])
    return ((images - centre) @ axes, (texts - centre) @ axes, distinct + tuple(prompts), share,
            float(cos[np.arange(len(images)), own].mean()), float(cos.mean()))


@dataclass(frozen=True)
class SpaceView:
    space: go.Figure  # image and caption embeddings on 2 or 3 shared axes (2-D or 3-D scatter)
    note: str  # what the projection keeps, how near a digit lies to its own caption


def space_view(seed: object = 0, dims: object = 2) -> SpaceView:
    """Test images and captions on ``dims`` (2 or 3) shared axes; 12 test digits (drawn by ``seed``) joined to
    their captions."""
    d = validate.integer(dims, "Dimensions shown", lo=2, hi=3)
    image_xy, text_xy, texts, share, own_cos, mean_cos = _space(d)
    picked = np.random.default_rng(_seed(seed)).choice(len(image_xy), 12, replace=False)
    own = catalog.test_captions()
    pairs = [(int(i), texts.index(own[i])) for i in picked]
    named = {len(texts) - 10 + k: name for k, name in enumerate(captions.DIGIT_NAMES)}
    fig = figures.build_space(image_xy, catalog.test_set().labels, text_xy, texts, named=named, pairs=pairs,
                              axis_prefix="axis", title=f"One space for images and words ({d}-D projection)")
    note = (f"The {d} axes are the principal axes of the ten digits' mean image embeddings and their ten prompts "
            f"(“{S.template}”, orange, named): they keep **{share:.0%}** of those points' spread in "
            f"{catalog.EMBED_DIM} dimensions, so points that overlap here may be far apart there. In the full "
            f"space a test digit's cosine with its own caption is **{own_cos:.2f}** on average, and **{mean_cos:.2f}** "
            f"with a caption picked at random. Grey lines join 12 digits to their captions.")
    return SpaceView(fig, note)


def check_template(template: object) -> str:
    """A zero-shot template: the slot {digit} once, every other word from the vocabulary, no digit named."""
    if not isinstance(template, str) or template.count(SLOT) != 1:
        raise InputError(f"The template must contain the slot {SLOT} exactly once, as in '{S.template}'.")
    words = captions.tokenize(template.replace(SLOT, "zero"))  # InputError naming the vocabulary
    if sum(w in captions.DIGIT_NAMES for w in words) > 1:
        raise InputError(f"The template names a digit of its own; leave the digit to the slot {SLOT}.")
    return template


@dataclass(frozen=True)
class ZeroShotView:
    confusion: go.Figure  # true digit × the digit whose prompt was nearest
    per_digit: go.Figure  # accuracy per digit: zero-shot CLIP beside the label-trained classifier
    status: str  # accuracy vs the classifier vs chance


def zero_shot_view(template: object = S.template) -> ZeroShotView:
    """Classify the test digits by the nearest of the ten prompts ``template`` makes."""
    template = check_template(template)
    test = catalog.test_set()
    pred = zero_shot_predictions(catalog.load_clip(), test.images, template)
    judged = _classifier_predictions()
    counts = np.zeros((10, 10), int)
    np.add.at(counts, (test.labels, pred), 1)
    per = [float((pred[test.labels == k] == k).mean()) for k in range(10)]
    per_cls = [float((judged[test.labels == k] == k).mean()) for k in range(10)]
    acc, acc_cls = float((pred == test.labels).mean()), float((judged == test.labels).mean())
    confusion = figures.build_confusion(counts, title=f"Zero-shot on {len(pred)} test digits: “{template}”")
    bars = figures.build_accuracy_bars({"zero-shot CLIP (no labels)": per, "classifier (trained on labels)": per_cls},
                                       chance=CHANCE, title="Accuracy per digit")
    status = (f"Zero-shot accuracy **{acc:.1%}** with “{template}”, against **{acc_cls:.1%}** for the classifier "
              f"trained on the labels, and **{CHANCE:.0%}** for chance. CLIP never saw a label, only captions.")
    return ZeroShotView(confusion, bars, status)


@functools.cache
def _classifier_predictions() -> np.ndarray:
    return digit_classifier.classify(catalog.test_set().images).argmax(1)


@functools.cache
def all_captions() -> tuple[str, ...]:
    """Every canonical caption the vocabulary can write: 10 digits × 3 sizes × 3 weights × 3 slants."""
    options = [[{}, {a: w[0]}, {a: w[1]}] for a, w in captions.WORDS.items()]
    return tuple(captions.caption(k, {key: v for part in combo for key, v in part.items()})
                 for k in range(10) for combo in itertools.product(*options))


@functools.cache
def _all_caption_embeddings() -> np.ndarray:
    with torch.no_grad():
        emb = catalog.load_clip().encode_text(list(all_captions())).numpy()
    emb.setflags(write=False)
    return emb


@dataclass(frozen=True)
class RetrievalView:
    images: go.Figure  # the top-k test digits for the text, with cosines and their captions
    captions: go.Figure  # the chosen test digit and its top-k captions among every caption the vocabulary makes
    status: str  # how many retrieved digits match what the text says


def retrieval_view(text: object = S.query, image_index: object = S.image_index) -> RetrievalView:
    """Caption → the best test images; test image ``image_index`` → the best captions."""
    parsed = captions.parse(text)  # InputError on empty text, unknown words (listing the vocabulary), contradictions
    i = validate.integer(image_index, "Test digit #", lo=0, hi=len(catalog.test_set()) - 1)
    model, k = catalog.load_clip(), S.top_k
    with torch.no_grad():
        query = model.encode_text([" ".join(parsed.tokens)]).numpy()[0]  # (D,)
    sims = catalog.test_embeddings() @ query  # (N,)
    top = np.argsort(-sims)[:k]
    own = catalog.test_captions()
    notes = [f"#{r + 1} · {sims[j]:.3f}<br>{figures.wrap(own[j])}" for r, j in enumerate(top)]
    shown = " ".join(parsed.tokens)
    gallery = figures.build_gallery(catalog.test_set().images[top], notes,
                                    title=f"“{shown}” → the {k} nearest of {len(sims)} test digits")
    found = captions.words(catalog.test_set().images[top])
    labels = catalog.test_set().labels[top]
    match = [(parsed.digit is None or labels[r] == parsed.digit)
             and all(found[r].get(a) == w for a, w in parsed.attributes.items()) for r in range(k)]
    all_texts, all_emb = all_captions(), _all_caption_embeddings()
    cos = all_emb @ catalog.test_embeddings()[i]  # (270,)
    best = np.argsort(-cos)[:k]
    bars = figures.build_caption_bars([all_texts[j] for j in best], cos[best], catalog.test_set().images[i],
                                      truth=own[i], title=f"Test digit {i} → its {k} nearest of {len(all_texts)} captions")
    rank = int((cos > cos[all_texts.index(own[i])]).sum()) + 1
    status = (f"**{sum(match)} of {k}** retrieved digits are what “{shown}” says (label and measured words). "
              f"Test digit {i}'s own caption, “{own[i]}” (orange), ranks **{rank}** of {len(all_texts)}.")
    return RetrievalView(gallery, bars, status)
