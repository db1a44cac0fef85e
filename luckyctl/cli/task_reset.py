"""``luckyctl task reset ID|SEL``: forget tasks' state so they run again (history and evidence stay)."""

from __future__ import annotations

from typing import Annotated

import typer

from luckyctl.cli import context


def register(app: typer.Typer) -> None:
    """Attach ``reset`` to ``app``."""

    @app.command("reset")
    def reset(
        ctx: typer.Context,
        selector: Annotated[str, typer.Argument(metavar="ID|SEL", help="A task id, or any selector.")],
        as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
    ) -> None:
        """Forget the state of the selected tasks; refuses tasks a live run holds."""
        from luckyctl.engine.people import reset as forget
        from luckyctl.evidence.recorder import current_operator
        from luckyctl.selectors import resolve_selector

        app_ctx = context.get(ctx)
        task_ids = resolve_selector(app_ctx.roadmap, selector)
        operator = current_operator()
        result = forget(store=app_ctx.store(), task_ids=task_ids, actor=f"{operator['user']}@{operator['host']}")
        if as_json:
            app_ctx.print_json({"reset": result.task_ids, "message": result.message})
        else:
            app_ctx.info(result.message)
