"""A small transformer that returns every intermediate of its attention.

The architecture is the one of Vaswani et al. 2017 ("Attention Is All You Need") in the
pre-norm arrangement GPT-2 uses (Radford et al. 2019): token embedding (+ a position
scheme) → n blocks of [LayerNorm → multi-head self-attention → residual, LayerNorm → MLP →
residual] → LayerNorm → logits through the tied embedding matrix. One class serves as

* an **encoder** (``causal=False``, BERT-style, Devlin et al. 2019): every token sees every
  other token; trained to fill in ``[MASK]`` tokens;
* a **decoder** (``causal=True``, GPT-style): token i sees tokens 0 … i only.

Each head computes, for queries Q, keys K and values V of width d_k,

    raw = Q Kᵀ,   scaled = raw / √d_k,   logits = (scaled + bias + mask) / τ,
    weights = softmax(logits)  (or softmax1),   mixed = weights · V,

where ``bias`` is ALiBi's −m_h·|i − j| (Press et al. 2022), ``mask`` is −∞ on the future
(decoder) and on padding, and τ is an optional attention temperature. With RoPE
(Su et al. 2021) Q and K are rotated by their positions before the product.

Everything a caller wants to look at comes back in :class:`ModelOutput` (and, on request,
one :class:`LayerTrace` per layer); nothing is stored on ``self``, so one loaded model can
serve many users at once.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from explainer.maths import positions as positional

from .softmax import attention_softmax

POSITIONAL_SCHEMES = ("none", "sinusoidal", "learned", "rope", "alibi")


@dataclass(frozen=True)
class TransformerConfig:
    vocab_size: int  # number of token ids (words, digits and special tokens)
    n_positions: int = 32  # longest input in tokens (size of the position table)
    d_model: int = 64  # width of the residual stream
    n_heads: int = 4  # attention heads per layer; each has d_k = d_model / n_heads
    n_layers: int = 2  # transformer blocks
    d_ff: int = 256  # hidden width of each block's MLP
    causal: bool = False  # True: decoder (sees the past only); False: encoder (sees all)
    positional: str = "learned"  # none | sinusoidal | learned | rope | alibi

    def __post_init__(self):
        if self.positional not in POSITIONAL_SCHEMES:
            raise ValueError(f"positional must be one of {POSITIONAL_SCHEMES}, got {self.positional!r}")
        if self.d_model % self.n_heads or (self.d_model // self.n_heads) % 2:
            raise ValueError("d_model / n_heads must be a whole, even number")

    @property
    def d_k(self) -> int:
        return self.d_model // self.n_heads


@dataclass(frozen=True)
class RunOptions:
    head_mask: torch.Tensor | None = None  # (layers, heads): 1 keeps a head, 0 switches it off
    temperature: float = 1.0  # τ: attention logits are divided by it (τ > 1 flattens, < 1 sharpens)
    softmax: str = "softmax"  # "softmax" (rows sum to 1) or "softmax1" (rows sum to ≤ 1)


@dataclass(frozen=True)
class LayerTrace:
    """Every stage of one layer's attention, for every head. Shapes (B, H, T, ·)."""

    q: torch.Tensor  # (B, H, T, d_k) queries (after RoPE when the model uses it)
    k: torch.Tensor  # (B, H, T, d_k) keys (after RoPE when the model uses it)
    v: torch.Tensor  # (B, H, T, d_k) values
    raw: torch.Tensor  # (B, H, T, T) Q Kᵀ
    scaled: torch.Tensor  # (B, H, T, T) Q Kᵀ / √d_k
    logits: torch.Tensor  # (B, H, T, T) after bias (ALiBi), mask (−inf) and temperature
    weights: torch.Tensor  # (B, H, T, T) softmax(logits): the attention pattern
    mixed: torch.Tensor  # (B, H, T, d_k) weights · V, before the head mask and output projection


@dataclass(frozen=True)
class ModelOutput:
    logits: torch.Tensor  # (B, T, vocab) next-token (decoder) or fill-in (encoder) scores
    attention: torch.Tensor  # (B, L, H, T, T) attention weights of every layer and head
    hidden: torch.Tensor  # (B, T, d_model) final residual stream, after the last LayerNorm
    traces: tuple[LayerTrace, ...] | None = None  # one per layer when asked for


class SelfAttention(nn.Module):
    def __init__(self, cfg: TransformerConfig):
        super().__init__()
        self.cfg = cfg
        self.qkv = nn.Linear(cfg.d_model, 3 * cfg.d_model)
        self.proj = nn.Linear(cfg.d_model, cfg.d_model)

    def forward(self, x, bias, options: RunOptions, keep: torch.Tensor | None, trace: bool):
        B, T, _ = x.shape
        H, dk = self.cfg.n_heads, self.cfg.d_k
        q, k, v = self.qkv(x).view(B, T, 3, H, dk).permute(2, 0, 3, 1, 4)  # each (B, H, T, d_k)
        if self.cfg.positional == "rope":
            positions = torch.arange(T, device=x.device)
            q, k = positional.rope(q, positions), positional.rope(k, positions)  # rotate pairs by p·θ_i
        raw = q @ k.transpose(-2, -1)  # (B, H, T, T)  Q Kᵀ
        scaled = raw / math.sqrt(dk)  # (B, H, T, T)  / √d_k
        logits = scaled + bias  # (B, H, T, T)  + ALiBi bias, −inf where masked
        if options.temperature != 1.0:
            logits = logits / options.temperature  # τ
        weights = attention_softmax(logits, options.softmax)  # (B, H, T, T)
        mixed = weights @ v  # (B, H, T, d_k)  Σ_j w_ij v_j
        kept = mixed if keep is None else mixed * keep.view(1, H, 1, 1)  # switched-off heads give 0
        y = self.proj(kept.transpose(1, 2).reshape(B, T, H * dk))  # (B, T, d_model)  concat · W_O
        record = LayerTrace(q, k, v, raw, scaled, logits, weights, mixed) if trace else None
        return y, weights, record


class Block(nn.Module):
    def __init__(self, cfg: TransformerConfig):
        super().__init__()
        self.ln1, self.ln2 = nn.LayerNorm(cfg.d_model), nn.LayerNorm(cfg.d_model)
        self.attn = SelfAttention(cfg)
        self.mlp = nn.Sequential(nn.Linear(cfg.d_model, cfg.d_ff), nn.GELU(), nn.Linear(cfg.d_ff, cfg.d_model))

    def forward(self, x, bias, options, keep, trace):
        a, weights, record = self.attn(self.ln1(x), bias, options, keep, trace)
        x = x + a  # residual
        x = x + self.mlp(self.ln2(x))
        return x, weights, record


class Transformer(nn.Module):
    """Encoder or decoder, by ``cfg.causal``. Call ``model(ids, pad_mask=..., options=...)``."""

    def __init__(self, cfg: TransformerConfig, generator: torch.Generator | None = None):
        super().__init__()
        self.cfg = cfg
        if cfg.positional == "learned":
            self.pos = nn.Parameter(torch.zeros(cfg.n_positions, cfg.d_model))  # (P, d) one row per position
        if cfg.positional == "sinusoidal":
            table = torch.tensor(positional.sinusoidal(cfg.n_positions, cfg.d_model), dtype=torch.float32)
            self.register_buffer("sinusoid", table, persistent=False)  # (P, d), fixed
        if cfg.positional == "alibi":
            slopes = torch.tensor(positional.alibi_slopes(cfg.n_heads), dtype=torch.float32)
            self.register_buffer("slopes", slopes, persistent=False)  # (H,)
        # torch's default initialisers draw from the global RNG: leave it untouched, and
        # re-initialise everything from the local generator below.
        with torch.random.fork_rng(devices=[]):
            self.embed = nn.Embedding(cfg.vocab_size, cfg.d_model)
            self.blocks = nn.ModuleList(Block(cfg) for _ in range(cfg.n_layers))
        self.ln_f = nn.LayerNorm(cfg.d_model)
        self.reset_parameters(generator if generator is not None else torch.Generator().manual_seed(0))

    @torch.no_grad()
    def reset_parameters(self, generator: torch.Generator) -> None:
        """GPT-2 style init from a local generator: N(0, 0.02) weights, zero biases."""
        for name, p in self.named_parameters():
            if p.dim() >= 2:
                p.normal_(0.0, 0.02, generator=generator)
            elif name.endswith("weight"):  # LayerNorm gains
                p.fill_(1.0)
            else:
                p.zero_()

    @property
    def device(self) -> torch.device:
        return self.embed.weight.device

    def attention_bias(self, T: int, pad_mask: torch.Tensor | None) -> torch.Tensor:
        """Additive bias (B or 1, H or 1, T, T): ALiBi slopes, −inf on the future and on padding."""
        device = self.device
        i = torch.arange(T, device=device)
        bias = torch.zeros(1, 1, T, T, device=device)
        if self.cfg.positional == "alibi":  # −m_h · |i − j|
            bias = -self.slopes.view(1, -1, 1, 1) * (i[:, None] - i[None, :]).abs().float()  # (1, H, T, T)
        if self.cfg.causal:
            bias = bias.masked_fill(i[None, :] > i[:, None], float("-inf"))  # key j > query i: the future
        if pad_mask is not None:
            bias = bias.masked_fill(~pad_mask[:, None, None, :], float("-inf"))  # (B, 1, 1, T) padding keys
        return bias

    def forward(
        self,
        ids: torch.Tensor,
        *,
        pad_mask: torch.Tensor | None = None,
        options: RunOptions = RunOptions(),
        trace: bool = False,
    ) -> ModelOutput:
        """``ids`` (B, T) token ids; ``pad_mask`` (B, T) True on real tokens."""
        B, T = ids.shape
        if T > self.cfg.n_positions:
            raise ValueError(f"input has {T} tokens, the model reads at most {self.cfg.n_positions}")
        x = self.embed(ids)  # (B, T, d)
        if self.cfg.positional == "learned":
            x = x + self.pos[:T]  # + P[t]
        elif self.cfg.positional == "sinusoidal":
            x = x + self.sinusoid[:T]  # + PE[t]
        bias = self.attention_bias(T, pad_mask)
        head_mask = options.head_mask
        if head_mask is not None:
            head_mask = torch.as_tensor(head_mask, dtype=x.dtype, device=x.device)
            if head_mask.shape != (self.cfg.n_layers, self.cfg.n_heads):
                raise ValueError(f"head_mask must have shape {(self.cfg.n_layers, self.cfg.n_heads)}")
        weights, traces = [], []
        for layer, block in enumerate(self.blocks):
            keep = None if head_mask is None else head_mask[layer]
            x, w, record = block(x, bias, options, keep, trace)
            weights.append(w)
            traces.append(record)
        hidden = self.ln_f(x)
        logits = hidden @ self.embed.weight.T  # (B, T, vocab), tied embeddings
        attention = torch.stack(weights, dim=1)  # (B, L, H, T, T)
        return ModelOutput(logits, attention, hidden, tuple(traces) if trace else None)
