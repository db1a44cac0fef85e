"""Properties of the graph functions on random acyclic roadmaps, checked against brute force."""

from __future__ import annotations

import itertools

import networkx as nx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_graph_builders import dag_roadmaps

from luckyctl import graph
from luckyctl.model import Roadmap

SETTINGS = settings(max_examples=150, deadline=None)


def expected_edges(built: Roadmap) -> set[tuple[str, str]]:
    return {
        (source, task_id)
        for task_id, spec in built.tasks.items()
        for dep in spec.depends_on
        for source in built.tasks_under(dep)
    }


def path_hours(built: Roadmap, path: list[str]) -> float:
    return sum(built.tasks[task_id].estimate for task_id in path)


def every_path(dag: nx.DiGraph) -> list[list[str]]:
    """All paths of the graph, single tasks included (brute force: small graphs only)."""
    paths = [[node] for node in dag]
    for source in dag:
        for target in dag:
            if source != target:
                paths.extend(nx.all_simple_paths(dag, source, target))
    return paths


@SETTINGS
@given(dag_roadmaps())
def test_the_graph_has_exactly_the_declared_dependencies(built: Roadmap) -> None:
    dag = graph.build_graph(built)
    assert set(dag) == set(built.tasks)
    assert set(dag.edges()) == expected_edges(built)
    assert graph.find_cycle(dag) is None


@SETTINGS
@given(dag_roadmaps())
def test_waves_put_every_dependency_in_an_earlier_wave(built: Roadmap) -> None:
    dag = graph.build_graph(built)
    waves = graph.waves(dag)
    wave_of = {task_id: number for number, wave in enumerate(waves) for task_id in wave}
    assert sorted(wave_of) == sorted(built.tasks)
    assert sum(len(wave) for wave in waves) == len(built.tasks)
    for source, target in dag.edges():
        assert wave_of[source] < wave_of[target]
    for number, wave in enumerate(waves):
        assert wave == sorted(wave, key=graph.id_key)
        # As early as possible: a task not in the first wave waits for something in the wave before.
        if number:
            assert all(any(wave_of[dep] == number - 1 for dep in dag.pred[task_id]) for task_id in wave)


@SETTINGS
@given(dag_roadmaps())
def test_topological_order_respects_dependencies_and_prefers_the_smallest_id(built: Roadmap) -> None:
    dag = graph.build_graph(built)
    order = graph.topological_order(dag)
    position = {task_id: index for index, task_id in enumerate(order)}
    assert sorted(order) == sorted(built.tasks)
    for source, target in dag.edges():
        assert position[source] < position[target]
    done: set[str] = set()
    for task_id in order:
        ready = [node for node in dag if node not in done and all(dep in done for dep in dag.pred[node])]
        assert task_id == min(ready, key=graph.id_key)
        done.add(task_id)


@settings(max_examples=150, deadline=None)
@given(dag_roadmaps(max_tasks=8))
def test_the_critical_path_is_a_real_path_at_least_as_long_as_any_other(built: Roadmap) -> None:
    dag = graph.build_graph(built)
    path, hours = graph.critical_path(dag)
    assert path
    assert all(dag.has_edge(source, target) for source, target in itertools.pairwise(path))
    assert hours == pytest.approx(path_hours(built, path))
    assert hours == pytest.approx(max(path_hours(built, other) for other in every_path(dag)))


@SETTINGS
@given(dag_roadmaps())
def test_longest_remaining_path_is_consistent_with_the_critical_path(built: Roadmap) -> None:
    dag = graph.build_graph(built)
    remaining = graph.longest_remaining_path(dag)
    path, hours = graph.critical_path(dag)
    assert set(remaining) == set(built.tasks)
    for task_id, left in remaining.items():
        after = max((remaining[succ] for succ in dag.succ[task_id]), default=0.0)
        assert left == pytest.approx(built.tasks[task_id].estimate + after)
    assert max(remaining.values()) == pytest.approx(hours)
    assert remaining[path[0]] == pytest.approx(hours)
    # Along the critical path the remaining hours fall by exactly each task's estimate.
    for task_id, successor in itertools.pairwise(path):
        assert remaining[task_id] - built.tasks[task_id].estimate == pytest.approx(remaining[successor])


@SETTINGS
@given(dag_roadmaps(), st.data())
def test_closure_with_deps_is_the_smallest_dependency_closed_superset(built: Roadmap, data: st.DataObject) -> None:
    dag = graph.build_graph(built)
    chosen = data.draw(st.sets(st.sampled_from(sorted(built.tasks)), max_size=4))
    closure = graph.closure_with_deps(dag, chosen)
    assert chosen <= set(closure)
    assert all(dep in closure for task_id in closure for dep in dag.pred[task_id])
    assert set(closure) == chosen | set().union(*(nx.ancestors(dag, task_id) for task_id in chosen))
    assert closure == [task_id for task_id in built.tasks if task_id in closure]
    assert graph.descendants(dag, chosen) == set().union(*(nx.descendants(dag, task_id) for task_id in chosen))
