"""Checkpoints: safetensors weights with a JSON config beside them. No pickle anywhere.

A checkpoint named ``NAME`` is two files in ``assets/checkpoints/``:

* ``NAME.safetensors`` — the tensors (safetensors cannot execute code when loaded);
* ``NAME.json`` — ``{"format_version", "kind", "config", "metrics", "train_command", "provenance"}``;
  ``provenance`` (written by ``python -m explainer.train``, see :func:`stamp`) records the seed,
  the exact command with ``--seed``, the device, and the Python, torch and numpy versions.

``kind`` names the model class the tensors belong to, ``config`` is the frozen dataclass
the model was built from (as a dict), ``metrics`` what its training run measured. Loading
checks both files and the format version, and every failure names the file and the command
that rebuilds it (``python -m explainer.train NAME``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

FORMAT_VERSION = 1
ROOT = Path(__file__).resolve().parent.parent
CHECKPOINT_DIR = ROOT / "assets" / "checkpoints"


class CheckpointError(RuntimeError):
    """A checkpoint is missing, corrupt, or of another format or kind."""


@dataclass(frozen=True)
class Checkpoint:
    tensors: dict[str, torch.Tensor]  # parameter name -> tensor, on the CPU
    kind: str  # model class the tensors belong to
    config: dict[str, Any]  # the model's config dataclass, as a dict
    metrics: dict[str, Any] = field(default_factory=dict)  # what training measured


def train_command(name: str) -> str:
    return f"python -m explainer.train {name}"


def paths(name: str, directory: Path | None = None) -> tuple[Path, Path]:
    directory = CHECKPOINT_DIR if directory is None else Path(directory)
    return directory / f"{name}.safetensors", directory / f"{name}.json"


def save(
    name: str,
    tensors: dict[str, torch.Tensor],
    *,
    kind: str,
    config: dict[str, Any],
    metrics: dict[str, Any] | None = None,
    directory: Path | None = None,
) -> tuple[Path, Path]:
    """Write ``NAME.safetensors`` and ``NAME.json``; returns both paths."""
    weights_path, meta_path = paths(name, directory)
    weights_path.parent.mkdir(parents=True, exist_ok=True)
    cpu = {k: v.detach().to("cpu").contiguous() for k, v in tensors.items()}
    save_file(cpu, str(weights_path), metadata={"format_version": str(FORMAT_VERSION), "kind": kind})
    meta = {
        "format_version": FORMAT_VERSION,
        "kind": kind,
        "config": config,
        "metrics": metrics or {},
        "train_command": train_command(name),
    }
    meta_path.write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n")
    return weights_path, meta_path


def load(name: str, *, kind: str | None = None, directory: Path | None = None) -> Checkpoint:
    """Read a checkpoint; raise :class:`CheckpointError` naming the file and the fix."""
    weights_path, meta_path = paths(name, directory)
    fix = f"rebuild it with `{train_command(name)}`"
    for path in (meta_path, weights_path):
        if not path.is_file():
            raise CheckpointError(f"Checkpoint file {path} is missing: {fix}.")
    try:
        meta = json.loads(meta_path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CheckpointError(f"Checkpoint config {meta_path} is not valid JSON ({exc}): {fix}.") from exc
    if not isinstance(meta, dict) or meta.get("format_version") != FORMAT_VERSION:
        found = meta.get("format_version") if isinstance(meta, dict) else None
        raise CheckpointError(
            f"Checkpoint config {meta_path} has format version {found!r}, "
            f"this code reads version {FORMAT_VERSION}: {fix}."
        )
    if kind is not None and meta.get("kind") != kind:
        raise CheckpointError(
            f"Checkpoint {meta_path} holds a {meta.get('kind')!r} model, not a {kind!r}: {fix}."
        )
    try:
        tensors = load_file(str(weights_path))
    except (SafetensorError, OSError, ValueError) as exc:
        raise CheckpointError(f"Checkpoint weights {weights_path} are corrupt ({exc}): {fix}.") from exc
    return Checkpoint(
        tensors=tensors,
        kind=meta["kind"],
        config=dict(meta.get("config", {})),
        metrics=dict(meta.get("metrics", {})),
    )


def stamp(name: str, provenance: dict[str, Any], *, directory: Path | None = None) -> None:
    """Record how a checkpoint was made in its JSON sidecar (seed, exact command, versions).

    The trainer that wrote the checkpoint does not know how it was invoked; the train entry
    point does, and calls this right after. ``provenance["train_command"]`` replaces the
    generic command so the sidecar names the exact one (with ``--seed``).
    """
    _, meta_path = paths(name, directory)
    meta = json.loads(meta_path.read_text())
    meta["provenance"] = provenance
    if "train_command" in provenance:
        meta["train_command"] = provenance["train_command"]
    meta_path.write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n")
