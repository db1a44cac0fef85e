"""The go-live checklist: each item's state from its tasks, its KPIs and people's confirmations.

An item is ``done`` when every task it names (stories stand for their tasks)
passes validation, every KPI it names meets its target, and — for a
``manual: true`` item — a person confirmed it (a sign-off record whose task
id is the item id, written by ``luckyctl checklist confirm``). It is
``failing`` when one of them failed (a task failed or its evidence is not
valid, a KPI misses its target), and ``pending`` otherwise (not run yet,
waiting, blocked, no data, not confirmed).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, Any

from luckyctl.errors import InputError, SelectorError
from luckyctl.evidence.records import EvidencePhase, EvidenceRecord
from luckyctl.gate.findings import Finding, ReasonKind
from luckyctl.gate.kpis import KpiReport, KpiStatus
from luckyctl.gate.validation import TaskVerdict
from luckyctl.model import ChecklistItem, Phase, Roadmap
from luckyctl.selectors import suggest

if TYPE_CHECKING:
    from luckyctl.evidence.recorder import EvidenceLog


class ItemState(str, Enum):
    DONE = "done"
    PENDING = "pending"
    FAILING = "failing"


@dataclass(frozen=True)
class ItemStatus:
    item: ChecklistItem
    state: ItemState
    reasons: tuple[str, ...]  # why it is not done; empty when done
    confirmed_by: str | None = None  # a manual item's confirmation

    @property
    def reason(self) -> str | None:
        return "; ".join(self.reasons) or None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.item.id,
            "phase": self.item.phase.value,
            "title": self.item.title,
            "state": self.state.value,
            "reason": self.reason,
            "satisfied_by": self.item.satisfied_by,
            "kpis": self.item.kpis,
            "manual": self.item.manual,
            "confirmed_by": self.confirmed_by,
        }


@dataclass(frozen=True)
class ChecklistReport:
    items: tuple[ItemStatus, ...]
    phase: Phase | None = None  # the phase shown; None: all

    def counts(self) -> dict[str, int]:
        return {state.value: sum(1 for status in self.items if status.state is state) for state in ItemState}

    @property
    def complete(self) -> bool:
        return all(status.state is ItemState.DONE for status in self.items)

    @property
    def exit_code(self) -> int:
        """0 all done, 1 an item is failing, 3 (incomplete) items still pending."""
        states = {status.state for status in self.items}
        if ItemState.FAILING in states:
            return 1
        return 3 if ItemState.PENDING in states else 0

    def findings(self) -> list[Finding]:
        """One finding per item that is not done (for a gate that requires these items)."""
        return [
            Finding(
                ReasonKind.CHECKLIST_NOT_DONE,
                f"checklist {status.item.id} ({status.item.title}) is {status.state.value}: {status.reason}",
                status.item.id,
            )
            for status in self.items
            if status.state is not ItemState.DONE
        ]

    def to_json(self) -> dict[str, Any]:
        return {
            "phase": self.phase.value if self.phase else None,
            "complete": self.complete,
            "counts": self.counts(),
            "items": [status.to_json() for status in self.items],
        }


def items_of(roadmap: Roadmap, phase: Phase | None) -> list[ChecklistItem]:
    return [item for item in roadmap.checklist if phase is None or item.phase is phase]


def item_task_ids(roadmap: Roadmap, items: Iterable[ChecklistItem]) -> list[str]:
    """Every task the items name, stories expanded, each once."""
    found: dict[str, None] = {}
    for item in items:
        for node_id in item.satisfied_by:
            found.update(dict.fromkeys(roadmap.tasks_under(node_id)))
    return list(found)


def confirmation(records: Sequence[EvidenceRecord]) -> EvidenceRecord | None:
    """The newest passing sign-off among a checklist item's (trusted) records."""
    signoffs = [record for record in records if record.phase is EvidencePhase.SIGNOFF and record.passed]
    return signoffs[-1] if signoffs else None


def item_status(
    roadmap: Roadmap,
    item: ChecklistItem,
    verdicts: Mapping[str, TaskVerdict],
    kpis: KpiReport,
    confirmed: EvidenceRecord | None,
) -> ItemStatus:
    failing: list[str] = []
    pending: list[str] = []
    for task_id in item_task_ids(roadmap, [item]):
        verdict = verdicts[task_id]
        if not verdict.passed:
            (pending if verdict.unfinished else failing).append(f"{task_id}: {verdict.reason}")
    scores = {score.kpi.id: score for score in kpis.scores}
    for kpi_id in item.kpis:
        score = scores[kpi_id]
        if score.status is KpiStatus.FAILED:
            failing.append(f"KPI {score.describe()}")
        elif score.status is KpiStatus.NO_DATA:
            pending.append(f"KPI {score.describe()}")
    by = str(confirmed.inputs.get("by")) if confirmed is not None else None
    if item.manual and confirmed is None:
        pending.append(f"not confirmed: luckyctl checklist confirm {item.id} --by NAME")
    if failing:
        return ItemStatus(item, ItemState.FAILING, tuple(failing + pending), by)
    if pending:
        return ItemStatus(item, ItemState.PENDING, tuple(pending), by)
    return ItemStatus(item, ItemState.DONE, (), by)


def evaluate_checklist(
    roadmap: Roadmap,
    items: Sequence[ChecklistItem],
    verdicts: Mapping[str, TaskVerdict],
    kpis: KpiReport,
    confirmations: Mapping[str, EvidenceRecord | None],
    *,
    phase: Phase | None = None,
) -> ChecklistReport:
    """The state of ``items``; ``verdicts`` must cover ``item_task_ids(items)``."""
    return ChecklistReport(
        tuple(item_status(roadmap, item, verdicts, kpis, confirmations.get(item.id)) for item in items), phase
    )


def checklist_item(roadmap: Roadmap, item_id: str) -> ChecklistItem:
    for item in roadmap.checklist:
        if item.id == item_id:
            return item
    close = suggest(item_id, [item.id for item in roadmap.checklist])
    hint = f" (did you mean {' or '.join(close)}?)" if close else ""
    raise SelectorError(f"unknown checklist item '{item_id}'{hint}")


def manual_item(roadmap: Roadmap, item_id: str) -> ChecklistItem:
    """The ``manual: true`` item ``item_id``; an unknown or non-manual item is the user's input error."""
    item = checklist_item(roadmap, item_id)
    if not item.manual:
        raise InputError(
            f"checklist item {item_id} is not manual: it is done when what it names is "
            f"({', '.join([*item.satisfied_by, *item.kpis])}), not by a confirmation"
        )
    return item


def confirm_item(evidence_log: EvidenceLog, item: ChecklistItem, by: str, note: str | None = None) -> EvidenceRecord:
    """Record a person's confirmation of a manual item: a sign-off whose task id is the item id."""
    return evidence_log.record_signoff(item.id, by, note)
