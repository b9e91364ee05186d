"""A tiny CLIP (Radford et al. 2021): two encoders into one space, trained by a contrastive loss.

* **image encoder** — an MLP on the 64 pixels of an 8×8 digit;
* **text encoder** — a word embedding plus a learned position embedding, one small
  transformer layer (self-attention over the words, pre-norm), the mean over the words, a
  linear map;
* both end in a linear projection to EMBED_DIM and an L2 normalisation, so the similarity
  of an image and a text is the cosine of their embeddings, in [−1, 1];
* a learned temperature: logit_scale = exp(t), t initialised to log(1 / 0.07) and the scale
  clipped at 100, as in the paper (section 2.5).

The loss is the paper's Figure 3 pseudo-code: for a batch of N (image, text) pairs,

    logits = logit_scale · I_e · T_eᵀ                         (N, N): row i = image i vs every text
    loss   = ½ (CE(logits, arange N) + CE(logitsᵀ, arange N))

cross-entropy over the rows (each image picks its text among the N) and over the columns
(each text picks its image): the diagonal holds the true pairs, everything else is a negative.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from explainer.datasets import captions

EMBED_DIM = 32  # the shared space both encoders map into (fixed: the unCLIP prior and decoder use it)
PIXELS = 64  # an 8 × 8 digit, flattened
PAD = 0  # token id of padding; word k of captions.VOCABULARY has id k + 1
INIT_TEMPERATURE = 0.07  # the paper's initial τ: logit_scale starts at 1 / 0.07 ≈ 14.3
MAX_LOGIT_SCALE = 100.0  # the paper clips the scale here "to prevent scaling the logits by more than 100"


@dataclass(frozen=True)
class ClipConfig:
    hidden: int = 256  # width of the image MLP's hidden layers
    text_dim: int = 64  # width of the word and position embeddings and the transformer layer
    heads: int = 2  # attention heads of the text transformer layer
    max_words: int = captions.MAX_WORDS  # positions of the text encoder
    embed_dim: int = EMBED_DIM  # the shared embedding size


@dataclass(frozen=True)
class ClipOutput:
    """What one forward pass computes (returned, never stored on the module)."""

    image_emb: torch.Tensor  # (N, D) L2-normalised image embeddings
    text_emb: torch.Tensor  # (N, D) L2-normalised text embeddings
    logit_scale: torch.Tensor  # () exp(t), clipped at 100
    logits_per_image: torch.Tensor  # (N, N) logit_scale · cosines; row i = image i vs every text
    loss: torch.Tensor  # () the symmetric contrastive loss


def clip_loss(image_emb: torch.Tensor, text_emb: torch.Tensor, logit_scale: torch.Tensor | float) -> torch.Tensor:
    """Symmetric cross-entropy over the batch similarity matrix (Radford et al. 2021, Figure 3).

    ``image_emb`` and ``text_emb`` are (N, D) and L2-normalised; pair i is (image i, text i).
    """
    logits = logit_scale * image_emb @ text_emb.T  # (N, N) scaled cosines
    target = torch.arange(len(logits), device=logits.device)  # the true pair of row i is column i
    loss_images = F.cross_entropy(logits, target)  # each image picks its text among the N
    loss_texts = F.cross_entropy(logits.T, target)  # each text picks its image among the N
    return (loss_images + loss_texts) / 2


def token_ids(texts: list[str], max_words: int = captions.MAX_WORDS) -> torch.Tensor:
    """Texts -> word ids (N, max_words), padded with PAD; InputError on an unknown word or an empty text."""
    index = {w: k + 1 for k, w in enumerate(captions.VOCABULARY)}
    ids = torch.full((len(texts), max_words), PAD, dtype=torch.long)
    for i, text in enumerate(texts):
        words = captions.tokenize(text)
        ids[i, : len(words)] = torch.tensor([index[w] for w in words])
    return ids


class TextLayer(nn.Module):
    """One pre-norm transformer layer: x + attention(LN(x)), then x + MLP(LN(x)); padding is masked."""

    def __init__(self, dim: int, heads: int):
        super().__init__()
        self.heads = heads
        self.norm1, self.norm2 = nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.qkv, self.out = nn.Linear(dim, 3 * dim), nn.Linear(dim, dim)
        self.mlp = nn.Sequential(nn.Linear(dim, 2 * dim), nn.GELU(), nn.Linear(2 * dim, dim))

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        n, t, d = x.shape
        q, k, v = self.qkv(self.norm1(x)).view(n, t, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        scores = q @ k.transpose(-1, -2) / math.sqrt(d // self.heads)  # (N, heads, T, T)
        scores = scores.masked_fill(~mask[:, None, None, :], float("-inf"))  # no word attends to padding
        att = scores.softmax(-1) @ v  # (N, heads, T, d/heads)
        x = x + self.out(att.transpose(1, 2).reshape(n, t, d))  # (N, T, d)
        return x + self.mlp(self.norm2(x))


class TinyClip(nn.Module):
    """Image and text encoders into one EMBED_DIM space, and the learned temperature."""

    def __init__(self, config: ClipConfig | None = None):
        super().__init__()
        self.config = c = config or ClipConfig()
        with torch.random.fork_rng(devices=[]):  # default inits draw from the global RNG: restore it (seeds are local)
            self.image_mlp = nn.Sequential(nn.Linear(PIXELS, c.hidden), nn.GELU(), nn.Linear(c.hidden, c.hidden),
                                           nn.GELU(), nn.Linear(c.hidden, c.embed_dim))
            self.word_emb = nn.Embedding(len(captions.VOCABULARY) + 1, c.text_dim)  # + PAD
            self.pos_emb = nn.Parameter(torch.zeros(c.max_words, c.text_dim))
            self.text_layer = TextLayer(c.text_dim, c.heads)
            self.text_norm = nn.LayerNorm(c.text_dim)
            self.text_proj = nn.Linear(c.text_dim, c.embed_dim)
        self.t = nn.Parameter(torch.tensor(math.log(1 / INIT_TEMPERATURE)))  # logit_scale = exp(t)

    @property
    def device(self) -> torch.device:
        return self.t.device

    @property
    def logit_scale(self) -> float:
        """The learned temperature's inverse exp(t), clipped at 100, as a float."""
        return float(self.scale().detach())

    def scale(self) -> torch.Tensor:
        return self.t.exp().clamp(max=MAX_LOGIT_SCALE)  # () differentiable below the clip

    def encode_images(self, images) -> torch.Tensor:
        """Images (N, 8, 8) or (N, 64) in [0, 1] (tensor or array) -> (N, EMBED_DIM), unit length."""
        if not torch.is_tensor(images):
            images = torch.as_tensor(np.array(images, np.float32))  # a copy: inputs may be read-only
        x = images.to(self.device, torch.float32).reshape(len(images), PIXELS)  # (N, 64)
        return F.normalize(self.image_mlp(x * 2 - 1), dim=-1)  # pixels centred to [−1, 1]; (N, D)

    def encode_ids(self, ids: torch.Tensor) -> torch.Tensor:
        """Word ids (N, T) -> (N, EMBED_DIM), unit length: embed, one transformer layer, mean over words."""
        ids = ids.to(self.device)
        width = int((ids != PAD).any(0).nonzero().max()) + 1 if bool((ids != PAD).any()) else 1
        ids = ids[:, :width]  # drop the columns that are padding in every row: same result, less work
        mask = ids != PAD  # (N, T) real words
        x = self.word_emb(ids) + self.pos_emb[: ids.shape[1]]  # (N, T, d)
        x = self.text_norm(self.text_layer(x, mask))  # (N, T, d)
        pooled = (x * mask[..., None]).sum(1) / mask.sum(1, keepdim=True).clamp(min=1)  # (N, d) mean of the words
        return F.normalize(self.text_proj(pooled), dim=-1)  # (N, D)

    def encode_text(self, texts: list[str]) -> torch.Tensor:
        """Texts -> (N, EMBED_DIM), unit length; InputError naming the vocabulary on an unknown word or empty text."""
        if isinstance(texts, str):
            texts = [texts]
        return self.encode_ids(token_ids(list(texts), self.config.max_words))

    def forward(self, images, ids: torch.Tensor) -> ClipOutput:
        """Images (N, 8, 8) and the word ids (N, T) of their captions -> embeddings, logits and loss."""
        image_emb, text_emb = self.encode_images(images), self.encode_ids(ids)
        scale = self.scale()
        logits = scale * image_emb @ text_emb.T  # (N, N)
        return ClipOutput(image_emb, text_emb, scale, logits, clip_loss(image_emb, text_emb, scale))


def init_weights(model: TinyClip, generator: torch.Generator) -> None:
    """Seeded initialisation from a local generator: N(0, 1/fan_in) matrices, small embeddings, zero biases."""
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name == "t":
                continue
            if "norm" in name:
                p.fill_(1.0 if name.endswith("weight") else 0.0)
            elif name.endswith("bias"):
                p.zero_()
            elif "emb" in name:
                p.copy_(torch.randn(p.shape, generator=generator) * 0.5)
            else:
                p.copy_(torch.randn(p.shape, generator=generator) * (1.0 / p.shape[1]) ** 0.5)
