"""What ``task status`` reports, as data: the tree epic → story → task with totals.

Built from the roadmap and the store; the terminal and JSON renderers both
read these objects, so the two outputs cannot drift. A task the store has
never seen is ``pending``. No networkx or pydantic at import time: ``task
status`` must start fast, from a roadmap ``Outline`` when its cache holds one.
What ``task show`` reports lives in ``luckyctl.task_detail`` (its names are
still importable from here).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from luckyctl.enums import TaskState

if TYPE_CHECKING:
    from luckyctl.model import Roadmap, Task
    from luckyctl.outline import Outline, OutlineTask
    from luckyctl.store import Store, TaskRecord

# States whose stored reason says why a task is not moving.
STATES_WITH_REASON = frozenset({TaskState.FAILED, TaskState.BLOCKED, TaskState.WAITING, TaskState.INTERRUPTED})



@dataclass(frozen=True)
class TaskStatus:
    """One task's line in the status tree."""

    id: str
    title: str
    owner: str
    assignee: str | None
    state: TaskState
    attempts: int
    estimate_hours: float
    reason: str | None
    last_evidence_at: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "owner": self.owner,
            "assignee": self.assignee,
            "state": self.state.value,
            "attempts": self.attempts,
            "estimate_hours": self.estimate_hours,
            "reason": self.reason,
            "last_evidence_at": self.last_evidence_at,
        }


@dataclass(frozen=True)
class Totals:
    """Counts per state and progress by estimated hours over some tasks."""

    states: dict[TaskState, int]
    estimate_hours: float
    done_hours: float

    @classmethod
    def of(cls, tasks: Iterable[TaskStatus]) -> Totals:
        states = dict.fromkeys(TaskState, 0)
        estimate = done = 0.0
        for task in tasks:
            states[task.state] += 1
            estimate += task.estimate_hours
            if task.state.is_done:
                done += task.estimate_hours
        return cls(states=states, estimate_hours=estimate, done_hours=done)

    @property
    def tasks(self) -> int:
        return sum(self.states.values())

    @property
    def done(self) -> int:
        return sum(count for state, count in self.states.items() if state.is_done)

    @property
    def percent_done(self) -> float:
        """Share of estimated hours done; by task count when nothing has an estimate."""
        if self.estimate_hours > 0:
            return 100.0 * self.done_hours / self.estimate_hours
        return 100.0 * self.done / self.tasks if self.tasks else 0.0

    @property
    def whole_percent_done(self) -> int:
        """Rounded down, so 99.6 % never reads as done."""
        return math.floor(self.percent_done)

    def to_json(self) -> dict[str, Any]:
        return {
            "tasks": self.tasks,
            "done": self.done,
            "estimate_hours": self.estimate_hours,
            "done_hours": self.done_hours,
            "percent_done": round(self.percent_done, 1),
            "states": {state.value: count for state, count in self.states.items()},
        }


@dataclass(frozen=True)
class StoryStatus:
    id: str
    title: str
    tasks: list[TaskStatus]
    totals: Totals = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "totals", Totals.of(self.tasks))

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "tasks": [task.to_json() for task in self.tasks],
            "totals": self.totals.to_json(),
        }


@dataclass(frozen=True)
class EpicStatus:
    id: str
    title: str
    days: tuple[int, int] | None
    stories: list[StoryStatus]
    totals: Totals = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "totals", Totals.of(task for story in self.stories for task in story.tasks))

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "days": list(self.days) if self.days else None,
            "stories": [story.to_json() for story in self.stories],
            "totals": self.totals.to_json(),
        }


@dataclass(frozen=True)
class StatusReport:
    """The result of ``task status``: epic → story → task, with totals."""

    project_id: str
    project_name: str
    plan: str
    epics: list[EpicStatus]
    totals: Totals = field(init=False)

    def __post_init__(self) -> None:
        tasks = (task for epic in self.epics for story in epic.stories for task in story.tasks)
        object.__setattr__(self, "totals", Totals.of(tasks))

    def to_json(self) -> dict[str, Any]:
        return {
            "project": {"id": self.project_id, "name": self.project_name},
            "plan": self.plan,
            "epics": [epic.to_json() for epic in self.epics],
            "totals": self.totals.to_json(),
        }


def task_status(task: Task | OutlineTask, record: TaskRecord | None, assignee: str | None) -> TaskStatus:
    """One task's line: its spec with what the store holds (nothing stored: ``pending``)."""
    state = record.state if record else TaskState.PENDING
    return TaskStatus(
        id=task.id,
        title=task.title,
        owner=task.owner,
        assignee=assignee,
        state=state,
        attempts=record.attempts if record else 0,
        estimate_hours=task.estimate,
        reason=record.reason if record and state in STATES_WITH_REASON else None,
        last_evidence_at=record.last_evidence_at if record else None,
    )


def build_status(
    roadmap: Roadmap | Outline,
    *,
    plan: str,
    records: Mapping[str, TaskRecord],
    assignees: Mapping[str, str],
    task_ids: Iterable[str] | None = None,
) -> StatusReport:
    """The status tree of ``task_ids`` (default: every task); empty stories and epics are left out."""
    wanted = None if task_ids is None else set(task_ids)
    epics: list[EpicStatus] = []
    for epic in roadmap.epics:
        stories: list[StoryStatus] = []
        for story in epic.stories:
            tasks = [
                task_status(task, records.get(task.id), assignees.get(task.id))
                for task in story.tasks
                if wanted is None or task.id in wanted
            ]
            if tasks:
                stories.append(StoryStatus(id=story.id, title=story.title, tasks=tasks))
        if stories:
            epics.append(EpicStatus(id=epic.id, title=epic.title, days=epic.days, stories=stories))
    return StatusReport(project_id=roadmap.project.id, project_name=roadmap.project.name, plan=plan, epics=epics)


def active_assignees(store: Store) -> dict[str, str]:
    """Task id → the person it is assigned to now."""
    return {row["task_id"]: row["assignee"] for row in store.assignments(active_only=True)}


def read_status(
    roadmap: Roadmap | Outline, store: Store | None, *, plan: str, task_ids: Iterable[str] | None = None
) -> StatusReport:
    """``build_status`` from a store; ``None`` (nothing has run yet) means every task is pending."""
    records = store.tasks() if store else {}
    assignees = active_assignees(store) if store else {}
    return build_status(roadmap, plan=plan, records=records, assignees=assignees, task_ids=task_ids)


# ``task show``'s data, importable from here as before; loaded only when asked for.
_MOVED_TO_TASK_DETAIL = frozenset(
    {"AssignmentEntry", "EvidenceEntry", "HistoryEntry", "Neighbour", "StepSummary", "TaskDetail", "read_task_detail",
     "summarize_step"}
)


def __getattr__(name: str) -> Any:
    if name not in _MOVED_TO_TASK_DETAIL:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import luckyctl.task_detail

    return getattr(luckyctl.task_detail, name)
