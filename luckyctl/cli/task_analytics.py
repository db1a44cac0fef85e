"""``luckyctl task analytics``: progress, schedule, burndown, critical path, ETA, reliability, workload."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import typer

from luckyctl.cli import context
from luckyctl.errors import SelectorError
from luckyctl.selectors import unknown_id_message


def parse_as_of(text: str | None) -> dt.datetime | None:
    """``--as-of``: an ISO date or date-time taken as today (UTC when no offset is given)."""
    if text is None:
        return None
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(f"expected an ISO date like 2026-12-10, got {text!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


AS_OF_OPTION = typer.Option(
    None, "--as-of", metavar="DATE", help="Report as if today were DATE (ISO date or date-time). Default: now."
)


def register(app: typer.Typer) -> None:
    """Attach ``analytics`` to ``app``."""

    @app.command("analytics")
    def analytics(
        ctx: typer.Context,
        project: str | None = typer.Option(
            None, "--project", metavar="ID", help="The project id (the roadmap's project; the default)."
        ),
        as_json: bool = typer.Option(False, "--json", help="Print one JSON document (fields: docs/analytics.md)."),
        html: Path | None = typer.Option(None, "--html", metavar="FILE", help="Write a self-contained HTML report."),
        markdown: Path | None = typer.Option(None, "--markdown", metavar="FILE", help="Write a Markdown report."),
        as_of: str | None = AS_OF_OPTION,
    ) -> None:
        """Progress, schedule variance, burndown, velocity, critical path and ETA, failure rates, workload."""
        from luckyctl.analytics import compute_analytics
        from luckyctl.risks import assess_risks

        app_ctx = context.get(ctx)
        roadmap = app_ctx.roadmap
        if project is not None and project != roadmap.project.id:
            raise SelectorError(f"--project: {unknown_id_message(project, [roadmap.project.id])}")
        now = parse_as_of(as_of)
        store = app_ctx.existing_store()
        result = compute_analytics(roadmap, store, now=now)
        if html is not None or markdown is not None:
            risks = assess_risks(roadmap, store, now=now)
            if html is not None:
                from luckyctl.report.analytics_html import render_html

                context.write_report(html, render_html(result, risks))
                app_ctx.info(f"wrote {html}")
            if markdown is not None:
                from luckyctl.report.analytics_markdown import render_markdown

                context.write_report(markdown, render_markdown(result, risks))
                app_ctx.info(f"wrote {markdown}")
        if as_json:
            app_ctx.print_json({"plan": app_ctx.plan.name, **result.to_json()})
            return
        from luckyctl.report.analytics_terminal import render_analytics

        render_analytics(app_ctx.out, result)
