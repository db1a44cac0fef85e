"""The ``task analytics`` dashboard: key figures, epics, critical path, burndown, reliability, workload.

Rich on a terminal (bars in colour), plain aligned lines otherwise, from the
same ``Analytics`` object the JSON is built from.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console
from rich.text import Text

from luckyctl.analytics import Analytics, EpicAnalytics
from luckyctl.durations import format_hours
from luckyctl.report.analytics_markdown import on_day, percent, span_text, variance_words
from luckyctl.report.terminal import EMPTY, aligned, emit, emit_table, is_plain, state_counts

BAR_WIDTH = 24
DURATION_ROWS = 10


def variance_text(days: int | None) -> Text:
    """``+2 days late`` in red, ``3 days ahead`` or ``on time`` in green."""
    style = "bold red" if days is not None and days > 0 else "green"
    return Text(variance_words(days), style=style if days is not None else "")


def _bar(share: float, plain: bool) -> Text:
    filled = round(max(0.0, min(1.0, share)) * BAR_WIDTH)
    if plain:
        return Text("#" * filled + "." * (BAR_WIDTH - filled))
    return Text.assemble(("━" * filled, "green"), ("━" * (BAR_WIDTH - filled), "grey30"))


def _section(console: Console, title: str) -> None:
    console.out("")
    emit(console, Text(title, style="bold underline"))


def _key_figures(analytics: Analytics) -> list[list[Text]]:
    progress = analytics.progress
    schedule = analytics.schedule
    velocity = analytics.velocity
    reliability = analytics.reliability
    coverage = analytics.evidence_coverage
    left = format_hours(round(progress.estimate_hours - progress.done_hours, 2))
    done = f"{progress.done}/{progress.tasks} tasks done"
    rows: list[tuple[str, Text | str]] = [
        ("progress", f"{done}, {progress.percent_done:.1f}% of {format_hours(progress.estimate_hours)} ({left} left)"),
        ("states", state_counts(progress.states)),
    ]
    if schedule.projected_end_day is not None:
        planned = on_day(schedule.planned_end_day, schedule.planned_end_date)
        projected = on_day(schedule.projected_end_day, schedule.projected_end_date)
        line = Text(f"planned end {planned}, projected {projected}: ")
        rows.append(("schedule", line.append_text(variance_text(schedule.variance_days))))
    if analytics.eta is not None:
        eta, path = analytics.eta, analytics.critical_path
        chain = f"{format_hours(round(path.hours, 2))}, {len(path.task_ids)} tasks"
        rows.append(
            (
                "ETA",
                f"{on_day(eta.day, eta.date)}, {eta.business_days_left} business days left ({chain} on the critical path)",
            )
        )
    pace = f"{velocity.hours_per_day:.1f}h/day over {velocity.days_elapsed} days"
    if velocity.days_to_finish:
        pace += (
            f"; at this pace {velocity.days_to_finish} more days, {on_day(velocity.finish_day, velocity.finish_date)}"
        )
    rows.append(("velocity", pace))
    failed = (
        f"{reliability.failed_attempts} of {reliability.attempts} attempts failed ({percent(reliability.failure_rate)})"
    )
    retried = f"{reliability.tasks_retried} of {reliability.tasks_attempted} tasks retried ({percent(reliability.retry_rate)})"
    rows.append(("failures", f"{failed}; {retried}"))
    checked = f"{coverage.covered} of {coverage.tasks_with_checks} tasks with checks have passing evidence"
    rows.append(
        (
            "evidence",
            f"{checked} ({percent(coverage.ratio)})" if coverage.tasks_with_checks else "no task declares checks",
        )
    )
    return [[Text(name, style="dim"), value if isinstance(value, Text) else Text(value)] for name, value in rows]


def _epic_row(epic: EpicAnalytics, plain: bool) -> list[Text | str]:
    share = epic.progress.percent_done / 100
    return [
        Text(epic.id, style="bold"),
        f"{epic.progress.done}/{epic.progress.tasks}",
        _bar(share, plain),
        f"{epic.progress.percent_done:.0f}%",
        span_text(epic.planned),
        span_text(epic.actual),
        str(epic.projected_end_day) if epic.projected_end_day is not None else EMPTY,
        variance_text(epic.variance_days),
        epic.title,
    ]


def _burndown_rows(analytics: Analytics, plain: bool) -> list[Sequence[Text | str]]:
    total = analytics.progress.estimate_hours or 1.0
    rows: list[Sequence[Text | str]] = []
    for point in analytics.burndown:
        actual = point.actual_remaining_hours
        rows.append(
            [
                str(point.day),
                point.date.isoformat(),
                f"{point.planned_remaining_hours:.1f}",
                f"{actual:.1f}" if actual is not None else EMPTY,
                _bar(actual / total, plain) if actual is not None else Text(""),
                "◀ today" if point.day == analytics.today_day else "",
            ]
        )
    return rows


def render_analytics(console: Console, analytics: Analytics) -> None:
    """The whole dashboard."""
    plain = is_plain(console)
    emit(
        console,
        Text.assemble(
            (analytics.project_id, "bold"),
            f"  {analytics.project_name}  as of {analytics.as_of.strftime('%Y-%m-%d %H:%M')}Z (day {analytics.today_day})",
        ),
    )
    for line in aligned(_key_figures(analytics)):
        emit(console, line, 2)

    _section(console, "epics")
    emit_table(
        console,
        ["epic", "done", "progress", "%", "planned", "actual", "projected", "variance", "title"],
        [_epic_row(epic, plain) for epic in analytics.epics],
    )

    _section(console, "remaining critical path")
    path = analytics.critical_path
    emit(console, Text(" → ".join(path.task_ids) if path.task_ids else "none: everything is done"), 2)

    _section(console, "burndown (estimated hours left at the end of each business day)")
    emit_table(console, ["day", "date", "planned", "actual", "", ""], _burndown_rows(analytics, plain))

    _section(console, "actual vs estimated (highest ratio first)")
    durations = sorted(analytics.durations.tasks, key=lambda task: -(task.ratio or 0.0))[:DURATION_ROWS]
    emit_table(
        console,
        ["task", "estimate", "actual", "ratio", "attempts"],
        [
            [
                task.task_id,
                format_hours(task.estimate_hours),
                f"{task.actual_hours:.2f}h",
                f"{task.ratio:.2f}" if task.ratio is not None else EMPTY,
                str(task.attempts),
            ]
            for task in durations
        ],
    )

    _section(console, "flakiest tasks (failed attempts before success)")
    emit_table(
        console,
        ["task", "failed", "attempts", "title"],
        [
            [task.task_id, str(task.failed_attempts), str(task.attempts), task.title]
            for task in analytics.reliability.flakiest
        ],
    )

    _section(console, "blocked")
    emit_table(
        console,
        ["task", "reason", "title"],
        [[Text(task.task_id, style="magenta"), task.reason or EMPTY, task.title] for task in analytics.blocked],
    )

    _section(console, "workload")
    workload = analytics.workload
    emit_table(
        console,
        ["assignee", "role", "tasks", "assigned", "done", "left"],
        [
            [
                load.assignee,
                load.role,
                str(len(load.task_ids)),
                format_hours(round(load.assigned_hours, 2)),
                format_hours(round(load.done_hours, 2)),
                format_hours(round(load.assigned_hours - load.done_hours, 2)),
            ]
            for load in workload.assignees
        ],
    )
    if workload.unassigned_task_ids:
        emit(
            console,
            Text(
                f"unassigned: {len(workload.unassigned_task_ids)} tasks, {format_hours(round(workload.unassigned_hours, 2))}",
                style="dim",
            ),
            2,
        )
