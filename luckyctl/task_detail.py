"""What ``task show`` reports about one task, as data: spec, neighbours, history, evidence, assignments.

Built from the roadmap and the store; the terminal and JSON renderers both
read these objects. Apart from ``luckyctl.status`` (the status tree), which
``task status`` imports on its own and must start fast.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from luckyctl.enums import StepKind, TaskState
from luckyctl.errors import SelectorError
from luckyctl.selectors import unknown_id_message
from luckyctl.status import TaskStatus, active_assignees, task_status

if TYPE_CHECKING:
    from luckyctl.model import Roadmap, Step, Task
    from luckyctl.store import Store

SUMMARY_WIDTH = 100


@dataclass(frozen=True)
class StepSummary:
    """A step or check as one line: kind, name and what it does."""

    index: int
    kind: StepKind
    name: str | None
    summary: str

    def to_json(self) -> dict[str, Any]:
        return {"index": self.index, "kind": self.kind.value, "name": self.name, "summary": self.summary}


@dataclass(frozen=True)
class Neighbour:
    """A dependency or dependent of the shown task, with its state."""

    id: str
    title: str
    state: TaskState

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "state": self.state.value}


@dataclass(frozen=True)
class HistoryEntry:
    """One attempt of the task (a ``task_runs`` row)."""

    run_id: str
    attempt: int
    state: TaskState
    reason: str | None
    started_at: str
    ended_at: str | None
    duration_s: float | None

    def to_json(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "attempt": self.attempt,
            "state": self.state.value,
            "reason": self.reason,
            "started_at": self.started_at,
            "ended_at": self.ended_at,
            "duration_s": self.duration_s,
        }


@dataclass(frozen=True)
class EvidenceEntry:
    """One evidence row of the task, as the store holds it."""

    seq: int
    run_id: str | None
    attempt: int
    phase: str
    step_index: int
    kind: str
    name: str | None
    status: str
    started_at: str
    ended_at: str
    metrics: dict[str, Any]
    summary: str | None  # what happened, or why it failed, in one line

    def to_json(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "run_id": self.run_id,
            "attempt": self.attempt,
            "phase": self.phase,
            "step_index": self.step_index,
            "kind": self.kind,
            "name": self.name,
            "status": self.status,
            "started_at": self.started_at,
            "ended_at": self.ended_at,
            "metrics": self.metrics,
            "summary": self.summary,
        }


@dataclass(frozen=True)
class AssignmentEntry:
    assignee: str
    role: str
    wave: int | None
    planned_start_day: int | None
    planned_end_day: int | None
    assigned_at: str
    assigned_by: str | None
    active: bool

    def to_json(self) -> dict[str, Any]:
        return {
            "assignee": self.assignee,
            "role": self.role,
            "wave": self.wave,
            "planned_start_day": self.planned_start_day,
            "planned_end_day": self.planned_end_day,
            "assigned_at": self.assigned_at,
            "assigned_by": self.assigned_by,
            "active": self.active,
        }


@dataclass(frozen=True)
class TaskDetail:
    """The result of ``task show``: the task's spec, neighbours, history and evidence."""

    status: TaskStatus
    description: str | None
    epic_id: str
    epic_title: str
    story_id: str
    story_title: str
    owner_title: str | None
    depends_on_declared: list[str]
    depends_on: list[Neighbour]
    dependents: list[Neighbour]
    steps: list[StepSummary]
    checks: list[StepSummary]
    manual: str | None
    approval: bool
    retries: int
    timeout_s: float
    evidence_max_age_s: float
    history: list[HistoryEntry]
    evidence: list[EvidenceEntry]
    assignments: list[AssignmentEntry]

    def to_json(self) -> dict[str, Any]:
        return {
            **self.status.to_json(),
            "description": self.description,
            "epic": {"id": self.epic_id, "title": self.epic_title},
            "story": {"id": self.story_id, "title": self.story_title},
            "owner_title": self.owner_title,
            "depends_on_declared": self.depends_on_declared,
            "depends_on": [dep.to_json() for dep in self.depends_on],
            "dependents": [dep.to_json() for dep in self.dependents],
            "steps": [step.to_json() for step in self.steps],
            "checks": [check.to_json() for check in self.checks],
            "manual": self.manual,
            "approval": self.approval,
            "retries": self.retries,
            "timeout_s": self.timeout_s,
            "evidence_max_age_s": self.evidence_max_age_s,
            "history": [entry.to_json() for entry in self.history],
            "evidence": [entry.to_json() for entry in self.evidence],
            "assignments": [entry.to_json() for entry in self.assignments],
        }


def _one_line(text: str, width: int = SUMMARY_WIDTH) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def _expected_status(status: int | list[int] | None) -> str:
    if status is None:
        return ""
    codes = status if isinstance(status, list) else [status]
    return " → " + "|".join(str(code) for code in codes)


def summarize_step(step: Step) -> str:
    """What a step does, in one line, from its unresolved spec (so no secret value can appear)."""
    spec: Any = step.spec
    kind = step.kind
    if kind is StepKind.RUN:
        text = shlex.join(spec.argv) if spec.argv is not None else spec.cmd
        if spec.expect.exit_code != 0:
            text += f" (exit {spec.expect.exit_code})"
    elif kind is StepKind.HTTP:
        text = f"{spec.method} {spec.url}{_expected_status(spec.expect.status)}"
    elif kind is StepKind.PROBE:
        bounds = [f"{name} ≤ {value:g}" for name, value in spec.expect.model_dump(exclude_none=True).items()]
        text = f"{spec.method} {spec.url}: {spec.requests} requests, {spec.concurrency} at once"
        text += f" ({', '.join(bounds)})" if bounds else ""
    elif kind is StepKind.CLOUD_RUN:
        text = f"{spec.action} {spec.service}" + (f" image {spec.image}" if spec.image else "")
        text += "".join(f", {t.percent}% to {t.revision or 'latest'}" for t in spec.traffic)
    elif kind is StepKind.GCP:
        text = f"{spec.method} {spec.api} {spec.path}{_expected_status(spec.expect.status)}"
    elif kind is StepKind.SQL:
        # A DSN may carry a password, so only the instance name is shown.
        target = f"on {spec.instance}" if spec.instance else "via dsn"
        text = f"{spec.query} {target}"
    elif kind is StepKind.FILE:
        text = f"{spec.path} {'exists' if spec.expect.exists else 'is absent'}"
        if spec.expect.contains is not None:
            text += f", contains {spec.expect.contains!r}"
        if spec.expect.matches is not None:
            text += f", matches {spec.expect.matches!r}"
    else:
        text = spec.instruction
        if spec.attachments_required:
            text += f" ({spec.attachments_required} attachment(s) required)"
    return _one_line(text)


def _summaries(steps: list[Step]) -> list[StepSummary]:
    return [StepSummary(index, step.kind, step.name, summarize_step(step)) for index, step in enumerate(steps, 1)]


def _require_task(roadmap: Roadmap, task_id: str) -> Task:
    task = roadmap.tasks.get(task_id)
    if task is not None:
        return task
    if task_id in roadmap.all_ids():
        raise SelectorError(f"'{task_id}' is an epic, story or project; task show takes one task id")
    raise SelectorError(unknown_id_message(task_id, roadmap.tasks))


def read_task_detail(roadmap: Roadmap, store: Store | None, task_id: str) -> TaskDetail:
    """Everything known about one task; ``store`` None means nothing has run yet."""
    from luckyctl.graph import build_graph

    task = _require_task(roadmap, task_id)
    records = store.tasks() if store else {}
    assignees = active_assignees(store) if store else {}
    graph = build_graph(roadmap)
    position = {other: index for index, other in enumerate(roadmap.tasks)}

    def neighbours(ids: Iterable[str]) -> list[Neighbour]:
        """In roadmap order, each with its current state."""
        states = {other: records[other].state if other in records else TaskState.PENDING for other in ids}
        ordered = sorted(states, key=position.__getitem__)
        return [Neighbour(other, roadmap.tasks[other].title, states[other]) for other in ordered]

    story = roadmap.story_of(task_id)
    epic = roadmap.epic_of(task_id)
    role = roadmap.project.roles.get(task.owner)
    history_rows = store.task_runs(task_id) if store else []
    evidence_rows = store.evidence([task_id]) if store else []
    assignment_rows = store.assignments(active_only=False) if store else []
    return TaskDetail(
        status=task_status(task, records.get(task_id), assignees.get(task_id)),
        description=task.description,
        epic_id=epic.id,
        epic_title=epic.title,
        story_id=story.id,
        story_title=story.title,
        owner_title=role.title if role else None,
        depends_on_declared=list(task.depends_on),
        depends_on=neighbours(graph.predecessors(task_id)),
        dependents=neighbours(graph.successors(task_id)),
        steps=_summaries(task.steps),
        checks=_summaries(task.checks),
        manual=task.manual,
        approval=task.approval,
        retries=task.retries,
        timeout_s=task.timeout,
        evidence_max_age_s=task.evidence.max_age,
        history=[
            HistoryEntry(
                run_id=row["run_id"],
                attempt=row["attempt"],
                state=TaskState(row["state"]),
                reason=row["reason"],
                started_at=row["started_at"],
                ended_at=row["ended_at"],
                duration_s=row["duration_s"],
            )
            for row in history_rows
        ],
        evidence=[
            EvidenceEntry(
                seq=row["seq"],
                run_id=row["run_id"],
                attempt=row["attempt"],
                phase=row["phase"],
                step_index=row["step_index"],
                kind=row["kind"],
                name=row["name"],
                status=row["status"],
                started_at=row["started_at"],
                ended_at=row["ended_at"],
                metrics=row["metrics"] or {},
                summary=row.get("summary"),
            )
            for row in evidence_rows
        ],
        assignments=[
            AssignmentEntry(
                assignee=row["assignee"],
                role=row["role"],
                wave=row["wave"],
                planned_start_day=row["planned_start_day"],
                planned_end_day=row["planned_end_day"],
                assigned_at=row["assigned_at"],
                assigned_by=row["assigned_by"],
                active=bool(row["active"]),
            )
            for row in assignment_rows
            if row["task_id"] == task_id
        ],
    )
