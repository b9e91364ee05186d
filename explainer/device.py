"""Where the computation runs: the one place that picks a torch device.

Order of preference: an explicit ``prefer`` argument (the ``--device`` flag), then the
``EXPLAINER_DEVICE`` environment variable, then CUDA → MPS → CPU, whichever is present.
Modules never call this themselves: they read their device from their own weights
(``next(model.parameters()).device``), so one choice made at start-up holds everywhere.

CPU thread count is capped at the cores this process may run on: more threads than
cores made a tiny GAN 3.5× slower (threads fight over the cores and spin on barriers).
"""

from __future__ import annotations

import os

import torch

ENV_VAR = "EXPLAINER_DEVICE"
CHOICES = ("cpu", "cuda", "mps")


# Intra-op CPU threads per request when serving (app.py and the benchmark): see cap_cpu_threads.
SERVER_THREADS = 1


class DeviceUnavailable(ValueError):
    """The device that was asked for does not exist on this machine."""


def available_cores() -> int:
    """Cores this process may run on (respects taskset / container CPU affinity)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # macOS, Windows
        return max(1, os.cpu_count() or 1)


def cap_cpu_threads(limit: int | None = None) -> int:
    """Never run more intra-op threads than cores (nor than ``limit``); returns the count in force.

    A server passes ``limit=1``: its models are tiny, so one request gains little from a
    second thread, while two requests each spinning two threads on two cores slowed a GAN
    from ~190 to 3 steps/s here. Concurrent requests use the other cores instead.
    """
    cap = available_cores() if limit is None else max(1, min(limit, available_cores()))
    if torch.get_num_threads() > cap:
        torch.set_num_threads(cap)
    return torch.get_num_threads()


def _mps_available() -> bool:
    backend = getattr(torch.backends, "mps", None)
    return bool(backend is not None and backend.is_available())


def pick_device(prefer: str | None = None) -> torch.device:
    """Return the torch device to compute on.

    ``prefer`` (or ``$EXPLAINER_DEVICE`` when ``prefer`` is None) may be "cpu", "cuda",
    "cuda:N" or "mps". Asking for a device that is not present raises
    :class:`DeviceUnavailable` with the reason, rather than silently running elsewhere.
    """
    choice = prefer if prefer else os.environ.get(ENV_VAR, "").strip()
    cap_cpu_threads()
    if not choice:
        if torch.cuda.is_available():
            return torch.device("cuda")
        if _mps_available():
            return torch.device("mps")
        return torch.device("cpu")

    choice = choice.lower()
    kind = choice.split(":", 1)[0]
    if kind not in CHOICES:
        raise DeviceUnavailable(f"Unknown device {choice!r}: use one of {', '.join(CHOICES)}.")
    if kind == "cuda" and not torch.cuda.is_available():
        raise DeviceUnavailable("CUDA was asked for, but torch sees no CUDA GPU here: use --device cpu.")
    if kind == "mps" and not _mps_available():
        raise DeviceUnavailable("MPS was asked for, but this machine has no Apple GPU: use --device cpu.")
    device = torch.device(choice)
    if device.type == "cuda" and device.index is not None and device.index >= torch.cuda.device_count():
        raise DeviceUnavailable(
            f"{choice} was asked for, but only {torch.cuda.device_count()} CUDA device(s) exist."
        )
    return device


def describe(device: torch.device) -> str:
    """A one-line label for the header: "CUDA · NVIDIA H100 80GB HBM3" / "CPU · 2 threads"."""
    if device.type == "cuda":
        return f"CUDA · {torch.cuda.get_device_name(device)}"
    if device.type == "mps":
        return "MPS · Apple GPU"
    threads = torch.get_num_threads()
    return f"CPU · {threads} thread{'s' if threads != 1 else ''}"
