"""Retrain the shipped checkpoints from scratch: ``python -m explainer.train NAME|all``.

Every checkpoint in ``assets/checkpoints/`` is produced by one entry of :data:`TRAINERS`,
seeded, so the same command on the same machine rebuilds the same weights. An entry maps a
checkpoint name to ``"module:function"`` (imported only when that model is trained); the
function is called as ``fn(device=..., seed=..., directory=...)``, shows its own progress
bar (tqdm), saves through :mod:`explainer.checkpoint`, and returns the metrics it measured.
"""

from __future__ import annotations

import argparse
import importlib
import json
import platform
import sys
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch

from explainer import checkpoint
from explainer.device import DeviceUnavailable, describe, pick_device

# checkpoint name -> "module:function" that trains and saves it (later tabs add entries).
TRAINERS: dict[str, str] = {
    "attention_encoder": "explainer.attention.training:train_encoder",
    "attention_decoder": "explainer.attention.training:train_decoder",
    "attention_reversal": "explainer.attention.training:train_reversal",
    "attention_positions_none": "explainer.attention.training:train_positions_none",
    "attention_positions_sinusoidal": "explainer.attention.training:train_positions_sinusoidal",
    "attention_positions_learned": "explainer.attention.training:train_positions_learned",
    "attention_positions_rope": "explainer.attention.training:train_positions_rope",
    "attention_positions_alibi": "explainer.attention.training:train_positions_alibi",
    "attention_scaling": "explainer.attention.scaling_runs:train_scaling",
    "digits_classifier": "explainer.datasets.digit_classifier:train_classifier",
    "diffusion_ring": "explainer.diffusion.training:train_ring",
    "diffusion_grid": "explainer.diffusion.training:train_grid",
    "diffusion_moons": "explainer.diffusion.training:train_moons",
    "diffusion_spiral": "explainer.diffusion.training:train_spiral",
    "diffusion_digits": "explainer.diffusion.training:train_digits",
    "vae_linear_ae": "explainer.vae.training:train_linear_ae",
    "vae_ae": "explainer.vae.training:train_ae",
    "vae_vae": "explainer.vae.training:train_vae",
    "vae_beta_0p1": "explainer.vae.training:train_beta_0p1",
    "vae_beta_0p25": "explainer.vae.training:train_beta_0p25",
    "vae_beta_0p5": "explainer.vae.training:train_beta_0p5",
    "vae_beta_1": "explainer.vae.training:train_beta_1",
    "vae_beta_2": "explainer.vae.training:train_beta_2",
    "vae_beta_4": "explainer.vae.training:train_beta_4",
    "vae_beta_8": "explainer.vae.training:train_beta_8",
    "vae_ae8": "explainer.vae.training:train_ae8",
    "vae_latent8": "explainer.vae.training:train_latent8",
    "clip_tiny": "explainer.clip.training:train_clip",
    "clip_prior": "explainer.clip.prior:train_prior",
    "clip_decoder": "explainer.clip.decoder:train_decoder",
}

DEFAULT_SEED = 0


def resolve(spec: str) -> Callable[..., dict[str, Any]]:
    module_name, func_name = spec.split(":", 1)
    return getattr(importlib.import_module(module_name), func_name)


def provenance(name: str, seed: int, device: Any, seconds: float) -> dict[str, Any]:
    """How a checkpoint was made: enough to rebuild it and to tell why it might differ."""
    return {
        "seed": seed,
        "train_command": f"python -m explainer.train {name} --seed {seed}",
        "device": str(device),
        "threads": torch.get_num_threads(),
        "seconds": round(seconds, 1),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "numpy": np.__version__,
    }


def train(names: list[str], *, device_name: str | None, seed: int, directory: Path) -> dict[str, Any]:
    device = pick_device(device_name)
    print(f"training {', '.join(names) or 'nothing'} on {describe(device)} (seed {seed})")
    results: dict[str, Any] = {}
    for name in names:
        start = time.perf_counter()
        metrics = resolve(TRAINERS[name])(device=device, seed=seed, directory=directory)
        seconds = time.perf_counter() - start
        checkpoint.stamp(name, provenance(name, seed, device, seconds), directory=directory)
        results[name] = {"seconds": round(seconds, 1), **(metrics or {})}
        print(f"{name}: {json.dumps(results[name], sort_keys=True)}")
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m explainer.train", description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="checkpoint names, or 'all'")
    parser.add_argument("--device", default=None, help="cpu, cuda or mps (default: best available)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--out", type=Path, default=checkpoint.CHECKPOINT_DIR, help="output folder")
    parser.add_argument("--list", action="store_true", help="list the trainable checkpoints and exit")
    args = parser.parse_args(argv)

    if not args.names and not args.list:
        parser.error("name the checkpoints to train, or 'all' (--list shows them)")
    if args.list or args.names == ["list"]:
        for name, spec in sorted(TRAINERS.items()):
            print(f"{name}\t{spec}")
        return 0
    names = list(TRAINERS) if args.names == ["all"] else args.names  # registry order: the classifier before its users
    unknown = [n for n in names if n not in TRAINERS]
    if unknown:
        known = ", ".join(sorted(TRAINERS)) or "none yet"
        print(f"unknown checkpoint(s): {', '.join(unknown)}; known: {known}", file=sys.stderr)
        return 2
    if not names:
        print("no checkpoints are registered yet: nothing to train")
        return 0
    try:
        train(names, device_name=args.device, seed=args.seed, directory=args.out)
    except DeviceUnavailable as exc:
        print(exc, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
