"""``luckyctl checklist``: the go-live checklist with each item's state; ``checklist confirm`` for manual items.

Exit codes: 0 every shown item done, 1 an item is failing, 3 items still pending.
"""

from __future__ import annotations

import typer

from luckyctl.cli import context
from luckyctl.model import Phase

app = typer.Typer(
    help="The go-live checklist: each item done, pending or failing, from tasks, KPIs and confirmations.",
    invoke_without_command=True,
)


@app.callback()
def checklist(
    ctx: typer.Context,
    phase: Phase | None = typer.Option(None, "--phase", help="Only the items of this phase."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> None:
    """Show the go-live checklist with each item's state and, when not done, why."""
    if ctx.invoked_subcommand is not None:
        return
    from luckyctl.cli.task_validate import open_for_reading, plan_artifacts
    from luckyctl.gate import GateContext, evaluate_checklist_phase
    from luckyctl.report.gate_checklist import render_checklist

    app_ctx = context.get(ctx)
    gate = GateContext(app_ctx.roadmap, app_ctx.plan, open_for_reading(app_ctx), plan_artifacts(app_ctx))
    report = evaluate_checklist_phase(gate, phase)
    if as_json:
        app_ctx.print_json(report.to_json())
    else:
        render_checklist(app_ctx.out, report)
    if report.exit_code:
        raise SystemExit(report.exit_code)


@app.command("confirm")
def confirm(
    ctx: typer.Context,
    item_id: str = typer.Argument(..., metavar="ITEM", help="A manual checklist item (manual: true), e.g. pre-4."),
    by: str = typer.Option(..., "--by", help="Who confirms (a name or handle)."),
    note: str | None = typer.Option(None, "--note", help="What was checked, or any remark."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> None:
    """Record a person's confirmation of a manual checklist item, as signed evidence."""
    from luckyctl.cli.task_validate import say
    from luckyctl.evidence import ArtifactStore, EvidenceLog, Redactor
    from luckyctl.gate import confirm_item, manual_item

    app_ctx = context.get(ctx)
    item = manual_item(app_ctx.roadmap, item_id)  # an unknown or non-manual item: exit 2, nothing written
    log = EvidenceLog(app_ctx.store(), ArtifactStore.for_plan(app_ctx.plan_home), Redactor())
    record = confirm_item(log, item, by, note)
    who = record.inputs.get("by")
    if as_json:
        app_ctx.print_json({"item": item.id, "by": who, "evidence_seq": record.seq})
    else:
        say(app_ctx, f"checklist {item.id} confirmed by {who} (evidence record {record.seq})")
