"""How a run reads: JSON lines, plain lines, the live view, the summary and the plan."""

from __future__ import annotations

import io
import json
from pathlib import Path

from engine_roadmaps import Project, one_story, sh, task
from rich.console import Console

from luckyctl.engine import ExecutionPlan, RunRequest, RunResult
from luckyctl.engine.events import Cancelling, Event, StepRetrying, TaskHeld
from luckyctl.model import Strategy
from luckyctl.report.progress import (
    JsonLinesSink,
    LiveSink,
    PlainSink,
    event_line,
    render_plan,
    render_summary,
)


def _console(*, terminal: bool) -> tuple[Console, io.StringIO]:
    buffer = io.StringIO()
    return Console(file=buffer, force_terminal=terminal, width=120, color_system=None), buffer


def _recorded_run(tmp_path: Path) -> tuple[list[Event], RunResult, ExecutionPlan]:
    project = Project(
        tmp_path, one_story(task("A"), task("B", "A", steps=[sh("echo boom >&2; exit 4")]), task("C", "B"), task("D"))
    )
    runner, sink = project.runner()
    result = runner.execute(RunRequest("P", strategy=Strategy.AGILE, wave_mode=True))
    return sink.events, result, runner.plan_run(RunRequest("P", wave_mode=True))


def test_every_event_has_a_json_line_and_a_plain_line(tmp_path: Path) -> None:
    events, _, _ = _recorded_run(tmp_path)
    extra = [
        TaskHeld(task_id="X", holder="running in run r (pid 1 on h)"),
        StepRetrying(task_id="X", phase="step", index=0, label="run", attempt=1, delay_s=0.7),
        Cancelling(reason="interrupted", grace_s=5),
    ]
    stream = io.StringIO()
    json_sink = JsonLinesSink(stream)
    for event in [*events, *extra]:
        json_sink.emit(event)
    documents = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [document["event"] for document in documents][:2] == ["run_started", "wave_started"]
    assert documents[len(events) - 1]["event"] == "run_finished" and documents[len(events) - 1]["exit_code"] == 1

    console, buffer = _console(terminal=False)
    plain = PlainSink(console)
    for event in [*events, *extra]:
        plain.emit(event)
    text = buffer.getvalue()
    assert "wave 1: A, D" in text
    assert "failed B" in text and "exit code 4, expected 0: boom" in text
    assert "blocked C: depends on B, which failed" in text
    assert "X step 1 (run): retry in 0.7s" in text and "X waits: running in run r" in text
    assert "stopping (interrupted): waiting up to 5s" in text
    assert all(event_line(event) is not None for event in extra)


def test_the_live_view_shows_running_tasks_and_last_problems(tmp_path: Path) -> None:
    events, _, _ = _recorded_run(tmp_path)
    console, buffer = _console(terminal=True)
    live = LiveSink(console)
    with live:
        for event in events:
            live.emit(event)
        rendered = live._render()
        console.print(rendered)
    text = buffer.getvalue()
    assert "failed B" in text  # finished tasks leave a line above the view
    assert "last problems:" in text
    assert "4/4" in text  # the overall bar counts settled tasks


def test_the_summary_and_the_plan_render_for_people(tmp_path: Path) -> None:
    _, result, plan = _recorded_run(tmp_path)
    console, buffer = _console(terminal=False)
    render_summary(console, result)
    render_plan(console, plan)
    text = buffer.getvalue()
    assert "succeeded 2, failed 1, blocked 1" in text
    assert "B     ✗ failed   step 1 (run): exit code 4, expected 0: boom" in text
    assert "systematic plan for P: 4 task(s), 3 wave(s)" in text
    assert "3  2     B     run     was failed (step 1 (run): exit code 4" in text
    assert "run 2, skip 2" in text
