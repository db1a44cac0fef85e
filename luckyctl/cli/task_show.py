"""``luckyctl task show``: one task's spec, dependencies, history and evidence."""

from __future__ import annotations

import datetime as dt

import typer

from luckyctl.cli import context


def register(app: typer.Typer) -> None:
    """Attach ``show`` to ``app``."""

    @app.command("show")
    def show(
        ctx: typer.Context,
        task_id: str = typer.Argument(..., metavar="ID", help="The task id, e.g. FE-INT.2.3."),
        as_json: bool = typer.Option(False, "--json", help="Print one JSON document instead of the sections."),
    ) -> None:
        """Show one task: spec, steps and checks, dependencies, status history, evidence, assignments."""
        from luckyctl.report.terminal import render_task_detail
        from luckyctl.task_detail import read_task_detail

        app_ctx = context.get(ctx)
        detail = read_task_detail(app_ctx.roadmap, app_ctx.existing_store(), task_id)
        if as_json:
            app_ctx.print_json(detail.to_json())
            return
        render_task_detail(app_ctx.out, detail, now=dt.datetime.now(dt.UTC))
