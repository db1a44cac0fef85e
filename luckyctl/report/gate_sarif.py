"""``task validate --format sarif``: SARIF 2.1.0 for code-scanning dashboards.

One rule per reason kind; one result (level ``error``) per finding, located
at the line of the roadmap YAML that declares the task, check, KPI or
checklist item; ``partialFingerprints`` from the subject, the reason kind and
that place, so the same problem keeps its identity from run to run.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from luckyctl import __version__
from luckyctl.gate.evaluation import GateResult
from luckyctl.gate.findings import Finding, ReasonKind
from luckyctl.model import Roadmap

SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
SARIF_VERSION = "2.1.0"
FINGERPRINT_KEY = "luckyctlFinding/v1"


def _rule(kind: ReasonKind) -> dict[str, Any]:
    return {
        "id": kind.value,
        "name": "".join(part.capitalize() for part in kind.value.split("-")),
        "shortDescription": {"text": kind.short_description},
        "fullDescription": {"text": kind.full_description},
        "defaultConfiguration": {"level": "error"},
        "help": {"text": f"{kind.full_description} See docs/gate.md ({kind.value})."},
    }


def _uri(path: str, base: Path) -> str:
    """Relative to ``base`` (the repository) when inside it, so code scanning can show the line; else a file URI."""
    resolved = Path(path).resolve()
    try:
        return resolved.relative_to(base.resolve()).as_posix()
    except ValueError:
        return resolved.as_uri()


def fingerprint(finding: Finding) -> str:
    text = f"{finding.subject}\0{finding.kind.value}\0{finding.where}"
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _result(finding: Finding, rules: list[ReasonKind], roadmap: Roadmap, base: Path) -> dict[str, Any]:
    location: dict[str, Any] = {
        "logicalLocations": [{"name": finding.subject, "fullyQualifiedName": finding.where, "kind": "resource"}]
    }
    place = roadmap.location(finding.where) or roadmap.location(finding.subject)
    if place is not None:
        path, line = place
        location["physicalLocation"] = {
            "artifactLocation": {"uri": _uri(path, base)},
            "region": {"startLine": max(line, 1)},
        }
    properties: dict[str, Any] = {"subject": finding.subject}
    if finding.seq is not None:
        properties["evidenceSeq"] = finding.seq
    return {
        "ruleId": finding.kind.value,
        "ruleIndex": rules.index(finding.kind),
        "level": "error",
        "message": {"text": f"{finding.subject}: {finding.message}"},
        "locations": [location],
        "partialFingerprints": {FINGERPRINT_KEY: fingerprint(finding)},
        "properties": properties,
    }


def sarif_document(result: GateResult, roadmap: Roadmap, *, base: Path | None = None) -> dict[str, Any]:
    """The SARIF log as a dict; file locations relative to ``base`` (default: the working directory)."""
    rules = list(ReasonKind)
    base = base or Path.cwd()
    return {
        "$schema": SARIF_SCHEMA,
        "version": SARIF_VERSION,
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "luckyctl",
                        "version": __version__,
                        "semanticVersion": __version__,
                        "rules": [_rule(kind) for kind in rules],
                    }
                },
                "automationDetails": {"id": f"luckyctl/task-validate/{result.plan}/{result.selector}/"},
                "invocations": [
                    {
                        "executionSuccessful": True,
                        "exitCode": result.exit_code,
                        "endTimeUtc": result.evaluated_at,
                    }
                ],
                "results": [_result(finding, rules, roadmap, base) for finding in result.failures],
                "properties": {
                    "selector": result.selector,
                    "plan": result.plan,
                    "project": result.project_id,
                    "passed": result.passed,
                    "summary": result.summary(),
                },
            }
        ],
    }


def render_sarif(result: GateResult, roadmap: Roadmap, *, base: Path | None = None) -> str:
    return json.dumps(sarif_document(result, roadmap, base=base), indent=2, ensure_ascii=False) + "\n"
