"""``luckyctl analyze --risks``: the risk matrix, mitigation progress and a CI gate on residual risk."""

from __future__ import annotations

import typer

from luckyctl.cli import context
from luckyctl.cli.task_analytics import AS_OF_OPTION, parse_as_of
from luckyctl.errors import InputError
from luckyctl.model import Level

EXIT_RISK_REMAINS = 1


def analyze(
    ctx: typer.Context,
    risks: bool = typer.Option(False, "--risks", help="Analyse the risk matrix (required)."),
    mitigation_status: bool = typer.Option(
        False, "--mitigation-status", help="List each risk's mitigating tasks with their state and planned day."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON document (fields: docs/analytics.md)."),
    fail_on: Level | None = typer.Option(
        None, "--fail-on", metavar="low|medium|high", help="Exit 1 while a risk's residual level is LEVEL or higher."
    ),
    as_of: str | None = AS_OF_OPTION,
) -> None:
    """Score the risks: inherent and residual, mitigation progress, status and the next mitigating task."""
    if not risks:
        raise InputError("nothing to analyze: add --risks (the risk matrix and its mitigation)")
    from luckyctl.risks import assess_risks

    app_ctx = context.get(ctx)
    roadmap = app_ctx.roadmap
    report = assess_risks(roadmap, app_ctx.existing_store(), now=parse_as_of(as_of))
    if as_json:
        app_ctx.print_json({"plan": app_ctx.plan.name, **report.to_json()})
    else:
        from luckyctl.report.risks_terminal import render_risks

        render_risks(app_ctx.out, report, mitigation_status=mitigation_status)
    if fail_on is not None:
        remaining = report.at_or_above(fail_on)
        if remaining:
            ids = ", ".join(f"{risk.id} {risk.residual_level.value}" for risk in remaining if risk.residual_level)
            typer.echo(f"luckyctl: {len(remaining)} risk(s) at residual {fail_on.value} or above: {ids}", err=True)
            raise typer.Exit(EXIT_RISK_REMAINS)
