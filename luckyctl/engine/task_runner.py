"""One task: its steps, then its checks; retries with backoff; evidence for every attempt.

The task runner never touches task state: it returns how the task ended and
the scheduler writes that, together with the lease, in one transaction.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from luckyctl.engine import consents
from luckyctl.engine.consents import Consent
from luckyctl.engine.events import Event, StepFinished, StepRetrying
from luckyctl.errors import LuckyError
from luckyctl.model import Plan, Step, StepKind, StepStatus, Task, TaskState
from luckyctl.steps.base import StepContext, StepOutcome
from luckyctl.store import Lease, utc_now
from luckyctl.variables import Resolver

if TYPE_CHECKING:
    from luckyctl.evidence import EvidenceLog, Redactor

BACKOFF_BASE_S = 0.5
BACKOFF_CAP_S = 30.0


@dataclass(frozen=True)
class Backoff:
    """Exponential backoff with jitter: attempt n waits between half and all of min(cap, base·2ⁿ⁻¹)."""

    base_s: float = BACKOFF_BASE_S
    cap_s: float = BACKOFF_CAP_S
    jitter: Callable[[], float] = random.random  # uniform in [0, 1)

    def delay(self, failed_attempt: int) -> float:
        ceiling = min(self.cap_s, self.base_s * 2.0 ** (failed_attempt - 1))
        return ceiling / 2 + self.jitter() * ceiling / 2


@dataclass(frozen=True)
class TaskResult:
    state: TaskState
    reason: str | None
    evidence_at: str | None  # when its newest evidence row was taken


@dataclass
class _Progress:
    """What the task has done so far in this attempt."""

    evidence_at: str | None = None


@dataclass
class TaskRunner:
    """Runs tasks for one run; shared by the worker threads."""

    plan: Plan
    step_runner: Callable[[Step, StepContext], StepOutcome]
    evidence_log: EvidenceLog
    redactor: Redactor
    new_resolver: Callable[[], Resolver]  # a fresh one per task: ${saved:…} belongs to one task
    workdir: Path
    cancel: threading.Event
    emit: Callable[[Event], None]
    sleep: Callable[[float], Any]
    backoff: Backoff = field(default_factory=Backoff)
    transport: Any = None
    clock: Callable[[], float] = time.monotonic
    services: dict[str, Any] = field(default_factory=dict)

    def run(self, task: Task, lease: Lease, *, spec_hash: str, signoff: Consent | None) -> TaskResult:
        resolver = self.new_resolver()
        progress = _Progress()
        phases = (("step", task.steps), ("check", task.checks))
        for phase, steps in phases:
            for index, step in enumerate(steps):
                where = f"{phase} {index + 1} ({step.label})"
                if self.cancel.is_set():
                    return TaskResult(TaskState.INTERRUPTED, f"interrupted before {where}", progress.evidence_at)
                outcome = self._attempts(task, step, phase, index, resolver, lease, spec_hash, signoff, progress)
                if outcome.status is StepStatus.WAITING:
                    return TaskResult(TaskState.WAITING, self.redactor.redact(outcome.summary), progress.evidence_at)
                if not outcome.passed:
                    state = TaskState.INTERRUPTED if self.cancel.is_set() else TaskState.FAILED
                    return TaskResult(state, self.redactor.redact(f"{where}: {outcome.summary}"), progress.evidence_at)
                resolver.saved.update(outcome.saved)
        if consents.needs_signoff(task):  # a manual step without a sign-off has returned above
            if signoff is None:
                return TaskResult(TaskState.WAITING, consents.waiting_reason(task), progress.evidence_at)
            return TaskResult(TaskState.SUCCEEDED, str(signoff), progress.evidence_at)
        return TaskResult(TaskState.SUCCEEDED, None, progress.evidence_at)

    def _attempts(
        self,
        task: Task,
        step: Step,
        phase: str,
        index: int,
        resolver: Resolver,
        lease: Lease,
        spec_hash: str,
        signoff: Consent | None,
        progress: _Progress,
    ) -> StepOutcome:
        """Run one step until it passes, must wait, cannot be retried, or has used its retries."""
        retries = step.retries if step.retries is not None else task.retries
        timeout = step.timeout if step.timeout is not None else task.timeout
        attempt = 0
        while True:
            attempt += 1
            started_at, started = utc_now(), self.clock()
            outcome, retryable = self._once(task, step, resolver, timeout, signoff)
            record = self.evidence_log.record(
                run_id=lease.run_id,
                task_id=task.id,
                attempt=attempt,
                phase=phase,
                step_index=index,
                kind=step.kind.value,
                name=step.label,
                outcome=outcome,
                started_at=started_at,
                ended_at=utc_now(),
                spec_hash=spec_hash,
            )
            progress.evidence_at = getattr(record, "ended_at", None) or utc_now()
            self.emit(
                StepFinished(
                    task_id=task.id,
                    phase=phase,
                    index=index,
                    kind=step.kind.value,
                    label=step.label,
                    attempt=attempt,
                    status=outcome.status,
                    summary=self.redactor.redact(outcome.summary),
                    duration_s=round(self.clock() - started, 3),
                )
            )
            if outcome.passed or outcome.status is StepStatus.WAITING or not retryable:
                return outcome
            if attempt > retries or self.cancel.is_set():
                return outcome
            delay = self.backoff.delay(attempt)
            self.emit(
                StepRetrying(task_id=task.id, phase=phase, index=index, label=step.label, attempt=attempt, delay_s=delay)
            )
            self.sleep(delay)

    def _once(
        self, task: Task, step: Step, resolver: Resolver, timeout: float, signoff: Consent | None
    ) -> tuple[StepOutcome, bool]:
        """One attempt: the outcome, and whether trying again could change it."""
        if step.kind is StepKind.MANUAL and signoff is not None:
            return StepOutcome(StepStatus.PASSED, f"{signoff} at {signoff.at}", outputs={"by": signoff.by}), False
        ctx = StepContext(
            task_id=task.id,
            plan=self.plan,
            resolve=resolver,
            timeout=timeout,
            workdir=self.workdir,
            cancel=self.cancel,
            transport=self.transport,
            services=self.services,
        )
        try:
            return self.step_runner(step, ctx), True
        except LuckyError as error:  # a spec the step cannot understand: the same next time
            return StepOutcome(StepStatus.ERROR, str(error)), False
        except Exception as error:  # noqa: BLE001 - a fault in the step itself must not take the run down
            return StepOutcome(StepStatus.ERROR, f"the step crashed: {type(error).__name__}: {error}"), False
