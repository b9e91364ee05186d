"""The server refuses oversized requests before reading them, and still serves everyone else."""

from __future__ import annotations

import http.client
import json
from urllib.parse import urlparse

from demos.server import MAX_BODY_BYTES, MAX_UPLOAD_BYTES


def _post(app_url: str, path: str, body: bytes, headers: dict | None = None, chunked: bool = False):
    url = urlparse(app_url)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    try:
        if chunked:
            conn.putrequest("POST", path)
            for k, v in (headers or {}).items():
                conn.putheader(k, v)
            conn.putheader("Transfer-Encoding", "chunked")
            conn.endheaders()
            step = 64 * 1024
            try:
                for i in range(0, len(body), step):
                    piece = body[i:i + step]
                    conn.send(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
                conn.send(b"0\r\n\r\n")
            except (BrokenPipeError, ConnectionResetError):
                pass  # the server answered and closed before the rest arrived
        else:
            conn.request("POST", path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def _call_body(size: int) -> bytes:
    return json.dumps({"data": ["x" * size, 16, True]}).encode()


def test_an_oversized_api_call_is_refused_with_413(app_url):
    status, body = _post(app_url, "/gradio_api/call/sinusoidal", _call_body(MAX_BODY_BYTES + 1),
                         {"Content-Type": "application/json"})
    assert status == 413
    assert b"Request too large" in body and len(body) < 200  # no echo of the input


def test_an_oversized_chunked_body_is_refused_while_it_arrives(app_url):
    status, _ = _post(app_url, "/gradio_api/call/sinusoidal", _call_body(4 * MAX_BODY_BYTES),
                      {"Content-Type": "application/json"}, chunked=True)
    assert status == 413


def test_an_oversized_upload_is_refused(app_url):
    boundary = "b0undary"
    payload = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"a.png\"\r\n"
               "Content-Type: image/png\r\n\r\n").encode() + b"\0" * (MAX_UPLOAD_BYTES + 1) + f"\r\n--{boundary}--\r\n".encode()
    status, _ = _post(app_url, "/gradio_api/upload", payload,
                      {"Content-Type": f"multipart/form-data; boundary={boundary}"})
    assert status == 413


def test_a_bad_content_length_is_refused(app_url):
    url = urlparse(app_url)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    conn.putrequest("POST", "/gradio_api/call/sinusoidal")
    conn.putheader("Content-Length", "12abc")
    conn.endheaders()
    assert conn.getresponse().status in (400, 413)
    conn.close()


def test_a_normal_call_still_passes(app_url):
    status, body = _post(app_url, "/gradio_api/call/sinusoidal", json.dumps({"data": [64, 16, True]}).encode(),
                         {"Content-Type": "application/json"})
    assert status == 200 and b"event_id" in body


def test_an_unknown_event_name_is_a_404_without_a_traceback(app_url, capfd):
    status, body = _post(app_url, "/gradio_api/call/no_such_event", json.dumps({"data": []}).encode(),
                         {"Content-Type": "application/json"})
    assert status == 404 and b"Unknown event" in body
    assert "Traceback" not in capfd.readouterr().err


def test_memory_is_handed_back_on_glibc():
    import threading

    from demos.server import keep_memory_flat

    if not keep_memory_flat():
        import pytest

        pytest.skip("not glibc: nothing to trim")
    assert any(t.name == "malloc-trim" and t.daemon for t in threading.enumerate())


def test_gradio_deep_links_are_not_offered(app_url):
    url = urlparse(app_url)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    try:
        conn.request("GET", "/gradio_api/deep_link?session_hash=abc")  # Gradio would write the page to disk
        response = conn.getresponse()
        assert response.status == 404 and b"Not offered" in response.read()
    finally:
        conn.close()


def test_a_session_keeps_no_copy_of_the_page(app_url):
    """Gradio's SessionState copies every block's config per visitor (~2.3 MB here); ours keeps none."""
    import gradio as gr
    import gradio.state_holder

    from demos.memory import LeanSessionState

    assert gradio.state_holder.SessionState is LeanSessionState  # installed when the app was built
    with gr.Blocks() as tiny:
        state, box = gr.State(1), gr.Textbox("x")
        gr.Button().click(lambda s: (s + 1, "y"), state, [state, box])
    theirs, ours = gr.state_holder.SessionState.__mro__[1](tiny), LeanSessionState(tiny)
    assert set(vars(ours)) == set(vars(theirs))  # a Gradio upgrade that adds an attribute fails here
    assert theirs.config_values and not ours.config_values
    ours[state._id] = 5
    ours._update_value_in_config(box._id, "y")
    assert ours[state._id] == 5 and not ours.config_values  # (sessions carrying state: every ui test of a tab)


def test_the_page_is_the_same_for_every_visitor_and_built_once(app_url):
    """demos.page_cache: the second visit gets the first visit's bytes (Gradio built a fresh copy each time)."""
    import httpx

    first = httpx.get(app_url, trust_env=False)
    again = httpx.get(app_url + "?present=1", trust_env=False)
    proxied = httpx.get(app_url, headers={"X-Forwarded-Host": "explainer.example"}, trust_env=False)
    assert first.status_code == again.status_code == proxied.status_code == 200
    assert again.content == first.content and "gradio_config" in first.text
    assert '"root":"http://explainer.example"' in proxied.text and "explainer.example" not in first.text


def test_the_queue_keeps_no_per_event_analytics(monkeypatch):
    """Gradio rebuilt a pandas summary of its last 10,000 events after every event (demos.server.QUEUE_ANALYTICS)."""
    import gradio as gr
    from gradio.queueing import Queue
    from gradio_client import Client

    from demos.server import QUEUE_ANALYTICS, lean_queue_analytics
    from tests.conftest import free_port

    for name in QUEUE_ANALYTICS:
        monkeypatch.delenv(name, raising=False)
    summaries = []
    monkeypatch.setattr(Queue, "_get_df", staticmethod(lambda records: summaries.append(len(records))))
    lean_queue_analytics()
    with gr.Blocks(analytics_enabled=False) as tiny:
        box = gr.Number(0)
        gr.Button().click(lambda x: x + 1, box, box, api_name="add")
    tiny.queue()
    port = free_port()
    tiny.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)
    try:
        client = Client(f"http://127.0.0.1:{port}/", verbose=False)
        assert [client.predict(i, api_name="/add") for i in range(5)] == [1, 2, 3, 4, 5]
        assert len(tiny._queue.event_analytics) <= 1 and summaries == []
    finally:
        tiny.close()
