"""The one exception tree of luckyctl.

Core code raises these; only the CLI turns them into exit codes and messages.
Errors of other libraries are converted to these at the edge where they occur.
"""

from __future__ import annotations

from pathlib import Path


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
            return f"{self.path}:{self.line}: {self.message}"
        if self.path:
            return f"{self.path}: {self.message}"
        return self.message


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
