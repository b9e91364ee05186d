"""Bring your own model: attention maps from a Hugging Face model saved in a local folder.

Any encoder (BERT-like, Devlin et al. 2019) or decoder (GPT-2-like, Radford et al. 2019)
saved with ``save_pretrained`` can be loaded — **from disk only** (``local_files_only=True``:
nothing is downloaded), **weights from safetensors only** (``use_safetensors=True``: no
pickle), and no code from the folder is executed (``trust_remote_code=False``). It is run
with ``output_attentions=True`` and the eager attention implementation, which returns one
(B, H, T, T) tensor per layer; they are stacked into the same (L, H, T, T) array that
:func:`explainer.attention.run_text` returns for the shipped models, so the same figures work.

``transformers`` is an optional dependency: imported only when this is used.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from explainer.validate import InputError

from .run import AttentionRun

MAX_HF_TOKENS = 128  # attention maps beyond this are unreadable anyway, and cost T² memory


@dataclass(frozen=True)
class HFModel:
    path: Path  # the folder it was loaded from
    model: Any  # a transformers PreTrainedModel, eval mode
    tokenizer: Any  # its tokenizer
    n_layers: int  # attention layers
    n_heads: int  # heads per layer


def transformers_available() -> bool:
    try:
        import transformers  # noqa: F401
    except ImportError:
        return False
    return True


def load_hf_model(directory: str | Path, *, device: torch.device | str | None = None) -> HFModel:
    """Load a model + tokenizer from a local folder; raises InputError saying what is wrong."""
    if not transformers_available():
        raise InputError("Loading your own model needs the `transformers` package: pip install transformers")
    from transformers import AutoConfig, AutoModel, AutoTokenizer

    path = Path(directory).expanduser()
    if not path.is_dir() or not (path / "config.json").is_file():
        raise InputError(f"{path} is not a model folder: it needs a config.json (save one with save_pretrained).")
    config = AutoConfig.from_pretrained(path, local_files_only=True, trust_remote_code=False)
    if getattr(config, "is_encoder_decoder", False):
        raise InputError("Encoder-decoder models (T5, BART, …) are not supported: use an encoder or a decoder.")
    try:
        model = AutoModel.from_pretrained(
            path, local_files_only=True, trust_remote_code=False, use_safetensors=True,
            attn_implementation="eager", output_attentions=True,
        )
        tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True, trust_remote_code=False)
    except (OSError, ValueError) as exc:
        raise InputError(f"Could not load the model in {path}: {exc}") from exc
    model.to(device or "cpu").eval()
    layers = getattr(config, "num_hidden_layers", None) or getattr(config, "n_layer", 0)
    heads = getattr(config, "num_attention_heads", None) or getattr(config, "n_head", 0)
    return HFModel(path, model, tokenizer, int(layers), int(heads))


@torch.no_grad()
def run_hf(hf: HFModel, text: str) -> AttentionRun:
    """Text → tokens and attention (L, H, T, T), the structure the shipped models return."""
    if not isinstance(text, str) or not text.strip():
        raise InputError("The text is empty: type a sentence.")
    if len(text) > 4 * MAX_HF_TOKENS * 8:
        raise InputError(f"The text is too long: give at most about {MAX_HF_TOKENS} tokens.")
    tok = hf.tokenizer
    fast = getattr(tok, "is_fast", False)
    enc = tok(text, return_tensors="pt", return_offsets_mapping=fast)
    ids = enc["input_ids"]  # (1, T)
    if ids.shape[1] > MAX_HF_TOKENS:
        raise InputError(f"The text is {ids.shape[1]} tokens long; give at most {MAX_HF_TOKENS}.")
    tokens = tuple(tok.convert_ids_to_tokens(ids[0].tolist()))
    unknown: tuple[str, ...] = ()
    unk = tok.unk_token_id
    if unk is not None and fast:
        spans = enc["offset_mapping"][0].tolist()
        unknown = tuple(text[a:b] for i, (a, b) in zip(ids[0].tolist(), spans) if i == unk)
    elif unk is not None:
        unknown = tuple("?" for i in ids[0].tolist() if i == unk)
    device = next(hf.model.parameters()).device
    inputs = {k: v.to(device) for k, v in enc.items() if k in ("input_ids", "attention_mask", "token_type_ids")}
    out = hf.model(**inputs, output_attentions=True)
    if not out.attentions:
        raise InputError("This model returned no attention maps (is it an attention model?).")
    attention = torch.stack([a[0] for a in out.attentions]).float().cpu().numpy()  # (L, H, T, T)
    return AttentionRun(tokens, unknown, np.ascontiguousarray(attention), None, None)
