"""The ``luckyctl`` command: global options, command groups, exit codes.

Exit codes (contract): 0 success, 1 a task or the gate failed, 2 bad input,
3 incomplete (waiting or blocked), 70 internal error, 130 interrupted.
"""

from __future__ import annotations

import os
import sys
import traceback
from pathlib import Path
from typing import Any, NoReturn

import typer

from luckyctl.cli import context
from luckyctl.cli.lazy import LazyGroup, Where
from luckyctl.errors import LuckyError

EXIT_INTERNAL = 70
EXIT_INTERRUPTED = 130

# The commands under the root, in the order help lists them; each module is imported
# when its command is used (see luckyctl.cli.lazy).
COMMANDS: Where = {
    "roadmap": ("luckyctl.cli.roadmap_cmd", "app"),
    "task": ("luckyctl.cli.task_cmd", "app"),
    "evidence": ("luckyctl.cli.evidence_cmd", "app"),
    "sandbox": ("luckyctl.cli.sandbox_cmd", "app"),
    "analyze": ("luckyctl.cli.analyze_cmd", "analyze"),
    "kpi": ("luckyctl.cli.kpi_cmd", "kpi"),
    "checklist": ("luckyctl.cli.checklist_cmd", "app"),
}


class LuckyGroup(LazyGroup):
    """The root command: turns luckyctl's errors into one line on stderr and the contract's exit code."""

    where = COMMANDS

    def make_context(self, info_name: str | None, args: list[str], parent: Any = None, **extra: Any) -> Any:
        try:
            return super().make_context(info_name, args, parent=parent, **extra)
        except typer.TyperException as error:  # the root's own options
            _usage_exit(error)

    def invoke(self, ctx: typer.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort):
            raise
        except typer.TyperException as error:
            _usage_exit(error)
        except LuckyError as error:
            _report(ctx, f"error: {error}", error)
            raise typer.Exit(error.exit_code) from None
        except KeyboardInterrupt:
            _report(ctx, "interrupted", None)
            raise typer.Exit(EXIT_INTERRUPTED) from None
        except Exception as error:  # the tool's own fault: one line, traceback on -v
            _report(ctx, f"internal error: {type(error).__name__}: {error} (run with -v for the traceback)", error)
            raise typer.Exit(EXIT_INTERNAL) from None
        finally:
            app_ctx = ctx.obj
            if isinstance(app_ctx, context.AppContext):
                app_ctx.close()


def _usage_exit(error: typer.TyperException) -> NoReturn:
    """A usage error: one line, like every other input error."""
    command = getattr(getattr(error, "ctx", None), "command_path", None) or "luckyctl"
    typer.echo(f"luckyctl: error: {error.format_message()} (see '{command} --help')", err=True)
    raise typer.Exit(getattr(error, "exit_code", 2)) from None


def _report(ctx: typer.Context, line: str, error: BaseException | None) -> None:
    app_ctx = ctx.obj
    verbose = isinstance(app_ctx, context.AppContext) and app_ctx.verbose > 0
    if verbose and error is not None:
        traceback.print_exception(error, file=sys.stderr)
    typer.echo(f"luckyctl: {line}", err=True)


app = typer.Typer(
    cls=LuckyGroup,
    name="luckyctl",
    help="Execute, prove and report on a production-deployment roadmap.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


@app.callback()
def global_options(
    ctx: typer.Context,
    roadmap: Path = typer.Option(
        Path("roadmap"), "--roadmap", envvar="LUCKYCTL_ROADMAP", help="Roadmap directory or single YAML file."
    ),
    plan: str = typer.Option(
        "sandbox", "--plan", envvar="LUCKYCTL_PLAN", help="Plan name (plans/NAME.yaml) or path to a plan file."
    ),
    home: Path = typer.Option(
        Path("evidence"), "--home", envvar="LUCKYCTL_HOME", help="Evidence root: one folder per plan."
    ),
    verbose: int = typer.Option(0, "--verbose", "-v", count=True, help="More detail; tracebacks on errors."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Only data and errors."),
    no_color: bool = typer.Option(False, "--no-color", help="No colours (also when NO_COLOR is set)."),
) -> None:
    """Execute, prove and report on a production-deployment roadmap."""
    ctx.obj = context.AppContext(
        roadmap_path=roadmap,
        plan_ref=plan,
        home=home,
        verbose=verbose,
        quiet=quiet,
        color=not (no_color or os.environ.get("NO_COLOR")),
    )


def main() -> None:
    """Console-script entry point."""
    app(prog_name="luckyctl")
