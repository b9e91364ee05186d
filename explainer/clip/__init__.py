"""Text and images in one space: a tiny CLIP (Radford et al. 2021) trained here on captioned 8×8 digits.

The captions are written by our code from each digit's label and measured pixels
(:mod:`explainer.datasets.captions`: "a large thick slanted seven"). An image encoder and a
text encoder map both into one EMBED_DIM space, trained with the symmetric contrastive loss
over the batch similarity matrix and a learned temperature. The shipped model
(``python -m explainer.train clip_tiny``) classifies test digits zero-shot, by the nearest of
ten prompts, and retrieves images for a caption and captions for an image.

Typical use (a notebook or a script)::

    import torch
    from explainer.clip import catalog, views, new_session, session_view
    from explainer.datasets import digits

    clip = catalog.load_clip()                          # TinyClip, eval mode, read-only
    test = digits.load("test")
    img = clip.encode_images(test.images[:4])           # (4, 32), unit length
    txt = clip.encode_text(["a thick seven", "a small upright one"])   # (2, 32)
    cosines = img @ txt.T                               # (4, 2)
    view = views.zero_shot_view("a photo of the digit {digit}")        # figures + status
    live = new_session(seed=0)                          # one person's CLIP from scratch
    live.train(20)
    frame = session_view(live)                          # similarity matrix, loss curve, status
"""

from explainer.clip import catalog, views
from explainer.clip.catalog import EMBED_DIM, NAME, S, Settings, load_clip
from explainer.clip.model import ClipConfig, ClipOutput, TinyClip, clip_loss
from explainer.clip.session import ClipSession, new_session, session_view
from explainer.clip.training import TrainConfig, Trainer, train_clip

__all__ = [
    "EMBED_DIM",
    "NAME",
    "S",
    "ClipConfig",
    "ClipOutput",
    "ClipSession",
    "Settings",
    "TinyClip",
    "TrainConfig",
    "Trainer",
    "catalog",
    "clip_loss",
    "load_clip",
    "new_session",
    "session_view",
    "train_clip",
    "views",
]
