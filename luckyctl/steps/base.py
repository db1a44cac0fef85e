"""What every step kind receives and returns.

A step runner is a plain function ``(spec, ctx) -> StepOutcome``. It reports
a failed expectation as ``StepStatus.FAILED`` and a step that could not run
(timeout, refused connection) as ``StepStatus.ERROR`` — values, not
exceptions. It raises ``StepError`` only for a spec it cannot understand.
Retries, evidence and redaction happen around it, in the engine.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from luckyctl.model import StepStatus

if TYPE_CHECKING:
    import httpx

    from luckyctl.model import Plan


@dataclass(frozen=True)
class StepOutcome:
    """The result of one attempt of one step."""

    status: StepStatus
    summary: str  # one line: what happened, or why it failed
    inputs: dict[str, Any] = field(default_factory=dict)  # what was asked, variables resolved
    outputs: dict[str, Any] = field(default_factory=dict)  # a summary of what came back
    metrics: dict[str, float] = field(default_factory=dict)  # numbers KPIs and analytics read
    artifacts: dict[str, bytes] = field(default_factory=dict)  # name → content, stored content-addressed
    saved: dict[str, Any] = field(default_factory=dict)  # values for later ${saved:name}

    @property
    def passed(self) -> bool:
        return self.status is StepStatus.PASSED


@dataclass
class StepContext:
    """Everything a step may use. Built by the engine; tests build their own."""

    task_id: str
    plan: Plan
    resolve: Callable[[Any], Any]  # substitutes ${…} in strings, recursively in lists and dicts
    timeout: float  # seconds for this attempt
    workdir: Path  # relative paths resolve here (the roadmap's project root)
    cancel: threading.Event = field(default_factory=threading.Event)
    transport: httpx.BaseTransport | None = None  # the network, swappable in tests
    services: dict[str, Any] = field(default_factory=dict)  # shared clients, created on first use


StepRunner = Callable[[Any, StepContext], StepOutcome]
