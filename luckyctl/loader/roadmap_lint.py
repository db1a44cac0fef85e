"""Consistency of a schema-valid roadmap: unique ids, known references, no cycles.

These are errors: a roadmap that fails them is not loaded. The checks that
depend on a plan live in ``luckyctl.loader.check``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from luckyctl.loader.problems import Problem, did_you_mean
from luckyctl.loader.source_map import Locate
from luckyctl.model import Roadmap, Task

Locations = dict[str, tuple[str, int]]


def step_key(task_id: str, section: str, index: int) -> str:
    """The location key of a task's step (``section`` is ``steps`` or ``checks``)."""
    return f"{task_id}:{section}[{index}]"


@dataclass(frozen=True)
class _Reference:
    target: str
    field: str  # as the user wrote it: depends_on, mitigated_by, …
    where: tuple[str, int]
    kind: str = "id"  # what the target names: "id" (a task, story or epic), "KPI" or "task"


def lint_roadmap(roadmap: Roadmap, locate: Locate) -> tuple[Locations, list[Problem]]:
    """Where every id and step was written, and the problems of the whole roadmap."""
    locations: Locations = {}
    problems: list[Problem] = []
    for node_id, loc in _ids(roadmap):
        where = locate((*loc, "id"))
        if node_id in locations:
            problems.append(_at(where, f"duplicate id '{node_id}' (first at {_first(locations[node_id], where)})"))
        else:
            locations[node_id] = where
    for task, loc in _tasks(roadmap):
        for section in ("steps", "checks"):
            for index in range(len(getattr(task, section))):
                locations[step_key(task.id, section, index)] = locate((*loc, section, index))
    problems += _empty_containers(roadmap, locate)
    problems += _unknown_owners(roadmap, locate)
    problems += _unknown_references(roadmap, locate)
    problems += _cycles(roadmap, locate)
    return locations, problems


def _at(where: tuple[str, int], message: str) -> Problem:
    return Problem(message, where[0], where[1])


def _first(first: tuple[str, int], here: tuple[str, int]) -> str:
    return f"line {first[1]}" if first[0] == here[0] else f"{first[0]}:{first[1]}"


def _ids(roadmap: Roadmap) -> Iterator[tuple[str, tuple[str | int, ...]]]:
    yield roadmap.project.id, ("project",)
    for e, epic in enumerate(roadmap.epics):
        yield epic.id, ("epics", e)
        for s, story in enumerate(epic.stories):
            yield story.id, ("epics", e, "stories", s)
            for t, task in enumerate(story.tasks):
                yield task.id, ("epics", e, "stories", s, "tasks", t)
    for section in ("risks", "kpis", "checklist"):
        for index, item in enumerate(getattr(roadmap, section)):
            yield item.id, (section, index)


def _tasks(roadmap: Roadmap) -> Iterator[tuple[Task, tuple[str | int, ...]]]:
    for e, epic in enumerate(roadmap.epics):
        for s, story in enumerate(epic.stories):
            for t, task in enumerate(story.tasks):
                yield task, ("epics", e, "stories", s, "tasks", t)


def _empty_containers(roadmap: Roadmap, locate: Locate) -> Iterator[Problem]:
    for e, epic in enumerate(roadmap.epics):
        if not epic.stories:
            yield _at(locate(("epics", e, "stories")), f"epic '{epic.id}' has no stories")
        for s, story in enumerate(epic.stories):
            if not story.tasks:
                yield _at(locate(("epics", e, "stories", s, "tasks")), f"story '{story.id}' has no tasks")


def _unknown_owners(roadmap: Roadmap, locate: Locate) -> Iterator[Problem]:
    roles = roadmap.project.roles
    owned = [(task.owner, (*loc, "owner")) for task, loc in _tasks(roadmap)]
    owned += [(risk.owner, ("risks", index, "owner")) for index, risk in enumerate(roadmap.risks) if risk.owner]
    for owner, loc in owned:
        if owner not in roles:
            yield _at(locate(loc), f"unknown owner role '{owner}'{did_you_mean(owner, roles)}")


def _references(roadmap: Roadmap, locate: Locate) -> Iterator[tuple[_Reference, frozenset[str]]]:
    """Every id the roadmap refers to, with the ids it may name."""
    nodes = frozenset(roadmap.all_ids()) - {roadmap.project.id}
    for task, loc in _tasks(roadmap):
        for index, target in enumerate(task.depends_on):
            yield _Reference(target, "depends_on", locate((*loc, "depends_on", index))), nodes
    for r, risk in enumerate(roadmap.risks):
        for index, target in enumerate(risk.mitigated_by):
            yield _Reference(target, "mitigated_by", locate(("risks", r, "mitigated_by", index))), nodes
    kpi_ids = frozenset(kpi.id for kpi in roadmap.kpis)
    for c, item in enumerate(roadmap.checklist):
        for index, target in enumerate(item.satisfied_by):
            yield _Reference(target, "satisfied_by", locate(("checklist", c, "satisfied_by", index))), nodes
        for index, target in enumerate(item.kpis):
            yield _Reference(target, "kpis", locate(("checklist", c, "kpis", index)), "KPI"), kpi_ids
    task_ids = frozenset(roadmap.tasks)
    for k, kpi in enumerate(roadmap.kpis):
        if kpi.source is not None:
            where = locate(("kpis", k, "source", "task"))
            yield _Reference(kpi.source.task, "source.task", where, "task"), task_ids


def _unknown_references(roadmap: Roadmap, locate: Locate) -> Iterator[Problem]:
    for reference, known in _references(roadmap, locate):
        if reference.target not in known:
            hint = did_you_mean(reference.target, known)
            yield _at(reference.where, f"unknown {reference.kind} '{reference.target}' in {reference.field}{hint}")


def _cycles(roadmap: Roadmap, locate: Locate) -> Iterator[Problem]:
    """The first dependency cycle, as the path of ids that closes it."""
    edges: dict[str, Iterable[str]] = {}
    for epic in roadmap.epics:
        edges[epic.id] = roadmap.tasks_under(epic.id)  # depending on an epic or story means on all its tasks
        for story in epic.stories:
            edges[story.id] = [task.id for task in story.tasks]
    for task in roadmap.tasks.values():
        edges[task.id] = task.depends_on
    cycle = find_cycle(roadmap.tasks, edges)
    if cycle is None:
        return
    # Start at the task written first, so the message does not depend on the search order.
    order = {task_id: index for index, task_id in enumerate(roadmap.tasks)}
    start = min((node for node in cycle[:-1] if node in order), key=order.__getitem__)
    at = cycle.index(start)
    cycle = cycle[at:-1] + cycle[:at] + [start]
    task_loc = next(loc for task, loc in _tasks(roadmap) if task is roadmap.tasks[start])
    where = locate((*task_loc, "depends_on", roadmap.tasks[start].depends_on.index(cycle[1])))
    if len(cycle) == 2:
        yield _at(where, f"'{start}' depends on itself")
    else:
        yield _at(where, "dependency cycle: " + " -> ".join(cycle))


def find_cycle(starts: Iterable[str], edges: dict[str, Iterable[str]]) -> list[str] | None:
    """A cycle as ``[a, b, …, a]``, or None; an iterative depth-first search."""
    ON_PATH, DONE = 1, 2
    state: dict[str, int] = {}
    for start in starts:
        if start in state:
            continue
        state[start] = ON_PATH
        path = [start]
        stack = [iter(edges.get(start, ()))]
        while stack:
            for child in stack[-1]:
                seen = state.get(child)
                if seen == ON_PATH:
                    return path[path.index(child) :] + [child]
                if seen is None:
                    state[child] = ON_PATH
                    path.append(child)
                    stack.append(iter(edges.get(child, ())))
                    break
            else:
                stack.pop()
                state[path.pop()] = DONE
    return None
