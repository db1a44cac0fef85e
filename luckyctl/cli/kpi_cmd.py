"""``luckyctl kpi``: the success KPIs scored like Keptn quality gates (exit 0 pass or warning, 1 fail)."""

from __future__ import annotations

import typer

from luckyctl.cli import context


def kpi(
    ctx: typer.Context,
    as_json: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> None:
    """Score the success KPIs from the evidence: pass ≥ 90 %, warning ≥ 75 %, a missed key KPI fails alone."""
    from luckyctl.cli.task_validate import open_for_reading, plan_artifacts, say
    from luckyctl.gate import GateContext, Verdict, evaluate_kpis
    from luckyctl.report.gate_kpis import render_kpis

    app_ctx = context.get(ctx)
    report = evaluate_kpis(
        GateContext(app_ctx.roadmap, app_ctx.plan, open_for_reading(app_ctx), plan_artifacts(app_ctx))
    )
    if as_json:
        app_ctx.print_json(report.to_json())
    else:
        render_kpis(app_ctx.out, report)
    if report.verdict is Verdict.WARNING:
        say(app_ctx, f"warning: KPI {report.summary()}", always=True)
    if report.exit_code:
        raise SystemExit(report.exit_code)
