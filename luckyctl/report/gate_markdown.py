"""``task validate --format markdown``: a summary for a pull-request comment or ``GITHUB_STEP_SUMMARY``."""

from __future__ import annotations

from collections.abc import Sequence

from luckyctl.gate.evaluation import GateResult

EMPTY = "-"


def cell(text: str | None) -> str:
    """Table-safe: one line, pipes escaped, never empty."""
    if not text:
        return EMPTY
    return " ".join(text.split()).replace("|", "\\|")


def table(headers: Sequence[str], rows: Sequence[Sequence[str | None]]) -> list[str]:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(cell(value) for value in row) + " |" for row in rows]
    return lines


def render_markdown(result: GateResult) -> str:
    mark = "✅" if result.passed else "❌"
    lines = [
        f"## {mark} luckyctl gate {'passed' if result.passed else 'failed'}: `{result.selector}` on plan `{result.plan}`",
        "",
        f"{result.summary()} — evaluated at {result.evaluated_at}.",
        "",
    ]
    lines += table(
        ["Task", "Title", "State", "Gate", "Reason"],
        [
            [
                f"`{verdict.task_id}`",
                verdict.title,
                verdict.state.value if verdict.state else "not run",
                "✅ pass" if verdict.passed else "❌ fail",
                verdict.reason,
            ]
            for verdict in result.tasks
        ],
    )
    if result.findings:
        lines += ["", "### Gate-wide findings", ""]
        lines += [
            f"- **{cell(finding.subject)}** ({finding.kind.value}): {cell(finding.message)}"
            for finding in result.findings
        ]
    if result.kpis is not None:
        kpis = result.kpis
        lines += ["", f"### KPIs: {kpis.summary()}", ""]
        lines += table(
            ["KPI", "Target", "Measured", "Weight", "Key", "Result"],
            [
                [
                    f"`{score.kpi.id}`",
                    str(score.kpi.target),
                    score.measured_text,
                    f"{score.kpi.weight:g}",
                    "key" if score.kpi.key else EMPTY,
                    score.status.value,
                ]
                for score in kpis.scores
            ],
        )
    if result.checklist is not None:
        phase = result.checklist.phase.value if result.checklist.phase else "all"
        lines += ["", f"### Checklist ({phase})", ""]
        lines += table(
            ["Item", "Title", "State", "Reason"],
            [
                [f"`{status.item.id}`", status.item.title, status.state.value, status.reason]
                for status in result.checklist.items
            ],
        )
    chain = result.chain
    integrity = "intact" if chain.ok else f"{len(chain.problems)} problem(s)"
    lines += ["", f"Evidence chain: {chain.records} records, {chain.artifacts} artifacts, {integrity}."]
    lines += [f"> ⚠️ {warning}" for warning in result.warnings]
    return "\n".join(lines) + "\n"
