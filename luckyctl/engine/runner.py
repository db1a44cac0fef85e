"""The public face of the engine: ``Runner.plan_run`` (the dry run) and ``Runner.execute`` (the run).

The runner receives everything it talks to — store, evidence log, redactor,
secrets, step function, event sink, clock, sleep — so tests and embedders
drive it without a terminal, a network or real time.
"""

from __future__ import annotations

import datetime as dt
import secrets as token_source
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from luckyctl.engine.decisions import Action, Decider
from luckyctl.engine.events import Event, EventSink, NullSink, RunFinished, RunStarted
from luckyctl.engine.leases import (
    HEARTBEAT_INTERVAL_S,
    LEASE_EXPIRY_S,
    Heartbeat,
    Holder,
    LivenessCheck,
    reap,
)
from luckyctl.engine.planner import ExecutionPlan, plan_run
from luckyctl.engine.scheduler import Scheduler, TaskOutcome
from luckyctl.engine.selection import RunRequest, Selection, select
from luckyctl.engine.spec_hash import spec_hashes
from luckyctl.engine.strategies import Policy, make_policy, risk_gate_edges
from luckyctl.engine.task_runner import Backoff, TaskRunner
from luckyctl.errors import InputError, LuckyError
from luckyctl.model import Plan, Roadmap, Step, TaskState
from luckyctl.steps.base import StepContext, StepOutcome
from luckyctl.steps.services import close_services
from luckyctl.store import Store
from luckyctl.variables import Resolver

if TYPE_CHECKING:
    from luckyctl.evidence import EvidenceLog, Redactor

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_INCOMPLETE = 3
EXIT_INTERRUPTED = 130
_EXIT_INTERNAL = 70  # the run itself broke (the store could not be written, a bug): the error is raised
_RUN_STATUS = {EXIT_OK: "succeeded", EXIT_FAILED: "failed", EXIT_INCOMPLETE: "incomplete", EXIT_INTERRUPTED: "interrupted"}
_NOT_STARTED = "pending"


@dataclass
class RunResult:
    """What a run did; the CLI renders it and takes its exit code."""

    run_id: str
    strategy: str
    outcomes: dict[str, TaskOutcome]
    not_started: list[str]
    duration_s: float
    interrupted: bool = False
    stranded: bool = False  # worker threads still busy when the run gave up waiting for them
    stop_reason: str | None = None

    @property
    def exit_code(self) -> int:
        states = {outcome.state for outcome in self.outcomes.values()}
        if self.interrupted:
            return EXIT_INTERRUPTED
        if TaskState.FAILED in states:
            return EXIT_FAILED
        if states - {TaskState.SUCCEEDED, TaskState.SKIPPED} or self.not_started:
            return EXIT_INCOMPLETE
        return EXIT_OK

    def counts(self) -> dict[str, int]:
        counted = Counter(outcome.state.value for outcome in self.outcomes.values())
        if self.not_started:
            counted[_NOT_STARTED] += len(self.not_started)
        return dict(sorted(counted.items()))

    def problems(self) -> dict[str, str]:
        """Task id → reason, for every task that did not end succeeded or skipped."""
        found = {
            task_id: outcome.reason or outcome.state.value
            for task_id, outcome in self.outcomes.items()
            if not outcome.state.is_done
        }
        for task_id in self.not_started:
            found[task_id] = self.stop_reason or "not started"
        return found

    def to_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "strategy": self.strategy,
            "exit_code": self.exit_code,
            "duration_s": round(self.duration_s, 3),
            "counts": self.counts(),
            "problems": self.problems(),
            "tasks": {
                task_id: {"state": outcome.state.value, "reason": outcome.reason, "duration_s": outcome.duration_s}
                for task_id, outcome in self.outcomes.items()
            },
            "not_started": self.not_started,
        }


@dataclass(frozen=True)
class _Prepared:
    selection: Selection
    policy: Policy
    hashes: dict[str, str]


class _LockedSink:
    """Workers and the loop emit concurrently; sinks see one event at a time."""

    def __init__(self, sink: EventSink) -> None:
        self._sink = sink
        self._lock = threading.Lock()

    def __call__(self, event: Event) -> None:
        with self._lock:
            self._sink.emit(event)


def new_run_id() -> str:
    """Sortable by time, unique across processes: ``20261207T101500Z-3f9a2c``."""
    return dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ") + "-" + token_source.token_hex(3)


def _default_step_runner(step: Step, ctx: StepContext) -> StepOutcome:
    from luckyctl.steps import run_step

    return run_step(step, ctx)


@dataclass
class Runner:
    """Plans and executes selections of one roadmap under one plan."""

    roadmap: Roadmap
    plan: Plan
    store: Store
    evidence_log: EvidenceLog
    redactor: Redactor
    secrets: Callable[[str], str] | None = None  # name → value, e.g. a SecretResolver; values feed the redactor
    step_runner: Callable[[Step, StepContext], StepOutcome] = _default_step_runner
    sink: EventSink = field(default_factory=NullSink)
    workdir: Path = field(default_factory=Path.cwd)
    transport: Any = None  # an httpx transport handed to every step
    services: dict[str, Any] = field(default_factory=dict)  # clients the steps share; closed when a run ends
    operator: str | None = None  # who runs it, for the runs table; default user@host
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], Any] | None = None  # between retries; default: wait on the cancel event
    backoff: Backoff = field(default_factory=Backoff)
    heartbeat_s: float = HEARTBEAT_INTERVAL_S
    lease_expiry_s: float = LEASE_EXPIRY_S
    grace_s: float = 5.0
    poll_s: float = 0.05

    def __post_init__(self) -> None:
        self._cancel = threading.Event()
        self._cancel_reason: str | None = None
        self._taught: set[str] = set()
        self._taught_lock = threading.Lock()

    # -------------------------------------------------------------- control

    def cancel(self, reason: str = "interrupted") -> None:
        """Stop starting tasks and stop running steps (safe from a signal handler or another thread)."""
        self._cancel_reason = self._cancel_reason or reason
        self._cancel.set()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    # -------------------------------------------------------------- dry run

    def plan_run(self, request: RunRequest) -> ExecutionPlan:
        """What ``execute`` would do with ``request``, and why, changing nothing."""
        prepared = self._prepare(request)
        liveness = LivenessCheck(Holder.current("(plan)"), expiry_s=self.lease_expiry_s)
        return self._preview(request, prepared, liveness)

    def check(self, request: RunRequest) -> None:
        """Everything ``execute`` checks before it starts (selection, variables, --yes), changing nothing."""
        self._checked(request, LivenessCheck(Holder.current("(check)"), expiry_s=self.lease_expiry_s))

    def _checked(self, request: RunRequest, liveness: LivenessCheck) -> _Prepared:
        prepared = self._prepare(request)
        if self.plan.protected and not request.yes:
            self._require_consent_to_change(self._preview(request, prepared, liveness))
        return prepared

    def _preview(self, request: RunRequest, prepared: _Prepared, liveness: LivenessCheck) -> ExecutionPlan:
        decider = self._decider(prepared, request, liveness, run_started_at=None)
        return plan_run(self.roadmap, prepared.selection, decider, prepared.policy, selector=request.selector)

    def _prepare(self, request: RunRequest) -> _Prepared:
        strategy = request.strategy or self.plan.strategy.default
        parallel = request.parallel if request.parallel is not None else self.plan.strategy.parallel
        if parallel < 1:
            raise InputError(f"--parallel must be at least 1, got {parallel}")
        policy = make_policy(
            strategy, parallel=parallel, continue_on_failure=request.continue_on_failure, protected=self.plan.protected
        )
        selection = select(self.roadmap, self.store, request)
        if policy.risk_gate:
            selection = selection.with_order_edges(risk_gate_edges(self.roadmap, selection.task_ids))
        return _Prepared(selection, policy, spec_hashes(self.roadmap, self.plan, selection.task_ids))

    def _decider(
        self, prepared: _Prepared, request: RunRequest, liveness: LivenessCheck, *, run_started_at: str | None
    ) -> Decider:
        return Decider(
            roadmap=self.roadmap,
            graph=prepared.selection.graph,
            selection=prepared.selection.task_ids,
            store=self.store,
            policy=prepared.policy,
            spec_hashes=prepared.hashes,
            force=request.force,
            liveness=liveness,
            run_started_at=run_started_at,
        )

    # -------------------------------------------------------------- the run

    def execute(self, request: RunRequest) -> RunResult:
        """Run the selection. Input errors raise before anything changes; the rest is in the result."""
        self._cancel.clear()  # a runner may run again after a stopped run
        self._cancel_reason = None
        holder = Holder.current(new_run_id())
        liveness = LivenessCheck(holder, expiry_s=self.lease_expiry_s)
        prepared = self._checked(request, liveness)
        self._teach_redactor()
        emit = _LockedSink(self.sink)
        started = self.clock()
        with Heartbeat(self.store, holder.run_id, interval_s=self.heartbeat_s):
            reap(self.store, liveness)
            self.store.begin_run(
                holder.run_id,
                plan=self.plan.name,
                selector=request.selector,
                strategy=prepared.policy.strategy.value,
                options=request.options(),
                pid=holder.pid,
                host=holder.host,
                operator=self.operator or _operator(),
            )
            emit(
                RunStarted(
                    run_id=holder.run_id,
                    plan=self.plan.name,
                    selector=request.selector,
                    strategy=prepared.policy.strategy.value,
                    wave_mode=request.wave_mode,
                    parallel=prepared.policy.capacity,
                    tasks=prepared.selection.task_ids,
                )
            )
            try:
                loop = self._scheduler(request, prepared, holder, liveness, emit).run()
            except BaseException:
                self.store.end_run(holder.run_id, status="error", exit_code=_EXIT_INTERNAL)
                raise
            finally:
                close_services(self.services)
        result = RunResult(
            run_id=holder.run_id,
            strategy=prepared.policy.strategy.value,
            outcomes=loop.outcomes,
            not_started=[task_id for task_id in prepared.selection.task_ids if task_id not in loop.outcomes],
            duration_s=self.clock() - started,
            interrupted=loop.cancelled,
            stranded=loop.stranded,
            stop_reason=self._stop_reason(loop.cancelled, loop.outcomes),
        )
        self.store.end_run(holder.run_id, status=_RUN_STATUS[result.exit_code], exit_code=result.exit_code)
        emit(
            RunFinished(
                run_id=holder.run_id,
                exit_code=result.exit_code,
                duration_s=round(result.duration_s, 3),
                counts=result.counts(),
                failures=result.problems(),
            )
        )
        return result

    def _scheduler(
        self,
        request: RunRequest,
        prepared: _Prepared,
        holder: Holder,
        liveness: LivenessCheck,
        emit: Callable[[Event], None],
    ) -> Scheduler:
        return Scheduler(
            roadmap=self.roadmap,
            selection=prepared.selection,
            decider=self._decider(prepared, request, liveness, run_started_at=_run_start(self.store, holder.run_id)),
            policy=prepared.policy,
            store=self.store,
            holder=holder,
            liveness=liveness,
            task_runner=self._task_runner(emit),
            spec_hashes=prepared.hashes,
            emit=emit,
            cancel_requested=self._cancel.is_set,
            clock=self.clock,
            grace_s=self.grace_s,
            poll_s=self.poll_s,
        )

    def _stop_reason(self, cancelled: bool, outcomes: dict[str, TaskOutcome]) -> str:
        if cancelled:
            return f"not started: {self._cancel_reason or 'interrupted'}"
        failed = next((task_id for task_id, outcome in outcomes.items() if outcome.state is TaskState.FAILED), None)
        return f"not started: the run stopped at {failed}'s failure" if failed else "not started"

    def _require_consent_to_change(self, preview: ExecutionPlan) -> None:
        """A protected plan changes nothing without --yes: exit 2 before anything starts."""
        changing = [task.task_id for task in preview.tasks if task.action is Action.RUN and task.mutating]
        if changing:
            shown = ", ".join(changing[:5]) + (f" and {len(changing) - 5} more" if len(changing) > 5 else "")
            raise InputError(
                f"plan '{self.plan.name}' is protected and {len(changing)} task(s) would change things "
                f"({shown}): pass --yes to go ahead"
            )

    def _teach_redactor(self) -> None:
        """Resolve every env and file secret now, so the redactor knows them before anything is printed.

        A secret that is not available yet stays unresolved: the step that
        needs it reports that. Secrets from Secret Manager are fetched when a
        step first needs them (the resolver teaches the redactor then).
        """
        if self.secrets is None:
            return
        for name, source in self.plan.secrets.items():
            if source.env or source.file:
                try:
                    self._teach(name, self.secrets(name))
                except LuckyError:
                    continue

    def _task_runner(self, emit: Callable[[Event], None]) -> TaskRunner:
        def new_resolver() -> Resolver:
            return Resolver(self.plan.vars, secrets=self._secret)

        return TaskRunner(
            plan=self.plan,
            step_runner=self.step_runner,
            evidence_log=self.evidence_log,
            redactor=self.redactor,
            new_resolver=new_resolver,
            workdir=self.workdir,
            cancel=self._cancel,
            emit=emit,
            sleep=self.sleep or self._cancel.wait,
            backoff=self.backoff,
            transport=self.transport,
            services=self.services,
            clock=self.clock,
        )

    def _secret(self, name: str) -> str:
        """``${secret:name}``: resolved, and taught to the redactor before any step can print it."""
        if self.secrets is None:
            raise InputError(f"secret '{name}' requested but no secrets are configured for this run")
        value = self.secrets(name)
        self._teach(name, value)
        return value

    def _teach(self, name: str, value: str) -> None:
        with self._taught_lock:
            if value not in self._taught:
                self._taught.add(value)
                self.redactor.add(value, name)


def _run_start(store: Store, run_id: str) -> str:
    rows = store.query("SELECT started_at FROM runs WHERE id = ?", (run_id,))
    return str(rows[0]["started_at"])


def _operator() -> str:
    from luckyctl.evidence.recorder import current_operator

    who = current_operator()
    return f"{who['user']}@{who['host']}"
