"""The server under test: loopback only, started as ``python app.py`` when no URL is given, its RSS.

The harness sends many requests as fast as a room of people would: it must never be pointed at
a machine that is not this one, so any URL whose host is not 127.0.0.1, localhost or ::1 is
refused before a single request is made.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[2]  # the repository: app.py lives here
LOOPBACK = {"127.0.0.1", "localhost", "::1"}


class NotLoopback(ValueError):
    pass


def check_loopback(url: str) -> str:
    """The URL, normalised to end in "/", if its host is this machine; ``NotLoopback`` otherwise."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or parts.hostname is None:
        raise NotLoopback(f"--url {url!r} is not an http(s) URL: give e.g. http://127.0.0.1:7860")
    if parts.hostname.lower() not in LOOPBACK:
        raise NotLoopback(f"--url {url!r}: the load test only runs against this machine "
                          f"(host 127.0.0.1, localhost or ::1), not {parts.hostname!r}")
    return url if url.endswith("/") else url + "/"


def rss_mb(pid: int) -> float | None:
    """Resident memory of a process in MB (VmRSS of /proc/<pid>/status), None if it cannot be read."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024  # kB -> MB
    except (OSError, ValueError, IndexError):
        return None
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serving(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


@contextmanager
def started_app(timeout: float = 180.0, *, port: int | None = None,
                device: str | None = None) -> Iterator[tuple[str, int, Path]]:
    """``python app.py`` on 127.0.0.1:<port, else a free one> (``--device`` if given): yields (url, pid,
    log file) once it serves HTTP 200; stopped on exit."""
    port = port or free_port()
    url = f"http://127.0.0.1:{port}/"
    log = Path(tempfile.mkstemp(prefix="loadtest-server-", suffix=".log")[1])
    env = {**os.environ, "GRADIO_ANALYTICS_ENABLED": "False"}
    command = [sys.executable, str(ROOT / "app.py"), "--host", "127.0.0.1", "--port", str(port)]
    with open(log, "wb") as out:
        proc = subprocess.Popen(command + (["--device", device] if device else []),
                                cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        start = time.monotonic()
        while not _serving(url):
            if proc.poll() is not None:
                raise RuntimeError(f"app.py exited with {proc.returncode}: {log.read_text()[-2000:]}")
            if time.monotonic() - start > timeout:
                raise RuntimeError(f"app.py did not serve {url} within {timeout:.0f} s (log: {log})")
            time.sleep(0.2)
        yield url, proc.pid, log
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def tracebacks(log: Path) -> int:
    """How many tracebacks the server wrote (issue 10: expected refusals should log one line, none)."""
    try:
        return log.read_text(errors="replace").count("Traceback (most recent call last)")
    except OSError:
        return 0
