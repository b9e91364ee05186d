"""Shared fixtures: the app launched in-process on a free port, and a gradio_client for it."""

from __future__ import annotations

import os

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import socket
import sys
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def pytest_collection_modifyitems(config, items):
    if torch.cuda.is_available():
        return
    skip = pytest.mark.skip(reason="needs a CUDA GPU (torch sees none here)")
    for item in items:
        if "gpu" in item.keywords:
            item.add_marker(skip)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session", autouse=True)
def _one_torch_thread_everywhere():
    """Every test computes on one intra-op thread, as the server and the shipped trainings do. With
    torch's default of one thread per core, a training test beside the in-process app's own threads
    ran 10× slower in CI (the quick benchmark: 225 s in the suite, 13 s alone)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture()
def one_thread():
    """One intra-op torch thread, as the server runs (app.py): two threads on a busy 2-core machine ran 50× slower."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="session")
def app_url():
    """The whole app, as `python app.py` builds it, served on 127.0.0.1:<free port>.

    On the CPU unless ``EXPLAINER_TEST_DEVICE`` names another device (``cuda`` on a GPU machine:
    the same ui tests then drive every handler on the GPU).
    """
    import app as app_module

    demo = app_module.build_app(torch.device(os.environ.get("EXPLAINER_TEST_DEVICE", "cpu")))
    port = free_port()
    demo.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True,
                **app_module.launch_options())
    yield f"http://127.0.0.1:{port}/"
    demo.close()


@pytest.fixture()
def client(app_url):
    """A fresh gradio_client session (one per test: sessions never share state)."""
    from gradio_client import Client

    return Client(app_url, verbose=False)
