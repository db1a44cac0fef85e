"""The strategies as scheduling policies: how many tasks at once, in which order, what stops a run.

- systematic: one task at a time in topological order (ties by id); the first
  failure stops the run; a story's gate is reported once its tasks settle.
- agile: up to ``parallel`` tasks at once, the longest remaining path first;
  a failure blocks only its descendants.
- enterprise: systematic, plus approvals, the risk gate and an audit row for
  every decision.

Wave mode is not a policy but a barrier the frontier adds to any of them.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from luckyctl.model import Level, Roadmap, Strategy, Task, TaskState

if TYPE_CHECKING:
    import networkx as nx


@dataclass(frozen=True)
class Policy:
    strategy: Strategy
    capacity: int  # tasks running at once
    stop_on_failure: bool
    protected: bool  # the plan is protected (production)

    @property
    def sequential(self) -> bool:
        return self.strategy is not Strategy.AGILE

    @property
    def story_gates(self) -> bool:
        return self.sequential

    @property
    def audited(self) -> bool:
        return self.strategy is Strategy.ENTERPRISE

    @property
    def risk_gate(self) -> bool:
        return self.strategy is Strategy.ENTERPRISE

    def needs_approval(self, task: Task) -> bool:
        """``approval: true`` under enterprise or a protected plan; every mutating task under both."""
        enterprise = self.strategy is Strategy.ENTERPRISE
        return (task.approval and (enterprise or self.protected)) or (enterprise and self.protected and task.mutating)

    def priorities(self, graph: nx.DiGraph) -> dict[str, Any]:
        """Sort key per task: smaller starts first among the ready ones."""
        from luckyctl import graph as graphs

        if self.strategy is Strategy.AGILE:
            remaining = graphs.longest_remaining_path(graph)
            return {task_id: (-remaining[task_id], graphs.id_key(task_id)) for task_id in graph}
        return {task_id: index for index, task_id in enumerate(graphs.topological_order(graph))}


def make_policy(strategy: Strategy, *, parallel: int, continue_on_failure: bool, protected: bool) -> Policy:
    if strategy is Strategy.AGILE:
        return Policy(strategy, max(1, parallel), stop_on_failure=False, protected=protected)
    return Policy(strategy, 1, stop_on_failure=not continue_on_failure, protected=protected)


def risk_gate(roadmap: Roadmap, task_id: str, state_of: Callable[[str], TaskState | None]) -> str | None:
    """Why the task's epic may not start yet, or None.

    An epic waits while a high-impact risk has mitigating tasks in earlier
    epics (roadmap order) that are not done.
    """
    epic_index = {epic.id: index for index, epic in enumerate(roadmap.epics)}
    here = epic_index[roadmap.epic_of(task_id).id]
    for risk in roadmap.risks:
        if risk.impact is not Level.HIGH:
            continue
        for mitigator in _tasks_of(roadmap, risk.mitigated_by):
            if epic_index[roadmap.epic_of(mitigator).id] >= here:
                continue
            state = state_of(mitigator)
            if state is None or not state.is_done:
                shown = state.value if state is not None else "not run"
                return (
                    f"risk gate: high risk {risk.id} ({risk.title}) is not mitigated before "
                    f"{roadmap.epic_of(task_id).id}: {mitigator} is {shown}"
                )
    return None


def risk_gate_edges(roadmap: Roadmap, task_ids: Collection[str]) -> list[tuple[str, str]]:
    """(mitigating task, gated task) for every selected pair the gate relates.

    Within one run the gate waits for mitigations the run itself carries out
    (they go first), and blocks only when they did not succeed.
    """
    chosen = set(task_ids)
    epic_index = {epic.id: index for index, epic in enumerate(roadmap.epics)}
    edges: list[tuple[str, str]] = []
    for risk in roadmap.risks:
        if risk.impact is not Level.HIGH:
            continue
        mitigators = [task_id for task_id in _tasks_of(roadmap, risk.mitigated_by) if task_id in chosen]
        for task_id in chosen:
            here = epic_index[roadmap.epic_of(task_id).id]
            edges += [(m, task_id) for m in mitigators if epic_index[roadmap.epic_of(m).id] < here]
    return edges


def _tasks_of(roadmap: Roadmap, ids: list[str]) -> list[str]:
    found: list[str] = []
    for node_id in ids:
        try:
            found.extend(roadmap.tasks_under(node_id))
        except KeyError:  # `roadmap check` reports unknown ids; the gate has nothing to wait for
            continue
    return found
