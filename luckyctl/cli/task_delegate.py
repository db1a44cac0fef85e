"""``luckyctl task delegate``: assign tasks to the people of their owner role, with planned days."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import typer
from rich.text import Text

from luckyctl.cli import context

if TYPE_CHECKING:
    from rich.console import Console

    from luckyctl.delegation import Delegation


def render_delegation(console: Console, result: Delegation) -> None:
    """One line per assignment, then each person's load."""
    from luckyctl.durations import format_hours
    from luckyctl.report.terminal import EMPTY, emit, emit_table

    waves = f" in {result.waves} waves" if result.wave_mode else ""
    emit(
        console,
        Text(f"{len(result.assignments)} tasks assigned{waves}, from business day {result.start_day}", style="bold"),
    )
    emit_table(
        console,
        ["task", "wave", "role", "assignee", "was", "estimate", "days", "dates", "title"],
        [
            [
                Text(item.task_id, style="bold"),
                str(item.wave) if item.wave is not None else EMPTY,
                item.role,
                Text(item.assignee, style="cyan"),
                item.previous_assignee or EMPTY,
                format_hours(item.estimate_hours),
                f"{item.planned_start_day}-{item.planned_end_day}",
                f"{item.planned_start_date}..{item.planned_end_date}",
                item.title,
            ]
            for item in result.assignments
        ],
    )
    console.out("")
    emit(console, Text("load", style="bold underline"))
    emit_table(
        console,
        ["assignee", "role", "tasks", "hours", "other active", "total"],
        [
            [
                person.assignee,
                person.role,
                str(len(person.task_ids)),
                format_hours(person.hours),
                format_hours(person.existing_hours),
                format_hours(person.total_hours),
            ]
            for person in result.people
        ],
    )


def register(app: typer.Typer) -> None:
    """Attach ``delegate`` to ``app``."""

    @app.command("delegate")
    def delegate(
        ctx: typer.Context,
        selector: str = typer.Argument(
            ..., metavar="SEL", help="Project, epic, story or task id, or a comma-separated list."
        ),
        to: str | None = typer.Option(None, "--to", metavar="NAME", help="Give every selected task to this person."),
        wave_mode: bool = typer.Option(
            False, "--wave-mode", help="Assign wave by wave: nobody holds two tasks of a wave while a teammate is free."
        ),
        as_json: bool = typer.Option(False, "--json", help="Print one JSON document instead of the table."),
    ) -> None:
        """Assign tasks to people of their owner role (plan team), balancing estimated hours, and plan their days."""
        from luckyctl.calendar import ProjectCalendar
        from luckyctl.delegation import plan_delegation
        from luckyctl.evidence import current_operator
        from luckyctl.selectors import resolve_selector

        app_ctx = context.get(ctx)
        roadmap, plan = app_ctx.roadmap, app_ctx.plan
        task_ids = resolve_selector(roadmap, selector)
        store = app_ctx.existing_store()  # created only once there is something to write
        records = store.tasks() if store else {}
        selected = set(task_ids)
        # Work still to do outside the selection occupies people; what is done no longer does.
        existing = [
            row
            for row in (store.assignments(active_only=True) if store else [])
            if row["task_id"] in selected or not (row["task_id"] in records and records[row["task_id"]].state.is_done)
        ]
        start_day = ProjectCalendar.of(roadmap.project).work_start_day(dt.datetime.now(dt.UTC))
        result = plan_delegation(
            roadmap, plan, task_ids, to=to, wave_mode=wave_mode, existing=existing, start_day=start_day
        )
        store = store or app_ctx.store()
        operator = current_operator()["user"]
        store.assign(result.rows(), assigned_by=operator)
        store.audit("delegate", actor=operator, selector=selector, to=to, wave_mode=wave_mode, tasks=len(task_ids))
        if as_json:
            app_ctx.print_json({"plan": plan.name, "selector": selector, **result.to_json()})
            return
        render_delegation(app_ctx.out, result)
        app_ctx.info(f"assigned {len(task_ids)} task(s); `luckyctl task status` shows them")
