"""The progress of ``task execute`` and ``task plan`` as people and programs read it.

Three event sinks for one event stream: JSON lines (``--json``), one plain
line per event (a pipe, a CI log), and a rich live view on a terminal
(overall bar, the tasks running now, the last failures) that also leaves one
line per finished task above it. Plus the end-of-run summary and the plan.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter, deque
from typing import IO, TYPE_CHECKING, Self

from rich.console import Console, Group, RenderableType
from rich.live import Live
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table
from rich.text import Text

from luckyctl.durations import format_seconds
from luckyctl.engine.events import (
    Cancelling,
    Event,
    RunStarted,
    StepFinished,
    StepRetrying,
    StoryGate,
    TaskFinished,
    TaskHeld,
    TaskStarted,
    WaveStarted,
)
from luckyctl.model import StepStatus, TaskState
from luckyctl.report.terminal import (
    STATE_LOOK,
    emit,
    emit_table,
    state_counts,
    state_label,
)

if TYPE_CHECKING:
    from luckyctl.engine.planner import ExecutionPlan
    from luckyctl.engine.runner import RunResult

LAST_PROBLEMS = 5
_ACTION_STYLE = {"run": "bold", "skip": "green", "block": "magenta", "wait": "yellow", "held": "cyan", "adopt": "cyan"}


class JsonLinesSink:
    """One JSON document per line per event, flushed at once (``--json``)."""

    def __init__(self, stream: IO[str]) -> None:
        self._stream = stream

    def emit(self, event: Event) -> None:
        self._stream.write(json.dumps(event.to_dict(), ensure_ascii=False, default=str) + "\n")
        self._stream.flush()


def event_line(event: Event) -> Text | None:
    """The one line an event reads as, or None for events only the live view shows."""
    if isinstance(event, RunStarted):
        mode = ", wave mode" if event.wave_mode else ""
        return Text(
            f"run {event.run_id}: {len(event.tasks)} task(s) of {event.selector} on plan {event.plan}, "
            f"{event.strategy} (parallel {event.parallel}){mode}"
        )
    if isinstance(event, WaveStarted):
        return Text(f"wave {event.index}: {', '.join(event.tasks)}", style="bold")
    if isinstance(event, TaskStarted):
        return Text(f"{STATE_LOOK[TaskState.RUNNING][0]} {event.task_id} started (attempt {event.attempt}): {event.reason}")
    if isinstance(event, TaskHeld):
        return Text(f"… {event.task_id} waits: {event.holder}", style="cyan")
    if isinstance(event, StepFinished):
        style = "" if event.status is StepStatus.PASSED else "red" if event.status is not StepStatus.WAITING else "yellow"
        return Text(
            f"  {event.task_id} {event.phase} {event.index + 1} ({event.label}) {event.status.value}"
            f" [{format_seconds(event.duration_s)}]: {event.summary}",
            style=style,
        )
    if isinstance(event, StepRetrying):
        return Text(f"  {event.task_id} {event.phase} {event.index + 1} ({event.label}): retry in {event.delay_s:.1f}s")
    if isinstance(event, TaskFinished):
        line = state_label(event.state)
        line.append(f" {event.task_id}")
        if event.ran:
            line.append(f" [{format_seconds(event.duration_s)}]")
        if event.reason:
            line.append(f": {event.reason}")
        return line
    if isinstance(event, StoryGate):
        return Text(f"story {event.story_id}: gate {'passed' if event.passed else 'not passed'}", style="dim")
    if isinstance(event, Cancelling):
        return Text(f"stopping ({event.reason}): waiting up to {event.grace_s:g}s for running tasks", style="bold red")
    return None


class PlainSink:
    """One line per event on a console (stderr): for pipes and CI logs."""

    def __init__(self, console: Console) -> None:
        self._console = console

    def emit(self, event: Event) -> None:
        line = event_line(event)
        if line is not None:
            emit(self._console, line)


class LiveSink:
    """A live view on a terminal: the overall bar, the tasks running now, the last problems.

    Finished tasks also leave their line above the view, so the scrollback
    tells the whole story once the view is gone. Use as a context manager.
    """

    def __init__(self, console: Console) -> None:
        self._console = console
        self._lock = threading.Lock()
        self._running: dict[str, tuple[str, float, str]] = {}  # id → (title, started, last step)
        self._problems: deque[Text] = deque(maxlen=LAST_PROBLEMS)
        self._bar = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
        )
        self._overall = self._bar.add_task("tasks", total=None)
        self._live = Live(console=console, refresh_per_second=8, transient=True, get_renderable=self._render)

    def __enter__(self) -> Self:
        self._live.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._live.stop()

    def emit(self, event: Event) -> None:
        with self._lock:
            if isinstance(event, RunStarted):
                self._bar.update(self._overall, total=len(event.tasks), description=f"{event.strategy} {event.run_id}")
            elif isinstance(event, TaskStarted):
                self._running[event.task_id] = (event.title, time.monotonic(), "starting")
            elif isinstance(event, StepFinished) and event.task_id in self._running:
                title, started, _ = self._running[event.task_id]
                self._running[event.task_id] = (title, started, f"{event.phase} {event.index + 1} {event.status.value}")
            elif isinstance(event, TaskFinished):
                self._running.pop(event.task_id, None)
                self._bar.advance(self._overall)
                if not event.state.is_done:
                    self._problems.append(event_line(event) or Text(event.task_id))
        if isinstance(event, TaskFinished | WaveStarted | Cancelling | TaskHeld | StoryGate):
            line = event_line(event)
            if line is not None:
                self._console.print(line, soft_wrap=True)

    def _render(self) -> Group:
        with self._lock:
            running = Table(box=None, padding=(0, 2, 0, 0), show_header=False)
            now = time.monotonic()
            for task_id, (title, started, step) in sorted(self._running.items()):
                running.add_row(
                    Text(f"{STATE_LOOK[TaskState.RUNNING][0]} {task_id}", style="bold blue"),
                    Text(title, overflow="ellipsis", no_wrap=True),
                    Text(step, style="dim"),
                    Text(format_seconds(now - started)),
                )
            parts: list[RenderableType] = [self._bar]
            if self._running:
                parts.append(running)
            if self._problems:
                parts.append(Text("last problems:", style="bold red"))
                parts.extend(self._problems)
        return Group(*parts)


def render_summary(console: Console, result: RunResult) -> None:
    """The end of a run: counts per state, duration, and every task that did not end well."""
    line = Text(f"run {result.run_id} ({result.strategy}) finished in {format_seconds(result.duration_s)}: ")
    line.append_text(state_counts(Counter(outcome.state for outcome in result.outcomes.values())))
    if result.not_started:
        line.append(f", not started {len(result.not_started)}", style="dim")
    if result.interrupted:
        line.append(" — interrupted", style="bold red")
    emit(console, line)
    problems = result.problems()
    if problems:
        rows = []
        for task_id, reason in problems.items():
            outcome = result.outcomes.get(task_id)
            label = state_label(outcome.state) if outcome else Text("not started", style="dim")
            rows.append([Text(task_id), label, Text(reason)])
        emit_table(console, ["task", "state", "reason"], rows)


def render_plan(console: Console, plan: ExecutionPlan) -> None:
    """``task plan``: the order (or the waves) and what each task would do, and why."""
    header = f"{plan.strategy} plan for {plan.selector}: {len(plan.tasks)} task(s)"
    if plan.strategy == "agile":
        header += f", up to {plan.parallel} at once"
    if plan.wave_mode and plan.waves is not None:
        header += f", {len(plan.waves)} wave(s)"
    emit(console, Text(header, style="bold"))
    if plan.pulled_in:
        emit(console, Text(f"--with-deps adds: {', '.join(plan.pulled_in)}", style="dim"))
    rows: list[list[Text | str]] = []
    for task in plan.tasks:
        cells: list[Text | str] = [str(task.position)]
        if plan.wave_mode:
            cells.append(str(task.wave))
        cells += [task.task_id, Text(task.action.value, style=_ACTION_STYLE[task.action.value]), task.reason]
        rows.append(cells)
    headers = ["#", *(["wave"] if plan.wave_mode else []), "task", "action", "why"]
    emit_table(console, headers, rows, indent=0)
    counts = ", ".join(f"{action} {count}" for action, count in plan.counts().items())
    emit(console, Text(counts or "nothing to do", style="dim"))
