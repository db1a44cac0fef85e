"""The ``file`` step: a file exists (or not) and says what it should.

``path`` is relative to the roadmap's root. ``expect`` keys: ``exists``
(default true; false passes only when nothing is there), ``contains`` (a
text), ``matches`` (a regex, searched line by line), ``json`` (``{dotted.path:
expected}``, the expectation language of ``luckyctl.steps.expect``).

Evidence: outputs ``sha256``, ``size`` and ``matched_lines`` (line number and
text of the lines that contain or match, at most 20). The file itself is not
stored: it may hold anything.

A coverage report records metric ``coverage_pct``: Cobertura XML (root
``<coverage line-rate="0.834">``) or coverage.py JSON
(``totals.percent_covered``).
"""

from __future__ import annotations

import hashlib
import json
import re
from xml.etree import ElementTree
from pathlib import Path
from typing import Any

from luckyctl.errors import StepError
from luckyctl.model import FileExpect, FileSpec, StepStatus
from luckyctl.steps import expect
from luckyctl.steps.base import StepContext, StepOutcome

_MATCHED_LINES = 20


def coverage_pct(path: Path, content: bytes) -> float | None:
    """Line coverage in percent when the file is a Cobertura XML or coverage.py JSON report."""
    if path.suffix == ".xml":
        try:
            root = ElementTree.fromstring(content)
        except ElementTree.ParseError:
            return None
        rate = root.get("line-rate") if root.tag == "coverage" else None
        return _percent(rate, scale=100)
    if path.suffix == ".json":
        document = _json(content)
        covered = expect.lookup(document, "totals.percent_covered")
        return _percent(covered, scale=1)
    return None


def _percent(value: Any, *, scale: float) -> float | None:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return None
    try:
        return round(float(value) * scale, 2)
    except ValueError:
        return None


def _json(content: bytes) -> Any:
    try:
        return json.loads(content)
    except ValueError:
        return expect.MISSING


def _matched_lines(text: str, wanted: FileExpect) -> list[str]:
    pattern = re.compile(wanted.matches, re.MULTILINE) if wanted.matches is not None else None
    lines = []
    for number, line in enumerate(text.splitlines(), start=1):
        hit = (wanted.contains is not None and wanted.contains in line) or (
            pattern is not None and pattern.search(line)
        )
        if hit:
            lines.append(f"{number}: {expect.shorten(line, 200)}")
            if len(lines) == _MATCHED_LINES:
                break
    return lines


def _check(wanted: FileExpect, text: str, content: bytes) -> list[str]:
    failures = []
    if wanted.contains is not None and wanted.contains not in text:
        failures.append(f"does not contain {wanted.contains!r}")
    if wanted.matches is not None and not re.search(wanted.matches, text, re.MULTILINE):
        failures.append(f"does not match /{wanted.matches}/")
    if wanted.json_:
        document = _json(content)
        if document is expect.MISSING:
            failures.append("is not valid JSON")
        else:
            failures.extend(expect.check_paths(document, wanted.json_, prefix="json."))
    return failures


def _validate(wanted: FileExpect) -> None:
    if wanted.matches is not None:
        try:
            re.compile(wanted.matches)
        except re.error as exc:
            raise StepError(f"bad matches /{wanted.matches}/: {exc}") from exc
    for value in wanted.json_.values():
        expect.parse(value)


def check_file(spec: FileSpec, ctx: StepContext) -> StepOutcome:
    """Look at the file; PASSED when it meets ``expect``."""
    wanted = spec.expect
    _validate(wanted)
    path = ctx.workdir / spec.path
    outputs: dict[str, Any] = {"path": str(path)}
    if not path.exists():
        if wanted.exists:
            return StepOutcome(StepStatus.FAILED, f"{spec.path}: not found", outputs=outputs)
        return StepOutcome(StepStatus.PASSED, f"{spec.path}: absent, as expected", outputs=outputs)
    if not wanted.exists:
        return StepOutcome(StepStatus.FAILED, f"{spec.path}: exists, expected absent", outputs=outputs)
    if path.is_dir():
        if wanted.contains is not None or wanted.matches is not None or wanted.json_:
            return StepOutcome(
                StepStatus.ERROR, f"{spec.path}: is a directory, cannot check its content", outputs=outputs
            )
        return StepOutcome(StepStatus.PASSED, f"{spec.path}: directory exists", outputs=outputs | {"directory": True})
    try:
        content = path.read_bytes()
    except OSError as exc:
        return StepOutcome(StepStatus.ERROR, f"{spec.path}: cannot read: {exc.strerror or exc}", outputs=outputs)

    text = content.decode("utf-8", "replace")
    outputs |= {"sha256": hashlib.sha256(content).hexdigest(), "size": len(content)}
    if wanted.contains is not None or wanted.matches is not None:
        outputs["matched_lines"] = _matched_lines(text, wanted)
    metrics: dict[str, float] = {}
    coverage = coverage_pct(path, content)
    if coverage is not None:
        metrics["coverage_pct"] = coverage
    failures = _check(wanted, text, content)
    if failures:
        outputs["failures"] = failures
        summary = f"{spec.path}: {expect.summarize(failures)}"
        return StepOutcome(StepStatus.FAILED, summary, outputs=outputs, metrics=metrics)
    summary = f"{spec.path}: {len(content)} bytes, sha256 {outputs['sha256'][:12]}"
    if coverage is not None:
        summary += f", coverage {coverage:g} %"
    return StepOutcome(StepStatus.PASSED, summary, outputs=outputs, metrics=metrics)
