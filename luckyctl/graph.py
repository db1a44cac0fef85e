"""The roadmap as a dependency graph of tasks (networkx), and what follows from it.

Nodes are task ids carrying ``hours`` (the estimate in working hours); an
edge ``dep → task`` means *task* needs *dep* first. A story or epic named in
``depends_on`` stands for all of its tasks. Every function here is pure and
linear (or near it) in the size of the graph, so 10,000 tasks stay fast.

Wherever an order has ties they are broken by id in natural order
(``T2`` before ``T10``), so every listing is the same on every run.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

import networkx as nx

from luckyctl.errors import RoadmapError
from luckyctl.model import Roadmap
from luckyctl.selectors import unknown_id_message

HOURS = "hours"
_DIGITS = re.compile(r"(\d+)")


class DependencyCycleError(RoadmapError):
    """The dependencies loop; ``cycle`` is the loop as ids, first id repeated at the end."""

    def __init__(self, cycle: list[str], location: tuple[str, int] | None = None) -> None:
        path, line = location if location else (None, None)
        super().__init__("dependency cycle: " + " -> ".join(cycle), path=path, line=line)
        self.cycle = cycle


def id_key(task_id: str) -> tuple[tuple[str | int, ...], str]:
    """Natural order of ids: runs of digits compare as numbers (``X.2`` < ``X.10``)."""
    parts = _DIGITS.split(task_id)
    # re.split with a group puts text at even and digits at odd positions, so types never mix.
    return tuple(int(part) if index % 2 else part for index, part in enumerate(parts)), task_id


def _members(roadmap: Roadmap) -> dict[str, list[str]]:
    """Every id a dependency may name → the task ids it stands for (one pass)."""
    members: dict[str, list[str]] = {roadmap.project.id: list(roadmap.tasks)}
    for epic in roadmap.epics:
        epic_tasks = members.setdefault(epic.id, [])
        for story in epic.stories:
            story_tasks = [task.id for task in story.tasks]
            members[story.id] = story_tasks
            epic_tasks.extend(story_tasks)
            for task_id in story_tasks:
                members[task_id] = [task_id]
    return members


def build_graph(roadmap: Roadmap, task_ids: Iterable[str] | None = None) -> nx.DiGraph:
    """The dependency graph of the roadmap, or of the tasks ``task_ids`` among themselves.

    Nodes keep roadmap order. Dependencies on tasks outside ``task_ids`` are
    left out (the caller decides what they mean). An unknown id in
    ``depends_on`` is a ``RoadmapError`` at the task's file and line.
    """
    members = _members(roadmap)
    wanted = None if task_ids is None else set(task_ids)
    graph = nx.DiGraph()
    for task_id, task in roadmap.tasks.items():
        if wanted is None or task_id in wanted:
            graph.add_node(task_id, **{HOURS: task.estimate})
    for task_id in list(graph):
        for dep in roadmap.tasks[task_id].depends_on:
            if dep not in members:
                path, line = roadmap.location(task_id) or (None, None)
                message = unknown_id_message(dep, roadmap.all_ids())
                raise RoadmapError(f"task '{task_id}' depends on {message}", path=path, line=line)
            graph.add_edges_from((source, task_id) for source in members[dep] if source in graph)
    for task_id in graph:
        location = roadmap.location(task_id)
        if location:
            graph.nodes[task_id]["location"] = location
    return graph


def find_cycle(graph: nx.DiGraph) -> list[str] | None:
    """One dependency cycle as ``[a, b, …, a]``, or None when the graph is a DAG."""
    try:
        edges = nx.find_cycle(graph)
    except nx.NetworkXNoCycle:
        return None
    cycle = [source for source, _target, *_ in edges]
    return [*cycle, cycle[0]]


def _cycle_error(graph: nx.DiGraph) -> DependencyCycleError:
    cycle = find_cycle(graph) or []
    location = graph.nodes[cycle[0]].get("location") if cycle else None
    return DependencyCycleError(cycle, location)


def require_acyclic(graph: nx.DiGraph) -> None:
    """Raise ``DependencyCycleError`` (with the cycle) unless the graph is a DAG."""
    if not nx.is_directed_acyclic_graph(graph):
        raise _cycle_error(graph)


def topological_order(graph: nx.DiGraph) -> list[str]:
    """Every task after all of its dependencies; ties broken by id."""
    try:
        return list(nx.lexicographical_topological_sort(graph, key=id_key))
    except nx.NetworkXUnfeasible:
        raise _cycle_error(graph) from None


def waves(graph: nx.DiGraph) -> list[list[str]]:
    """Topological generations: each wave needs only earlier waves. Sorted by id within a wave."""
    try:
        return [sorted(generation, key=id_key) for generation in nx.topological_generations(graph)]
    except nx.NetworkXUnfeasible:
        raise _cycle_error(graph) from None


def _weight(graph: nx.DiGraph, node: str, weight: str) -> float:
    return float(graph.nodes[node].get(weight, 0.0))


def critical_path(graph: nx.DiGraph, weight: str = HOURS) -> tuple[list[str], float]:
    """The path of greatest total node weight (estimated hours) and that total.

    Among equally long paths the one reached first in topological order wins,
    so the answer is stable.
    """
    order = topological_order(graph)
    position = {node: index for index, node in enumerate(order)}
    finish: dict[str, float] = {}
    previous: dict[str, str | None] = {}
    for node in order:
        before = max(graph.pred[node], key=lambda pred: (finish[pred], -position[pred]), default=None)
        previous[node] = before
        finish[node] = _weight(graph, node, weight) + (finish[before] if before is not None else 0.0)
    if not order:
        return [], 0.0
    last = max(order, key=lambda node: (finish[node], -position[node]))
    path: list[str] = []
    step: str | None = last
    while step is not None:
        path.append(step)
        step = previous[step]
    path.reverse()
    return path, finish[last]


def longest_remaining_path(graph: nx.DiGraph, weight: str = HOURS) -> dict[str, float]:
    """Per task: the hours of the longest path from it to the end, itself included.

    The agile scheduler starts the task with the most remaining hours first,
    so the critical path never waits.
    """
    remaining: dict[str, float] = {}
    for node in reversed(topological_order(graph)):
        after = max((remaining[succ] for succ in graph.succ[node]), default=0.0)
        remaining[node] = _weight(graph, node, weight) + after
    return remaining


def _reachable(adjacency: Mapping[str, Iterable[str]], starts: Iterable[str]) -> set[str]:
    """Nodes reached from any of ``starts`` in one sweep (not one search per start)."""
    found: set[str] = set()
    stack = list(starts)
    while stack:
        for neighbour in adjacency[stack.pop()]:
            if neighbour not in found:
                found.add(neighbour)
                stack.append(neighbour)
    return found


def ancestors(graph: nx.DiGraph, task_ids: Iterable[str]) -> set[str]:
    """Everything the tasks depend on, directly or not (a given task only if another needs it)."""
    return _reachable(graph.pred, task_ids)


def descendants(graph: nx.DiGraph, task_ids: Iterable[str]) -> set[str]:
    """Everything that depends on the tasks, directly or not (a given task only if it needs another)."""
    return _reachable(graph.succ, task_ids)


def closure_with_deps(graph: nx.DiGraph, task_ids: Iterable[str]) -> list[str]:
    """The tasks plus everything they depend on, in roadmap (node) order: what ``--with-deps`` runs."""
    chosen = set(task_ids)
    chosen |= ancestors(graph, chosen)
    return [node for node in graph if node in chosen]
