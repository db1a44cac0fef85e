"""The step kinds: which function runs which kind, and ``run_step`` around them.

``RUNNERS`` maps each kind to ``"module:function"`` and imports the module on
first use, so importing this package pulls in neither httpx nor any cloud
client. A new kind is one line in ``RUNNERS``.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping
from dataclasses import replace
from typing import Any

from pydantic import BaseModel, ValidationError

from luckyctl.errors import InputError, StepError
from luckyctl.model import Step, StepKind, StepStatus
from luckyctl.steps import expect
from luckyctl.steps.base import StepContext, StepOutcome, StepRunner

__all__ = ["RUNNERS", "LazyRunners", "StepContext", "StepOutcome", "StepRunner", "run_step"]


class LazyRunners(Mapping[StepKind, StepRunner]):
    """Step kind → runner, each imported from its ``"module:function"`` target when first asked for."""

    def __init__(self, targets: Mapping[StepKind, str]) -> None:
        self._targets = dict(targets)
        self._loaded: dict[StepKind, StepRunner] = {}

    def __getitem__(self, kind: StepKind) -> StepRunner:
        if kind not in self._loaded:
            module, _, function = self._targets[kind].partition(":")
            self._loaded[kind] = getattr(importlib.import_module(module), function)
        return self._loaded[kind]

    def __iter__(self) -> Iterator[StepKind]:
        return iter(self._targets)

    def __len__(self) -> int:
        return len(self._targets)


RUNNERS = LazyRunners(
    {
        StepKind.RUN: "luckyctl.steps.run:run_process",
        StepKind.HTTP: "luckyctl.steps.http:send_request",
        StepKind.PROBE: "luckyctl.steps.probe:run_probe",
        StepKind.CLOUD_RUN: "luckyctl.steps.cloud_run:run_cloud_run",
        StepKind.GCP: "luckyctl.steps.gcp:call_google_api",
        StepKind.SQL: "luckyctl.steps.sql:run_query",
        StepKind.FILE: "luckyctl.steps.file:check_file",
        StepKind.MANUAL: "luckyctl.steps.manual:await_signoff",
    }
)


def _dump(spec: BaseModel) -> dict[str, Any]:
    return spec.model_dump(mode="json", by_alias=True, exclude_unset=True)


def _resolved(spec: BaseModel, ctx: StepContext) -> BaseModel:
    """A copy of the spec with every ``${…}`` substituted, checked again against its model."""
    try:
        return type(spec).model_validate(ctx.resolve(_dump(spec)))
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise StepError(f"after substituting variables, {where or 'the spec'}: {first['msg']}") from exc


def _save(wanted: Mapping[str, str], outcome: StepOutcome) -> StepOutcome:
    """Copy ``{name: dotted.path}`` from the outputs into ``saved``; FAILED when a path finds nothing."""
    saved = dict(outcome.saved)
    for name, path in wanted.items():
        value = expect.lookup(outcome.outputs, path)
        if value is expect.MISSING:
            summary = f"save {name}: nothing at '{path}' in the step's outputs"
            return replace(outcome, status=StepStatus.FAILED, summary=summary, saved=saved)
        saved[name] = value
    return replace(outcome, saved=saved)


def run_step(step: Step, ctx: StepContext) -> StepOutcome:
    """Resolve the step's variables, run it, and keep what ``save`` asks for.

    A variable that cannot be resolved now (an unset ``${env:…}``, a secret
    that is nowhere to be found) makes the step an ERROR: it could not run;
    so does a cancel event set before it starts. A runner's ``inputs``
    default to the resolved spec.
    """
    if step.kind not in RUNNERS:
        raise StepError(f"no runner for step kind '{step.kind.value}'")
    runner = RUNNERS[step.kind]
    if ctx.cancel.is_set():
        return StepOutcome(StepStatus.ERROR, "cancelled before it started", inputs=_dump(step.spec))
    try:
        spec = _resolved(step.spec, ctx)
    except InputError as exc:
        return StepOutcome(StepStatus.ERROR, str(exc), inputs=_dump(step.spec))
    outcome = runner(spec, ctx)
    if not outcome.inputs:
        outcome = replace(outcome, inputs=_dump(spec))
    if step.save and outcome.passed:
        outcome = _save(step.save, outcome)
    return outcome
