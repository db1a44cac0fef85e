"""A problem found in a roadmap or a plan: where it is and what is wrong."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum

from luckyctl.errors import InputError, printable


class Severity(str, Enum):
    ERROR = "error"  # the roadmap or plan cannot be used
    WARNING = "warning"  # usable, but probably not what was meant


@dataclass(frozen=True)
class Problem:
    message: str
    path: str | None = None
    line: int | None = None
    severity: Severity = Severity.ERROR

    @classmethod
    def of(cls, error: InputError) -> Problem:
        return cls(error.message, error.path, error.line)

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def raise_as(self, error_class: type[InputError], more: int = 0) -> None:
        """Raise this problem as one error; ``more`` says how many others were found too."""
        others = f"{more} more {'problem' if more == 1 else 'problems'}"
        suffix = f" (and {others}: see luckyctl roadmap check)" if more else ""
        raise error_class(self.message + suffix, path=self.path, line=self.line)

    def __str__(self) -> str:
        where = ":".join(str(part) for part in (self.path, self.line) if part)
        label = "warning: " if self.severity is Severity.WARNING else ""
        return printable(f"{where}: {label}{self.message}" if where else f"{label}{self.message}")

    def as_dict(self) -> dict[str, object]:
        return {"severity": self.severity.value, "path": self.path, "line": self.line, "message": self.message}


def raise_first(problems: list[Problem], error_class: type[InputError]) -> None:
    """Raise the first error among ``problems`` (if any) as one ``error_class``."""
    errors = [problem for problem in problems if problem.is_error]
    if errors:
        errors[0].raise_as(error_class, more=len(errors) - 1)


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` for the closest candidate, or nothing."""
    close = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""
