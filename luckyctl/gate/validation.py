"""Whether each task's evidence proves it done: state, every step and check, sign-offs, age, spec, chain.

A task passes when it is ``succeeded`` and its latest successful run left a
passing record for every declared step and check (a newer ``recheck`` record
of a check counts instead), manual tasks have their sign-off (and
``approval: true`` tasks under a protected plan their approval), the
verification evidence is younger than ``max_age``, every record was taken
under the task's current spec hash, and the chain vouches for the task's
records and their artifacts. Each failed condition is one ``Finding``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from luckyctl.engine import consents
from luckyctl.evidence.artifacts import ArtifactState, ArtifactStore
from luckyctl.evidence.chain import ChainProblem, Problem
from luckyctl.evidence.records import EvidencePhase, EvidenceRecord, record_at
from luckyctl.gate.evidence_index import EvidenceIndex
from luckyctl.gate.findings import Finding, ReasonKind, chain_finding
from luckyctl.loader.roadmap_lint import step_key
from luckyctl.model import Plan, Roadmap, Step, StepKind, Strategy, Task, TaskState
from luckyctl.store import Store, TaskRecord, parse_time

_ARTIFACT_PROBLEMS = (Problem.ARTIFACT_MISSING, Problem.ARTIFACT_CORRUPT)


def short_duration(seconds: float) -> str:
    """``1.5s``, ``42s``, ``3m20s``, ``5h``, ``8d``, ``1d12h``: at most two units, zeros left out."""
    if seconds < 60:
        return f"{round(seconds, 1):g}s"
    for unit, size, smaller, smaller_size in (("d", 86400, "h", 3600), ("h", 3600, "m", 60), ("m", 60, "s", 1)):
        if seconds >= size:
            whole, rest = divmod(int(seconds), size)
            part = rest // smaller_size
            return f"{whole}{unit}" + (f"{part}{smaller}" if part else "")
    raise AssertionError("unreachable")  # pragma: no cover


def describe_chain_problem(problem: ChainProblem, store: Store, artifacts: ArtifactStore) -> Finding:
    """The finding of a chain problem; an artifact's problem names the artifact's hash."""
    if problem.problem not in _ARTIFACT_PROBLEMS or problem.seq is None:
        return chain_finding(problem)
    return chain_finding(problem, _bad_artifact(problem, problem.seq, store, artifacts))


def _bad_artifact(problem: ChainProblem, seq: int, store: Store, artifacts: ArtifactStore) -> tuple[str, str] | None:
    """The (name, sha256) of the artifact a problem is about."""
    record = record_at(store, seq)
    if record is None:
        return None
    wanted = ArtifactState.MISSING if problem.problem is Problem.ARTIFACT_MISSING else ArtifactState.CORRUPT
    for name, digest in sorted(record.artifacts.items()):
        if f"'{name}'" in problem.detail and artifacts.check(digest) is wanted:
            return name, digest
    return None


@dataclass(frozen=True)
class EvidenceRef:
    """A record a verdict rests on, as reports show it."""

    seq: int
    phase: EvidencePhase
    name: str | None
    status: str
    ended_at: str
    age_s: float

    @classmethod
    def of(cls, record: EvidenceRecord, now: dt.datetime) -> EvidenceRef:
        age = (now - parse_time(record.ended_at)).total_seconds()
        return cls(record.seq, record.phase, record.name, record.status.value, record.ended_at, age)

    def to_json(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "phase": self.phase.value,
            "name": self.name,
            "status": self.status,
            "ended_at": self.ended_at,
            "age_s": round(self.age_s, 3),
        }


@dataclass(frozen=True)
class TaskVerdict:
    """One task's gate result: passed when there is no finding."""

    task_id: str
    title: str
    epic_id: str
    story_id: str
    state: TaskState | None  # None: the store has never seen the task
    findings: tuple[Finding, ...]
    evidence: tuple[EvidenceRef, ...]

    @property
    def passed(self) -> bool:
        return not self.findings

    @property
    def reason(self) -> str | None:
        """Every reason in one line (JUnit failure message, table cell)."""
        return "; ".join(finding.message for finding in self.findings) or None

    @property
    def unfinished(self) -> bool:
        """Failing only because the work is not done yet (checklists call that pending)."""
        return bool(self.findings) and all(finding.kind.unfinished for finding in self.findings)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.task_id,
            "title": self.title,
            "epic": self.epic_id,
            "story": self.story_id,
            "state": self.state.value if self.state else None,
            "passed": self.passed,
            "reason": self.reason,
            "findings": [finding.to_json() for finding in self.findings],
            "evidence": [ref.to_json() for ref in self.evidence],
        }


@dataclass(frozen=True)
class _Attempt:
    """The task's latest successful run: which records belong to it, and which consents count for it."""

    run_id: str | None
    started_at: dt.datetime | None
    ended_at: dt.datetime | None
    previous_completion: dt.datetime | None  # the run before it that finished (succeeded or failed)

    def started_before(self, record: EvidenceRecord) -> bool:
        return self.started_at is None or parse_time(record.started_at) >= self.started_at

    def holds(self, record: EvidenceRecord) -> bool:
        return record.run_id == self.run_id and self.started_before(record)

    def consent_window(self, record: EvidenceRecord, *, until: dt.datetime | None) -> bool:
        """A sign-off or approval given for this run: after the previous completion, not after ``until``."""
        at = parse_time(record.ended_at)
        after = self.previous_completion is None or at > self.previous_completion
        return after and (until is None or at <= until)


@dataclass
class TaskValidator:
    """Validates tasks of one roadmap and plan against one store, at one instant."""

    roadmap: Roadmap
    plan: Plan
    store: Store
    artifacts: ArtifactStore
    index: EvidenceIndex
    spec_hashes: Mapping[str, str]
    now: dt.datetime
    max_age: float | None = None  # seconds; None: each task's evidence.max_age

    def __post_init__(self) -> None:
        self._states = self.store.tasks()

    def validate(self, task_ids: Iterable[str]) -> list[TaskVerdict]:
        return [self.verdict(task_id) for task_id in task_ids]

    def verdict(self, task_id: str) -> TaskVerdict:
        task = self.roadmap.tasks[task_id]
        record = self._states.get(task_id)
        findings = [
            describe_chain_problem(problem, self.store, self.artifacts) for problem in self.index.problems_of(task_id)
        ]
        counted: list[EvidenceRecord] = []
        state_findings = self._state_findings(task, record)
        findings += state_findings
        if record is not None and not state_findings:
            counted, evidence_findings = self._evidence_findings(task, record)
            findings += evidence_findings
        return TaskVerdict(
            task_id=task_id,
            title=task.title,
            epic_id=self.roadmap.epic_of(task_id).id,
            story_id=self.roadmap.story_of(task_id).id,
            state=record.state if record else None,
            findings=tuple(findings),
            evidence=tuple(EvidenceRef.of(item, self.now) for item in sorted(counted, key=lambda item: item.seq)),
        )

    # -------------------------------------------------------------- the task's state

    def _state_findings(self, task: Task, record: TaskRecord | None) -> list[Finding]:
        state = record.state if record else None
        reason = (record.reason if record else None) or ""

        def finding(kind: ReasonKind, message: str) -> list[Finding]:
            return [Finding(kind, message, task.id)]

        if state is None or state in (TaskState.PENDING, TaskState.READY):
            unfinished = self._unfinished_dependencies(task)
            return finding(
                ReasonKind.NOT_RUN, "not run" + (f" (waits for {_listed(unfinished)})" if unfinished else "")
            )
        if state is TaskState.RUNNING:
            return finding(ReasonKind.RUNNING, "running: the run has not finished")
        if state is TaskState.WAITING:
            return finding(
                ReasonKind.WAITING, reason if reason.startswith("waiting") else f"waiting: {reason or 'for a person'}"
            )
        if state is TaskState.BLOCKED:
            unfinished = self._unfinished_dependencies(task)
            return finding(
                ReasonKind.BLOCKED, f"blocked by {_listed(unfinished)}" if unfinished else f"blocked: {reason}"
            )
        if state is TaskState.FAILED:
            return finding(ReasonKind.FAILED, f"failed: {reason or 'no reason recorded'}")
        if state is TaskState.INTERRUPTED:
            return finding(ReasonKind.INTERRUPTED, f"interrupted: {reason or 'the run was cut off'}")
        return []

    def _unfinished_dependencies(self, task: Task) -> list[tuple[str, str]]:
        """(dependency, its state) of every dependency that is not done."""
        found: list[tuple[str, str]] = []
        for dep in task.depends_on:
            for dep_task in self.roadmap.tasks_under(dep):
                dep_record = self._states.get(dep_task)
                if dep_record is None or not dep_record.state.is_done:
                    found.append((dep_task, dep_record.state.value if dep_record else "not run"))
        return list(dict.fromkeys(found))

    # -------------------------------------------------------------- the evidence

    def _attempt(self, record: TaskRecord) -> _Attempt:
        started = parse_time(record.started_at) if record.started_at else None
        completions = [
            parse_time(row["ended_at"])
            for row in self.store.task_runs(record.task_id)
            if row["state"] in (TaskState.SUCCEEDED.value, TaskState.FAILED.value) and row["ended_at"]
        ]
        previous = max((at for at in completions if started is None or at < started), default=None)
        ended = parse_time(record.ended_at) if record.ended_at else None
        return _Attempt(record.run_id, started, ended, previous)

    def _evidence_findings(self, task: Task, record: TaskRecord) -> tuple[list[EvidenceRecord], list[Finding]]:
        attempt = self._attempt(record)
        records = self.index.records(task.id)
        in_attempt = [item for item in records if attempt.holds(item)]
        # A recheck taken since the run started stands for the run's own record of that check.
        rechecks = [item for item in records if item.phase is EvidencePhase.RECHECK and attempt.started_before(item)]
        findings: list[Finding] = []
        steps = self._declared(task.id, task.steps, "steps", _of(in_attempt, EvidencePhase.STEP), findings)
        checks = self._declared(
            task.id, task.checks, "checks", [*_of(in_attempt, EvidencePhase.CHECK), *rechecks], findings
        )
        consents_counted = self._consents(task, attempt, records, findings)
        verification = checks or steps or consents_counted
        counted = [*steps, *checks, *consents_counted]
        findings += self._stale(task, record, counted)
        findings += self._expired(task, verification)
        return counted, findings

    def _declared(
        self,
        task_id: str,
        declared: Sequence[Step],
        section: str,  # "steps" or "checks"
        candidates: Sequence[EvidenceRecord],
        findings: list[Finding],
    ) -> list[EvidenceRecord]:
        """The newest record of each declared automated step or check; a finding for each that did not pass."""
        counted: list[EvidenceRecord] = []
        for index, step in enumerate(declared):
            if step.kind is StepKind.MANUAL:  # a person's sign-off stands for it
                continue
            newest = max(
                (item for item in candidates if item.step_index == index), key=lambda item: item.seq, default=None
            )
            what = f"{section[:-1]} '{step.label}'"
            where = step_key(task_id, section, index)
            if newest is not None and newest.passed:
                counted.append(newest)
            elif newest is not None and newest.phase is EvidencePhase.RECHECK:
                summary = f": {newest.summary}" if newest.summary else ""
                message = f"{what} failed on recheck (record {newest.seq}){summary}"
                findings.append(Finding(ReasonKind.RECHECK_FAILED, message, task_id, newest.seq, where))
            else:
                message = f"{what} has no passing evidence"
                findings.append(Finding(ReasonKind.MISSING_EVIDENCE, message, task_id, location_key=where))
        return counted

    def _consents(
        self, task: Task, attempt: _Attempt, records: Sequence[EvidenceRecord], findings: list[Finding]
    ) -> list[EvidenceRecord]:
        counted: list[EvidenceRecord] = []
        if consents.needs_signoff(task):
            signoff = _newest(records, EvidencePhase.SIGNOFF, attempt, until=attempt.ended_at or self.now)
            if signoff is None:
                findings.append(
                    Finding(
                        ReasonKind.NO_SIGNOFF,
                        f"no sign-off recorded: luckyctl task signoff {task.id} --by NAME",
                        task.id,
                    )
                )
            else:
                counted.append(signoff)
        if task.approval and (self.plan.protected or self._run_strategy(attempt.run_id) == Strategy.ENTERPRISE.value):
            approval = _newest(records, EvidencePhase.APPROVAL, attempt, until=attempt.started_at or attempt.ended_at)
            if approval is None:
                findings.append(
                    Finding(
                        ReasonKind.NO_APPROVAL,
                        "no approval recorded before it ran (approval: true, under a protected plan or enterprise)",
                        task.id,
                    )
                )
            else:
                counted.append(approval)
        return counted

    def _run_strategy(self, run_id: str | None) -> str | None:
        rows = self.store.query("SELECT strategy FROM runs WHERE id = ?", (run_id,)) if run_id else []
        return rows[0]["strategy"] if rows else None

    def _stale(self, task: Task, record: TaskRecord, counted: Sequence[EvidenceRecord]) -> list[Finding]:
        current = self.spec_hashes[task.id]
        other = [item for item in counted if item.spec_hash != current]
        if other:
            seqs = ", ".join(str(item.seq) for item in other)
            word = "record" if len(other) == 1 else "records"
            return [
                Finding(ReasonKind.STALE, f"stale: spec changed since evidence ({word} {seqs})", task.id, other[0].seq)
            ]
        if record.spec_hash not in (None, current):
            return [Finding(ReasonKind.STALE, "stale: spec changed since the task succeeded", task.id)]
        return []

    def _expired(self, task: Task, verification: Sequence[EvidenceRecord]) -> list[Finding]:
        if not verification:
            return []
        oldest = min(verification, key=lambda item: parse_time(item.ended_at))
        age = (self.now - parse_time(oldest.ended_at)).total_seconds()
        limit = self.max_age if self.max_age is not None else task.evidence.max_age
        if age <= limit:
            return []
        message = f"evidence expired ({short_duration(age)} old, max {short_duration(limit)}): record {oldest.seq}"
        return [Finding(ReasonKind.EXPIRED, message, task.id, oldest.seq)]


def _newest(
    records: Sequence[EvidenceRecord], phase: EvidencePhase, attempt: _Attempt, *, until: dt.datetime | None
) -> EvidenceRecord | None:
    matching = [
        item for item in records if item.phase is phase and item.passed and attempt.consent_window(item, until=until)
    ]
    return max(matching, key=lambda item: item.seq, default=None)


def _of(records: Sequence[EvidenceRecord], phase: EvidencePhase) -> list[EvidenceRecord]:
    return [item for item in records if item.phase is phase]


def _listed(dependencies: Sequence[tuple[str, str]]) -> str:
    """``A (failed), B (not run)``."""
    return ", ".join(f"{dep} ({state})" for dep, state in dependencies)
