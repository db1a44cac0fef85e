"""The gate as a whole: one chain verification, the selected tasks, and for a release the KPIs and checklist.

``evaluate_gate`` is what ``task validate SEL --evidence`` reports; the
renderers (table, JSON, JUnit, SARIF, Markdown) all read its ``GateResult``.
A selection that names the project or its last epic (the go-live epic,
``GO-LIVE`` in the Lucky Gas roadmap) is a release: it also needs the KPI
verdict not to fail and every ``pre-deployment`` checklist item to be done.
Chain problems in records of tasks outside the selection still fail the
gate: a chain that was tampered with vouches for nothing after the break.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from luckyctl.engine.spec_hash import spec_hashes
from luckyctl.evidence.artifacts import ArtifactStore
from luckyctl.evidence.chain import VerifyReport, verify_chain
from luckyctl.evidence.records import EvidenceRecord
from luckyctl.gate.checklist import (
    ChecklistReport,
    confirmation,
    evaluate_checklist,
    item_task_ids,
    items_of,
)
from luckyctl.gate.evidence_index import EvidenceIndex
from luckyctl.gate.findings import Finding
from luckyctl.gate.kpis import KpiReport, Verdict, kpi_source_tasks, score_kpis
from luckyctl.gate.validation import TaskValidator, TaskVerdict, describe_chain_problem
from luckyctl.model import Phase, Plan, Roadmap
from luckyctl.selectors import resolve_selector, split_selector
from luckyctl.store import Store

RELEASE_CHECKLIST_PHASE = Phase.PRE_DEPLOYMENT


@dataclass(frozen=True)
class GateResult:
    """Everything ``task validate`` found; passed when no task and no gate-wide finding fails."""

    selector: str
    plan: str
    project_id: str
    evaluated_at: str
    max_age: float | None  # the --max-age override, seconds
    tasks: tuple[TaskVerdict, ...]
    chain: VerifyReport
    findings: tuple[Finding, ...] = ()  # not about a selected task: the chain elsewhere, KPIs, checklist
    kpis: KpiReport | None = None  # a release only
    checklist: ChecklistReport | None = None  # a release only: the items it requires

    @property
    def passed(self) -> bool:
        return not self.findings and all(task.passed for task in self.tasks)

    @property
    def exit_code(self) -> int:
        return 0 if self.passed else 1

    @property
    def failures(self) -> list[Finding]:
        """Every finding: the tasks' in roadmap order, then the gate-wide ones."""
        return [finding for task in self.tasks for finding in task.findings] + list(self.findings)

    @property
    def failed_tasks(self) -> list[TaskVerdict]:
        return [task for task in self.tasks if not task.passed]

    @property
    def warnings(self) -> list[str]:
        if self.kpis is not None and self.kpis.verdict is Verdict.WARNING:
            return [f"KPI {self.kpis.summary()}"]
        return []

    def summary(self) -> str:
        """``gate failed: 2 of 5 tasks failing, 1 other finding``."""
        total, failed = len(self.tasks), len(self.failed_tasks)
        verdict = "passed" if self.passed else "failed"
        line = f"gate {verdict}: {total - failed} of {total} task{'s' if total != 1 else ''} proven"
        if failed:
            line += f", {failed} failing"
        if self.findings:
            line += f", {len(self.findings)} other finding{'s' if len(self.findings) != 1 else ''}"
        return line

    def to_json(self) -> dict[str, Any]:
        return {
            "selector": self.selector,
            "plan": self.plan,
            "project": self.project_id,
            "evaluated_at": self.evaluated_at,
            "max_age_s": self.max_age,
            "passed": self.passed,
            "exit_code": self.exit_code,
            "summary": self.summary(),
            "counts": {"tasks": len(self.tasks), "failing": len(self.failed_tasks)},
            "tasks": [task.to_json() for task in self.tasks],
            "findings": [finding.to_json() for finding in self.findings],
            "chain": self.chain.to_json(),
            "kpis": self.kpis.to_json() if self.kpis else None,
            "checklist": self.checklist.to_json() if self.checklist else None,
            "warnings": self.warnings,
        }


@dataclass
class GateContext:
    """What every gate evaluation reads: the roadmap and plan, the store and artifacts, the moment."""

    roadmap: Roadmap
    plan: Plan
    store: Store
    artifacts: ArtifactStore
    now: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    max_age: float | None = None
    _chain: VerifyReport | None = field(default=None, init=False, repr=False)

    @property
    def chain(self) -> VerifyReport:
        """The chain verified once, whatever is asked of it."""
        if self._chain is None:
            self._chain = verify_chain(self.store, self.artifacts)
        return self._chain

    def index(self, ids: Iterable[str]) -> EvidenceIndex:
        return EvidenceIndex.read(self.store, list(ids), self.chain)

    def verdicts(self, task_ids: Sequence[str], index: EvidenceIndex) -> dict[str, TaskVerdict]:
        validator = TaskValidator(
            roadmap=self.roadmap,
            plan=self.plan,
            store=self.store,
            artifacts=self.artifacts,
            index=index,
            spec_hashes=spec_hashes(self.roadmap, self.plan, task_ids),
            now=self.now,
            max_age=self.max_age,
        )
        return {verdict.task_id: verdict for verdict in validator.validate(task_ids)}


def is_release(roadmap: Roadmap, selector: str) -> bool:
    """The selector names the project or its last epic (the go-live)."""
    release_ids = {roadmap.project.id, *([roadmap.epics[-1].id] if roadmap.epics else [])}
    return bool(release_ids & set(split_selector(selector)))


def evaluate_kpis(ctx: GateContext) -> KpiReport:
    """``luckyctl kpi``: every KPI from the evidence the chain vouches for."""
    index = ctx.index(kpi_source_tasks(ctx.roadmap))
    return score_kpis(ctx.roadmap, index.trusted)


def evaluate_checklist_phase(ctx: GateContext, phase: Phase | None = None) -> ChecklistReport:
    """``luckyctl checklist``: the items of ``phase`` (default: all) with their states."""
    items = items_of(ctx.roadmap, phase)
    task_ids = item_task_ids(ctx.roadmap, items)
    index = ctx.index([*task_ids, *kpi_source_tasks(ctx.roadmap), *(item.id for item in items)])
    verdicts = ctx.verdicts(task_ids, index)
    kpis = score_kpis(ctx.roadmap, index.trusted)
    confirmations = {item.id: _confirmation(index, item.id) for item in items if item.manual}
    return evaluate_checklist(ctx.roadmap, items, verdicts, kpis, confirmations, phase=phase)


def _confirmation(index: EvidenceIndex, item_id: str) -> EvidenceRecord | None:
    return confirmation(index.trusted(item_id))


def evaluate_gate(ctx: GateContext, selector: str) -> GateResult:
    """``task validate SEL --evidence``: raises SelectorError (exit 2) for an unknown id."""
    roadmap = ctx.roadmap
    task_ids = resolve_selector(roadmap, selector)
    release = is_release(roadmap, selector)
    items = items_of(roadmap, RELEASE_CHECKLIST_PHASE) if release else []
    checklist_tasks = item_task_ids(roadmap, items)
    needed = list(dict.fromkeys([*task_ids, *checklist_tasks]))
    extra_ids = [*kpi_source_tasks(roadmap), *(item.id for item in items)] if release else []
    index = ctx.index([*needed, *extra_ids])
    verdicts = ctx.verdicts(needed, index)
    selected = set(task_ids)
    findings = [
        describe_chain_problem(problem, ctx.store, ctx.artifacts)
        for problem in ctx.chain.problems
        if problem.task_id not in selected
    ]
    kpis = checklist = None
    if release:
        kpis = score_kpis(roadmap, index.trusted)
        confirmations = {item.id: _confirmation(index, item.id) for item in items if item.manual}
        checklist = evaluate_checklist(roadmap, items, verdicts, kpis, confirmations, phase=RELEASE_CHECKLIST_PHASE)
        findings += kpis.findings() + checklist.findings()
    return GateResult(
        selector=selector,
        plan=ctx.plan.name,
        project_id=roadmap.project.id,
        evaluated_at=ctx.now.isoformat(timespec="seconds"),
        max_age=ctx.max_age,
        tasks=tuple(verdicts[task_id] for task_id in task_ids),
        chain=ctx.chain,
        findings=tuple(findings),
        kpis=kpis,
        checklist=checklist,
    )
