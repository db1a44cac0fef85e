"""What people do to tasks between runs: sign off, approve, reset.

Each records its evidence or audit row first, then changes the task's state
in one transaction that respects leases: a task some live run holds is never
changed under it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from luckyctl.engine import consents
from luckyctl.engine.leases import Holder, LivenessCheck, describe_holder, reap
from luckyctl.engine.spec_hash import task_spec_hash
from luckyctl.errors import InputError, SelectorError
from luckyctl.model import Plan, Roadmap, Task, TaskState
from luckyctl.store import Store

if TYPE_CHECKING:
    from luckyctl.evidence.recorder import EvidenceLog

SIGNOFF_RUN = "signoff"  # the run id of the history row a completing sign-off adds


@dataclass(frozen=True)
class PersonResult:
    """What a sign-off, approval or reset did, for the CLI to say."""

    task_ids: list[str]
    message: str
    state: TaskState | None = None  # the task's state afterwards, when it changed
    evidence_seq: int | None = None


def _task(roadmap: Roadmap, task_id: str) -> Task:
    from luckyctl.selectors import unknown_id_message

    if task_id not in roadmap.tasks:
        raise SelectorError(unknown_id_message(task_id, list(roadmap.tasks)))
    return roadmap.tasks[task_id]


def sign_off(
    *,
    roadmap: Roadmap,
    plan: Plan,
    store: Store,
    evidence_log: EvidenceLog,
    task_id: str,
    by: str,
    note: str | None = None,
    attachments: Sequence[Path] = (),
) -> PersonResult:
    """Record a person's sign-off; a task that waited only for it becomes ``succeeded``."""
    task = _task(roadmap, task_id)
    if not consents.needs_signoff(task):
        raise InputError(f"{task_id} has no manual part (no 'manual', no manual step): there is nothing to sign off")
    required = max((step.manual.attachments_required for step in (*task.steps, *task.checks) if step.manual), default=0)
    if len(attachments) < required:
        raise InputError(f"{task_id} needs {required} attachment(s) with its sign-off (--attach FILE), got {len(attachments)}")
    record = store.task(task_id)
    spec_hash = task_spec_hash(task, plan)
    evidence = evidence_log.record_signoff(
        task_id,
        by,
        note,
        attachments,
        run_id=record.run_id if record else None,
        spec_hash=spec_hash,
        attempt=record.attempts if record else 0,
    )
    store.audit("signoff", actor=evidence.inputs.get("by"), task_id=task_id, evidence_seq=evidence.seq)
    reason = f"signed off by {evidence.inputs.get('by')}"
    waited_for_this = (
        record is not None
        and record.state is TaskState.WAITING
        and record.spec_hash == spec_hash
        and consents.signoff_completes(task)
    )
    if waited_for_this and record is not None:
        done = store.set_state_unleased(
            task_id,
            TaskState.SUCCEEDED,
            seen=record.updated_at,
            history_run=record.run_id or SIGNOFF_RUN,
            reason=reason,
            # A task that waited without running anything began this attempt when it started to wait.
            started_at=record.started_at or record.updated_at,
            ended_at=evidence.ended_at,
            last_evidence_at=evidence.ended_at,
            spec_hash=spec_hash,
        )
        if done:
            return PersonResult([task_id], f"{task_id} {reason}: succeeded", TaskState.SUCCEEDED, evidence.seq)
    return PersonResult([task_id], f"{task_id} {reason}: the next execute goes on from there", None, evidence.seq)


def approve(*, roadmap: Roadmap, plan: Plan, store: Store, evidence_log: EvidenceLog, task_id: str, by: str) -> PersonResult:
    """Record an approval; a task that waited for it goes back to ``pending`` for the next execute."""
    task = _task(roadmap, task_id)
    record = store.task(task_id)
    spec_hash = task_spec_hash(task, plan)
    evidence = evidence_log.record_approval(
        task_id, by, run_id=record.run_id if record else None, spec_hash=spec_hash, attempt=record.attempts if record else 0
    )
    who = evidence.inputs.get("by")
    store.audit("approve", actor=who, task_id=task_id, evidence_seq=evidence.seq)
    if (
        record is not None
        and record.state is TaskState.WAITING
        and store.set_state_unleased(task_id, TaskState.PENDING, seen=record.updated_at, reason=f"approved by {who}")
    ):
        message = f"{task_id} approved by {who}: it runs on the next execute"
        return PersonResult([task_id], message, TaskState.PENDING, evidence.seq)
    return PersonResult([task_id], f"{task_id} approved by {who}", None, evidence.seq)


def reset(*, store: Store, task_ids: Sequence[str], actor: str | None = None) -> PersonResult:
    """Forget the state of tasks so they run again; history and evidence stay.

    Refuses (changing nothing) while a live process holds any of them.
    """
    liveness = LivenessCheck(Holder.current("(reset)"))
    reap(store, liveness)
    wanted = set(task_ids)
    held = [record for record in store.leased() if record.task_id in wanted]
    if held:
        shown = "; ".join(f"{record.task_id} is running in {describe_holder(record)}" for record in held)
        raise InputError(f"{shown}: stop that run or wait for it; nothing was reset")
    states = store.tasks()
    known = [task_id for task_id in task_ids if task_id in states]
    store.forget(list(task_ids))
    store.audit("reset", actor=actor, tasks=known)
    message = f"reset {len(known)} task(s)" + (f": {', '.join(known)}" if known else " (none had a state)")
    return PersonResult(known, message, TaskState.PENDING if known else None)
