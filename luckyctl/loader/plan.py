"""Load a plan by name (``plans/NAME.yaml``) or by path."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from luckyctl.errors import PlanError
from luckyctl.loader.files import is_plan_name, plan_path, read_bytes
from luckyctl.loader.problems import Problem, raise_first
from luckyctl.loader.schema import validate
from luckyctl.loader.yaml_lines import decode, parse
from luckyctl.model import Plan


def load_plan(ref: str, *, roadmap_path: str | Path) -> Plan:
    """The validated plan; the first problem otherwise, as a PlanError with file and line."""
    plan, problems = read_plan(ref, roadmap_path=Path(roadmap_path))
    raise_first(problems, PlanError)
    assert plan is not None
    return plan


def read_plan(ref: str, *, roadmap_path: Path) -> tuple[Plan | None, list[Problem]]:
    """The plan and every problem found on the way (None when any is an error)."""
    try:
        path = plan_path(ref, roadmap_path=roadmap_path)
        raw = read_bytes(path, PlanError)
    except PlanError as error:
        return None, [Problem.of(error)]
    return plan_from_bytes(ref, path, raw)


def plan_from_bytes(ref: str, path: Path, raw: bytes) -> tuple[Plan | None, list[Problem]]:
    """``read_plan`` of a plan file already found (``plan_path``) and read."""
    try:
        document = parse(decode(raw, path, PlanError), path, PlanError)
    except PlanError as error:
        return None, [Problem.of(error)]
    source, data = document.source, document.data
    plan, problems = validate(Plan, data, source)
    if plan is None:
        return None, problems
    if is_plan_name(ref) and plan.name != ref:
        message = f"plan name '{plan.name}' differs from its file name '{path.name}'"
        return None, [Problem(message, *document.locate(("name",)))]
    plan.set_locations({key: document.locate(loc) for key, loc in _key_paths(data)})
    return plan, []


def _key_paths(data: dict[str, Any]) -> list[tuple[str, tuple[str, ...]]]:
    """``name``, ``team``, ``team.backend``…: the keys of the plan, two levels deep."""
    paths: list[tuple[str, tuple[str, ...]]] = []
    for key, value in data.items():
        paths.append((str(key), (key,)))
        if isinstance(value, dict):
            paths += [(f"{key}.{inner}", (key, inner)) for inner in value]
    return paths
