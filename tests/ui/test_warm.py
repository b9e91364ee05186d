"""Warm start (issue 11): every lesson step's views are computed once after start-up, with the
step's own values, and none of them is refused (a refusal would mean the lesson and the view
disagree, and the room would see the first click fail)."""

from __future__ import annotations

import logging

import pytest
import torch

from demos import lessons, warm, workshop
from tests.helpers import in_fresh_thread


@pytest.fixture(scope="module")
def built():
    import app as app_module

    torch.set_num_threads(1)
    app = app_module.build_app(torch.device("cpu"))
    return app, workshop.manifest(app), lessons.read_lessons()


def test_every_lesson_step_has_views_to_warm(built):
    app, tabs, found = built
    calls = warm.step_calls(app, tabs, found)
    for lesson in found.values():
        views = tabs[lesson.tab]["views"]
        for step in lesson.steps:
            ids = {workshop.find_control(views, step.view, n)[1]["id"] for n in step.set}
            assert any(ids & {getattr(c, "elem_id", None) for c in event.inputs} for event, _ in calls), step.title
    by_event = [(event, inputs) for event, inputs in calls if event.api_name == "alibi_page"]
    heads = [inputs[0] for _, inputs in by_event]
    assert 8 in heads and 4 in heads  # the two ALiBi steps, each with its own number of heads


def test_warming_runs_every_call_and_nothing_is_refused(built, caplog):
    app, tabs, found = built
    calls = warm.step_calls(app, tabs, found)
    with caplog.at_level(logging.INFO, logger="explainer"):
        done, seconds = in_fresh_thread(warm.warm, app, calls, 600)  # as in the app: its own thread, no loop
    assert done == len(calls)
    refused = [r.getMessage() for r in caplog.records if "warm-up of" in r.getMessage() or "refused" in r.getMessage()]
    assert refused == []
    print(f"\nwarmed {done} lesson views in {seconds:.1f} s")


def test_warming_stops_at_its_time_limit(built):
    app, tabs, found = built
    calls = warm.step_calls(app, tabs, found)
    assert in_fresh_thread(warm.warm, app, calls, 0.0)[0] == 0  # nothing starts once the time is up
    done, _ = in_fresh_thread(warm.warm, app, calls[:3], 60)
    assert done == 3
