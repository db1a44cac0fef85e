"""The dry run: the order (and waves) execute would use, and for every task what it would do and why.

It walks the same frontier with the same decider as the scheduler, settling
each task at once with the outcome its decision predicts (a task that runs is
assumed to succeed).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from luckyctl.engine.decisions import Action, Decider
from luckyctl.engine.frontier import Frontier
from luckyctl.engine.selection import Selection
from luckyctl.engine.strategies import Policy
from luckyctl.model import Roadmap, TaskState


@dataclass(frozen=True)
class PlannedTask:
    task_id: str
    title: str
    action: Action
    reason: str
    position: int  # 1-based place in the order
    wave: int | None  # 1-based, in wave mode
    expected: TaskState  # the state the task should end in
    mutating: bool


@dataclass(frozen=True)
class ExecutionPlan:
    selector: str
    strategy: str
    wave_mode: bool
    parallel: int
    tasks: list[PlannedTask]
    waves: list[list[str]] | None
    pulled_in: list[str]

    @property
    def order(self) -> list[str]:
        return [task.task_id for task in self.tasks]

    def counts(self) -> dict[str, int]:
        counted = Counter(task.action.value for task in self.tasks)
        return {action.value: counted[action.value] for action in Action if counted[action.value]}

    def to_dict(self) -> dict[str, Any]:
        tasks = [
            {
                "task_id": task.task_id,
                "title": task.title,
                "action": task.action.value,
                "reason": task.reason,
                "position": task.position,
                "wave": task.wave,
                "expected": task.expected.value,
                "mutating": task.mutating,
            }
            for task in self.tasks
        ]
        return {
            "selector": self.selector,
            "strategy": self.strategy,
            "wave_mode": self.wave_mode,
            "parallel": self.parallel,
            "order": self.order,
            "waves": self.waves,
            "pulled_in": self.pulled_in,
            "counts": self.counts(),
            "tasks": tasks,
        }


def plan_run(roadmap: Roadmap, selection: Selection, decider: Decider, policy: Policy, *, selector: str) -> ExecutionPlan:
    frontier = Frontier(selection.subgraph, policy.priorities(selection.subgraph), selection.waves)
    predicted: dict[str, TaskState] = {}
    planned: list[PlannedTask] = []
    while (task_id := frontier.pop()) is not None:
        record = decider.store.task(task_id)
        decision = decider.decide(task_id, record, predicted)
        # What the dependants of this task will see: held work is assumed to end as a run would.
        predicted[task_id] = TaskState.SUCCEEDED if decision.action is Action.HELD else decision.state
        task = roadmap.tasks[task_id]
        planned.append(
            PlannedTask(
                task_id=task_id,
                title=task.title,
                action=decision.action,
                reason=decision.reason,
                position=len(planned) + 1,
                wave=frontier.wave + 1 if selection.waves is not None else None,
                expected=predicted[task_id],
                mutating=task.mutating,
            )
        )
        frontier.settle(task_id)
    return ExecutionPlan(
        selector=selector,
        strategy=policy.strategy.value,
        wave_mode=selection.waves is not None,
        parallel=policy.capacity,
        tasks=planned,
        waves=selection.waves,
        pulled_in=selection.pulled_in,
    )
