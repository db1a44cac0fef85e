"""``luckyctl task …``: status, execution, sign-off and the gate of roadmap tasks."""

from __future__ import annotations

import typer

from luckyctl.cli.lazy import REGISTER, lazy_group

# Each command's module, in the order help lists them; imported when its command is used.
COMMANDS = {
    "status": ("luckyctl.cli.task_status", REGISTER),
    "show": ("luckyctl.cli.task_show", REGISTER),
    "plan": ("luckyctl.cli.task_plan", REGISTER),
    "execute": ("luckyctl.cli.task_execute", REGISTER),
    "signoff": ("luckyctl.cli.task_signoff", REGISTER),
    "approve": ("luckyctl.cli.task_signoff", REGISTER),
    "reset": ("luckyctl.cli.task_reset", REGISTER),
    "analytics": ("luckyctl.cli.task_analytics", REGISTER),
    "delegate": ("luckyctl.cli.task_delegate", REGISTER),
    "validate": ("luckyctl.cli.task_validate", REGISTER),
}

app = typer.Typer(cls=lazy_group(COMMANDS), help="Run, track and prove the roadmap's tasks.", no_args_is_help=True)
