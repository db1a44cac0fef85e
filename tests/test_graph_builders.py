"""Roadmaps built in code for the graph, selector and status tests, and checks of the builders.

``roadmap(epic(...), ...)`` builds a validated ``Roadmap`` without YAML;
``dag_roadmaps()`` is a hypothesis strategy of random acyclic roadmaps whose
dependencies mix task and story ids.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from luckyctl.model import Roadmap

PROJECT: dict[str, Any] = {
    "id": "P",
    "name": "Test project",
    "start": "2026-12-07",
    "roles": {"dev": {"title": "Developer"}, "ops": {"title": "Operator"}},
}


def task(task_id: str, *depends_on: str, hours: float = 1, owner: str = "dev", **extra: Any) -> dict[str, Any]:
    return {
        "id": task_id,
        "title": f"Task {task_id}",
        "owner": owner,
        "estimate": f"{hours:g}h",
        "depends_on": list(depends_on),
        **extra,
    }


def story(story_id: str, *tasks: dict[str, Any], title: str | None = None) -> dict[str, Any]:
    return {"id": story_id, "title": title or f"Story {story_id}", "tasks": list(tasks)}


def epic(
    epic_id: str, *stories: dict[str, Any], days: list[int] | None = None, title: str | None = None
) -> dict[str, Any]:
    return {"id": epic_id, "title": title or f"Epic {epic_id}", "days": days, "stories": list(stories)}


def roadmap(*epics: dict[str, Any], project: dict[str, Any] | None = None) -> Roadmap:
    return Roadmap.model_validate({"project": project or PROJECT, "epics": list(epics)})


def lucky_epics() -> list[dict[str, Any]]:
    """A small roadmap shaped like the Lucky Gas one: hierarchical ids, story and epic dependencies."""
    return [
        epic(
            "FE-INT",
            story(
                "FE-INT.1",
                task("FE-INT.1.1", hours=3),
                task("FE-INT.1.2", "FE-INT.1.1", hours=4),
                title="API client and JWT auth",
            ),
            story(
                "FE-INT.2",
                task("FE-INT.2.1", "FE-INT.1", hours=8, owner="ops"),
                task("FE-INT.2.2", hours=2),
                title="Access control and CORS",
            ),
            days=[1, 3],
            title="Frontend Integration",
        ),
        epic(
            "GCP-SETUP",
            story("GCP-SETUP.1", task("GCP-SETUP.1.1", "FE-INT", hours=1, owner="ops"), title="Identity and access"),
            days=[4, 6],
            title="Google Cloud Setup",
        ),
    ]


def lucky_roadmap() -> Roadmap:
    return roadmap(*lucky_epics())


def write_project(folder: Path, epics: list[dict[str, Any]]) -> tuple[Path, Path]:
    """A single-file roadmap and a plan named ``test`` in ``folder``: (roadmap path, plan path)."""
    roadmap_file = folder / "roadmap.yaml"
    roadmap_file.write_text(yaml.safe_dump({"project": PROJECT, "epics": epics}, sort_keys=False))
    plan_file = folder / "test.yaml"
    plan_file.write_text(yaml.safe_dump({"name": "test", "team": {"dev": ["dev-1"], "ops": ["ops-1"]}}))
    return roadmap_file, plan_file


@st.composite
def dag_roadmaps(draw: st.DrawFn, max_tasks: int = 12) -> Roadmap:
    """A random acyclic roadmap: task i may depend on tasks before it, or on a story entirely before it.

    Ids are shuffled against the dependency order, so id order and topological
    order disagree and tie-breaking is exercised.
    """
    count = draw(st.integers(min_value=1, max_value=max_tasks))
    labels = draw(st.permutations(range(count)))
    ids = [f"T{label}" for label in labels]
    hours = draw(st.lists(st.integers(min_value=0, max_value=16), min_size=count, max_size=count))
    cuts = sorted(draw(st.sets(st.integers(min_value=1, max_value=max(count - 1, 1)), max_size=4)) - {count})
    bounds = list(zip([0, *cuts], [*cuts, count], strict=True))  # [first, end) index ranges of stories
    tasks: list[dict[str, Any]] = []
    for index in range(count):
        deps = [ids[dep] for dep in sorted(draw(st.sets(st.integers(0, index - 1), max_size=3)))] if index else []
        earlier_stories = [number for number, (_first, end) in enumerate(bounds) if end <= index]
        if earlier_stories and draw(st.booleans()):
            deps.append(f"S{draw(st.sampled_from(earlier_stories))}")
        tasks.append(task(ids[index], *deps, hours=hours[index]))
    stories = [story(f"S{number}", *tasks[first:end]) for number, (first, end) in enumerate(bounds)]
    middle = (len(stories) + 1) // 2
    epics = [epic("E0", *stories[:middle])] + ([epic("E1", *stories[middle:])] if stories[middle:] else [])
    return roadmap(*epics)


def test_lucky_roadmap_indexes_every_level(tmp_path: Path) -> None:
    built = lucky_roadmap()
    roadmap_file, _plan_file = write_project(tmp_path, lucky_epics())
    assert Roadmap.model_validate(yaml.safe_load(roadmap_file.read_text())) == built
    assert list(built.tasks) == ["FE-INT.1.1", "FE-INT.1.2", "FE-INT.2.1", "FE-INT.2.2", "GCP-SETUP.1.1"]
    assert built.tasks_under("FE-INT.2") == ["FE-INT.2.1", "FE-INT.2.2"]
    assert built.tasks["FE-INT.2.1"].estimate == 8.0


@settings(max_examples=30, deadline=None)
@given(dag_roadmaps())
def test_random_roadmaps_only_depend_backwards(built: Roadmap) -> None:
    order = list(built.tasks)
    for position, (task_id, spec) in enumerate(built.tasks.items()):
        for dep in spec.depends_on:
            assert all(order.index(member) < position for member in built.tasks_under(dep)), task_id
