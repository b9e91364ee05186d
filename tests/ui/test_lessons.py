"""Lessons and links to a view (issue 11): every lesson step names a view, controls and values the
app really has; the manifest the page's script uses covers every tab; the one rule for values
(`demos.workshop.coerce`) refuses what a control would refuse.

The browser side (walking every step with the keyboard, opening links) is
tests/browser/test_workshop.py.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import gradio as gr
import pytest
import torch

from demos import lessons, workshop


@pytest.fixture(scope="module")
def built():
    import app as app_module

    torch.set_num_threads(1)
    app = app_module.build_app(torch.device("cpu"))
    return app, workshop.manifest(app)


def test_every_lesson_step_names_a_valid_state(built):
    _, tabs = built
    found = lessons.read_lessons()
    lesson_tabs = {t for t, tab in tabs.items() if any(v["controls"] for v in tab["views"].values())}
    assert set(found) == lesson_tabs, "every tab with controls has a lesson, and every lesson a tab"
    assert workshop.check_lessons(tabs, found) == []
    for lesson in found.values():
        assert lessons.MIN_STEPS <= len(lesson.steps) <= lessons.MAX_STEPS
        views = {s.view for s in lesson.steps}
        subviews = {v for v in tabs[lesson.tab]["views"] if v}
        assert views <= subviews | {""}
        assert all(step.set for step in lesson.steps), "each step prepares a state"


def test_a_broken_lesson_is_reported_with_what_to_fix(built):
    _, tabs = built
    good = lessons.read_lessons()["positional"]
    bad_steps = (
        dataclasses.replace(good.steps[0], view="no_such_view"),
        dataclasses.replace(good.steps[0], set={"Number of positions": 10_000}),  # above the slider's maximum
        dataclasses.replace(good.steps[0], set={"Numbr of positions": 10}),  # a typo in the label
        dataclasses.replace(good.steps[4], set={"Causal (decoder: mask the future)": "maybe"}),
        dataclasses.replace(good.steps[3], set={"Key vector": "a vector nobody offers"}),
        dataclasses.replace(good.steps[0], set={"d_model (even)": 33}),  # off the slider's step of 2
    )
    broken = {"positional": dataclasses.replace(good, steps=bad_steps)}
    problems = workshop.check_lessons(tabs, broken)
    assert len(problems) == len(bad_steps), problems
    assert "no view 'no_such_view'" in problems[0]
    assert "outside" in problems[1] and "Number of positions" in problems[1]
    assert "no control 'Numbr of positions'" in problems[2]
    assert "true or false" in problems[3]
    assert "not one of" in problems[4]
    assert "step of 2" in problems[5]


def test_lesson_files_are_checked_for_their_shape(tmp_path: Path):
    (tmp_path / "a.toml").write_text('title = "x"\ntab = "gan"\n[[steps]]\ntitle = "one"\ntext = "t"\n')
    with pytest.raises(lessons.LessonError, match="5 to 8 steps"):
        lessons.read_lessons(tmp_path)
    (tmp_path / "a.toml").write_text('title = "x" tab = ')
    with pytest.raises(lessons.LessonError, match="not valid TOML"):
        lessons.read_lessons(tmp_path)
    step = 'title = "s"\ntext = "t"\nset = { Seed = 1 }\ncolour = "red"\n'
    (tmp_path / "a.toml").write_text('title = "x"\ntab = "gan"\n' + f"[[steps]]\n{step}" * 5)
    with pytest.raises(lessons.LessonError, match="unknown key.*colour"):
        lessons.read_lessons(tmp_path)


def test_manifest_gives_every_control_a_unique_key_and_a_findable_id(built):
    app, tabs = built
    ids = [c["id"] for tab in tabs.values() for v in tab["views"].values() for c in v["controls"].values()]
    assert len(ids) == len(set(ids)) and all(ids)
    page_ids = {b.elem_id for b in app.blocks.values()}
    assert set(ids) <= page_ids
    for tab in tabs.values():  # a key is unique in its view together with the tab's own controls
        own = set(tab["views"].get("", {}).get("controls", {}))
        for name, view in tab["views"].items():
            if name:
                assert not own & set(view["controls"]), (name, own & set(view["controls"]))
        for view in tab["views"].values():
            assert view["elem"] or not view["label"]
    assert tabs["positional"]["views"]["alibi"]["controls"]["number_of_heads"]["type"] == "slider"
    json.dumps(tabs, default=str)  # it travels to the page as JSON


def test_every_control_of_the_page_is_in_the_manifest(built):
    app, tabs = built
    listed = {c["id"] for tab in tabs.values() for v in tab["views"].values() for c in v["controls"].values()}
    settable = [b for b in app.blocks.values() if isinstance(b, tuple(workshop.CONTROLS)) and b.visible is not False
                and b.interactive is not False and b.label]
    assert settable and {b.elem_id for b in settable} <= listed


@pytest.mark.parametrize("spec, raw, expected", [
    ({"type": "slider", "min": 1, "max": 32, "step": 1}, "3", 3),
    ({"type": "slider", "min": 0, "max": 2, "step": 0.05}, "0.8", 0.8),
    ({"type": "number", "min": 0, "max": 10, "precision": 0}, 7, 7),
    ({"type": "checkbox"}, "1", True),
    ({"type": "checkbox"}, "off", False),
    ({"type": "radio", "choices": [["2", 2], ["8", 8]]}, "8", 8),
    ({"type": "dropdown", "choices": [["ring of 8 Gaussians", "diffusion_ring"]]}, "ring of 8 Gaussians", "diffusion_ring"),
    ({"type": "checkboxgroup", "choices": [["a", "a"], ["b", "b"]]}, "a,b", ["a", "b"]),
    ({"type": "dropdown", "choices": [], "custom": True}, "dogs", "dogs"),
])
def test_coerce_takes_what_the_control_takes(spec, raw, expected):
    assert workshop.coerce(spec, raw) == expected


@pytest.mark.parametrize("spec, raw", [
    ({"type": "slider", "min": 1, "max": 32, "step": 1}, "nan"),
    ({"type": "slider", "min": 1, "max": 32, "step": 1}, "1e400"),
    ({"type": "slider", "min": 1, "max": 32, "step": 1}, "0"),
    ({"type": "slider", "min": 1, "max": 32, "step": 1}, True),
    ({"type": "number", "min": 0, "max": 10}, "ten"),
    ({"type": "radio", "choices": [["2", 2]]}, "3"),
    ({"type": "textbox"}, "x" * 4001),
])
def test_coerce_refuses_what_the_control_refuses(spec, raw):
    with pytest.raises(ValueError):
        workshop.coerce(spec, raw)


def test_slugs_are_short_and_readable():
    assert workshop.slug("Number of positions") == "number_of_positions"
    assert workshop.slug("z₁") == "z1"
    assert workshop.slug("Step t (0 = data, 1000 = pure noise)") == "step_t"
    assert workshop.slug("Speed: steps per frame") == "speed_steps_per_frame"


def test_install_refuses_an_app_whose_lessons_do_not_fit(monkeypatch):
    """A presenter's typo stops the app at start-up with the list of problems, not in front of a room."""
    monkeypatch.setattr(workshop, "read_lessons", lambda: {"gan": lessons.Lesson("gan", "t", (
        lessons.Step("s", "", "t", {"Preset": "No such preset"}),) * 5)})
    with gr.Blocks() as app:
        with gr.Tabs():
            with gr.Tab("GAN", id="gan"):
                gr.Dropdown(["Mode collapse"], value="Mode collapse", label="Preset")
        with pytest.raises(ValueError, match="No such preset"):
            workshop.install(app)
