"""The load-test harness's pieces that need no app: percentiles, SSE parsing, loopback, RSS, the report."""

from __future__ import annotations

import os
import random
import resource
import statistics

import pytest

from explainer.loadtest.__main__ import main
from explainer.loadtest.client import Message, SseParser, error_text
from explainer.loadtest.mix import MIX
from explainer.loadtest.record import EventLog, Outcome, Recorder, summarize
from explainer.loadtest.report import rss_per_minute
from explainer.loadtest.run import Results, Settings
from explainer.loadtest.server import NotLoopback, check_loopback, rss_mb

# --- percentiles ---------------------------------------------------------------------------------


@pytest.mark.parametrize("n", [1, 2, 7, 100, 1001])
def test_percentiles_match_the_inclusive_quantiles_of_the_standard_library(n):
    samples = [random.Random(n).expovariate(3.0) for _ in range(n)]
    s = summarize("x", EventLog(latencies=samples))
    if n == 1:
        assert s.p50 == s.p95 == s.p99 == samples[0]
        return
    q = statistics.quantiles(samples, n=100, method="inclusive")  # q[k-1] is the k-th percentile
    assert (s.p50, s.p95, s.p99) == pytest.approx((q[49], q[94], q[98]), rel=1e-12)
    assert s.count == n


def test_an_event_that_never_succeeded_has_no_percentiles_but_keeps_its_first_error_per_kind():
    rec = Recorder()
    rec.add("alibi", Outcome("error", kind="error event", message="Sequence length must be ≤ 64"))
    rec.add("alibi", Outcome("error", kind="error event", message="a later message"))
    rec.add("alibi", Outcome("error", kind="timeout", message="no frame within 120 s"))
    rec.add("alibi", Outcome("refused"))
    rec.cut("alibi")
    (s,) = rec.summaries()
    assert (s.count, s.p50, s.refused, s.errors, s.cut) == (0, None, 1, 3, 1)
    assert s.first_errors == {"error event": "Sequence length must be ≤ 64", "timeout": "no frame within 120 s"}
    assert rec.errors == 3 and rec.attempted("alibi") == 5 and rec.attempted("rope") == 0


def test_abandoned_streams_count_their_first_frame_and_leave_the_session():
    rec = Recorder()
    rec.add("gan_train", Outcome("abandoned", seconds=0.25))
    assert rec.summaries()[0].p50 == 0.25
    assert not Outcome("error", kind="timeout").clean and Outcome("error", kind="error event").clean
    assert Outcome("refused").clean


# --- server-sent events --------------------------------------------------------------------------

# Recorded from this app (gradio 6.31): /gradio_api/call/<api>/<event> and /gradio_api/queue/data.
CALL_STREAM = [
    "event: generating", 'data: [{"type": "plotly", "plot": "{}"}, "step 25"]', "",
    "event: heartbeat", "data: null", "",
    "event: complete", 'data: [{"type": "plotly", "plot": "{}"}, "step 50"]', "",
    "event: error",
    'data: {"error": "Sequence length must be a finite number, got \'x\'.", "duration": 10, "visible": true, '
    '"title": "Error"}', "",
]
QUEUE_STREAM = ['data: {"msg":"estimation","event_id":"4b1a","rank":0}', "",
                'data: {"msg":"process_completed","event_id":"4b1a","success":true}', "",
                'data: {"msg":"close_stream","event_id":null}', ""]


def test_the_parser_splits_a_recorded_call_stream_into_its_events():
    messages = list(SseParser().parse(CALL_STREAM))
    assert [m.event for m in messages] == ["generating", "heartbeat", "complete", "error"]
    assert messages[1].data == "null"
    assert error_text(messages[3]) == "Sequence length must be a finite number, got 'x'."
    assert error_text(Message("error", "null")).startswith("null (not a gr.Error")


def test_the_parser_follows_the_sse_rules_for_unnamed_events_comments_crlf_and_multiline_data():
    messages = list(SseParser().parse([*QUEUE_STREAM, ": a comment", "data:no space", "data:  two spaces\r\n",
                                       "", "event: cut-off", "data: never dispatched"]))
    assert [m.event for m in messages] == ["message"] * 4
    assert messages[1].data == '{"msg":"process_completed","event_id":"4b1a","success":true}'
    assert messages[3].data == "no space\n two spaces"  # one leading space removed, lines joined by \n


# --- loopback only ---------------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["http://127.0.0.1:7860", "http://localhost:7860/", "http://[::1]:7860",
                                 "https://LOCALHOST", "http://evil.example@127.0.0.1:7860/"])
def test_loopback_urls_are_accepted(url):
    assert check_loopback(url).endswith("/")


@pytest.mark.parametrize("url", ["http://example.com:7860", "http://10.0.0.7:7860", "http://0.0.0.0:7860",
                                 "http://127.0.0.1.example.com/", "http://127.0.0.1@example.com/",
                                 "ftp://127.0.0.1/", "127.0.0.1:7860"])
def test_other_hosts_are_refused(url):
    with pytest.raises(NotLoopback, match="127.0.0.1|http"):
        check_loopback(url)


def test_the_command_refuses_a_remote_url_and_out_of_bound_runs_before_any_request(capsys):
    assert main(["--url", "http://example.com:7860", "--users", "2", "--minutes", "1"]) == 2
    assert "only runs against this machine" in capsys.readouterr().err
    for args in (["--users", "201"], ["--users", "0"], ["--minutes", "61"], ["--minutes", "0"], ["--settle", "-1"],
                 ["--settle", "601"]):
        assert main([*args, "--url", "http://127.0.0.1:9"]) == 2
    err = capsys.readouterr().err
    assert "between 1 and 200" in err and "settle must be between 0 and 600 seconds" in err


# --- the shipped mix -----------------------------------------------------------------------------


def test_the_shipped_mix_names_each_api_once_with_positive_weights_and_heavy_entries_that_end():
    names = [e.api_name for e in MIX]
    assert len(names) == len(set(names)) and all(e.weight > 0 for e in MIX)
    assert {e.api_name for e in MIX if e.streamed} == {"gan_train", "diffusion_sample"}
    assert all(e.moves for e in MIX if not e.streamed)


# --- memory and the report -------------------------------------------------------------------------


def test_rss_of_this_process_is_at_most_its_peak_and_a_missing_process_has_none():
    mb = rss_mb(os.getpid())
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kB
    assert 10 < mb <= peak_mb + 1
    assert rss_mb(2**22 + 12345) is None  # above the kernel's pid_max default


def test_rss_per_minute_takes_the_last_sample_of_each_minute_and_the_end():
    results = Results(Settings(users=1, seconds=150), "http://127.0.0.1:1/", 1, Recorder(), Recorder(),
                      rss=[(0.0, 600.0), (55.0, 610.0), (65.0, 640.0), (119.0, 650.0), (125.0, 700.0), (150.2, 690.0)],
                      rss_before_warmup=500.0, rss_after_warmup=590.0)
    assert rss_per_minute(results) == [("before warm-up", 500.0), ("after warm-up (clock starts)", 590.0),
                                       ("minute 1", 610.0), ("minute 2", 650.0), ("minute 3", 700.0),
                                       ("end (150 s)", 690.0)]
    results.rss_settled = (90.0, 620.0)
    assert rss_per_minute(results)[-1] == ("90 s after the last visitor left", 620.0)
