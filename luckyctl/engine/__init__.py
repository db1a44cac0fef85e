"""The execution engine: decide, schedule and run tasks; leases and resume; the dry run.

``Runner(roadmap, plan, store, evidence_log, redactor, …)`` is the entry
point: ``runner.plan_run(RunRequest(...))`` predicts, ``runner.execute(...)``
runs. Everything the runner talks to is passed in.
"""

from luckyctl.engine.decisions import Action, Decision
from luckyctl.engine.events import Event, EventSink, ListSink, NullSink
from luckyctl.engine.planner import ExecutionPlan, PlannedTask
from luckyctl.engine.runner import (
    EXIT_FAILED,
    EXIT_INCOMPLETE,
    EXIT_INTERRUPTED,
    EXIT_OK,
    Runner,
    RunResult,
)
from luckyctl.engine.scheduler import TaskOutcome
from luckyctl.engine.selection import RunRequest
from luckyctl.engine.spec_hash import spec_hashes, task_spec_hash
from luckyctl.engine.task_runner import Backoff

__all__ = [
    "EXIT_FAILED",
    "EXIT_INCOMPLETE",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "Action",
    "Backoff",
    "Decision",
    "Event",
    "EventSink",
    "ExecutionPlan",
    "ListSink",
    "NullSink",
    "PlannedTask",
    "RunRequest",
    "RunResult",
    "Runner",
    "TaskOutcome",
    "spec_hashes",
    "task_spec_hash",
]
