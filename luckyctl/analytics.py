"""Progress, schedule, burndown, critical path, ETA, reliability and workload of a roadmap.

Derived from the roadmap (estimates, dependencies, the epics' planned days)
and the store (task state, the ``task_runs`` history, evidence rows, active
assignments) and nothing else. Days are business days of the project
calendar (``luckyctl.calendar``); a business day is 8 working hours.

Projections follow the critical-path method: every remaining task starts as
soon as its remaining dependencies are done, from the first working day of
the remaining work (today, or day 1 before the project starts); an epic that
has not started does not start before its first planned day. The field
names of ``Analytics.to_json()`` are documented in docs/analytics.md.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Any

from luckyctl.calendar import ProjectCalendar, day_span, days_for_hours
from luckyctl.durations import WORK_DAY_HOURS
from luckyctl.evidence.records import EvidencePhase
from luckyctl.heap import paused_gc
from luckyctl.model import Roadmap, StepStatus, TaskState
from luckyctl.status import EpicStatus, TaskStatus, Totals, build_status

if TYPE_CHECKING:
    import networkx as nx

    from luckyctl.store import Store

CHECK_PHASES = frozenset({EvidencePhase.CHECK.value, EvidencePhase.RECHECK.value})
FLAKIEST_LIMIT = 5
_HOURS_DIGITS = 2
_RATE_DIGITS = 4


# ---------------------------------------------------------------- evidence validity


def latest_attempt_rows(rows: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The evidence rows of a task's most recent attempt (rows in ``seq`` order)."""
    if not rows:
        return []
    last = rows[-1]
    return [row for row in rows if row["run_id"] == last["run_id"] and row["attempt"] == last["attempt"]]


def evidence_passes(rows: Sequence[Mapping[str, Any]]) -> bool:
    """Some evidence, and every row of the most recent attempt passed.

    An approval is permission to run, not proof of anything: it does not count.
    """
    proof = [row for row in rows if row["phase"] != EvidencePhase.APPROVAL.value]
    latest = latest_attempt_rows(proof)
    return bool(latest) and all(row["status"] == StepStatus.PASSED.value for row in latest)


def evidence_outcomes(store: Store) -> dict[str, list[dict[str, Any]]]:
    """Task id → its evidence rows (seq order), only the columns validity needs: no JSON decoding."""
    outcomes: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in store.query("SELECT task_id, run_id, attempt, phase, status FROM evidence ORDER BY seq"):
        outcomes[row["task_id"]].append(row)
    return outcomes


def is_proven(state: TaskState, rows: Sequence[Mapping[str, Any]]) -> bool:
    """Done with passing evidence: what counts for a risk's mitigation.

    The evidence gate checks more (age, artifact hashes, spec changes); it
    can take the place of this function without changing its callers.
    """
    return state.is_done and evidence_passes(rows)


# ---------------------------------------------------------------- result objects


def _hours(value: float) -> float:
    return round(value, _HOURS_DIGITS)


def _rate(value: float | None) -> float | None:
    return None if value is None else round(value, _RATE_DIGITS)


def _date(date: dt.date | None) -> str | None:
    return date.isoformat() if date else None


class ScheduleStatus(str, Enum):
    AHEAD = "ahead"
    ON_TRACK = "on-track"
    LATE = "late"

    @classmethod
    def of(cls, variance_days: int) -> ScheduleStatus:
        if variance_days < 0:
            return cls.AHEAD
        return cls.ON_TRACK if variance_days == 0 else cls.LATE


@dataclass(frozen=True)
class DaySpan:
    """Business days ``[start_day, end_day]`` and their dates; an open end is None."""

    start_day: int | None
    end_day: int | None
    start_date: dt.date | None
    end_date: dt.date | None

    @classmethod
    def of(cls, calendar: ProjectCalendar, start_day: int | None, end_day: int | None) -> DaySpan:
        return cls(
            start_day,
            end_day,
            calendar.date_of(start_day) if start_day is not None else None,
            calendar.date_of(end_day) if end_day is not None else None,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "start_day": self.start_day,
            "end_day": self.end_day,
            "start_date": _date(self.start_date),
            "end_date": _date(self.end_date),
        }


def _progress_json(totals: Totals) -> dict[str, Any]:
    document = totals.to_json()
    document["remaining_hours"] = _hours(totals.estimate_hours - totals.done_hours)
    document["estimate_hours"] = _hours(totals.estimate_hours)
    document["done_hours"] = _hours(totals.done_hours)
    return document


@dataclass(frozen=True)
class StoryAnalytics:
    id: str
    title: str
    progress: Totals

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "progress": _progress_json(self.progress)}


@dataclass(frozen=True)
class EpicAnalytics:
    """One epic: progress, and planned vs actual vs projected on the calendar."""

    id: str
    title: str
    progress: Totals
    stories: list[StoryAnalytics]
    planned: DaySpan | None
    actual: DaySpan
    projected_end_day: int | None
    projected_end_date: dt.date | None
    variance_days: int | None  # projected end − planned end; positive is late

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "progress": _progress_json(self.progress),
            "stories": [story.to_json() for story in self.stories],
            "planned": self.planned.to_json() if self.planned else None,
            "actual": self.actual.to_json(),
            "projected_end_day": self.projected_end_day,
            "projected_end_date": _date(self.projected_end_date),
            "variance_days": self.variance_days,
        }


@dataclass(frozen=True)
class Schedule:
    planned_end_day: int | None
    planned_end_date: dt.date | None
    projected_end_day: int | None
    projected_end_date: dt.date | None
    variance_days: int | None
    status: ScheduleStatus | None

    def to_json(self) -> dict[str, Any]:
        return {
            "planned_end_day": self.planned_end_day,
            "planned_end_date": _date(self.planned_end_date),
            "projected_end_day": self.projected_end_day,
            "projected_end_date": _date(self.projected_end_date),
            "variance_days": self.variance_days,
            "status": self.status.value if self.status else None,
        }


@dataclass(frozen=True)
class CriticalPath:
    """The longest chain of remaining (not done) tasks by estimated hours."""

    task_ids: list[str]
    hours: float

    @property
    def business_days(self) -> int:
        return days_for_hours(self.hours)

    def to_json(self) -> dict[str, Any]:
        return {"task_ids": self.task_ids, "hours": _hours(self.hours), "business_days": self.business_days}


@dataclass(frozen=True)
class Eta:
    """When the remaining work ends: the remaining critical path from the first working day left,
    epics that have not started waiting for their first planned day."""

    day: int
    date: dt.date
    business_days_left: int
    remaining_hours: float

    def to_json(self) -> dict[str, Any]:
        return {
            "day": self.day,
            "date": self.date.isoformat(),
            "business_days_left": self.business_days_left,
            "remaining_hours": _hours(self.remaining_hours),
        }


@dataclass(frozen=True)
class BurndownPoint:
    """Remaining estimated hours at the end of business ``day``."""

    day: int
    date: dt.date
    planned_remaining_hours: float
    actual_remaining_hours: float | None  # None after today
    completed_hours: float | None  # hours of tasks done that day; None after today

    def to_json(self) -> dict[str, Any]:
        return {
            "day": self.day,
            "date": self.date.isoformat(),
            "planned_remaining_hours": _hours(self.planned_remaining_hours),
            "actual_remaining_hours": None
            if self.actual_remaining_hours is None
            else _hours(self.actual_remaining_hours),
            "completed_hours": None if self.completed_hours is None else _hours(self.completed_hours),
        }


@dataclass(frozen=True)
class Velocity:
    """Estimated hours completed per business day, from the first task start to today."""

    hours_done: float
    days_elapsed: int
    days_to_finish: int | None  # the remaining hours at this pace; None without pace
    finish_day: int | None
    finish_date: dt.date | None

    @property
    def hours_per_day(self) -> float:
        return self.hours_done / self.days_elapsed if self.days_elapsed else 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "hours_per_day": _hours(self.hours_per_day),
            "days_elapsed": self.days_elapsed,
            "hours_done": _hours(self.hours_done),
            "days_to_finish": self.days_to_finish,
            "finish_day": self.finish_day,
            "finish_date": _date(self.finish_date),
        }


@dataclass(frozen=True)
class TaskDuration:
    """Actual working time (all attempts) against the estimate."""

    task_id: str
    title: str
    estimate_hours: float
    actual_hours: float
    attempts: int

    @property
    def ratio(self) -> float | None:
        return self.actual_hours / self.estimate_hours if self.estimate_hours else None

    def to_json(self) -> dict[str, Any]:
        return {
            "task_id": self.task_id,
            "title": self.title,
            "estimate_hours": _hours(self.estimate_hours),
            "actual_hours": round(self.actual_hours, _RATE_DIGITS),
            "ratio": _rate(self.ratio),
            "attempts": self.attempts,
        }


@dataclass(frozen=True)
class Durations:
    tasks: list[TaskDuration]

    @property
    def estimate_hours(self) -> float:
        return sum(task.estimate_hours for task in self.tasks)

    @property
    def actual_hours(self) -> float:
        return sum(task.actual_hours for task in self.tasks)

    @property
    def ratio(self) -> float | None:
        return self.actual_hours / self.estimate_hours if self.estimate_hours else None

    def to_json(self) -> dict[str, Any]:
        return {
            "tasks": [task.to_json() for task in self.tasks],
            "estimate_hours": _hours(self.estimate_hours),
            "actual_hours": round(self.actual_hours, _RATE_DIGITS),
            "ratio": _rate(self.ratio),
        }


@dataclass(frozen=True)
class FlakyTask:
    task_id: str
    title: str
    failed_attempts: int  # failures before the task's last success
    attempts: int

    def to_json(self) -> dict[str, Any]:
        return {
            "task_id": self.task_id,
            "title": self.title,
            "failed_attempts": self.failed_attempts,
            "attempts": self.attempts,
        }


@dataclass(frozen=True)
class Reliability:
    attempts: int  # finished attempts
    failed_attempts: int
    tasks_attempted: int
    tasks_retried: int  # tasks with more than one attempt
    flakiest: list[FlakyTask]

    @property
    def failure_rate(self) -> float | None:
        return self.failed_attempts / self.attempts if self.attempts else None

    @property
    def retry_rate(self) -> float | None:
        return self.tasks_retried / self.tasks_attempted if self.tasks_attempted else None

    def to_json(self) -> dict[str, Any]:
        return {
            "attempts": self.attempts,
            "failed_attempts": self.failed_attempts,
            "failure_rate": _rate(self.failure_rate),
            "tasks_attempted": self.tasks_attempted,
            "tasks_retried": self.tasks_retried,
            "retry_rate": _rate(self.retry_rate),
            "flakiest": [task.to_json() for task in self.flakiest],
        }


@dataclass(frozen=True)
class EvidenceCoverage:
    """Tasks that declare checks, and which of them have passing check evidence."""

    tasks_with_checks: int
    uncovered: list[str]

    @property
    def covered(self) -> int:
        return self.tasks_with_checks - len(self.uncovered)

    @property
    def ratio(self) -> float | None:
        return self.covered / self.tasks_with_checks if self.tasks_with_checks else None

    def to_json(self) -> dict[str, Any]:
        return {
            "tasks_with_checks": self.tasks_with_checks,
            "covered": self.covered,
            "ratio": _rate(self.ratio),
            "uncovered": self.uncovered,
        }


@dataclass(frozen=True)
class BlockedTask:
    task_id: str
    title: str
    reason: str | None

    def to_json(self) -> dict[str, Any]:
        return {"task_id": self.task_id, "title": self.title, "reason": self.reason}


@dataclass(frozen=True)
class AssigneeLoad:
    assignee: str
    role: str
    task_ids: list[str]
    assigned_hours: float
    done_hours: float

    def to_json(self) -> dict[str, Any]:
        return {
            "assignee": self.assignee,
            "role": self.role,
            "tasks": len(self.task_ids),
            "task_ids": self.task_ids,
            "assigned_hours": _hours(self.assigned_hours),
            "done_hours": _hours(self.done_hours),
            "remaining_hours": _hours(self.assigned_hours - self.done_hours),
        }


@dataclass(frozen=True)
class Workload:
    assignees: list[AssigneeLoad]
    unassigned_task_ids: list[str]
    unassigned_hours: float

    def to_json(self) -> dict[str, Any]:
        return {
            "assignees": [load.to_json() for load in self.assignees],
            "unassigned_tasks": len(self.unassigned_task_ids),
            "unassigned_hours": _hours(self.unassigned_hours),
        }


class PlanSource(str, Enum):
    """Where a task's planned days come from."""

    ASSIGNMENT = "assignment"  # its active assignment (``task delegate``)
    ROADMAP = "roadmap"  # as soon as its dependencies allow, not before its epic's first day


@dataclass(frozen=True)
class GanttRow:
    task_id: str
    title: str
    epic_id: str
    story_id: str
    owner: str
    assignee: str | None
    state: TaskState
    planned: DaySpan
    planned_source: PlanSource
    actual: DaySpan  # an open end: not finished yet
    on_critical_path: bool  # of the whole roadmap, by estimate
    on_remaining_critical_path: bool

    def to_json(self) -> dict[str, Any]:
        return {
            "task_id": self.task_id,
            "title": self.title,
            "epic_id": self.epic_id,
            "story_id": self.story_id,
            "owner": self.owner,
            "assignee": self.assignee,
            "state": self.state.value,
            "planned": self.planned.to_json(),
            "planned_source": self.planned_source.value,
            "actual": self.actual.to_json(),
            "on_critical_path": self.on_critical_path,
            "on_remaining_critical_path": self.on_remaining_critical_path,
        }


@dataclass(frozen=True)
class Analytics:
    """Everything ``task analytics`` reports; renderers and JSON read this one object."""

    project_id: str
    project_name: str
    calendar_mode: str
    start_date: dt.date
    as_of: dt.datetime
    today_day: int
    work_start_day: int
    progress: Totals
    epics: list[EpicAnalytics]
    schedule: Schedule
    critical_path: CriticalPath
    eta: Eta | None
    burndown: list[BurndownPoint]
    velocity: Velocity
    durations: Durations
    reliability: Reliability
    evidence_coverage: EvidenceCoverage
    blocked: list[BlockedTask]
    workload: Workload
    gantt: list[GanttRow]

    def to_json(self) -> dict[str, Any]:
        return {
            "project": {
                "id": self.project_id,
                "name": self.project_name,
                "start": self.start_date.isoformat(),
                "calendar": self.calendar_mode,
            },
            "as_of": self.as_of.isoformat(),
            "today_day": self.today_day,
            "work_start_day": self.work_start_day,
            "progress": _progress_json(self.progress),
            "epics": [epic.to_json() for epic in self.epics],
            "schedule": self.schedule.to_json(),
            "critical_path": self.critical_path.to_json(),
            "eta": self.eta.to_json() if self.eta else None,
            "burndown": [point.to_json() for point in self.burndown],
            "velocity": self.velocity.to_json(),
            "durations": self.durations.to_json(),
            "reliability": self.reliability.to_json(),
            "evidence_coverage": self.evidence_coverage.to_json(),
            "blocked": [task.to_json() for task in self.blocked],
            "workload": self.workload.to_json(),
            "gantt": [row.to_json() for row in self.gantt],
        }


# ---------------------------------------------------------------- facts from the store


def as_utc(moment: dt.datetime | None) -> dt.datetime:
    """``moment`` (default: the clock) in UTC; a naive time is taken as UTC, as the store writes it."""
    if moment is None:
        return dt.datetime.now(dt.UTC)
    return moment.astimezone(dt.UTC) if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _moment(text: str | None) -> dt.datetime | None:
    return as_utc(dt.datetime.fromisoformat(text)) if text else None


_RUNNING, _SUCCEEDED, _FAILED = TaskState.RUNNING.value, TaskState.SUCCEEDED.value, TaskState.FAILED.value


@dataclass(frozen=True)
class _History:
    """One task's attempts, read from ``task_runs`` (in order)."""

    runs: list[dict[str, Any]]
    finished: list[dict[str, Any]] = field(init=False)  # the attempts that ended

    def __post_init__(self) -> None:
        finished = [run for run in self.runs if run["ended_at"] and run["state"] != _RUNNING]
        object.__setattr__(self, "finished", finished)

    @property
    def first_start(self) -> dt.datetime | None:
        starts = [_moment(run["started_at"]) for run in self.runs]
        return min((start for start in starts if start), default=None)

    @property
    def last_end(self) -> dt.datetime | None:
        ends = [_moment(run["ended_at"]) for run in self.finished]
        return max((end for end in ends if end), default=None)

    def last_success(self) -> dict[str, Any] | None:
        successes = [run for run in self.finished if run["state"] == _SUCCEEDED]
        return successes[-1] if successes else None

    def failures_before_last_success(self) -> int:
        success = self.last_success()
        if success is None:
            return 0
        return sum(1 for run in self.finished if run["state"] == _FAILED and run["id"] < success["id"])


def _done_at(task: TaskStatus, history: _History, record_end: str | None) -> dt.datetime | None:
    """When a done task was done: its last successful attempt, else the state's own times."""
    if not task.state.is_done:
        return None
    success = history.last_success()
    if success is not None:
        return _moment(success["ended_at"])
    return _moment(record_end)


@dataclass
class _Facts:
    tasks: dict[str, TaskStatus]
    epics: list[EpicStatus]
    histories: dict[str, _History]
    done_at: dict[str, dt.datetime]
    evidence: dict[str, list[dict[str, Any]]]
    assignments: dict[str, dict[str, Any]]


def _read_facts(roadmap: Roadmap, store: Store | None) -> _Facts:
    records = store.tasks() if store else {}
    assignments = {row["task_id"]: row for row in store.assignments(active_only=True)} if store else {}
    tree = build_status(
        roadmap, plan="", records=records, assignees={task_id: row["assignee"] for task_id, row in assignments.items()}
    )
    # Epics in calendar order (by their first planned day; unplanned ones last), else roadmap order.
    first_day = {epic.id: epic.days[0] if epic.days else math.inf for epic in roadmap.epics}
    epics = sorted(tree.epics, key=lambda epic: first_day[epic.id])
    tasks = {task.id: task for epic in epics for story in epic.stories for task in story.tasks}
    runs: dict[str, list[dict[str, Any]]] = {task_id: [] for task_id in tasks}
    for run in store.task_runs() if store else []:
        if run["task_id"] in runs:
            runs[run["task_id"]].append(run)
    histories = {task_id: _History(attempts) for task_id, attempts in runs.items()}
    evidence = evidence_outcomes(store) if store else {}
    done_at: dict[str, dt.datetime] = {}
    for task_id, task in tasks.items():
        record = records.get(task_id)
        moment = _done_at(task, histories[task_id], (record.ended_at or record.updated_at) if record else None)
        if moment is not None:
            done_at[task_id] = moment
    return _Facts(tasks, epics, histories, done_at, evidence, assignments)


# ---------------------------------------------------------------- schedule computations


def _as_soon_as_possible(
    roadmap: Roadmap, graph: nx.DiGraph, first_day: int, waiting: Collection[str]
) -> dict[str, tuple[float, float]]:
    """Task of ``graph`` → (start, end) in hours from the start of ``first_day``, with as many people as it takes.

    A task starts when its dependencies in ``graph`` end; a task of an epic in
    ``waiting`` (one that has not started) not before that epic's first
    planned day.
    """
    from luckyctl.graph import topological_order

    span: dict[str, tuple[float, float]] = {}
    for task_id in topological_order(graph):
        epic = roadmap.epic_of(task_id)
        release = (epic.days[0] - first_day) * WORK_DAY_HOURS if epic.days and epic.id in waiting else 0.0
        start = max([0.0, release, *(span[dep][1] for dep in graph.pred[task_id])])
        span[task_id] = (start, start + roadmap.tasks[task_id].estimate)
    return span


def _planned_remaining(plan: Sequence[tuple[float, tuple[int, int] | None]], day: int) -> float:
    """Hours left at the end of ``day`` if each epic (hours, planned days) burned linearly over its days.

    An epic without planned days has no plan to burn: its hours stay.
    """
    left = 0.0
    for hours, days in plan:
        if days is None:
            left += hours
            continue
        first, last = days
        share = min(1.0, max(0.0, (day - first + 1) / (last - first + 1)))
        left += hours * (1.0 - share)
    return left


def _day(calendar: ProjectCalendar, moment: dt.datetime | None) -> int | None:
    return calendar.day_of(moment.date()) if moment else None


# ---------------------------------------------------------------- the computation


def compute_analytics(roadmap: Roadmap, store: Store | None, *, now: dt.datetime | None = None) -> Analytics:
    """The analytics of ``roadmap`` from what ``store`` recorded, as of ``now`` (default: the clock).

    ``store`` None means nothing has run yet: every task is pending.
    """
    with paused_gc():  # rows and results by the ten thousand, none of them cyclic
        return _compute(roadmap, store, as_utc(now))


def _compute(roadmap: Roadmap, store: Store | None, now: dt.datetime) -> Analytics:
    from luckyctl.graph import build_graph, critical_path

    calendar = ProjectCalendar.of(roadmap.project)
    facts = _read_facts(roadmap, store)
    today = calendar.day_of(now.date())
    work_start = calendar.work_start_day(now)
    progress = Totals.of(facts.tasks.values())
    done_day = {task_id: calendar.day_of(moment.date()) for task_id, moment in facts.done_at.items()}
    graph = build_graph(roadmap)  # built once; what remains is a part of it
    remaining_ids = [task_id for task_id, task in facts.tasks.items() if not task.state.is_done]
    remaining = graph.subgraph(remaining_ids).copy()
    started = {
        roadmap.epic_of(task_id).id for task_id in facts.tasks if facts.histories[task_id].runs or task_id in done_day
    }
    waiting = [epic.id for epic in roadmap.epics if epic.id not in started]
    finish = {
        task_id: end for task_id, (_, end) in _as_soon_as_possible(roadmap, remaining, work_start, waiting).items()
    }
    remaining_path, remaining_hours = critical_path(remaining) if remaining_ids else ([], 0.0)
    critical = CriticalPath(remaining_path, remaining_hours)
    last_done_day = max(done_day.values(), default=None)
    eta = _eta(calendar, max(finish.values(), default=0.0), work_start, last_done_day, progress)

    epics = [_epic(calendar, roadmap, status, facts, done_day, finish, work_start) for status in facts.epics]
    schedule = _schedule(calendar, roadmap, eta)
    burndown = _burndown(calendar, roadmap, facts, done_day, progress, today, eta)
    velocity = _velocity(calendar, facts, progress, today, work_start)
    return Analytics(
        project_id=roadmap.project.id,
        project_name=roadmap.project.name,
        calendar_mode=roadmap.project.calendar,
        start_date=calendar.date_of(1),
        as_of=now,
        today_day=today,
        work_start_day=work_start,
        progress=progress,
        epics=epics,
        schedule=schedule,
        critical_path=critical,
        eta=eta,
        burndown=burndown,
        velocity=velocity,
        durations=_durations(facts),
        reliability=_reliability(facts),
        evidence_coverage=_coverage(roadmap, facts),
        blocked=[
            BlockedTask(task.id, task.title, task.reason)
            for task in facts.tasks.values()
            if task.state is TaskState.BLOCKED
        ],
        workload=_workload(facts),
        gantt=_gantt(calendar, roadmap, graph, facts, done_day, set(remaining_path)),
    )


def _end_day(work_start: int, end_hour: float) -> int:
    """The business day on which work ending ``end_hour`` after the start of ``work_start`` ends."""
    return work_start + max(days_for_hours(end_hour), 1) - 1


def _eta(
    calendar: ProjectCalendar, end_hour: float, work_start: int, last_done_day: int | None, progress: Totals
) -> Eta | None:
    """The day the remaining work ends (``end_hour`` from the start of ``work_start``)."""
    if progress.tasks == 0:
        return None
    remaining = progress.estimate_hours - progress.done_hours
    if progress.done == progress.tasks:
        day = last_done_day if last_done_day is not None else work_start
        return Eta(day, calendar.date_of(day), 0, 0.0)
    day = _end_day(work_start, end_hour)
    return Eta(day, calendar.date_of(day), days_for_hours(end_hour), remaining)


def _epic(
    calendar: ProjectCalendar,
    roadmap: Roadmap,
    status: EpicStatus,
    facts: _Facts,
    done_day: Mapping[str, int],
    finish: Mapping[str, float],
    work_start: int,
) -> EpicAnalytics:
    epic = roadmap.epic_of(status.stories[0].id)  # an epic in the status tree has a story
    task_ids = [task.id for story in status.stories for task in story.tasks]
    starts = [facts.histories[task_id].first_start for task_id in task_ids]
    first_start = min((start for start in starts if start), default=None)
    all_done = all(task_id in done_day for task_id in task_ids)
    actual_end = max(done_day[task_id] for task_id in task_ids) if all_done else None
    if all_done:
        projected: int | None = actual_end
    else:
        projected = _end_day(work_start, max(finish[task_id] for task_id in task_ids if task_id in finish))
    planned = DaySpan.of(calendar, *epic.days) if epic.days else None
    return EpicAnalytics(
        id=status.id,
        title=status.title,
        progress=status.totals,
        stories=[StoryAnalytics(story.id, story.title, story.totals) for story in status.stories],
        planned=planned,
        actual=DaySpan.of(calendar, _day(calendar, first_start), actual_end),
        projected_end_day=projected,
        projected_end_date=calendar.date_of(projected) if projected is not None else None,
        variance_days=projected - epic.days[1] if epic.days and projected is not None else None,
    )


def _planned_last_day(roadmap: Roadmap) -> int | None:
    return max((epic.days[1] for epic in roadmap.epics if epic.days), default=None)


def _schedule(calendar: ProjectCalendar, roadmap: Roadmap, eta: Eta | None) -> Schedule:
    planned = _planned_last_day(roadmap)
    projected = eta.day if eta else None
    variance = projected - planned if planned is not None and projected is not None else None
    return Schedule(
        planned_end_day=planned,
        planned_end_date=calendar.date_of(planned) if planned is not None else None,
        projected_end_day=projected,
        projected_end_date=eta.date if eta else None,
        variance_days=variance,
        status=ScheduleStatus.of(variance) if variance is not None else None,
    )


def _burndown(
    calendar: ProjectCalendar,
    roadmap: Roadmap,
    facts: _Facts,
    done_day: Mapping[str, int],
    progress: Totals,
    today: int,
    eta: Eta | None,
) -> list[BurndownPoint]:
    """Day 0 (the eve of day 1, or the first day anything finished) to the last planned, projected or current day."""
    completed: dict[int, float] = defaultdict(float)
    for task_id, day in done_day.items():
        completed[day] += facts.tasks[task_id].estimate_hours
    first = min([0, *completed])
    last = max([0, _planned_last_day(roadmap) or 0, eta.day if eta else 0, today])
    days_of = {epic.id: epic.days for epic in roadmap.epics}
    plan = [(status.totals.estimate_hours, days_of[status.id]) for status in facts.epics]
    points: list[BurndownPoint] = []
    remaining = progress.estimate_hours - sum(hours for day, hours in completed.items() if day < first)
    for day in range(first, last + 1):
        remaining -= completed.get(day, 0.0)
        past = day <= today
        points.append(
            BurndownPoint(
                day=day,
                date=calendar.date_of(day),
                planned_remaining_hours=_planned_remaining(plan, day),
                actual_remaining_hours=remaining if past else None,
                completed_hours=completed.get(day, 0.0) if past else None,
            )
        )
    return points


def _velocity(calendar: ProjectCalendar, facts: _Facts, progress: Totals, today: int, work_start: int) -> Velocity:
    starts = [history.first_start for history in facts.histories.values()]
    first = min((start for start in starts if start), default=None)
    elapsed = max(1, today - calendar.day_of(first.date()) + 1) if first else 0
    pace = progress.done_hours / elapsed if elapsed else 0.0
    remaining = progress.estimate_hours - progress.done_hours
    days: int | None = days_for_hours(remaining / pace * WORK_DAY_HOURS) if pace > 0 else None
    finish_day = work_start + max(days, 1) - 1 if days else None
    return Velocity(
        hours_done=progress.done_hours,
        days_elapsed=elapsed,
        days_to_finish=days,
        finish_day=finish_day,
        finish_date=calendar.date_of(finish_day) if finish_day is not None else None,
    )


def _durations(facts: _Facts) -> Durations:
    rows = []
    for task_id, task in facts.tasks.items():
        finished = facts.histories[task_id].finished
        if finished:
            seconds = sum(run["duration_s"] or 0.0 for run in finished)
            rows.append(TaskDuration(task_id, task.title, task.estimate_hours, seconds / 3600.0, len(finished)))
    return Durations(rows)


def _reliability(facts: _Facts) -> Reliability:
    attempts = failed = attempted = retried = 0
    flaky: list[FlakyTask] = []
    for task_id, task in facts.tasks.items():
        history = facts.histories[task_id]
        finished = history.finished
        attempts += len(finished)
        failed += sum(1 for run in finished if run["state"] == _FAILED)
        if history.runs:
            attempted += 1
            retried += len(history.runs) > 1
        failures = history.failures_before_last_success()
        if failures:
            flaky.append(FlakyTask(task_id, task.title, failures, len(finished)))
    flaky.sort(key=lambda task: -task.failed_attempts)
    return Reliability(attempts, failed, attempted, retried, flaky[:FLAKIEST_LIMIT])


def _coverage(roadmap: Roadmap, facts: _Facts) -> EvidenceCoverage:
    with_checks = [task_id for task_id in facts.tasks if roadmap.tasks[task_id].checks]
    uncovered = [
        task_id
        for task_id in with_checks
        if not evidence_passes([row for row in facts.evidence.get(task_id, []) if row["phase"] in CHECK_PHASES])
    ]
    return EvidenceCoverage(len(with_checks), uncovered)


def _workload(facts: _Facts) -> Workload:
    held: dict[str, list[str]] = defaultdict(list)
    for task_id in facts.tasks:
        if task_id in facts.assignments:
            held[facts.assignments[task_id]["assignee"]].append(task_id)
    loads = []
    for person in sorted(held):
        tasks = [facts.tasks[task_id] for task_id in held[person]]
        loads.append(
            AssigneeLoad(
                assignee=person,
                role=facts.assignments[held[person][0]]["role"],
                task_ids=held[person],
                assigned_hours=sum(task.estimate_hours for task in tasks),
                done_hours=sum(task.estimate_hours for task in tasks if task.state.is_done),
            )
        )
    unassigned = [task_id for task_id in facts.tasks if task_id not in facts.assignments]
    return Workload(
        assignees=loads,
        unassigned_task_ids=unassigned,
        unassigned_hours=sum(facts.tasks[task_id].estimate_hours for task_id in unassigned),
    )


def _gantt(
    calendar: ProjectCalendar,
    roadmap: Roadmap,
    graph: nx.DiGraph,
    facts: _Facts,
    done_day: Mapping[str, int],
    remaining_path: set[str],
) -> list[GanttRow]:
    from luckyctl.graph import critical_path

    plan = _as_soon_as_possible(roadmap, graph, 1, [epic.id for epic in roadmap.epics])
    critical = set(critical_path(graph)[0])
    rows = []
    for task_id, task in facts.tasks.items():
        assignment = facts.assignments.get(task_id)
        if assignment and assignment["planned_start_day"] is not None and assignment["planned_end_day"] is not None:
            planned = DaySpan.of(calendar, assignment["planned_start_day"], assignment["planned_end_day"])
            source = PlanSource.ASSIGNMENT
        else:
            planned = DaySpan.of(calendar, *day_span(1, *plan[task_id]))
            source = PlanSource.ROADMAP
        history = facts.histories[task_id]
        end = done_day.get(task_id)
        if end is None and task.state is not TaskState.RUNNING:
            end = _day(calendar, history.last_end)
        rows.append(
            GanttRow(
                task_id=task_id,
                title=task.title,
                epic_id=roadmap.epic_of(task_id).id,
                story_id=roadmap.story_of(task_id).id,
                owner=task.owner,
                assignee=task.assignee,
                state=task.state,
                planned=planned,
                planned_source=source,
                actual=DaySpan.of(calendar, _day(calendar, history.first_start), end),
                on_critical_path=task_id in critical,
                on_remaining_critical_path=task_id in remaining_path,
            )
        )
    return rows
