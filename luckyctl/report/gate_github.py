"""GitHub Actions: the Markdown summary appended to ``GITHUB_STEP_SUMMARY``, one ``::error`` per finding.

Workflow commands are lines on the job's output; their data and properties
are escaped as the runner expects (``%``, CR, LF; in properties also ``:``
and ``,``), so a reason cannot end the command early or inject another.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TextIO

from luckyctl.errors import InputError
from luckyctl.gate.evaluation import GateResult
from luckyctl.report.gate_markdown import render_markdown

SUMMARY_VARIABLE = "GITHUB_STEP_SUMMARY"


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def error_annotations(result: GateResult) -> list[str]:
    """``::error title=<task id>::<reason>`` for every finding."""
    return [
        f"::error title={escape_property(finding.subject)}::{escape_data(finding.message)}"
        for finding in result.failures
    ]


def publish(result: GateResult, environ: Mapping[str, str], stream: TextIO) -> bool:
    """Under GitHub Actions (``GITHUB_STEP_SUMMARY`` set): append the summary, write the annotations.

    False, doing nothing, elsewhere.
    """
    summary = environ.get(SUMMARY_VARIABLE)
    if not summary:
        return False
    try:
        with Path(summary).open("a", encoding="utf-8") as handle:
            handle.write(render_markdown(result) + "\n")
    except OSError as error:
        raise InputError(f"cannot append the summary: {error.strerror}", path=summary) from None
    stream.writelines(line + "\n" for line in error_annotations(result))
    stream.flush()
    return True
