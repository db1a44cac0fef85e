"""The loop of a run: take ready tasks from the frontier, decide, lease, run them on a thread pool.

The loop runs on the calling thread and is the only one that decides and
settles; workers only run tasks and write their end state together with the
lease. A task another live process holds is put aside and looked at again
every poll, so it is never run twice and its result becomes this run's.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any

from luckyctl.engine.decisions import Action, Decider, Decision, describe_state
from luckyctl.engine.events import (
    Cancelling,
    Event,
    StoryGate,
    TaskFinished,
    TaskHeld,
    TaskStarted,
    WaveStarted,
)
from luckyctl.engine.frontier import Frontier
from luckyctl.engine.leases import Holder, LivenessCheck, reap
from luckyctl.engine.selection import Selection
from luckyctl.engine.strategies import Policy
from luckyctl.engine.task_runner import TaskRunner
from luckyctl.model import Roadmap, TaskState
from luckyctl.store import Lease, Store, TaskRecord

STOPPED_REASON = "interrupted: the run was stopped"


@dataclass(frozen=True)
class TaskOutcome:
    """How a task ended in this run."""

    task_id: str
    state: TaskState
    reason: str | None
    duration_s: float
    ran: bool


@dataclass
class LoopResult:
    outcomes: dict[str, TaskOutcome] = field(default_factory=dict)  # in the order they settled
    cancelled: bool = False
    stranded: bool = False  # workers still busy after the grace period


class Scheduler:
    """One run's loop. Not reusable: build one per run."""

    def __init__(
        self,
        *,
        roadmap: Roadmap,
        selection: Selection,
        decider: Decider,
        policy: Policy,
        store: Store,
        holder: Holder,
        liveness: LivenessCheck,
        task_runner: TaskRunner,
        spec_hashes: dict[str, str],
        emit: Callable[[Event], None],
        cancel_requested: Callable[[], bool],
        clock: Callable[[], float] = time.monotonic,
        grace_s: float = 5.0,
        poll_s: float = 0.05,
        reap_every_s: float = 1.0,
    ) -> None:
        self.roadmap = roadmap
        self.selection = selection
        self.decider = decider
        self.policy = policy
        self.store = store
        self.holder = holder
        self.liveness = liveness
        self.task_runner = task_runner
        self.spec_hashes = spec_hashes
        self.emit = emit
        self.cancel_requested = cancel_requested
        self.clock = clock
        self.grace_s = grace_s
        self.poll_s = poll_s
        self.reap_every_s = reap_every_s

        self.frontier = Frontier(selection.subgraph, policy.priorities(selection.subgraph), selection.waves)
        self.settled: dict[str, TaskState] = {}
        self.result = LoopResult()
        self.running: dict[Future[TaskOutcome], str] = {}
        self.held: dict[str, str] = {}  # task → the task whose lease it waits for
        self.announced_held: set[str] = set()
        self.stopping = False
        self._wave_announced = -1
        self._last_reap = clock()
        self._story_of = {task_id: roadmap.story_of(task_id).id for task_id in selection.task_ids}
        self._story_tasks: dict[str, list[str]] = {}
        for task_id, story_id in self._story_of.items():
            self._story_tasks.setdefault(story_id, []).append(task_id)
        self._story_unsettled = {story_id: len(members) for story_id, members in self._story_tasks.items()}

    # -------------------------------------------------------------- the loop

    def run(self) -> LoopResult:
        pool = ThreadPoolExecutor(max_workers=self.policy.capacity, thread_name_prefix="luckyctl-task")
        try:
            self._loop(pool)
        except KeyboardInterrupt:
            self.result.cancelled = True
        except BaseException:
            self._wind_down(cancel_reason="the run failed")
            pool.shutdown(wait=not self.result.stranded, cancel_futures=True)
            raise
        if self.result.cancelled:
            self._wind_down(cancel_reason="interrupted")
        elif self.stopping:
            self._block_behind_failures()
        pool.shutdown(wait=not self.result.stranded, cancel_futures=True)
        return self.result

    def _loop(self, pool: ThreadPoolExecutor) -> None:
        while True:
            if self.cancel_requested():
                self.result.cancelled = True
                return
            if not self.stopping:
                self._dispatch(pool)
            if not self.running and not self.held:
                return  # everything settled, or the run stops at a failure
            if not self.running:  # only tasks held elsewhere: look again after a pause
                time.sleep(self.poll_s)
            done, _ = wait(self.running, timeout=self.poll_s, return_when=FIRST_COMPLETED)
            for future in done:
                self._settle(self.running.pop(future), future.result())
            if self.held:
                self._recheck_held()

    def _busy(self) -> int:
        return len(self.running) + (len(self.held) if self.policy.sequential else 0)

    def _dispatch(self, pool: ThreadPoolExecutor) -> None:
        while self._busy() < self.policy.capacity and not self.stopping:
            task_id = self.frontier.pop()
            if task_id is None:
                return
            self._announce_wave()
            record = self.store.task(task_id)
            decision = self.decider.decide(task_id, record, self.settled)
            self._audit("decide", task_id, decision=decision.action.value, reason=decision.reason)
            if decision.action is Action.HELD:
                self._hold(task_id, decision)
            elif decision.action is Action.RUN:
                self._start(pool, task_id, record, decision)
            else:
                self._settle_unrun(task_id, record, decision)

    def _announce_wave(self) -> None:
        if self.selection.waves is None or self.frontier.wave == self._wave_announced:
            return
        self._wave_announced = self.frontier.wave
        self.emit(WaveStarted(index=self.frontier.wave + 1, tasks=self.selection.waves[self.frontier.wave]))

    # -------------------------------------------------------------- starting and holding

    def _start(self, pool: ThreadPoolExecutor, task_id: str, record: TaskRecord | None, decision: Decision) -> None:
        lease = self.store.acquire_lease(
            task_id,
            self.holder.run_id,
            self.holder.pid,
            self.holder.host,
            seen=record.updated_at if record else None,
            spec_hash=self.spec_hashes[task_id],
        )
        if lease is None:  # someone changed the task since we read it: look again next poll
            self.held[task_id] = task_id
            return
        future = pool.submit(self._work, task_id, lease, decision)
        self.running[future] = task_id

    def _hold(self, task_id: str, decision: Decision) -> None:
        self.held[task_id] = decision.watch or task_id
        if task_id not in self.announced_held:
            self.announced_held.add(task_id)
            self.emit(TaskHeld(task_id=task_id, holder=decision.reason))

    def _recheck_held(self) -> None:
        if self.clock() - self._last_reap >= self.reap_every_s:
            self._last_reap = self.clock()
            reap(self.store, self.liveness)
        for task_id, watched in list(self.held.items()):
            record = self.store.task(watched)
            if record is None or record.lease_run is None or self.liveness.lease_is_stale(record):
                del self.held[task_id]
                self.frontier.push(task_id)

    def _work(self, task_id: str, lease: Lease, decision: Decision) -> TaskOutcome:
        """On a worker thread: run the task, then write its end state and drop the lease in one go."""
        task = self.roadmap.tasks[task_id]
        started = self.clock()
        self.emit(TaskStarted(task_id=task_id, title=task.title, attempt=lease.attempt, reason=decision.reason))
        result = self.task_runner.run(task, lease, spec_hash=self.spec_hashes[task_id], signoff=decision.consent)
        duration = round(self.clock() - started, 3)
        values: dict[str, Any] = {"last_evidence_at": result.evidence_at} if result.evidence_at else {}
        reason = result.reason
        if not self.store.release_lease(lease, result.state, reason=reason, duration_s=duration, **values):
            reason = f"{reason or result.state.value} (not recorded: another process took the task over)"
        return TaskOutcome(task_id, result.state, reason, duration, ran=True)

    # -------------------------------------------------------------- settling

    def _settle_unrun(self, task_id: str, record: TaskRecord | None, decision: Decision) -> None:
        if decision.action in (Action.BLOCK, Action.WAIT) and not _already(record, decision):
            written = self.store.set_state_unleased(
                task_id,
                decision.state,
                seen=record.updated_at if record else None,
                reason=decision.reason,
                spec_hash=self.spec_hashes[task_id],
            )
            if not written:  # it changed under us: decide again next poll
                self.held[task_id] = task_id
                return
        self._settle(task_id, TaskOutcome(task_id, decision.state, decision.reason, 0.0, ran=False))

    def _settle(self, task_id: str, outcome: TaskOutcome) -> None:
        self.settled[task_id] = outcome.state
        self.result.outcomes[task_id] = outcome
        self.frontier.settle(task_id)
        self.emit(
            TaskFinished(
                task_id=task_id, state=outcome.state, reason=outcome.reason, duration_s=outcome.duration_s, ran=outcome.ran
            )
        )
        if outcome.ran:
            self._audit("outcome", task_id, state=outcome.state.value, reason=outcome.reason)
        if outcome.state is TaskState.FAILED and self.policy.stop_on_failure:
            self.stopping = True
        self._story_gate(task_id)

    def _story_gate(self, task_id: str) -> None:
        if not self.policy.story_gates:
            return
        story_id = self._story_of[task_id]
        self._story_unsettled[story_id] -= 1
        if self._story_unsettled[story_id] == 0:
            passed = all(self.settled[member].is_done for member in self._story_tasks[story_id])
            self.emit(StoryGate(story_id=story_id, passed=passed))

    # -------------------------------------------------------------- stopping

    def _block_behind_failures(self) -> None:
        """The run stopped at a failure: what depends on it is blocked; the rest stays as it was."""
        from luckyctl import graph as graphs

        for task_id in graphs.topological_order(self.selection.subgraph):
            if task_id in self.settled:
                continue
            cause = next(
                (
                    dep
                    for dep in self.selection.graph.predecessors(task_id)
                    if self.settled.get(dep) in (TaskState.FAILED, TaskState.BLOCKED)
                ),
                None,
            )
            if cause is not None:
                record = self.store.task(task_id)
                reason = f"depends on {cause}, which {describe_state(self.settled[cause])}"
                self._settle_unrun(task_id, record, Decision(Action.BLOCK, reason, TaskState.BLOCKED))

    def _wind_down(self, *, cancel_reason: str) -> None:
        """Let running tasks end within the grace period, then mark what was cut ``interrupted``."""
        if self.running:
            self.emit(Cancelling(reason=cancel_reason, grace_s=self.grace_s))
        self.task_runner.cancel.set()
        done, not_done = wait(self.running, timeout=self.grace_s) if self.running else (set(), set())
        for future in done:
            task_id = self.running.pop(future)
            try:
                self._settle(task_id, future.result())
            except Exception:  # noqa: BLE001 - a worker that failed while the run stops: its task was cut
                not_done.add(future)
                self.running[future] = task_id
        cut = {self.running[future] for future in not_done}
        # Every lease this run still holds belongs to a task that was cut (or whose worker failed).
        self.store.reap_stale_leases(lambda record: record.lease_run == self.holder.run_id, reason=STOPPED_REASON)
        for task_id in sorted(cut):
            self._settle(task_id, TaskOutcome(task_id, TaskState.INTERRUPTED, STOPPED_REASON, 0.0, ran=True))
        self.result.stranded = any(not future.done() for future in not_done)
        self.running.clear()

    def _audit(self, what: str, task_id: str, **detail: Any) -> None:
        if self.policy.audited:
            self.store.audit(what, actor=self.holder.host, run_id=self.holder.run_id, task_id=task_id, **detail)


def _already(record: TaskRecord | None, decision: Decision) -> bool:
    """The store already says this (a waiting task staying waiting): no write needed."""
    return record is not None and record.state is decision.state and record.reason == decision.reason
