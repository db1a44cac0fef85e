"""KPIs scored like Keptn quality gates, from metrics that really ran: known answers, key KPIs, the verdict."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from engine_roadmaps import epic, roadmap, story, task
from test_gate_support import GateProject, check, metric, output

from luckyctl.gate import (
    PASS_THRESHOLD,
    WARNING_THRESHOLD,
    KpiReport,
    KpiScore,
    KpiStatus,
    Verdict,
)
from luckyctl.model import Kpi


def kpi(
    kpi_id: str, metric_name: str, op: str, value: float, *, weight: float = 1, key: bool = False, unit: str = "ms"
) -> dict[str, Any]:
    return {
        "id": kpi_id,
        "title": kpi_id.title(),
        "target": {"op": op, "value": value, "unit": unit},
        "key": key,
        "weight": weight,
        "source": {"task": "MEASURE", "metric": metric_name},
    }


def measured_roadmap(kpis: list[dict[str, Any]], *metrics: tuple[str, float]) -> dict[str, Any]:
    script = "; ".join(metric(name, value) for name, value in metrics) or "true"
    document = roadmap(
        epic("EP", story("EP.1", task("PREP"))),
        epic("GO", story("GO.1", task("MEASURE", steps=[], checks=[check("measure", script)]))),
    )
    document["kpis"] = kpis
    return document


def kpi_json(project: GateProject) -> tuple[int, dict[str, Any]]:
    result = project.run("kpi", "--json")
    return result.exit_code, json.loads(result.stdout)


def test_weights_give_the_score_and_a_missed_target_scores_zero(tmp_path: Path) -> None:
    kpis = [
        kpi("latency", "p95_ms", "<", 200, weight=2),
        kpi("coverage", "coverage_pct", ">", 80, unit="%"),
        kpi("uptime", "uptime_pct", ">=", 99.9, unit="%"),
        kpi("errors", "error_rate_pct", "<", 0.1, unit="%"),
    ]
    project = GateProject(
        tmp_path, measured_roadmap(kpis, ("p95_ms", 150), ("coverage_pct", 85.5), ("uptime_pct", 99.0))
    )
    assert project.execute("MEASURE").exit_code == 0
    code, document = kpi_json(project)
    by_id = {entry["id"]: entry for entry in document["kpis"]}
    assert {kpi_id: (entry["status"], entry["measured"], entry["points"]) for kpi_id, entry in by_id.items()} == {
        "latency": ("pass", 150.0, 2),
        "coverage": ("pass", 85.5, 1),
        "uptime": ("fail", 99.0, 0),
        "errors": ("no-data", None, 0),
    }
    assert (document["points"], document["total_weight"], document["score"]) == (3, 5, 60.0)
    assert document["verdict"] == "fail" and code == 1  # 60 % is below the warning threshold
    assert by_id["latency"]["seq"] == project.seqs("MEASURE", "check")[0]
    assert "no passing evidence of MEASURE records error_rate_pct" in by_id["errors"]["note"]


def test_a_key_kpi_fails_the_verdict_alone(tmp_path: Path) -> None:
    kpis = [kpi("latency", "p95_ms", "<", 200, weight=1, key=True)] + [
        kpi(f"k{number}", f"m{number}", "<", 10, weight=10) for number in range(3)
    ]
    metrics = [("p95_ms", 250.0)] + [(f"m{number}", 1.0) for number in range(3)]
    project = GateProject(tmp_path, measured_roadmap(kpis, *metrics))
    project.execute("MEASURE")
    code, document = kpi_json(project)
    assert round(document["score"], 2) == round(100 * 30 / 31, 2)  # well above 90 %
    assert document["key_failures"] == ["latency"]
    assert (document["verdict"], code) == ("fail", 1)
    table = project.run("kpi")
    assert "KPI score 97% (30/31): fail (key KPI latency not met)" in table.stdout
    assert any(
        line.split()[:4] == ["latency", "<", "200", "ms"] and "fail" in line for line in table.stdout.splitlines()
    )


def test_a_warning_verdict_exits_0_with_a_warning(tmp_path: Path) -> None:
    kpis = [kpi("a", "a", "<", 10, weight=8), kpi("b", "b", "<", 10, weight=2)]
    project = GateProject(tmp_path, measured_roadmap(kpis, ("a", 1), ("b", 99)))
    project.execute("MEASURE")
    result = project.run("kpi")
    assert result.exit_code == 0, output(result)
    assert "warning: KPI score 80% (8/10): warning (pass needs 90%, warning 75%)" in result.stderr
    gate = project.validate("GO")  # a release: the warning does not fail the gate
    assert gate.exit_code == 0, output(gate)
    assert "warning: KPI score 80% (8/10): warning" in gate.stderr


def test_the_newest_passing_record_carrying_the_metric_counts(tmp_path: Path) -> None:
    kpis = [kpi("latency", "p95_ms", "<", 200)]
    project = GateProject(tmp_path, measured_roadmap(kpis, ("p95_ms", 300)))
    project.execute("MEASURE")
    assert kpi_json(project)[1]["kpis"][0]["measured"] == 300.0
    project.write(measured_roadmap(kpis, ("p95_ms", 120)))
    project.execute("MEASURE")
    assert kpi_json(project)[1]["kpis"][0]["measured"] == 120.0
    failing = measured_roadmap(kpis, ("p95_ms", 999))
    failing["epics"][1]["stories"][0]["tasks"][0]["checks"][0]["run"]["argv"][2] += "; exit 1"
    project.write(failing)
    assert project.execute("MEASURE").exit_code == 1
    assert kpi_json(project)[1]["kpis"][0]["measured"] == 120.0  # a failed record does not count


def test_a_tampered_record_does_not_count(tmp_path: Path) -> None:
    project = GateProject(tmp_path, measured_roadmap([kpi("latency", "p95_ms", "<", 200)], ("p95_ms", 150)))
    project.execute("MEASURE")
    project.sql("UPDATE evidence SET metrics = '{\"p95_ms\": 10}' WHERE task_id = 'MEASURE'")
    code, document = kpi_json(project)
    assert document["kpis"][0]["status"] == "no-data" and code == 1


def test_a_release_gate_includes_the_kpi_verdict(tmp_path: Path) -> None:
    kpis = [kpi("latency", "p95_ms", "<", 200, key=True)]
    project = GateProject(tmp_path, measured_roadmap(kpis, ("p95_ms", 250)))
    assert project.execute("P").exit_code == 0
    assert project.validate("EP").exit_code == 0  # not the go-live: no KPI verdict
    go_live = project.validate("GO", "--format", "json")
    assert go_live.exit_code == 1, output(go_live)
    document = json.loads(go_live.stdout)
    assert all(entry["passed"] for entry in document["tasks"])
    assert [(item["subject"], item["kind"], item["message"]) for item in document["findings"]] == [
        ("latency", "kpi-failed", "KPI latency: measured 250 ms, target < 200 ms (a key KPI: fails the gate alone)")
    ]
    assert project.validate("GO.1").exit_code == 0  # a story of the go-live is not the release
    project.write(measured_roadmap(kpis, ("p95_ms", 150)))
    project.execute("P")
    assert project.validate("P").exit_code == 0


def test_no_kpis_and_a_kpi_without_source() -> None:
    assert KpiReport(()).score == 100.0 and KpiReport(()).verdict is Verdict.PASS
    sourceless = Kpi(id="nps", title="NPS", target={"op": ">", "value": 50})
    from luckyctl.gate.kpis import score_kpi

    score = score_kpi(sourceless, ())
    assert (score.status, score.note) == (KpiStatus.NO_DATA, "no source")
    assert score.describe() == "nps: no data (no source), target > 50"


def _report(*outcomes: tuple[float, KpiStatus, bool]) -> KpiReport:
    scores = tuple(
        KpiScore(Kpi(id=f"k{index}", title="k", target={"op": "<", "value": 1}, weight=weight, key=key), status)
        for index, (weight, status, key) in enumerate(outcomes)
    )
    return KpiReport(scores)


@pytest.mark.parametrize(
    ("passed_weight", "failed_weight", "verdict"),
    [
        (9, 1, Verdict.PASS),
        (90, 10, Verdict.PASS),
        (89, 11, Verdict.WARNING),
        (75, 25, Verdict.WARNING),
        (74, 26, Verdict.FAIL),
    ],
)
def test_keptn_thresholds(passed_weight: float, failed_weight: float, verdict: Verdict) -> None:
    report = _report((passed_weight, KpiStatus.PASSED, False), (failed_weight, KpiStatus.FAILED, False))
    assert (PASS_THRESHOLD, WARNING_THRESHOLD) == (90.0, 75.0)
    assert report.verdict is verdict
    assert report.exit_code == (1 if verdict is Verdict.FAIL else 0)
    assert bool(report.findings()) == (verdict is Verdict.FAIL)


def test_a_non_numeric_metric_is_no_data(tmp_path: Path) -> None:
    from luckyctl.evidence import EvidenceLog, Redactor
    from luckyctl.model import StepStatus
    from luckyctl.steps.base import StepOutcome

    project = GateProject(tmp_path, measured_roadmap([kpi("latency", "p95_ms", "<", 200)]))
    store = project.store()
    try:  # a metric no step kind records as text: crafted on purpose
        EvidenceLog(store, project.artifacts, Redactor()).record(
            run_id="r", task_id="MEASURE", attempt=1, phase="check", step_index=0, kind="run", name="measure",
            outcome=StepOutcome(StepStatus.PASSED, "ok", metrics={"p95_ms": "fast"}),  # type: ignore[dict-item]
            started_at="2026-12-07T10:00:00+00:00", ended_at="2026-12-07T10:00:01+00:00", spec_hash=None,
        )  # fmt: skip
    finally:
        store.close()
    entry = kpi_json(project)[1]["kpis"][0]
    assert (entry["status"], entry["note"]) == ("no-data", "p95_ms in record 1 is not a number")
