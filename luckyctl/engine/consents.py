"""Sign-offs and approvals: what a task needs from a person, and whether it has it.

A sign-off or approval counts for the task's next completion: it is valid when
it was recorded after the task last finished (succeeded or failed). So an
approval lets a task run once, and re-running a task (``--force``, a changed
spec, a failure fixed) asks the person again.
"""

from __future__ import annotations

from dataclasses import dataclass

from luckyctl.evidence.records import EvidencePhase
from luckyctl.model import Task
from luckyctl.store import Store, parse_time

NO_WORK_REASON = "no steps or checks: needs sign-off"


@dataclass(frozen=True)
class Consent:
    """A person's sign-off or approval, as its evidence row says."""

    kind: EvidencePhase  # SIGNOFF or APPROVAL
    by: str
    at: str

    def __str__(self) -> str:
        verb = "signed off" if self.kind is EvidencePhase.SIGNOFF else "approved"
        return f"{verb} by {self.by}"


def needs_signoff(task: Task) -> bool:
    """A manual task, a manual step or check, or nothing automated at all: a person decides."""
    return bool(task.manual) or not (task.steps or task.checks) or any(
        step.manual is not None for step in (*task.steps, *task.checks)
    )


def signoff_completes(task: Task) -> bool:
    """Whether a sign-off is the last thing the task needs: no automated step follows its first manual one."""
    items = [*task.steps, *task.checks]
    first_manual = next((index for index, step in enumerate(items) if step.manual is not None), len(items))
    return all(step.manual is not None for step in items[first_manual:])


def waiting_reason(task: Task) -> str:
    """Why the task waits for a person, in one line."""
    if not (task.steps or task.checks or task.manual):
        return NO_WORK_REASON
    if task.manual:
        instruction = task.manual
    else:
        instruction = next(step.manual.instruction for step in (*task.steps, *task.checks) if step.manual is not None)
    first_line = instruction.strip().splitlines()[0] if instruction.strip() else "a person has to act"
    return f"waiting for sign-off: {first_line}"


def last_completion(store: Store, task_id: str) -> str | None:
    """When the task last finished for good (succeeded or failed), or None."""
    rows = store.query(
        "SELECT MAX(ended_at) AS at FROM task_runs WHERE task_id = ? AND state IN ('succeeded', 'failed')",
        (task_id,),
    )
    return rows[0]["at"] if rows else None


def valid_consent(store: Store, task_id: str, kind: EvidencePhase) -> Consent | None:
    """The newest sign-off or approval of the task recorded since its last completion, if any."""
    rows = store.query(
        "SELECT inputs, outputs, operator, ended_at FROM evidence WHERE task_id = ? AND phase = ? ORDER BY seq DESC LIMIT 1",
        (task_id, kind.value),
    )
    if not rows:
        return None
    row = rows[0]
    since = last_completion(store, task_id)
    if since is not None and parse_time(row["ended_at"]) <= parse_time(since):
        return None
    by = _who(row)
    return Consent(kind, by, row["ended_at"])


def _who(row: dict[str, object]) -> str:
    for column in ("inputs", "outputs"):
        values = row.get(column)
        if isinstance(values, dict) and values.get("by"):
            return str(values["by"])
    return str(row.get("operator") or "someone")
