"""The status enums and the other closed vocabularies of the roadmap (contract: DESIGN §6).

Kept apart from the pydantic models (``luckyctl.model``, which imports these
under the same names) so that the store and the read-only views can use them
without building the models: ``task status`` must start fast.
"""

from __future__ import annotations

from enum import Enum


class TaskState(str, Enum):
    """The state of a task in the store (contract: DESIGN §6)."""

    PENDING = "pending"
    READY = "ready"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    BLOCKED = "blocked"
    WAITING = "waiting"
    SKIPPED = "skipped"
    INTERRUPTED = "interrupted"

    @property
    def is_done(self) -> bool:
        return self in (TaskState.SUCCEEDED, TaskState.SKIPPED)


class StepStatus(str, Enum):
    """The outcome of one step or check."""

    PASSED = "passed"
    FAILED = "failed"  # it ran and an expectation did not hold
    ERROR = "error"  # it could not run (timeout, connection refused, bad spec)
    WAITING = "waiting"  # a person has to act (manual step)


class Level(str, Enum):
    """Impact, probability and residual levels of risks."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"

    @property
    def weight(self) -> int:
        return {"low": 1, "medium": 2, "high": 3}[self.value]


class Strategy(str, Enum):
    SYSTEMATIC = "systematic"
    AGILE = "agile"
    ENTERPRISE = "enterprise"


class Phase(str, Enum):
    """Phases of the go-live checklist."""

    PRE_DEPLOYMENT = "pre-deployment"
    DEPLOYMENT_DAY = "deployment-day"
    POST_DEPLOYMENT = "post-deployment"


class StepKind(str, Enum):
    RUN = "run"
    HTTP = "http"
    PROBE = "probe"
    CLOUD_RUN = "cloud_run"
    GCP = "gcp"
    SQL = "sql"
    FILE = "file"
    MANUAL = "manual"
