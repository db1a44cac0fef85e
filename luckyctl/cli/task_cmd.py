"""``luckyctl task …``: status, execution, sign-off and the gate of roadmap tasks."""

from __future__ import annotations

import typer

from luckyctl.cli import (
    task_analytics,
    task_delegate,
    task_execute,
    task_plan,
    task_reset,
    task_show,
    task_signoff,
    task_status,
    task_validate,
)

app = typer.Typer(help="Run, track and prove the roadmap's tasks.", no_args_is_help=True)
for module in (
    task_status,
    task_show,
    task_plan,
    task_execute,
    task_signoff,
    task_reset,
    task_analytics,
    task_delegate,
    task_validate,
):
    module.register(app)
