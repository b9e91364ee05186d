"""Attention tab: tiny transformers trained by this project, and everything to look inside them.

Concepts, one module each:

* :mod:`.softmax`   — softmax and softmax1 (Miller 2023, "Attention Is Off By One");
* :mod:`.language`  — a generated language with long-range dependencies (agreement, names, brackets);
* :mod:`.tokens`    — word tokenizer and vocabulary (unknown words reported, length capped);
* :mod:`.tasks`     — masked LM (Devlin et al. 2019), next-token (Radford et al. 2019), reversal;
* :mod:`.model`     — the transformer (Vaswani et al. 2017), returning every attention intermediate;
* :mod:`.training`  — the training loop and the trainers ``python -m explainer.train`` calls;
* :mod:`.evaluate`  — held-out accuracy on each dependency;
* :mod:`.heads`     — measured one-line labels for every head;
* :mod:`.run`       — load a shipped model, run text, predict with head masks / τ / softmax1;
* :mod:`.generate`  — sampling with temperature, top-k, top-p and a seed;
* :mod:`.positions` — permutation-equivariance, learned position tables, the five-scheme comparison;
* :mod:`.hf`        — bring your own Hugging Face model from a local folder.
"""

from .generate import Generation, generate
from .heads import HeadLabel
from .hf import HFModel, load_hf_model, run_hf, transformers_available
from .model import POSITIONAL_SCHEMES, LayerTrace, ModelOutput, RunOptions, Transformer, TransformerConfig
from .positions import (
    EquivarianceCheck, cosine_similarity, learned_positions, permutation_equivariance, positional_comparison,
)
from .run import (
    AttentionRun, Guess, LoadedModel, Prediction, Reversal, Scores, encode_text, heads_off, load_model,
    predict_masked, predict_next, predict_reversal, run_text,
)
from .softmax import SOFTMAX_KINDS, attention_softmax, softmax1
from .training import DECODER, ENCODER, POSITIONAL_NAMES, REVERSAL

MODEL_NAMES = (ENCODER, DECODER, REVERSAL, *POSITIONAL_NAMES.values())  # every shipped checkpoint


def head_labels(loaded: LoadedModel) -> list[HeadLabel]:
    """The measured label of every head of a shipped model (computed on held-out data at training)."""
    return [HeadLabel(**h) for h in loaded.metrics.get("head_labels", [])]


__all__ = [
    "softmax1", "attention_softmax", "SOFTMAX_KINDS",
    "TransformerConfig", "Transformer", "RunOptions", "LayerTrace", "ModelOutput", "POSITIONAL_SCHEMES",
    "LoadedModel", "AttentionRun", "Scores", "Guess", "Prediction", "Reversal",
    "load_model", "run_text", "encode_text", "heads_off", "predict_masked", "predict_next", "predict_reversal",
    "Generation", "generate", "HeadLabel", "head_labels",
    "HFModel", "load_hf_model", "run_hf", "transformers_available",
    "EquivarianceCheck", "permutation_equivariance", "learned_positions", "cosine_similarity", "positional_comparison",
    "ENCODER", "DECODER", "REVERSAL", "POSITIONAL_NAMES", "MODEL_NAMES",
]
