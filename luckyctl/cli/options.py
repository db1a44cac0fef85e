"""Arguments and options that several commands share, declared once."""

from __future__ import annotations

from typing import Annotated

import typer

from luckyctl.enums import Strategy

Selector = Annotated[str, typer.Argument(metavar="SEL", help="Project, epic, story or task id, or a comma-separated list.")]
StrategyOption = Annotated[Strategy | None, typer.Option("--strategy", help="Default: the plan's strategy.default.")]
WaveMode = Annotated[bool, typer.Option("--wave-mode", help="Run in topological waves with a barrier between them.")]
Parallel = Annotated[int | None, typer.Option("--parallel", min=1, help="Tasks at once (agile). Default: the plan's.")]
Force = Annotated[bool, typer.Option("--force", help="Run up-to-date tasks again.")]
WithDeps = Annotated[bool, typer.Option("--with-deps", help="Pull unfinished dependencies outside SEL in.")]
Assignee = Annotated[str | None, typer.Option("--assignee", help="Only the tasks assigned to NAME.")]
