"""The paint meter (``python -m explainer.loadtest.paint``) measures real frames and real changes.

Numbers only, no thresholds: speed belongs to the benchmark. What can fail here is the meter
itself — a live plane it cannot find, a change it never sees painted, a latency that is not
a time — and the views it drives having moved (their rows would read n/a).
"""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor

import pytest

from explainer.loadtest import paint

# The tests that drive Chromium share one measurement (about 1–2 minutes on a busy 2-core
# machine): marked browser and slow. The last two read the rows' format and need no browser.


@pytest.fixture(scope="module")
def rows(app_url):
    # A fresh thread: Playwright's sync API refuses to start where another browser test left
    # its event loop running (the session's `browser` fixture).
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(paint.measure, app_url, seconds=3, repeats=2).result(timeout=600)


def by_name(rows) -> dict:
    return {r.what: r for r in rows}


@pytest.mark.browser
@pytest.mark.slow
def test_training_paints_frames(rows):
    live = by_name(rows)["GAN live training · frames painted per second in Chromium"]
    assert math.isfinite(live.value) and live.value > 0, live
    assert live.higher_is_better and live.unit == "frames/s"
    new_pictures = float(live.note.split("new pictures ")[1].split("/s")[0])
    assert 0 < new_pictures <= live.value + 0.05, live.note  # a new picture is a frame whose DOM changed (note: 1 decimal)


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.parametrize("live", paint.LIVE, ids=lambda v: v.name)
def test_every_other_live_view_paints_frames(rows, live):
    row = by_name(rows)[f"{live.name} · frames painted per second in Chromium"]
    assert math.isfinite(row.value) and row.value > 0, row  # NaN: the tab or its button was not found
    assert row.higher_is_better and row.unit == "frames/s"


@pytest.mark.browser
@pytest.mark.slow
def test_pause_during_training_is_timed(rows):
    pause = by_name(rows)["GAN live training · Pause clicked → motion stopped in Chromium"]
    assert math.isfinite(pause.value) and 0 <= pause.value < 60_000 and pause.unit == "ms", pause


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.parametrize("view", paint.VIEWS, ids=lambda v: v.name)
def test_every_light_view_changes_and_is_timed(rows, view):
    row = by_name(rows)[f"click → painted · {view.name}, p95"]
    assert math.isfinite(row.value) and row.value > 0, row  # NaN: the view or its control was not found
    assert "2 changes" in row.note, row.note  # both changes were seen painted
    changed, shown = (int(x) for x in row.note.split(" figures changed")[0].split(", ")[-1].split(" of "))
    assert 1 <= changed <= shown, row.note


@pytest.mark.browser
@pytest.mark.slow
def test_the_summary_row_pools_every_change(rows):
    summary = by_name(rows)["click → figure painted in Chromium, light views, p95"]
    assert math.isfinite(summary.value) and summary.value > 0, summary
    assert f"{2 * len(paint.VIEWS)} changes" in summary.note, summary.note


def test_a_missing_view_reads_n_a():
    row = paint._latency_row("nowhere", [], 200.0, "no tab 'Nowhere'")
    assert math.isnan(row.value) and row.note == "n/a: no tab 'Nowhere'"


def test_the_bench_table_prints_n_a():
    import torch

    from explainer.bench import table

    line = table([paint._latency_row("nowhere", [], 200.0, "gone")], torch.device("cpu")).splitlines()[-1]
    assert "| n/a | ≤ 200 ms | n/a |" in line, line
