"""``luckyctl kpi``: each KPI's target, measured value, weight and result; the score and the verdict."""

from __future__ import annotations

from rich.console import Console
from rich.text import Text

from luckyctl.gate.kpis import KpiReport, KpiScore, KpiStatus, Verdict
from luckyctl.report.terminal import EMPTY, emit, emit_table

KPI_STYLE: dict[KpiStatus, str] = {KpiStatus.PASSED: "green", KpiStatus.FAILED: "bold red", KpiStatus.NO_DATA: "yellow"}
VERDICT_STYLE: dict[Verdict, str] = {
    Verdict.PASS: "bold green",
    Verdict.WARNING: "bold yellow",
    Verdict.FAIL: "bold red",
}
KPI_HEADERS = ["kpi", "target", "measured", "weight", "key", "result", "points", "source", "title"]


def kpi_row(score: KpiScore) -> list[Text | str]:
    source = score.kpi.source
    return [
        Text(score.kpi.id, style="bold"),
        str(score.kpi.target),
        score.measured_text,
        f"{score.kpi.weight:g}",
        "key" if score.kpi.key else EMPTY,
        Text(score.status.value, style=KPI_STYLE[score.status]),
        f"{score.points:g}",
        f"{source.task} {source.metric}" + (f" (record {score.seq})" if score.seq is not None else "")
        if source
        else EMPTY,
        score.kpi.title,
    ]


def verdict_line(report: KpiReport) -> Text:
    """``KPI score 71% (5/7): fail (key KPI p95-latency not met)`` in the verdict's colour."""
    return Text(f"KPI {report.summary()}", style=VERDICT_STYLE[report.verdict])


def render_kpis(console: Console, report: KpiReport) -> None:
    emit_table(console, KPI_HEADERS, [kpi_row(score) for score in report.scores], indent=0)
    emit(console, verdict_line(report))
