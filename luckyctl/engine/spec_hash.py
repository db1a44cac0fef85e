"""The spec hash of a task: what it does, after variable resolution, secrets left as written.

A succeeded task whose spec hash is unchanged (and whose evidence is fresh)
is up to date; evidence taken under another spec hash is stale. Only what
decides what runs and what passes counts: steps, checks and the manual
instruction. Retitling a task, re-estimating it or moving its dependencies
does not make its evidence stale. ``${saved:…}`` stays as written (it is only
known while the task runs); ``${secret:…}`` stays as written so no secret
ever feeds a stored hash.

Hashing also proves every reference can resolve under the plan, in one pass:
an unknown ``${var}`` or ``${secret:…}``, a ``${saved:…}`` no earlier step
saves, or an unset ``${env:…}`` is an InputError before anything runs.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from typing import Any

from luckyctl.errors import InputError
from luckyctl.model import Plan, Roadmap, Task
from luckyctl.variables import Reference, Resolver, substitute

_HASHED_FIELDS = {"id", "steps", "checks", "manual"}


def resolved_spec(task: Task, plan: Plan, resolver: Resolver | None = None) -> dict[str, Any]:
    """The parts of the task that count, with ``${name}`` and ``${env:…}`` substituted."""
    resolver = resolver or Resolver(plan.vars)
    spec = task.model_dump(mode="json", by_alias=True, include=_HASHED_FIELDS, exclude_none=True)
    saved: set[str] = set()

    def lookup(reference: Reference) -> str | None:
        if reference.namespace == "secret":
            if reference.name not in plan.secrets:
                raise InputError(f"{reference} is not in the plan's secrets")
            return None
        if reference.namespace == "saved":
            if reference.name not in saved:
                raise InputError(f"{reference} is not saved by an earlier step of this task")
            return None
        return str(resolver.resolve(str(reference), with_secrets=False))

    for phase in ("steps", "checks"):
        resolved = []
        for step in spec.get(phase, []):
            resolved.append(substitute(step, lookup))
            saved |= set(step.get("save", {}))
        spec[phase] = resolved
    if "manual" in spec:
        spec["manual"] = substitute(spec["manual"], lookup)
    return spec


def task_spec_hash(task: Task, plan: Plan, resolver: Resolver | None = None) -> str:
    """``sha256:<hex>`` of the task's resolved spec (canonical JSON). Raises InputError on unresolvable references."""
    canonical = json.dumps(resolved_spec(task, plan, resolver), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()


def spec_hashes(roadmap: Roadmap, plan: Plan, task_ids: Iterable[str]) -> dict[str, str]:
    """The spec hash of each task; an unresolvable reference is an InputError at the task's file and line."""
    resolver = Resolver(plan.vars)
    hashes: dict[str, str] = {}
    for task_id in task_ids:
        try:
            hashes[task_id] = task_spec_hash(roadmap.tasks[task_id], plan, resolver)
        except InputError as error:
            path, line = roadmap.location(task_id) or (None, None)
            raise InputError(f"task {task_id}: {error.message}", path=path, line=line) from None
    return hashes
