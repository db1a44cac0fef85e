"""``luckyctl roadmap …``: load, lint and draw the roadmap."""

from __future__ import annotations

import typer

from luckyctl.cli import roadmap_check, roadmap_graph

app = typer.Typer(help="Load, lint and draw the roadmap.", no_args_is_help=True)
roadmap_check.register(app)
roadmap_graph.register(app)
