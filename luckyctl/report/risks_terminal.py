"""``analyze --risks``: the 3×3 matrix (inherent and residual) and each risk's mitigation."""

from __future__ import annotations

from rich.console import Console
from rich.text import Text

from luckyctl.model import Level
from luckyctl.report.terminal import EMPTY, emit, emit_table, is_plain, state_label
from luckyctl.risks import LEVELS, Mitigation, RiskAssessment, RiskReport, RiskStatus, cell_level

LEVEL_STYLE: dict[Level, str] = {Level.LOW: "green", Level.MEDIUM: "yellow", Level.HIGH: "bold red"}
STATUS_STYLE: dict[RiskStatus, str] = {
    RiskStatus.OPEN: "yellow",
    RiskStatus.IN_PROGRESS: "cyan",
    RiskStatus.MITIGATED: "green",
    RiskStatus.OVERDUE: "bold red",
}


def level_text(level: Level | None, score: float) -> Text:
    """``6 high`` in the level's colour; ``0 none`` once nothing is left."""
    if level is None:
        return Text(f"{score:g} none", style="green")
    return Text(f"{score:g} {level.value}", style=LEVEL_STYLE[level])


def _matrix(console: Console, report: RiskReport, *, residual: bool) -> None:
    cells = report.matrix(residual=residual)
    rows = []
    for impact in reversed(LEVELS):
        row: list[Text | str] = [Text(impact.value, style="bold")]
        for probability in LEVELS:
            ids = cells[impact][probability]
            row.append(
                Text(" ".join(ids), style=LEVEL_STYLE[cell_level(impact, probability)])
                if ids
                else Text(EMPTY, style="dim")
            )
        rows.append(row)
    emit(console, Text("residual" if residual else "inherent", style="bold"), 2)
    emit_table(console, ["impact \\ probability", *(level.value for level in LEVELS)], rows, indent=4)


def _evidence_text(task: Mitigation) -> Text:
    if task.proven:
        return Text("proven", style="green")
    return Text("overdue", style="bold red") if task.overdue else Text("to do", style="dim")


def _risk_row(risk: RiskAssessment) -> list[Text | str]:
    proven = sum(1 for task in risk.mitigations if task.proven)
    next_task = risk.next_task
    return [
        Text(risk.id, style="bold"),
        f"{risk.impact.value}×{risk.probability.value}",
        level_text(risk.inherent_level, risk.inherent_score),
        f"{proven}/{len(risk.mitigations)} ({100 * risk.progress:.0f}%)",
        level_text(risk.residual_level, round(risk.residual_score, 2)),
        Text(risk.status.value, style=STATUS_STYLE[risk.status]),
        risk.owner or EMPTY,
        next_task.task_id if next_task else EMPTY,
        risk.title,
    ]


def render_risks(console: Console, report: RiskReport, *, mitigation_status: bool) -> None:
    """The matrix, one line per risk, and with ``mitigation_status`` each risk's mitigating tasks."""
    plain = is_plain(console)
    emit(
        console,
        Text.assemble((report.project_id, "bold"), f"  risks as of day {report.today_day} ({report.as_of.date()})"),
    )
    emit(console, Text("matrix (impact × probability)", style="bold underline"))
    _matrix(console, report, residual=False)
    _matrix(console, report, residual=True)
    console.out("")
    emit(console, Text("risks", style="bold underline"))
    emit_table(
        console,
        ["risk", "impact×prob", "inherent", "mitigated", "residual", "status", "owner", "next", "title"],
        [_risk_row(risk) for risk in report.risks],
    )
    if not mitigation_status:
        return
    for risk in report.risks:
        console.out("")
        emit(console, Text.assemble((risk.id, "bold"), f"  {risk.title}  ", (risk.strategy or "", "dim")))
        emit_table(
            console,
            ["task", "state", "evidence", "planned", "assignee", "title"],
            [
                [
                    Text(task.task_id, style="bold red" if task.overdue else "bold"),
                    state_label(task.state, symbol=not plain),
                    _evidence_text(task),
                    f"day {task.planned_day} ({task.planned_date})" if task.planned_day is not None else EMPTY,
                    task.assignee or EMPTY,
                    task.title,
                ]
                for task in risk.mitigations
            ],
        )
