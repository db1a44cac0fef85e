"""``task validate --format table``: one line per task, the gate-wide findings, KPIs and checklist, the verdict.

Rich on a terminal, aligned plain lines otherwise (and in ``--output`` files).
"""

from __future__ import annotations

from rich.console import Console
from rich.text import Text

from luckyctl.gate.evaluation import GateResult
from luckyctl.gate.validation import TaskVerdict
from luckyctl.report.gate_checklist import CHECKLIST_HEADERS, item_row
from luckyctl.report.gate_kpis import KPI_HEADERS, kpi_row, verdict_line
from luckyctl.report.terminal import EMPTY, emit, emit_table, is_plain, state_label

PASS_STYLE = "bold green"
FAIL_STYLE = "bold red"


def result_text(passed: bool) -> Text:
    return Text("pass", style=PASS_STYLE) if passed else Text("FAIL", style=FAIL_STYLE)


def _task_row(verdict: TaskVerdict, plain: bool) -> list[Text | str]:
    return [
        Text(verdict.task_id, style="bold"),
        state_label(verdict.state, symbol=not plain) if verdict.state else Text("not run", style="dim"),
        result_text(verdict.passed),
        str(len(verdict.evidence)),
        verdict.reason or EMPTY,
    ]


def _heading(console: Console, title: str) -> None:
    console.out("")
    emit(console, Text(title, style="bold underline"))


def render_gate(console: Console, result: GateResult) -> None:
    plain = is_plain(console)
    emit(
        console,
        Text.assemble(("luckyctl gate", "bold"), f"  {result.selector}  plan {result.plan}  at {result.evaluated_at}"),
    )
    emit_table(
        console,
        ["task", "state", "gate", "records", "reason"],
        [_task_row(verdict, plain) for verdict in result.tasks],
        indent=0,
    )
    if result.findings:
        _heading(console, "gate-wide findings")
        emit_table(
            console,
            ["subject", "kind", "reason"],
            [[Text(finding.subject, style="bold"), finding.kind.value, finding.message] for finding in result.findings],
            indent=0,
        )
    if result.kpis is not None:
        _heading(console, "KPIs")
        emit_table(console, KPI_HEADERS, [kpi_row(score) for score in result.kpis.scores], indent=0)
        emit(console, verdict_line(result.kpis))
    if result.checklist is not None:
        _heading(console, f"checklist ({result.checklist.phase.value if result.checklist.phase else 'all'})")
        emit_table(console, CHECKLIST_HEADERS, [item_row(status) for status in result.checklist.items], indent=0)
    chain = result.chain
    console.out("")
    emit(
        console,
        Text(
            f"evidence chain: {chain.records} records, {chain.artifacts} artifacts, "
            + ("intact" if chain.ok else f"{len(chain.problems)} problem(s)"),
            style="dim" if chain.ok else FAIL_STYLE,
        ),
    )
    for warning in result.warnings:
        emit(console, Text(f"warning: {warning}", style="bold yellow"))
    emit(console, Text(result.summary(), style=PASS_STYLE if result.passed else FAIL_STYLE))
