"""``task validate --format junit``: JUnit XML that CI test reporters read.

One ``testsuite`` per epic with one ``testcase`` per selected task (named by
id and title; ``<failure message="reason">`` when it fails; the evidence it
rests on in ``<system-out>``), and a ``gate`` suite for what is not one task:
the evidence chain, and for a release each KPI and each required checklist item.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence

from luckyctl.gate.evaluation import GateResult
from luckyctl.gate.findings import Finding
from luckyctl.gate.validation import TaskVerdict, short_duration

GATE_SUITE = "gate"


def _case(suite: ET.Element, classname: str, name: str, findings: Sequence[Finding], out: str) -> None:
    case = ET.SubElement(suite, "testcase", classname=classname, name=name, time="0")
    if findings:
        failure = ET.SubElement(
            case, "failure", message="; ".join(item.message for item in findings), type=findings[0].kind.value
        )
        failure.text = "\n".join(f"[{item.kind.value}] {item.message}" for item in findings)
    if out:
        ET.SubElement(case, "system-out").text = out


def _evidence_text(verdict: TaskVerdict) -> str:
    state = verdict.state.value if verdict.state else "not run"
    lines = [f"state: {state}"]
    if not verdict.evidence:
        lines.append("evidence: none counted")
    for ref in verdict.evidence:
        label = f" '{ref.name}'" if ref.name else ""
        lines.append(
            f"record {ref.seq}: {ref.phase.value}{label} {ref.status} at {ref.ended_at} ({short_duration(ref.age_s)} old)"
        )
    return "\n".join(lines)


def _suite(parent: ET.Element, name: str, timestamp: str) -> ET.Element:
    return ET.SubElement(parent, "testsuite", name=name, timestamp=timestamp)


def _count(suite: ET.Element) -> tuple[int, int]:
    cases = suite.findall("testcase")
    failures = sum(1 for case in cases if case.find("failure") is not None)
    suite.set("tests", str(len(cases)))
    suite.set("failures", str(failures))
    suite.set("errors", "0")
    suite.set("skipped", "0")
    suite.set("time", "0")
    return len(cases), failures


def _by_subject(findings: Iterable[Finding]) -> dict[str, list[Finding]]:
    grouped: dict[str, list[Finding]] = {}
    for finding in findings:
        grouped.setdefault(finding.subject, []).append(finding)
    return grouped


def _gate_suite(root: ET.Element, result: GateResult) -> None:
    grouped = _by_subject(result.findings)
    suite = _suite(root, GATE_SUITE, result.evaluated_at)
    chain = result.chain
    named = {score.kpi.id for score in result.kpis.scores} if result.kpis else set()
    named |= {status.item.id for status in result.checklist.items} if result.checklist else set()
    chain_findings = [finding for subject, found in grouped.items() if subject not in named for finding in found]
    _case(
        suite,
        GATE_SUITE,
        "evidence chain intact",
        chain_findings,
        f"{chain.records} records, {chain.artifacts} artifacts, head {chain.head or '-'}",
    )
    if result.kpis is not None:
        for score in result.kpis.scores:
            name = f"KPI {score.kpi.id} {score.kpi.title}"
            _case(suite, f"{GATE_SUITE}.kpi", name, grouped.get(score.kpi.id, []), score.describe())
    if result.checklist is not None:
        for status in result.checklist.items:
            _case(
                suite,
                f"{GATE_SUITE}.checklist",
                f"checklist {status.item.id} {status.item.title}",
                grouped.get(status.item.id, []),
                f"state: {status.state.value}",
            )


def render_junit(result: GateResult) -> str:
    root = ET.Element("testsuites", name=f"luckyctl task validate {result.selector}")
    suites: dict[str, ET.Element] = {}
    for verdict in result.tasks:
        suite = suites.get(verdict.epic_id)
        if suite is None:
            suite = suites[verdict.epic_id] = _suite(root, verdict.epic_id, result.evaluated_at)
        _case(suite, verdict.story_id, f"{verdict.task_id} {verdict.title}", verdict.findings, _evidence_text(verdict))
    _gate_suite(root, result)
    tests = failures = 0
    for suite in root.findall("testsuite"):
        properties = ET.Element("properties")
        for name, value in (("plan", result.plan), ("selector", result.selector), ("project", result.project_id)):
            ET.SubElement(properties, "property", name=name, value=value)
        suite.insert(0, properties)
        suite_tests, suite_failures = _count(suite)
        tests, failures = tests + suite_tests, failures + suite_failures
    root.set("tests", str(tests))
    root.set("failures", str(failures))
    root.set("errors", "0")
    root.set("time", "0")
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
