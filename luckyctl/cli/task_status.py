"""``luckyctl task status``: the state of every task, epic → story → task."""

from __future__ import annotations

import datetime as dt
import sys
import typer

from luckyctl.cli import context


def register(app: typer.Typer) -> None:
    """Attach ``status`` to ``app``."""

    @app.command("status")
    def status(
        ctx: typer.Context,
        selector: str | None = typer.Argument(
            None,
            metavar="SEL",
            help="Project, epic, story or task id, or a comma-separated list; shows its tasks. Default: everything.",
        ),
        all_epics: bool = typer.Option(False, "--all-epics", help="Show every task, not only one line per story."),
        as_json: bool = typer.Option(False, "--json", help="Print one JSON document instead of the tree."),
    ) -> None:
        """Show each task's state, owner, assignee, attempts and last evidence, with totals."""
        from luckyctl.selectors import resolve_selector
        from luckyctl.status import read_status

        app_ctx = context.get(ctx)
        view = app_ctx.status_view  # no models and no YAML when the roadmap and plan are unchanged
        task_ids = resolve_selector(view.outline, selector) if selector is not None else None
        report = read_status(view.outline, app_ctx.existing_store(), plan=view.plan_name, task_ids=task_ids)
        if as_json:
            app_ctx.print_json(report.to_json())
            return
        expand = all_epics or selector is not None
        now = dt.datetime.now(dt.UTC)
        if app_ctx.surely_plain_stdout():  # piped: plain lines, without importing rich's renderers
            from luckyctl.report.status_lines import plain_status_lines

            sys.stdout.write("".join(line + "\n" for line in plain_status_lines(report, expand=expand, now=now)))
            return
        from luckyctl.report.terminal import render_status

        render_status(app_ctx.out, report, expand=expand, now=now)
