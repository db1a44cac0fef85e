"""``luckyctl task plan SEL``: the dry run of ``task execute`` — order, waves, and why."""

from __future__ import annotations

from typing import Annotated

import typer

from luckyctl.cli import context, options
from luckyctl.cli.task_execute import IN_MEMORY, build_runner


def register(app: typer.Typer) -> None:
    """Attach ``plan`` to ``app``."""

    @app.command("plan")
    def plan(
        ctx: typer.Context,
        selector: options.Selector,
        strategy: options.StrategyOption = None,
        wave_mode: options.WaveMode = False,
        parallel: options.Parallel = None,
        force: options.Force = False,
        with_deps: options.WithDeps = False,
        assignee: options.Assignee = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
    ) -> None:
        """Show the order (or waves) execute would use, and for each task whether it runs, skips, blocks or waits, and why."""
        from luckyctl.engine import RunRequest
        from luckyctl.report.progress import render_plan
        from luckyctl.store import Store

        app_ctx = context.get(ctx)
        store = app_ctx.existing_store() or Store.open(IN_MEMORY)
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
