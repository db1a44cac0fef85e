"""The risk matrix: inherent and residual scores, mitigation progress and status.

- inherent score = impact × probability, each low 1, medium 2, high 3;
- mitigation progress = the share of a risk's mitigating tasks (``mitigated_by``
  ids, a story or epic standing for all its tasks) that are done with passing
  evidence (``analytics.is_proven``);
- residual score = inherent × (1 − progress); its level is that of the score
  rounded up: 1–2 low, 3–4 medium, 5–9 high, 0 none (mitigated);
- status: ``mitigated`` when every mitigating task is proven; ``overdue``
  when one that is not has a planned day (its active assignment's planned
  end day, else its epic's last planned day) before today; ``in-progress``
  with some progress; ``open`` with none.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, Any

from luckyctl.analytics import as_utc, evidence_outcomes, is_proven
from luckyctl.calendar import ProjectCalendar
from luckyctl.errors import RoadmapError
from luckyctl.model import Level, Risk, Roadmap, TaskState
from luckyctl.selectors import unknown_id_message

if TYPE_CHECKING:
    from luckyctl.store import Store

LEVELS = (Level.LOW, Level.MEDIUM, Level.HIGH)
# Highest score of each level band: 1–2 low, 3–4 medium, 5–9 high.
_BAND_TOP = {Level.LOW: 2, Level.MEDIUM: 4, Level.HIGH: 9}


def level_of_score(score: float) -> Level | None:
    """The level of a score rounded up; None for 0 (nothing left)."""
    whole = math.ceil(round(score, 9))
    if whole <= 0:
        return None
    return next(level for level in LEVELS if whole <= _BAND_TOP[level])


def cell_level(impact: Level, probability: Level) -> Level:
    """The level of a cell of the 3×3 matrix."""
    return level_of_score(impact.weight * probability.weight) or Level.LOW


def at_least(level: Level | None, threshold: Level) -> bool:
    return level is not None and level.weight >= threshold.weight


class RiskStatus(str, Enum):
    OPEN = "open"
    IN_PROGRESS = "in-progress"
    MITIGATED = "mitigated"
    OVERDUE = "overdue"


@dataclass(frozen=True)
class Mitigation:
    """One task that carries out a risk's mitigation."""

    task_id: str
    title: str
    owner: str
    assignee: str | None
    state: TaskState
    proven: bool  # done, with passing evidence
    planned_day: int | None
    planned_date: dt.date | None
    overdue: bool

    def to_json(self) -> dict[str, Any]:
        return {
            "task_id": self.task_id,
            "title": self.title,
            "owner": self.owner,
            "assignee": self.assignee,
            "state": self.state.value,
            "proven": self.proven,
            "planned_day": self.planned_day,
            "planned_date": self.planned_date.isoformat() if self.planned_date else None,
            "overdue": self.overdue,
        }


@dataclass(frozen=True)
class RiskAssessment:
    id: str
    title: str
    impact: Level
    probability: Level
    strategy: str | None
    owner: str | None
    mitigations: list[Mitigation]

    @property
    def inherent_score(self) -> int:
        return self.impact.weight * self.probability.weight

    @property
    def inherent_level(self) -> Level:
        return cell_level(self.impact, self.probability)

    @property
    def progress(self) -> float:
        """Share of mitigating tasks proven; 0 when the risk names none."""
        if not self.mitigations:
            return 0.0
        return sum(1 for task in self.mitigations if task.proven) / len(self.mitigations)

    @property
    def residual_score(self) -> float:
        return self.inherent_score * (1.0 - self.progress)

    @property
    def residual_level(self) -> Level | None:
        return level_of_score(self.residual_score)

    @property
    def residual_probability(self) -> Level | None:
        """Where the residual sits on the risk's impact row of the matrix (mitigation lowers probability)."""
        if self.residual_level is None:
            return None
        weight = min(3, max(1, math.ceil(round(self.residual_score / self.impact.weight, 9))))
        return LEVELS[weight - 1]

    @property
    def status(self) -> RiskStatus:
        if self.mitigations and self.progress == 1.0:
            return RiskStatus.MITIGATED
        if any(task.overdue for task in self.mitigations):
            return RiskStatus.OVERDUE
        return RiskStatus.IN_PROGRESS if self.progress > 0 else RiskStatus.OPEN

    @property
    def next_task(self) -> Mitigation | None:
        """The first mitigating task still to prove (mitigations are by planned day, then dependency order)."""
        return next((task for task in self.mitigations if not task.proven), None)

    def to_json(self) -> dict[str, Any]:
        residual_level = self.residual_level
        residual_probability = self.residual_probability
        next_task = self.next_task
        return {
            "id": self.id,
            "title": self.title,
            "impact": self.impact.value,
            "probability": self.probability.value,
            "strategy": self.strategy,
            "owner": self.owner,
            "inherent_score": self.inherent_score,
            "inherent_level": self.inherent_level.value,
            "progress": round(self.progress, 4),
            "residual_score": round(self.residual_score, 2),
            "residual_level": residual_level.value if residual_level else None,
            "residual_probability": residual_probability.value if residual_probability else None,
            "status": self.status.value,
            "next_task": next_task.task_id if next_task else None,
            "mitigations": [task.to_json() for task in self.mitigations],
        }


@dataclass(frozen=True)
class RiskReport:
    """The result of ``analyze --risks``."""

    project_id: str
    as_of: dt.datetime
    today_day: int
    risks: list[RiskAssessment]

    def matrix(self, *, residual: bool = False) -> dict[Level, dict[Level, list[str]]]:
        """impact → probability → risk ids, placed by inherent (or residual) position."""
        cells: dict[Level, dict[Level, list[str]]] = {impact: {p: [] for p in LEVELS} for impact in LEVELS}
        for risk in self.risks:
            probability = risk.residual_probability if residual else risk.probability
            if probability is not None:
                cells[risk.impact][probability].append(risk.id)
        return cells

    def at_or_above(self, threshold: Level) -> list[RiskAssessment]:
        """Risks whose residual level is ``threshold`` or higher."""
        return [risk for risk in self.risks if at_least(risk.residual_level, threshold)]

    def counts(self) -> dict[RiskStatus, int]:
        counts = dict.fromkeys(RiskStatus, 0)
        for risk in self.risks:
            counts[risk.status] += 1
        return counts

    def to_json(self) -> dict[str, Any]:
        def cells(residual: bool) -> dict[str, dict[str, list[str]]]:
            return {
                impact.value: {probability.value: ids for probability, ids in row.items()}
                for impact, row in self.matrix(residual=residual).items()
            }

        return {
            "project": self.project_id,
            "as_of": self.as_of.isoformat(),
            "today_day": self.today_day,
            "matrix": {"inherent": cells(False), "residual": cells(True)},
            "status_counts": {status.value: count for status, count in self.counts().items()},
            "risks": [risk.to_json() for risk in self.risks],
        }


def _mitigating_tasks(roadmap: Roadmap, risk: Risk) -> list[str]:
    chosen: set[str] = set()
    for node_id in risk.mitigated_by:
        try:
            chosen.update(roadmap.tasks_under(node_id))
        except KeyError:
            path, line = roadmap.location(risk.id) or (None, None)
            message = unknown_id_message(node_id, roadmap.all_ids())
            raise RoadmapError(f"risk '{risk.id}' is mitigated by {message}", path=path, line=line) from None
    return list(chosen)


def _dependency_positions(roadmap: Roadmap) -> dict[str, int]:
    """Each task's place in the roadmap's topological order (indirect dependencies count too)."""
    from luckyctl.graph import build_graph, topological_order

    return {task_id: index for index, task_id in enumerate(topological_order(build_graph(roadmap)))}


def assess_risks(roadmap: Roadmap, store: Store | None, *, now: dt.datetime | None = None) -> RiskReport:
    """Every risk of the roadmap, scored from what the store recorded, as of ``now`` (default: the clock).

    ``store`` None means nothing has run yet: no mitigation has started.
    """
    now = as_utc(now)
    calendar = ProjectCalendar.of(roadmap.project)
    records = store.tasks() if store else {}
    assignments = {row["task_id"]: row for row in store.assignments(active_only=True)} if store else {}
    evidence = evidence_outcomes(store) if store else {}

    def mitigation(task_id: str) -> Mitigation:
        task = roadmap.tasks[task_id]
        record = records.get(task_id)
        state = record.state if record else TaskState.PENDING
        proven = is_proven(state, evidence.get(task_id, []))
        assignment = assignments.get(task_id)
        epic_days = roadmap.epic_of(task_id).days
        planned_day = assignment["planned_end_day"] if assignment else None
        if planned_day is None and epic_days:
            planned_day = epic_days[1]
        planned_date = calendar.date_of(planned_day) if planned_day is not None else None
        return Mitigation(
            task_id=task_id,
            title=task.title,
            owner=task.owner,
            assignee=assignment["assignee"] if assignment else None,
            state=state,
            proven=proven,
            planned_day=planned_day,
            planned_date=planned_date,
            overdue=not proven and planned_date is not None and now.date() > planned_date,
        )

    position = _dependency_positions(roadmap)
    risks = [
        RiskAssessment(
            id=risk.id,
            title=risk.title,
            impact=risk.impact,
            probability=risk.probability,
            strategy=risk.strategy,
            owner=risk.owner,
            mitigations=sorted(
                (mitigation(task_id) for task_id in _mitigating_tasks(roadmap, risk)),
                key=lambda task: (math.inf if task.planned_day is None else task.planned_day, position[task.task_id]),
            ),
        )
        for risk in roadmap.risks
    ]
    return RiskReport(project_id=roadmap.project.id, as_of=now, today_day=calendar.day_of(now.date()), risks=risks)
