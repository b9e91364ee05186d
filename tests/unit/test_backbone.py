"""The library backbone: device choice, checkpoints, input checks, the train and bench entry points."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
import torch

from explainer import bench, checkpoint, device, train, validate
from tests.conftest import ROOT


# --- device ----------------------------------------------------------------------------------

@pytest.mark.parametrize("cuda, mps, expected", [(True, True, "cuda"), (False, True, "mps"), (False, False, "cpu")])
def test_pick_device_prefers_cuda_then_mps_then_cpu(monkeypatch, cuda, mps, expected):
    monkeypatch.delenv(device.ENV_VAR, raising=False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: cuda)
    monkeypatch.setattr(device, "_mps_available", lambda: mps)
    assert device.pick_device().type == expected


def test_flag_beats_environment(monkeypatch):
    # The environment names a device this machine lacks: if it were read, pick_device would raise.
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setenv(device.ENV_VAR, "cuda")
    assert device.pick_device("cpu").type == "cpu"
    with pytest.raises(device.DeviceUnavailable):
        device.pick_device()


def test_environment_beats_default(monkeypatch):
    # A machine that "has" CUDA would default to it; the environment variable asks for the CPU.
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setenv(device.ENV_VAR, "cpu")
    assert device.pick_device().type == "cpu"
    monkeypatch.setenv(device.ENV_VAR, "")
    assert device.pick_device().type == "cuda"


def test_pytest_timeout_is_installed_and_enforced(pytestconfig):
    assert pytestconfig.pluginmanager.hasplugin("timeout")
    assert float(pytestconfig.getini("timeout")) > 0


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the message for a missing GPU")
def test_asking_for_a_missing_gpu_says_so(monkeypatch):
    monkeypatch.delenv(device.ENV_VAR, raising=False)
    with pytest.raises(device.DeviceUnavailable, match="--device cpu"):
        device.pick_device("cuda")
    monkeypatch.setenv(device.ENV_VAR, "cuda")
    with pytest.raises(device.DeviceUnavailable):
        device.pick_device()


def test_unknown_device_name_is_refused():
    with pytest.raises(device.DeviceUnavailable, match="use one of"):
        device.pick_device("tpu")


def test_cpu_threads_never_exceed_the_cores():
    torch.set_num_threads(device.available_cores() + 3)
    assert device.cap_cpu_threads() <= device.available_cores()
    assert torch.get_num_threads() <= device.available_cores()


def test_describe_names_the_device():
    assert device.describe(torch.device("cpu")).startswith("CPU · ")
    assert "thread" in device.describe(torch.device("cpu"))


# --- checkpoints -----------------------------------------------------------------------------

def test_checkpoint_round_trip(tmp_path):
    tensors = {"w": torch.randn(3, 4), "b": torch.arange(4.0)}
    checkpoint.save("tiny", tensors, kind="Linear", config={"d": 4}, metrics={"acc": 0.5}, directory=tmp_path)
    loaded = checkpoint.load("tiny", kind="Linear", directory=tmp_path)
    assert loaded.config == {"d": 4} and loaded.metrics == {"acc": 0.5}
    for name, tensor in tensors.items():
        assert torch.equal(loaded.tensors[name], tensor)
    meta = json.loads((tmp_path / "tiny.json").read_text())
    assert meta["format_version"] == checkpoint.FORMAT_VERSION
    assert meta["train_command"] == "python -m explainer.train tiny"


def test_missing_checkpoint_names_file_and_command(tmp_path):
    with pytest.raises(checkpoint.CheckpointError, match=r"gone\.json is missing.*python -m explainer\.train gone"):
        checkpoint.load("gone", directory=tmp_path)


def test_corrupt_weights_name_file_and_command(tmp_path):
    checkpoint.save("bad", {"w": torch.ones(2)}, kind="K", config={}, directory=tmp_path)
    (tmp_path / "bad.safetensors").write_bytes(b"\x00\x01 not a safetensors file")
    with pytest.raises(checkpoint.CheckpointError, match=r"bad\.safetensors are corrupt.*explainer\.train bad"):
        checkpoint.load("bad", directory=tmp_path)


def test_wrong_version_or_kind_is_refused(tmp_path):
    checkpoint.save("old", {"w": torch.ones(2)}, kind="K", config={}, directory=tmp_path)
    with pytest.raises(checkpoint.CheckpointError, match="holds a 'K' model"):
        checkpoint.load("old", kind="Other", directory=tmp_path)
    meta = json.loads((tmp_path / "old.json").read_text())
    (tmp_path / "old.json").write_text(json.dumps({**meta, "format_version": 99}))
    with pytest.raises(checkpoint.CheckpointError, match="format version 99"):
        checkpoint.load("old", directory=tmp_path)
    (tmp_path / "old.json").write_text("{not json")
    with pytest.raises(checkpoint.CheckpointError, match="not valid JSON"):
        checkpoint.load("old", directory=tmp_path)


def test_no_pickle_anywhere_in_the_code():
    sources = [p for folder in ("explainer", "demos") for p in (ROOT / folder).rglob("*.py")] + [ROOT / "app.py"]
    for path in sources:
        text = path.read_text()
        assert "import pickle" not in text and "torch.load(" not in text, path


# --- input checks ----------------------------------------------------------------------------

@pytest.mark.parametrize("value", [float("nan"), float("inf"), "x", None, [1], True])
def test_integer_refuses_non_numbers(value):
    with pytest.raises(validate.InputError, match="must be a"):
        validate.integer(value, "Width", lo=1, hi=10)


def test_integer_accepts_whole_floats_and_numeric_strings():
    assert validate.integer(8.0, "n", lo=1, hi=10) == 8
    assert validate.integer("4", "n", lo=1, hi=10, even=True) == 4
    with pytest.raises(validate.InputError, match="whole number"):
        validate.integer(2.5, "n", lo=1, hi=10)


def test_int_list_parses_dedupes_and_caps():
    assert validate.int_list("3, 1;3", "dims", lo=0, hi=9, max_items=4) == [3, 1]
    with pytest.raises(validate.InputError, match="at most 2"):
        validate.int_list("1,2,3", "dims", lo=0, hi=9, max_items=2)


# --- entry points ----------------------------------------------------------------------------

def test_train_entry_point_lists_and_rejects_unknown_names(capsys):
    assert train.main(["--list", "all"]) == 0
    assert train.main(["no-such-model"]) == 2
    assert "unknown checkpoint(s): no-such-model" in capsys.readouterr().err


def test_every_registered_trainer_resolves_to_a_function():
    for name, spec in train.TRAINERS.items():
        assert callable(train.resolve(spec)), name


@pytest.mark.slow
def test_bench_quick_run_prints_every_positional_row():
    rows = bench.measure(torch.device("cpu"), quick=True, startup=False)
    names = [r.what for r in rows]
    for topic in ("Attention", "Positional", "GAN", "Diffusion", "VAE"):
        assert any(n.startswith(topic) for n in names), f"no benchmark row for the {topic} tab"
    assert any("sinusoidal" in n for n in names) and any("ALiBi" in n for n in names)
    assert any(r.what.startswith("GAN · training") and r.unit == "steps/s" and r.higher_is_better for r in rows)
    assert all(r.value > 0 and r.unit in ("s", "ms", "steps/s") for r in rows)
    text = bench.table(rows, torch.device("cpu"))
    assert text.count("\n| Positional") == 3 and "| what | measured | target | met |" in text


@pytest.mark.slow
def test_bench_module_runs_from_the_command_line():
    out = subprocess.run([sys.executable, "-m", "explainer.bench", "--quick", "--no-startup", "--device", "cpu",
                          "--only", "positional"],
                         cwd=ROOT, capture_output=True, text=True, timeout=300, check=True).stdout
    assert out.startswith("Device: ") and "handler p95" in out


def _tiny_trainer(*, device, seed, directory):
    """A stand-in trainer for the entry point's test: a seeded tensor saved as a checkpoint."""
    g = torch.Generator().manual_seed(seed)
    checkpoint.save("tiny_trained", {"w": torch.randn(2, 2, generator=g)}, kind="Tiny", config={},
                    metrics={"ok": 1}, directory=directory)
    return {"ok": 1}


def test_train_records_seed_command_and_versions_in_the_sidecar(tmp_path, monkeypatch):
    monkeypatch.setitem(train.TRAINERS, "tiny_trained", f"{__name__}:_tiny_trainer")
    assert train.main(["tiny_trained", "--seed", "7", "--device", "cpu", "--out", str(tmp_path)]) == 0
    meta = json.loads((tmp_path / "tiny_trained.json").read_text())
    p = meta["provenance"]
    assert p["seed"] == 7 and meta["train_command"] == p["train_command"] == "python -m explainer.train tiny_trained --seed 7"
    assert p["torch"] == torch.__version__ and p["numpy"] == np.__version__ and p["python"].count(".") == 2
    assert checkpoint.load("tiny_trained", directory=tmp_path).metrics == {"ok": 1}


def test_refusals_echo_at_most_a_short_prefix_and_survive_huge_integers():
    with pytest.raises(validate.InputError) as info:
        validate.integer(10**400, "Query token", lo=0, hi=10)
    assert "finite" in str(info.value) and len(str(info.value)) < 120
    with pytest.raises(validate.InputError) as info:
        validate.real("x" * 10_000_000, "Temperature", lo=0, hi=1)
    assert "Temperature must be a number" in str(info.value) and len(str(info.value)) < 200
    assert validate.shown("abc") == "'abc'" and len(validate.shown("y" * 10**6)) < 80


def test_every_shipped_checkpoint_records_how_it_was_made():
    """Seed, the exact command, and the versions: enough to rebuild it and to tell why it might differ."""
    sidecars = sorted(checkpoint.CHECKPOINT_DIR.glob("*.json"))
    assert {p.stem for p in sidecars} == set(train.TRAINERS)
    for path in sidecars:
        p = json.loads(path.read_text()).get("provenance")
        assert p, f"{path.name} has no provenance"
        assert p["train_command"] == f"python -m explainer.train {path.stem} --seed {p['seed']}", path.name
        assert {"python", "torch", "numpy", "threads", "device"} <= p.keys(), path.name
