"""The ready queue: tasks whose selected dependencies are settled, best priority first, wave by wave.

Shared by the scheduler (which settles a task when it ends) and the planner
(which settles it at once with the predicted outcome), so the plan shows the
order execute uses.
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import networkx as nx


class Frontier:
    """Hands out ready tasks; in wave mode only those of the current wave (the barrier)."""

    def __init__(self, graph: nx.DiGraph, priority: Mapping[str, Any], waves: list[list[str]] | None = None) -> None:
        groups = waves if waves is not None else [list(graph)]
        self._priority = priority
        self._successors = graph.succ
        self._wave_of = {task_id: index for index, group in enumerate(groups) for task_id in group}
        self._left = [len(group) for group in groups]
        self._heaps: list[list[tuple[Any, str]]] = [[] for _ in groups]
        self._unsettled_deps = {task_id: graph.in_degree(task_id) for task_id in graph}
        self.wave = 0
        for task_id, count in self._unsettled_deps.items():
            if count == 0:
                self.push(task_id)
        self._advance()

    def push(self, task_id: str) -> None:
        """Make a task ready (again: a task put back after another process held it)."""
        heapq.heappush(self._heaps[self._wave_of[task_id]], (self._priority[task_id], task_id))

    def pop(self) -> str | None:
        """The best ready task of the current wave, or None while none is ready."""
        if self.done or not self._heaps[self.wave]:
            return None
        return heapq.heappop(self._heaps[self.wave])[1]

    def settle(self, task_id: str) -> None:
        """The task has its outcome: its dependants may become ready, the wave may end."""
        self._left[self._wave_of[task_id]] -= 1
        for successor in self._successors[task_id]:
            self._unsettled_deps[successor] -= 1
            if self._unsettled_deps[successor] == 0:
                self.push(successor)
        self._advance()

    def _advance(self) -> None:
        while self.wave < len(self._left) and self._left[self.wave] == 0:
            self.wave += 1

    @property
    def done(self) -> bool:
        return self.wave >= len(self._left)

    def wave_tasks(self) -> int:
        """How many tasks of the current wave are still unsettled."""
        return 0 if self.done else self._left[self.wave]
