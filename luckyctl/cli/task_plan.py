"""``luckyctl task plan SEL``: the dry run of ``task execute`` — order, waves, and why."""

from __future__ import annotations

from typing import Annotated

import typer

from luckyctl.cli import context
from luckyctl.cli.task_execute import IN_MEMORY, build_runner
from luckyctl.cli.task_status import existing_store
from luckyctl.model import Strategy


def register(app: typer.Typer) -> None:
    """Attach ``plan`` to ``app``."""

    @app.command("plan")
    def plan(
        ctx: typer.Context,
        selector: Annotated[str, typer.Argument(metavar="SEL", help="Project, epic, story or task id, or a comma-separated list.")],
        strategy: Annotated[Strategy | None, typer.Option("--strategy", help="Default: the plan's strategy.default.")] = None,
        wave_mode: Annotated[bool, typer.Option("--wave-mode", help="Show the topological waves execute would run.")] = False,
        parallel: Annotated[int | None, typer.Option("--parallel", min=1, help="Tasks at once (agile). Default: the plan's.")] = None,
        force: Annotated[bool, typer.Option("--force", help="As execute --force: up-to-date tasks would run.")] = False,
        with_deps: Annotated[bool, typer.Option("--with-deps", help="Pull unfinished dependencies outside SEL in.")] = False,
        assignee: Annotated[str | None, typer.Option("--assignee", help="Only the tasks assigned to NAME.")] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
    ) -> None:
        """Show the order (or waves) execute would use, and for each task whether it runs, skips, blocks or waits, and why."""
        from luckyctl.engine import RunRequest
        from luckyctl.report.progress import render_plan
        from luckyctl.store import Store

        app_ctx = context.get(ctx)
        store = existing_store(app_ctx) or Store.open(IN_MEMORY)
        runner = build_runner(app_ctx, store=store)
        request = RunRequest(
            selector=selector,
            strategy=strategy,
            wave_mode=wave_mode,
            parallel=parallel,
            force=force,
            with_deps=with_deps,
            assignee=assignee,
        )
        result = runner.plan_run(request)
        if as_json:
            app_ctx.print_json(result.to_dict())
            return
        render_plan(app_ctx.out, result)
