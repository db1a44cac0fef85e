"""The success KPIs, scored like Keptn quality gates.

Each KPI's measured value is its source metric in the newest passing
evidence record of its source task (records the chain no longer vouches for
do not count). A KPI that meets its target scores its weight; one that misses
it or has no data scores 0. The score is the points in % of the total weight.
The verdict, with Keptn's default thresholds: ``pass`` at 90 % or more,
``warning`` from 75 % to below 90 %, ``fail`` below 75 % — and ``fail``
whenever a ``key`` KPI misses its target or has no data, whatever the score.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

from luckyctl.evidence.records import EvidenceRecord
from luckyctl.gate.findings import Finding, ReasonKind
from luckyctl.model import Kpi, Roadmap

PASS_THRESHOLD = 90.0  # Keptn's default total_score.pass
WARNING_THRESHOLD = 75.0  # Keptn's default total_score.warning


class KpiStatus(str, Enum):
    PASSED = "pass"
    FAILED = "fail"
    NO_DATA = "no-data"


class Verdict(str, Enum):
    PASS = "pass"
    WARNING = "warning"
    FAIL = "fail"


@dataclass(frozen=True)
class KpiScore:
    """One KPI: what was measured, where, and what it scores."""

    kpi: Kpi
    status: KpiStatus
    measured: float | None = None
    seq: int | None = None  # the evidence record the value comes from
    measured_at: str | None = None
    note: str | None = None  # why there is no data

    @property
    def points(self) -> float:
        return self.kpi.weight if self.status is KpiStatus.PASSED else 0.0

    @property
    def measured_text(self) -> str:
        """``250 ms``, or ``no data``."""
        if self.measured is None:
            return "no data"
        unit = self.kpi.target.unit
        return f"{self.measured:g}" + (f" {unit}" if unit else "")

    def describe(self) -> str:
        """``p95-latency: measured 250 ms, target < 200 ms``, or why there is no data."""
        if self.status is KpiStatus.NO_DATA:
            return f"{self.kpi.id}: no data ({self.note}), target {self.kpi.target}"
        return f"{self.kpi.id}: measured {self.measured_text}, target {self.kpi.target}"

    def to_json(self) -> dict[str, Any]:
        source = self.kpi.source
        return {
            "id": self.kpi.id,
            "title": self.kpi.title,
            "target": {"op": self.kpi.target.op, "value": self.kpi.target.value, "unit": self.kpi.target.unit},
            "key": self.kpi.key,
            "weight": self.kpi.weight,
            "source": {"task": source.task, "metric": source.metric} if source else None,
            "status": self.status.value,
            "measured": self.measured,
            "seq": self.seq,
            "measured_at": self.measured_at,
            "note": self.note,
            "points": self.points,
        }


@dataclass(frozen=True)
class KpiReport:
    """Every KPI's score, the total and the verdict."""

    scores: tuple[KpiScore, ...]
    pass_threshold: float = PASS_THRESHOLD
    warning_threshold: float = WARNING_THRESHOLD

    @property
    def total_weight(self) -> float:
        return sum(score.kpi.weight for score in self.scores)

    @property
    def points(self) -> float:
        return sum(score.points for score in self.scores)

    @property
    def score(self) -> float:
        """Points in % of the total weight; 100 when nothing is weighed."""
        total = self.total_weight
        return 100.0 * self.points / total if total else 100.0

    @property
    def key_failures(self) -> list[KpiScore]:
        return [score for score in self.scores if score.kpi.key and score.status is not KpiStatus.PASSED]

    @property
    def verdict(self) -> Verdict:
        if self.key_failures or self.score < self.warning_threshold:
            return Verdict.FAIL
        return Verdict.PASS if self.score >= self.pass_threshold else Verdict.WARNING

    @property
    def exit_code(self) -> int:
        return 1 if self.verdict is Verdict.FAIL else 0

    def summary(self) -> str:
        """``score 71% (5/7): fail — key KPI p95-latency missed``."""
        line = f"score {self.score:.0f}% ({self.points:g}/{self.total_weight:g}): {self.verdict.value}"
        if self.key_failures:
            line += f" (key KPI {', '.join(score.kpi.id for score in self.key_failures)} not met)"
        elif self.verdict is not Verdict.PASS:
            line += f" (pass needs {self.pass_threshold:g}%, warning {self.warning_threshold:g}%)"
        return line

    def findings(self) -> list[Finding]:
        """A finding per KPI that is not met, when the verdict fails; none otherwise."""
        if self.verdict is not Verdict.FAIL:
            return []
        found = []
        for score in self.scores:
            if score.status is KpiStatus.PASSED:
                continue
            why = (
                "a key KPI: fails the gate alone"
                if score.kpi.key
                else f"scores 0 of its weight {score.kpi.weight:g}; KPI {self.summary()}"
            )
            found.append(Finding(ReasonKind.KPI_FAILED, f"KPI {score.describe()} ({why})", score.kpi.id, score.seq))
        return found

    def to_json(self) -> dict[str, Any]:
        return {
            "score": round(self.score, 2),
            "points": self.points,
            "total_weight": self.total_weight,
            "verdict": self.verdict.value,
            "thresholds": {"pass": self.pass_threshold, "warning": self.warning_threshold},
            "key_failures": [score.kpi.id for score in self.key_failures],
            "kpis": [score.to_json() for score in self.scores],
        }


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def score_kpi(kpi: Kpi, records: Sequence[EvidenceRecord]) -> KpiScore:
    """Score one KPI from its source task's records (in seq order, trusted ones only)."""
    if kpi.source is None:
        return KpiScore(kpi, KpiStatus.NO_DATA, note="no source")
    metric = kpi.source.metric
    for record in reversed(records):
        if not record.passed or metric not in record.metrics:
            continue
        value = _number(record.metrics[metric])
        if value is None:
            note = f"{metric} in record {record.seq} is not a number"
            return KpiScore(kpi, KpiStatus.NO_DATA, seq=record.seq, measured_at=record.ended_at, note=note)
        status = KpiStatus.PASSED if kpi.target.holds(value) else KpiStatus.FAILED
        return KpiScore(kpi, status, value, record.seq, record.ended_at)
    return KpiScore(kpi, KpiStatus.NO_DATA, note=f"no passing evidence of {kpi.source.task} records {metric}")


def score_kpis(roadmap: Roadmap, records_of: Callable[[str], Sequence[EvidenceRecord]]) -> KpiReport:
    """Every KPI of the roadmap; ``records_of(task_id)`` gives a task's trusted records in seq order."""
    return KpiReport(tuple(score_kpi(kpi, records_of(kpi.source.task) if kpi.source else ()) for kpi in roadmap.kpis))


def kpi_source_tasks(roadmap: Roadmap) -> list[str]:
    return list(dict.fromkeys(kpi.source.task for kpi in roadmap.kpis if kpi.source))
