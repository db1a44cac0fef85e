"""``luckyctl task signoff`` and ``task approve``: a person's word, recorded as evidence."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from luckyctl.cli import context

if TYPE_CHECKING:
    from luckyctl.engine.people import PersonResult
    from luckyctl.evidence.recorder import EvidenceLog


def _evidence_log(app_ctx: context.AppContext) -> EvidenceLog:
    from luckyctl.evidence.artifacts import ArtifactStore
    from luckyctl.evidence.recorder import EvidenceLog
    from luckyctl.evidence.redaction import Redactor

    return EvidenceLog(app_ctx.store(), ArtifactStore.for_plan(app_ctx.plan_home), Redactor())


def _report(app_ctx: context.AppContext, result: PersonResult, as_json: bool) -> None:
    if as_json:
        state = result.state.value if result.state else None
        app_ctx.print_json({"tasks": result.task_ids, "message": result.message, "state": state, "evidence_seq": result.evidence_seq})
    else:
        app_ctx.info(result.message)


def register(app: typer.Typer) -> None:
    """Attach ``signoff`` and ``approve`` to ``app``."""

    @app.command("signoff")
    def signoff(
        ctx: typer.Context,
        task_id: Annotated[str, typer.Argument(metavar="ID", help="The task to sign off.")],
        by: Annotated[str, typer.Option("--by", help="Who signs off (a name or handle).")],
        note: Annotated[str | None, typer.Option("--note", help="What was checked, or any remark.")] = None,
        attach: Annotated[list[Path] | None, typer.Option("--attach", help="A file to keep with the sign-off (repeatable).")] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
    ) -> None:
        """Record a person's sign-off of a manual task; a task that waited only for it succeeds."""
        from luckyctl.engine.people import sign_off

        app_ctx = context.get(ctx)
        result = sign_off(
            roadmap=app_ctx.roadmap,
            plan=app_ctx.plan,
            store=app_ctx.store(),
            evidence_log=_evidence_log(app_ctx),
            task_id=task_id,
            by=by,
            note=note,
            attachments=attach or [],
        )
        _report(app_ctx, result, as_json)

    @app.command("approve")
    def approve(
        ctx: typer.Context,
        task_id: Annotated[str, typer.Argument(metavar="ID", help="The task to approve.")],
        by: Annotated[str, typer.Option("--by", help="Who approves (a name or handle).")],
        as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
    ) -> None:
        """Record an approval (enterprise strategy, protected plans); the task runs on the next execute."""
        from luckyctl.engine.people import approve as record_approval

        app_ctx = context.get(ctx)
        result = record_approval(
            roadmap=app_ctx.roadmap,
            plan=app_ctx.plan,
            store=app_ctx.store(),
            evidence_log=_evidence_log(app_ctx),
            task_id=task_id,
            by=by,
        )
        _report(app_ctx, result, as_json)
