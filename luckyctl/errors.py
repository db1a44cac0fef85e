"""The one exception tree of luckyctl.

Core code raises these; only the CLI turns them into exit codes and messages.
Errors of other libraries are converted to these at the edge where they occur.
"""

from __future__ import annotations

import re
from pathlib import Path

# Control characters would let a key in a user's YAML start a new line (a forged
# CI annotation) or drive the terminal: messages show them escaped instead.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def printable(text: str) -> str:
    """``text`` on one line with every control character escaped (``\\n``, ``\\x1b``)."""
    return _CONTROL.sub(lambda match: match.group().encode("unicode_escape").decode("ascii"), text)


class LuckyError(Exception):
    """Base of every error luckyctl raises on purpose.

    ``exit_code`` follows the CLI contract: 2 for the user's input, 1 for a
    failed task or gate, 70 for the tool's own trouble.
    """

    exit_code = 70

    def __init__(self, message: str, *, path: str | Path | None = None, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.path = str(path) if path is not None else None
        self.line = line

    def __str__(self) -> str:
        if self.path and self.line:
            return printable(f"{self.path}:{self.line}: {self.message}")
        if self.path:
            return printable(f"{self.path}: {self.message}")
        return printable(self.message)


class InputError(LuckyError):
    """The user's input is wrong: bad YAML, unknown id, bad option value."""

    exit_code = 2


class RoadmapError(InputError):
    """The roadmap cannot be loaded or is inconsistent."""


class PlanError(InputError):
    """The plan cannot be loaded or does not fit the roadmap."""


class SelectorError(InputError):
    """A selector names no known id."""


class StoreError(LuckyError):
    """The evidence store cannot be opened, migrated or written."""


class EvidenceError(LuckyError):
    """Evidence or an artifact is missing or does not match its hash."""


class StepError(LuckyError):
    """A step could not be run at all (not: it ran and its expectation failed)."""


class SandboxError(LuckyError):
    """The local sandbox cannot be started, stopped or reached."""


class LeaseError(LuckyError):
    """A task is held by another live process."""
