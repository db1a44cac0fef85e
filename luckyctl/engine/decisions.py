"""Whether a task runs, is skipped, blocked, waits or is left to another process — and why.

One set of rules for both ``task plan`` (which predicts) and ``task execute``
(which acts): the scheduler asks when a task's turn comes, with the outcomes
of this run so far; the planner asks with the outcomes it predicts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING

from luckyctl.durations import format_seconds
from luckyctl.engine import consents
from luckyctl.engine.consents import Consent
from luckyctl.engine.leases import LivenessCheck, describe_holder
from luckyctl.engine.strategies import Policy, risk_gate
from luckyctl.evidence.records import EvidencePhase
from luckyctl.model import Roadmap, Task, TaskState
from luckyctl.store import Store, TaskRecord, parse_time

if TYPE_CHECKING:
    import networkx as nx


class Action(str, Enum):
    RUN = "run"
    SKIP = "skip"  # up to date
    BLOCK = "block"  # a dependency is not done, or the risk gate holds
    WAIT = "wait"  # needs a sign-off or an approval first
    HELD = "held"  # another live process runs it (or a dependency outside the selection)
    ADOPT = "adopt"  # another process settled it during this run: take its result


@dataclass(frozen=True)
class Decision:
    action: Action
    reason: str
    state: TaskState  # where the task ends: its state now, or what a successful run leads to
    watch: str | None = None  # HELD: whose lease to wait for
    consent: Consent | None = None  # RUN: the valid sign-off its manual part may use


_DESCRIBED = {
    TaskState.FAILED: "failed",
    TaskState.BLOCKED: "is blocked",
    TaskState.WAITING: "is waiting for a person",
    TaskState.INTERRUPTED: "was interrupted",
    TaskState.RUNNING: "is running",
    TaskState.PENDING: "is pending",
    TaskState.READY: "is pending",
}


def describe_state(state: TaskState | None) -> str:
    return "has not run" if state is None else _DESCRIBED.get(state, state.value)


class Decider:
    """The rules, in order: dependencies, leases, results of other runs, up to date, people, risk, run."""

    def __init__(
        self,
        *,
        roadmap: Roadmap,
        graph: nx.DiGraph,
        selection: Collection[str],
        store: Store,
        policy: Policy,
        spec_hashes: Mapping[str, str],
        force: bool,
        liveness: LivenessCheck | None,
        run_started_at: str | None = None,
        now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        self.roadmap = roadmap
        self.graph = graph
        self.selection = set(selection)
        self.store = store
        self.policy = policy
        self.spec_hashes = spec_hashes
        self.force = force
        self.liveness = liveness
        self.run_started_at = run_started_at
        self.now = now

    def decide(self, task_id: str, record: TaskRecord | None, settled: Mapping[str, TaskState]) -> Decision:
        """What to do with ``task_id`` now; ``settled`` holds this run's outcomes (real or predicted)."""
        task = self.roadmap.tasks[task_id]

        def state_of(other: str) -> TaskState | None:
            if other in settled:
                return settled[other]
            found = self.store.task(other)
            return found.state if found else None

        return (
            self._dependencies(task_id, settled)
            or self._lease(record)
            or self._other_run(record)
            or self._up_to_date(task, record)
            or self._still_waiting(task, record)
            or self._risk(task_id, state_of)
            or self._approval(task)
            or self._run(task, record)
        )

    # -------------------------------------------------------------- rules

    def _dependencies(self, task_id: str, settled: Mapping[str, TaskState]) -> Decision | None:
        for dep in self.graph.predecessors(task_id):
            if dep in self.selection:
                state = settled.get(dep)
                if state is None or not state.is_done:
                    return Decision(Action.BLOCK, f"depends on {dep}, which {describe_state(state)}", TaskState.BLOCKED)
                continue
            record = self.store.task(dep)
            if record is not None and record.state is TaskState.SUCCEEDED:
                continue
            if record is not None and self._held_elsewhere(record):
                reason = f"waits for {dep} (outside the selection), running in {describe_holder(record)}"
                return Decision(Action.HELD, reason, TaskState.PENDING, watch=dep)
            state = record.state if record else None
            return Decision(
                Action.BLOCK,
                f"depends on {dep} (outside the selection), which {describe_state(state)}: "
                "run it first or pass --with-deps",
                TaskState.BLOCKED,
            )
        return None

    def _held_elsewhere(self, record: TaskRecord) -> bool:
        if record.lease_run is None or self.liveness is None or record.lease_run == self.liveness.me.run_id:
            return False
        return not self.liveness.lease_is_stale(record)

    def _lease(self, record: TaskRecord | None) -> Decision | None:
        if record is None or not self._held_elsewhere(record):
            return None
        return Decision(Action.HELD, f"running in {describe_holder(record)}", TaskState.RUNNING, watch=record.task_id)

    def _other_run(self, record: TaskRecord | None) -> Decision | None:
        """A result another process reached while this run went on is this run's result too."""
        if (
            record is None
            or self.run_started_at is None
            or self.liveness is None
            or record.run_id in (None, self.liveness.me.run_id)
            or record.ended_at is None
            or record.state not in (TaskState.SUCCEEDED, TaskState.FAILED, TaskState.WAITING)
            or parse_time(record.ended_at) < parse_time(self.run_started_at)
        ):
            return None
        detail = f": {record.reason}" if record.reason else ""
        return Decision(Action.ADOPT, f"{record.state.value} in run {record.run_id}{detail}", record.state)

    def _up_to_date(self, task: Task, record: TaskRecord | None) -> Decision | None:
        if record is None or record.state is not TaskState.SUCCEEDED or self.force:
            return None
        if record.spec_hash != self.spec_hashes[task.id]:
            return None
        age = self._evidence_age(record)
        if age is None or age > task.evidence.max_age:
            return None
        return Decision(Action.SKIP, f"up to date (evidence {format_seconds(age)} old)", TaskState.SKIPPED)

    def _evidence_age(self, record: TaskRecord) -> float | None:
        stamp = record.last_evidence_at or record.ended_at
        return None if stamp is None else (self.now() - parse_time(stamp)).total_seconds()

    def _still_waiting(self, task: Task, record: TaskRecord | None) -> Decision | None:
        """A waiting task stays waiting, without running again, until a person acts or its spec changes."""
        if record is None or record.state is not TaskState.WAITING:
            return None
        if record.spec_hash not in (None, self.spec_hashes[task.id]):
            return None
        if self.policy.needs_approval(task) and not self._consent(task.id, EvidencePhase.APPROVAL):
            return None  # the approval rule words it
        if consents.needs_signoff(task) and not self._consent(task.id, EvidencePhase.SIGNOFF):
            return Decision(Action.WAIT, record.reason or "waiting for sign-off", TaskState.WAITING)
        return None

    def _risk(self, task_id: str, state_of: Callable[[str], TaskState | None]) -> Decision | None:
        if not self.policy.risk_gate:
            return None
        reason = risk_gate(self.roadmap, task_id, state_of)
        return Decision(Action.BLOCK, reason, TaskState.BLOCKED) if reason else None

    def _approval(self, task: Task) -> Decision | None:
        if not self.policy.needs_approval(task) or self._consent(task.id, EvidencePhase.APPROVAL):
            return None
        why = "approval: true" if task.approval else "it changes things under a protected plan"
        reason = f"needs approval ({why}): luckyctl task approve {task.id} --by NAME"
        return Decision(Action.WAIT, reason, TaskState.WAITING)

    def _run(self, task: Task, record: TaskRecord | None) -> Decision:
        signoff = self._consent(task.id, EvidencePhase.SIGNOFF) if consents.needs_signoff(task) else None
        approval = self._consent(task.id, EvidencePhase.APPROVAL) if self.policy.needs_approval(task) else None
        reasons = [self._why_run(task, record)]
        if approval:
            reasons.append(str(approval))
        expected = TaskState.SUCCEEDED
        if signoff:
            reasons.append(str(signoff))
        elif consents.needs_signoff(task):
            if not (task.steps or task.checks):  # nothing automated to do first: it waits at once
                return Decision(Action.WAIT, consents.waiting_reason(task), TaskState.WAITING)
            reasons.append(f"then {consents.waiting_reason(task)}")
            expected = TaskState.WAITING
        return Decision(Action.RUN, "; ".join(reasons), expected, consent=signoff)

    def _why_run(self, task: Task, record: TaskRecord | None) -> str:
        if record is None:
            return "never ran"
        if record.state is TaskState.SUCCEEDED:
            if record.spec_hash != self.spec_hashes[task.id]:
                return "its spec changed since it succeeded"
            age = self._evidence_age(record)
            if age is None:
                return "its evidence has no date"
            if age > task.evidence.max_age:
                return f"its evidence is {format_seconds(age)} old (max {format_seconds(task.evidence.max_age)})"
            return "--force"
        if record.state is TaskState.WAITING:
            return "waiting; a person has acted"
        detail = f" ({record.reason})" if record.reason else ""
        return f"was {record.state.value}{detail}"

    def _consent(self, task_id: str, kind: EvidencePhase) -> Consent | None:
        return consents.valid_consent(self.store, task_id, kind)
