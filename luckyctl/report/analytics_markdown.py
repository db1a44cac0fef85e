"""The analytics as Markdown (for a wiki page or ``GITHUB_STEP_SUMMARY``), and the plain phrasing the reports share."""

from __future__ import annotations

import datetime as dt
import html

from luckyctl.analytics import Analytics, DaySpan
from luckyctl.durations import format_hours
from luckyctl.risks import RiskReport

EMPTY = "-"


def on_day(day: int | None, date: dt.date | None) -> str:
    """``day 9 (2026-12-17)``, or ``-``."""
    if day is None or date is None:
        return EMPTY
    return f"day {day} ({date.isoformat()})"


def percent(rate: float | None) -> str:
    """A 0–1 rate as ``42%``, or ``-`` when there is nothing to divide."""
    return EMPTY if rate is None else f"{100 * rate:.0f}%"


def variance_words(days: int | None) -> str:
    """``+2 days late``, ``3 days ahead``, ``on time``."""
    if days is None:
        return EMPTY
    if days == 0:
        return "on time"
    unit = "day" if abs(days) == 1 else "days"
    return f"+{days} {unit} late" if days > 0 else f"{-days} {unit} ahead"


def span_text(span: DaySpan | None) -> str:
    """``4-6``; an open end as ``4-…``."""
    if span is None or span.start_day is None:
        return EMPTY
    end = span.end_day if span.end_day is not None else "…"
    return f"{span.start_day}-{end}"


def hours(value: float) -> str:
    return format_hours(round(value, 2))


def _cell(text: str) -> str:
    """Roadmap text made safe for a table cell: no HTML, no column breaks, one line."""
    return html.escape(" ".join(text.split())).replace("|", "\\|")


def _table(headers: list[str], rows: list[list[str]]) -> list[str]:
    if not rows:
        return ["_none_", ""]
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return [*lines, ""]


def render_markdown(analytics: Analytics, risks: RiskReport) -> str:
    """The whole report: key figures, epics, critical path, risks, burndown, reliability, workload."""
    progress = analytics.progress
    schedule = analytics.schedule
    eta = analytics.eta
    velocity = analytics.velocity
    reliability = analytics.reliability
    coverage = analytics.evidence_coverage
    lines = [
        f"# {_cell(analytics.project_id)} — {_cell(analytics.project_name)}",
        "",
        f"As of {analytics.as_of.strftime('%Y-%m-%d %H:%M')} UTC, business day {analytics.today_day}.",
        "",
        *_table(
            ["figure", "value"],
            [
                [
                    "progress",
                    f"{progress.done}/{progress.tasks} tasks, {progress.percent_done:.1f}% of {hours(progress.estimate_hours)}",
                ],
                ["planned end", on_day(schedule.planned_end_day, schedule.planned_end_date)],
                ["projected end", on_day(schedule.projected_end_day, schedule.projected_end_date)],
                ["schedule variance", variance_words(schedule.variance_days)],
                [
                    "remaining critical path",
                    f"{hours(analytics.critical_path.hours)}, {analytics.critical_path.business_days} business days",
                ],
                ["ETA", on_day(eta.day, eta.date) if eta else EMPTY],
                ["velocity", f"{velocity.hours_per_day:.1f}h per business day over {velocity.days_elapsed} days"],
                ["failure rate", f"{percent(reliability.failure_rate)} of {reliability.attempts} attempts"],
                ["retry rate", f"{percent(reliability.retry_rate)} of {reliability.tasks_attempted} tasks"],
                ["evidence coverage", f"{coverage.covered}/{coverage.tasks_with_checks} ({percent(coverage.ratio)})"],
            ],
        ),
        "## Epics",
        "",
        *_table(
            ["epic", "title", "done", "%", "planned", "actual", "projected", "variance"],
            [
                [
                    _cell(epic.id),
                    _cell(epic.title),
                    f"{epic.progress.done}/{epic.progress.tasks}",
                    f"{epic.progress.percent_done:.0f}%",
                    span_text(epic.planned),
                    span_text(epic.actual),
                    str(epic.projected_end_day) if epic.projected_end_day is not None else EMPTY,
                    variance_words(epic.variance_days),
                ]
                for epic in analytics.epics
            ],
        ),
        "## Remaining critical path",
        "",
        " → ".join(f"`{_cell(task_id)}`" for task_id in analytics.critical_path.task_ids)
        or "_none: everything is done_",
        "",
        "## Risks",
        "",
        *_table(
            ["risk", "title", "inherent", "mitigated", "residual", "status", "owner", "next task"],
            [
                [
                    _cell(risk.id),
                    _cell(risk.title),
                    f"{risk.inherent_score} {risk.inherent_level.value}",
                    percent(risk.progress),
                    f"{risk.residual_score:g} {risk.residual_level.value if risk.residual_level else 'none'}",
                    risk.status.value,
                    _cell(risk.owner or EMPTY),
                    _cell(risk.next_task.task_id) if risk.next_task else EMPTY,
                ]
                for risk in risks.risks
            ],
        ),
        "## Burndown",
        "",
        *_table(
            ["day", "date", "planned left", "actual left"],
            [
                [
                    str(point.day),
                    point.date.isoformat(),
                    hours(point.planned_remaining_hours),
                    hours(point.actual_remaining_hours) if point.actual_remaining_hours is not None else EMPTY,
                ]
                for point in analytics.burndown
            ],
        ),
        "## Flakiest tasks",
        "",
        *_table(
            ["task", "failed attempts", "attempts", "title"],
            [
                [_cell(task.task_id), str(task.failed_attempts), str(task.attempts), _cell(task.title)]
                for task in reliability.flakiest
            ],
        ),
        "## Blocked",
        "",
        *_table(
            ["task", "reason", "title"],
            [[_cell(task.task_id), _cell(task.reason or EMPTY), _cell(task.title)] for task in analytics.blocked],
        ),
        "## Workload",
        "",
        *_table(
            ["assignee", "role", "tasks", "assigned", "done"],
            [
                [
                    _cell(load.assignee),
                    _cell(load.role),
                    str(len(load.task_ids)),
                    hours(load.assigned_hours),
                    hours(load.done_hours),
                ]
                for load in analytics.workload.assignees
            ],
        ),
    ]
    return "\n".join(lines).rstrip() + "\n"
