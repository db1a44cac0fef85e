"""``luckyctl sandbox up|down|status``: the local stand-ins the sandbox plan points at."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer

from luckyctl.cli import context

if TYPE_CHECKING:
    from pathlib import Path

    from luckyctl.sandbox import SandboxSettings, SandboxStatus

app = typer.Typer(
    help="Start, stop and inspect the local sandbox: the Lucky Gas API, Google API stand-ins and PostgreSQL.",
    no_args_is_help=True,
)

JSON_OPTION = typer.Option(False, "--json", help="Print one JSON document instead of the table.")


def _state_dir(app_ctx: context.AppContext) -> Path:
    return app_ctx.plan_home / "sandbox"


def _settings(app_ctx: context.AppContext) -> SandboxSettings:
    from luckyctl.sandbox import settings_from_plan

    plan_file = app_ctx.plan_file
    return settings_from_plan(
        app_ctx.plan.model_dump(mode="json"), base_dir=plan_file.parent, source=plan_file
    )


def _status_document(status: SandboxStatus) -> dict[str, Any]:
    return {
        "state_dir": str(status.state_dir),
        "running": status.running,
        "credentials_file": str(status.credentials_file) if status.credentials_file else None,
        "services": [
            {
                "name": service.name.value,
                "state": service.state.value,
                "pid": service.pid,
                "address": service.address,
                "url": service.url,
                "log_file": str(service.log_file),
            }
            for service in status.services
        ],
    }


def _render(app_ctx: context.AppContext, document: dict[str, Any]) -> None:
    from rich.table import Table

    table = Table(box=None, show_header=True, header_style="bold", pad_edge=False)
    for column in ("service", "state", "pid", "address", "log"):
        table.add_column(column)
    for service in document["services"]:
        colour = {"running": "green", "unhealthy": "yellow"}.get(service["state"], "dim")
        table.add_row(
            service["name"],
            f"[{colour}]{service['state']}[/]",
            str(service["pid"] or "-"),
            service["url"] or service["address"] or "-",
            service["log_file"],
        )
    app_ctx.out.print(table)


@app.command("up")
def up(
    ctx: typer.Context,
    timeout: float = typer.Option(60.0, "--timeout", help="Seconds to wait for every service to answer its health check."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Start what is not running yet (loopback only) and wait until every service is healthy."""
    from luckyctl import sandbox

    app_ctx = context.get(ctx)
    settings = _settings(app_ctx)
    app_ctx.info(f"starting the sandbox of plan '{app_ctx.plan.name}' in {_state_dir(app_ctx)} …")
    result = sandbox.up(settings, _state_dir(app_ctx), health_timeout=timeout)
    document = {**_status_document(result.status), "started": [name.value for name in result.started]}
    if as_json:
        app_ctx.print_json(document)
        return
    _render(app_ctx, document)
    started = ", ".join(document["started"]) or "nothing (all were running)"
    app_ctx.info(f"started: {started}")


@app.command("down")
def down(ctx: typer.Context, as_json: bool = JSON_OPTION) -> None:
    """Stop exactly the processes that `sandbox up` started; data stays for the next `up`."""
    from luckyctl import sandbox

    app_ctx = context.get(ctx)
    result = sandbox.down(_state_dir(app_ctx))
    document = {
        "state_dir": str(result.state_dir),
        "stopped": [name.value for name in result.stopped],
        "stale": [name.value for name in result.stale],
    }
    if as_json:
        app_ctx.print_json(document)
        return
    app_ctx.out.print(f"stopped: {', '.join(document['stopped']) or 'nothing was running'}")
    if document["stale"]:
        app_ctx.info(f"removed stale pid files of: {', '.join(document['stale'])}")


@app.command("status")
def status(ctx: typer.Context, as_json: bool = JSON_OPTION) -> None:
    """Show each service's state, pid, address and log file. Exit 3 when not everything runs."""
    from luckyctl import sandbox

    app_ctx = context.get(ctx)
    document = _status_document(sandbox.status(_state_dir(app_ctx)))
    if as_json:
        app_ctx.print_json(document)
    else:
        _render(app_ctx, document)
    if not document["running"]:
        raise typer.Exit(3)
