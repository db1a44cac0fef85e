"""``luckyctl task execute SEL``: run a selection of the roadmap (DESIGN §6)."""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from luckyctl.cli import context, options

if TYPE_CHECKING:
    from luckyctl.engine import EventSink, Runner
    from luckyctl.store import Store

IN_MEMORY = Path(":memory:")  # nothing has run on the plan yet: decide against an empty store, create no file


def build_runner(app_ctx: context.AppContext, sink: EventSink | None = None, *, store: Store | None = None) -> Runner:
    """A runner wired to the plan's store, evidence, secrets and redactor."""
    from luckyctl.engine import NullSink, Runner
    from luckyctl.evidence.artifacts import ArtifactStore
    from luckyctl.evidence.recorder import EvidenceLog
    from luckyctl.evidence.redaction import Redactor

    roadmap, plan = app_ctx.roadmap, app_ctx.plan
    store = store if store is not None else app_ctx.store()
    redactor = Redactor()
    services: dict[str, Any] = {}
    return Runner(
        roadmap=roadmap,
        plan=plan,
        store=store,
        evidence_log=EvidenceLog(store, ArtifactStore.for_plan(app_ctx.plan_home), redactor),
        redactor=redactor,
        secrets=app_ctx.secrets(on_resolve=redactor.add, services=services),
        services=services,
        sink=sink or NullSink(),
        workdir=app_ctx.roadmap_path.resolve().parent,
    )


@contextmanager
def stop_on_signals(runner: Runner) -> Iterator[None]:
    """Ctrl-C and SIGTERM ask the run to stop (exit 130) instead of killing the process mid-write."""

    def stop(signum: int, _frame: Any) -> None:
        runner.cancel(f"interrupted by {signal.Signals(signum).name}")

    previous = {signum: signal.signal(signum, stop) for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _progress(app_ctx: context.AppContext, *, as_json: bool) -> tuple[EventSink | None, AbstractContextManager[Any]]:
    """Where events go: JSON lines on stdout, a live view on a terminal, plain lines otherwise, or nowhere (-q)."""
    from luckyctl.report.progress import JsonLinesSink, LiveSink, PlainSink

    if as_json:
        return JsonLinesSink(sys.stdout), nullcontext()
    if app_ctx.quiet:
        return None, nullcontext()
    if app_ctx.err.is_terminal:
        live = LiveSink(app_ctx.err)
        return live, live
    return PlainSink(app_ctx.err), nullcontext()


def register(app: typer.Typer) -> None:
    """Attach ``execute`` to ``app``."""

    @app.command("execute")
    def execute(
        ctx: typer.Context,
        selector: options.Selector,
        strategy: options.StrategyOption = None,
        wave_mode: options.WaveMode = False,
        parallel: options.Parallel = None,
        force: options.Force = False,
        with_deps: options.WithDeps = False,
        continue_on_failure: Annotated[
            bool, typer.Option("--continue-on-failure", help="Systematic/enterprise: go on with what does not depend on a failure.")
        ] = False,
        assignee: options.Assignee = None,
        yes: Annotated[bool, typer.Option("--yes", help="A protected plan: allow tasks that change things.")] = False,
        as_json: Annotated[bool, typer.Option("--json", help="JSON lines on stdout, one per event.")] = False,
    ) -> None:
        """Run the selected tasks: steps, then checks; evidence for every attempt; resumable."""
        from luckyctl.engine import RunRequest
        from luckyctl.report.progress import render_summary
        from luckyctl.store import Store

        app_ctx = context.get(ctx)
        request = RunRequest(
            selector=selector,
            strategy=strategy,
            wave_mode=wave_mode,
            parallel=parallel,
            force=force,
            with_deps=with_deps,
            continue_on_failure=continue_on_failure,
            assignee=assignee,
            yes=yes,
        )
        sink, showing = _progress(app_ctx, as_json=as_json)
        if app_ctx.existing_store() is None:  # a first run: find input errors before creating the store
            build_runner(app_ctx, store=Store.open(IN_MEMORY)).check(request)
        runner = build_runner(app_ctx, sink)
        with stop_on_signals(runner), showing:
            result = runner.execute(request)
        if not as_json:
            render_summary(app_ctx.out, result)
        if result.stranded:
            # A step ignored the stop request; its thread would keep the interpreter alive.
            sys.stdout.flush()
            sys.stderr.flush()
            app_ctx.close()
            os._exit(result.exit_code)
        raise typer.Exit(result.exit_code)
