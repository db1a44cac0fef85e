"""``task validate --recheck``: run the checks of done tasks again, live, and record what they find.

Only checks run, never steps: a check reads, a step changes things, and a
gate must not change what it gates. The engine's task runner runs them (same
variables, retries, timeouts, redaction) on a view of the task that has only
its automated checks; their evidence is recorded under phase ``recheck`` with
each check's index in the task, under the task's current spec hash. Manual
checks are not re-run: a person's sign-off stands. A check that reads
``${saved:…}`` from a step cannot resolve it without the step, and fails.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from luckyctl.engine.runner import new_run_id
from luckyctl.engine.spec_hash import spec_hashes
from luckyctl.engine.task_runner import TaskRunner
from luckyctl.errors import LuckyError
from luckyctl.evidence.recorder import EvidenceLog
from luckyctl.evidence.records import EvidencePhase, EvidenceRecord
from luckyctl.model import Plan, Roadmap, Step, StepKind, Task, TaskState
from luckyctl.steps.base import StepContext, StepOutcome
from luckyctl.steps.services import close_services
from luckyctl.store import Lease, Store, utc_now
from luckyctl.variables import Resolver

StepFunction = Callable[[Step, StepContext], StepOutcome]


@dataclass(frozen=True)
class RecheckOutcome:
    """How one task's checks did when run again."""

    task_id: str
    passed: bool
    checks: int
    reason: str | None  # the first check that did not pass, and why


class _RecheckLog(EvidenceLog):
    """Records the view's checks as the task's own: phase ``recheck``, the check's index in the task."""

    def __init__(self, log: EvidenceLog, indexes: Sequence[int]) -> None:
        super().__init__(log.store, log.artifacts, log.redactor, log.operator)
        self._indexes = list(indexes)

    def record(self, *, phase: EvidencePhase | str, step_index: int, **values: Any) -> EvidenceRecord:
        return super().record(phase=EvidencePhase.RECHECK, step_index=self._indexes[step_index], **values)


def _automated_checks(task: Task) -> list[tuple[int, Step]]:
    return [(index, check) for index, check in enumerate(task.checks) if check.kind is not StepKind.MANUAL]


def recheckable(roadmap: Roadmap, store: Store, task_ids: Iterable[str]) -> list[str]:
    """The tasks worth re-checking: done, with at least one automated check."""
    states = store.tasks()
    return [
        task_id
        for task_id in task_ids
        if task_id in states and states[task_id].state.is_done and _automated_checks(roadmap.tasks[task_id])
    ]


def _default_step_function(step: Step, ctx: StepContext) -> StepOutcome:
    from luckyctl.steps import run_step

    return run_step(step, ctx)


def recheck(
    roadmap: Roadmap,
    plan: Plan,
    evidence_log: EvidenceLog,
    task_ids: Iterable[str],
    *,
    workdir: Path,
    secrets: Callable[[str], str] | None = None,
    step_function: StepFunction = _default_step_function,
    transport: Any = None,
    sleep: Callable[[float], Any] | None = None,
    services: dict[str, Any] | None = None,
) -> list[RecheckOutcome]:
    """Run the automated checks of ``task_ids`` (see ``recheckable``) one task after another.

    ``secrets`` resolves ``${secret:…}``; every value it returns is taught to
    the evidence log's redactor before any check can print it. ``services``
    (clients the checks share) are closed at the end.
    """
    services = {} if services is None else services
    ids = list(task_ids)
    hashes = spec_hashes(roadmap, plan, ids)
    redactor = evidence_log.redactor

    def secret(name: str) -> str:
        if secrets is None:
            raise LuckyError(f"secret '{name}' requested but no secrets are configured")
        value = secrets(name)
        redactor.add(value, name)
        return value

    for name, source in plan.secrets.items():  # known before anything is printed, as in a run
        if secrets is not None and (source.env or source.file):
            try:
                secret(name)
            except LuckyError:
                continue
    cancel = threading.Event()
    run_id = new_run_id()
    outcomes = []
    for task_id in ids:
        task = roadmap.tasks[task_id]
        checks = _automated_checks(task)
        runner = TaskRunner(
            plan=plan,
            step_runner=step_function,
            evidence_log=_RecheckLog(evidence_log, [index for index, _ in checks]),
            redactor=redactor,
            new_resolver=lambda: Resolver(plan.vars, secrets=secret),
            workdir=workdir,
            cancel=cancel,
            emit=lambda event: None,
            sleep=sleep or cancel.wait,
            transport=transport,
            services=services,
        )
        view = task.model_copy(update={"steps": [], "checks": [check for _, check in checks], "manual": None})
        result = runner.run(view, Lease(task_id, run_id, 0, 0, utc_now()), spec_hash=hashes[task_id], signoff=None)
        passed = result.state is TaskState.SUCCEEDED
        outcomes.append(RecheckOutcome(task_id, passed, len(checks), None if passed else result.reason))
    close_services(services)
    return outcomes
