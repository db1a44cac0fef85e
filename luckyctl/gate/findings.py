"""Why a gate fails: the kinds of reasons, one finding per reason, and the chain's problems as findings.

Every renderer reads these: the kind is the SARIF rule and the stable part of
a fingerprint, the message is what a person reads (JUnit failure message,
``::error`` annotation, table cell).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any

from luckyctl.evidence.chain import ChainProblem, Problem


class ReasonKind(str, Enum):
    """What kind of reason a finding gives; one SARIF rule each."""

    NOT_RUN = "not-run"
    RUNNING = "running"
    WAITING = "waiting"
    BLOCKED = "blocked"
    FAILED = "failed"
    INTERRUPTED = "interrupted"
    MISSING_EVIDENCE = "missing-evidence"
    RECHECK_FAILED = "recheck-failed"
    EXPIRED = "expired"
    STALE = "stale"
    NO_SIGNOFF = "no-signoff"
    NO_APPROVAL = "no-approval"
    RECORD_EDITED = "record-edited"
    RECORD_DELETED = "record-deleted"
    RECORD_REORDERED = "record-reordered"
    RECORD_MALFORMED = "record-malformed"
    CHAIN_TRUNCATED = "chain-truncated"
    ARTIFACT_MISSING = "artifact-missing"
    ARTIFACT_ALTERED = "artifact-altered"
    KPI_FAILED = "kpi-failed"
    CHECKLIST_NOT_DONE = "checklist-not-done"

    @property
    def unfinished(self) -> bool:
        """The work is not done yet (as opposed to done and failed, or its proof broken)."""
        return self in _UNFINISHED

    @property
    def short_description(self) -> str:
        return _RULES[self][0]

    @property
    def full_description(self) -> str:
        return _RULES[self][1]


_UNFINISHED = frozenset({ReasonKind.NOT_RUN, ReasonKind.RUNNING, ReasonKind.WAITING, ReasonKind.BLOCKED})

# kind → (title, what it means and what to do)
_RULES: dict[ReasonKind, tuple[str, str]] = {
    ReasonKind.NOT_RUN: ("Task not run", "The task has not run on this plan: run `luckyctl task execute`."),
    ReasonKind.RUNNING: ("Task still running", "The task is running right now; validate when the run has ended."),
    ReasonKind.WAITING: (
        "Task waiting for a person",
        "The task waits for a sign-off or an approval: `luckyctl task signoff` / `luckyctl task approve`.",
    ),
    ReasonKind.BLOCKED: ("Task blocked", "A dependency of the task is not done, so the task did not run."),
    ReasonKind.FAILED: ("Task failed", "The task's last run failed; the message gives the step and why."),
    ReasonKind.INTERRUPTED: ("Task interrupted", "The task's last run was cut off; run it again."),
    ReasonKind.MISSING_EVIDENCE: (
        "Evidence missing",
        "A declared step or check has no passing evidence record from the task's latest successful run.",
    ),
    ReasonKind.RECHECK_FAILED: ("Check failed on recheck", "A check re-run live by `--recheck` did not pass."),
    ReasonKind.EXPIRED: (
        "Evidence expired",
        "The evidence is older than the task's evidence.max_age (or --max-age): run the task or --recheck.",
    ),
    ReasonKind.STALE: (
        "Evidence stale",
        "The task's spec changed since its evidence was taken: run the task again.",
    ),
    ReasonKind.NO_SIGNOFF: ("Sign-off missing", "A manual task has no sign-off record for its latest run."),
    ReasonKind.NO_APPROVAL: (
        "Approval missing",
        "A task with approval: true ran under a protected plan without an approval record.",
    ),
    ReasonKind.RECORD_EDITED: (
        "Evidence record edited",
        "An evidence record's content no longer matches its hash: it was changed after it was written.",
    ),
    ReasonKind.RECORD_DELETED: ("Evidence record deleted", "A record the hash chain links to is gone."),
    ReasonKind.RECORD_REORDERED: ("Evidence records reordered", "A record's link points elsewhere in the chain."),
    ReasonKind.RECORD_MALFORMED: ("Evidence record unreadable", "A record cannot be decoded at all."),
    ReasonKind.CHAIN_TRUNCATED: (
        "Evidence chain truncated",
        "Records at the end of the chain are gone (or were added).",
    ),
    ReasonKind.ARTIFACT_MISSING: ("Artifact missing", "An artifact file an evidence record names is missing."),
    ReasonKind.ARTIFACT_ALTERED: (
        "Artifact altered",
        "An artifact file no longer matches the hash its evidence record names: the file was changed.",
    ),
    ReasonKind.KPI_FAILED: (
        "KPI failed",
        "A success KPI misses its target or has no data, and the KPI verdict fails (a key KPI alone, or the score).",
    ),
    ReasonKind.CHECKLIST_NOT_DONE: (
        "Checklist item not done",
        "A go-live checklist item that must be done before this gate is pending or failing.",
    ),
}

# verify_chain's problem → (reason kind, message template)
_CHAIN_MESSAGES: dict[Problem, tuple[ReasonKind, str]] = {
    Problem.EDITED: (ReasonKind.RECORD_EDITED, "evidence record {seq} edited: its content no longer matches its hash"),
    Problem.DELETED: (ReasonKind.RECORD_DELETED, "evidence chain broken at record {seq}: {detail}"),
    Problem.REORDERED: (ReasonKind.RECORD_REORDERED, "evidence record {seq} reordered: {detail}"),
    Problem.TRUNCATED: (ReasonKind.CHAIN_TRUNCATED, "evidence chain truncated: {detail}"),
    Problem.MALFORMED: (ReasonKind.RECORD_MALFORMED, "evidence record {seq} unreadable: {detail}"),
    Problem.ARTIFACT_MISSING: (ReasonKind.ARTIFACT_MISSING, "evidence record {seq}: {detail}"),
    Problem.ARTIFACT_CORRUPT: (ReasonKind.ARTIFACT_ALTERED, "evidence record {seq}: {detail}"),
}

CHAIN_SUBJECT = "evidence-chain"  # the subject of a problem of the chain as a whole


@dataclass(frozen=True)
class Finding:
    """One reason a task, a KPI, a checklist item or the evidence chain fails the gate."""

    kind: ReasonKind
    message: str
    subject: str  # a task, KPI or checklist item id, or CHAIN_SUBJECT
    seq: int | None = None  # the evidence record it is about, if one
    location_key: str | None = None  # where in the roadmap it points (a step's key); default: the subject

    @property
    def where(self) -> str:
        """The roadmap location key of what the finding is about."""
        return self.location_key or self.subject

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind.value, "subject": self.subject, "message": self.message, "seq": self.seq}


def chain_finding(problem: ChainProblem, artifact: tuple[str, str] | None = None) -> Finding:
    """The finding of one problem ``verify_chain`` reported; ``artifact`` is the (name, sha256) it is about, if known."""
    kind, template = _CHAIN_MESSAGES[problem.problem]
    message = template.format(seq=problem.seq, detail=problem.detail)
    if artifact is not None and kind in (ReasonKind.ARTIFACT_ALTERED, ReasonKind.ARTIFACT_MISSING):
        name, digest = artifact
        what = "altered" if kind is ReasonKind.ARTIFACT_ALTERED else "missing"
        message = f"artifact {digest[:12]}… {what} ('{name}' of evidence record {problem.seq})"
    return Finding(kind, message, problem.task_id or CHAIN_SUBJECT, problem.seq)
