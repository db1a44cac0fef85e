"""The dependency graph on hand-written roadmaps: expansion, order, cycles, critical path."""

from __future__ import annotations

import pytest
from test_graph_builders import epic, lucky_roadmap, roadmap, story, task

from luckyctl import graph
from luckyctl.errors import RoadmapError


def test_story_and_epic_dependencies_stand_for_all_their_tasks() -> None:
    dag = graph.build_graph(lucky_roadmap())
    assert sorted(dag.edges()) == [
        ("FE-INT.1.1", "FE-INT.1.2"),
        ("FE-INT.1.1", "FE-INT.2.1"),
        ("FE-INT.1.1", "GCP-SETUP.1.1"),
        ("FE-INT.1.2", "FE-INT.2.1"),
        ("FE-INT.1.2", "GCP-SETUP.1.1"),
        ("FE-INT.2.1", "GCP-SETUP.1.1"),
        ("FE-INT.2.2", "GCP-SETUP.1.1"),
    ]
    assert dag.nodes["FE-INT.2.1"][graph.HOURS] == 8.0
    assert list(dag) == list(lucky_roadmap().tasks)


def test_a_selection_keeps_only_the_edges_among_its_tasks() -> None:
    dag = graph.build_graph(lucky_roadmap(), ["FE-INT.1.2", "FE-INT.2.1", "GCP-SETUP.1.1"])
    assert list(dag) == ["FE-INT.1.2", "FE-INT.2.1", "GCP-SETUP.1.1"]
    assert sorted(dag.edges()) == [
        ("FE-INT.1.2", "FE-INT.2.1"),
        ("FE-INT.1.2", "GCP-SETUP.1.1"),
        ("FE-INT.2.1", "GCP-SETUP.1.1"),
    ]


def test_waves_order_and_critical_path_of_a_known_roadmap() -> None:
    dag = graph.build_graph(lucky_roadmap())
    assert graph.waves(dag) == [["FE-INT.1.1", "FE-INT.2.2"], ["FE-INT.1.2"], ["FE-INT.2.1"], ["GCP-SETUP.1.1"]]
    assert graph.topological_order(dag) == ["FE-INT.1.1", "FE-INT.1.2", "FE-INT.2.1", "FE-INT.2.2", "GCP-SETUP.1.1"]
    assert graph.critical_path(dag) == (["FE-INT.1.1", "FE-INT.1.2", "FE-INT.2.1", "GCP-SETUP.1.1"], 16.0)
    assert graph.longest_remaining_path(dag) == {
        "FE-INT.1.1": 16.0,
        "FE-INT.1.2": 13.0,
        "FE-INT.2.1": 9.0,
        "FE-INT.2.2": 3.0,
        "GCP-SETUP.1.1": 1.0,
    }


def test_ties_are_broken_by_id_in_natural_order() -> None:
    built = roadmap(epic("E", story("S", task("T10"), task("T9"), task("T2"), task("T1.10"), task("T1.9"))))
    dag = graph.build_graph(built)
    assert graph.topological_order(dag) == ["T1.9", "T1.10", "T2", "T9", "T10"]
    assert graph.waves(dag) == [["T1.9", "T1.10", "T2", "T9", "T10"]]
    # Equal single-task paths: the first in topological order is the critical one.
    assert graph.critical_path(dag) == (["T1.9"], 1.0)


def test_ancestors_descendants_and_closure() -> None:
    dag = graph.build_graph(lucky_roadmap())
    assert graph.ancestors(dag, ["FE-INT.2.1"]) == {"FE-INT.1.1", "FE-INT.1.2"}
    assert graph.descendants(dag, ["FE-INT.1.2"]) == {"FE-INT.2.1", "GCP-SETUP.1.1"}
    assert graph.ancestors(dag, ["FE-INT.1.2", "FE-INT.2.1"]) == {"FE-INT.1.1", "FE-INT.1.2"}
    assert graph.closure_with_deps(dag, ["FE-INT.2.1"]) == ["FE-INT.1.1", "FE-INT.1.2", "FE-INT.2.1"]
    assert graph.closure_with_deps(dag, []) == []


def test_an_unknown_dependency_names_the_task_its_place_and_a_suggestion() -> None:
    built = roadmap(epic("FE-INT", story("FE-INT.1", task("FE-INT.1.1"), task("FE-INT.1.2", "FE-INT.1.l"))))
    built.set_locations({"FE-INT.1.2": ("roadmap/epics/fe-int.yaml", 12)})
    with pytest.raises(RoadmapError) as caught:
        graph.build_graph(built)
    assert str(caught.value) == (
        "roadmap/epics/fe-int.yaml:12: task 'FE-INT.1.2' depends on unknown id 'FE-INT.1.l'"
        " (did you mean FE-INT.1.1 or FE-INT.1.2?)"
    )
    assert caught.value.exit_code == 2


def test_a_cycle_is_found_and_every_ordering_refuses_it_with_the_path() -> None:
    built = roadmap(epic("E", story("S", task("A", "C"), task("B", "A"), task("C", "B"), task("D"))))
    built.set_locations({"A": ("roadmap.yaml", 7), "B": ("roadmap.yaml", 9), "C": ("roadmap.yaml", 11)})
    dag = graph.build_graph(built)
    assert graph.find_cycle(dag) == ["A", "B", "C", "A"]
    for ordering in (graph.topological_order, graph.waves, graph.critical_path, graph.longest_remaining_path):
        with pytest.raises(graph.DependencyCycleError) as caught:
            ordering(dag)
        assert caught.value.cycle == ["A", "B", "C", "A"]
        assert str(caught.value) == "roadmap.yaml:7: dependency cycle: A -> B -> C -> A"
    with pytest.raises(graph.DependencyCycleError):
        graph.require_acyclic(dag)


def test_a_task_depending_on_its_own_story_is_a_cycle() -> None:
    dag = graph.build_graph(roadmap(epic("E", story("S", task("A"), task("B", "S")))))
    assert graph.find_cycle(dag) == ["B", "B"]
    with pytest.raises(graph.DependencyCycleError, match=r"dependency cycle: B -> B"):
        graph.require_acyclic(dag)


def test_an_acyclic_graph_passes_and_an_empty_one_has_no_critical_path() -> None:
    dag = graph.build_graph(lucky_roadmap())
    assert graph.find_cycle(dag) is None
    graph.require_acyclic(dag)
    empty = graph.build_graph(lucky_roadmap(), [])
    assert graph.critical_path(empty) == ([], 0.0)
    assert graph.waves(empty) == []
