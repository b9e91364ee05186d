"""Measure every preset the way VEEGAN does: ``python -m explainer.gan.evaluate``.

Each preset is trained for its own number of steps on the ring and the grid, once per seed;
2,500 samples are then drawn and scored (modes covered, % high quality; Srivastava et al.
2017, §5.1). The output is a markdown table, printed beside the published numbers.
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np
import torch

from explainer.device import DeviceUnavailable, describe, pick_device
from explainer.gan.catalog import PRESETS
from explainer.gan.training import GANTrainer

# VEEGAN, Table 1: (modes covered, % high-quality samples) on 2,500 samples.
PUBLISHED = {
    "ring": {"GAN": (1, 99.3), "ALI": (2.8, 0.13), "Unrolled GAN": (7.6, 35.6), "VEEGAN": (8, 52.9)},
    "grid": {"GAN": (3.3, 0.5), "ALI": (15.8, 1.6), "Unrolled GAN": (23.6, 16.0), "VEEGAN": (24.6, 40.0)},
}
N_MODES = {"ring": 8, "grid": 25}


def run_one(preset: str, dataset: str, seed: int, device: torch.device) -> tuple[int, float, int, float]:
    """(modes covered, high-quality fraction, steps, seconds) of one full preset run."""
    trainer = GANTrainer.from_preset(preset, seed, device, dataset=dataset)
    start = time.perf_counter()
    trainer.train_to_end()
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    seconds = time.perf_counter() - start
    modes, quality = trainer.evaluate()
    return modes, quality, trainer.step_count, seconds


def table(results: dict[tuple[str, str], list[tuple[int, float, int, float]]]) -> str:
    lines = [
        "| preset | data | modes covered (mean) | per seed | % high quality (mean) | per seed | steps | s / run |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for (preset, dataset), runs in results.items():
        modes = [r[0] for r in runs]
        quality = [100 * r[1] for r in runs]
        lines.append(
            f"| {preset} | {dataset} | {np.mean(modes):.1f} / {N_MODES[dataset]} | {', '.join(map(str, modes))} "
            f"| {np.mean(quality):.1f} | {', '.join(f'{q:.0f}' for q in quality)} | {runs[0][2]} "
            f"| {np.mean([r[3] for r in runs]):.1f} |"
        )
    return "\n".join(lines)


def published_table(datasets: list[str]) -> str:
    head = "| published (VEEGAN Table 1) | " + " | ".join(f"{d} modes | {d} % HQ" for d in datasets) + " |"
    lines = [head, "|---|" + "---|---|" * len(datasets)]
    for method in PUBLISHED["ring"]:
        cells = " | ".join(f"{PUBLISHED[d][method][0]} | {PUBLISHED[d][method][1]}" for d in datasets)
        lines.append(f"| {method} | {cells} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m explainer.gan.evaluate", description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5, help="number of seeds (0 .. N-1)")
    parser.add_argument("--datasets", nargs="+", default=["ring", "grid"], choices=sorted(N_MODES))
    parser.add_argument("--presets", nargs="+", default=list(PRESETS), help="preset names (default: all)")
    parser.add_argument("--device", default="cpu", help="cpu, cuda or mps (default: cpu)")
    parser.add_argument("--threads", type=int, default=None, help="CPU threads (default: torch's choice)")
    args = parser.parse_args(argv)
    unknown = [p for p in args.presets if p not in PRESETS]
    if unknown:
        print(f"unknown preset(s): {', '.join(unknown)}; known: {', '.join(PRESETS)}", file=sys.stderr)
        return 2
    if args.threads:
        torch.set_num_threads(args.threads)
    try:
        device = pick_device(args.device)
    except DeviceUnavailable as exc:
        print(exc, file=sys.stderr)
        return 2
    print(f"GAN presets on {describe(device)}, seeds 0..{args.seeds - 1}, 2,500 samples each\n", flush=True)
    results: dict[tuple[str, str], list[tuple[int, float, int, float]]] = {}
    for preset in args.presets:
        for dataset in args.datasets:
            runs = []
            for seed in range(args.seeds):
                runs.append(run_one(preset, dataset, seed, device))
                modes, quality, steps, seconds = runs[-1]
                print(f"  {preset} / {dataset} / seed {seed}: {modes} modes, {100 * quality:.1f}% high quality, "
                      f"{steps} steps in {seconds:.1f} s", file=sys.stderr, flush=True)
            results[(preset, dataset)] = runs
    print(table(results))
    print()
    print(published_table(args.datasets))
    return 0


if __name__ == "__main__":
    sys.exit(main())
