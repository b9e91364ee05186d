"""What every Attention view shares: the models on offer and the checks on what a person typed.

The models a person may pick form a :class:`Catalog`, fixed when the app is built: the
shipped encoder, decoder and reversal model, plus Hugging Face folders named on the command
line. A request names a model by its label only, so no path ever comes from a request.

The helpers here turn raw inputs (text, layer, head, query token, top-k, heads to switch
off) into checked values, raising :class:`~explainer.validate.InputError` with what to
change. Nothing is kept between calls: the only module-level state is the cache of
read-only loaded models.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

import torch

from explainer import checkpoint, validate
from explainer.validate import InputError

from .hf import HFModel, load_hf_model, run_hf
from .language import MASK
from .run import AttentionRun, LoadedModel, load_model, run_text
from .training import DECODER, ENCODER, REVERSAL


@dataclass(frozen=True)
class AttentionSettings:
    top_k: int = 5  # words shown in a prediction
    max_top_k: int = 20  # cap on top_k
    tau: float = 0.5  # attention temperature compared with τ = 1 (< 1 sharpens)
    min_tau: float = 0.05  # τ → 0 is argmax attention; below this the logits overflow nothing useful
    max_tau: float = 20.0  # τ → ∞ is uniform attention
    max_chars: int = 600  # refuse longer text before tokenizing (the models read ≤ 32 tokens)
    max_masks_drawn: int = 4  # [MASK] panels in the fill-in figure
    grid_cells: int = 60_000  # most heatmap cells in the all-heads grid (tokens thinned beyond)
    bertviz_numbers: int = 200_000  # most attention numbers sent to one bertviz view (fewer layers beyond)
    new_tokens: int = 12  # generation defaults
    gen_temperature: float = 0.8
    gen_top_k: int = 20
    gen_top_p: float = 0.95
    seed: int = 0


S = AttentionSettings()
SHIPPED = MappingProxyType({
    "encoder · fills in [MASK]": ENCODER,
    "decoder · predicts the next word": DECODER,
    "reversal · reverses 8 digits": REVERSAL,
})
HF_PREFIX = "your model · "


@functools.cache
def shipped(name: str, device: str = "cpu") -> LoadedModel:
    """A shipped model, loaded once per process and never modified (safe to share)."""
    return load_model(name, device=device)


def shipped_shape(label: str) -> tuple[int, int]:
    """(layers, heads) of a shipped model, read from its JSON config without loading the weights."""
    config = json.loads(checkpoint.paths(SHIPPED[label])[1].read_text())["config"]
    return config["n_layers"], config["n_heads"]


@functools.lru_cache(maxsize=4)
def _hf(path: str, device: str) -> HFModel:
    return load_hf_model(path, device=device)


class Catalog:
    """The models on offer, fixed at start-up: label → shipped checkpoint or local HF folder."""

    def __init__(self, hf_dirs: Sequence[str | Path] = (), device: torch.device | str = "cpu"):
        self.device = str(torch.device(device))
        folders: dict[str, Path] = {}
        for d in hf_dirs:
            path = Path(d).expanduser().resolve()
            if not (path / "config.json").is_file():
                raise InputError(f"--hf-model {d}: not a model folder (it needs a config.json from save_pretrained).")
            label, n = HF_PREFIX + path.name, 2
            while label in folders:
                label, n = f"{HF_PREFIX}{path.name} ({n})", n + 1
            folders[label] = path
        self._hf = MappingProxyType(folders)

    @property
    def labels(self) -> tuple[str, ...]:
        return (*SHIPPED, *self._hf)

    def get(self, label: object) -> LoadedModel | HFModel:
        if isinstance(label, str) and label in SHIPPED:
            return shipped(SHIPPED[label], self.device)
        if isinstance(label, str) and label in self._hf:
            return _hf(str(self._hf[label]), self.device)
        raise InputError(f"Unknown model {str(label)[:80]!r}: pick one of {', '.join(self.labels)}.")


def task_of(model: LoadedModel | HFModel) -> str:
    return "hf" if isinstance(model, HFModel) else model.task


def shape_of(model: LoadedModel | HFModel) -> tuple[int, int]:
    return (model.n_layers, model.n_heads) if isinstance(model, HFModel) else (model.cfg.n_layers, model.cfg.n_heads)


def check_text(text: object, s: AttentionSettings = S) -> str:
    if not isinstance(text, str):
        raise InputError(f"The text must be a string, got {type(text).__name__}.")
    if not text.strip():
        raise InputError("The text is empty: type a sentence or pick a preset.")
    if len(text) > s.max_chars:
        raise InputError(f"The text has {len(text)} characters; give at most {s.max_chars} "
                         "(the models read 32 tokens).")
    return text


def run_model(catalog: Catalog, model: str, text: object, **options) -> tuple[LoadedModel | HFModel, AttentionRun]:
    loaded, text = catalog.get(model), check_text(text)
    if isinstance(loaded, HFModel):
        return loaded, run_hf(loaded, text)
    return loaded, run_text(loaded, text, **options)


def layer_head(loaded, layer, head) -> tuple[int, int]:
    L, H = shape_of(loaded)
    return (validate.integer(layer, "Layer", lo=0, hi=L - 1), validate.integer(head, "Head", lo=0, hi=H - 1))


def default_query(tokens: Sequence[str], task: str) -> int:
    """The most telling query: the [MASK], the last token (decoder), or the first digit."""
    if MASK in tokens:
        return tokens.index(MASK)
    if task == "reverse":
        return 1
    return len(tokens) - 1 - (task in ("masked", "hf") and len(tokens) > 2)  # skip [EOS]/[SEP]


def query_index(query, tokens, task) -> int:
    if query is None or query == "":
        return default_query(tokens, task)
    return validate.integer(query, "Query token", lo=0, hi=len(tokens) - 1)


def top_k_value(top_k, s: AttentionSettings = S) -> int:
    return validate.integer(top_k, "top-k", lo=1, hi=s.max_top_k)


# --- small text helpers ------------------------------------------------------------------------------------


def head_names(n_layers: int, n_heads: int) -> tuple[str, ...]:
    """"L0H0", "L0H1", … for every head (the names the switch-off checkboxes use)."""
    return tuple(f"L{layer}H{head}" for layer in range(n_layers) for head in range(n_heads))


_HEAD = re.compile(r"L(\d+)H(\d+)")


def parse_heads(off: object, n_layers: int, n_heads: int) -> list[tuple[int, int]]:
    """["L0H1", "L1H3"] (or "L0H1, L1H3") → [(0, 1), (1, 3)], each checked against the model."""
    items = off.replace(",", " ").split() if isinstance(off, str) else off
    if items is None:
        return []
    if not isinstance(items, (list, tuple)):
        raise InputError("Heads to switch off must be a list like ['L0H1', 'L1H2'].")
    pairs = []
    for item in items:
        match = _HEAD.fullmatch(str(item).strip().upper())
        if not match:
            raise InputError(f"Heads to switch off look like 'L0H1' (layer 0, head 1); got {str(item)[:20]!r}.")
        layer = validate.integer(match[1], "Layer of a head to switch off", lo=0, hi=n_layers - 1)
        head = validate.integer(match[2], "Head to switch off", lo=0, hi=n_heads - 1)
        pairs.append((layer, head))
    return list(dict.fromkeys(pairs))
