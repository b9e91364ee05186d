"""On Hugging Face ZeroGPU (the ``spaces`` package present), heavy events run under spaces.GPU; light ones do not."""

from __future__ import annotations

import sys
import types

import torch


def test_heavy_events_are_wrapped_in_spaces_gpu_when_spaces_is_installed(monkeypatch):
    wrapped = []

    def gpu(duration=60):
        def decorate(fn):
            def run(*args, **kwargs):
                return fn(*args, **kwargs)

            run.on_zero_gpu = duration
            wrapped.append(fn)
            return run
        return decorate

    monkeypatch.setitem(sys.modules, "spaces", types.SimpleNamespace(GPU=gpu))
    import app as app_module

    app = app_module.build_app(torch.device("cpu"))
    heavy = {e.api_name for e in app.fns.values() if e.fn is not None and e.concurrency_id == "heavy"}
    light = {e.api_name for e in app.fns.values() if e.fn is not None and e.concurrency_id != "heavy"}
    assert {"gan_train", "diffusion_sample", "diffusion_train", "vae_train"} <= heavy
    marked = {e.api_name for e in app.fns.values() if getattr(e.fn, "on_zero_gpu", None)}
    assert marked == heavy and not marked & light


def test_without_spaces_nothing_is_wrapped():
    import app as app_module

    assert "spaces" not in sys.modules
    app = app_module.build_app(torch.device("cpu"))
    assert not any(getattr(e.fn, "on_zero_gpu", None) for e in app.fns.values())
