"""``luckyctl roadmap check``: load and lint the roadmap under the chosen plan."""

from __future__ import annotations

import typer

from luckyctl.cli import context


def register(app: typer.Typer) -> None:
    """Attach this module's commands to ``app``."""
    app.command("check")(check_command)


def check_command(
    ctx: typer.Context,
    as_json: bool = typer.Option(False, "--json", help="Print the report as one JSON document on stdout."),
) -> None:
    """Load and lint the roadmap and the plan (global --roadmap and --plan).

    Checks the schema, unique ids, references (depends_on, mitigated_by,
    satisfied_by, kpis, owner roles), dependency cycles and ${variables}
    the plan cannot resolve. Prints the counts and "no problems", or each
    problem as "path:line: message" on stderr and exits 2. Warnings (for
    example a task with nothing to run) do not change the exit code.
    """
    from luckyctl.loader import check_paths

    app_ctx = context.get(ctx)
    report = check_paths(app_ctx.roadmap_path, app_ctx.plan_ref)
    if as_json:
        app_ctx.print_json(report.as_dict())
    else:
        for problem in report.problems:
            if problem.is_error or not app_ctx.quiet:
                typer.echo(str(problem), err=True)
        if report.counts is not None:
            typer.echo(str(report.counts))
        typer.echo(report.verdict())
    if not report.ok:
        raise typer.Exit(2)
