"""The gate: validation of evidence, KPI scoring, the go-live checklist, live rechecks.

A library: every function returns a result object and prints nothing; the
CLI and the renderers in ``luckyctl.report.gate_*`` turn the results into
tables, JSON, JUnit, SARIF and Markdown.
"""

from luckyctl.gate.checklist import (
    ChecklistReport,
    ItemState,
    ItemStatus,
    checklist_item,
    confirm_item,
    manual_item,
)
from luckyctl.gate.evaluation import (
    GateContext,
    GateResult,
    evaluate_checklist_phase,
    evaluate_gate,
    evaluate_kpis,
    is_release,
)
from luckyctl.gate.findings import CHAIN_SUBJECT, Finding, ReasonKind
from luckyctl.gate.kpis import (
    PASS_THRESHOLD,
    WARNING_THRESHOLD,
    KpiReport,
    KpiScore,
    KpiStatus,
    Verdict,
)
from luckyctl.gate.recheck import RecheckOutcome, recheck, recheckable
from luckyctl.gate.validation import EvidenceRef, TaskVerdict, short_duration

__all__ = [
    "CHAIN_SUBJECT",
    "PASS_THRESHOLD",
    "WARNING_THRESHOLD",
    "ChecklistReport",
    "EvidenceRef",
    "Finding",
    "GateContext",
    "GateResult",
    "ItemState",
    "ItemStatus",
    "KpiReport",
    "KpiScore",
    "KpiStatus",
    "ReasonKind",
    "RecheckOutcome",
    "TaskVerdict",
    "Verdict",
    "checklist_item",
    "confirm_item",
    "evaluate_checklist_phase",
    "evaluate_gate",
    "evaluate_kpis",
    "is_release",
    "manual_item",
    "recheck",
    "recheckable",
    "short_duration",
]
