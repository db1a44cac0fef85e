"""``luckyctl task validate SEL --evidence``: the CI gate (DESIGN §8); exit 0 passed, 1 failed, 2 bad input."""

from __future__ import annotations

import json
import os
import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from luckyctl.cli import context
from luckyctl.errors import InputError

if TYPE_CHECKING:
    from luckyctl.evidence import ArtifactStore
    from luckyctl.gate import GateResult
    from luckyctl.store import Store


class GateFormat(StrEnum):
    TABLE = "table"
    JSON = "json"
    JUNIT = "junit"
    SARIF = "sarif"
    MARKDOWN = "markdown"


NEEDS_EVIDENCE = (
    "task validate needs --evidence: the gate validates the recorded evidence "
    "(state, checks, age, artifacts, hash chain, spec); run `luckyctl task validate SEL --evidence`"
)


def say(app_ctx: context.AppContext, message: str, *, always: bool = False) -> None:
    """One line on stderr, never wrapped or read as markup (reasons quote paths and brackets); --quiet hides it."""
    if always or not app_ctx.quiet:
        app_ctx.err.print(message, soft_wrap=True, markup=False, highlight=False)


def parse_max_age(text: str | None) -> float | None:
    """``--max-age 7d`` → seconds; a bad duration is the user's input error."""
    if text is None:
        return None
    from luckyctl.durations import wall_seconds

    try:
        seconds = wall_seconds(text)
    except ValueError as error:
        raise InputError(f"--max-age: {error}") from None
    if seconds <= 0:
        raise InputError(f"--max-age must be longer than 0, got {text!r}")
    return seconds


def open_for_reading(app_ctx: context.AppContext) -> Store:
    """The plan's store; an empty one in memory when nothing has run yet (a read creates no file)."""
    from luckyctl.cli.task_execute import IN_MEMORY
    from luckyctl.store import Store

    return app_ctx.existing_store() or Store.open(IN_MEMORY)


def plan_artifacts(app_ctx: context.AppContext) -> ArtifactStore:
    from luckyctl.evidence import ArtifactStore

    return ArtifactStore.for_plan(app_ctx.plan_home)


def _recheck(app_ctx: context.AppContext, store: Store, task_ids: list[str]) -> None:
    """Re-run the checks of the selected done tasks; each task's outcome as a line on stderr."""
    from luckyctl.evidence import EvidenceLog, Redactor
    from luckyctl.gate import recheck, recheckable

    roadmap, plan = app_ctx.roadmap, app_ctx.plan
    ids = recheckable(roadmap, store, task_ids)
    if not ids:
        say(app_ctx, "recheck: no selected task is done with checks to run again")
        return
    redactor = Redactor()
    services: dict[str, Any] = {}
    secrets = app_ctx.secrets(on_resolve=redactor.add, services=services)
    log = EvidenceLog(store, plan_artifacts(app_ctx), redactor)
    workdir = app_ctx.roadmap_path.resolve().parent
    for outcome in recheck(roadmap, plan, log, ids, workdir=workdir, secrets=secrets, services=services):
        verdict = f"{outcome.checks} check(s) passed" if outcome.passed else f"failed: {outcome.reason}"
        say(app_ctx, f"recheck {outcome.task_id}: {verdict}")


def render(result: GateResult, output_format: GateFormat, app_ctx: context.AppContext) -> str:
    """The report as text in ``output_format`` (the table as plain lines)."""
    import io

    from rich.console import Console

    from luckyctl.report.gate_junit import render_junit
    from luckyctl.report.gate_markdown import render_markdown
    from luckyctl.report.gate_sarif import render_sarif
    from luckyctl.report.gate_table import render_gate

    if output_format is GateFormat.JSON:
        return json.dumps(result.to_json(), indent=2, ensure_ascii=False) + "\n"
    if output_format is GateFormat.JUNIT:
        return render_junit(result)
    if output_format is GateFormat.SARIF:
        return render_sarif(result, app_ctx.roadmap)
    if output_format is GateFormat.MARKDOWN:
        return render_markdown(result)
    buffer = io.StringIO()
    render_gate(Console(file=buffer, no_color=True, force_terminal=False, width=200, soft_wrap=True), result)
    return buffer.getvalue()


def register(app: typer.Typer) -> None:
    """Attach ``validate`` to ``app``."""

    @app.command("validate")
    def validate(
        ctx: typer.Context,
        selector: str = typer.Argument(
            ..., metavar="SEL", help="Project, epic, story or task id, or a comma-separated list."
        ),
        evidence: bool = typer.Option(False, "--evidence", help="Validate the recorded evidence (required)."),
        recheck: bool = typer.Option(
            False, "--recheck", help="Run the checks again live (never the steps), then validate."
        ),
        max_age: str | None = typer.Option(
            None,
            "--max-age",
            metavar="DUR",
            help="Evidence older than this fails (e.g. 7d, 12h); default: each task's.",
        ),
        output_format: GateFormat = typer.Option(GateFormat.TABLE, "--format", help="Report format."),
        output: Path | None = typer.Option(None, "--output", metavar="FILE", help="Write the report to FILE."),
    ) -> None:
        """The gate: pass only when the evidence proves every selected task done (exit 0), else exit 1."""
        if not evidence:
            raise InputError(NEEDS_EVIDENCE)
        max_age_s = parse_max_age(max_age)
        from luckyctl.gate import GateContext, evaluate_gate
        from luckyctl.report.gate_github import publish
        from luckyctl.selectors import resolve_selector

        app_ctx = context.get(ctx)
        task_ids = resolve_selector(app_ctx.roadmap, selector)  # an unknown id: exit 2 before anything runs
        store = open_for_reading(app_ctx)
        if recheck:
            _recheck(app_ctx, store, task_ids)
        gate = GateContext(app_ctx.roadmap, app_ctx.plan, store, plan_artifacts(app_ctx), max_age=max_age_s)
        result = evaluate_gate(gate, selector)
        report_on_stdout = output is None
        if output is not None:
            context.write_report(output, render(result, output_format, app_ctx))
            say(app_ctx, f"{output_format.value} report written to {output}")
        elif output_format is GateFormat.TABLE:
            from luckyctl.report.gate_table import render_gate

            render_gate(app_ctx.out, result)
        else:
            sys.stdout.write(render(result, output_format, app_ctx))
        # Annotations go to stdout, unless stdout already carries a machine-readable report.
        machine_stdout = report_on_stdout and output_format is not GateFormat.TABLE
        publish(result, os.environ, sys.stderr if machine_stdout else sys.stdout)
        for warning in result.warnings:
            say(app_ctx, f"warning: {warning}", always=True)
        if output is not None or output_format is not GateFormat.TABLE:
            say(app_ctx, result.summary())
        if result.exit_code:
            raise SystemExit(result.exit_code)
