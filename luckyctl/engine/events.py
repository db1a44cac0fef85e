"""What a run reports while it goes: one small dataclass per event, and the sink protocol.

The engine never prints. It hands events to an ``EventSink``; the CLI's
sinks render them as a live view, plain lines or JSON lines. Every text in an
event has already been through the redactor.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol

from luckyctl.model import StepStatus, TaskState


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")


@dataclass(frozen=True, kw_only=True)
class Event:
    """Base of every event: its name (for JSON) and when it happened."""

    name: ClassVar[str] = "event"
    at: str = field(default_factory=_now)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready mapping: ``{"event": name, "at": …, fields…}``, enums as their values."""
        values = {"event": self.name}
        for item in dataclasses.fields(self):
            value = getattr(self, item.name)
            values[item.name] = value.value if isinstance(value, TaskState | StepStatus) else value
        return values


@dataclass(frozen=True, kw_only=True)
class RunStarted(Event):
    name: ClassVar[str] = "run_started"
    run_id: str
    plan: str
    selector: str
    strategy: str
    wave_mode: bool
    parallel: int
    tasks: list[str]


@dataclass(frozen=True, kw_only=True)
class WaveStarted(Event):
    name: ClassVar[str] = "wave_started"
    index: int  # 1-based
    tasks: list[str]


@dataclass(frozen=True, kw_only=True)
class TaskStarted(Event):
    name: ClassVar[str] = "task_started"
    task_id: str
    title: str
    attempt: int
    reason: str  # why it runs: never run, failed before, spec changed, --force …


@dataclass(frozen=True, kw_only=True)
class TaskHeld(Event):
    """The task is running in another process; this run waits for its result."""

    name: ClassVar[str] = "task_held"
    task_id: str
    holder: str  # "run R (pid P on H)"


@dataclass(frozen=True, kw_only=True)
class StepFinished(Event):
    name: ClassVar[str] = "step_finished"
    task_id: str
    phase: str  # step | check
    index: int  # 0-based within its phase
    kind: str
    label: str
    attempt: int
    status: StepStatus
    summary: str
    duration_s: float


@dataclass(frozen=True, kw_only=True)
class StepRetrying(Event):
    name: ClassVar[str] = "step_retrying"
    task_id: str
    phase: str
    index: int
    label: str
    attempt: int  # the attempt that just failed
    delay_s: float


@dataclass(frozen=True, kw_only=True)
class TaskFinished(Event):
    """A task's outcome in this run, whether it ran or was settled without running."""

    name: ClassVar[str] = "task_finished"
    task_id: str
    state: TaskState
    reason: str | None
    duration_s: float
    ran: bool


@dataclass(frozen=True, kw_only=True)
class StoryGate(Event):
    """Systematic strategy: every selected task of a story is settled; its checks decided."""

    name: ClassVar[str] = "story_gate"
    story_id: str
    passed: bool


@dataclass(frozen=True, kw_only=True)
class Cancelling(Event):
    name: ClassVar[str] = "cancelling"
    reason: str
    grace_s: float


@dataclass(frozen=True, kw_only=True)
class RunFinished(Event):
    name: ClassVar[str] = "run_finished"
    run_id: str
    exit_code: int
    duration_s: float
    counts: dict[str, int]
    failures: dict[str, str]  # task id → reason, for failed, blocked, waiting and interrupted tasks


class EventSink(Protocol):
    """Receives every event of a run, from the scheduler's thread and from workers."""

    def emit(self, event: Event) -> None: ...


class NullSink:
    """Drops every event (library use, benchmarks)."""

    def emit(self, event: Event) -> None:
        return None


class ListSink:
    """Keeps every event in order (tests, embedding)."""

    def __init__(self) -> None:
        self.events: list[Event] = []

    def emit(self, event: Event) -> None:
        self.events.append(event)

    def of(self, kind: type[Event]) -> list[Any]:
        return [event for event in self.events if isinstance(event, kind)]
