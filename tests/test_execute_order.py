"""``task execute`` as a subprocess: the order of systematic, the concurrency of agile, the barriers of waves."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

from engine_roadmaps import Project, one_story, task, timed

from luckyctl.graph import build_graph, topological_order
from luckyctl.loader import load_roadmap


def _max_concurrency(times: dict[str, tuple[float, float]]) -> int:
    """The most tasks whose [start, end) intervals overlap at one moment (an end before a start at a tie)."""
    events = sorted([(start, 1) for start, _ in times.values()] + [(end, -1) for _, end in times.values()])
    running = peak = 0
    for _, change in events:
        running += change
        peak = max(peak, running)
    return peak


def test_systematic_runs_one_task_at_a_time_in_topological_order_ties_by_id(tmp_path: Path) -> None:
    # Written out of order, with ids whose natural order differs from their text order (T2 < T10).
    project = Project(
        tmp_path,
        one_story(
            task("T10", "T1"),
            task("T3"),
            task("T2", "T3"),
            task("T1"),
            task("T11", "T10", "T2"),
        ),
    )
    done = project.cli("task", "execute", "P", "--strategy", "systematic")
    assert done.returncode == 0, done.stderr
    expected = topological_order(build_graph(load_roadmap(tmp_path / "roadmap.yaml")))
    assert expected == ["T1", "T3", "T2", "T10", "T11"]
    assert project.side_effects() == expected
    assert "succeeded 5" in done.stdout


def test_agile_runs_exactly_parallel_tasks_at_once(tmp_path: Path) -> None:
    project = Project(tmp_path, one_story(*[task(f"A{index}", steps=[timed(f"A{index}", 0.4)]) for index in range(7)]))
    done = project.cli("task", "execute", "P", "--strategy", "agile", "--parallel", "3", "--json")
    assert done.returncode == 0, done.stderr
    times = project.times()
    assert len(times) == 7
    assert _max_concurrency(times) == 3
    events = [json.loads(line) for line in done.stdout.splitlines()]
    assert events[0]["event"] == "run_started" and events[0]["parallel"] == 3
    assert events[-1]["event"] == "run_finished" and events[-1]["counts"] == {"succeeded": 7}


def test_agile_starts_the_longest_remaining_path_first(tmp_path: Path) -> None:
    # With one worker, agile picks the head of the long chain (C1 → C2 → C3) before the short tasks.
    project = Project(tmp_path, one_story(task("A"), task("B"), task("C1"), task("C2", "C1"), task("C3", "C2")))
    done = project.cli("task", "execute", "P", "--strategy", "agile", "--parallel", "1")
    assert done.returncode == 0, done.stderr
    assert project.side_effects()[0] == "C1"


def test_wave_mode_keeps_a_barrier_between_waves(tmp_path: Path) -> None:
    # Without the barrier, W2a would start as soon as W1a ends, long before W1b does.
    project = Project(
        tmp_path,
        one_story(
            task("W1a", steps=[timed("W1a", 0.05)]),
            task("W1b", steps=[timed("W1b", 0.6)]),
            task("W2a", "W1a", steps=[timed("W2a", 0.05)]),
            task("W2b", "W1b", steps=[timed("W2b", 0.05)]),
            task("W3", "W2a", steps=[timed("W3", 0.05)]),
        ),
    )
    done = project.cli("task", "execute", "P", "--strategy", "agile", "--parallel", "4", "--wave-mode")
    assert done.returncode == 0, done.stderr
    times = project.times()
    waves = [["W1a", "W1b"], ["W2a", "W2b"], ["W3"]]
    for earlier, later in itertools.pairwise(waves):
        assert min(times[t][0] for t in later) >= max(times[t][1] for t in earlier)
    assert "wave 2: W2a, W2b" in done.stderr
    # The plan shows the same waves.
    planned = json.loads(project.cli("task", "plan", "P", "--wave-mode", "--strategy", "agile", "--json", "--force").stdout)
    assert planned["waves"] == waves
    assert [row["wave"] for row in planned["tasks"]] == [1, 1, 2, 2, 3]
