"""The layout ARCHITECTURE.md promises: topics side by side, no arrow between them, same rooms."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

EXPLAINER = Path(__file__).resolve().parents[2] / "explainer"
FLOORS = {"datasets", "denoising", "maths"}  # shared a floor below the topics
TOOLS = {"loadtest"}  # command-line tools beside the topics: no tab, no rooms
TOPICS = sorted(p.name for p in EXPLAINER.iterdir()
                if (p / "__init__.py").is_file() and p.name not in FLOORS | TOOLS and not p.name.startswith("_"))


def _imports(path: Path) -> set[str]:
    mods: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            mods.add(node.module)
        elif isinstance(node, ast.Import):
            mods.update(a.name for a in node.names)
    return mods


def test_the_five_topics_are_packages():
    assert {"attention", "diffusion", "gan", "positional", "vae"} <= set(TOPICS)


@pytest.mark.parametrize("topic", TOPICS)
def test_no_topic_imports_another(topic):
    arrows = {(m, f.name) for f in (EXPLAINER / topic).rglob("*.py") for m in _imports(f)
              if m.startswith("explainer.") and m.split(".")[1] in TOPICS and m.split(".")[1] != topic}
    assert not arrows, f"explainer.{topic} imports other topics: {sorted(arrows)}"


@pytest.mark.parametrize("topic", TOPICS)
def test_every_topic_has_the_shared_rooms(topic):
    rooms = {p.name for p in (EXPLAINER / topic).glob("*.py")}
    assert {"__init__.py", "figures.py", "views.py", "bench.py"} <= rooms, sorted(rooms)
    assert ast.get_docstring(ast.parse((EXPLAINER / topic / "__init__.py").read_text())), "no usage docstring"


def test_floors_and_backbone_import_no_topic():
    below = [*EXPLAINER.glob("*.py"), *(f for floor in FLOORS for f in (EXPLAINER / floor).rglob("*.py"))]
    for f in below:
        if f.name in ("bench.py", "train.py"):  # entry points: they discover topics by name, at run time
            continue
        bad = {m for m in _imports(f) if m.startswith("explainer.") and m.split(".")[1] in TOPICS}
        assert not bad, f"{f.relative_to(EXPLAINER)} imports topics {sorted(bad)}"


def test_explainer_never_imports_gradio():
    for f in EXPLAINER.rglob("*.py"):
        assert not any(m.split(".")[0] == "gradio" for m in _imports(f)), f
